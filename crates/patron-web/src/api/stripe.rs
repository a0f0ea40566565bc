//! Paying through Stripe: what a payment page or an app needs to save a card with Stripe, the
//! steps after it, changing a membership's card, and Stripe's webhook
//! (`POST /payments/webhooks/stripe`).

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use patron_app::stripe::{self, Step};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(checkout_setup))
        .routes(routes!(checkout_pay))
        .routes(routes!(checkout_look))
        .routes(routes!(card_setup))
        .routes(routes!(card_saved))
}

/// Stripe's webhook, outside the JSON API (Stripe posts its events there).
pub fn webhook_router() -> axum::Router<AppState> {
    axum::Router::new().route("/payments/webhooks/stripe", axum::routing::post(webhook))
}

/// What saving a card with Stripe needs (Stripe.js or Stripe's mobile SDKs).
#[derive(Debug, Serialize, ToSchema)]
pub struct StripeSetup {
    /// The publishable key.
    pub publishable_key: String,
    /// The SetupIntent's client secret: confirm it with the fan's card.
    pub client_secret: String,
}

/// The step after a card was saved or the fan authenticated.
#[derive(Debug, Serialize, ToSchema)]
pub struct StripeStep {
    /// `paid`, `pending` (Stripe has not decided: the webhook will tell), `authenticate` (confirm
    /// the PaymentIntent with `client_secret` on the fan's device, then call `look`) or
    /// `declined`.
    pub status: &'static str,
    /// Where a browser goes next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// For `authenticate`: the PaymentIntent's client secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// For `authenticate`: the PaymentIntent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_intent: Option<String>,
    /// For `declined`: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl From<Step> for StripeStep {
    fn from(step: Step) -> Self {
        let empty = StripeStep { status: "", next: None, client_secret: None, payment_intent: None, message: None };
        match step {
            Step::Paid { next } => StripeStep { status: "paid", next: Some(next), ..empty },
            Step::Pending { next } => StripeStep { status: "pending", next: Some(next), ..empty },
            Step::Authenticate { client_secret, payment_intent } => StripeStep {
                status: "authenticate",
                client_secret: Some(client_secret),
                payment_intent: Some(payment_intent),
                ..empty
            },
            Step::Declined { message } => StripeStep { status: "declined", message: Some(message), ..empty },
        }
    }
}

/// What saving the card of a Stripe checkout needs.
#[utoipa::path(
    get, path = "/api/v1/checkouts/{id}/stripe", tag = "payments",
    responses((status = 200, body = StripeSetup), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn checkout_setup(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<StripeSetup>, ApiError> {
    let page = stripe::payment_page(&state.app, &current.user, &id).await?;
    Ok(Json(StripeSetup { publishable_key: page.publishable_key, client_secret: page.client_secret }))
}

/// Charges the card just saved for a Stripe checkout, with the fan present.
#[utoipa::path(
    post, path = "/api/v1/checkouts/{id}/stripe/pay", tag = "payments",
    responses((status = 200, body = StripeStep), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn checkout_pay(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<StripeStep>, ApiError> {
    Ok(Json(stripe::pay(&state.app, &current.user, &id).await?.into()))
}

/// The PaymentIntent Stripe asked the fan to authenticate.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LookRequest {
    /// Its id.
    pub payment_intent: String,
}

/// Looks at a checkout's PaymentIntent after the fan authenticated (Stripe is asked; the
/// browser's word is not taken).
#[utoipa::path(
    post, path = "/api/v1/checkouts/{id}/stripe/look", tag = "payments", request_body = LookRequest,
    responses((status = 200, body = StripeStep), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn checkout_look(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<LookRequest>,
) -> Result<Json<StripeStep>, ApiError> {
    Ok(Json(stripe::look(&state.app, &current.user, &id, &request.payment_intent).await?.into()))
}

/// Starts changing the card of a Stripe membership: confirm the returned SetupIntent with the
/// new card, then call `POST /api/v1/me/memberships/{id}/card`.
#[utoipa::path(
    post, path = "/api/v1/me/memberships/{id}/card/setup", tag = "payments",
    responses((status = 200, body = StripeSetup), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn card_setup(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<StripeSetup>, ApiError> {
    let client_secret = stripe::card_change(&state.app, &current.user, &id).await?;
    let publishable_key =
        state.app.payments.stripe.as_ref().map(|s| s.publishable_key().to_owned()).unwrap_or_default();
    Ok(Json(StripeSetup { publishable_key, client_secret }))
}

/// The SetupIntent that saved a membership's new card.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CardSaved {
    /// Its id.
    pub setup_intent: String,
}

/// Makes the card a SetupIntent saved the one the membership's renewals charge (a past-due
/// membership's next retry uses it).
#[utoipa::path(
    post, path = "/api/v1/me/memberships/{id}/card", tag = "payments", request_body = CardSaved,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn card_saved(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<CardSaved>,
) -> Result<StatusCode, ApiError> {
    stripe::card_saved(&state.app, &current.user, &id, &request.setup_intent).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /payments/webhooks/stripe`: a delivery of Stripe's webhook. 200 when handled (or
/// seen before, or not an event patron acts on); 400 for a bad signature; 503 when Stripe
/// cannot be asked about the object now, so Stripe delivers it again later.
async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<StatusCode, ApiError> {
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    stripe::webhook(&state.app, &body, signature).await?;
    Ok(StatusCode::OK)
}
