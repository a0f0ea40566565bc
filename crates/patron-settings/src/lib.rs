//! patron's settings: one typed struct, loaded once from defaults, an optional TOML file and
//! `PATRON_*` environment variables (later sources win), and checked before anything starts.
//!
//! Every problem is collected, not just the first, and each message names the setting the
//! way the operator wrote it (`PATRON_LISTEN` or `listen (in patron.toml)`) and the form it
//! expects. Secrets are [`SecretString`]s and [`SecretUrl`]s, which never print.
//!
//! The talk's team lost payment signatures to a Helm value that silently turned into a float
//! (lesson 4): values that are text stay text — a number in the TOML file where text is
//! expected is an error, not a conversion.

mod secret;
mod values;

pub use secret::{SecretString, SecretUrl, redact_url};
pub use values::cron;
pub use values::{CacheUrl, DatabaseUrl, ListenAddr, LogFormat, StorageUrl};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a setting holds, which decides how TOML values are accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text: only TOML strings are accepted.
    Text,
    /// A whole number: TOML integers or strings of digits.
    Number,
    /// A duration such as `25s` or `15m`: TOML strings, or integers meaning seconds.
    Duration,
    /// A size such as `1MiB`: TOML strings, or integers meaning bytes.
    Size,
    /// A list: a TOML array of strings, or comma-separated text.
    List,
}

/// One setting: its name, what it holds and whether it is secret. The table of all of them
/// ([`DEFINITIONS`]) drives parsing and unknown-key detection.
#[derive(Clone, Copy, Debug)]
pub struct Definition {
    /// The key in the TOML file; the environment variable is `PATRON_` + this in upper case.
    pub key: &'static str,
    /// What the value holds.
    pub kind: Kind,
    /// Whether the value is a secret (never printed; `PATRON_…_FILE` may point to a file).
    pub secret: bool,
}

impl Definition {
    /// The environment variable name (`PATRON_LISTEN`).
    pub fn env_name(&self) -> String {
        format!("PATRON_{}", self.key.to_ascii_uppercase())
    }
}

macro_rules! definitions {
    ($($key:literal, $kind:ident, $secret:literal;)*) => {
        /// Every setting patron reads. Defaults live in [`Settings::load`]; the README's
        /// settings table documents them all (a test keeps it complete).
        pub const DEFINITIONS: &[Definition] = &[
            $(Definition { key: $key, kind: Kind::$kind, secret: $secret },)*
        ];
    };
}

definitions! {
    "data_dir", Text, false;
    "listen", Text, false;
    "public_url", Text, false;
    "database_url", Text, true;
    "database_max_connections", Number, false;
    "storage_url", Text, false;
    "s3_access_key_id", Text, false;
    "s3_secret_access_key", Text, true;
    "media_url_ttl", Duration, false;
    "upload_max_image", Size, false;
    "upload_max_video", Size, false;
    "upload_max_audio", Size, false;
    "upload_max_document", Size, false;
    "uploads_per_hour", Number, false;
    "image_max_pixels", Number, false;
    "ffmpeg", Text, false;
    "cache_url", Text, true;
    "smtp_url", Text, true;
    "mail_from", Text, false;
    "smtp_timeout", Duration, false;
    "secret_key", Text, true;
    "log_format", Text, false;
    "log_level", Text, false;
    "trusted_proxies", List, false;
    "metrics_listen", Text, false;
    "otlp_endpoint", Text, false;
    "shutdown_grace", Duration, false;
    "shutdown_delay", Duration, false;
    "request_timeout", Duration, false;
    "body_limit", Size, false;
    "session_ttl", Duration, false;
    "login_max_attempts_per_account", Number, false;
    "login_max_attempts_per_ip", Number, false;
    "login_window", Duration, false;
    "max_tiers", Number, false;
    "worker_concurrency", Number, false;
    "job_lease", Duration, false;
    "schedule_session_cleanup", Text, false;
    "schedule_job_cleanup", Text, false;
    "schedule_digest", Text, false;
    "schedule_media_cleanup", Text, false;
    "schedule_membership_renewal", Text, false;
    "payment_sandbox", Text, false;
    "renewal_retries", List, false;
    "gpwebpay_merchant_number", Text, false;
    "gpwebpay_url", Text, false;
    "gpwebpay_private_key", Text, true;
    "gpwebpay_private_key_password", Text, true;
    "gpwebpay_public_key", Text, false;
}

