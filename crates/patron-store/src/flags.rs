//! The install's run-time switches (`patron_flags`), which every process re-reads each second
//! ([`crate::Db::refresh_flags`]), so flipping one here flips it for all of them.

use crate::sql;
use crate::{Database, StoreError};
use patron_domain::Timestamp;

/// Pauses writes: sets the `read_only` flag, its value saying what paused them (`by`). Within
/// a second every process refuses changes and claims no jobs.
pub async fn set_read_only<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    by: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sql::query(
        "INSERT INTO patron_flags (name, value, updated_at) VALUES ('read_only', $1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(by)
    .bind(now.as_micros())
    .execute(executor)
    .await?;
    Ok(())
}

/// Resumes writes: removes the `read_only` flag; false when it was not set.
pub async fn clear_read_only<'e>(executor: impl sqlx::Executor<'e, Database = Database>) -> Result<bool, StoreError> {
    let deleted = sql::query("DELETE FROM patron_flags WHERE name = 'read_only'").execute(executor).await?;
    Ok(deleted.rows_affected() > 0)
}
