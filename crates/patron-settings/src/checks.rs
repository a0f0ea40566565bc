//! The rules that involve more than one setting. They run once every setting is typed, so
//! they compare the values as patron will use them, defaults included.

use crate::raw::RawValues;
use crate::{Mode, Settings};
use std::time::Duration;

impl Settings {
    /// Rules that involve more than one setting.
    pub(crate) fn cross_check(&self, raw: &RawValues, problems: &mut Vec<String>) {
        let name = |key: &str| raw.origin_name(key);
        if self.mode() == Mode::Cloud && self.secret_key.is_none() {
            problems.push(format!(
                "{}: is required when {} is postgres:// (cloud mode), so that every replica signs \
                 alike; set it from a Kubernetes Secret (or {}_FILE)",
                name("secret_key"),
                name("database_url"),
                name("secret_key"),
            ));
        }
        if let Some(metrics) = &self.metrics_listen
            && metrics == &self.listen
            && metrics.port() != 0
        {
            problems.push(format!(
                "{}: must differ from {} (both are {})",
                name("metrics_listen"),
                name("listen"),
                metrics
            ));
        }
        if self.s3_access_key_id.is_some() != self.s3_secret_access_key.is_some() {
            problems.push(format!(
                "{} and {}: set both or neither",
                name("s3_access_key_id"),
                name("s3_secret_access_key")
            ));
        }
        if self.media.url_ttl < Duration::from_secs(10) || self.media.url_ttl > Duration::from_secs(7 * 24 * 3600) {
            problems.push(format!("{}: must be from 10s to 7 days (S3's longest)", name("media_url_ttl")));
        }
        if self.body_limit < 1024 {
            problems.push(format!("{}: must be at least 1KiB", name("body_limit")));
        }
        if self.request_timeout.is_zero() {
            problems.push(format!("{}: must be longer than 0s", name("request_timeout")));
        }
        if self.session_ttl < Duration::from_secs(60) {
            problems.push(format!("{}: must be at least 1m", name("session_ttl")));
        }
        if self.login_window.is_zero() {
            problems.push(format!("{}: must be longer than 0s", name("login_window")));
        }
        if self.job_lease < Duration::from_secs(3) {
            problems.push(format!("{}: must be at least 3s", name("job_lease")));
        }
        if self.smtp_timeout < Duration::from_secs(1) {
            problems.push(format!("{}: must be at least 1s", name("smtp_timeout")));
        }
    }
}