/// The scheduled jobs: name, setting key of its cron expression, default expression.
pub const SCHEDULES: &[(&str, &str, &str)] = &[
    ("session-cleanup", "schedule_session_cleanup", "17 * * * *"),
    ("job-cleanup", "schedule_job_cleanup", "43 3 * * *"),
    ("digest", "schedule_digest", "0 7 * * 1"),
    ("media-cleanup", "schedule_media_cleanup", "23 4 * * *"),
    ("membership-renewal", "schedule_membership_renewal", "*/10 * * * *"),
];

/// Where a value came from; error messages name it the way the operator wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// An environment variable.
    Env(String),
    /// A file named by a `PATRON_…_FILE` environment variable.
    EnvFile(String),
    /// A key in the TOML file.
    File { key: String, path: PathBuf },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Env(name) => f.write_str(name),
            Origin::EnvFile(name) => write!(f, "{name} (file contents)"),
            Origin::File { key, path } => write!(f, "{key} (in {})", path.display()),
        }
    }
}

/// The settings could not be loaded; every problem found is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// One line per problem, each naming the setting.
    pub problems: Vec<String>,
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            f.write_str(problem)?;
        }
        Ok(())
    }
}

impl std::error::Error for SettingsError {}

/// Which of the two deployment shapes the settings describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One machine: SQLite in the data folder, migrations on start, generated secret key.
    Embedded,
    /// Cloud: PostgreSQL; migrations by `patron migrate`; the secret key must be given.
    Cloud,
}

/// All of patron's settings, typed and validated.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Folder for the embedded database, local storage and the generated secret key.
    pub data_dir: PathBuf,
    /// Where the web server listens.
    pub listen: ListenAddr,
    /// The URL people use to reach patron, without a trailing slash.
    pub public_url: url::Url,
    /// The database.
    pub database_url: DatabaseUrl,
    /// Connection pool size.
    pub database_max_connections: u32,
    /// Object storage.
    pub storage_url: StorageUrl,
    /// The access key for an `s3://` storage; `None` uses the AWS variables or the instance's
    /// role.
    pub s3_access_key_id: Option<String>,
    /// The secret for `s3_access_key_id`.
    pub s3_secret_access_key: Option<SecretString>,
    /// Media limits and tools.
    pub media: MediaSettings,
    /// Whether the built-in sandbox payment gateway is offered (on by default in embedded
    /// mode, off unless enabled in cloud mode).
    pub payment_sandbox: bool,
    /// After a failed renewal charge, when to try again (counted from when it was due); once
    /// they are used up the membership expires.
    pub renewal_retries: Vec<Duration>,
    /// The GP webpay merchant number: digits kept as text, never a number (a 19-digit value
    /// would lose digits as a float — the talk's lost signatures, lesson 4).
    pub gpwebpay_merchant_number: Option<String>,
    /// GP webpay, when all of its settings are given.
    pub gpwebpay: Option<GpWebpaySettings>,
    /// Cache.
    pub cache_url: CacheUrl,
    /// Outgoing mail server; `None` writes e-mails to the log and the outbox table.
    pub smtp_url: Option<SecretUrl>,
    /// The sender of patron's mails (`patron <noreply@example.com>`).
    pub mail_from: String,
    /// How long one SMTP step may take; a whole send gets twice this.
    pub smtp_timeout: Duration,
    /// The key that signs tokens; `None` in embedded mode means "generate into the data folder".
    pub secret_key: Option<SecretString>,
    /// Log format; `None` picks pretty on a terminal and JSON otherwise.
    pub log_format: Option<LogFormat>,
    /// Log filter directives.
    pub log_level: String,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A separate listener for the operations endpoints.
    pub metrics_listen: Option<ListenAddr>,
    /// Where traces are exported over OTLP/HTTP.
    pub otlp_endpoint: Option<url::Url>,
    /// How long in-flight requests may finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// How long to keep accepting connections, while not ready, after a shutdown signal.
    pub shutdown_delay: Duration,
    /// Longest time one request may take.
    pub request_timeout: Duration,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Lifetime of an unused session or API token.
    pub session_ttl: Duration,
    /// Failed log-ins allowed per account within `login_window`.
    pub login_max_attempts_per_account: u32,
    /// Log-in attempts allowed per client IP within `login_window`.
    pub login_max_attempts_per_ip: u32,
    /// The window of the log-in rate limits.
    pub login_window: Duration,
    /// The most active (not archived) tiers a creator may have.
    pub max_tiers: u32,
    /// Jobs one worker runs at the same time.
    pub worker_concurrency: u32,
    /// How long a worker's claim on a job holds without a heartbeat (it beats every third
    /// of this): how soon another worker takes over the jobs of one that died.
    pub job_lease: Duration,
    /// Cron expression (minute hour day month weekday, UTC, optionally seconds first) of each
    /// scheduled job by name;
    /// `None` when disabled with a blank value.
    pub schedules: BTreeMap<&'static str, Option<String>>,
    /// Things worth telling the operator that do not stop the start (e.g. unknown variables).
    pub warnings: Vec<String>,
}

