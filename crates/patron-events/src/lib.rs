//! Live events: what open pages and apps learn without asking — a new post from a creator,
//! new poll results, a reply to one's comment. Events go through a [`Bus`] that reaches every
//! replica: Redis pub/sub when the cache is Redis, PostgreSQL `LISTEN/NOTIFY` on PostgreSQL
//! without Redis, and this process alone otherwise (one server). Each instance keeps the
//! last few minutes of events, so a client that reconnects with `Last-Event-ID` gets what it
//! missed.
//!
//! Live events are a convenience on top of the data, never the data itself: an event lost
//! while a backend is away costs a reload, nothing more.

use patron_cache::{Cache, RedisCache};
use patron_domain::Id;
use patron_settings::{DatabaseUrl, Settings};
use patron_store::Db;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_util::sync::{CancellationToken, DropGuard};

/// The channel events travel on.
const CHANNEL: &str = "patron_events";
/// How long events are kept for replay.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(5 * 60);
/// At most this many events are kept for replay.
const REPLAY_LIMIT: usize = 2000;

/// Who may receive an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", content = "id", rename_all = "snake_case")]
pub enum Audience {
    /// One user.
    User(Id),
    /// Everyone who follows (or supports, or runs) a creator.
    Followers(Id),
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Identifier, ordered by time (UUIDv7): the SSE `id`, and what `Last-Event-ID` names.
    pub id: String,
    /// What happened: `post.published`, `poll.results`, `comment.reply`.
    pub kind: String,
    /// Who may receive it.
    pub audience: Audience,
    /// When it happened (µs since the epoch).
    pub at: i64,
    /// Details for the client (JSON object).
    pub data: serde_json::Value,
}

struct Shared {
    sender: broadcast::Sender<Arc<Event>>,
    recent: Mutex<VecDeque<Arc<Event>>>,
}

impl Shared {
    /// Delivers an event to this instance's subscribers and keeps it for replay.
    fn deliver(&self, event: Arc<Event>) {
        {
            let mut recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let oldest = patron_domain::Timestamp::now().as_micros()
                - i64::try_from(REPLAY_WINDOW.as_micros()).unwrap_or(i64::MAX);
            while recent.front().is_some_and(|e| e.at < oldest) || recent.len() >= REPLAY_LIMIT {
                recent.pop_front();
            }
            recent.push_back(event.clone());
        }
        // no subscriber is not an error
        let _ = self.sender.send(event);
    }
}

enum Backend {
    Local,
    Postgres(Db),
    Redis(RedisCache),
}

struct Inner {
    shared: Arc<Shared>,
    backend: Backend,
    /// Stops the listener when the last handle goes.
    _stop: DropGuard,
}

/// The event bus of this instance. Cheap to clone.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bus({})", self.describe())
    }
}

/// A subscription: what was missed, then what comes.
pub struct Subscription {
    /// Events after the `Last-Event-ID` the client sent, oldest first.
    pub missed: Vec<Arc<Event>>,
    /// Events from now on.
    pub live: broadcast::Receiver<Arc<Event>>,
}

fn shared() -> Arc<Shared> {
    let (sender, _) = broadcast::channel(1024);
    Arc::new(Shared { sender, recent: Mutex::new(VecDeque::new()) })
}

impl Bus {
    /// Events stay in this process (one server, or tests).
    pub fn local() -> Self {
        let stop = CancellationToken::new();
        Self { inner: Arc::new(Inner { shared: shared(), backend: Backend::Local, _stop: stop.drop_guard() }) }
    }

    /// The bus the settings call for, listening in the background until the last handle is
    /// dropped: Redis when the cache is Redis, else PostgreSQL when the database is, else local.
    pub fn start(settings: &Settings, db: &Db, cache: &Cache) -> Self {
        let stop = CancellationToken::new();
        let shared = shared();
        let backend = match (cache, &settings.database_url) {
            (Cache::Redis(redis), _) => {
                tokio::spawn(listen_redis(redis.client().clone(), shared.clone(), stop.clone()));
                Backend::Redis(redis.clone())
            }
            (_, DatabaseUrl::Postgres(url)) => {
                tokio::spawn(listen_postgres(url.expose().to_string(), shared.clone(), stop.clone()));
                Backend::Postgres(db.clone())
            }
            _ => Backend::Local,
        };
        Self { inner: Arc::new(Inner { shared, backend, _stop: stop.drop_guard() }) }
    }

