use crate::metrics::Metrics;
use patron_cache::Cache;
use patron_settings::{SecretString, Settings};
use patron_storage::Storage;
use patron_store::Db;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Everything a request handler may need, shared by all requests.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The shared parts of [`AppState`].
pub struct Inner {
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// The database.
    pub db: Db,
    /// Object storage.
    pub storage: Storage,
    /// The cache.
    pub cache: Cache,
    /// Request and pool metrics.
    pub metrics: Metrics,
    /// The key that signs CSRF tokens (and later signed URLs).
    pub secret_key: SecretString,
    /// Cookie names, which depend on whether the site is served over https.
    pub cookies: CookieNames,
    /// Bounds concurrent password hashing to the number of cores.
    pub hashing: tokio::sync::Semaphore,
    /// Live events to and from every replica.
    pub bus: patron_events::Bus,
    /// The payment providers.
    pub payments: patron_payments::Payments,
    draining: AtomicBool,
    /// Fires when shutdown begins, ending long-lived responses (event streams).
    drain: tokio_util::sync::CancellationToken,
}

/// The names of patron's cookies. Over https they carry the `__Host-` prefix, which browsers
/// only accept with `Secure`, `Path=/` and no `Domain`, so a sibling subdomain cannot plant them.
#[derive(Clone, Debug)]
pub struct CookieNames {
    /// The session cookie.
    pub session: &'static str,
    /// The CSRF cookie for visitors without a session.
    pub csrf: &'static str,
    /// Whether cookies are `Secure`.
    pub secure: bool,
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Assembles the state from opened backends.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        settings: Arc<Settings>,
        payments: patron_payments::Payments,
        db: Db,
        storage: Storage,
        cache: Cache,
        bus: patron_events::Bus,
        metrics: Metrics,
        secret_key: SecretString,
    ) -> Self {
        let secure = settings.is_https();
        let cookies = if secure {
            CookieNames { session: "__Host-patron_session", csrf: "__Host-patron_csrf", secure }
        } else {
            CookieNames { session: "patron_session", csrf: "patron_csrf", secure }
        };
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
        let hashing = tokio::sync::Semaphore::new(cores);
        Self(Arc::new(Inner {
            settings,
            db,
            storage,
            payments,
            cache,
            metrics,
            secret_key,
            cookies,
            hashing,
            bus,
            draining: AtomicBool::new(false),
            drain: tokio_util::sync::CancellationToken::new(),
        }))
    }

    /// Marks the process as shutting down: `/readyz` answers 503 from now on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
        self.drain.cancel();
    }

    /// Whether shutdown has begun.
    /// Completes when shutdown begins.
    pub fn drained(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.drain.clone().cancelled_owned()
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}
