//! A small SMTP server on loopback that records every mail it accepts. Each mail can be
//! answered by script: accepted, refused, or held without an answer (so a test can kill the
//! sender between handing over the mail and hearing that it was accepted).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the sink answers to one mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `250`: the mail is accepted and recorded.
    Accept,
    /// `250` after a pause: accepted and recorded then.
    AcceptAfter(Duration),
    /// `550`: refused for good; nothing recorded.
    Refuse,
    /// No answer after the data, until the sender hangs up; nothing recorded.
    Hold,
}

/// A mail the sink accepted.
#[derive(Clone, Debug)]
pub struct Received {
    /// `MAIL FROM`.
    pub from: String,
    /// `RCPT TO`s.
    pub to: Vec<String>,
    /// The message: headers and body, as sent.
    pub data: String,
}

impl Received {
    /// A header's value (the first, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(current) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    current.push_str(line.trim_start());
                    continue;
                }
                break;
            }
            if let Some((key, rest)) = line.split_once(':')
                && key.eq_ignore_ascii_case(name)
            {
                value = Some(rest.trim().to_owned());
            }
        }
        value
    }
}

impl Received {
    /// The text of every part, transfer encoding undone (quoted-printable, base64), so a test
    /// can look for a link however the mail was encoded.
    pub fn decoded(&self) -> String {
        let boundary = self
            .header("Content-Type")
            .and_then(|value| value.split("boundary=").nth(1).map(|b| b.trim_matches('"').to_owned()));
        let parts: Vec<&str> = match &boundary {
            Some(boundary) => self.data.split(&format!("--{boundary}")).skip(1).collect(),
            None => vec![self.data.as_str()],
        };
        let mut out = String::new();
        for part in parts {
            let part = part.trim_start_matches("\r\n");
            let Some((headers, body)) = part.split_once("\r\n\r\n") else { continue };
            let encoding = headers
                .split("\r\n")
                .find_map(|line| {
                    let (key, value) = line.split_once(':')?;
                    key.eq_ignore_ascii_case("Content-Transfer-Encoding").then(|| value.trim().to_ascii_lowercase())
                })
                .unwrap_or_default();
            match encoding.as_str() {
                "quoted-printable" => out.push_str(&decode_quoted_printable(body)),
                "base64" => {
                    use base64::Engine as _;
                    let compact: String = body.split_whitespace().collect();
                    let bytes = base64::engine::general_purpose::STANDARD.decode(compact).unwrap_or_default();
                    out.push_str(&String::from_utf8_lossy(&bytes));
                }
                _ => out.push_str(body),
            }
            out.push('\n');
        }
        out
    }
}

fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'='
            && index + 2 < bytes.len()
            && let Ok(value) = u8::from_str_radix(&joined[index + 1..index + 3], 16)
        {
            out.push(value);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    script: VecDeque<Answer>,
    /// Mails whose data arrived, whatever the answer.
    delivered_data: usize,
}

/// The running sink; it stops when dropped.
pub struct SmtpSink {
    port: u16,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    /// Starts a sink on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the SMTP sink");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let accept_shared = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, accept_shared.clone()));
            }
        });
        Self { port, shared, task }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:PORT`, for `PATRON_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Answers the next mails so, in order; after them mails are accepted.
    pub fn script(&self, answers: &[Answer]) {
        self.shared.lock().expect("sink state").script.extend(answers.iter().copied());
    }

    /// The mails accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().expect("sink state").received.clone()
    }

    /// How many mails' data arrived, accepted or not.
    pub fn data_count(&self) -> usize {
        self.shared.lock().expect("sink state").delivered_data
    }

    /// Waits until `check` holds for the accepted mails, up to `timeout`; panics otherwise.
    pub async fn wait_for(&self, timeout: Duration, what: &str, check: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let received = self.received();
            if check(&received) {
                return received;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("SMTP sink: waited {timeout:?} for {what}; received {} mails: {:?}", received.len(), received);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn serve(stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 sink.test ESMTP\r\n").await.is_err() {
        return;
    }
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("RSET") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command["MAIL FROM:".len()..]);
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&command["RCPT TO:".len()..]));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            if write.write_all(b"354 go ahead\r\n").await.is_err() {
                return;
            }
            let mut data = String::new();
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                // dot-stuffing: a leading dot was doubled by the sender
                data.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
            }
            let answer = {
                let mut state = shared.lock().expect("sink state");
                state.delivered_data += 1;
                state.script.pop_front().unwrap_or(Answer::Accept)
            };
            if let Answer::AcceptAfter(pause) = answer {
                tokio::time::sleep(pause).await;
            }
            match answer {
                Answer::Accept | Answer::AcceptAfter(_) => {
                    shared.lock().expect("sink state").received.push(Received {
                        from: from.clone(),
                        to: to.clone(),
                        data,
                    });
                    b"250 accepted\r\n"
                }
                Answer::Refuse => b"550 no such mailbox\r\n",
                Answer::Hold => {
                    // never answer; wait for the sender to go away
                    let mut rest = String::new();
                    while matches!(lines.read_line(&mut rest).await, Ok(n) if n > 0) {
                        rest.clear();
                    }
                    return;
                }
            }
        } else if upper.starts_with("QUIT") {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"502 not implemented\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

fn address(text: &str) -> String {
    text.trim().trim_start_matches('<').split('>').next().unwrap_or_default().to_owned()
}
