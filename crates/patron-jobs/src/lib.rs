//! Background work. Jobs are rows in the database (enqueued in the same transaction as the
//! change that causes them); a [`Worker`] leases and runs them with retries and dead letters;
//! the [`Scheduler`] fires named recurring jobs, once per tick however many instances run.

mod metrics;
pub mod payload;
mod scheduler;
mod worker;

pub use metrics::JobMetrics;
pub use scheduler::{RunNow, ScheduledTask, Scheduler, TaskFuture};
pub use worker::{Worker, WorkerOptions};

use patron_settings::Settings;
use patron_store::Db;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// What jobs may use.
#[derive(Clone)]
pub struct JobContext {
    /// The database.
    pub db: Db,
    /// The settings.
    pub settings: Arc<Settings>,
    /// Live events to every replica.
    pub bus: patron_events::Bus,
    /// Counters of background work.
    pub metrics: JobMetrics,
}

/// Why a job did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (a network hiccup, a busy server).
    #[error("{0}")]
    Retry(String),
    /// Not now, for a known while (another worker holds what it needs): try again after it.
    #[error("{1}")]
    Later(Duration, String),
    /// Will never work (bad payload): straight to the dead letters.
    #[error("{0}")]
    Permanent(String),
}

impl From<patron_store::StoreError> for JobError {
    fn from(error: patron_store::StoreError) -> Self {
        JobError::Retry(error.to_string())
    }
}

/// The future a handler returns.
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>>;

/// Runs jobs of one kind. Handlers must be idempotent: a job can run twice (a lease ran out
/// while it was still running), so side effects carry idempotency keys.
pub trait Handler: Send + Sync {
    /// The kind this handler runs.
    fn kind(&self) -> &'static str;
    /// Runs one job.
    fn run<'a>(&'a self, context: &'a JobContext, payload: &'a str) -> JobFuture<'a>;
}

/// The handlers by kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Arc<dyn Handler>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a handler.
    pub fn with(mut self, handler: impl Handler + 'static) -> Self {
        self.handlers.insert(handler.kind(), Arc::new(handler));
        self
    }

    fn get(&self, kind: &str) -> Option<Arc<dyn Handler>> {
        self.handlers.get(kind).cloned()
    }
}

/// How long to wait before attempt `attempt + 1`: 10 s doubling up to an hour, with ±25 %
/// jitter so that jobs failing together do not retry together.
pub fn retry_delay(attempt: i64) -> Duration {
    let exponent = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(0);
    let base = Duration::from_secs(10).saturating_mul(2_u32.saturating_pow(exponent)).min(Duration::from_secs(3600));
    let mut random = [0u8; 2];
    patron_domain::token::fill_random(&mut random);
    let jitter = f64::from(u16::from_le_bytes(random)) / f64::from(u16::MAX); // 0..=1
    base.mul_f64(0.75 + jitter / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_jitter_and_a_cap() {
        for attempt in 1..=30 {
            let delay = retry_delay(attempt);
            let nominal = 10.0 * 2f64.powi(i32::try_from(attempt - 1).unwrap_or(0)).min(360.0);
            assert!(
                delay.as_secs_f64() >= nominal * 0.75 - 0.001 && delay.as_secs_f64() <= nominal * 1.25 + 0.001,
                "{attempt}: {delay:?}"
            );
        }
    }
}
