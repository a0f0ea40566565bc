//! Who is making a request: a browser session (cookie) or an API client (bearer token).
//! Both are rows in the database, so any replica can answer (lesson 2).

use crate::AppState;
use crate::cookies::{read_cookie, set_cookie};
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use patron_app::User;
use patron_app::sessions::{self, Session, SessionKind};
use patron_domain::SecretToken;
use std::sync::Arc;

/// How the current request authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthVia {
    /// The session cookie (state-changing requests need a CSRF token).
    Cookie,
    /// `Authorization: Bearer` (no CSRF token needed: browsers never attach it on their own).
    Bearer,
}

/// The authenticated user of a request. As an extractor it answers 401 when there is none.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    /// The account.
    pub user: User,
    /// The session or token used.
    pub session: Session,
    /// Cookie or bearer.
    pub via: AuthVia,
}

/// The authenticated user, if any. Never rejects for a missing or stale cookie; an invalid
/// bearer token is still an error, since the client asked to be someone.
#[derive(Clone, Debug)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl MaybeUser {
    /// The account, when someone is logged in: the actor of a use case.
    pub fn user(&self) -> Option<&User> {
        self.0.as_ref().map(|current| &current.user)
    }
}

/// How long browsers keep the session cookie: as long as they allow (400 days). The server
/// decides when a session ends — its expiry slides with every use — so the cookie must not
/// run out first.
const SESSION_COOKIE_MAX_AGE_SECS: u64 = 400 * 24 * 3600;

/// The `Set-Cookie` that hands a browser its session.
pub fn session_cookie(state: &AppState, token: &SecretToken) -> HeaderValue {
    set_cookie(state, state.cookies.session, token.expose(), Some(SESSION_COOKIE_MAX_AGE_SECS))
}

/// The `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(state: &AppState) -> HeaderValue {
    set_cookie(state, state.cookies.session, "", Some(0))
}

/// The session token the request carries in its cookie, when it looks like one.
pub(crate) fn session_cookie_token(state: &AppState, headers: &HeaderMap) -> Option<SecretToken> {
    read_cookie(headers, state.cookies.session).and_then(SecretToken::parse)
}

/// Whether the request carries an `Authorization` header.
pub(crate) fn has_authorization(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION)
}

async fn resolve(parts: &Parts, state: &AppState) -> Result<Option<CurrentUser>, ApiError> {
    let (token, kind, via) = if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .and_then(|v| SecretToken::parse(v.trim()))
            .ok_or_else(|| {
                ApiError::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "The Authorization header must be `Bearer <token>` with a token from /api/v1/auth/login.",
                )
            })?;
        (token, SessionKind::Bearer, AuthVia::Bearer)
    } else if let Some(token) = session_cookie_token(state, &parts.headers) {
        (token, SessionKind::Cookie, AuthVia::Cookie)
    } else {
        return Ok(None);
    };

    let Some((session, user)) = sessions::authenticate(&state.app, &token, kind).await? else {
        return match via {
            AuthVia::Bearer => Err(sessions::token_not_valid().into()),
            // a stale cookie just means "not logged in"
            AuthVia::Cookie => Ok(None),
        };
    };
    Ok(Some(CurrentUser { user, session, via }))
}

/// Resolves once per request; later extractors reuse the answer.
async fn resolve_cached(parts: &mut Parts, state: &AppState) -> Result<Option<CurrentUser>, ApiError> {
    if let Some(cached) = parts.extensions.get::<Arc<Option<CurrentUser>>>() {
        return Ok(cached.as_ref().clone());
    }
    let resolved = resolve(parts, state).await?;
    parts.extensions.insert(Arc::new(resolved.clone()));
    Ok(resolved)
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        resolve_cached(parts, state).await?.ok_or_else(ApiError::unauthenticated)
    }
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        resolve_cached(parts, state).await.map(MaybeUser)
    }
}
