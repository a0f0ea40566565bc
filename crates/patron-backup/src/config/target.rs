//! What a backup's stream passes through (its middlewares) and where it is stored (its
//! targets, with their retention).

use super::text;
use serde::Deserialize;

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