/// GP webpay's settings.
#[derive(Clone, Debug)]
pub struct GpWebpaySettings {
    /// The gateway's payment address.
    pub url: url::Url,
    /// The merchant number, as text.
    pub merchant_number: String,
    /// The merchant's private key (encrypted PKCS #8 PEM).
    pub private_key: SecretString,
    /// Its password.
    pub private_key_password: SecretString,
    /// The gateway's public key (PEM).
    pub public_key: String,
}

/// Limits and tools for uploaded media.
#[derive(Clone, Debug)]
pub struct MediaSettings {
    /// How long a signed URL for gated or private media stays valid.
    pub url_ttl: Duration,
    /// Largest image upload, in bytes.
    pub max_image: u64,
    /// Largest video upload, in bytes.
    pub max_video: u64,
    /// Largest audio upload, in bytes.
    pub max_audio: u64,
    /// Largest document (PDF) upload, in bytes.
    pub max_document: u64,
    /// Uploads one user may start per hour.
    pub uploads_per_hour: u32,
    /// Largest image, in pixels, that is decoded (a decompression-bomb limit).
    pub image_max_pixels: u64,
    /// The ffmpeg program for video; `None` plays videos as uploaded.
    pub ffmpeg: Option<PathBuf>,
}

/// The environment variables that the loader itself reads besides the settings.
const LOADER_VARIABLES: &[&str] = &["PATRON_CONFIG"];

impl Settings {
    /// Loads settings from the optional TOML file at `config_file` and the given environment
    /// (pass `std::env::vars()` in production).
    pub fn load(
        config_file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let env: BTreeMap<String, String> = env.into_iter().collect();
        let mut problems = Vec::new();
        let mut raw = RawValues::default();

        if let Some(path) = config_file {
            raw.read_file(path, &mut problems);
        }
        let warnings = raw.read_env(&env, &mut problems);
        let settings = Self::from_raw(&raw, warnings, &mut problems);
        if problems.is_empty() { Ok(settings) } else { Err(SettingsError { problems }) }
    }

