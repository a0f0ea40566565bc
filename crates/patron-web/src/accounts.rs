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
    // the account and its confirmation mail commit together
    let mut transaction = state.db.begin_write().await?;
    match users::insert(&mut *transaction, &email, &display_name, &hash).await {
        Ok(user) => {
            queue_verification(state, &mut transaction, &user).await?;
            transaction.commit().await.map_err(patron_store::StoreError::from)?;
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
    patron_store::mail::set_preference(state.db.pool(), user_id, &category, false).await?;
    tracing::info!(%user_id, %category, "unsubscribed");
    Ok(category)
}

/// How long an address-confirmation link works.
const VERIFY_TTL: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);
/// How long a password-reset link works.
const RESET_TTL: std::time::Duration = std::time::Duration::from_secs(3600);
/// How long a sign-in link works.
const SIGN_IN_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// Mails of one kind to one address per hour (resets, sign-in links, confirmations).
const MAILS_PER_ADDRESS_PER_HOUR: u64 = 5;

fn account_mail(
    user: &User,
    kind: &str,
    digest: &str,
    template: patron_mail::Template,
    path: &str,
    seed: String,
) -> patron_mail::jobs::EmailJob {
    patron_mail::jobs::EmailJob {
        key: format!("{kind}:{digest}"),
        to: user.email.clone(),
        locale: user.locale.clone(),
        template,
        link: patron_mail::Link::Secret { path: path.to_owned(), seed },
        unsubscribe: None,
    }
}

/// Limits account mails to one address, so nobody can flood someone's inbox through us.
async fn limit_mails_to(state: &AppState, kind: &str, email: &str) -> Result<bool, ApiError> {
    let key = format!("mail:{kind}:{}", digest_hex(email.as_bytes()));
    let sent =
        state.cache.increment(&key, std::time::Duration::from_secs(3600)).await.map_err(ApiError::unavailable)?;
    Ok(sent.count <= MAILS_PER_ADDRESS_PER_HOUR)
}

/// Sends a new address-confirmation link to a user (after registering, or asked again).
pub async fn send_verification(state: &AppState, user: &User) -> Result<(), ApiError> {
    if user.email_verified_at.is_some() {
        return Err(ApiError::conflict("already_verified", "This e-mail address is confirmed already."));
    }
    if !limit_mails_to(state, "verify", &user.email).await? {
        return Err(ApiError::rate_limited(std::time::Duration::from_secs(3600)));
    }
    let mut transaction = state.db.begin_write().await?;
    queue_verification(state, &mut transaction, user).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    Ok(())
}

/// Records a confirmation token and enqueues its mail, in the caller's transaction.
async fn queue_verification(
    state: &AppState,
    transaction: &mut patron_store::Transaction,
    user: &User,
) -> Result<(), ApiError> {
    let (seed, token) = patron_mail::new_link_token(state.secret_key.expose());
    let digest = token.digest();
    patron_store::account_tokens::create_email_verification(
        &mut **transaction,
        user.id,
        &user.email,
        &digest,
        VERIFY_TTL,
    )
    .await?;
    let template = patron_mail::Template::VerifyEmail { display_name: user.display_name.clone() };
    let mail = account_mail(user, "verify", &digest, template, "/verify-email/", seed);
    patron_mail::jobs::enqueue_email(&mut **transaction, &mail).await?;
    Ok(())
}

fn link_not_valid() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "link_not_valid",
        "This link is not valid any more: it was used already, or it expired. Ask for a new one.",
    )
}

fn link_digest(token: &str) -> Result<String, ApiError> {
    SecretToken::parse(token).map(|t| t.digest()).ok_or_else(link_not_valid)
}

/// Confirms an address with the token from its mail.
pub async fn verify_email(state: &AppState, token: &str) -> Result<(), ApiError> {
    let digest = link_digest(token)?;
    match patron_store::account_tokens::consume_email_verification(&state.db, &digest, patron_domain::Timestamp::now())
        .await?
    {
        Some(user_id) => {
            tracing::info!(%user_id, "e-mail address confirmed");
            Ok(())
        }
        None => Err(link_not_valid()),
    }
}

/// Mails a password-reset link when an account has the address. Answers the same whether or
/// not it does, so the form cannot tell who has an account.
pub async fn request_password_reset(state: &AppState, email: &str, client_ip: Option<IpAddr>) -> Result<(), ApiError> {
    limit_per_ip(state, "reset", client_ip).await?;
    let Ok(email) = Email::parse(email) else {
        return Err(ApiError::validation(vec![ValidationError::new("email", "is not an e-mail address")]));
    };
    let Some(user) = users::find_by_email(state.db.pool(), &email).await? else { return Ok(()) };
    if !limit_mails_to(state, "reset", &user.email).await? {
        tracing::warn!(user_id = %user.id, "password-reset mails to this address are rate limited");
        return Ok(());
    }
    let (seed, token) = patron_mail::new_link_token(state.secret_key.expose());
    let digest = token.digest();
    let ip = client_ip.map(|ip| ip.to_string());
    let mut transaction = state.db.begin_write().await?;
    patron_store::account_tokens::create_password_reset(&mut *transaction, user.id, &digest, ip.as_deref(), RESET_TTL)
        .await?;
    let template = patron_mail::Template::PasswordReset { display_name: user.display_name.clone() };
    let mail = account_mail(&user, "reset", &digest, template, "/reset-password/", seed);
    patron_mail::jobs::enqueue_email(&mut *transaction, &mail).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    tracing::info!(user_id = %user.id, "password-reset link sent");
    Ok(())
}

