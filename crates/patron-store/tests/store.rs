//! The store against real databases: every test runs on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]
// The tests inspect the database behind the store's back; what they send need not be counted.
#![allow(clippy::disallowed_methods)]

use patron_domain::{DisplayName, Email, Password, PasswordHash, Timestamp};
use patron_settings::DatabaseUrl;
use patron_store::sessions::{self, SessionKind};
use patron_store::{Db, count_statements, flags, migrate, users};
use patron_testkit::{TestBackend, TestDatabase};
use sqlx::Row;
use std::time::Duration;

async fn connect(database: &TestDatabase) -> Db {
    let settings = patron_settings::Settings::from_env_map(&[
        ("PATRON_DATABASE_URL", &database.url),
        ("PATRON_SECRET_KEY", "a-test-secret-key-that-is-long-enough-1234"),
    ])
    .expect("settings");
    Db::connect(&settings.database_url, 5).await.expect("connect")
}

macro_rules! on_both_backends {
    ($($name:ident($db:ident) $body:block)*) => {$(
        mod $name {
            use super::*;
            async fn run($db: &Db) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let database = TestDatabase::create(TestBackend::Sqlite).await;
                let db = connect(&database).await;
                run(&db).await;
                db.close().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let database = TestDatabase::create(TestBackend::Postgres).await;
                let db = connect(&database).await;
                run(&db).await;
                db.close().await;
                database.drop_database().await;
            }
        }
    )*};
}

fn fan_email(n: u32) -> Email {
    Email::parse(&format!("fan{n}@example.com")).unwrap()
}

async fn insert_fan(db: &Db, n: u32) -> users::User {
    let hash = PasswordHash::hash(&Password::parse("a good password").unwrap());
    users::insert(db.pool(), &fan_email(n), &DisplayName::parse("Fan").unwrap(), &hash, "en").await.unwrap()
}

on_both_backends! {
    migrations_apply_once_and_report_current(db) {
        let before = migrate::status(db).await.unwrap();
        assert_eq!(before.pending.len(), migrate::MIGRATIONS.len());
        assert!(!before.is_current());

        let applied = migrate::run(db).await.unwrap();
        assert_eq!(applied.len(), migrate::MIGRATIONS.len());
        assert!(migrate::status(db).await.unwrap().is_current());
        assert!(migrate::run(db).await.unwrap().is_empty(), "a second run applies nothing");
    }

    concurrent_migration_runs_apply_each_migration_exactly_once(db) {
        let runs: Vec<_> = (0..4).map(|_| { let db = db.clone(); tokio::spawn(async move { migrate::run(&db).await }) }).collect();
        let mut total = 0;
        for run in runs {
            total += run.await.unwrap().expect("a concurrent run fails").len();
        }
        assert_eq!(total, migrate::MIGRATIONS.len());
        let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM patron_migrations").fetch_one(db.pool()).await.unwrap();
        assert_eq!(recorded as usize, migrate::MIGRATIONS.len());
    }

    duplicate_email_is_reported_as_taken(db) {
        migrate::run(db).await.unwrap();
        insert_fan(db, 1).await;
        let hash = PasswordHash::hash(&Password::parse("another password").unwrap());
        let again = users::insert(db.pool(), &fan_email(1), &DisplayName::parse("Other").unwrap(), &hash, "en").await;
        assert!(matches!(again, Err(users::InsertUserError::EmailTaken)), "{again:?}");
    }

    users_round_trip_with_their_password_hash(db) {
        migrate::run(db).await.unwrap();
        let user = insert_fan(db, 2).await;
        let (found, hash) = users::find_by_email_with_password(db.pool(), &fan_email(2)).await.unwrap().expect("found");
        assert_eq!(found, user);
        assert!(hash.verify("a good password"));
        assert_eq!(users::find_by_id(db.pool(), user.id).await.unwrap(), Some(user));
    }

    sessions_are_found_by_token_until_they_expire_or_are_deleted(db) {
        migrate::run(db).await.unwrap();
        let user = insert_fan(db, 3).await;
        let ttl = Duration::from_secs(3600);
        let (token, session) = sessions::create(db.pool(), user.id, SessionKind::Cookie, ttl, Some("browser"), Some("127.0.0.1")).await.unwrap();
        let now = Timestamp::now();

        let (found, found_user) = sessions::find_active(db.pool(), &token, SessionKind::Cookie, now).await.unwrap().expect("live");
        assert_eq!(found, session);
        assert_eq!(found_user, user);
        assert!(sessions::find_active(db.pool(), &token, SessionKind::Bearer, now).await.unwrap().is_none(), "kinds do not mix");
        let later = now.plus(ttl + Duration::from_secs(1));
        assert!(sessions::find_active(db.pool(), &token, SessionKind::Cookie, later).await.unwrap().is_none(), "expired");

        sessions::touch(db.pool(), &session.id, later, ttl).await.unwrap();
        assert!(sessions::find_active(db.pool(), &token, SessionKind::Cookie, later).await.unwrap().is_some(), "touch extends");

        let (_bearer, _) = sessions::create(db.pool(), user.id, SessionKind::Bearer, ttl, None, None).await.unwrap();
        assert_eq!(sessions::list_for_user(db.pool(), user.id, now).await.unwrap().len(), 2);
        assert_eq!(sessions::delete_all_for_user(db.pool(), user.id).await.unwrap(), 2);
        assert!(sessions::find_active(db.pool(), &token, SessionKind::Cookie, now).await.unwrap().is_none());
    }

    expired_sessions_are_cleaned_up(db) {
        migrate::run(db).await.unwrap();
        let user = insert_fan(db, 4).await;
        sessions::create(db.pool(), user.id, SessionKind::Cookie, Duration::from_secs(60), None, None).await.unwrap();
        sessions::create(db.pool(), user.id, SessionKind::Cookie, Duration::from_secs(7200), None, None).await.unwrap();
        let in_an_hour = Timestamp::now().plus(Duration::from_secs(3600));
        assert_eq!(sessions::delete_expired(db.pool(), in_an_hour).await.unwrap(), 1);
    }

    statements_are_counted_by_every_query_function(db) {
        migrate::run(db).await.unwrap();
        let user = insert_fan(db, 6).await;
        sessions::create(db.pool(), user.id, SessionKind::Cookie, Duration::from_secs(60), None, None).await.unwrap();
        let (deleted, statements) = count_statements(sessions::delete_all_for_user(db.pool(), user.id)).await;
        assert_eq!(deleted.unwrap(), 1);
        assert_eq!(statements, 1, "delete_all_for_user");
        let (deleted, statements) = count_statements(sessions::delete_expired(db.pool(), Timestamp::now())).await;
        assert_eq!(deleted.unwrap(), 0);
        assert_eq!(statements, 1, "delete_expired");
        let (status, statements) = count_statements(migrate::status(db)).await;
        assert!(status.unwrap().is_current());
        assert_eq!(statements, 2, "migrate::status: whether the table exists, then what it records");
    }

    the_read_only_flag_is_set_seen_and_cleared(db) {
        migrate::run(db).await.unwrap();
        assert!(!db.refresh_flags().await.unwrap());
        flags::set_read_only(db.pool(), "a test", Timestamp::now()).await.unwrap();
        flags::set_read_only(db.pool(), "a test again", Timestamp::now()).await.unwrap();
        assert!(db.refresh_flags().await.unwrap());
        assert!(db.is_read_only());
        assert!(flags::clear_read_only(db.pool()).await.unwrap());
        assert!(!flags::clear_read_only(db.pool()).await.unwrap(), "nothing left to clear");
        assert!(!db.refresh_flags().await.unwrap());
        assert!(!db.is_read_only());
    }

    a_write_transaction_rolls_back_as_a_whole(db) {
        migrate::run(db).await.unwrap();
        let mut transaction = db.begin_write().await.unwrap();
        let hash = PasswordHash::hash(&Password::parse("a good password").unwrap());
        users::insert(&mut *transaction, &fan_email(5), &DisplayName::parse("Fan").unwrap(), &hash, "en").await.unwrap();
        transaction.rollback().await.unwrap();
        assert!(users::find_by_email_with_password(db.pool(), &fan_email(5)).await.unwrap().is_none());
    }
}

