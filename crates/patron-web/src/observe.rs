//! Per-request telemetry: a span named by the matched route that carries the request id (so
//! every log line of the request has it), one access-log line, and the request metrics.
//!
//! Written as one middleware instead of tower-http's `TraceLayer` because it needs the route
//! template for span names and metric labels, and logs health checks at debug level so probes
//! do not drown the log.

use crate::AppState;
use crate::client_ip::ClientIp;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::{Instrument, Level, field};

/// The request-id header, accepted from clients and proxies and returned on every response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// A request id as received or generated.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Keeps a client's `X-Request-Id` only if it is safe to log (visible ASCII, at most 128
/// characters); otherwise replaces it with a new UUID.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let incoming = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned);
    let id = incoming.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if let Ok(value) = HeaderValue::from_str(&id) {
        request.headers_mut().insert(REQUEST_ID_HEADER, value.clone());
        request.extensions_mut().insert(RequestId(id));
        let mut response = next.run(request).await;
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
        response
    } else {
        next.run(request).await
    }
}

fn is_probe(route: &str) -> bool {
    matches!(route, "/healthz" | "/readyz" | "/metrics")
}

/// Opens the request span, logs the outcome and records metrics.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Only standard methods become label values: any token a client sends would otherwise
    // create a new time series.
    let method = match *request.method() {
        Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::OPTIONS => {
            request.method().as_str().to_owned()
        }
        _ => "other".to_owned(),
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let request_id = request.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let client_ip = request.extensions().get::<ClientIp>().map(|ip| ip.0.to_string()).unwrap_or_default();
    let probe = is_probe(&route);

    let span = if probe {
        tracing::debug_span!(
            "request", %method, %route, %request_id,
            otel.name = format!("{method} {route}"), otel.kind = "server",
            http.response.status_code = field::Empty,
        )
    } else {
        tracing::info_span!(
            "request", %method, %route, %request_id, %client_ip,
            otel.name = format!("{method} {route}"), otel.kind = "server",
            http.response.status_code = field::Empty,
        )
    };
    let _in_flight = state.metrics.track_in_flight();
    let (response, db_statements) = patron_store::count_statements(next.run(request).instrument(span.clone())).await;

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    span.record("http.response.status_code", status);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    let _entered = span.enter();
    if probe {
        tracing::event!(Level::DEBUG, status, latency_ms, db_statements, "request finished");
    } else if status >= 500 {
        tracing::event!(Level::ERROR, status, latency_ms, db_statements, "request finished");
    } else {
        tracing::event!(Level::INFO, status, latency_ms, db_statements, "request finished");
    }
    state.metrics.record_request(&method, &route, status, elapsed.as_secs_f64(), db_statements);
    response
}
