//! The Redis backend: counters and values shared by every replica. Redis is a convenience,
//! never a dependency of correctness: when it cannot be reached, each operation falls back to
//! this process's memory (counters then count per replica, values are misses) and the outage
//! is logged — once when it starts and once when it ends — so requests keep succeeding.

use crate::{MemoryCache, WindowCount};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long one Redis operation may take before the fallback answers instead.
const OPERATION_TIMEOUT: Duration = Duration::from_millis(500);
/// How often a missing connection is tried again.
const RECONNECT_EVERY: Duration = Duration::from_secs(2);
/// Every key patron writes starts with this, so a shared Redis stays readable.
const PREFIX: &str = "patron:";

/// A Redis cache with an in-memory fallback.
#[derive(Clone)]
pub struct RedisCache(Arc<Inner>);

struct Inner {
    client: redis::Client,
    connection: Mutex<Connection>,
    fallback: MemoryCache,
    down: AtomicBool,
    describe: String,
}

#[derive(Default)]
struct Connection {
    manager: Option<ConnectionManager>,
    last_attempt: Option<Instant>,
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisCache({})", self.0.describe)
    }
}

/// Why Redis did not answer.
#[derive(Debug)]
pub(crate) struct Unavailable(pub String);

impl RedisCache {
    /// A cache for `url`; it connects on first use (so patron starts while Redis is down).
    pub fn new(url: &url::Url, describe: String) -> Result<Self, String> {
        let client = redis::Client::open(url.as_str()).map_err(|e| format!("{describe}: {e}"))?;
        Ok(Self(Arc::new(Inner {
            client,
            connection: Mutex::new(Connection::default()),
            fallback: MemoryCache::new(100_000),
            down: AtomicBool::new(false),
            describe,
        })))
    }

    /// The client, for publish/subscribe.
    pub fn client(&self) -> &redis::Client {
        &self.0.client
    }

    /// The URL without its password.
    pub fn describe(&self) -> &str {
        &self.0.describe
    }

    async fn manager(&self) -> Result<ConnectionManager, Unavailable> {
        let mut connection = self.0.connection.lock().await;
        if let Some(manager) = &connection.manager {
            return Ok(manager.clone());
        }
        if connection.last_attempt.is_some_and(|at| at.elapsed() < RECONNECT_EVERY) {
            return Err(Unavailable("not connected".to_owned()));
        }
        connection.last_attempt = Some(Instant::now());
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(OPERATION_TIMEOUT))
            .set_response_timeout(Some(OPERATION_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(RECONNECT_EVERY);
        match tokio::time::timeout(OPERATION_TIMEOUT * 2, self.0.client.get_connection_manager_with_config(config))
            .await
        {
            Ok(Ok(manager)) => {
                connection.manager = Some(manager.clone());
                Ok(manager)
            }
            Ok(Err(error)) => Err(Unavailable(error.to_string())),
            Err(_) => Err(Unavailable("connecting timed out".to_owned())),
        }
    }

    /// Runs a pipeline (atomic when built so) against Redis within the timeout.
    async fn query<T: redis::FromRedisValue>(&self, pipeline: &redis::Pipeline) -> Result<T, Unavailable> {
        let mut manager = self.manager().await?;
        match tokio::time::timeout(OPERATION_TIMEOUT, pipeline.query_async::<T>(&mut manager)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(Unavailable(error.to_string())),
            Err(_) => Err(Unavailable("no answer within 500ms".to_owned())),
        }
    }

    fn key(key: &str) -> String {
        format!("{PREFIX}{key}")
    }

    pub(crate) async fn increment(&self, key: &str, window: Duration) -> WindowCount {
        let key = Self::key(key);
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        // the window starts with the first increment: the expiry is set only when the key is new
        let mut pipeline = redis::pipe();
        pipeline.atomic().cmd("SET").arg(&key).arg(0).arg("PX").arg(window_ms).arg("NX").ignore();
        pipeline.cmd("INCR").arg(&key).cmd("PTTL").arg(&key);
        let result = self.query::<(u64, i64)>(&pipeline).await;
        match self.outcome(result) {
            Some((count, ttl)) => {
                WindowCount { count, resets_in: Duration::from_millis(u64::try_from(ttl).unwrap_or(0)) }
            }
            None => self.0.fallback.increment(&key, window),
        }
    }

    pub(crate) async fn count(&self, key: &str) -> WindowCount {
        let key = Self::key(key);
        let mut pipeline = redis::pipe();
        pipeline.cmd("GET").arg(&key).cmd("PTTL").arg(&key);
        let result = self.query::<(Option<u64>, i64)>(&pipeline).await;
        match self.outcome(result) {
            Some((count, ttl)) => WindowCount {
                count: count.unwrap_or(0),
                resets_in: Duration::from_millis(u64::try_from(ttl).unwrap_or(0)),
            },
            None => self.0.fallback.count(&key),
        }
    }

    pub(crate) async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) {
        let key = Self::key(key);
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut pipeline = redis::pipe();
        pipeline.cmd("SET").arg(&key).arg(value.as_slice()).arg("PX").arg(ttl_ms).ignore();
        let result = self.query::<()>(&pipeline).await;
        if self.outcome(result).is_none() {
            self.0.fallback.set(&key, value, ttl);
        }
    }

    pub(crate) async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let key = Self::key(key);
        let mut pipeline = redis::pipe();
        pipeline.cmd("GET").arg(&key);
        let result = self.query::<(Option<Vec<u8>>,)>(&pipeline).await;
        match self.outcome(result) {
            Some((value,)) => value,
            None => self.0.fallback.get(&key),
        }
    }

    pub(crate) async fn delete(&self, key: &str) {
        let key = Self::key(key);
        let mut pipeline = redis::pipe();
        pipeline.cmd("DEL").arg(&key).ignore();
        let result = self.query::<()>(&pipeline).await;
        // the fallback may hold the key from an outage: clear it either way
        self.0.fallback.delete(&key);
        let _ = self.outcome(result);
    }

    /// Publishes `payload` on `channel` (prefixed like keys); fails while Redis is away.
    pub async fn publish(&self, channel: &str, payload: &str) -> Result<(), String> {
        let mut pipeline = redis::pipe();
        pipeline.cmd("PUBLISH").arg(Self::key(channel)).arg(payload).ignore();
        let result = self.query::<()>(&pipeline).await;
        let published = result.as_ref().map(|_| ()).map_err(|Unavailable(e)| e.clone());
        let _ = self.outcome(result);
        published
    }

    /// The full name of a channel.
    pub fn channel(channel: &str) -> String {
        Self::key(channel)
    }

    /// Whether Redis answers right now.
    pub(crate) async fn ping(&self) -> Result<(), String> {
        let mut pipeline = redis::pipe();
        pipeline.cmd("PING");
        let result = self.query::<(String,)>(&pipeline).await;
        let answered = result.as_ref().map(|_| ()).map_err(|Unavailable(e)| e.clone());
        let _ = self.outcome(result);
        answered
    }

    fn outcome<T>(&self, result: Result<T, Unavailable>) -> Option<T> {
        match result {
            Ok(value) => {
                if self.0.down.swap(false, Ordering::Relaxed) {
                    tracing::info!(cache = %self.0.describe, "Redis answers again; the shared cache is back");
                }
                Some(value)
            }
            Err(Unavailable(error)) => {
                if !self.0.down.swap(true, Ordering::Relaxed) {
                    tracing::warn!(cache = %self.0.describe, %error, "Redis does not answer: counting and caching in this process until it does");
                }
                None
            }
        }
    }
}