/// Table and column names of the migrated schema, as `table.column` lines.
async fn schema_of(db: &Db) -> Vec<String> {
    let query = match db.backend() {
        patron_store::Backend::Sqlite => {
            "SELECT m.name || '.' || p.name AS col FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
        patron_store::Backend::Postgres => {
            "SELECT CAST(table_name || '.' || column_name AS TEXT) AS col FROM information_schema.columns \
             WHERE table_schema = current_schema() ORDER BY 1"
        }
    };
    let rows = sqlx::query(query).fetch_all(db.pool()).await.unwrap();
    let mut schema: Vec<String> = rows.iter().map(|r| r.try_get::<String, _>("col").unwrap()).collect();
    let indexes = match db.backend() {
        patron_store::Backend::Sqlite => {
            "SELECT 'index ' || name AS idx FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY 1"
        }
        patron_store::Backend::Postgres => {
            "SELECT CAST('index ' || indexname AS TEXT) AS idx FROM pg_indexes \
             WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' ORDER BY 1"
        }
    };
    let rows = sqlx::query(indexes).fetch_all(db.pool()).await.unwrap();
    schema.extend(rows.iter().map(|r| r.try_get::<String, _>("idx").unwrap()));
    schema
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_dialects_migrate_to_the_same_tables_and_columns() {
    let sqlite_database = TestDatabase::create(TestBackend::Sqlite).await;
    let postgres_database = TestDatabase::create(TestBackend::Postgres).await;
    let sqlite = connect(&sqlite_database).await;
    let postgres = connect(&postgres_database).await;
    migrate::run(&sqlite).await.unwrap();
    migrate::run(&postgres).await.unwrap();
    let (sqlite_schema, postgres_schema) = (schema_of(&sqlite).await, schema_of(&postgres).await);
    assert!(sqlite_schema.iter().any(|c| c == "users.email"), "{sqlite_schema:?}");
    assert!(sqlite_schema.iter().any(|c| c == "index users_email_key"), "{sqlite_schema:?}");
    assert_eq!(sqlite_schema, postgres_schema);
    postgres.close().await;
    postgres_database.drop_database().await;
}

#[tokio::test]
async fn sqlite_database_is_created_in_wal_mode() {
    let database = TestDatabase::create(TestBackend::Sqlite).await;
    let db = Db::connect(&DatabaseUrl::Sqlite { path: database.child("nested/folder/patron.db") }, 2).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(db.pool()).await.unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
}
