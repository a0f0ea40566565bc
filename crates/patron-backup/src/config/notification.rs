//! Who hears about a run: e-mail through an SMTP server, or Slack webhooks.

use super::{port, text};
use serde::Deserialize;

/// Who hears about a run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Notification {
    #[serde(default)]
    pub backend: NotificationBackend,
    #[serde(default)]
    pub targets: Vec<NotificationTarget>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NotificationBackend {
    #[serde(default)]
    pub email: Option<EmailBackend>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EmailBackend {
    pub smtp_host: String,
    #[serde(default, deserialize_with = "port")]
    pub smtp_port: Option<String>,
    #[serde(default)]
    pub username: String,
    #[serde(default, deserialize_with = "text")]
    pub password: String,
    pub from: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NotificationTarget {
    /// Only when a backup or target failed (as `SendOK: false`).
    #[serde(default)]
    pub on_error_only: bool,
    #[serde(default)]
    pub email: Option<EmailRule>,
    #[serde(default)]
    pub slack_webhook: Option<SlackWebhook>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EmailRule {
    pub emails: Vec<String>,
    /// Also mail when everything succeeded.
    #[serde(default, rename = "SendOK")]
    pub send_ok: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SlackWebhook {
    #[serde(rename = "URLs")]
    pub urls: Vec<String>,
    #[serde(default, rename = "SendOK")]
    pub send_ok: bool,
}
