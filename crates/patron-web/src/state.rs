use crate::metrics::Metrics;
use patron_app::App;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Everything a request handler may need, shared by all requests: the use cases' context
/// and what only HTTP needs.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The shared parts of [`AppState`].
pub struct Inner {
    /// The use cases' context: settings, database, storage, cache, events, payments, keys.
    pub app: App,
    /// Request and pool metrics.
    pub metrics: Metrics,
    /// Cookie names, which depend on whether the site is served over https.
    pub cookies: CookieNames,
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
    /// Assembles the state around the use cases' context.
    pub fn new(app: App, metrics: Metrics) -> Self {
        let secure = app.settings.is_https();
        let cookies = if secure {
            CookieNames { session: "__Host-patron_session", csrf: "__Host-patron_csrf", secure }
        } else {
            CookieNames { session: "patron_session", csrf: "patron_csrf", secure }
        };
        Self(Arc::new(Inner {
            app,
            metrics,
            cookies,
            draining: AtomicBool::new(false),
            drain: tokio_util::sync::CancellationToken::new(),
        }))
    }

    /// Marks the process as shutting down: `/readyz` answers 503 from now on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
        self.drain.cancel();
    }

    /// Completes when shutdown begins.
    pub fn drained(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.drain.clone().cancelled_owned()
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}
