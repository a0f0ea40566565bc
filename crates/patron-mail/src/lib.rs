//! E-mail. [`Mailer`] sends through SMTP when `PATRON_SMTP_URL` is set, and otherwise writes
//! each mail to the log and keeps it in the `outbox` table (embedded mode). Mails are sent by
//! jobs ([`jobs`]) that claim each mail's idempotency key first, so a job that runs twice
//! sends once (lesson 3: one e-mail went out eight times).

pub mod digest;
pub mod jobs;
mod templates;
pub mod unsubscribe;

pub use jobs::Link;
pub use templates::{DigestItem, Rendered, StatementLine, Template, render};

use lettre::message::{Mailbox, MultiPart, header};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use patron_settings::Settings;
use patron_store::Db;

/// A mail ready to send.
#[derive(Debug, Clone)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject, text and HTML.
    pub rendered: Rendered,
    /// For mails a user can stop: the one-click unsubscribe address (RFC 8058) for the
    /// `List-Unsubscribe` header.
    pub one_click_unsubscribe: Option<String>,
}

/// Sending failed.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The mail cannot be built (bad address): trying again will not help.
    #[error("{0}")]
    Invalid(String),
    /// The server refused or could not be reached: try again later.
    #[error("{0}")]
    Unavailable(String),
    /// The mail could not be stored.
    #[error(transparent)]
    Store(#[from] patron_store::StoreError),
}

/// Where mails go.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server.
    Smtp {
        /// The connection pool.
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The sender.
        from: Mailbox,
        /// The most a whole send may take.
        timeout: std::time::Duration,
    },
    /// The log and the outbox table.
    Outbox {
        /// The database.
        db: Db,
        /// The sender.
        from: Mailbox,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { from, .. } => write!(f, "Mailer::Smtp(from {from})"),
            Mailer::Outbox { from, .. } => write!(f, "Mailer::Outbox(from {from})"),
        }
    }
}

fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1" | "[::1]")
}

/// The port an SMTP URL without one means: 465 for `smtps://`, 25 for a loopback relay,
/// otherwise 587 (submission with STARTTLS).
pub fn default_port(url: &url::Url) -> u16 {
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    match url.scheme() {
        "smtps" => 465,
        _ if is_loopback(host) => 25,
        _ => 587,
    }
}

/// How an SMTP URL protects the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `smtps://`: TLS from the first byte.
    Wrapper,
    /// STARTTLS, refusing a server without it: `smtp://` to any host but a loopback one.
    Required,
    /// STARTTLS when the server offers it: `smtp://` to a loopback host (a local relay).
    Opportunistic,
    /// Plain text, only when asked for with `?tls=none` (a mail catcher on a private network
    /// in development, which has no certificate).
    None,
}

/// The protection `url` (a valid `PATRON_SMTP_URL`) asks for: `?tls=` when given, else by
/// scheme and host.
pub fn tls_mode(url: &url::Url) -> TlsMode {
    if url.scheme() == "smtps" {
        return TlsMode::Wrapper;
    }
    let asked = url.query_pairs().find(|(key, _)| key == "tls").map(|(_, value)| value.into_owned());
    match asked.as_deref() {
        Some("none") => TlsMode::None,
        Some("opportunistic") => TlsMode::Opportunistic,
        Some(_) => TlsMode::Required,
        None if is_loopback(url.host_str().unwrap_or_default().trim_matches(['[', ']'])) => TlsMode::Opportunistic,
        None => TlsMode::Required,
    }
}

impl Mailer {
    /// The mailer the settings describe. `smtp://` uses STARTTLS, required except on a
    /// loopback host (a local relay or a test catcher) or when `?tls=` says otherwise;
    /// `smtps://` uses TLS from the start.
    pub fn from_settings(settings: &Settings, db: Db) -> Result<Self, MailError> {
        let from: Mailbox =
            settings.mail_from.parse().map_err(|e| MailError::Invalid(format!("PATRON_MAIL_FROM: {e}")))?;
        let Some(url) = &settings.smtp_url else { return Ok(Mailer::Outbox { db, from }) };
        let url = url.expose();
        let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_owned();
        let invalid = |e: lettre::transport::smtp::Error| MailError::Invalid(format!("PATRON_SMTP_URL: {e}"));
        let tls_parameters = || TlsParameters::new(host.clone()).map_err(invalid);
        let tls = match tls_mode(url) {
            TlsMode::Wrapper => Tls::Wrapper(tls_parameters()?),
            TlsMode::Required => Tls::Required(tls_parameters()?),
            TlsMode::Opportunistic => Tls::Opportunistic(tls_parameters()?),
            TlsMode::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
            .port(url.port().unwrap_or_else(|| default_port(url)))
            .tls(tls)
            .timeout(Some(settings.smtp_timeout));
        if !url.username().is_empty() {
            let user = decode(url.username());
            let password = decode(url.password().unwrap_or_default());
            builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(user, password));
        }
        Ok(Mailer::Smtp { transport: builder.build(), from, timeout: settings.smtp_timeout * 2 })
    }