/// Whether a password-reset link still works (to show its form).
pub async fn password_reset_is_open(state: &AppState, token: &str) -> Result<(), ApiError> {
    let digest = link_digest(token)?;
    if patron_store::account_tokens::password_reset_is_open(&state.db, &digest, patron_domain::Timestamp::now()).await?
    {
        Ok(())
    } else {
        Err(link_not_valid())
    }
}

/// Sets a new password with a reset link. Every session and API token of the account ends:
/// whoever knew the old password is out.
pub async fn reset_password(state: &AppState, token: &str, password: &str) -> Result<User, ApiError> {
    let digest = link_digest(token)?;
    let password = Password::parse(password).map_err(|e| ApiError::validation(vec![e]))?;
    let hash = hashing(state, move || PasswordHash::hash(&password)).await?;
    let mut transaction = state.db.begin_write().await?;
    let Some(user_id) = patron_store::account_tokens::consume_password_reset(
        &mut transaction,
        &digest,
        patron_domain::Timestamp::now(),
    )
    .await?
    else {
        return Err(link_not_valid());
    };
    users::set_password(&mut *transaction, user_id, &hash).await?;
    let ended = sessions::delete_all_for_user(&mut *transaction, user_id).await?;
    let user = users::find_by_id(&mut *transaction, user_id).await?.ok_or_else(link_not_valid)?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    tracing::info!(%user_id, sessions_ended = ended, "password reset");
    Ok(user)
}

/// Mails a sign-in link when an account has the address; answers the same either way.
pub async fn request_sign_in_link(state: &AppState, email: &str, client_ip: Option<IpAddr>) -> Result<(), ApiError> {
    limit_per_ip(state, "sign-in-link", client_ip).await?;
    let Ok(email) = Email::parse(email) else {
        return Err(ApiError::validation(vec![ValidationError::new("email", "is not an e-mail address")]));
    };
    let Some(user) = users::find_by_email(state.db.pool(), &email).await? else { return Ok(()) };
    if !limit_mails_to(state, "sign-in", &user.email).await? {
        tracing::warn!(user_id = %user.id, "sign-in links to this address are rate limited");
        return Ok(());
    }
    let (seed, token) = patron_mail::new_link_token(state.secret_key.expose());
    let digest = token.digest();
    let mut transaction = state.db.begin_write().await?;
    patron_store::account_tokens::create_sign_in(&mut *transaction, user.id, &digest, SIGN_IN_TTL).await?;
    let template = patron_mail::Template::SignInLink { display_name: user.display_name.clone() };
    let mail = account_mail(&user, "sign-in", &digest, template, "/sign-in/", seed);
    patron_mail::jobs::enqueue_email(&mut *transaction, &mail).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    tracing::info!(user_id = %user.id, "sign-in link sent");
    Ok(())
}

/// Whether a sign-in link still works, without using it.
pub async fn sign_in_link_is_open(state: &AppState, token: &str) -> Result<(), ApiError> {
    let digest = link_digest(token)?;
    if patron_store::account_tokens::sign_in_is_open(&state.db, &digest, patron_domain::Timestamp::now()).await? {
        Ok(())
    } else {
        Err(link_not_valid())
    }
}

/// Uses a sign-in link (once): the account to open a session for. Opening the link proves
/// the address, so it also counts as confirming it.
pub async fn sign_in_with_link(state: &AppState, token: &str) -> Result<User, ApiError> {
    let digest = link_digest(token)?;
    let now = patron_domain::Timestamp::now();
    let user_id =
        patron_store::account_tokens::consume_sign_in(&state.db, &digest, now).await?.ok_or_else(link_not_valid)?;
    users::mark_verified(state.db.pool(), user_id).await?;
    let user = users::find_by_id(state.db.pool(), user_id).await?.ok_or_else(link_not_valid)?;
    tracing::info!(%user_id, "signed in by e-mail link");
    Ok(user)
}

/// Every category of mail a user can choose, with what they chose (or its default).
pub async fn email_preferences(
    state: &AppState,
    user_id: patron_domain::Id,
) -> Result<Vec<(&'static str, bool)>, ApiError> {
    let chosen = patron_store::mail::preferences(state.db.pool(), user_id).await?;
    Ok(patron_mail::unsubscribe::CATEGORIES
        .iter()
        .map(|(category, default)| {
            let enabled = chosen.iter().find(|(c, _)| c == category).map(|(_, on)| *on).unwrap_or(*default);
            (*category, enabled)
        })
        .collect())
}

/// Records a user's choices; unknown categories are refused.
pub async fn set_email_preferences(
    state: &AppState,
    user_id: patron_domain::Id,
    choices: &[(String, bool)],
) -> Result<(), ApiError> {
    if let Some((unknown, _)) = choices.iter().find(|(c, _)| patron_mail::unsubscribe::default_for(c).is_none()) {
        let known: Vec<&str> = patron_mail::unsubscribe::CATEGORIES.iter().map(|(c, _)| *c).collect();
        return Err(ApiError::validation(vec![ValidationError::new(
            "category",
            format!("{unknown:?} is not a category of mail; the categories are {}", known.join(", ")),
        )]));
    }
    let mut transaction = state.db.begin_write().await?;
    for (category, enabled) in choices {
        patron_store::mail::set_preference(&mut *transaction, user_id, category, *enabled).await?;
    }
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    Ok(())
}
