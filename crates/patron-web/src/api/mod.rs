//! The JSON API under `/api/v1/`, described by the OpenAPI document generated from the
//! handlers' annotations and served at `/api/v1/openapi.json`.

mod admin;
mod auth;
pub(crate) mod creators;
mod documents;
mod earnings;
mod events;
mod feed;
mod me;
pub mod media;
pub(crate) mod payments;
mod payouts;
pub(crate) mod tax_reports;
pub(crate) use payouts::xml_download;
pub(crate) mod posts;
pub mod stripe;

use crate::AppState;
use crate::error::ApiError;
use axum::routing::get;
use patron_app::User;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "patron API",
        description = "The JSON API of patron, a creator-membership platform. Everything a fan or creator \
                       can do in the web UI is here too. Authenticate with `Authorization: Bearer <token>` \
                       (from `POST /api/v1/auth/login`) or the browser's session cookie; cookie-authenticated \
                       requests that change state must send the `X-CSRF-Token` header. Errors are \
                       `{\"error\": {\"code\", \"message\"}}`."
    ),
    modifiers(&SecuritySchemes),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail, crate::error::FieldError)),
    tags(
        (name = "auth", description = "Accounts, logging in and out"),
        (name = "me", description = "The current user"),
        (name = "creators", description = "Creator pages, following and discovery"),
        (name = "tiers", description = "Membership tiers of a creator page"),
        (name = "team", description = "The team that runs a creator page"),
        (name = "posts", description = "Posts, polls and comments; every view is checked against the viewer's entitlement"),
        (name = "feed", description = "A fan's feed and private RSS feeds"),
        (name = "earnings", description = "A page's revenue split among its team and what the platform owes each member"),
        (name = "payments", description = "Checkouts, memberships, payments, a creator's dashboard and exports"),
        (name = "media", description = "Uploads (type from the bytes, size limits), processing state, private documents"),
        (name = "admin", description = "Platform administration: the job queue, private documents (audit-logged)"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "patron_session",
                "The browser session cookie; named __Host-patron_session when patron is served over https. \
                 State-changing requests authenticated by it must send the X-CSRF-Token header.",
            ))),
        );
    }
}

/// A user as the API shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    /// Identifier.
    pub id: String,
    /// E-mail address (normalised to lower case).
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// Whether the e-mail address is confirmed.
    pub email_verified: bool,
    /// Whether the user administers the platform.
    pub is_platform_admin: bool,
    /// Interface language.
    pub locale: String,
    /// When the account was created (RFC 3339).
    pub created_at: String,
}

impl From<&User> for UserResponse {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            email_verified: user.email_verified_at.is_some(),
            is_platform_admin: user.is_platform_admin,
            locale: user.locale.clone(),
            created_at: user.created_at.to_rfc3339(),
        }
    }
}

/// An amount of money: integer minor units (5900 = 59 CZK), never a float.
#[derive(Debug, Serialize, ToSchema)]
pub struct MoneyResponse {
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// For people: `59 Kč`.
    pub formatted: String,
}

impl From<patron_domain::money::Money> for MoneyResponse {
    fn from(money: patron_domain::money::Money) -> Self {
        Self { amount: money.minor, currency: money.currency.code().to_owned(), formatted: money.display() }
    }
}

/// The API's routes and its OpenAPI document (served at `/api/v1/openapi.json`).
pub fn router(state: &AppState) -> axum::Router<AppState> {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(me::router())
        .merge(creators::router())
        .merge(earnings::router())
        .merge(payouts::router())
        .merge(documents::router())
        .merge(tax_reports::router())
        .merge(posts::router())
        .merge(feed::router())
        .merge(events::router())
        .merge(admin::router())
        .merge(media::router(state))
        .merge(payments::router())
        .merge(stripe::router())
        .split_for_parts();
    // serialised once: the document is the same for the life of the process
    let document: axum::body::Bytes = serde_json::to_vec(&openapi).unwrap_or_default().into();
    router
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let document = document.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], document) }
            }),
        )
        .route("/api/v1/{*rest}", axum::routing::any(|| async { ApiError::not_found() }))
        .route("/api/v1", axum::routing::any(|| async { ApiError::not_found() }))
        .route("/api/v1/", axum::routing::any(|| async { ApiError::not_found() }))
}
