//! The backup configuration: Tergum's `tergum.yml` (schema version 3) read strictly. A file
//! Tergum runs is read unchanged, except that mistakes Tergum would ignore are refused: an
//! unknown key is an error naming it, a source or target kind must be exactly one, and with
//! `--expand-env` a variable that is not set is an error instead of an empty string.

use serde::{Deserialize, Deserializer};
use std::collections::HashSet;

/// The schema version this reader understands (Tergum's `Meta.SchemaVersion`).
pub const SCHEMA_VERSION: i64 = 3;

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The text is not YAML of the expected shape (an unknown key, a wrong type).
    #[error("{0}")]
    Parse(String),
    /// `--expand-env` met `$NAME` or `${NAME}` for a variable that is not set.
    #[error("environment variable {name} is not set (line {line}); set it or write the value into the file")]
    MissingVariable { name: String, line: usize },
    /// The file parsed, but these values cannot work; one line per problem, each naming where.
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
}

/// A whole `tergum.yml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Config {
    pub meta: Meta,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub backups: Vec<Backup>,
    #[serde(default)]
    pub notification: Option<Notification>,
    /// Accepted so that Tergum files read unchanged; patron sends no telemetry, whatever it says.
    #[serde(default)]
    pub telemetry: Option<Telemetry>,
    /// patron's addition: Prometheus metrics of each run, so an alert fires when backups stop.
    #[serde(default)]
    pub metrics: Option<Metrics>,
}

/// Where a run's metrics go (patron's addition): a node-exporter textfile, a Pushgateway, or both.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Metrics {
    /// A `.prom` file for node-exporter's textfile collector, replaced atomically each run.
    #[serde(default)]
    pub textfile: String,
    /// A Pushgateway's address (`http://pushgateway:9091`); metrics go to the group
    /// `job=<Job>/backup=<ID>`.
    #[serde(default, rename = "PushgatewayURL")]
    pub pushgateway_url: String,
    /// The `job` label; `patron-backup` when empty.
    #[serde(default)]
    pub job: String,
    /// More labels for the Pushgateway group, e.g. `{namespace: patron}` so that the chart's
    /// alerts, which select by namespace, see pushed metrics as the namespace's own.
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Meta {
    pub schema_version: i64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Settings {
    /// Shown in the summary's subject: `[tergum][<ExtraName>] Backup Summary -- OK`.
    #[serde(default)]
    pub extra_name: String,
    /// Tergum's switch between two implementations; patron has one, so it changes nothing.
    #[serde(default, rename = "UseDoBackupV2")]
    pub use_do_backup_v2: bool,
    /// patron's addition: seconds a backup may take in all before it is stopped as failed
    /// (default six hours).
    #[serde(default)]
    pub backup_timeout: Option<i64>,
    /// patron's addition: seconds any one step may go without progress — a source producing
    /// nothing, a target not taking bytes, a notification not answering — before it fails
    /// (default five minutes).
    #[serde(default)]
    pub stall_timeout: Option<i64>,
}

impl Settings {
    /// How long a whole backup may take.
    pub fn backup_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.backup_timeout.map_or(6 * 3600, i64::unsigned_abs))
    }

    /// How long one step may go without progress.
    pub fn stall_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.stall_timeout.map_or(300, i64::unsigned_abs))
    }
}

/// Tergum's telemetry block, read and ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Telemetry {
    #[serde(default)]
    pub origin: String,
    #[serde(default)]
    pub disable: bool,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub collect_host_data: bool,
    #[serde(default)]
    pub collect_backup_log: bool,
}

/// One backup: a source, what its stream passes through, and where it is stored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Backup {
    #[serde(rename = "ID")]
    pub id: String,
    pub source: Source,
    #[serde(default)]
    pub middlewares: Vec<Middleware>,
    #[serde(default)]
    pub targets: Vec<Target>,
    /// Seconds to wait before this backup starts.
    #[serde(default)]
    pub sleep_before: i64,
}

