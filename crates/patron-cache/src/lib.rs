//! The cache: rate-limit counters and short-lived values. Callers use [`Cache`]; the backend
//! is chosen by the cache URL's scheme. `memory://` keeps everything in this process, which
//! is right for one server; `redis://` is shared by the replicas, and when Redis is away the
//! cache falls back to memory instead of failing requests.

mod memory;
mod redis;

use patron_settings::CacheUrl;
use std::time::Duration;

pub use memory::MemoryCache;
pub use redis::RedisCache;

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
    /// Redis, with this process's memory while Redis does not answer.
    Redis(RedisCache),
}

impl Cache {
    /// Opens the cache named by the URL.
    pub fn open(url: &CacheUrl) -> Result<Self, CacheError> {
        match url {
            CacheUrl::Memory => Ok(Cache::Memory(MemoryCache::new(100_000))),
            CacheUrl::Redis(url) => {
                RedisCache::new(url.expose(), url.redacted()).map(Cache::Redis).map_err(CacheError::Backend)
            }
        }
    }

    /// The cache URL, safe to print.
    pub fn describe(&self) -> String {
        match self {
            Cache::Memory(_) => "memory://".to_owned(),
            Cache::Redis(cache) => cache.describe().to_owned(),
        }
    }

    /// Adds one to the counter `key`, whose window starts at its first increment and lasts
    /// `window` (a fixed-window rate limit).
    pub async fn increment(&self, key: &str, window: Duration) -> Result<WindowCount, CacheError> {
        match self {
            Cache::Memory(cache) => Ok(cache.increment(key, window)),
            Cache::Redis(cache) => Ok(cache.increment(key, window).await),
        }
    }

    /// The counter's current value without changing it (zero when absent or expired).
    pub async fn count(&self, key: &str) -> Result<WindowCount, CacheError> {
        match self {
            Cache::Memory(cache) => Ok(cache.count(key)),
            Cache::Redis(cache) => Ok(cache.count(key).await),
        }
    }

    /// Stores a value for `ttl`.
    pub async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) -> Result<(), CacheError> {
        match self {
            Cache::Memory(cache) => {
                cache.set(key, value, ttl);
                Ok(())
            }
            Cache::Redis(cache) => {
                cache.set(key, value, ttl).await;
                Ok(())
            }
        }
    }

    /// A stored value, unless absent or expired.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        match self {
            Cache::Memory(cache) => Ok(cache.get(key)),
            Cache::Redis(cache) => Ok(cache.get(key).await),
        }
    }

    /// Removes a value or counter.
    pub async fn delete(&self, key: &str) -> Result<(), CacheError> {
        match self {
            Cache::Memory(cache) => {
                cache.delete(key);
                Ok(())
            }
            Cache::Redis(cache) => {
                cache.delete(key).await;
                Ok(())
            }
        }
    }

    /// Checks that the backend answers, for `/readyz` and `patron check`. A Redis that does
    /// not answer is an error here even though the cache keeps working from memory.
    pub async fn ping(&self) -> Result<(), CacheError> {
        match self {
            Cache::Memory(_) => Ok(()),
            Cache::Redis(cache) => cache.ping().await.map_err(CacheError::Backend),
        }
    }
}
