//! Typed setting values and their parsers. Each parser's error says what form it expects.

use crate::secret::SecretUrl;
use std::path::PathBuf;
use std::time::Duration;

/// A `host:port` to listen on. The host may be an IPv4 address, a bracketed IPv6 address or a
/// name that resolves when binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenAddr {
    host: String,
    port: u16,
}

impl ListenAddr {
    pub(crate) fn parse(value: &str) -> Result<Self, String> {
        let expected = || format!("{value:?} is not host:port (for example 127.0.0.1:8080 or [::]:8080)");
        let (host, port) = value.rsplit_once(':').ok_or_else(expected)?;
        let port: u16 = port.parse().map_err(|_| expected())?;
        let host_ok = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            inner.parse::<std::net::Ipv6Addr>().is_ok()
        } else {
            !host.is_empty()
                && host.len() <= 253
                && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        };
        if !host_ok {
            return Err(expected());
        }
        Ok(Self { host: host.to_owned(), port })
    }

    pub(crate) fn default_listen() -> Self {
        Self { host: "127.0.0.1".to_owned(), port: 8080 }
    }

    /// The host part (`[::]` keeps its brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn default_public_url(&self) -> url::Url {
        let host = match self.host.as_str() {
            "0.0.0.0" | "[::]" => "localhost",
            other => other,
        };
        url::Url::parse(&format!("http://{host}:{}", self.port))
            .unwrap_or_else(|_| url::Url::parse("http://localhost").unwrap_or_else(|_| unreachable!()))
    }
}

impl std::fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// The database, chosen by URL scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file (`sqlite://path/to/file.db`, `sqlite:///absolute/path.db`).
    Sqlite {
        /// The database file.
        path: PathBuf,
    },
    /// A PostgreSQL server (`postgres://` or `postgresql://`).
    Postgres(SecretUrl),
}

impl DatabaseUrl {
    /// Reads a database URL (`sqlite://path/to/file.db` or `postgres://…`).
    pub fn parse(value: &str) -> Result<Self, String> {
        if let Some(rest) = value.strip_prefix("sqlite://").or_else(|| value.strip_prefix("sqlite:")) {
            let path = rest.split(['?', '#']).next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err(format!(
                    "{value:?} names no database file; expected sqlite://path/to/patron.db \
                     (an in-memory database would lose everything on restart)"
                ));
            }
            return Ok(Self::Sqlite { path: PathBuf::from(path) });
        }
        let url = url::Url::parse(value).map_err(|_| {
            "is not a database URL; expected sqlite://path/to/patron.db or postgres://user:password@host:5432/database"
                .to_owned()
        })?;
        match url.scheme() {
            "postgres" | "postgresql" => {
                if url.host_str().is_none_or(str::is_empty) && !url.query_pairs().any(|(k, _)| k == "host") {
                    return Err(format!(
                        "{} has no host; expected postgres://user:password@host:5432/database",
                        crate::redact_url(&url)
                    ));
                }
                Ok(Self::Postgres(SecretUrl::new(url)))
            }
            other => Err(format!(
                "unknown scheme {other:?}; expected sqlite://path/to/patron.db or \
                 postgres://user:password@host:5432/database"
            )),
        }
    }

    /// The URL without its password, for logs and messages.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite { path } => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => url.redacted(),
        }
    }
}

/// Object storage, chosen by URL scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageUrl {
    /// A local folder (`file:///var/lib/patron/storage` or `file://./data/storage`).
    File {
        /// The folder objects are kept in.
        root: PathBuf,
    },
    /// An S3-compatible bucket: `s3://bucket/prefix?endpoint=https://…&region=…&path_style=true`.
    /// Credentials are separate settings (or the standard AWS variables), never in the URL.
    S3 {
        /// The bucket.
        bucket: String,
        /// A folder inside the bucket (no leading or trailing slash), or empty.
        prefix: String,
        /// The service's address for anything but AWS itself (MinIO, SeaweedFS, Spaces, …).
        endpoint: Option<url::Url>,
        /// The region; the AWS variables or `us-east-1` when unset.
        region: Option<String>,
        /// Path-style addressing (`endpoint/bucket/key`), which most self-hosted servers need;
        /// on by default when an endpoint is given.
        path_style: bool,
    },
}

