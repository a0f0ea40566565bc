//! Private RSS feeds: a secret URL per fan (and optionally per creator) that podcast and feed
//! readers can poll without logging in. Only the SHA-256 of the token is stored.

use crate::row::{id, opt_id, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{Id, SecretToken, Timestamp};
use sqlx::Row;

/// A private feed of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedToken {
    /// SHA-256 of the token.
    pub id: String,
    /// Whose feed.
    pub user_id: Id,
    /// One creator's posts, or all followed creators' when absent.
    pub creator_id: Option<Id>,
    /// The creator's slug and name, when it is a creator's feed.
    pub creator: Option<(String, String)>,
    /// When it was made.
    pub created_at: Timestamp,
}

/// Makes a new private feed; returns the token for its URL (shown once).
pub async fn create<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    creator_id: Option<Id>,
) -> Result<(SecretToken, String), StoreError> {
    let token = SecretToken::generate();
    sql::query("INSERT INTO feed_tokens (id, user_id, creator_id, created_at) VALUES ($1, $2, $3, $4)")
        .bind(token.digest())
        .bind(user_id.to_string())
        .bind(creator_id.map(|c| c.to_string()))
        .bind(Timestamp::now().as_micros())
        .execute(executor)
        .await?;
    let digest = token.digest();
    Ok((token, digest))
}

const COLUMNS: &str = "feed_tokens.id, feed_tokens.user_id, feed_tokens.creator_id, feed_tokens.created_at, \
     creators.slug AS creator_slug, creators.name AS creator_name";

fn from_row(row: &sqlx::any::AnyRow) -> Result<FeedToken, StoreError> {
    let slug: Option<String> = row.try_get("creator_slug")?;
    let name: Option<String> = row.try_get("creator_name")?;
    Ok(FeedToken {
        id: row.try_get("id")?,
        user_id: id(row, "user_id")?,
        creator_id: opt_id(row, "creator_id")?,
        creator: slug.zip(name),
        created_at: time(row, "created_at")?,
    })
}

/// The live feed for a token from a URL.
pub async fn find<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    token: &SecretToken,
) -> Result<Option<FeedToken>, StoreError> {
    let query = format!(
        "SELECT {COLUMNS} FROM feed_tokens LEFT JOIN creators ON creators.id = feed_tokens.creator_id \
         WHERE feed_tokens.id = $1 AND feed_tokens.revoked_at IS NULL"
    );
    let row = sql::query(sqlx::AssertSqlSafe(query)).bind(token.digest()).fetch_optional(executor).await?;
    row.as_ref().map(from_row).transpose()
}

/// A user's live feeds, newest first.
pub async fn list<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
) -> Result<Vec<FeedToken>, StoreError> {
    let query = format!(
        "SELECT {COLUMNS} FROM feed_tokens LEFT JOIN creators ON creators.id = feed_tokens.creator_id \
         WHERE feed_tokens.user_id = $1 AND feed_tokens.revoked_at IS NULL ORDER BY feed_tokens.created_at DESC LIMIT 100"
    );
    let rows = sql::query(sqlx::AssertSqlSafe(query)).bind(user_id.to_string()).fetch_all(executor).await?;
    rows.iter().map(from_row).collect()
}

/// Revokes one of a user's feeds; its URL stops working.
pub async fn revoke<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    feed_id: &str,
) -> Result<bool, StoreError> {
    let result =
        sql::query("UPDATE feed_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
            .bind(feed_id)
            .bind(user_id.to_string())
            .bind(Timestamp::now().as_micros())
            .execute(executor)
            .await?;
    Ok(result.rows_affected() > 0)
}