    /// How events reach the other replicas.
    pub fn describe(&self) -> &'static str {
        match self.inner.backend {
            Backend::Local => "in process",
            Backend::Postgres(_) => "PostgreSQL LISTEN/NOTIFY",
            Backend::Redis(_) => "Redis pub/sub",
        }
    }

    /// Publishes an event to every replica. Never fails: when the shared backend is away the
    /// event still reaches this instance's clients, and the outage is logged.
    pub async fn publish(&self, kind: &str, audience: Audience, data: serde_json::Value) {
        let event = Event {
            id: Id::new().to_string(),
            kind: kind.to_owned(),
            audience,
            at: patron_domain::Timestamp::now().as_micros(),
            data,
        };
        let payload = match serde_json::to_string(&event) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!(%error, "an event could not be serialised");
                return;
            }
        };
        let sent = match &self.inner.backend {
            Backend::Local => Err("local".to_owned()),
            Backend::Postgres(db) => {
                // NOTIFY payloads are limited to 8000 bytes; events are a few hundred
                sqlx::query("SELECT 1 AS sent FROM (SELECT pg_notify($1, $2)) AS notified")
                    .bind(CHANNEL)
                    .bind(&payload)
                    .execute(db.pool())
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Backend::Redis(redis) => redis.publish(CHANNEL, &payload).await,
        };
        match sent {
            // the listener delivers it here too, as on every replica
            Ok(()) => {}
            Err(error) => {
                if !matches!(self.inner.backend, Backend::Local) {
                    tracing::warn!(%error, kind, "an event reached this instance only: the shared backend did not take it");
                }
                self.inner.shared.deliver(Arc::new(event));
            }
        }
    }

    /// Subscribes; `last_event_id` is what the client saw last (from `Last-Event-ID`).
    pub fn subscribe(&self, last_event_id: Option<&str>) -> Subscription {
        let live = self.inner.shared.sender.subscribe();
        let missed = match last_event_id {
            Some(last) => {
                let recent = self.inner.shared.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                // UUIDv7 text sorts by time
                recent.iter().filter(|e| e.id.as_str() > last).cloned().collect()
            }
            None => Vec::new(),
        };
        Subscription { missed, live }
    }
}

fn receive(shared: &Shared, payload: &str) {
    match serde_json::from_str::<Event>(payload) {
        Ok(event) => shared.deliver(Arc::new(event)),
        Err(error) => tracing::warn!(%error, "an event from another instance could not be read"),
    }
}

async fn listen_postgres(url: String, shared: Arc<Shared>, stop: CancellationToken) {
    loop {
        let connected = async {
            let mut listener = sqlx::postgres::PgListener::connect(&url).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            result = connected => match result {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for events on PostgreSQL; trying again");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(2)) => continue,
                        () = stop.cancelled() => return,
                    }
                }
            },
            () = stop.cancelled() => return,
        };
        tracing::debug!("listening for events on PostgreSQL");
        loop {
            tokio::select! {
                // reconnects by itself; notifications sent while it was away are lost
                received = listener.recv() => match received {
                    Ok(notification) => receive(&shared, notification.payload()),
                    Err(error) => {
                        tracing::warn!(%error, "listening for events on PostgreSQL failed; reconnecting");
                        break;
                    }
                },
                () = stop.cancelled() => return,
            }
        }
    }
}

async fn listen_redis(client: redis::Client, shared: Arc<Shared>, stop: CancellationToken) {
    use futures::StreamExt as _;
    let channel = RedisCache::channel(CHANNEL);
    let mut warned = false;
    loop {
        let connected = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        let connected = tokio::select! {
            result = tokio::time::timeout(Duration::from_secs(2), connected) => result,
            () = stop.cancelled() => return,
        };
        let pubsub = match connected {
            Ok(Ok(pubsub)) => pubsub,
            failed => {
                if !warned {
                    let error = match failed {
                        Ok(Err(error)) => error.to_string(),
                        _ => "timed out".to_owned(),
                    };
                    tracing::warn!(%error, "cannot subscribe to events on Redis; trying again every 2s");
                    warned = true;
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(2)) => continue,
                    () = stop.cancelled() => return,
                }
            }
        };
        if warned {
            tracing::info!("subscribed to events on Redis again");
            warned = false;
        }
        let mut messages = pubsub.into_on_message();
        loop {
            tokio::select! {
                message = messages.next() => match message {
                    Some(message) => match message.get_payload::<String>() {
                        Ok(payload) => receive(&shared, &payload),
                        Err(error) => tracing::warn!(%error, "an event from Redis could not be read"),
                    },
                    None => {
                        tracing::warn!("the Redis subscription ended; resubscribing");
                        break;
                    }
                },
                () = stop.cancelled() => return,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_local_bus_delivers_and_replays_after_the_last_seen_event() {
        let bus = Bus::local();
        let mut first = bus.subscribe(None);
        bus.publish("a", Audience::User(Id::new()), serde_json::json!({"n": 1})).await;
        bus.publish("b", Audience::User(Id::new()), serde_json::json!({"n": 2})).await;
        let seen = first.live.recv().await.unwrap();
        assert_eq!(seen.kind, "a");
        let again = bus.subscribe(Some(&seen.id));
        assert_eq!(again.missed.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["b"]);
        assert!(bus.subscribe(Some("zzzz")).missed.is_empty());
    }
}
