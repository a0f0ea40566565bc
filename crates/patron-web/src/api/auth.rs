//! `/api/v1/auth/…`: registering, logging in and out.

use super::UserResponse;
use crate::AppState;
use crate::auth::{AuthVia, CurrentUser, clear_session_cookie};
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::i18n::Lang;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use patron_app::accounts::{self, Registration};
use patron_app::sessions::{self, SessionKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(logout_everywhere))
        .routes(routes!(verify_email))
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_password_reset))
        .routes(routes!(request_sign_in_link))
        .routes(routes!(confirm_sign_in_link))
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// E-mail address; it becomes the log-in name.
    #[schema(example = "fan@example.com")]
    pub email: String,
    /// At least 8 characters.
    pub password: String,
    /// Name shown to others; defaults to the part of the e-mail before `@`.
    pub display_name: Option<String>,
    /// A name for the API token issued with the account (e.g. the device).
    pub token_name: Option<String>,
    /// The account's language, `en` or `cs` (mails and documents follow it); the request's
    /// `Accept-Language` when absent.
    #[schema(example = "cs")]
    pub locale: Option<String>,
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
    /// A name for the API token (e.g. "Pixel 8"), shown in the list of sessions.
    pub token_name: Option<String>,
}

/// An API token and the user it belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`. Shown only once.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// When the token expires unless used (each use extends it).
    pub expires_at: String,
    /// The account.
    pub user: UserResponse,
}

/// Register an account and receive an API token for it.
#[utoipa::path(
    post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = TokenResponse),
        (status = 409, description = "E-mail address already registered", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    )
)]
async fn register(
    State(state): State<AppState>,
    client_ip: Option<axum::Extension<ClientIp>>,
    lang: Lang,
    ApiJson(input): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<TokenResponse>), ApiError> {
    let registration = Registration {
        email: &input.email,
        password: &input.password,
        display_name: input.display_name.as_deref(),
        locale: input.locale.as_deref().unwrap_or(lang.code()),
    };
    let ip = client_ip.map(|ip| ip.0.0);
    let user = accounts::register(&state.app, registration, ip).await?;
    let (token, session) =
        sessions::open(&state.app, &user, SessionKind::Bearer, input.token_name.as_deref(), ip).await?;
    let body = TokenResponse {
        token: token.expose().to_owned(),
        token_type: "Bearer",
        expires_at: session.expires_at.to_rfc3339(),
        user: UserResponse::from(&user),
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// Log in and receive an API token. Failed attempts are rate limited per account and per
/// client address.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 401, description = "Wrong e-mail address or password", body = ErrorBody),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody),
    )
)]
async fn login(
    State(state): State<AppState>,
    client_ip: Option<axum::Extension<ClientIp>>,
    ApiJson(input): ApiJson<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let ip = client_ip.map(|ip| ip.0.0);
    let user = accounts::log_in(&state.app, &input.email, &input.password, ip).await?;
    let (token, session) =
        sessions::open(&state.app, &user, SessionKind::Bearer, input.token_name.as_deref(), ip).await?;
    Ok(Json(TokenResponse {
        token: token.expose().to_owned(),
        token_type: "Bearer",
        expires_at: session.expires_at.to_rfc3339(),
        user: UserResponse::from(&user),
    }))
}

/// End the current session or revoke the current API token.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Logged out"), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn logout(State(state): State<AppState>, current: CurrentUser) -> Result<Response, ApiError> {
    sessions::end(&state.app, &current.session).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if current.via == AuthVia::Cookie {
        response.headers_mut().insert(header::SET_COOKIE, clear_session_cookie(&state));
    }
    Ok(response)
}

/// End every session and revoke every API token of the current user, on all devices.
#[utoipa::path(
    post, path = "/api/v1/auth/logout-everywhere", tag = "auth",
    responses((status = 204, description = "All sessions ended"), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn logout_everywhere(State(state): State<AppState>, current: CurrentUser) -> Result<Response, ApiError> {
    let ended = sessions::end_all(&state.app, current.user.id).await?;
    tracing::info!(user_id = %current.user.id, ended, "logged out everywhere");
    let mut response = StatusCode::NO_CONTENT.into_response();
    if current.via == AuthVia::Cookie {
        response.headers_mut().insert(header::SET_COOKIE, clear_session_cookie(&state));
    }
    Ok(response)
}

/// A token from a mailed link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkTokenRequest {
    /// The last part of the link's path.
    pub token: String,
    /// For sign-in links: a name for the API token issued.
    pub token_name: Option<String>,
}

/// An e-mail address to send a link to.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailRequest {
    /// The account's e-mail address.
    pub email: String,
}

/// A new password with the token of a reset link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    /// The last part of the reset link's path.
    pub token: String,
    /// The new password (at least 8 characters).
    pub password: String,
}

/// Confirm an e-mail address with the token from the confirmation mail.
#[utoipa::path(
    post, path = "/api/v1/auth/verify-email", tag = "auth", request_body = LinkTokenRequest,
    responses((status = 204, description = "The address is confirmed"), (status = 404, description = "Used, expired or unknown link", body = ErrorBody))
)]
async fn verify_email(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<LinkTokenRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::verify_email(&state.app, &input.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mail a password-reset link (valid for an hour) to an account's address. The answer is the
/// same whether or not an account has the address.
#[utoipa::path(
    post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = EmailRequest,
    responses((status = 202, description = "If an account has this address, a link is on its way"), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody))
)]
async fn request_password_reset(
    State(state): State<AppState>,
    client_ip: Option<axum::Extension<ClientIp>>,
    ApiJson(input): ApiJson<EmailRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::request_password_reset(&state.app, &input.email, client_ip.map(|ip| ip.0.0)).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with a reset link's token; every session and API token of the account
/// ends.
#[utoipa::path(
    post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = PasswordResetRequest,
    responses((status = 204, description = "Password changed; log in again"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
async fn confirm_password_reset(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<PasswordResetRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::reset_password(&state.app, &input.token, &input.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mail a sign-in link (valid once, for 15 minutes) to an account's address. The answer is
/// the same whether or not an account has the address.
#[utoipa::path(
    post, path = "/api/v1/auth/sign-in-link", tag = "auth", request_body = EmailRequest,
    responses((status = 202, description = "If an account has this address, a link is on its way"), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody))
)]
async fn request_sign_in_link(
    State(state): State<AppState>,
    client_ip: Option<axum::Extension<ClientIp>>,
    ApiJson(input): ApiJson<EmailRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::request_sign_in_link(&state.app, &input.email, client_ip.map(|ip| ip.0.0)).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Use a sign-in link's token and receive an API token (apps that open the link themselves).
#[utoipa::path(
    post, path = "/api/v1/auth/sign-in-link/confirm", tag = "auth", request_body = LinkTokenRequest,
    responses((status = 200, description = "Logged in", body = TokenResponse), (status = 404, description = "Used, expired or unknown link", body = ErrorBody))
)]
async fn confirm_sign_in_link(
    State(state): State<AppState>,
    client_ip: Option<axum::Extension<ClientIp>>,
    ApiJson(input): ApiJson<LinkTokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let user = accounts::sign_in_with_link(&state.app, &input.token).await?;
    let ip = client_ip.map(|ip| ip.0.0);
    let (token, session) =
        sessions::open(&state.app, &user, SessionKind::Bearer, input.token_name.as_deref(), ip).await?;
    Ok(Json(TokenResponse {
        token: token.expose().to_owned(),
        token_type: "Bearer",
        expires_at: session.expires_at.to_rfc3339(),
        user: UserResponse::from(&user),
    }))
}
