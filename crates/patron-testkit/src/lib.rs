//! A fresh, empty database per test, on either backend.
//!
//! PostgreSQL tests create a database on the server named by `PATRON_TEST_DATABASE_URL` and
//! drop it afterwards. When that variable is missing the test fails with a message saying
//! how to provide one: a skipped test is not a passed test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod geoip;
pub mod gpwebpay;
pub mod rates;
pub mod smtp;
pub mod stripe_disputes;
pub mod vies;

use sqlx::Connection;
use std::path::{Path, PathBuf};

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestBackend {
    /// A temporary SQLite file.
    Sqlite,
    /// A new database on the test PostgreSQL server.
    Postgres,
}

/// A database created for one test.
pub struct TestDatabase {
    /// The URL patron connects with (`sqlite://…` or `postgres://…`).
    pub url: String,
    /// The backend.
    pub backend: TestBackend,
    /// A temporary folder that lives as long as the database (the data folder for tests).
    pub dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

/// The PostgreSQL server URL for tests, or a panic that says how to get one.
pub fn postgres_admin_url() -> String {
    match std::env::var("PATRON_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "PATRON_TEST_DATABASE_URL is not set, so the PostgreSQL half of the suite cannot run. \
             Run the suite with scripts/test (it finds or starts PostgreSQL), or set \
             PATRON_TEST_DATABASE_URL=postgres://user@host:5432/postgres"
        ),
    }
}

impl TestDatabase {
    /// Creates an empty database for one test.
    pub async fn create(backend: TestBackend) -> Self {
        sqlx::any::install_default_drivers();
        let dir = tempfile::Builder::new().prefix("patron-test-").tempdir().expect("temporary folder");
        match backend {
            TestBackend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("patron.db").display());
                Self { url, backend, dir, postgres: None }
            }
            TestBackend::Postgres => {
                let admin_url = postgres_admin_url();
                let name = format!("patron_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::AnyConnection::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PATRON_TEST_DATABASE_URL: {e}"));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("CREATE DATABASE");
                let _ = admin.close().await;
                let url = replace_database(&admin_url, &name);
                Self { url, backend, dir, postgres: Some((admin_url, name)) }
            }
        }
    }

    /// The temporary folder of this test.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the temporary folder.
    pub fn child(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Drops the PostgreSQL database (the SQLite file goes with the folder).
    pub async fn drop_database(self) {
        if let Some((admin_url, name)) = &self.postgres
            && let Ok(mut admin) = sqlx::AnyConnection::connect(admin_url).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&mut admin)
                .await;
            let _ = admin.close().await;
        }
    }
}

/// `url` with its database name replaced.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_name_and_keeps_the_query() {
        assert_eq!(super::replace_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(super::replace_database("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
        assert_eq!(
            super::replace_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
