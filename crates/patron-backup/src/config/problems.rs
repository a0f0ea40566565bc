//! What a configuration that parsed still cannot do: every problem found, one line each,
//! naming its place in the file.

use super::{
    Backup, Config, Metrics, Middleware, Notification, Retention, S3, SCHEMA_VERSION, Settings, Source, Target,
    TargetKind,
};
use std::collections::HashSet;

impl Config {
    /// What cannot work, one line each, naming the place (`Backups[0] (db): …`).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.meta.schema_version != SCHEMA_VERSION {
            problems.push(format!(
                "Meta.SchemaVersion: {} is not supported; this is schema version {SCHEMA_VERSION}",
                self.meta.schema_version
            ));
        }
        if self.backups.is_empty() {
            problems.push("Backups: there is no backup".to_owned());
        }
        let mut ids = HashSet::new();
        for (index, backup) in self.backups.iter().enumerate() {
            let at = format!("Backups[{index}] ({})", backup.id);
            if backup.id.trim().is_empty() {
                problems.push(format!("Backups[{index}].ID: is empty"));
            } else if !ids.insert(backup.id.as_str()) {
                problems.push(format!("{at}.ID: another backup has the same ID"));
            }
            backup_problems(backup, &at, &mut problems);
        }
        settings_problems(&self.settings, &mut problems);
        if let Some(metrics) = &self.metrics {
            metrics_problems(metrics, &mut problems);
        }
        if let Some(notification) = &self.notification {
            notification_problems(notification, &mut problems);
        }
        problems
    }
}

/// One backup's own values, its source's, its middlewares' and its targets'.
fn backup_problems(backup: &Backup, at: &str, problems: &mut Vec<String>) {
    if backup.sleep_before < 0 {
        problems.push(format!("{at}.SleepBefore: must not be negative"));
    }
    source_problems(&backup.source, &format!("{at}.Source.{}", backup.source.kind()), problems);
    middleware_problems(&backup.middlewares, &format!("{at}.Middlewares"), problems);
    if backup.targets.is_empty() {
        problems.push(format!("{at}.Targets: there is no target"));
    }
    let mut target_ids = HashSet::new();
    for (t, target) in backup.targets.iter().enumerate() {
        let at = format!("{at}.Targets[{t}] ({})", target.id);
        if target.id.trim().is_empty() {
            problems.push(format!("{at}.ID: is empty"));
        } else if !target_ids.insert(target.id.as_str()) {
            problems.push(format!("{at}.ID: another target of this backup has the same ID"));
        }
        target_problems(target, &at, problems);
    }
}

/// One target's middlewares and its one kind.
fn target_problems(target: &Target, at: &str, problems: &mut Vec<String>) {
    middleware_problems(&target.middlewares, &format!("{at}.Middlewares"), problems);
    match target.kind() {
        None => problems.push(format!("{at}: give exactly one of S3, File or FilePath")),
        Some(TargetKind::S3(s3)) => s3_problems(s3, &format!("{at}.S3"), problems),
        Some(TargetKind::File(file)) => {
            if file.dir.trim().is_empty() {
                problems.push(format!("{at}.File.Dir: is empty"));
            }
            if let Some(retention) = &file.retention {
                retention_problems(retention, &format!("{at}.File.Retention"), problems);
            }
        }
        Some(TargetKind::FilePath(path)) => {
            if path.path.trim().is_empty() {
                problems.push(format!("{at}.FilePath.Path: is empty"));
            }
        }
    }
}

fn settings_problems(settings: &Settings, problems: &mut Vec<String>) {
    for (value, at) in
        [(settings.backup_timeout, "Settings.BackupTimeout"), (settings.stall_timeout, "Settings.StallTimeout")]
    {
        if value.is_some_and(|seconds| seconds < 1) {
            problems.push(format!("{at}: must be at least 1 second"));
        }
    }
}

