//! The audit log: who did what they are trusted with (platform admins opening private
//! documents, refunding payments, retrying or discarding jobs). Append-only.

use crate::row::{opt_id, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{Id, Timestamp};
use sqlx::Row;

/// Writes an audit entry.
pub async fn record<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    actor_id: Option<Id>,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), StoreError> {
    sql::query(
        "INSERT INTO audit_log (id, actor_id, action, subject, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Id::new().to_string())
    .bind(actor_id.map(|a| a.to_string()))
    .bind(action.to_owned())
    .bind(subject.to_owned())
    .bind(detail.to_owned())
    .bind(Timestamp::now().as_micros())
    .execute(executor)
    .await?;
    Ok(())
}

/// The newest audit entries: (actor, action, subject, detail, time).
pub async fn entries<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    limit: i64,
) -> Result<Vec<(Option<Id>, String, String, String, Timestamp)>, StoreError> {
    let rows = sql::query(
        "SELECT actor_id, action, subject, detail, created_at FROM audit_log ORDER BY created_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                opt_id(row, "actor_id")?,
                row.try_get("action")?,
                row.try_get("subject")?,
                row.try_get("detail")?,
                time(row, "created_at")?,
            ))
        })
        .collect()
}
