//! Comments on posts, threaded one level deep.

use crate::row::{id, opt_id, opt_time, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{Id, Timestamp};
use sqlx::Row;

/// A comment with its author's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Identifier.
    pub id: Id,
    /// The post.
    pub post_id: Id,
    /// The author (gone when the account was deleted).
    pub author_id: Option<Id>,
    /// The author's name.
    pub author_name: Option<String>,
    /// The comment it answers (one level only).
    pub parent_id: Option<Id>,
    /// Text.
    pub body: String,
    /// Written.
    pub created_at: Timestamp,
    /// Deleted (the text is then hidden; replies stay).
    pub deleted_at: Option<Timestamp>,
}

/// Adds a comment and counts it on the post. Two statements: run it in a transaction.
pub async fn insert(
    transaction: &mut crate::Transaction,
    post_id: Id,
    author_id: Id,
    parent_id: Option<Id>,
    body: &str,
) -> Result<Id, StoreError> {
    let comment_id = Id::new();
    sql::query(
        "INSERT INTO comments (id, post_id, author_id, parent_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(comment_id.to_string())
    .bind(post_id.to_string())
    .bind(author_id.to_string())
    .bind(parent_id.map(|p| p.to_string()))
    .bind(body)
    .bind(Timestamp::now().as_micros())
    .execute(&mut **transaction)
    .await?;
    sql::query("UPDATE posts SET comments_count = comments_count + 1 WHERE id = $1")
        .bind(post_id.to_string())
        .execute(&mut **transaction)
        .await?;
    Ok(comment_id)
}

/// One comment of a post.
pub async fn find<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    post_id: Id,
    comment_id: Id,
) -> Result<Option<Comment>, StoreError> {
    let row = sql::query(
        "SELECT comments.id, comments.post_id, comments.author_id, users.display_name AS author_name, comments.parent_id, \
                comments.body, comments.created_at, comments.deleted_at \
         FROM comments LEFT JOIN users ON users.id = comments.author_id WHERE comments.post_id = $1 AND comments.id = $2",
    )
    .bind(post_id.to_string())
    .bind(comment_id.to_string())
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(comment_from_row).transpose()
}

fn comment_from_row(row: &sqlx::any::AnyRow) -> Result<Comment, StoreError> {
    Ok(Comment {
        id: id(row, "id")?,
        post_id: id(row, "post_id")?,
        author_id: opt_id(row, "author_id")?,
        author_name: row.try_get("author_name")?,
        parent_id: opt_id(row, "parent_id")?,
        body: row.try_get("body")?,
        created_at: time(row, "created_at")?,
        deleted_at: opt_time(row, "deleted_at")?,
    })
}

/// The comments of a post, oldest first, at most `limit`, after the comment `after` (keyset).
pub async fn list<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    post_id: Id,
    after: Option<(Timestamp, Id)>,
    limit: i64,
) -> Result<Vec<Comment>, StoreError> {
    let rows = sql::query(
        "SELECT comments.id, comments.post_id, comments.author_id, users.display_name AS author_name, comments.parent_id, \
                comments.body, comments.created_at, comments.deleted_at \
         FROM comments LEFT JOIN users ON users.id = comments.author_id \
         WHERE comments.post_id = $1 AND ($2 IS NULL OR comments.created_at > $2 OR (comments.created_at = $2 AND comments.id > $3)) \
         ORDER BY comments.created_at, comments.id LIMIT $4",
    )
    .bind(post_id.to_string())
    .bind(after.map(|(at, _)| at.as_micros()))
    .bind(after.map(|(_, id)| id.to_string()))
    .bind(limit)
    .fetch_all(executor)
    .await?;
    rows.iter().map(comment_from_row).collect()
}

/// Deletes a comment (its text is hidden, replies stay) and uncounts it. Run it in a transaction.
pub async fn soft_delete(
    transaction: &mut crate::Transaction,
    post_id: Id,
    comment_id: Id,
    deleted_by: Id,
) -> Result<bool, StoreError> {
    let result = sql::query(
        "UPDATE comments SET deleted_at = $3, deleted_by = $4 WHERE post_id = $1 AND id = $2 AND deleted_at IS NULL",
    )
    .bind(post_id.to_string())
    .bind(comment_id.to_string())
    .bind(Timestamp::now().as_micros())
    .bind(deleted_by.to_string())
    .execute(&mut **transaction)
    .await?;
    if result.rows_affected() == 0 {
        return Ok(false);
    }
    sql::query("UPDATE posts SET comments_count = comments_count - 1 WHERE id = $1")
        .bind(post_id.to_string())
        .execute(&mut **transaction)
        .await?;
    Ok(true)
}
