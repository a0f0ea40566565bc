//! Poll options and votes. Counts are kept on the options, updated in the same transaction
//! as the votes, so showing results never counts rows.

use crate::row::id;
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{Id, Timestamp};
use sqlx::Row;

/// One option of a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollOption {
    /// Identifier.
    pub id: Id,
    /// The poll (post).
    pub post_id: Id,
    /// Order.
    pub position: i64,
    /// Text.
    pub label: String,
    /// Votes so far.
    pub votes: i64,
}

pub(crate) fn placeholders(start: usize, count: usize) -> String {
    (start..start + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// Replaces a poll's options (only before anyone voted; the caller checks). Several
/// statements: run it in a transaction.
pub async fn set_options(
    transaction: &mut crate::Transaction,
    post_id: Id,
    labels: &[String],
) -> Result<(), StoreError> {
    sql::query("DELETE FROM poll_options WHERE post_id = $1")
        .bind(post_id.to_string())
        .execute(&mut **transaction)
        .await?;
    for (position, label) in labels.iter().enumerate() {
        sql::query("INSERT INTO poll_options (id, post_id, position, label, votes_count) VALUES ($1, $2, $3, $4, 0)")
            .bind(Id::new().to_string())
            .bind(post_id.to_string())
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(label)
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}

/// The options of the given polls, in order. One statement whatever the number of polls.
pub async fn options_for<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    post_ids: &[Id],
) -> Result<Vec<PollOption>, StoreError> {
    if post_ids.is_empty() {
        return Ok(Vec::new());
    }
    let query = format!(
        "SELECT id, post_id, position, label, votes_count FROM poll_options WHERE post_id IN ({}) \
         ORDER BY post_id, position",
        placeholders(1, post_ids.len())
    );
    let mut statement = sql::query(sqlx::AssertSqlSafe(query));
    for post_id in post_ids {
        statement = statement.bind(post_id.to_string());
    }
    let rows = statement.fetch_all(executor).await?;
    rows.iter()
        .map(|row| {
            Ok(PollOption {
                id: id(row, "id")?,
                post_id: id(row, "post_id")?,
                position: row.try_get("position")?,
                label: row.try_get("label")?,
                votes: row.try_get("votes_count")?,
            })
        })
        .collect()
}

/// The options `user_id` chose in the given polls, as (post, option) pairs.
pub async fn votes_of<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    post_ids: &[Id],
) -> Result<Vec<(Id, Id)>, StoreError> {
    if post_ids.is_empty() {
        return Ok(Vec::new());
    }
    let query = format!(
        "SELECT post_id, option_id FROM poll_votes WHERE user_id = $1 AND post_id IN ({})",
        placeholders(2, post_ids.len())
    );
    let mut statement = sql::query(sqlx::AssertSqlSafe(query)).bind(user_id.to_string());
    for post_id in post_ids {
        statement = statement.bind(post_id.to_string());
    }
    let rows = statement.fetch_all(executor).await?;
    rows.iter().map(|row| Ok((id(row, "post_id")?, id(row, "option_id")?))).collect()
}

/// Records `user_id`'s choice in a poll, replacing any earlier one, and keeps the counts
/// right. `option_ids` must belong to the poll (the caller checks). Run it in a transaction.
pub async fn vote(
    transaction: &mut crate::Transaction,
    post_id: Id,
    user_id: Id,
    option_ids: &[Id],
) -> Result<(), StoreError> {
    sql::query(
        "UPDATE poll_options SET votes_count = votes_count - 1 \
         WHERE id IN (SELECT option_id FROM poll_votes WHERE post_id = $1 AND user_id = $2)",
    )
    .bind(post_id.to_string())
    .bind(user_id.to_string())
    .execute(&mut **transaction)
    .await?;
    sql::query("DELETE FROM poll_votes WHERE post_id = $1 AND user_id = $2")
        .bind(post_id.to_string())
        .bind(user_id.to_string())
        .execute(&mut **transaction)
        .await?;
    let now = Timestamp::now().as_micros();
    for option_id in option_ids {
        sql::query("INSERT INTO poll_votes (post_id, option_id, user_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(post_id.to_string())
            .bind(option_id.to_string())
            .bind(user_id.to_string())
            .bind(now)
            .execute(&mut **transaction)
            .await?;
        sql::query("UPDATE poll_options SET votes_count = votes_count + 1 WHERE id = $1")
            .bind(option_id.to_string())
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}

/// Whether anyone has voted in a poll.
pub async fn has_votes<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    post_id: Id,
) -> Result<bool, StoreError> {
    let found: Option<i64> = sql::query_scalar("SELECT 1 FROM poll_votes WHERE post_id = $1 LIMIT 1")
        .bind(post_id.to_string())
        .fetch_optional(executor)
        .await?;
    Ok(found.is_some())
}
