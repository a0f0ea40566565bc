//! Registering and logging in, shared by the JSON API and the web pages.

use crate::AppState;
use crate::error::ApiError;
use axum::http::StatusCode;
use patron_domain::token::digest_hex;
use patron_domain::{DisplayName, Email, Password, PasswordHash, SecretToken, ValidationError};
use patron_store::sessions::{self, Session, SessionKind};
use patron_store::users::{self, InsertUserError, User};
use std::net::IpAddr;

/// What a sign-up form or API call provides.
#[derive(Debug)]
pub struct Registration<'a> {
    /// E-mail address.
    pub email: &'a str,
    /// Chosen password.
    pub password: &'a str,
    /// Optional display name (defaults to the e-mail's local part).
    pub display_name: Option<&'a str>,
}

/// Runs Argon2 work off the async executor, at most one job per core at a time: each hash
/// takes 19 MiB, so a flood of sign-ups or log-ins queues instead of exhausting memory.
async fn hashing<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let _permit = state.hashing.acquire().await.map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)
}

/// Counts an attempt from `client_ip` in the bucket `kind` and refuses it past the per-address
/// limit.
async fn limit_per_ip(state: &AppState, kind: &str, client_ip: Option<IpAddr>) -> Result<(), ApiError> {
    let Some(ip) = client_ip else { return Ok(()) };
    let attempts = state
        .cache
        .increment(&format!("{kind}:ip:{}", ip_bucket(ip)), state.settings.login_window)
        .await
        .map_err(ApiError::unavailable)?;
    if attempts.count > u64::from(state.settings.login_max_attempts_per_ip) {
        tracing::warn!(client_ip = %ip, kind, "attempts from this address are rate limited");
        return Err(ApiError::rate_limited(attempts.resets_in));
    }
    Ok(())
}

/// Creates an account, or explains every field that is wrong. Sign-ups count against the
/// same per-address limit as log-ins.
pub async fn register(state: &AppState, input: Registration<'_>, client_ip: Option<IpAddr>) -> Result<User, ApiError> {
    limit_per_ip(state, "register", client_ip).await?;
    let mut errors: Vec<ValidationError> = Vec::new();
    let email = Email::parse(input.email).map_err(|e| errors.push(e)).ok();
    let password = Password::parse(input.password).map_err(|e| errors.push(e)).ok();
    let display_name = match input.display_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => DisplayName::parse(name).map_err(|e| errors.push(e)).ok(),
        None => email.as_ref().map(DisplayName::from_email),
    };
    let (Some(email), Some(password), Some(display_name)) = (email, password, display_name) else {
        return Err(ApiError::validation(errors));
    };

    let hash = hashing(state, move || PasswordHash::hash(&password)).await?;
    match users::insert(state.db.pool(), &email, &display_name, &hash).await {
        Ok(user) => {
            tracing::info!(user_id = %user.id, "account registered");
            Ok(user)
        }
        Err(InsertUserError::EmailTaken) => Err(ApiError::conflict(
            "email_taken",
            "An account with this e-mail address already exists. Log in instead.",
        )),
        Err(InsertUserError::Store(error)) => Err(error.into()),
    }
}

/// The rate-limit bucket of an address: IPv6 clients are grouped by /64, since one client
/// usually holds a whole /64.
fn ip_bucket(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// Checks credentials, subject to the per-account and per-IP rate limits.
pub async fn log_in(
    state: &AppState,
    email: &str,
    password: &str,
    client_ip: Option<IpAddr>,
) -> Result<User, ApiError> {
    let settings = &state.settings;
    let window = settings.login_window;
    let cache_error = |e: patron_cache::CacheError| ApiError::unavailable(e);

    limit_per_ip(state, "login", client_ip).await?;
    // Counted before the password is checked, so a burst of parallel guesses cannot all slip
    // in before the first failure is recorded; a successful log-in clears the counter. The key
    // is a digest, so its size does not depend on what the client sent.
    let account_key = format!("login:account:{}", digest_hex(email.trim().to_lowercase().as_bytes()));
    let attempts = state.cache.increment(&account_key, window).await.map_err(cache_error)?;
    if attempts.count > u64::from(settings.login_max_attempts_per_account) {
        tracing::warn!("log-in attempts for one account are rate limited");
        return Err(ApiError::rate_limited(attempts.resets_in));
    }

    let found = match Email::parse(email) {
        Ok(email) => users::find_by_email_with_password(state.db.pool(), &email).await?,
        Err(_) => None,
    };
    let candidate = password.to_owned();
    let verified = hashing(state, move || match found {
        Some((user, hash)) => hash.verify(&candidate).then_some(user),
        None => {
            PasswordHash::verify_against_dummy(&candidate);
            None
        }
    })
    .await?;

    match verified {
        Some(user) => {
            state.cache.delete(&account_key).await.map_err(cache_error)?;
            Ok(user)
        }
        None => {
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "Wrong e-mail address or password."))
        }
    }
}

/// Opens a session (cookie) or issues an API token (bearer) for a user.
pub async fn open_session(
    state: &AppState,
    user: &User,
    kind: SessionKind,
    label: Option<&str>,
    client_ip: Option<IpAddr>,
) -> Result<(SecretToken, Session), ApiError> {
    let ip = client_ip.map(|ip| ip.to_string());
    let opened =
        sessions::create(state.db.pool(), user.id, kind, state.settings.session_ttl, label, ip.as_deref()).await?;
    tracing::info!(user_id = %user.id, kind = ?kind, "session opened");
    Ok(opened)
}

/// Checks an unsubscribe link's token: the user and the mail category it stops.
pub fn unsubscribe_target(state: &AppState, token: &str) -> Result<(patron_domain::Id, String), ApiError> {
    patron_mail::unsubscribe::verify(state.secret_key.expose(), token).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "unsubscribe_link_invalid", "This unsubscribe link is not valid.")
    })
}

/// Stops the mails an unsubscribe link names. Doing it twice is fine.
pub async fn unsubscribe(state: &AppState, token: &str) -> Result<String, ApiError> {
    let (user_id, category) = unsubscribe_target(state, token)?;
    patron_store::mail::unsubscribe(state.db.pool(), user_id, &category).await?;
    tracing::info!(%user_id, %category, "unsubscribed");
    Ok(category)
}
