//! patron's HTTP layer: the JSON API under `/api/v1/` (with its OpenAPI document), the
//! server-rendered web UI, and the operations endpoints (`/healthz`, `/readyz`, `/metrics`).
//!
//! Handlers live one module per resource under `api/` and `pages/`; each extracts the
//! request, calls one use case of `patron-app` and presents its result. [`router`] assembles
//! them with the request pipeline (request id, client IP, telemetry, timeout, compression,
//! body limit, CSRF).

pub mod api;
pub mod auth;
pub mod client_ip;
pub mod cookies;
pub mod csrf;
pub mod error;
pub mod extract;
mod html;
pub mod i18n;
pub mod metrics;
pub mod observe;
pub mod ops;
pub mod pages;
mod pdf;
mod state;

pub use metrics::Metrics;
pub use state::{AppState, CookieNames, Inner};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::set_header::SetResponseHeaderLayer;

/// Ends a request that takes longer than `PATRON_REQUEST_TIMEOUT` with 503, except uploads:
/// a large file takes as long as the client's line needs, so an upload instead fails when
/// the client stops sending for that long (see `media::upload`).
async fn deadline(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if api::media::is_upload(&request) {
        return next.run(request).await;
    }
    match tokio::time::timeout(state.app.settings.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request timed out");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// The pages' Content-Security-Policy: our own scripts and styles only; images and media also
/// from the S3 service that presigned URLs point at.
fn content_security_policy(state: &AppState) -> HeaderValue {
    let settings = &state.app.settings;
    let storage = match &settings.storage_url {
        patron_settings::StorageUrl::S3 { endpoint: Some(endpoint), .. } if endpoint.scheme() == "http" => {
            format!(" {}", endpoint.origin().ascii_serialization())
        }
        _ => String::new(),
    };
    // Stripe.js comes from Stripe (its terms require it), talks to Stripe's API and shows the
    // card field and the bank's authentication in Stripe's frames
    let stripe = match &settings.stripe {
        Some(stripe) => {
            let js = stripe.js_url.origin().ascii_serialization();
            let api = stripe.api_base.origin().ascii_serialization();
            format!("; script-src 'self' {js}; connect-src 'self' {api} {js}; frame-src {js} https://hooks.stripe.com")
        }
        None => String::new(),
    };
    let policy = format!(
        "default-src 'self'; img-src 'self' data: https:{storage}; media-src 'self' https:{storage}; \
         frame-ancestors 'none'; form-action 'self'{stripe}"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

/// Which parts a listener serves.
#[derive(Clone, Copy, Debug)]
pub struct Parts {
    /// The web UI and the JSON API (the `web` role).
    pub web: bool,
    /// `/metrics` (on the main listener unless a separate metrics listener is configured).
    pub metrics: bool,
}

/// While the install is read-only (a live relocation copies its last changes), requests that
/// would change something get 503 with `Retry-After`; reading goes on.
async fn refuse_writes_when_read_only(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let safe =
        matches!(*request.method(), axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS);
    if !safe && state.app.db.is_read_only() {
        return error::ApiError::read_only().into_response();
    }
    next.run(request).await
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    // the panic message is printed by the panic hook; the client learns nothing internal
    error::ApiError::internal("a request handler panicked").into_response()
}

/// The operations endpoints alone, for a separate metrics listener.
pub fn ops_router(state: AppState) -> Router {
    router(state, Parts { web: false, metrics: true })
}

/// The routes for one listener, with the whole request pipeline.
pub fn router(state: AppState, parts: Parts) -> Router {
    let mut routes = Router::new().route("/healthz", get(ops::healthz)).route("/readyz", get(ops::readyz));
    if parts.metrics {
        routes = routes.route("/metrics", get(ops::metrics));
    }
    if parts.web {
        let web = api::router(&state)
            .merge(api::media::files_router())
            .merge(api::stripe::webhook_router())
            .merge(pages::router(&state))
            .layer(from_fn_with_state(state.clone(), csrf::middleware))
            .layer(from_fn_with_state(state.clone(), refuse_writes_when_read_only))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                content_security_policy(&state),
            ));
        routes = routes.merge(web);
    } else {
        routes = routes.fallback(|| async { error::ApiError::not_found() });
    }

    let settings = &state.app.settings;
    // The last layer added runs first: request id, client IP, telemetry, error bodies,
    // timeout, compression, then panics turned into 500s inside all of them, so even those
    // are logged with their id.
    routes
        .layer(DefaultBodyLimit::max(settings.body_limit))
        .layer(CatchPanicLayer::custom(panic_response))
        // HTML is not compressed: pages carry a CSRF token next to reflected input, which
        // compression would turn into a length oracle (BREACH).
        .layer(
            CompressionLayer::new()
                .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("text/html"))),
        )
        .layer(from_fn_with_state(state.clone(), deadline))
        .layer(from_fn(error::fill_error_bodies))
        .layer(from_fn(i18n::scope))
        .layer(from_fn_with_state(state.clone(), observe::observe))
        .layer(from_fn_with_state(state.clone(), client_ip::middleware))
        .layer(from_fn(observe::request_id))
        .with_state(state)
}
