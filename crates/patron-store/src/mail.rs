//! What e-mail needs from the database: the outbox (mails kept when no SMTP server is
//! configured), each user's choices per category of mail, and the audience of a creator's
//! new post.

use crate::memberships::{MEMBERSHIP_FACT_COLUMNS, ViewerMembership, viewer_membership_from_row};
use crate::row::{id, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::creator::TeamRole;
use patron_domain::{Id, Timestamp};
use sqlx::Row;

/// A mail kept in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    /// Identifier.
    pub id: Id,
    /// To whom.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// Plain-text part.
    pub text_body: String,
    /// HTML part.
    pub html_body: String,
    /// When it was written.
    pub created_at: Timestamp,
}

/// Keeps a mail in the outbox.
pub async fn keep_in_outbox<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    recipient: &str,
    subject: &str,
    text_body: &str,
    html_body: &str,
) -> Result<Id, StoreError> {
    let mail_id = Id::new();
    sql::query(
        "INSERT INTO outbox (id, recipient, subject, text_body, html_body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(mail_id.to_string())
    .bind(recipient)
    .bind(subject)
    .bind(text_body)
    .bind(html_body)
    .bind(Timestamp::now().as_micros())
    .execute(executor)
    .await?;
    Ok(mail_id)
}

/// The newest mails of the outbox.
pub async fn outbox<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    limit: i64,
) -> Result<Vec<OutboxMail>, StoreError> {
    let rows = sql::query(
        "SELECT id, recipient, subject, text_body, html_body, created_at FROM outbox ORDER BY created_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OutboxMail {
                id: id(row, "id")?,
                recipient: row.try_get("recipient")?,
                subject: row.try_get("subject")?,
                text_body: row.try_get("text_body")?,
                html_body: row.try_get("html_body")?,
                created_at: time(row, "created_at")?,
            })
        })
        .collect()
}

/// Sets whether a user wants mails of `category` (unsubscribing writes `false`).
pub async fn set_preference<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    category: &str,
    enabled: bool,
) -> Result<(), StoreError> {
    sql::query(
        "INSERT INTO email_preferences (user_id, category, enabled, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, category) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
    )
    .bind(user_id.to_string())
    .bind(category)
    .bind(enabled)
    .bind(Timestamp::now().as_micros())
    .execute(executor)
    .await?;
    Ok(())
}

/// The categories a user chose explicitly; the others have their defaults.
pub async fn preferences<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
) -> Result<Vec<(String, bool)>, StoreError> {
    let rows = sql::query("SELECT category, enabled FROM email_preferences WHERE user_id = $1 ORDER BY category")
        .bind(user_id.to_string())
        .fetch_all(executor)
        .await?;
    rows.iter().map(|row| Ok((row.try_get("category")?, crate::row::flag(row, "enabled")?))).collect()
}

/// Whether a user wants mails of `category`: their choice, or `default`.
pub async fn wants<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    category: &str,
    default: bool,
) -> Result<bool, StoreError> {
    let row = sql::query("SELECT enabled FROM email_preferences WHERE user_id = $1 AND category = $2")
        .bind(user_id.to_string())
        .bind(category)
        .fetch_optional(executor)
        .await?;
    match row {
        Some(row) => crate::row::flag(&row, "enabled"),
        None => Ok(default),
    }
}

/// A user who asked for a category that is off by default (the digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// The user.
    pub user_id: Id,
    /// Their address.
    pub email: String,
    /// Their name.
    pub display_name: String,
    /// Their language.
    pub locale: String,
    /// Whether they administer the platform.
    pub is_platform_admin: bool,
}

/// A batch of users who turned `category` on, after `after` (by user id).
pub async fn subscribers<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    category: &str,
    after: Option<Id>,
    limit: i64,
) -> Result<Vec<Subscriber>, StoreError> {
    let rows = sql::query(
        "SELECT users.id, users.email, users.display_name, users.locale, users.is_platform_admin \
         FROM email_preferences JOIN users ON users.id = email_preferences.user_id \
         WHERE email_preferences.category = $1 AND email_preferences.enabled = $2 \
           AND ($3 IS NULL OR email_preferences.user_id > $3) \
         ORDER BY email_preferences.user_id LIMIT $4",
    )
    .bind(category)
    .bind(true)
    .bind(after.map(|a| a.to_string()))
    .bind(limit)
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Subscriber {
                user_id: id(row, "id")?,
                email: row.try_get("email")?,
                display_name: row.try_get("display_name")?,
                locale: row.try_get("locale")?,
                is_platform_admin: crate::row::flag(row, "is_platform_admin")?,
            })
        })
        .collect()
}

/// A follower (or member) of a creator who may get a new-post mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follower {
    /// The user.
    pub user_id: Id,
    /// Their address.
    pub email: String,
    /// Their language.
    pub locale: String,
    /// Their role in the creator's team, if any.
    pub team_role: Option<TeamRole>,
    /// Their live membership, if any.
    pub membership: Option<ViewerMembership>,
}

/// A batch of a creator's followers after `after` (by user id), without those who turned
/// `category` off (it is on by default); with what entitlement needs. One statement per batch.
pub async fn followers<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    category: &str,
    after: Option<Id>,
    limit: i64,
) -> Result<Vec<Follower>, StoreError> {
    let query = format!(
        "SELECT users.id AS follower_id, users.email, users.locale, creator_members.role AS viewer_role, {MEMBERSHIP_FACT_COLUMNS} \
         FROM follows JOIN users ON users.id = follows.user_id \
         LEFT JOIN creator_members ON creator_members.creator_id = follows.creator_id AND creator_members.user_id = follows.user_id \
         LEFT JOIN memberships ON memberships.creator_id = follows.creator_id AND memberships.user_id = follows.user_id \
                               AND memberships.status <> 'expired' \
         LEFT JOIN tiers ON tiers.id = memberships.tier_id \
         WHERE follows.creator_id = $1 AND ($2 IS NULL OR follows.user_id > $2) \
           AND NOT EXISTS (SELECT 1 FROM email_preferences WHERE email_preferences.user_id = follows.user_id \
                           AND email_preferences.category = $3 AND email_preferences.enabled = $5) \
         ORDER BY follows.user_id LIMIT $4"
    );
    let rows = sql::query(sqlx::AssertSqlSafe(query))
        .bind(creator_id.to_string())
        .bind(after.map(|a| a.to_string()))
        .bind(category)
        .bind(limit)
        .bind(false)
        .fetch_all(executor)
        .await?;
    rows.iter()
        .map(|row| {
            let role: Option<String> = row.try_get("viewer_role")?;
            Ok(Follower {
                user_id: id(row, "follower_id")?,
                email: row.try_get("email")?,
                locale: row.try_get("locale")?,
                team_role: role.as_deref().and_then(TeamRole::parse),
                membership: viewer_membership_from_row(row)?,
            })
        })
        .collect()
}
