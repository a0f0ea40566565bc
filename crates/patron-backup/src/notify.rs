//! The run's summary sent by e-mail and to Slack webhooks, as Tergum sends it: the subject
//! `[tergum][<ExtraName>] Backup Summary -- OK` (or `-- ERR`) and the summary table. A run is
//! OK when every backup reached every target; an OK run is announced only to the entries
//! that ask for it (`SendOK: true` and not `OnErrorOnly`), a failed run to every entry.

use crate::config::{Config, EmailBackend, NotificationTarget};
use crate::run::{Row, table};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Submission with STARTTLS, the port when `SmtpPort` is not given.
const DEFAULT_SMTP_PORT: u16 = 587;
/// SMTPS: TLS from the first byte.
const IMPLICIT_TLS_PORT: u16 = 465;

/// The summary's subject: `[tergum][<extra_name>] Backup Summary -- OK`, without the second
/// bracket when `extra_name` is empty, and `-- ERR` when something failed.
pub fn subject(extra_name: &str, ok: bool) -> String {
    let name = if extra_name.is_empty() { String::new() } else { format!("[{extra_name}]") };
    let outcome = if ok { "OK" } else { "ERR" };
    format!("[tergum]{name} Backup Summary -- {outcome}")
}

/// Sends the summary of `rows` to every notification target that wants it. Returns one line
/// per notification that could not be sent (empty when all went out); the lines name the
/// target, never a password or a whole webhook address.
pub async fn send(config: &Config, rows: &[Row]) -> Vec<String> {
    let Some(notification) = &config.notification else { return Vec::new() };
    let ok = rows.iter().all(Row::ok);
    let subject = subject(&config.settings.extra_name, ok);
    let summary = table(rows);
    // a notification that does not answer must not hold the CronJob forever
    let timeout = config.settings.stall_timeout();
    let mut problems = Vec::new();
    for (index, target) in notification.targets.iter().enumerate() {
        let at = format!("Notification.Targets[{index}]");
        if let Some(rule) = &target.email
            && wanted(target, ok, rule.send_ok)
        {
            let sent = match &notification.backend.email {
                Some(backend) => send_email(backend, &rule.emails, &subject, &summary, timeout).await,
                None => Err("there is no Notification.Backend.Email (the SMTP server)".to_owned()),
            };
            if let Err(error) = sent {
                problems.push(format!("{at}.Email: {error}"));
            }
        }
        if let Some(slack) = &target.slack_webhook
            && wanted(target, ok, slack.send_ok)
        {
            let text = format!("{subject}\n```\n{summary}```");
            for (number, url) in slack.urls.iter().enumerate() {
                if let Err(error) = post_slack(url, &text, timeout).await {
                    problems.push(format!("{at}.SlackWebhook.URLs[{number}] ({}): {error}", host_of(url)));
                }
            }
        }
    }
    problems
}

/// A failed run goes to everyone; an OK one only where `SendOK` asks for it.
fn wanted(target: &NotificationTarget, ok: bool, send_ok: bool) -> bool {
    !ok || (send_ok && !target.on_error_only)
}

fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// How the connection to `host:port` is protected: TLS from the start on 465, otherwise
/// STARTTLS when the server offers it (Tergum's go-mail does the same).
fn tls(host: &str, port: u16, with_password: bool) -> Result<Tls, String> {
    let parameters = || TlsParameters::new(host.to_owned()).map_err(|e| format!("TLS for {host}: {e}"));
    Ok(if port == IMPLICIT_TLS_PORT {
        Tls::Wrapper(parameters()?)
    } else if with_password && !is_loopback(host) {
        // a password never crosses the network in clear: Go's smtp.PlainAuth, under Tergum,
        // refuses that too, except to localhost
        Tls::Required(parameters()?)
    } else {
        Tls::Opportunistic(parameters()?)
    })
}

/// One mail to all of `to`, with the table as monospace-friendly plain text.
async fn send_email(
    backend: &EmailBackend,
    to: &[String],
    subject: &str,
    body: &str,
    timeout: Duration,
) -> Result<(), String> {
    let from: Mailbox = backend.from.parse().map_err(|e| format!("From {:?}: {e}", backend.from))?;
    let mut message = Message::builder().from(from).subject(subject);
    for address in to {
        let mailbox: Mailbox = address.parse().map_err(|e| format!("recipient {address:?}: {e}"))?;
        message = message.to(mailbox);
    }
    let message =
        message.header(ContentType::TEXT_PLAIN).body(body.to_owned()).map_err(|e| format!("building the mail: {e}"))?;

    let host = backend.smtp_host.trim().trim_matches(['[', ']']);
    let port = match backend.smtp_port.as_deref() {
        None => DEFAULT_SMTP_PORT,
        Some(port) => port.parse().map_err(|_| format!("SmtpPort {port:?} is not a port"))?,
    };
    let with_password = !backend.username.is_empty();
    patron_storage::install_tls_provider();
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .tls(tls(host, port, with_password)?)
        .timeout(Some(timeout));
    if with_password {
        transport = transport.credentials(Credentials::new(backend.username.clone(), backend.password.clone()));
    }
    let transport = transport.build();
    match tokio::time::timeout(timeout, transport.send(message)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(format!("sending through {host}:{port} failed: {error}")),
        Err(_) => Err(format!("{host}:{port} did not finish within {}s", timeout.as_secs())),
    }
}

