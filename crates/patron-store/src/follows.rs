//! Free following: a fan sees a creator's posts in their feed (members follow too).

use crate::StoreError;
use crate::sql;
use patron_domain::{Id, Timestamp};

/// Follows a creator; following twice is not an error. Returns whether a new follow was made.
/// Two statements (SQLite has no data-modifying CTEs): call it inside a transaction so the
/// row and the counter change together.
pub async fn follow(connection: &mut sqlx::AnyConnection, user_id: Id, creator_id: Id) -> Result<bool, StoreError> {
    let added = sql::query(
        "INSERT INTO follows (user_id, creator_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, creator_id) DO NOTHING",
    )
    .bind(user_id.to_string())
    .bind(creator_id.to_string())
    .bind(Timestamp::now().as_micros())
    .execute(&mut *connection)
    .await?;
    if added.rows_affected() == 0 {
        return Ok(false);
    }
    sql::query("UPDATE creators SET followers_count = followers_count + 1 WHERE id = $1")
        .bind(creator_id.to_string())
        .execute(&mut *connection)
        .await?;
    Ok(true)
}

/// Stops following; returns whether there was a follow. Call it inside a transaction.
pub async fn unfollow(connection: &mut sqlx::AnyConnection, user_id: Id, creator_id: Id) -> Result<bool, StoreError> {
    let removed = sql::query("DELETE FROM follows WHERE user_id = $1 AND creator_id = $2")
        .bind(user_id.to_string())
        .bind(creator_id.to_string())
        .execute(&mut *connection)
        .await?;
    if removed.rows_affected() == 0 {
        return Ok(false);
    }
    sql::query("UPDATE creators SET followers_count = followers_count - 1 WHERE id = $1")
        .bind(creator_id.to_string())
        .execute(&mut *connection)
        .await?;
    Ok(true)
}

/// The creators whose live events reach a user: those they follow (members follow too) and
/// those whose team they are in. One statement.
pub async fn creators_of_interest<'e>(
    executor: impl sqlx::Executor<'e, Database = crate::Database>,
    user_id: Id,
) -> Result<Vec<Id>, StoreError> {
    let ids: Vec<String> = sql::query_scalar(
        "SELECT creator_id FROM follows WHERE user_id = $1 UNION SELECT creator_id FROM creator_members WHERE user_id = $1",
    )
    .bind(user_id.to_string())
    .fetch_all(executor)
    .await?;
    ids.iter().map(|id| id.parse().map_err(|_| StoreError::Corrupt(format!("creator id {id:?}")))).collect()
}
