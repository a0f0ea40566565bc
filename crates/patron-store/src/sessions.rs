//! Browser sessions and API tokens. Both live in the database, so they survive restarts and
//! work on every replica (lesson 2: no sessions on a local disk, no sticky sessions).

use crate::sql;
use crate::users::{USER_COLUMNS, User, user_from_row};
use crate::{Database, StoreError};
use patron_domain::{Id, SecretToken, Timestamp};
use sqlx::Row;
use std::time::Duration;

/// How a session authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A browser session, carried in a cookie (CSRF-protected).
    Cookie,
    /// An API token, carried in `Authorization: Bearer`.
    Bearer,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "cookie" => Ok(SessionKind::Cookie),
            "bearer" => Ok(SessionKind::Bearer),
            other => Err(StoreError::Corrupt(format!("session kind {other:?}"))),
        }
    }
}

/// A stored session (the token itself is not stored, only its digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the token, hex.
    pub id: String,
    /// Whose session.
    pub user_id: Id,
    /// Cookie or bearer.
    pub kind: SessionKind,
    /// What opened it (a browser's user agent or a token name).
    pub label: Option<String>,
    /// The client IP it was opened from.
    pub ip: Option<String>,
    /// When it was opened.
    pub created_at: Timestamp,
    /// When it was last used (updated at most every few minutes).
    pub last_seen_at: Timestamp,
    /// When it stops working unless used again.
    pub expires_at: Timestamp,
}

/// How stale `last_seen_at` may get before a request refreshes it; bounds writes on hot paths.
pub const TOUCH_INTERVAL: Duration = Duration::from_secs(300);

const SESSION_COLUMNS: &str = "sessions.id AS session_id, sessions.user_id, sessions.kind, sessions.label, sessions.ip, \
     sessions.created_at AS session_created_at, sessions.last_seen_at, sessions.expires_at";

fn session_from_row(row: &sqlx::any::AnyRow) -> Result<Session, StoreError> {
    let user_id: String = row.try_get("user_id")?;
    Ok(Session {
        id: row.try_get("session_id")?,
        user_id: user_id.parse().map_err(|_| StoreError::Corrupt(format!("user id {user_id:?}")))?,
        kind: SessionKind::parse(&row.try_get::<String, _>("kind")?)?,
        label: row.try_get("label")?,
        ip: row.try_get("ip")?,
        created_at: Timestamp::from_micros(row.try_get("session_created_at")?),
        last_seen_at: Timestamp::from_micros(row.try_get("last_seen_at")?),
        expires_at: Timestamp::from_micros(row.try_get("expires_at")?),
    })
}

/// Opens a session for `user_id`; returns the token to hand to the client once.
pub async fn create<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    kind: SessionKind,
    ttl: Duration,
    label: Option<&str>,
    ip: Option<&str>,
) -> Result<(SecretToken, Session), StoreError> {
    let token = SecretToken::generate();
    let now = Timestamp::now();
    let session = Session {
        id: token.digest(),
        user_id,
        kind,
        label: label.map(|l| l.chars().take(200).collect()),
        ip: ip.map(str::to_owned),
        created_at: now,
        last_seen_at: now,
        expires_at: now.plus(ttl),
    };
    sql::query(
        "INSERT INTO sessions (id, user_id, kind, label, ip, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
    )
    .bind(&session.id)
    .bind(user_id.to_string())
    .bind(kind.as_str())
    .bind(session.label.clone())
    .bind(session.ip.clone())
    .bind(now.as_micros())
    .bind(session.expires_at.as_micros())
    .execute(executor)
    .await?;
    Ok((token, session))
}

/// The live session for a token of the given kind, with its user, in one round trip.
pub async fn find_active<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    token: &SecretToken,
    kind: SessionKind,
    now: Timestamp,
) -> Result<Option<(Session, User)>, StoreError> {
    let query = format!(
        "SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM sessions JOIN users ON users.id = sessions.user_id \
         WHERE sessions.id = $1 AND sessions.kind = $2 AND sessions.expires_at > $3"
    );
    let row = sql::query(sqlx::AssertSqlSafe(query))
        .bind(token.digest())
        .bind(kind.as_str())
        .bind(now.as_micros())
        .fetch_optional(executor)
        .await?;
    row.map(|row| Ok((session_from_row(&row)?, user_from_row(&row)?))).transpose()
}

/// Marks a session as used now and extends its expiry (sliding expiration).
pub async fn touch<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    session_id: &str,
    now: Timestamp,
    ttl: Duration,
) -> Result<(), StoreError> {
    sql::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1")
        .bind(session_id)
        .bind(now.as_micros())
        .bind(now.plus(ttl).as_micros())
        .execute(executor)
        .await?;
    Ok(())
}

/// Ends one session.
pub async fn delete<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    session_id: &str,
) -> Result<bool, StoreError> {
    let result = sql::query("DELETE FROM sessions WHERE id = $1").bind(session_id).execute(executor).await?;
    Ok(result.rows_affected() > 0)
}

/// Ends one session of a given user; false when the user has no such session.
pub async fn delete_for_user<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    session_id: &str,
    user_id: Id,
) -> Result<bool, StoreError> {
    let result = sql::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
        .bind(session_id)
        .bind(user_id.to_string())
        .execute(executor)
        .await?;
    Ok(result.rows_affected() > 0)
}

/// Ends every session and API token of a user ("log out everywhere"); returns how many.
pub async fn delete_all_for_user<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
) -> Result<u64, StoreError> {
    let result =
        sql::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id.to_string()).execute(executor).await?;
    Ok(result.rows_affected())
}

/// Ends every session and API token of a user but `keep` (the one changing the password).
pub async fn delete_all_but<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    keep: &str,
) -> Result<u64, StoreError> {
    let result = sql::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id.to_string())
        .bind(keep)
        .execute(executor)
        .await?;
    Ok(result.rows_affected())
}

/// The live sessions of a user, most recently used first.
pub async fn list_for_user<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    now: Timestamp,
) -> Result<Vec<Session>, StoreError> {
    let query = format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE sessions.user_id = $1 AND sessions.expires_at > $2 \
         ORDER BY sessions.last_seen_at DESC LIMIT 100"
    );
    let rows = sql::query(sqlx::AssertSqlSafe(query))
        .bind(user_id.to_string())
        .bind(now.as_micros())
        .fetch_all(executor)
        .await?;
    rows.iter().map(session_from_row).collect()
}

/// Removes sessions that have expired; returns how many.
pub async fn delete_expired<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let result =
        sql::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now.as_micros()).execute(executor).await?;
    Ok(result.rows_affected())
}