/// The host of a webhook address: its path is the secret, so it is all that is ever shown.
fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| "an address that does not parse".to_owned())
}

/// Posts `{"text": …}` to one Slack webhook.
async fn post_slack(url: &str, text: &str, timeout: Duration) -> Result<(), String> {
    patron_storage::install_tls_provider();
    let client = reqwest::Client::builder().timeout(timeout).build().map_err(|e| describe(&e))?;
    let body = serde_json::json!({ "text": text }).to_string();
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let status = response.status();
    if status.is_success() { Ok(()) } else { Err(format!("the webhook answered {status}")) }
}

/// A reqwest error and its causes, without the address (which carries the webhook's secret).
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() { "no answer in time".to_owned() } else { "the request failed".to_owned() };
    let mut cause = std::error::Error::source(error);
    while let Some(error) = cause {
        text.push_str(&format!(": {error}"));
        cause = error.source();
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use patron_testkit::smtp::{Answer, SmtpSink};
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// One request a test server received.
    #[derive(Debug, Clone)]
    pub(crate) struct Request {
        pub method: String,
        pub path: String,
        pub headers: Vec<(String, String)>,
        pub body: String,
    }

    impl Request {
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
        }
    }

    /// A tiny HTTP/1.1 server on loopback: records each request and answers it with the next
    /// of `statuses` (200 once they are used up), closing the connection after each.
    pub(crate) struct HttpServer {
        pub base: String,
        requests: Arc<Mutex<Vec<Request>>>,
        task: tokio::task::JoinHandle<()>,
    }

    impl Drop for HttpServer {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    impl HttpServer {
        pub async fn start(statuses: &[u16]) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
            let requests = Arc::new(Mutex::new(Vec::new()));
            let statuses = Arc::new(Mutex::new(statuses.to_vec()));
            let recorded = requests.clone();
            let task = tokio::spawn(async move {
                while let Ok((mut stream, _)) = listener.accept().await {
                    let Some(request) = read_request(&mut stream).await else { continue };
                    recorded.lock().unwrap().push(request);
                    let status = {
                        let mut statuses = statuses.lock().unwrap();
                        if statuses.is_empty() { 200 } else { statuses.remove(0) }
                    };
                    let answer = format!("HTTP/1.1 {status} Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                }
            });
            Self { base, requests, task }
        }

        pub fn requests(&self) -> Vec<Request> {
            self.requests.lock().unwrap().clone()
        }
    }

    async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Request> {
        let mut bytes = Vec::new();
        let mut buffer = [0u8; 4096];
        let head_end = loop {
            if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let read = stream.read(&mut buffer).await.ok()?;
            if read == 0 {
                return None;
            }
            bytes.extend_from_slice(&buffer[..read]);
        };
        let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut first = lines.next()?.split(' ');
        let (method, path) = (first.next()?.to_owned(), first.next()?.to_owned());
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.parse().ok())
            .unwrap_or(0);
        while bytes.len() < head_end + length {
            let read = stream.read(&mut buffer).await.ok()?;
            if read == 0 {
                return None;
            }
            bytes.extend_from_slice(&buffer[..read]);
        }
        let body = String::from_utf8_lossy(&bytes[head_end..head_end + length]).into_owned();
        Some(Request { method, path, headers, body })
    }

    pub(crate) fn row(backup: &str, target: &str, error: Option<&str>) -> Row {
        Row {
            backup_id: backup.to_owned(),
            source_kind: "Postgres",
            target_id: target.to_owned(),
            target_kind: "S3",
            stored_as: format!("{backup}/2025-01-02_03-04-05.dump"),
            backup_time: Duration::from_secs(12),
            upload_time: Duration::from_secs(3),
            size: if error.is_none() { 30_093_312 } else { 0 },
            sha256: if error.is_none() { "ab".repeat(32) } else { String::new() },
            error: error.map(str::to_owned),
            total: Duration::from_secs(15),
        }
    }

    fn ok_rows() -> Vec<Row> {
        vec![row("db-prod", "s3", None), row("db-prod", "local", None)]
    }

    fn failed_rows() -> Vec<Row> {
        vec![row("db-prod", "s3", None), row("db-prod", "local", Some("cannot create /backups: Permission denied"))]
    }

    /// A configuration with one backup and the given `Settings` lines and `Notification` block.
    fn config(settings: &str, notification: &str) -> Config {
        let text = format!(
            "Meta:\n  SchemaVersion: 3\nSettings:\n  StallTimeout: 5\n{settings}Backups:\n  - ID: db-prod\n    \
             Source:\n      SingleFile:\n        Path: /etc/hostname\n    Targets:\n      - ID: local\n        \
             FilePath:\n          Path: /tmp/x\nNotification:\n{notification}"
        );
        Config::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn smtp_backend(port: u16, extra: &str) -> String {
        format!(
            "  Backend:\n    Email:\n      SmtpHost: 127.0.0.1\n      SmtpPort: \"{port}\"\n      \
             From: backups@example.com\n{extra}"
        )
    }

    fn normalised(text: &str) -> String {
        text.replace("\r\n", "\n")
    }

    #[test]
    fn subject_is_tergums() {
        assert_eq!(subject("pickey", true), "[tergum][pickey] Backup Summary -- OK");
        assert_eq!(subject("pickey", false), "[tergum][pickey] Backup Summary -- ERR");
        assert_eq!(subject("", true), "[tergum] Backup Summary -- OK");
        assert_eq!(subject("", false), "[tergum] Backup Summary -- ERR");
    }

    #[tokio::test]
    async fn a_failed_run_mails_the_table_to_every_address() {
        let sink = SmtpSink::start().await;
        let notification = smtp_backend(sink.port(), "")
            + "  Targets:\n    - Email:\n        Emails: [ops@example.com, cto@example.com]\n";
        let config = config("  ExtraName: pickey\n", &notification);
        let rows = failed_rows();

        let problems = send(&config, &rows).await;

        assert!(problems.is_empty(), "{problems:?}");
        let received = sink.received();
        assert_eq!(received.len(), 1, "{received:?}");
        let mail = &received[0];
        assert_eq!(mail.from, "backups@example.com");
        assert_eq!(mail.to, ["ops@example.com", "cto@example.com"]);
        assert_eq!(mail.header("Subject").as_deref(), Some("[tergum][pickey] Backup Summary -- ERR"));
        let to = mail.header("To").unwrap();
        assert!(to.contains("ops@example.com") && to.contains("cto@example.com"), "{to}");
        assert!(mail.header("Content-Type").unwrap().starts_with("text/plain"), "{:?}", mail.header("Content-Type"));
        let body = normalised(&mail.decoded());
        assert!(body.contains(&table(&rows)), "the body lacks the table:\n{body}");
        assert!(body.contains("Permission denied"), "{body}");
    }

    #[tokio::test]
    async fn an_ok_run_mails_only_the_entries_asking_for_it() {
        let sink = SmtpSink::start().await;
        let notification = smtp_backend(sink.port(), "")
            + "  Targets:\n\
               \x20   - Email:\n        Emails: [quiet@example.com]\n\
               \x20   - OnErrorOnly: true\n      Email:\n        Emails: [pager@example.com]\n        SendOK: true\n\
               \x20   - Email:\n        Emails: [daily@example.com]\n        SendOK: true\n";
        let config = config("", &notification);

        let problems = send(&config, &ok_rows()).await;

        assert!(problems.is_empty(), "{problems:?}");
        let received = sink.received();
        assert_eq!(received.len(), 1, "{received:?}");
        assert_eq!(received[0].to, ["daily@example.com"]);
        assert_eq!(received[0].header("Subject").as_deref(), Some("[tergum] Backup Summary -- OK"));
        assert!(normalised(&received[0].decoded()).contains(&table(&ok_rows())));
    }

    #[tokio::test]
    async fn an_ok_run_without_send_ok_sends_nothing_and_a_failed_one_does() {
        let sink = SmtpSink::start().await;
        let server = HttpServer::start(&[]).await;
        let notification = smtp_backend(sink.port(), "")
            + &format!(
                "  Targets:\n    - Email:\n        Emails: [ops@example.com]\n    \
                 - SlackWebhook:\n        URLs: [\"{}/services/T0/B0/secret\"]\n",
                server.base
            );
        let config = config("", &notification);

        assert!(send(&config, &ok_rows()).await.is_empty());
        assert!(sink.received().is_empty());
        assert!(server.requests().is_empty());

        assert!(send(&config, &failed_rows()).await.is_empty());
        assert_eq!(sink.received().len(), 1);
        assert_eq!(server.requests().len(), 1);
    }

    #[tokio::test]
    async fn slack_gets_the_subject_and_the_table_as_json() {
        let server = HttpServer::start(&[]).await;
        let url = format!("{}/services/T0/B0/secret", server.base);
        let config = config(
            "  ExtraName: pickey\n",
            &format!("  Targets:\n    - SlackWebhook:\n        URLs: [\"{url}\", \"{url}\"]\n        SendOK: true\n"),
        );
        let rows = ok_rows();

        let problems = send(&config, &rows).await;

        assert!(problems.is_empty(), "{problems:?}");
        let requests = server.requests();
        assert_eq!(requests.len(), 2, "one post per URL");
        let request = &requests[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/services/T0/B0/secret");
        assert_eq!(request.header("Content-Type"), Some("application/json"));
        let json: serde_json::Value = serde_json::from_str(&request.body).unwrap();
        let text = json["text"].as_str().unwrap();
        assert_eq!(text, format!("[tergum][pickey] Backup Summary -- OK\n```\n{}```", table(&rows)));
    }

    #[tokio::test]
    async fn a_webhook_answering_500_is_a_problem_naming_only_the_host() {
        let server = HttpServer::start(&[500]).await;
        let url = format!("{}/services/T0/B0/secret", server.base);
        let config = config("", &format!("  Targets:\n    - SlackWebhook:\n        URLs: [\"{url}\"]\n"));

        let problems = send(&config, &failed_rows()).await;

        assert_eq!(problems.len(), 1, "{problems:?}");
        let line = &problems[0];
        assert!(line.starts_with("Notification.Targets[0].SlackWebhook.URLs[0] (127.0.0.1)"), "{line}");
        assert!(line.contains("500"), "{line}");
        assert!(!line.contains("secret") && !line.contains("/services"), "the webhook's secret leaked: {line}");
    }

    #[tokio::test]
    async fn an_unreachable_webhook_is_a_problem_naming_only_the_host() {
        // a port nobody listens on: bind one, then let it go
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = format!("http://127.0.0.1:{port}/services/T0/B0/secret");
        let config = config("", &format!("  Targets:\n    - SlackWebhook:\n        URLs: [\"{url}\"]\n"));

        let problems = send(&config, &failed_rows()).await;

        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("(127.0.0.1)"), "{}", problems[0]);
        assert!(!problems[0].contains("secret"), "the webhook's secret leaked: {}", problems[0]);
    }

    #[tokio::test]
    async fn a_refused_mail_is_a_problem_line() {
        let sink = SmtpSink::start().await;
        sink.script(&[Answer::Refuse]);
        let notification =
            smtp_backend(sink.port(), "") + "  Targets:\n    - Email:\n        Emails: [ops@example.com]\n";
        let config = config("", &notification);

        let problems = send(&config, &failed_rows()).await;

        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("Notification.Targets[0].Email: sending through 127.0.0.1:"), "{problems:?}");
        assert_eq!(sink.data_count(), 1);
    }

    #[tokio::test]
    async fn a_failed_login_never_shows_the_password() {
        // the sink offers no AUTH, so logging in fails
        let sink = SmtpSink::start().await;
        let notification = smtp_backend(sink.port(), "      Username: backups\n      Password: hunter2-secret\n")
            + "  Targets:\n    - Email:\n        Emails: [ops@example.com]\n";
        let config = config("", &notification);

        let problems = send(&config, &failed_rows()).await;

        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(!problems[0].contains("hunter2"), "the password leaked: {}", problems[0]);
        assert!(sink.received().is_empty());
    }

    #[tokio::test]
    async fn a_server_that_never_answers_is_given_up_after_the_stall_timeout() {
        let sink = SmtpSink::start().await;
        sink.script(&[Answer::Hold]);
        let notification =
            smtp_backend(sink.port(), "") + "  Targets:\n    - Email:\n        Emails: [ops@example.com]\n";
        let mut config = config("", &notification);
        config.settings.stall_timeout = Some(1);
        let started = std::time::Instant::now();

        let problems = send(&config, &failed_rows()).await;

        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
    }

    #[tokio::test]
    async fn without_a_notification_block_nothing_is_sent() {
        let text = "Meta:\n  SchemaVersion: 3\nBackups:\n  - ID: db\n    Source:\n      SingleFile:\n        \
                    Path: /etc/hostname\n    Targets:\n      - ID: local\n        FilePath:\n          Path: /tmp/x\n";
        let config = Config::parse(text).unwrap();
        assert!(send(&config, &failed_rows()).await.is_empty());
    }

    #[test]
    fn a_password_goes_only_over_tls_except_to_loopback() {
        assert!(matches!(tls("smtp.example.com", 465, false).unwrap(), Tls::Wrapper(_)));
        assert!(matches!(tls("smtp.example.com", 587, true).unwrap(), Tls::Required(_)));
        assert!(matches!(tls("smtp.example.com", 587, false).unwrap(), Tls::Opportunistic(_)));
        assert!(matches!(tls("localhost", 25, true).unwrap(), Tls::Opportunistic(_)));
    }
}
