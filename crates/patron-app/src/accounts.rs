//! Accounts: registering, logging in, confirming the address, resetting the password,
//! sign-in links, mail preferences and unsubscribing.

use crate::{App, AppError};
use patron_domain::token::digest_hex;
use patron_domain::{DisplayName, Email, Password, PasswordHash, SecretToken, ValidationError};
use patron_store::sessions;
use patron_store::users::{self, InsertUserError, User};
use std::net::IpAddr;

pub mod profile;

/// What a sign-up form or API call provides.
#[derive(Debug)]
pub struct Registration<'a> {
    /// E-mail address.
    pub email: &'a str,
    /// Chosen password.
    pub password: &'a str,
    /// Optional display name (defaults to the e-mail's local part).
    pub display_name: Option<&'a str>,
    /// The language the person signed up in (`cs`, `en`, `cs-CZ`…): their mails, documents
    /// and pages speak it until they switch.
    pub locale: &'a str,
}

/// Runs Argon2 work off the async executor, at most one job per core at a time (see
/// [`crate::Services::hashing`]).
pub(crate) async fn hashing<T: Send + 'static>(
    app: &App,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let _permit = app.hashing.acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(work).await.map_err(AppError::internal)
}

/// Counts an attempt from `client_ip` in the bucket `kind` and refuses it past the per-address
/// limit. Attempts that succeeded (recorded with [`succeeded_from`]) do not count: an office
/// behind one address is limited by its wrong guesses, not by how many of its people log in.
async fn limit_per_ip(app: &App, kind: &str, client_ip: Option<IpAddr>) -> Result<(), AppError> {
    let Some(ip) = client_ip else { return Ok(()) };
    let bucket = ip_bucket(ip);
    let attempts = app
        .cache
        .increment(&format!("{kind}:ip:{bucket}"), app.settings.login_window)
        .await
        .map_err(AppError::unavailable)?;
    let succeeded = app.cache.count(&format!("{kind}:ip-ok:{bucket}")).await.map_err(AppError::unavailable)?;
    if attempts.count.saturating_sub(succeeded.count) > u64::from(app.settings.login_max_attempts_per_ip) {
        tracing::warn!(client_ip = %ip, kind, "attempts from this address are rate limited");
        return Err(AppError::RateLimited { retry_after: attempts.resets_in });
    }
    Ok(())
}

/// Records that an attempt from `client_ip` in the bucket `kind` succeeded, so it does not
/// count against the address's limit.
async fn succeeded_from(app: &App, kind: &str, client_ip: Option<IpAddr>) -> Result<(), AppError> {
    let Some(ip) = client_ip else { return Ok(()) };
    app.cache
        .increment(&format!("{kind}:ip-ok:{}", ip_bucket(ip)), app.settings.login_window)
        .await
        .map_err(AppError::unavailable)?;
    Ok(())
}

/// Creates an account, or explains every field that is wrong. Sign-ups count against the
/// same per-address limit as log-ins.
pub async fn register(app: &App, input: Registration<'_>, client_ip: Option<IpAddr>) -> Result<User, AppError> {
    limit_per_ip(app, "register", client_ip).await?;
    let (email, password, display_name) = check_registration(&input)?;
    let hash = hashing(app, move || PasswordHash::hash(&password)).await?;
    // the account and its confirmation mail commit together
    let mut transaction = app.db.begin_write().await?;
    match users::insert(&mut *transaction, &email, &display_name, &hash, patron_domain::account::locale(input.locale))
        .await
    {
        Ok(user) => {
            queue_verification(app, &mut transaction, &user).await?;
            transaction.commit().await?;
            tracing::info!(user_id = %user.id, "account registered");
            Ok(user)
        }
        Err(InsertUserError::EmailTaken) => Err(AppError::conflict(
            "email_taken",
            "An account with this e-mail address already exists. Log in instead.",
        )),
        Err(InsertUserError::Store(error)) => Err(error.into()),
    }
}

