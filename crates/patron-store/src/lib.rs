//! patron's database access. One code path serves SQLite (embedded mode) and PostgreSQL
//! (cloud mode): queries are written once in the SQL both understand, through sqlx's `Any`
//! driver, with portable column types (TEXT ids, BIGINT microsecond timestamps). Where the
//! dialects must differ, both versions sit side by side in the same function.

pub mod account_tokens;
pub mod audit;
pub mod billing_profiles;
pub mod books;
pub mod comments;
mod count;
pub mod creators;
mod db;
pub mod documents;
mod error;
pub mod exchange_rates;
pub mod feed_tokens;
pub mod flags;
pub mod follows;
pub mod jobs;
pub mod mail;
pub mod media;
pub mod memberships;
pub mod migrate;
pub mod payments;
pub mod payouts;
pub mod polls;
pub mod posts;
mod row;
pub mod schedule;
pub mod sessions;
mod sql;
pub mod tiers;
mod transaction;
pub mod users;

pub use count::count_statements;
pub use db::{Backend, Db, PoolStats};
pub use error::StoreError;
pub use transaction::Transaction;

/// The sqlx database type every query here runs on.
pub type Database = sqlx::Any;