impl StorageUrl {
    /// Reads a storage URL (`file:///folder` or `s3://bucket/prefix?…`).
    pub fn parse(value: &str) -> Result<Self, String> {
        if let Some(path) = value.strip_prefix("file://") {
            if path.is_empty() {
                return Err(format!("{value:?} names no folder; expected file:///path/to/folder"));
            }
            return Ok(Self::File { root: PathBuf::from(path) });
        }
        if value.starts_with("s3://") {
            return Self::parse_s3(value);
        }
        let scheme = value.split_once("://").map(|(scheme, _)| scheme).unwrap_or(value);
        Err(format!("unknown scheme {scheme:?} in {value:?}; expected file:///path/to/folder or s3://bucket/prefix"))
    }

    fn parse_s3(value: &str) -> Result<Self, String> {
        let expected =
            "expected s3://bucket/prefix, optionally with ?endpoint=https://host&region=name&path_style=true";
        let url = url::Url::parse(value).map_err(|_| format!("{value:?} is not a URL; {expected}"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "s3://{}: credentials do not belong in the URL; use PATRON_S3_ACCESS_KEY_ID and \
                 PATRON_S3_SECRET_ACCESS_KEY (or the AWS variables)",
                url.host_str().unwrap_or_default()
            ));
        }
        let bucket = url.host_str().unwrap_or_default().to_owned();
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(format!("{value:?} names no valid bucket (3–63 of a-z 0-9 . -); {expected}"));
        }
        let prefix = url.path().trim_matches('/').to_owned();
        if prefix.split('/').any(|segment| segment == "." || segment == "..")
            || prefix.contains("//")
            || !prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
        {
            return Err(format!("{value:?}: the prefix may hold only letters, digits and -_./; {expected}"));
        }
        let (mut endpoint, mut region, mut path_style) = (None, None, None);
        for (name, option) in url.query_pairs() {
            match name.as_ref() {
                "endpoint" => {
                    let parsed = url::Url::parse(&option)
                        .ok()
                        .filter(|e| matches!(e.scheme(), "http" | "https") && e.host_str().is_some());
                    let Some(parsed) = parsed else {
                        return Err(format!("endpoint {option:?} is not an http(s) URL; {expected}"));
                    };
                    endpoint = Some(parsed);
                }
                "region" if !option.is_empty() => region = Some(option.into_owned()),
                "path_style" => {
                    path_style = Some(match option.as_ref() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        other => return Err(format!("path_style {other:?} is not true or false; {expected}")),
                    })
                }
                other => return Err(format!("unknown option {other:?} in the storage URL; {expected}")),
            }
        }
        let path_style = path_style.unwrap_or(endpoint.is_some());
        Ok(Self::S3 { bucket, prefix, endpoint, region, path_style })
    }

    /// The URL as text (holds no secrets).
    pub fn display(&self) -> String {
        match self {
            Self::File { root } => format!("file://{}", root.display()),
            Self::S3 { bucket, prefix, endpoint, .. } => {
                let mut shown = format!("s3://{bucket}/{prefix}");
                if let Some(endpoint) = endpoint {
                    shown.push_str(&format!(" at {}", endpoint.as_str().trim_end_matches('/')));
                }
                shown
            }
        }
    }
}

/// The cache, chosen by URL scheme.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheUrl {
    /// In this process only (`memory://`).
    Memory,
    /// A Redis server shared by the replicas (`redis://` or `rediss://` with TLS); may carry
    /// a password, so it never prints.
    Redis(crate::SecretUrl),
}

impl CacheUrl {
    pub(crate) fn parse(value: &str) -> Result<Self, String> {
        let expected = "expected memory:// or redis://[:password@]host:6379[/db] (rediss:// for TLS)";
        match value {
            "memory://" | "memory:" => Ok(Self::Memory),
            other => {
                let scheme = other.split_once("://").map(|(scheme, _)| scheme).unwrap_or(other);
                if !matches!(scheme, "redis" | "rediss") {
                    return Err(format!("unknown scheme {scheme:?}; {expected}"));
                }
                let url = url::Url::parse(other).map_err(|_| format!("is not a Redis URL; {expected}"))?;
                if url.host_str().is_none_or(str::is_empty) {
                    return Err(format!("{} has no host; {expected}", crate::redact_url(&url)));
                }
                let database = url.path().trim_start_matches('/');
                if !database.is_empty() && database.parse::<u16>().is_err() {
                    return Err(format!("{}: the path must be a database number; {expected}", crate::redact_url(&url)));
                }
                Ok(Self::Redis(crate::SecretUrl::new(url)))
            }
        }
    }

