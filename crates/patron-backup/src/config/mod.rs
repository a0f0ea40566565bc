//! The backup configuration: Tergum's `tergum.yml` (schema version 3) read strictly. A file
//! Tergum runs is read unchanged, except that mistakes Tergum would ignore are refused: an
//! unknown key is an error naming it, a source or target kind must be exactly one, and with
//! `--expand-env` a variable that is not set is an error instead of an empty string.

mod env;
mod notification;
mod problems;
mod source;
mod target;

pub use env::expand_env;
pub use notification::{EmailBackend, EmailRule, Notification, NotificationBackend, NotificationTarget, SlackWebhook};
pub use source::{Dir, Mysql, MysqlServer, Postgres, PostgresServer, Redis, SingleFile, Source, Sqlite, StorageSource};
pub use target::{
    Age, File, FilePath, Gzip, Middleware, Prefix, Retention, S3, Suffix, SymmetricEncryption, Target, TargetKind, Zstd,
};

use serde::{Deserialize, Deserializer};

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

impl Config {
    /// Reads a configuration from YAML text (already expanded, when asked to be) and checks it.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = serde_saphyr::from_str(text).map_err(|error| ConfigError::Parse(error.to_string()))?;
        let problems = config.problems();
        if problems.is_empty() { Ok(config) } else { Err(ConfigError::Invalid(problems)) }
    }
}