    /// Sends one mail. `message_id` is derived from the mail's idempotency key, so even a
    /// duplicate (see the jobs module) carries the same Message-ID.
    pub async fn send(&self, mail: &Mail, message_id: &str) -> Result<(), MailError> {
        match self {
            Mailer::Smtp { transport, from, timeout } => {
                let message = build(from, mail, message_id)?;
                match tokio::time::timeout(*timeout, transport.send(message)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) if e.is_permanent() => {
                        Err(MailError::Invalid(format!("the SMTP server refused the mail: {e}")))
                    }
                    Ok(Err(e)) => Err(MailError::Unavailable(format!("sending failed: {e}"))),
                    Err(_) => Err(MailError::Unavailable(format!("sending took longer than {timeout:?}"))),
                }
            }
            Mailer::Outbox { db, .. } => {
                tracing::info!(to = %mail.to, subject = %mail.rendered.subject, "no SMTP server configured: the mail is kept in the outbox");
                tracing::debug!(body = %mail.rendered.text, "mail text");
                patron_store::mail::keep_in_outbox(
                    db.pool(),
                    &mail.to,
                    &mail.rendered.subject,
                    &mail.rendered.text,
                    &mail.rendered.html,
                )
                .await?;
                Ok(())
            }
        }
    }
}

/// A new seed for a secret link, and the token it stands for. Store the token's digest, put
/// the seed in the mail job; the job derives the same token when it sends the mail.
pub fn new_link_token(secret_key: &str) -> (String, patron_domain::SecretToken) {
    let seed = patron_domain::token::random_urlsafe(32);
    let token = link_token(secret_key, &seed);
    (seed, token)
}

/// The token a link seed stands for: an HMAC of the seed under the secret key (43 URL-safe
/// characters, like every token).
pub fn link_token(secret_key: &str, seed: &str) -> patron_domain::SecretToken {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(secret_key.as_bytes()) {
        Ok(mac) => mac,
        // HMAC accepts keys of any length; never reached
        Err(_) => return patron_domain::SecretToken::generate(),
    };
    mac.update(b"patron-link\0");
    mac.update(seed.as_bytes());
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    patron_domain::SecretToken::parse(&text).unwrap_or_else(patron_domain::SecretToken::generate)
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

fn build(from: &Mailbox, mail: &Mail, message_id: &str) -> Result<Message, MailError> {
    let to: Mailbox = mail.to.parse().map_err(|e| MailError::Invalid(format!("recipient {:?}: {e}", mail.to)))?;
    let domain = from.email.domain();
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.rendered.subject.clone())
        .message_id(Some(format!("<{message_id}@{domain}>")));
    if let Some(url) = &mail.one_click_unsubscribe {
        builder = builder.header(ListUnsubscribe(format!("<{url}>"))).header(ListUnsubscribePost);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(mail.rendered.text.clone(), mail.rendered.html.clone()))
        .map_err(|e| MailError::Invalid(format!("building the mail: {e}")))
}

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl header::Header for ListUnsubscribe {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(value: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(value.to_owned()))
    }

    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl header::Header for ListUnsubscribePost {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::{TlsMode, tls_mode};

    fn mode(url: &str) -> TlsMode {
        tls_mode(&url::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}")))
    }

    #[test]
    fn starttls_is_required_except_on_loopback_or_when_the_url_says_otherwise() {
        assert_eq!(mode("smtps://u:p@mail.example.com:465"), TlsMode::Wrapper);
        assert_eq!(mode("smtp://u:p@mail.example.com:587"), TlsMode::Required);
        assert_eq!(mode("smtp://mailpit:1025"), TlsMode::Required);
        assert_eq!(mode("smtp://127.0.0.1:1025"), TlsMode::Opportunistic);
        assert_eq!(mode("smtp://[::1]:1025"), TlsMode::Opportunistic);
        assert_eq!(mode("smtp://localhost:25?tls=required"), TlsMode::Required);
        assert_eq!(mode("smtp://mailpit:1025?tls=none"), TlsMode::None);
        assert_eq!(mode("smtp://relay.internal:25?tls=opportunistic"), TlsMode::Opportunistic);
    }
}