    /// The URL as text, without a password.
    pub fn display(&self) -> String {
        match self {
            Self::Memory => "memory://".to_owned(),
            Self::Redis(url) => url.redacted(),
        }
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (for log collectors).
    Json,
    /// Human-readable, coloured on a terminal.
    Pretty,
}

impl LogFormat {
    pub(crate) fn parse(value: &str) -> Result<Self, String> {
        match value.to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "pretty" | "text" => Ok(Self::Pretty),
            _ => Err(format!("{value:?} is not a log format; expected json or pretty")),
        }
    }
}

pub(crate) fn parse_public_url(value: &str) -> Result<url::Url, String> {
    let expected = || format!("{value:?} is not an http(s) URL; expected e.g. https://members.example.com");
    let mut url = url::Url::parse(value).map_err(|_| expected())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(expected());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{value:?} must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials".to_owned());
    }
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

pub(crate) fn parse_http_url(value: &str) -> Result<url::Url, String> {
    let expected = || format!("{value:?} is not an http(s) URL; expected e.g. http://otel-collector:4318");
    let url = url::Url::parse(value).map_err(|_| expected())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(expected());
    }
    Ok(url)
}

pub(crate) fn parse_smtp_url(value: &str) -> Result<SecretUrl, String> {
    let expected =
        "is not an SMTP URL; expected smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465";
    let url = url::Url::parse(value).map_err(|_| expected.to_owned())?;
    if !matches!(url.scheme(), "smtp" | "smtps") {
        return Err(format!("unknown scheme {:?}; {expected}", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{} has no host; {expected}", crate::redact_url(&url)));
    }
    for (key, value) in url.query_pairs() {
        match (key.as_ref(), url.scheme()) {
            ("tls", "smtp") if matches!(value.as_ref(), "required" | "opportunistic" | "none") => {}
            ("tls", "smtp") => {
                return Err(format!("tls={value:?} is not one of required, opportunistic or none"));
            }
            ("tls", _) => return Err("smtps:// always uses TLS; the tls option is for smtp://".to_owned()),
            _ => return Err(format!("unknown option {key:?}; the only option is tls=required|opportunistic|none")),
        }
    }
    Ok(SecretUrl::new(url))
}

pub(crate) fn parse_proxies(value: &str) -> Result<Vec<ipnet::IpNet>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{item:?} is not an IP address or CIDR range (e.g. 10.0.0.0/8, 192.168.1.10)"))
        })
        .collect()
}

pub(crate) fn parse_duration(value: &str) -> Result<Duration, String> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    humantime::parse_duration(value)
        .map_err(|_| format!("{value:?} is not a duration; expected e.g. 30s, 15m, 2h or 30d"))
}

pub(crate) fn parse_size(value: &str) -> Result<usize, String> {
    let expected = || format!("{value:?} is not a size; expected e.g. 1048576, 512KiB, 10MiB or 1GiB");
    let split = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let (digits, unit) = value.split_at(split);
    let number: usize = digits.parse().map_err(|_| expected())?;
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => return Err(expected()),
    };
    number.checked_mul(multiplier).ok_or_else(expected)
}

/// Parses a schedule: five fields (minute hour day month weekday, UTC), or six with seconds
/// first for jobs that run more than once a minute.
pub fn cron(value: &str) -> Result<croner::Cron, croner::errors::CronError> {
    croner::parser::CronParser::builder().seconds(croner::parser::Seconds::Optional).build().parse(value)
}

pub(crate) fn parse_cron(value: &str) -> Result<String, String> {
    match cron(value) {
        Ok(_) => Ok(value.to_owned()),
        Err(_) => Err(format!(
            "{value:?} is not a cron expression; expected minute hour day month weekday in UTC, e.g. \"17 * * * *\", \
             optionally with seconds first (blank disables the job)"
        )),
    }
}

pub(crate) fn parse_mailbox(value: &str) -> Result<String, String> {
    let address = match (value.find('<'), value.rfind('>')) {
        (Some(start), Some(end)) if start < end && value.ends_with('>') => &value[start + 1..end],
        (None, None) => value,
        _ => return Err(format!("{value:?} is not a sender; expected name@example.com or Name <name@example.com>")),
    };
    let valid = address
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !address.contains(' '));
    if valid {
        Ok(value.to_owned())
    } else {
        Err(format!("{value:?} is not a sender; expected name@example.com or Name <name@example.com>"))
    }
}

/// The first `name` on the `PATH`, for tools that are used when installed.
pub(crate) fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}
