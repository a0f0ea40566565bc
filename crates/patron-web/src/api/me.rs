//! `/api/v1/me…`: the current user and their sessions.

use super::UserResponse;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use patron_app::sessions::{self, SessionKind};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(unsubscribe))
        .routes(routes!(resend_verification))
        .routes(routes!(get_email_preferences, put_email_preferences))
}

/// The current user.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "me",
    responses((status = 200, body = UserResponse), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn me(current: CurrentUser) -> Json<UserResponse> {
    Json(UserResponse::from(&current.user))
}

/// A session or API token of the current user.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// Identifier (the SHA-256 of the token; the token itself is never stored).
    pub id: String,
    /// `cookie` (a browser) or `bearer` (an API token).
    pub kind: &'static str,
    /// The browser or token name.
    pub label: Option<String>,
    /// The address it was opened from.
    pub ip: Option<String>,
    /// When it was opened.
    pub created_at: String,
    /// When it was last used (updated every few minutes).
    pub last_seen_at: String,
    /// When it expires unless used.
    pub expires_at: String,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// The current user's live sessions and API tokens, most recently used first.
#[utoipa::path(
    get, path = "/api/v1/me/sessions", tag = "me",
    responses((status = 200, body = Vec<SessionResponse>), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn list_sessions(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<SessionResponse>>, ApiError> {
    let list = sessions::list(&state.app, current.user.id).await?;
    Ok(Json(
        list.into_iter()
            .map(|s| SessionResponse {
                current: s.id == current.session.id,
                kind: match s.kind {
                    SessionKind::Cookie => "cookie",
                    SessionKind::Bearer => "bearer",
                },
                id: s.id,
                label: s.label,
                ip: s.ip,
                created_at: s.created_at.to_rfc3339(),
                last_seen_at: s.last_seen_at.to_rfc3339(),
                expires_at: s.expires_at.to_rfc3339(),
            })
            .collect(),
    ))
}

/// End one of the current user's sessions or revoke one of their API tokens.
#[utoipa::path(
    delete, path = "/api/v1/me/sessions/{id}", tag = "me",
    params(("id" = String, Path, description = "Session id from the list")),
    responses((status = 204, description = "Ended"), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn revoke_session(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    sessions::revoke(&state.app, current.user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One-click unsubscribe (RFC 8058): the address in a mail's `List-Unsubscribe` header. Mail
/// providers call it for the user, without a session; the signed token is the authority.
#[utoipa::path(
    post, path = "/api/v1/unsubscribe/{token}", tag = "me",
    params(("token" = String, Path, description = "The token from the mail")),
    responses((status = 204, description = "Unsubscribed (again, if it was done before)"), (status = 404, body = ErrorBody))
)]
async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Result<StatusCode, ApiError> {
    patron_app::accounts::unsubscribe(&state.app, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a new confirmation link to the current user's address.
#[utoipa::path(
    post, path = "/api/v1/me/verification-email", tag = "me",
    responses((status = 202, description = "A link is on its way"), (status = 409, description = "Confirmed already", body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn resend_verification(State(state): State<AppState>, current: CurrentUser) -> Result<StatusCode, ApiError> {
    patron_app::accounts::send_verification(&state.app, &current.user).await?;
    Ok(StatusCode::ACCEPTED)
}

/// What mail the user wants, by category (`new_posts`: on unless turned off; `digest`: the
/// weekly digest, off unless turned on).
#[utoipa::path(
    get, path = "/api/v1/me/email-preferences", tag = "me",
    responses((status = 200, body = std::collections::BTreeMap<String, bool>), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn get_email_preferences(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<std::collections::BTreeMap<String, bool>>, ApiError> {
    let list = patron_app::accounts::email_preferences(&state.app, current.user.id).await?;
    Ok(Json(list.into_iter().map(|(c, on)| (c.to_owned(), on)).collect()))
}

/// Change what mail the user wants: send the categories to change, e.g. `{"digest": true}`.
#[utoipa::path(
    put, path = "/api/v1/me/email-preferences", tag = "me",
    request_body = std::collections::BTreeMap<String, bool>,
    responses((status = 200, body = std::collections::BTreeMap<String, bool>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn put_email_preferences(
    State(state): State<AppState>,
    current: CurrentUser,
    crate::extract::ApiJson(input): crate::extract::ApiJson<std::collections::BTreeMap<String, bool>>,
) -> Result<Json<std::collections::BTreeMap<String, bool>>, ApiError> {
    let choices: Vec<(String, bool)> = input.into_iter().collect();
    patron_app::accounts::set_email_preferences(&state.app, current.user.id, &choices).await?;
    let list = patron_app::accounts::email_preferences(&state.app, current.user.id).await?;
    Ok(Json(list.into_iter().map(|(c, on)| (c.to_owned(), on)).collect()))
}