fn metrics_problems(metrics: &Metrics, problems: &mut Vec<String>) {
    if metrics.textfile.is_empty() && metrics.pushgateway_url.is_empty() {
        problems.push("Metrics: give Textfile, PushgatewayURL or both".to_owned());
    }
    if !metrics.pushgateway_url.is_empty()
        && !metrics.pushgateway_url.starts_with("http://")
        && !metrics.pushgateway_url.starts_with("https://")
    {
        problems.push(format!("Metrics.PushgatewayURL: {:?} is not an http(s) address", metrics.pushgateway_url));
    }
    for name in metrics.labels.keys() {
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with("__");
        if !valid || ["job", "backup", "target"].contains(&name.as_str()) {
            problems.push(format!(
                "Metrics.Labels: {name:?} is not a label name patron can add (letters, digits, _; not job, backup or target)"
            ));
        }
    }
}

fn notification_problems(notification: &Notification, problems: &mut Vec<String>) {
    for (index, target) in notification.targets.iter().enumerate() {
        let at = format!("Notification.Targets[{index}]");
        match (&target.email, &target.slack_webhook) {
            (Some(email), None) => {
                if notification.backend.email.is_none() {
                    problems.push(format!("{at}.Email: needs Notification.Backend.Email (the SMTP server)"));
                }
                if email.emails.is_empty() {
                    problems.push(format!("{at}.Email.Emails: is empty"));
                }
            }
            (None, Some(slack)) => {
                if slack.urls.is_empty() {
                    problems.push(format!("{at}.SlackWebhook.URLs: is empty"));
                }
                for url in &slack.urls {
                    if !url.starts_with("https://") && !url.starts_with("http://") {
                        problems.push(format!("{at}.SlackWebhook.URLs: {url:?} is not an http(s) address"));
                    }
                }
            }
            _ => problems.push(format!("{at}: give exactly one of Email or SlackWebhook")),
        }
    }
    if let Some(email) = &notification.backend.email {
        port_problem(email.smtp_port.as_deref(), "Notification.Backend.Email.SmtpPort", problems);
    }
}

fn port_problem(port: Option<&str>, at: &str, problems: &mut Vec<String>) {
    if let Some(port) = port
        && !matches!(port.parse::<u16>(), Ok(1..))
    {
        problems.push(format!("{at}: {port:?} is not a port (1–65535)"));
    }
}

fn required(value: &str, at: &str, problems: &mut Vec<String>) {
    if value.trim().is_empty() {
        problems.push(format!("{at}: is empty"));
    }
}

fn source_problems(source: &Source, at: &str, problems: &mut Vec<String>) {
    match source {
        Source::Postgres(s) => {
            required(&s.host, &format!("{at}.Host"), problems);
            required(&s.user, &format!("{at}.User"), problems);
            required(&s.database, &format!("{at}.Database"), problems);
            port_problem(s.port.as_deref(), &format!("{at}.Port"), problems);
            ssl_mode_problem(&s.ssl_mode, &format!("{at}.SSLMode"), problems);
        }
        Source::PostgresServer(s) => {
            required(&s.host, &format!("{at}.Host"), problems);
            required(&s.user, &format!("{at}.User"), problems);
            port_problem(s.port.as_deref(), &format!("{at}.Port"), problems);
            ssl_mode_problem(&s.ssl_mode, &format!("{at}.SSLMode"), problems);
        }
        Source::Mysql(s) => {
            required(&s.host, &format!("{at}.Host"), problems);
            required(&s.user, &format!("{at}.User"), problems);
            required(&s.database, &format!("{at}.Database"), problems);
            port_problem(s.port.as_deref(), &format!("{at}.Port"), problems);
        }
        Source::MysqlServer(s) => {
            required(&s.host, &format!("{at}.Host"), problems);
            required(&s.user, &format!("{at}.User"), problems);
            port_problem(s.port.as_deref(), &format!("{at}.Port"), problems);
        }
        Source::Dir(s) => required(&s.path, &format!("{at}.Path"), problems),
        Source::SingleFile(s) => required(&s.path, &format!("{at}.Path"), problems),
        Source::Redis(s) => {
            required(&s.host, &format!("{at}.Host"), problems);
            port_problem(s.port.as_deref(), &format!("{at}.Port"), problems);
        }
        Source::Sqlite(s) => required(&s.path, &format!("{at}.Path"), problems),
        Source::Storage(s) => {
            if let Err(error) = patron_settings::StorageUrl::parse(&s.url) {
                problems.push(format!("{at}.URL: {error}"));
            }
            if s.access_key.is_empty() != s.secret_key.is_empty() {
                problems.push(format!("{at}: give both AccessKey and SecretKey, or neither (the AWS environment)"));
            }
        }
    }
}