    /// Loads settings from the environment only, with everything else at its default.
    pub fn from_env_map(env: &[(&str, &str)]) -> Result<Self, SettingsError> {
        Self::load(None, env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    /// Embedded or cloud, decided by the database URL.
    pub fn mode(&self) -> Mode {
        match self.database_url {
            DatabaseUrl::Sqlite { .. } => Mode::Embedded,
            DatabaseUrl::Postgres(_) => Mode::Cloud,
        }
    }

    /// Whether cookies must carry the `Secure` attribute.
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    fn from_raw(raw: &RawValues, warnings: Vec<String>, problems: &mut Vec<String>) -> Self {
        let mut p = Parser { raw, problems };

        let data_dir = p.get("data_dir").map(|(v, _)| PathBuf::from(v)).unwrap_or_else(|| PathBuf::from("./data"));
        let listen = p.parse("listen", ListenAddr::parse).unwrap_or_else(ListenAddr::default_listen);
        let public_url = match p.parse("public_url", values::parse_public_url) {
            Some(url) => url,
            None => listen.default_public_url(),
        };
        let database_url = p
            .parse("database_url", DatabaseUrl::parse)
            .unwrap_or_else(|| DatabaseUrl::Sqlite { path: data_dir.join("patron.db") });
        let database_max_connections = p.number("database_max_connections", 1, 1000).unwrap_or(10);
        let storage_url = p
            .parse("storage_url", StorageUrl::parse)
            .unwrap_or_else(|| StorageUrl::File { root: data_dir.join("storage") });
        let s3_access_key_id = p.parse("s3_access_key_id", |v| Ok(v.to_owned())).filter(|v| !v.is_empty());
        let s3_secret_access_key =
            p.parse("s3_secret_access_key", |v| Ok(SecretString::new(v))).filter(|v| !v.expose().is_empty());
        let media = MediaSettings {
            url_ttl: p.duration("media_url_ttl").unwrap_or(Duration::from_secs(300)),
            max_image: p.size("upload_max_image").unwrap_or(25 << 20) as u64,
            max_video: p.size("upload_max_video").unwrap_or(4 << 30) as u64,
            max_audio: p.size("upload_max_audio").unwrap_or(1 << 30) as u64,
            max_document: p.size("upload_max_document").unwrap_or(25 << 20) as u64,
            uploads_per_hour: p.number("uploads_per_hour", 1, 1_000_000).unwrap_or(120),
            image_max_pixels: u64::from(p.number("image_max_pixels", 1_000_000, 1_000_000_000).unwrap_or(50_000_000)),
            ffmpeg: match p.get("ffmpeg") {
                Some((value, _)) if value.trim().is_empty() => None,
                Some((value, _)) => Some(PathBuf::from(value.trim())),
                None => values::find_program("ffmpeg"),
            },
        };
        let payment_sandbox = p.parse("payment_sandbox", |value| match value.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Ok(Some(true)),
            "false" | "off" | "no" | "0" => Ok(Some(false)),
            "" => Ok(None),
            _ => Err(format!("{value:?} is not true or false")),
        });
        let renewal_retries = p
            .parse("renewal_retries", |value| {
                value.split(',').map(str::trim).filter(|d| !d.is_empty()).map(values::parse_duration).collect()
            })
            .unwrap_or_else(|| {
                vec![Duration::from_secs(86_400), Duration::from_secs(3 * 86_400), Duration::from_secs(7 * 86_400)]
            });
        let gpwebpay_merchant_number = p.parse("gpwebpay_merchant_number", |value| {
            if !value.is_empty() && value.len() <= 32 && value.bytes().all(|b| b.is_ascii_digit()) {
                Ok(value.to_owned())
            } else {
                Err(format!("{value:?} is not a merchant number: digits only, as text"))
            }
        });
        let gpwebpay_url = p.parse("gpwebpay_url", values::parse_http_url);
        let gpwebpay_private_key = p.parse("gpwebpay_private_key", |v| Ok(SecretString::new(v)));
        let gpwebpay_private_key_password = p.parse("gpwebpay_private_key_password", |v| Ok(SecretString::new(v)));
        let gpwebpay_public_key = p.parse("gpwebpay_public_key", |v| Ok(v.to_owned()));
        let gpwebpay = match (
            &gpwebpay_merchant_number,
            gpwebpay_private_key,
            gpwebpay_private_key_password,
            gpwebpay_public_key,
        ) {
            (Some(number), Some(key), Some(password), Some(public_key)) => Some(GpWebpaySettings {
                url: gpwebpay_url.unwrap_or_else(|| {
                    url::Url::parse("https://3dsecure.gpwebpay.com/pgw/order.do").unwrap_or_else(|_| unreachable!())
                }),
                merchant_number: number.clone(),
                private_key: key,
                private_key_password: password,
                public_key,
            }),
            (_, None, None, None) => None,
            _ => {
                p.problems.push(
                    "PATRON_GPWEBPAY_*: set all of MERCHANT_NUMBER, PRIVATE_KEY, PRIVATE_KEY_PASSWORD and PUBLIC_KEY, or none"
                        .to_owned(),
                );
                None
            }
        };
        let cache_url = p.parse("cache_url", CacheUrl::parse).unwrap_or(CacheUrl::Memory);
        let smtp_url = p.parse("smtp_url", values::parse_smtp_url);
        let mail_from = p.parse("mail_from", values::parse_mailbox).unwrap_or_else(|| {
            format!(
                "patron <noreply@{}>",
                public_url.host_str().filter(|h| h.contains('.')).unwrap_or("patron.invalid")
            )
        });
        let secret_key = p.parse("secret_key", |value| {
            if value.chars().count() < 32 {
                Err("is too short: use at least 32 random characters (e.g. `openssl rand -base64 48`)".to_owned())
            } else {
                Ok(SecretString::new(value))
            }
        });
        let log_format = p.parse("log_format", LogFormat::parse);
        let log_level = p
            .parse("log_level", |value| {
                tracing_subscriber::EnvFilter::try_new(value)
                    .map(|_| value.to_owned())
                    .map_err(|e| format!("{value:?} is not a log filter ({e}); e.g. info or patron=debug,sqlx=warn"))
            })
            .unwrap_or_else(|| "info".to_owned());
        let trusted_proxies = p.parse("trusted_proxies", values::parse_proxies).unwrap_or_default();
        let metrics_listen = p.parse("metrics_listen", ListenAddr::parse);
        let otlp_endpoint = p.parse("otlp_endpoint", values::parse_http_url);
        let shutdown_grace = p.duration("shutdown_grace").unwrap_or(Duration::from_secs(25));
        let shutdown_delay = p.duration("shutdown_delay").unwrap_or(Duration::ZERO);
        let request_timeout = p.duration("request_timeout").unwrap_or(Duration::from_secs(30));
        let body_limit = p.size("body_limit").unwrap_or(1024 * 1024);
        let session_ttl = p.duration("session_ttl").unwrap_or(Duration::from_secs(30 * 24 * 3600));
        let login_max_attempts_per_account = p.number("login_max_attempts_per_account", 1, 1_000_000).unwrap_or(5);
        let login_max_attempts_per_ip = p.number("login_max_attempts_per_ip", 1, 1_000_000).unwrap_or(20);
        let login_window = p.duration("login_window").unwrap_or(Duration::from_secs(15 * 60));
        let max_tiers = p.number("max_tiers", 1, 100).unwrap_or(10);
        let worker_concurrency = p.number("worker_concurrency", 1, 256).unwrap_or(4);
        let job_lease = p.duration("job_lease").unwrap_or(Duration::from_secs(60));
        let smtp_timeout = p.duration("smtp_timeout").unwrap_or(Duration::from_secs(30));
        let mut schedules = BTreeMap::new();
        for (name, key, default) in SCHEDULES {
            let expression = match p.get(key) {
                Some((value, _)) if value.trim().is_empty() => None,
                Some(_) => p.parse(key, values::parse_cron).map(Some).unwrap_or(None),
                None => Some((*default).to_owned()),
            };
            schedules.insert(*name, expression);
        }

        let settings = Settings {
            data_dir,
            listen,
            public_url,
            database_url,
            database_max_connections,
            storage_url,
            s3_access_key_id,
            s3_secret_access_key,
            media,
            payment_sandbox: false,
            renewal_retries,
            gpwebpay_merchant_number,
            gpwebpay,
            cache_url,
            smtp_url,
            mail_from,
            smtp_timeout,
            secret_key,
            log_format,
            log_level,
            trusted_proxies,
            metrics_listen,
            otlp_endpoint,
            shutdown_grace,
            shutdown_delay,
            request_timeout,
            body_limit,
            session_ttl,
            login_max_attempts_per_account,
            login_max_attempts_per_ip,
            login_window,
            max_tiers,
            worker_concurrency,
            job_lease,
            schedules,
            warnings,
        };
        let mut settings = settings;
        settings.payment_sandbox = payment_sandbox.flatten().unwrap_or(settings.mode() == Mode::Embedded);
        settings.cross_check(raw, problems);
        settings
    }

    /// Rules that involve more than one setting.
    fn cross_check(&self, raw: &RawValues, problems: &mut Vec<String>) {
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

/// Raw values by key, before typing, with where each came from.
#[derive(Default)]
struct RawValues {
    values: BTreeMap<&'static str, (String, Origin)>,
}

impl RawValues {
    fn definition(key: &str) -> Option<&'static Definition> {
        DEFINITIONS.iter().find(|d| d.key == key)
    }

    /// The name to use in a message about `key`: where its value came from, or its
    /// environment variable when it has no value.
    fn origin_name(&self, key: &str) -> String {
        match self.values.get(key) {
            Some((_, origin)) => origin.to_string(),
            None => format!("PATRON_{}", key.to_ascii_uppercase()),
        }
    }

    fn read_file(&mut self, path: &Path, problems: &mut Vec<String>) {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                problems.push(format!("--config {}: cannot be read: {error}", path.display()));
                return;
            }
        };
        let table: toml::Table = match text.parse() {
            Ok(table) => table,
            Err(error) => {
                problems.push(format!("--config {}: is not valid TOML: {}", path.display(), error.message()));
                return;
            }
        };
        for (key, value) in table {
            let origin = Origin::File { key: key.clone(), path: path.to_owned() };
            let Some(definition) = Self::definition(&key) else {
                let hint = closest_key(&key).map(|k| format!("; did you mean {k:?}?")).unwrap_or_default();
                problems.push(format!("{origin}: unknown setting {key:?}{hint}"));
                continue;
            };
            match toml_value_to_text(definition.kind, value) {
                Ok(text) => {
                    self.values.insert(definition.key, (text, origin));
                }
                Err(expected) => problems.push(format!("{origin}: {expected}")),
            }
        }
    }