/// The checked fields of a sign-up, or every field that is wrong.
fn check_registration(input: &Registration<'_>) -> Result<(Email, Password, DisplayName), AppError> {
    let mut errors: Vec<ValidationError> = Vec::new();
    let email = Email::parse(input.email).map_err(|e| errors.push(e)).ok();
    let password = Password::parse(input.password).map_err(|e| errors.push(e)).ok();
    let display_name = match input.display_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => DisplayName::parse(name).map_err(|e| errors.push(e)).ok(),
        None => email.as_ref().map(DisplayName::from_email),
    };
    match (email, password, display_name) {
        (Some(email), Some(password), Some(display_name)) => Ok((email, password, display_name)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// Creates an account for someone the operator names — the demo's people today: checked by
/// the same rules as a sign-up, but without the per-address limit and without a
/// confirmation mail (nobody asked for one).
pub async fn provision(app: &App, input: Registration<'_>) -> Result<User, AppError> {
    let (email, password, display_name) = check_registration(&input)?;
    let hash = hashing(app, move || PasswordHash::hash(&password)).await?;
    match users::insert(app.db.pool(), &email, &display_name, &hash, patron_domain::account::locale(input.locale)).await
    {
        Ok(user) => Ok(user),
        Err(InsertUserError::EmailTaken) => {
            Err(AppError::conflict("email_taken", "An account with this e-mail address already exists."))
        }
        Err(InsertUserError::Store(error)) => Err(error.into()),
    }
}

/// Sets the language `user` reads patron in (their mails and documents follow it).
pub async fn set_locale(app: &App, user: &User, code: &str) -> Result<(), AppError> {
    let locale = patron_domain::account::locale(code);
    if user.locale != locale {
        users::set_locale(app.db.pool(), user.id, locale).await?;
    }
    Ok(())
}

/// How many accounts the install has.
pub async fn count(app: &App) -> Result<i64, AppError> {
    Ok(users::count(app.db.pool()).await?)
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
pub async fn log_in(app: &App, email: &str, password: &str, client_ip: Option<IpAddr>) -> Result<User, AppError> {
    let settings = &app.settings;
    let window = settings.login_window;
    let cache_error = |e: patron_cache::CacheError| AppError::unavailable(e);

    limit_per_ip(app, "login", client_ip).await?;
    // Counted before the password is checked, so a burst of parallel guesses cannot all slip
    // in before the first failure is recorded; a successful log-in clears the counter. The key
    // is a digest, so its size does not depend on what the client sent.
    let account_key = format!("login:account:{}", digest_hex(email.trim().to_lowercase().as_bytes()));
    let attempts = app.cache.increment(&account_key, window).await.map_err(cache_error)?;
    if attempts.count > u64::from(settings.login_max_attempts_per_account) {
        tracing::warn!("log-in attempts for one account are rate limited");
        return Err(AppError::RateLimited { retry_after: attempts.resets_in });
    }

    let found = match Email::parse(email) {
        Ok(email) => users::find_by_email_with_password(app.db.pool(), &email).await?,
        Err(_) => None,
    };
    let candidate = password.to_owned();
    let verified = hashing(app, move || match found {
        Some((user, hash)) => hash.verify(&candidate).then_some(user),
        None => {
            PasswordHash::verify_against_dummy(&candidate);
            None
        }
    })
    .await?;

    match verified {
        Some(user) => {
            app.cache.delete(&account_key).await.map_err(cache_error)?;
            succeeded_from(app, "login", client_ip).await?;
            Ok(user)
        }
        None => Err(AppError::Unauthenticated(crate::Problem {
            code: "invalid_credentials",
            message: "Wrong e-mail address or password.".to_owned(),
        })),
    }
}

/// Checks an unsubscribe link's token: the user and the mail category it stops.
pub fn unsubscribe_target(app: &App, token: &str) -> Result<(patron_domain::Id, String), AppError> {
    patron_mail::unsubscribe::verify(app.secret_key.expose(), token)
        .ok_or_else(|| AppError::not_found("unsubscribe_link_invalid", "This unsubscribe link is not valid."))
}

/// Stops the mails an unsubscribe link names. Doing it twice is fine.
pub async fn unsubscribe(app: &App, token: &str) -> Result<String, AppError> {
    let (user_id, category) = unsubscribe_target(app, token)?;
    patron_store::mail::set_preference(app.db.pool(), user_id, &category, false).await?;
    tracing::info!(%user_id, %category, "unsubscribed");
    Ok(category)
}

/// How long an address-confirmation link works.
pub(crate) const VERIFY_TTL: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);
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
pub(crate) async fn limit_mails_to(app: &App, kind: &str, email: &str) -> Result<bool, AppError> {
    let key = format!("mail:{kind}:{}", digest_hex(email.as_bytes()));
    let sent = app.cache.increment(&key, std::time::Duration::from_secs(3600)).await.map_err(AppError::unavailable)?;
    Ok(sent.count <= MAILS_PER_ADDRESS_PER_HOUR)
}

/// Sends a new address-confirmation link to a user (after registering, or asked again).
pub async fn send_verification(app: &App, user: &User) -> Result<(), AppError> {
    if user.email_verified_at.is_some() {
        return Err(AppError::conflict("already_verified", "This e-mail address is confirmed already."));
    }
    if !limit_mails_to(app, "verify", &user.email).await? {
        return Err(AppError::RateLimited { retry_after: std::time::Duration::from_secs(3600) });
    }
    let mut transaction = app.db.begin_write().await?;
    queue_verification(app, &mut transaction, user).await?;
    transaction.commit().await?;
    Ok(())
}

/// Records a confirmation token and enqueues its mail, in the caller's transaction.
async fn queue_verification(
    app: &App,
    transaction: &mut patron_store::Transaction,
    user: &User,
) -> Result<(), AppError> {
    let (seed, token) = patron_mail::new_link_token(app.secret_key.expose());
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

pub(crate) fn link_not_valid() -> AppError {
    AppError::not_found(
        "link_not_valid",
        "This link is not valid any more: it was used already, or it expired. Ask for a new one.",
    )
}

pub(crate) fn link_digest(token: &str) -> Result<String, AppError> {
    SecretToken::parse(token).map(|t| t.digest()).ok_or_else(link_not_valid)
}

/// Confirms an address with the token from its mail: the account's own, or a new one it
/// moves to (see [`profile::request_email_change`]).
pub async fn verify_email(app: &App, token: &str) -> Result<(), AppError> {
    let digest = link_digest(token)?;
    match patron_store::account_tokens::consume_email_verification(&app.db, &digest, patron_domain::Timestamp::now())
        .await?
    {
        Some(user_id) => {
            tracing::info!(%user_id, "e-mail address confirmed");
            Ok(())
        }
        None => profile::complete_email_change(app, &digest).await?.ok_or_else(link_not_valid),
    }
}

/// Mails a password-reset link when an account has the address. Answers the same whether or
/// not it does, so the form cannot tell who has an account.
pub async fn request_password_reset(app: &App, email: &str, client_ip: Option<IpAddr>) -> Result<(), AppError> {
    limit_per_ip(app, "reset", client_ip).await?;
    let Ok(email) = Email::parse(email) else {
        return Err(AppError::Invalid(vec![ValidationError::new("email", "is not an e-mail address")]));
    };
    let Some(user) = users::find_by_email(app.db.pool(), &email).await? else { return Ok(()) };
    if !limit_mails_to(app, "reset", &user.email).await? {
        tracing::warn!(user_id = %user.id, "password-reset mails to this address are rate limited");
        return Ok(());
    }
    let (seed, token) = patron_mail::new_link_token(app.secret_key.expose());
    let digest = token.digest();
    let ip = client_ip.map(|ip| ip.to_string());
    let mut transaction = app.db.begin_write().await?;
    patron_store::account_tokens::create_password_reset(&mut *transaction, user.id, &digest, ip.as_deref(), RESET_TTL)
        .await?;
    let template = patron_mail::Template::PasswordReset { display_name: user.display_name.clone() };
    let mail = account_mail(&user, "reset", &digest, template, "/reset-password/", seed);
    patron_mail::jobs::enqueue_email(&mut *transaction, &mail).await?;
    transaction.commit().await?;
    tracing::info!(user_id = %user.id, "password-reset link sent");
    Ok(())
}

/// Whether a password-reset link still works (to show its form).
pub async fn password_reset_is_open(app: &App, token: &str) -> Result<(), AppError> {
    let digest = link_digest(token)?;
    if patron_store::account_tokens::password_reset_is_open(&app.db, &digest, patron_domain::Timestamp::now()).await? {
        Ok(())
    } else {
        Err(link_not_valid())
    }
}

/// Sets a new password with a reset link. Every session and API token of the account ends:
/// whoever knew the old password is out.
pub async fn reset_password(app: &App, token: &str, password: &str) -> Result<User, AppError> {
    let digest = link_digest(token)?;
    let password = Password::parse(password).map_err(|e| AppError::Invalid(vec![e]))?;
    let hash = hashing(app, move || PasswordHash::hash(&password)).await?;
    let mut transaction = app.db.begin_write().await?;
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
    transaction.commit().await?;
    tracing::info!(%user_id, sessions_ended = ended, "password reset");
    Ok(user)
}

/// Mails a sign-in link when an account has the address; answers the same either way.
pub async fn request_sign_in_link(app: &App, email: &str, client_ip: Option<IpAddr>) -> Result<(), AppError> {
    limit_per_ip(app, "sign-in-link", client_ip).await?;
    let Ok(email) = Email::parse(email) else {
        return Err(AppError::Invalid(vec![ValidationError::new("email", "is not an e-mail address")]));
    };
    let Some(user) = users::find_by_email(app.db.pool(), &email).await? else { return Ok(()) };
    if !limit_mails_to(app, "sign-in", &user.email).await? {
        tracing::warn!(user_id = %user.id, "sign-in links to this address are rate limited");
        return Ok(());
    }
    let (seed, token) = patron_mail::new_link_token(app.secret_key.expose());
    let digest = token.digest();
    let mut transaction = app.db.begin_write().await?;
    patron_store::account_tokens::create_sign_in(&mut *transaction, user.id, &digest, SIGN_IN_TTL).await?;
    let template = patron_mail::Template::SignInLink { display_name: user.display_name.clone() };
    let mail = account_mail(&user, "sign-in", &digest, template, "/sign-in/", seed);
    patron_mail::jobs::enqueue_email(&mut *transaction, &mail).await?;
    transaction.commit().await?;
    tracing::info!(user_id = %user.id, "sign-in link sent");
    Ok(())
}

/// Whether a sign-in link still works, without using it.
pub async fn sign_in_link_is_open(app: &App, token: &str) -> Result<(), AppError> {
    let digest = link_digest(token)?;
    if patron_store::account_tokens::sign_in_is_open(&app.db, &digest, patron_domain::Timestamp::now()).await? {
        Ok(())
    } else {
        Err(link_not_valid())
    }
}

/// Uses a sign-in link (once): the account to open a session for. Opening the link proves
/// the address, so it also counts as confirming it.
pub async fn sign_in_with_link(app: &App, token: &str) -> Result<User, AppError> {
    let digest = link_digest(token)?;
    let now = patron_domain::Timestamp::now();
    let user_id =
        patron_store::account_tokens::consume_sign_in(&app.db, &digest, now).await?.ok_or_else(link_not_valid)?;
    users::mark_verified(app.db.pool(), user_id).await?;
    let user = users::find_by_id(app.db.pool(), user_id).await?.ok_or_else(link_not_valid)?;
    tracing::info!(%user_id, "signed in by e-mail link");
    Ok(user)
}

/// Every category of mail a user can choose, with what they chose (or its default).
pub async fn email_preferences(app: &App, user_id: patron_domain::Id) -> Result<Vec<(&'static str, bool)>, AppError> {
    let chosen = patron_store::mail::preferences(app.db.pool(), user_id).await?;
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
    app: &App,
    user_id: patron_domain::Id,
    choices: &[(String, bool)],
) -> Result<(), AppError> {
    if let Some((unknown, _)) = choices.iter().find(|(c, _)| patron_mail::unsubscribe::default_for(c).is_none()) {
        let known: Vec<&str> = patron_mail::unsubscribe::CATEGORIES.iter().map(|(c, _)| *c).collect();
        return Err(AppError::Invalid(vec![ValidationError::new(
            "category",
            format!("{unknown:?} is not a category of mail; the categories are {}", known.join(", ")),
        )]));
    }
    let mut transaction = app.db.begin_write().await?;
    for (category, enabled) in choices {
        patron_store::mail::set_preference(&mut *transaction, user_id, category, *enabled).await?;
    }
    transaction.commit().await?;
    Ok(())
}
