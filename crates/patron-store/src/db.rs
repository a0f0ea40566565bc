use crate::StoreError;
use crate::sql;
use patron_settings::DatabaseUrl;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection};
use std::str::FromStr;
use std::time::Duration;

/// Which database the pool talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, one file in the data folder.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A connection pool to patron's database on either backend.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// Whether the install is read-only now (`patron_flags.read_only`), as [`Db::refresh_flags`]
    /// last read it; shared by every clone of this pool.
    read_only: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Connection counts of the pool, for metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections.
    pub open: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most the pool will open.
    pub max: u32,
}

impl Db {
    /// Opens a pool. For SQLite the file (and its folder) is created when missing and put in
    /// WAL mode, so readers never wait for the writer.
    pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, connect_url) = match url {
            DatabaseUrl::Sqlite { path } => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Database(sqlx::Error::Configuration(
                            format!("cannot create the folder {}: {e}", parent.display()).into(),
                        ))
                    })?;
                }
                (Backend::Sqlite, format!("sqlite://{}?mode=rwc", path.display()))
            }
            DatabaseUrl::Postgres(url) => (Backend::Postgres, url.expose().to_string()),
        };
        let options = AnyConnectOptions::from_str(&connect_url)?;

        if backend == Backend::Sqlite {
            // WAL is a property of the file: set it once, before the pool opens connections.
            let mut connection = options.connect().await?;
            sql::connection_setup("PRAGMA journal_mode = WAL").execute(&mut connection).await?;
            connection.close().await?;
        }

        let pool_options = AnyPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            // no ping before every use: it would double the round trips of every request
            // (lesson 16); a broken connection fails its statement and is dropped
            .test_before_acquire(false);
        let pool_options = match backend {
            Backend::Sqlite => pool_options.after_connect(|connection, _| {
                Box::pin(async move {
                    // NORMAL is durable with WAL except for the last commits before a power loss.
                    sql::connection_setup("PRAGMA synchronous = NORMAL").execute(&mut *connection).await?;
                    sql::connection_setup("PRAGMA busy_timeout = 5000").execute(&mut *connection).await?;
                    Ok(())
                })
            }),
            Backend::Postgres => pool_options,
        };
        let pool = pool_options.connect_with(options).await?;
        Ok(Self { pool, backend, read_only: Default::default() })
    }

    /// Whether writes are paused (`patron relocate --live` is copying the last changes): the
    /// web refuses changes and workers claim no jobs. Cheap: reads what [`Db::refresh_flags`]
    /// last saw.
    pub fn is_read_only(&self) -> bool {
        self.read_only.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Reads the install's flags from the database; returns whether it is read-only.
    pub async fn refresh_flags(&self) -> Result<bool, StoreError> {
        let found: Option<String> = sql::query_scalar("SELECT value FROM patron_flags WHERE name = 'read_only'")
            .fetch_optional(&self.pool)
            .await?;
        let read_only = found.is_some();
        self.read_only.store(read_only, std::sync::atomic::Ordering::Relaxed);
        Ok(read_only)
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, to run queries on.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sql::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a transaction that reads first and writes later could otherwise
    /// fail with "database is locked" instead of waiting its turn.
    pub async fn begin_write(&self) -> Result<crate::Transaction, StoreError> {
        let transaction = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(crate::Transaction::new(transaction))
    }

    /// Connection counts, for metrics.
    pub fn stats(&self) -> PoolStats {
        let open = self.pool.size();
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(open);
        PoolStats { open, idle, max: self.pool.options().get_max_connections() }
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
