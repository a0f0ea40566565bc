//! One-time tokens sent by e-mail: confirming an address, resetting a password, signing in
//! by link. Rows hold the SHA-256 of the token, never the token; each works once and expires.

use crate::row::id;
use crate::sql;
use crate::{Database, Db, StoreError};
use patron_domain::{Id, Timestamp};
use sqlx::Row;
use std::time::Duration;

/// Records an address-confirmation token for `email` of `user_id`.
pub async fn create_email_verification<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    email: &str,
    digest: &str,
    ttl: Duration,
) -> Result<(), StoreError> {
    create_email_token(executor, user_id, email, digest, ttl, "verify").await
}

/// Records a token that moves the account `user_id` to the address `email` once used (sent
/// to that address, so it proves the person reads it).
pub async fn create_email_change<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    email: &str,
    digest: &str,
    ttl: Duration,
) -> Result<(), StoreError> {
    create_email_token(executor, user_id, email, digest, ttl, "change").await
}

async fn create_email_token<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    email: &str,
    digest: &str,
    ttl: Duration,
    purpose: &str,
) -> Result<(), StoreError> {
    let now = Timestamp::now();
    sql::query(
        "INSERT INTO email_verification_tokens (id, user_id, email, created_at, expires_at, purpose) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(digest)
    .bind(user_id.to_string())
    .bind(email)
    .bind(now.as_micros())
    .bind(now.plus(ttl).as_micros())
    .bind(purpose)
    .execute(executor)
    .await?;
    Ok(())
}

/// Uses an address-change token: the account and its new address, when the token is valid.
/// The caller moves the account (the address may have been taken meanwhile).
pub async fn consume_email_change(
    transaction: &mut crate::Transaction,
    digest: &str,
    now: Timestamp,
) -> Result<Option<(Id, String)>, StoreError> {
    let row = sql::query(
        "UPDATE email_verification_tokens SET consumed_at = $2 \
         WHERE id = $1 AND purpose = 'change' AND consumed_at IS NULL AND expires_at > $2 RETURNING user_id, email",
    )
    .bind(digest)
    .bind(now.as_micros())
    .fetch_optional(&mut **transaction)
    .await?;
    match row {
        Some(row) => Ok(Some((id(&row, "user_id")?, row.try_get("email")?))),
        None => Ok(None),
    }
}

/// Uses an address-confirmation token: marks the account's address confirmed when the
/// token is valid and the address has not changed since. Returns the user.
pub async fn consume_email_verification(db: &Db, digest: &str, now: Timestamp) -> Result<Option<Id>, StoreError> {
    let mut transaction = db.begin_write().await?;
    let row = sql::query(
        "UPDATE email_verification_tokens SET consumed_at = $2 \
         WHERE id = $1 AND purpose = 'verify' AND consumed_at IS NULL AND expires_at > $2 RETURNING user_id, email",
    )
    .bind(digest)
    .bind(now.as_micros())
    .fetch_optional(&mut *transaction)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user_id = id(&row, "user_id")?;
    let email: String = row.try_get("email")?;
    let updated = sql::query(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $3), updated_at = $3 WHERE id = $1 AND email = $2",
    )
    .bind(user_id.to_string())
    .bind(&email)
    .bind(now.as_micros())
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok((updated.rows_affected() == 1).then_some(user_id))
}

/// Records a password-reset token.
pub async fn create_password_reset<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    digest: &str,
    requested_ip: Option<&str>,
    ttl: Duration,
) -> Result<(), StoreError> {
    let now = Timestamp::now();
    sql::query(
        "INSERT INTO password_reset_tokens (id, user_id, requested_ip, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(digest)
    .bind(user_id.to_string())
    .bind(requested_ip)
    .bind(now.as_micros())
    .bind(now.plus(ttl).as_micros())
    .execute(executor)
    .await?;
    Ok(())
}

/// Whether a password-reset token can still be used (for showing the form).
pub async fn password_reset_is_open(db: &Db, digest: &str, now: Timestamp) -> Result<bool, StoreError> {
    let found: Option<String> = sql::query_scalar(
        "SELECT user_id FROM password_reset_tokens WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2",
    )
    .bind(digest)
    .bind(now.as_micros())
    .fetch_optional(db.pool())
    .await?;
    Ok(found.is_some())
}

/// Uses a password-reset token inside the caller's transaction; returns the user.
pub async fn consume_password_reset(
    transaction: &mut crate::Transaction,
    digest: &str,
    now: Timestamp,
) -> Result<Option<Id>, StoreError> {
    let row = sql::query(
        "UPDATE password_reset_tokens SET consumed_at = $2 \
         WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2 RETURNING user_id",
    )
    .bind(digest)
    .bind(now.as_micros())
    .fetch_optional(&mut **transaction)
    .await?;
    row.map(|row| id(&row, "user_id")).transpose()
}

/// Records a sign-in link's token.
pub async fn create_sign_in<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    digest: &str,
    ttl: Duration,
) -> Result<(), StoreError> {
    let now = Timestamp::now();
    sql::query("INSERT INTO sign_in_tokens (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(digest)
        .bind(user_id.to_string())
        .bind(now.as_micros())
        .bind(now.plus(ttl).as_micros())
        .execute(executor)
        .await?;
    Ok(())
}

/// Whether a sign-in link can still be used — without using it (the page that asks for the
/// confirming click; link scanners that open it change nothing).
pub async fn sign_in_is_open(db: &Db, digest: &str, now: Timestamp) -> Result<bool, StoreError> {
    let found: Option<String> = sql::query_scalar(
        "SELECT user_id FROM sign_in_tokens WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2",
    )
    .bind(digest)
    .bind(now.as_micros())
    .fetch_optional(db.pool())
    .await?;
    Ok(found.is_some())
}

/// Uses a sign-in link; returns the user. Works once.
pub async fn consume_sign_in(db: &Db, digest: &str, now: Timestamp) -> Result<Option<Id>, StoreError> {
    let row = sql::query(
        "UPDATE sign_in_tokens SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2 RETURNING user_id",
    )
    .bind(digest)
    .bind(now.as_micros())
    .fetch_optional(db.pool())
    .await?;
    row.map(|row| id(&row, "user_id")).transpose()
}
