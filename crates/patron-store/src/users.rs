//! Accounts.

use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{DisplayName, Email, Id, PasswordHash, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A stored account, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Identifier.
    pub id: Id,
    /// Normalised e-mail address (unique).
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// When the address was confirmed, if it was.
    pub email_verified_at: Option<Timestamp>,
    /// Whether the user administers the platform.
    pub is_platform_admin: bool,
    /// Interface language (`en`, `cs`).
    pub locale: String,
    /// When the account was created.
    pub created_at: Timestamp,
}

/// The columns [`User`] is read from, for queries that join users.
pub(crate) const USER_COLUMNS: &str = "users.id, users.email, users.display_name, users.email_verified_at, users.is_platform_admin, users.locale, users.created_at";

pub(crate) fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    let id: String = row.try_get("id")?;
    Ok(User {
        id: id.parse().map_err(|_| StoreError::Corrupt(format!("user id {id:?}")))?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        email_verified_at: row.try_get::<Option<i64>, _>("email_verified_at")?.map(Timestamp::from_micros),
        is_platform_admin: crate::row::flag(row, "is_platform_admin")?,
        locale: row.try_get("locale")?,
        created_at: Timestamp::from_micros(row.try_get("created_at")?),
    })
}

/// Why a new account could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    /// Another account has this e-mail address.
    #[error("an account with this e-mail address exists")]
    EmailTaken,
    /// Anything else.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Stores a new account.
pub async fn insert<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    email: &Email,
    display_name: &DisplayName,
    password_hash: &PasswordHash,
    locale: &str,
) -> Result<User, InsertUserError> {
    let now = Timestamp::now();
    let user = User {
        id: Id::new(),
        email: email.as_str().to_owned(),
        display_name: display_name.as_str().to_owned(),
        email_verified_at: None,
        is_platform_admin: false,
        locale: locale.to_owned(),
        created_at: now,
    };
    let result = sql::query(
        "INSERT INTO users (id, email, password_hash, display_name, is_platform_admin, locale, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(user.id.to_string())
    .bind(&user.email)
    .bind(password_hash.as_str())
    .bind(&user.display_name)
    .bind(user.is_platform_admin)
    .bind(&user.locale)
    .bind(now.as_micros())
    .execute(executor)
    .await
    .map_err(StoreError::from);
    match result {
        Ok(_) => Ok(user),
        Err(error) if error.is_unique_violation() => Err(InsertUserError::EmailTaken),
        Err(error) => Err(error.into()),
    }
}

/// Finds an account by e-mail address, with its password hash for logging in.
pub async fn find_by_email_with_password<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    email: &Email,
) -> Result<Option<(User, PasswordHash)>, StoreError> {
    let row = sql::query(
        "SELECT users.id, users.email, users.display_name, users.email_verified_at, users.is_platform_admin, \
                users.locale, users.created_at, users.password_hash \
         FROM users WHERE users.email = $1",
    )
    .bind(email.as_str())
    .fetch_optional(executor)
    .await?;
    row.map(|row| Ok((user_from_row(&row)?, PasswordHash::from_stored(row.try_get("password_hash")?)))).transpose()
}

/// Finds an account by id.
pub async fn find_by_id<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    id: Id,
) -> Result<Option<User>, StoreError> {
    let row = sql::query(
        "SELECT users.id, users.email, users.display_name, users.email_verified_at, users.is_platform_admin, \
                users.locale, users.created_at \
         FROM users WHERE users.id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Finds an account by e-mail address.
pub async fn find_by_email<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    email: &Email,
) -> Result<Option<User>, StoreError> {
    let query = format!("SELECT {USER_COLUMNS} FROM users WHERE users.email = $1");
    let row = sql::query(sqlx::AssertSqlSafe(query)).bind(email.as_str()).fetch_optional(executor).await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Marks an account's address confirmed (kept when it was already).
pub async fn mark_verified<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
) -> Result<(), StoreError> {
    let now = Timestamp::now().as_micros();
    sql::query("UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2), updated_at = $2 WHERE id = $1")
        .bind(user_id.to_string())
        .bind(now)
        .execute(executor)
        .await?;
    Ok(())
}

/// Replaces an account's password.
pub async fn set_password<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    hash: &PasswordHash,
) -> Result<(), StoreError> {
    sql::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
        .bind(user_id.to_string())
        .bind(hash.as_str())
        .bind(Timestamp::now().as_micros())
        .execute(executor)
        .await?;
    Ok(())
}