    /// Applies `PATRON_*` variables over the file; returns warnings about unknown ones.
    fn read_env(&mut self, env: &BTreeMap<String, String>, problems: &mut Vec<String>) -> Vec<String> {
        for definition in DEFINITIONS {
            let name = definition.env_name();
            let file_name = format!("{name}_FILE");
            match (env.get(&name), env.get(&file_name)) {
                (Some(_), Some(_)) => {
                    problems.push(format!("{name}: set both {name} and {file_name}; keep one"));
                }
                (Some(value), None) => {
                    self.values.insert(definition.key, (value.clone(), Origin::Env(name)));
                }
                (None, Some(path)) => match std::fs::read_to_string(path) {
                    Ok(contents) => {
                        let value = contents.trim_end_matches(['\n', '\r']).to_owned();
                        self.values.insert(definition.key, (value, Origin::EnvFile(file_name)));
                    }
                    Err(error) => problems.push(format!("{file_name}: cannot read {path:?}: {error}")),
                },
                (None, None) => {}
            }
        }
        let known: Vec<String> =
            DEFINITIONS.iter().flat_map(|d| [d.env_name(), format!("{}_FILE", d.env_name())]).collect();
        env.keys()
            .filter(|name| name.starts_with("PATRON_") && !name.starts_with("PATRON_TEST_"))
            .filter(|name| !known.contains(name) && !LOADER_VARIABLES.contains(&name.as_str()))
            .map(|name| {
                let key = name.trim_start_matches("PATRON_").to_ascii_lowercase();
                let hint = closest_key(&key)
                    .map(|k| format!("; did you mean PATRON_{}?", k.to_ascii_uppercase()))
                    .unwrap_or_default();
                format!("{name}: unknown setting, ignored{hint}")
            })
            .collect()
    }
}

