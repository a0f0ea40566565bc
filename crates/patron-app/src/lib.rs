//! patron's use cases: the operations a person performs — register, log in, create a page,
//! publish a post, vote, comment, join a tier, refund — each a function that takes the
//! [`App`] context and the actor, applies the domain's rules, talks to the store and the
//! services, and returns domain values or an [`AppError`].
//!
//! Nothing here knows HTTP: the JSON API and the web pages (`patron-web`) and the command
//! line (`patron`) are adapters that call these functions and present their results. A rule
//! that two adapters need lives here once.

pub mod accounts;
pub mod admin;
pub mod billing;
pub mod comments;
pub mod creators;
pub mod cursor;
pub mod documents;
pub mod earnings;
mod error;
pub mod feed;
pub mod media;
pub mod memberships;
pub mod payments;
pub mod payouts;
pub mod polls;
pub mod posts;
pub mod sessions;
pub mod stripe;
pub mod tax_reports;
pub mod team;
pub mod tiers;
pub mod uploads;

pub use error::{AppError, Problem};
pub use patron_domain::ValidationError;
pub use patron_store::users::User;

use patron_cache::Cache;
use patron_settings::{SecretString, Settings};
use patron_storage::Storage;
use patron_store::Db;
use std::sync::Arc;

/// Everything a use case may need, shared by every request, job and command of a process.
/// Cheap to clone.
#[derive(Clone)]
pub struct App(Arc<Services>);

/// The parts of [`App`].
pub struct Services {
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// The database.
    pub db: Db,
    /// Object storage.
    pub storage: Storage,
    /// The cache (rate limits).
    pub cache: Cache,
    /// Live events to and from every replica.
    pub bus: patron_events::Bus,
    /// The payment providers.
    pub payments: patron_payments::Payments,
    /// The key that signs links, tokens and media URLs.
    pub secret_key: SecretString,
    /// Bounds concurrent password hashing to the number of cores: each hash takes 19 MiB, so
    /// a flood of sign-ups or log-ins queues instead of exhausting memory.
    pub hashing: tokio::sync::Semaphore,
}

impl std::ops::Deref for App {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

impl App {
    /// Assembles the context from opened backends.
    pub fn new(
        settings: Arc<Settings>,
        db: Db,
        storage: Storage,
        cache: Cache,
        bus: patron_events::Bus,
        payments: patron_payments::Payments,
        secret_key: SecretString,
    ) -> Self {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
        Self(Arc::new(Services {
            settings,
            db,
            storage,
            cache,
            bus,
            payments,
            secret_key,
            hashing: tokio::sync::Semaphore::new(cores),
        }))
    }

    /// The public address of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.settings.public_url.as_str().trim_end_matches('/'))
    }
}