/// Renames an account (the name others see).
pub async fn set_display_name<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    name: &DisplayName,
) -> Result<(), StoreError> {
    sql::query("UPDATE users SET display_name = $2, updated_at = $3 WHERE id = $1")
        .bind(user_id.to_string())
        .bind(name.as_str())
        .bind(Timestamp::now().as_micros())
        .execute(executor)
        .await?;
    Ok(())
}

/// Moves an account to a confirmed new address; `EmailTaken` when another account has it.
pub async fn set_email(transaction: &mut crate::Transaction, user_id: Id, email: &str) -> Result<(), InsertUserError> {
    let now = Timestamp::now().as_micros();
    let result = sql::query("UPDATE users SET email = $2, email_verified_at = $3, updated_at = $3 WHERE id = $1")
        .bind(user_id.to_string())
        .bind(email)
        .bind(now)
        .execute(&mut **transaction)
        .await
        .map_err(StoreError::from);
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.is_unique_violation() => Err(InsertUserError::EmailTaken),
        Err(error) => Err(error.into()),
    }
}

/// Erases an account: the row stays (payments, invoices and the books refer to it and the law
/// keeps them), but nothing in it names the person — an address that cannot receive mail, a
/// dash for a name, no password; its sessions, links, follows, feeds, mail choices and team
/// places go. Comments stay under the dash; votes stay uncounted to nobody.
pub async fn erase(transaction: &mut crate::Transaction, user_id: Id) -> Result<(), StoreError> {
    let id = user_id.to_string();
    let now = Timestamp::now().as_micros();
    sql::query(
        "UPDATE users SET email = $2, display_name = '—', password_hash = '!', email_verified_at = NULL, \
         is_platform_admin = $3, erased_at = $4, updated_at = $4 WHERE id = $1",
    )
    .bind(&id)
    .bind(format!("erased-{}@erased.invalid", user_id.as_uuid().simple()))
    .bind(false)
    .bind(now)
    .execute(&mut **transaction)
    .await?;
    for statement in [
        "DELETE FROM sessions WHERE user_id = $1",
        "DELETE FROM email_verification_tokens WHERE user_id = $1",
        "DELETE FROM password_reset_tokens WHERE user_id = $1",
        "DELETE FROM sign_in_tokens WHERE user_id = $1",
        "DELETE FROM follows WHERE user_id = $1",
        "DELETE FROM feed_tokens WHERE user_id = $1",
        "DELETE FROM email_preferences WHERE user_id = $1",
        "DELETE FROM creator_members WHERE user_id = $1",
    ] {
        sql::query(statement).bind(&id).execute(&mut **transaction).await?;
    }
    Ok(())
}

/// Sets the language an account reads patron in (`en`, `cs`).
pub async fn set_locale<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    locale: &str,
) -> Result<(), StoreError> {
    sql::query("UPDATE users SET locale = $2, updated_at = $3 WHERE id = $1")
        .bind(user_id.to_string())
        .bind(locale)
        .bind(Timestamp::now().as_micros())
        .execute(executor)
        .await?;
    Ok(())
}

/// Makes an account a platform admin, or not; returns false when no account has the address.
pub async fn set_platform_admin<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    email: &Email,
    admin: bool,
) -> Result<bool, StoreError> {
    let result = sql::query("UPDATE users SET is_platform_admin = $2, updated_at = $3 WHERE email = $1")
        .bind(email.as_str())
        .bind(admin)
        .bind(Timestamp::now().as_micros())
        .execute(executor)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// How many accounts exist.
pub async fn count<'e>(executor: impl sqlx::Executor<'e, Database = Database>) -> Result<i64, StoreError> {
    Ok(sql::query_scalar("SELECT COUNT(*) FROM users").fetch_one(executor).await?)
}
