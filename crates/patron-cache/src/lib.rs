//! The cache: rate-limit counters and short-lived values. Callers use [`Cache`]; the backend
//! is chosen by the cache URL's scheme. `memory://` keeps everything in this process, which
//! is right for one server; replicas share a cache once a shared backend is configured.

mod memory;

use patron_settings::CacheUrl;
use std::time::Duration;

pub use memory::MemoryCache;

/// A cache operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The backend failed or could not be reached.
    #[error("cache backend failed: {0}")]
    Backend(String),
}

/// A counter's value after an increment, and how long until its window resets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowCount {
    /// Increments within the current window, including this one.
    pub count: u64,
    /// Time until the window ends and the counter starts again from zero.
    pub resets_in: Duration,
}

/// The cache configured for this install.
#[derive(Clone, Debug)]
pub enum Cache {
    /// In this process.
    Memory(MemoryCache),
}

impl Cache {
    /// Opens the cache named by the URL.
    pub fn open(url: &CacheUrl) -> Result<Self, CacheError> {
        match url {
            CacheUrl::Memory => Ok(Cache::Memory(MemoryCache::new(100_000))),
        }
    }

    /// The cache URL, safe to print.
    pub fn describe(&self) -> String {
        match self {
            Cache::Memory(_) => "memory://".to_owned(),
        }
    }

    /// Adds one to the counter `key`, whose window starts at its first increment and lasts
    /// `window` (a fixed-window rate limit).
    pub async fn increment(&self, key: &str, window: Duration) -> Result<WindowCount, CacheError> {
        match self {
            Cache::Memory(cache) => Ok(cache.increment(key, window)),
        }
    }

    /// The counter's current value without changing it (zero when absent or expired).
    pub async fn count(&self, key: &str) -> Result<WindowCount, CacheError> {
        match self {
            Cache::Memory(cache) => Ok(cache.count(key)),
        }
    }

    /// Stores a value for `ttl`.
    pub async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) -> Result<(), CacheError> {
        match self {
            Cache::Memory(cache) => {
                cache.set(key, value, ttl);
                Ok(())
            }
        }
    }

    /// A stored value, unless absent or expired.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        match self {
            Cache::Memory(cache) => Ok(cache.get(key)),
        }
    }

    /// Removes a value or counter.
    pub async fn delete(&self, key: &str) -> Result<(), CacheError> {
        match self {
            Cache::Memory(cache) => {
                cache.delete(key);
                Ok(())
            }
        }
    }

    /// Checks that the backend answers, for `/readyz` and `patron check`.
    pub async fn ping(&self) -> Result<(), CacheError> {
        match self {
            Cache::Memory(_) => Ok(()),
        }
    }
}
