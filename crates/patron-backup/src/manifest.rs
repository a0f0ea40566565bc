//! The manifest stored beside every backup (`<name>.manifest.json`): what was backed up, how
//! the stored bytes were made from it, and the digests to check a download against.

use serde::{Deserialize, Serialize};

/// What the manifest's `format` says.
pub const FORMAT: &str = "patron-backup-manifest/1";

/// The suffix a backup's manifest adds to the backup's name.
pub const SUFFIX: &str = ".manifest.json";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    /// The backup's `ID`.
    pub backup: String,
    /// The target's `ID`.
    pub target: String,
    /// The source's kind (`Postgres`, `Sqlite`, …).
    pub source: String,
    /// What the source was (host and database, a path, a bucket), without credentials.
    pub source_detail: String,
    /// The tool that made the stream, with its version.
    pub tool: String,
    /// The middlewares the stream passed through, in order (`Zstd`, `Age`, …).
    pub middlewares: Vec<String>,
    /// When the backup started (RFC 3339, UTC).
    pub created: String,
    /// Seconds from the start to the stored object being complete.
    pub duration_seconds: f64,
    /// Bytes stored, and the SHA-256 of exactly those bytes.
    pub size: u64,
    pub sha256: String,
    /// Bytes the source produced before any middleware, and their SHA-256.
    pub plain_size: u64,
    pub plain_sha256: String,
    /// The patron version that made it.
    pub patron_version: String,
}

impl Manifest {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Reads a manifest; an unknown format is refused rather than misread.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| format!("not a manifest: {e}"))?;
        if manifest.format != FORMAT {
            return Err(format!("manifest format {:?} is not {FORMAT:?}", manifest.format));
        }
        Ok(manifest)
    }
}

/// The source described without credentials.
pub fn describe(source: &crate::config::Source) -> String {
    use crate::config::Source;
    match source {
        Source::Postgres(s) => {
            format!("{}@{}:{}/{}", s.user, s.host, s.port.as_deref().unwrap_or("5432"), s.database)
        }
        Source::PostgresServer(s) => format!("{}@{}:{}", s.user, s.host, s.port.as_deref().unwrap_or("5432")),
        Source::Mysql(s) => format!("{}@{}:{}/{}", s.user, s.host, s.port.as_deref().unwrap_or("3306"), s.database),
        Source::MysqlServer(s) => format!("{}@{}:{}", s.user, s.host, s.port.as_deref().unwrap_or("3306")),
        Source::Dir(s) => s.path.clone(),
        Source::SingleFile(s) => s.path.clone(),
        Source::Redis(s) => format!("{}:{}", s.host, s.port.as_deref().unwrap_or("6379")),
        Source::Sqlite(s) => crate::source::sqlite_path(&s.path).display().to_string(),
        Source::Storage(s) => {
            patron_settings::StorageUrl::parse(&s.url).map_or_else(|_| s.url.clone(), |u| u.display())
        }
    }
}