fn ssl_mode_problem(mode: &str, at: &str, problems: &mut Vec<String>) {
    const MODES: [&str; 6] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
    if !mode.is_empty() && !MODES.contains(&mode) {
        problems.push(format!("{at}: {mode:?} is not one of {}", MODES.join(", ")));
    }
}

fn middleware_problems(middlewares: &[Middleware], at: &str, problems: &mut Vec<String>) {
    for (index, middleware) in middlewares.iter().enumerate() {
        match middleware {
            Middleware::SymmetricEncryption(encryption) if encryption.passphrase.is_empty() => {
                problems.push(format!("{at}[{index}].SymmetricEncryption.Passphrase: is empty"));
            }
            Middleware::Zstd(zstd) if zstd.level.is_some_and(|level| !(1..=22).contains(&level)) => {
                problems.push(format!("{at}[{index}].Zstd.Level: must be between 1 and 22"));
            }
            Middleware::Age(age) => {
                if age.recipients.is_empty() {
                    problems.push(format!("{at}[{index}].Age.Recipients: is empty"));
                }
                for recipient in &age.recipients {
                    if !recipient.starts_with("age1") {
                        problems.push(format!(
                            "{at}[{index}].Age.Recipients: {recipient:?} is not an age public key (age1…)"
                        ));
                    }
                }
            }
            _ => {}
        }
    }
}

fn s3_problems(s3: &S3, at: &str, problems: &mut Vec<String>) {
    required(&s3.bucket_name, &format!("{at}.BucketName"), problems);
    if s3.region.trim().is_empty() && s3.endpoint.trim().is_empty() {
        problems.push(format!("{at}: give Region (AWS) or Endpoint (any S3-compatible service)"));
    }
    if !s3.endpoint.is_empty() && !s3.endpoint.starts_with("https://") && !s3.endpoint.starts_with("http://") {
        problems.push(format!("{at}.Endpoint: {:?} is not an http(s) address", s3.endpoint));
    }
    if s3.access_key.is_empty() != s3.secret_key.is_empty() {
        problems.push(format!("{at}: give both AccessKey and SecretKey, or neither (the AWS environment)"));
    }
    if s3.upload_retries < 0 {
        problems.push(format!("{at}.UploadRetries: must not be negative"));
    }
    // Tergum requires both, and they are what tells this backup's objects from others'
    required(&s3.prefix, &format!("{at}.Prefix"), problems);
    required(&s3.suffix, &format!("{at}.Suffix"), problems);
    if let Some(retention) = &s3.retention {
        retention_problems(retention, &format!("{at}.Retention"), problems);
    }
}

fn retention_problems(retention: &Retention, at: &str, problems: &mut Vec<String>) {
    match retention.policy() {
        None => problems.push(format!(
            "{at}: KeepCount, KeepDays, KeepDaily, KeepWeekly and KeepMonthly must be between 0 and 1000000"
        )),
        Some(policy) if !policy.is_set() => {
            problems.push(format!("{at}: give at least one of KeepCount, KeepDays, KeepDaily, KeepWeekly, KeepMonthly"))
        }
        Some(_) => {}
    }
}