/// What is backed up: exactly one kind.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Source {
    /// One PostgreSQL database with `pg_dump`.
    Postgres(Postgres),
    /// Every database of a PostgreSQL server with `pg_dumpall`.
    PostgresServer(PostgresServer),
    /// One MySQL/MariaDB database with `mysqldump`.
    Mysql(Mysql),
    /// Every database of a MySQL/MariaDB server.
    MysqlServer(MysqlServer),
    /// A directory as a tar stream.
    Dir(Dir),
    /// One file.
    SingleFile(SingleFile),
    /// Redis's RDB snapshot.
    Redis(Redis),
    /// patron's addition: an SQLite database (patron's embedded one), copied consistently
    /// with `VACUUM INTO` while it is in use.
    Sqlite(Sqlite),
    /// patron's addition: every object under a bucket or prefix (patron's media), as a tar
    /// archive written object by object.
    Storage(StorageSource),
}

impl Source {
    /// The kind's name as the file writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Postgres(_) => "Postgres",
            Source::PostgresServer(_) => "PostgresServer",
            Source::Mysql(_) => "Mysql",
            Source::MysqlServer(_) => "MysqlServer",
            Source::Dir(_) => "Dir",
            Source::SingleFile(_) => "SingleFile",
            Source::Redis(_) => "Redis",
            Source::Sqlite(_) => "Sqlite",
            Source::Storage(_) => "Storage",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Postgres {
    pub host: String,
    #[serde(default, deserialize_with = "port")]
    pub port: Option<String>,
    pub user: String,
    #[serde(default, deserialize_with = "text")]
    pub password: String,
    pub database: String,
    #[serde(default)]
    pub pgdump_extra_args: Vec<String>,
    #[serde(default, rename = "SSLMode")]
    pub ssl_mode: String,
    /// Tergum's custom (binary) format switch; patron dumps in the custom format either way.
    #[serde(default)]
    pub use_binary_backup: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct PostgresServer {
    pub host: String,
    #[serde(default, deserialize_with = "port")]
    pub port: Option<String>,
    pub user: String,
    #[serde(default, deserialize_with = "text")]
    pub password: String,
    #[serde(default)]
    pub pgdumpall_extra_args: Vec<String>,
    #[serde(default, rename = "SSLMode")]
    pub ssl_mode: String,
    #[serde(default)]
    pub use_binary_backup: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Mysql {
    pub host: String,
    #[serde(default, deserialize_with = "port")]
    pub port: Option<String>,
    pub user: String,
    #[serde(default, deserialize_with = "text")]
    pub password: String,
    pub database: String,
    #[serde(default)]
    pub mysqldump_extra_args: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct MysqlServer {
    pub host: String,
    #[serde(default, deserialize_with = "port")]
    pub port: Option<String>,
    pub user: String,
    #[serde(default, deserialize_with = "text")]
    pub password: String,
    #[serde(default)]
    pub mysqldump_extra_args: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Dir {
    pub path: String,
    #[serde(default)]
    pub excludes: Vec<String>,
    /// Go on when a file cannot be read (it changed or vanished while the tar was written).
    #[serde(default)]
    pub ignore_failed_read: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SingleFile {
    pub path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Sqlite {
    /// The database file (`/data/patron.db`); a `sqlite://` URL is accepted too.
    pub path: String,
}

/// A bucket or prefix in patron's storage URL form: `s3://bucket/prefix?endpoint=…&region=…`
/// or `file:///data/media`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct StorageSource {
    #[serde(rename = "URL")]
    pub url: String,
    /// Empty: the standard AWS variables or the instance's role.
    #[serde(default, deserialize_with = "text")]
    pub access_key: String,
    #[serde(default, deserialize_with = "text")]
    pub secret_key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Redis {
    pub host: String,
    #[serde(default, deserialize_with = "port")]
    pub port: Option<String>,
}

/// A stage a backup's stream passes through, in order: exactly one kind per list item.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Middleware {
    /// gzip compression.
    Gzip(Gzip),
    /// Tergum's passphrase encryption (OpenPGP, symmetric).
    SymmetricEncryption(SymmetricEncryption),
    /// Bytes written before the stream.
    Prefix(Prefix),
    /// Bytes written after the stream.
    Suffix(Suffix),
    /// patron's addition: Zstandard compression.
    Zstd(Zstd),
    /// patron's addition: encryption to age public keys (`age1…`); only the holder of a
    /// matching identity can read the backup, and the machine making it holds no secret.
    Age(Age),
}

impl Middleware {
    /// The kind's name as the file writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            Middleware::Gzip(_) => "Gzip",
            Middleware::SymmetricEncryption(_) => "SymmetricEncryption",
            Middleware::Prefix(_) => "Prefix",
            Middleware::Suffix(_) => "Suffix",
            Middleware::Zstd(_) => "Zstd",
            Middleware::Age(_) => "Age",
        }
    }
}

/// `Zstd: {}` or `Zstd: {Level: 19}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Zstd {
    /// 1–22; 3 when not given.
    #[serde(default)]
    pub level: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Age {
    /// age public keys (`age1…`); any one of their identities decrypts.
    pub recipients: Vec<String>,
}

/// `Gzip: {}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gzip {}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct SymmetricEncryption {
    #[serde(deserialize_with = "text")]
    pub passphrase: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Prefix {
    pub prefix: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Suffix {
    pub suffix: String,
}

/// Where a backup is stored: an ID and exactly one of the kinds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Target {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(default)]
    pub middlewares: Vec<Middleware>,
    #[serde(default, rename = "S3")]
    pub s3: Option<S3>,
    #[serde(default)]
    pub file: Option<File>,
    #[serde(default)]
    pub file_path: Option<FilePath>,
}

/// The one kind a target has.
#[derive(Debug, Clone, Copy)]
pub enum TargetKind<'a> {
    S3(&'a S3),
    File(&'a File),
    FilePath(&'a FilePath),
}

impl Target {
    /// The target's kind, when exactly one is given.
    pub fn kind(&self) -> Option<TargetKind<'_>> {
        match (&self.s3, &self.file, &self.file_path) {
            (Some(s3), None, None) => Some(TargetKind::S3(s3)),
            (None, Some(file), None) => Some(TargetKind::File(file)),
            (None, None, Some(path)) => Some(TargetKind::FilePath(path)),
            _ => None,
        }
    }
}

impl TargetKind<'_> {
    /// The kind's name as the file writes it.
    pub fn name(&self) -> &'static str {
        match self {
            TargetKind::S3(_) => "S3",
            TargetKind::File(_) => "File",
            TargetKind::FilePath(_) => "FilePath",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct S3 {
    /// Empty: the standard AWS variables or the instance's role.
    #[serde(default, deserialize_with = "text")]
    pub access_key: String,
    #[serde(default, deserialize_with = "text")]
    pub secret_key: String,
    #[serde(default)]
    pub region: String,
    /// Any S3-compatible service (`https://fra1.digitaloceanspaces.com`); empty means AWS.
    #[serde(default)]
    pub endpoint: String,
    pub bucket_name: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub suffix: String,
    #[serde(default)]
    pub upload_retries: i64,
    #[serde(default)]
    pub retention: Option<Retention>,
}

/// Which stored backups to keep; 0 means the rule is off. `KeepCount` and `KeepDays` are
/// Tergum's; `KeepDaily`, `KeepWeekly` and `KeepMonthly` (grandfather-father-son) are patron's
/// additions. See [`crate::retention::Policy`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Retention {
    #[serde(default)]
    pub keep_count: i64,
    #[serde(default)]
    pub keep_days: i64,
    #[serde(default)]
    pub keep_daily: i64,
    #[serde(default)]
    pub keep_weekly: i64,
    #[serde(default)]
    pub keep_monthly: i64,
}

impl Retention {
    /// The policy, when every number is usable (not negative, at most a million).
    pub fn policy(&self) -> Option<crate::retention::Policy> {
        let n = |value: i64| u32::try_from(value).ok().filter(|n| *n <= 1_000_000);
        Some(crate::retention::Policy {
            keep_count: n(self.keep_count)?,
            keep_days: n(self.keep_days)?,
            keep_daily: n(self.keep_daily)?,
            keep_weekly: n(self.keep_weekly)?,
            keep_monthly: n(self.keep_monthly)?,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct File {
    pub dir: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub suffix: String,
    /// patron's addition: the same retention as on S3 (Tergum has it on S3 only).
    #[serde(default)]
    pub retention: Option<Retention>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct FilePath {
    pub path: String,
}

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

/// A scalar read as the text the file has, quoted or not: Tergum's ports and passwords are
/// strings, and `Port: 5432` or `Password: 0123` must not become numbers (`0123` would lose its
/// zero). An empty value (`Password:`, or a variable expanded to nothing) is empty text.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// A port as text; empty means the tool's default.
fn port<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.filter(|port| !port.is_empty()))
}

/// Replaces `$NAME` and `${NAME}` with the variable's value from `lookup`, as Tergum's
/// `--expand-env` does; a variable that is not set is an error naming it and its line. A `$`
/// not followed by a name is kept.
pub fn expand_env(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    // comment lines are kept as written: a `${NAME}` explained in a comment is not a value
    let mut out = String::with_capacity(text.len());
    for (number, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with('#') {
            out.push_str(line);
        } else {
            out.push_str(
                &expand_line(line, &lookup).map_err(|name| ConfigError::MissingVariable { name, line: number + 1 })?,
            );
        }
    }
    Ok(out)
}

/// One line with its variables replaced, or the name of one that is not set.
fn expand_line(text: &str, lookup: &impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            (&after[..end], end)
        };
        let is_name = !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit());
        if !is_name || consumed == 0 {
            out.push('$');
            rest = after;
            continue;
        }
        match lookup(name) {
            Some(value) => out.push_str(&value),
            None => return Err(name.to_owned()),
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

impl Config {
    /// Reads a configuration from YAML text (already expanded, when asked to be) and checks it.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = serde_saphyr::from_str(text).map_err(|error| ConfigError::Parse(error.to_string()))?;
        let problems = config.problems();
        if problems.is_empty() { Ok(config) } else { Err(ConfigError::Invalid(problems)) }
    }

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
            if backup.sleep_before < 0 {
                problems.push(format!("{at}.SleepBefore: must not be negative"));
            }
            source_problems(&backup.source, &format!("{at}.Source.{}", backup.source.kind()), &mut problems);
            middleware_problems(&backup.middlewares, &format!("{at}.Middlewares"), &mut problems);
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
                middleware_problems(&target.middlewares, &format!("{at}.Middlewares"), &mut problems);
                match target.kind() {
                    None => problems.push(format!("{at}: give exactly one of S3, File or FilePath")),
                    Some(TargetKind::S3(s3)) => s3_problems(s3, &format!("{at}.S3"), &mut problems),
                    Some(TargetKind::File(file)) => {
                        if file.dir.trim().is_empty() {
                            problems.push(format!("{at}.File.Dir: is empty"));
                        }
                        if let Some(retention) = &file.retention {
                            retention_problems(retention, &format!("{at}.File.Retention"), &mut problems);
                        }
                    }
                    Some(TargetKind::FilePath(path)) => {
                        if path.path.trim().is_empty() {
                            problems.push(format!("{at}.FilePath.Path: is empty"));
                        }
                    }
                }
            }
        }
        for (value, at) in [
            (self.settings.backup_timeout, "Settings.BackupTimeout"),
            (self.settings.stall_timeout, "Settings.StallTimeout"),
        ] {
            if value.is_some_and(|seconds| seconds < 1) {
                problems.push(format!("{at}: must be at least 1 second"));
            }
        }
        if let Some(metrics) = &self.metrics {
            if metrics.textfile.is_empty() && metrics.pushgateway_url.is_empty() {
                problems.push("Metrics: give Textfile, PushgatewayURL or both".to_owned());
            }
            if !metrics.pushgateway_url.is_empty()
                && !metrics.pushgateway_url.starts_with("http://")
                && !metrics.pushgateway_url.starts_with("https://")
            {
                problems
                    .push(format!("Metrics.PushgatewayURL: {:?} is not an http(s) address", metrics.pushgateway_url));
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
        if let Some(notification) = &self.notification {
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
                port_problem(email.smtp_port.as_deref(), "Notification.Backend.Email.SmtpPort", &mut problems);
            }
        }
        problems
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