/// Converts a TOML value to the text the typed parsers read, refusing types that could lose
/// meaning (lesson 4: an identifier must never become a number).
fn toml_value_to_text(kind: Kind, value: toml::Value) -> Result<String, String> {
    use toml::Value;
    match (kind, value) {
        (_, Value::String(text)) => Ok(text),
        (Kind::Number | Kind::Duration | Kind::Size, Value::Integer(n)) => Ok(n.to_string()),
        (Kind::List, Value::Array(items)) => {
            let mut texts = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(text) => texts.push(text),
                    other => return Err(format!("list items must be strings, found {}", other.type_str())),
                }
            }
            Ok(texts.join(","))
        }
        (Kind::Text, other) => Err(format!(
            "must be a string, found {}: write it in quotes so it cannot change its meaning",
            other.type_str()
        )),
        (Kind::Number, other) => Err(format!("must be a whole number, found {}", other.type_str())),
        (Kind::Duration, other) => Err(format!("must be a duration like \"25s\", found {}", other.type_str())),
        (Kind::Size, other) => Err(format!("must be a size like \"1MiB\", found {}", other.type_str())),
        (Kind::List, other) => Err(format!("must be a list of strings, found {}", other.type_str())),
    }
}

/// The known key closest to a mistyped one, when it is close enough to be a typo.
fn closest_key(key: &str) -> Option<&'static str> {
    DEFINITIONS
        .iter()
        .map(|d| (edit_distance(key, d.key), d.key))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, key)| key)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// Typed reads of raw values that record problems instead of failing fast.
