//! A person's own account: their name, their address (moved only once the new one is
//! confirmed, the old one told), their password (the other sessions end) and erasing the
//! account. Each change that could lock the owner out asks for the current password.

use crate::{App, AppError};
use patron_domain::{DisplayName, Email, Password, PasswordHash, Timestamp};
use patron_store::users::{self, InsertUserError, User};

/// `Invalid` naming `current_password` unless it is the account's password.
async fn check_password(app: &App, user: &User, current: &str) -> Result<(), AppError> {
    let email = Email::parse(&user.email).map_err(|e| AppError::Invalid(vec![e]))?;
    let Some((_, hash)) = users::find_by_email_with_password(app.db.pool(), &email).await? else {
        return Err(AppError::nothing_here());
    };
    let candidate = current.to_owned();
    let right = crate::accounts::hashing(app, move || hash.verify(&candidate)).await?;
    if right { Ok(()) } else { Err(AppError::invalid("current_password", "is not your current password")) }
}

/// Renames the account (the name its comments and team places show).
pub async fn rename(app: &App, user: &User, name: &str) -> Result<(), AppError> {
    let name = DisplayName::parse(name.trim()).map_err(|e| AppError::Invalid(vec![e]))?;
    users::set_display_name(app.db.pool(), user.id, &name).await?;
    Ok(())
}

/// Sets a new password after checking the current one; every other session and API token
/// of the account ends, `keep_session` (the one asking) stays.
pub async fn change_password(
    app: &App,
    user: &User,
    keep_session: &str,
    current: &str,
    new: &str,
) -> Result<u64, AppError> {
    let password = Password::parse(new).map_err(|e| AppError::Invalid(vec![e]))?;
    check_password(app, user, current).await?;
    let hash = crate::accounts::hashing(app, move || PasswordHash::hash(&password)).await?;
    let mut transaction = app.db.begin_write().await?;
    users::set_password(&mut *transaction, user.id, &hash).await?;
    let ended = patron_store::sessions::delete_all_but(&mut *transaction, user.id, keep_session).await?;
    transaction.commit().await?;
    tracing::info!(user_id = %user.id, sessions_ended = ended, "password changed");
    Ok(ended)
}

/// Mails a confirmation link to `new_email`; the account moves there when it is used. The
/// current password is asked, so a borrowed session cannot take the account away.
pub async fn request_email_change(app: &App, user: &User, new_email: &str, current: &str) -> Result<(), AppError> {
    let email = Email::parse(new_email).map_err(|e| AppError::Invalid(vec![e]))?;
    if email.as_str() == user.email {
        return Err(AppError::invalid("email", "is your address already"));
    }
    check_password(app, user, current).await?;
    if users::find_by_email(app.db.pool(), &email).await?.is_some() {
        return Err(AppError::conflict("email_taken", "Another account uses this address."));
    }
    if !crate::accounts::limit_mails_to(app, "change", email.as_str()).await? {
        return Err(AppError::RateLimited { retry_after: std::time::Duration::from_secs(3600) });
    }
    let (seed, token) = patron_mail::new_link_token(app.secret_key.expose());
    let digest = token.digest();
    let mut transaction = app.db.begin_write().await?;
    patron_store::account_tokens::create_email_change(
        &mut *transaction,
        user.id,
        email.as_str(),
        &digest,
        crate::accounts::VERIFY_TTL,
    )
    .await?;
    let mail = patron_mail::jobs::EmailJob {
        key: format!("change:{digest}"),
        to: email.as_str().to_owned(),
        locale: user.locale.clone(),
        template: patron_mail::Template::ConfirmNewEmail { display_name: user.display_name.clone() },
        link: patron_mail::Link::Secret { path: "/verify-email/".to_owned(), seed },
        unsubscribe: None,
    };
    patron_mail::jobs::enqueue_email(&mut *transaction, &mail).await?;
    transaction.commit().await?;
    tracing::info!(user_id = %user.id, "address change asked");
    Ok(())
}

/// Uses an address-change link: moves the account and tells the old address. `None` when the
/// token is not one.
pub(crate) async fn complete_email_change(app: &App, digest: &str) -> Result<Option<()>, AppError> {
    let mut transaction = app.db.begin_write().await?;
    let Some((user_id, email)) =
        patron_store::account_tokens::consume_email_change(&mut transaction, digest, Timestamp::now()).await?
    else {
        return Ok(None);
    };
    let user = users::find_by_id(&mut *transaction, user_id).await?.ok_or_else(crate::accounts::link_not_valid)?;
    match users::set_email(&mut transaction, user_id, &email).await {
        Ok(()) => {}
        Err(InsertUserError::EmailTaken) => {
            return Err(AppError::conflict("email_taken", "Another account uses this address."));
        }
        Err(InsertUserError::Store(error)) => return Err(error.into()),
    }
    let mail = patron_mail::jobs::EmailJob {
        key: format!("changed:{digest}"),
        to: user.email.clone(),
        locale: user.locale.clone(),
        template: patron_mail::Template::EmailChanged { display_name: user.display_name.clone(), new_email: email },
        link: patron_mail::Link::Plain { url: app.url("/account") },
        unsubscribe: None,
    };
    patron_mail::jobs::enqueue_email(&mut *transaction, &mail).await?;
    transaction.commit().await?;
    tracing::info!(%user_id, "address changed");
    Ok(Some(()))
}

/// Erases the account after checking the password: its memberships stop renewing, and
/// nothing that names the person stays (see `patron_store::users::erase`). Payments, invoices
/// and the books are kept, as the law asks. An owner hands their pages over first.
pub async fn erase(app: &App, user: &User, current: &str) -> Result<(), AppError> {
    check_password(app, user, current).await?;
    let owned = crate::creators::of_member(app, user.id).await?;
    if owned.iter().any(|(_, role)| *role == patron_domain::creator::TeamRole::Owner) {
        return Err(AppError::conflict(
            "owns_pages",
            "You own a creator page: hand it over to a team member or delete it first.",
        ));
    }
    for membership in crate::memberships::of_user(app, user.id).await? {
        if membership.status != patron_domain::membership::MembershipStatus::Expired && !membership.cancel_at_period_end
        {
            app.payments.set_cancelled(&app.db, &membership, true).await?;
        }
    }
    let mut transaction = app.db.begin_write().await?;
    users::erase(&mut transaction, user.id).await?;
    transaction.commit().await?;
    tracing::info!(user_id = %user.id, "account erased");
    Ok(())
}
