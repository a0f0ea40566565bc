//! Schema migrations for both backends, embedded in the binary.
//!
//! Each migration exists once per dialect (`migrations/sqlite`, `migrations/postgres`) and is
//! recorded in `patron_migrations` with a checksum of its text. Runs are safe to start
//! concurrently: PostgreSQL serialises them with an advisory lock, SQLite with its write
//! lock, and each run re-reads what is applied once it holds the lock.

use crate::sql;
use crate::{Backend, Db, StoreError};
use patron_domain::Timestamp;
use sqlx::Connection;
use std::collections::BTreeMap;

/// One schema change, in both dialects.
#[derive(Debug)]
pub struct Migration {
    /// Applied in ascending order.
    pub version: i64,
    /// Short name, shown in logs and `patron migrate`.
    pub name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

impl Migration {
    fn sql(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }

    fn checksum(&self, backend: Backend) -> String {
        patron_domain::token::digest_hex(self.sql(backend).as_bytes())
    }
}

macro_rules! migrations {
    ($($version:literal $name:literal $file:literal;)*) => {
        /// Every migration this build knows, in order.
        pub const MIGRATIONS: &[Migration] = &[
            $(Migration {
                version: $version,
                name: $name,
                sqlite: include_str!(concat!("../migrations/sqlite/", $file)),
                postgres: include_str!(concat!("../migrations/postgres/", $file)),
            },)*
        ];
    };
}

migrations! {
    1 "accounts" "0001_accounts.sql";
    2 "creators" "0002_creators.sql";
    3 "jobs" "0003_jobs.sql";
    4 "sign_in_links" "0004_sign_in_links.sql";
    5 "media" "0005_media.sql";
    6 "payments" "0006_payments.sql";
    7 "flags" "0007_flags.sql";
    8 "recurring" "0008_recurring.sql";
    9 "books" "0009_books.sql";
    10 "payouts" "0010_payouts.sql";
    11 "documents" "0011_documents.sql";
    12 "billing" "0012_billing.sql";
    13 "self_service" "0013_self_service.sql";
}

/// An arbitrary constant naming patron's migration lock among PostgreSQL advisory locks.
const ADVISORY_LOCK_KEY: i64 = 0x7061_7472_6f6e; // "patron"

/// How the database's schema compares with this build.
#[derive(Debug, Default)]
pub struct MigrationStatus {
    /// Versions recorded as applied.
    pub applied: Vec<i64>,
    /// Migrations of this build not yet applied.
    pub pending: Vec<&'static Migration>,
    /// Applied versions this build does not know (the database is newer than the binary,
    /// as during a rolling update; old code keeps working on an expanded schema).
    pub unknown: Vec<i64>,
    /// Applied migrations whose text has changed since they ran.
    pub modified: Vec<i64>,
}

impl MigrationStatus {
    /// Whether every migration of this build is applied unchanged.
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.modified.is_empty()
    }
}

/// Reads which migrations are applied, without changing anything.
pub async fn status(db: &Db) -> Result<MigrationStatus, StoreError> {
    let mut connection = db.pool().acquire().await?;
    read_status(&mut connection, db.backend()).await
}

async fn table_exists(connection: &mut sqlx::AnyConnection, backend: Backend) -> Result<bool, StoreError> {
    let query = match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'patron_migrations'",
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'patron_migrations'"
        }
    };
    let count: i64 = sql::query_scalar(query).fetch_one(&mut *connection).await?;
    Ok(count > 0)
}

async fn read_status(connection: &mut sqlx::AnyConnection, backend: Backend) -> Result<MigrationStatus, StoreError> {
    if !table_exists(connection, backend).await? {
        return Ok(MigrationStatus { pending: MIGRATIONS.iter().collect(), ..Default::default() });
    }
    let recorded: BTreeMap<i64, String> =
        sql::query_as::<(i64, String)>("SELECT version, checksum FROM patron_migrations ORDER BY version")
            .fetch_all(&mut *connection)
            .await?
            .into_iter()
            .collect();
    let mut status = MigrationStatus { applied: recorded.keys().copied().collect(), ..Default::default() };
    for migration in MIGRATIONS {
        match recorded.get(&migration.version) {
            None => status.pending.push(migration),
            Some(checksum) if *checksum != migration.checksum(backend) => status.modified.push(migration.version),
            Some(_) => {}
        }
    }
    status.unknown = recorded.keys().filter(|v| !MIGRATIONS.iter().any(|m| m.version == **v)).copied().collect();
    Ok(status)
}

/// Applies every pending migration; returns those this run applied (another concurrent run
/// may have applied the rest).
pub async fn run(db: &Db) -> Result<Vec<&'static Migration>, StoreError> {
    let mut connection = db.pool().acquire().await?;
    let backend = db.backend();
    match backend {
        Backend::Postgres => {
            sql::query("SELECT pg_advisory_lock($1)").bind(ADVISORY_LOCK_KEY).execute(&mut *connection).await?;
            let result = apply_pending(&mut connection, backend).await;
            let unlock =
                sql::query("SELECT pg_advisory_unlock($1)").bind(ADVISORY_LOCK_KEY).execute(&mut *connection).await;
            let applied = result?;
            unlock?;
            Ok(applied)
        }
        Backend::Sqlite => {
            // Another run may hold the write lock for the length of a migration: wait for it.
            sql::query("PRAGMA busy_timeout = 120000").execute(&mut *connection).await?;
            let result = apply_pending(&mut connection, backend).await;
            sql::query("PRAGMA busy_timeout = 5000").execute(&mut *connection).await?;
            result
        }
    }
}

async fn apply_pending(
    connection: &mut sqlx::AnyConnection,
    backend: Backend,
) -> Result<Vec<&'static Migration>, StoreError> {
    {
        let mut transaction = begin(connection, backend).await?;
        sql::query(
            "CREATE TABLE IF NOT EXISTS patron_migrations (\
                version BIGINT PRIMARY KEY NOT NULL, \
                name TEXT NOT NULL, \
                checksum TEXT NOT NULL, \
                applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
    }

    let mut applied_now = Vec::new();
    for migration in MIGRATIONS {
        let mut transaction = begin(connection, backend).await?;
        // Re-read under the lock: a concurrent run may have applied it meanwhile.
        let status = read_status(&mut transaction, backend).await?;
        if let Some(version) = status.modified.first() {
            return Err(StoreError::Schema(format!(
                "migration {version} was changed after it was applied; restore its original text"
            )));
        }
        if !status.pending.iter().any(|m| m.version == migration.version) {
            continue;
        }
        tracing::info!(version = migration.version, name = migration.name, "applying migration");
        sql::raw_sql(migration.sql(backend)).execute(&mut *transaction).await.map_err(|error| {
            StoreError::Schema(format!("migration {} ({}) failed: {error}", migration.version, migration.name))
        })?;
        sql::query("INSERT INTO patron_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(migration.checksum(backend))
            .bind(Timestamp::now().as_micros())
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        applied_now.push(migration);
    }
    Ok(applied_now)
}

async fn begin(
    connection: &mut sqlx::AnyConnection,
    backend: Backend,
) -> Result<sqlx::Transaction<'_, sqlx::Any>, StoreError> {
    Ok(match backend {
        Backend::Sqlite => connection.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => connection.begin().await?,
    })
}
