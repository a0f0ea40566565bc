//! Operations endpoints: liveness, readiness and metrics.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long one readiness check may take before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET`/`HEAD /healthz`: the process is alive. Checks nothing else, so a slow database
/// never gets a healthy pod restarted (lesson 14: uptime checks use HEAD).
pub async fn healthz() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], "ok\n")
}

/// The readiness document.
#[derive(Debug, Serialize)]
pub struct Readiness {
    /// `ready`, `degraded` (serving, but the cache does not answer), `not_ready` or `draining`.
    pub status: &'static str,
    /// Each dependency: `ok` or what is wrong.
    pub checks: BTreeMap<&'static str, String>,
}

async fn timed<F, E>(check: F) -> String
where
    F: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => "ok".to_owned(),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check failed");
            "failing".to_owned()
        }
        Err(_) => "timed out".to_owned(),
    }
}

/// `GET /readyz`: 200 when the database, its migrations and storage are fine; 503 when one
/// is not, and from the moment shutdown begins, so traffic drains before the listener closes
/// (lesson 8). The cache is reported but does not decide: without Redis patron keeps serving
/// from memory, and taking every replica out of service for it would turn a degraded cache
/// into an outage.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.is_draining() {
        let body = Readiness { status: "draining", checks: BTreeMap::new() };
        return (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response();
    }
    let database = timed(state.app.db.ping());
    let migrations = timed(async {
        let status = patron_store::migrate::status(&state.app.db).await?;
        if status.is_current() {
            Ok(())
        } else {
            Err(patron_store::StoreError::Schema(format!(
                "{} migration(s) pending, {} modified",
                status.pending.len(),
                status.modified.len()
            )))
        }
    });
    let storage = timed(state.app.storage.check_reachable());
    let cache = timed(state.app.cache.ping());
    let (database, migrations, storage, cache) = tokio::join!(database, migrations, storage, cache);
    let checks =
        BTreeMap::from([("database", database), ("migrations", migrations), ("storage", storage), ("cache", cache)]);
    let ready = checks.iter().filter(|(name, _)| **name != "cache").all(|(_, v)| v == "ok");
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let degraded = checks.get("cache").is_some_and(|v| v != "ok");
    let body = Readiness {
        status: match (ready, degraded) {
            (false, _) => "not_ready",
            (true, true) => "degraded",
            (true, false) => "ready",
        },
        checks,
    };
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// `GET /metrics`: Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> Response {
    // the queue is read at scrape time; without the database the rest still renders
    match patron_store::jobs::stats(&state.app.db).await {
        Ok(stats) => state.metrics.set_queue(&stats, patron_domain::Timestamp::now()),
        Err(error) => tracing::warn!(%error, "metrics: cannot read the job queue"),
    }
    match state.metrics.render(state.app.db.stats()) {
        Ok(text) => ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response(),
        Err(error) => crate::error::ApiError::internal(format!("rendering metrics: {error}")).into_response(),
    }
}
