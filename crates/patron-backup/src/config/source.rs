//! What a backup reads: exactly one source kind, each with the settings its tool needs.

use super::{port, text};
use serde::Deserialize;

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