struct Parser<'a> {
    raw: &'a RawValues,
    problems: &'a mut Vec<String>,
}

impl Parser<'_> {
    fn get(&self, key: &str) -> Option<(String, Origin)> {
        self.raw.values.get(key).cloned()
    }

    fn secret(key: &str) -> bool {
        RawValues::definition(key).is_some_and(|d| d.secret)
    }

    /// Parses the value of `key` with `parse`, whose error says what was expected.
    fn parse<T>(&mut self, key: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let (value, origin) = self.get(key)?;
        match parse(value.trim()) {
            Ok(parsed) => Some(parsed),
            Err(expected) => {
                let message = if Self::secret(key) {
                    // never echo a secret value, not even a broken one
                    format!("{origin}: {}", expected.replace(value.trim(), "[redacted]"))
                } else {
                    format!("{origin}: {expected}")
                };
                self.problems.push(message);
                None
            }
        }
    }

    fn number(&mut self, key: &str, min: u32, max: u32) -> Option<u32> {
        self.parse(key, |value| match value.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(format!("{value:?} is not a whole number from {min} to {max}")),
        })
    }

    fn duration(&mut self, key: &str) -> Option<Duration> {
        self.parse(key, values::parse_duration)
    }

    fn size(&mut self, key: &str) -> Option<usize> {
        self.parse(key, values::parse_size)
    }
}

#[cfg(test)]
mod tests;
