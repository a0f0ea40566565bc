//! Leases of scheduled jobs: each tick fires once however many instances run, and
//! `patron run-job` never overlaps with a run in progress (lesson 11: crons harvested the
//! database on every API server).

use crate::row::opt_time;
use crate::sql;
use crate::{Db, StoreError};
use patron_domain::Timestamp;
use sqlx::Row;
use std::time::Duration;

/// The state of one scheduled job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRun {
    /// The job's name.
    pub name: String,
    /// The last tick fired.
    pub last_tick: Option<Timestamp>,
    /// Who runs it now.
    pub locked_by: Option<String>,
    /// Until when.
    pub locked_until: Option<Timestamp>,
    /// When the last run started.
    pub last_started_at: Option<Timestamp>,
    /// When it finished.
    pub last_finished_at: Option<Timestamp>,
    /// `ok` or `failed`.
    pub last_result: Option<String>,
    /// What the last run reported (its summary or its error).
    pub last_error: Option<String>,
}

/// Starts a run of `name` for `tick` (or outside the schedule when `tick` is `None`): true
/// when this instance won the lease, false when the tick already fired or another run holds
/// the lease.
pub async fn try_start(
    db: &Db,
    name: &str,
    tick: Option<Timestamp>,
    me: &str,
    lease: Duration,
    now: Timestamp,
) -> Result<bool, StoreError> {
    sql::query("INSERT INTO schedule_runs (name) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(name)
        .execute(db.pool())
        .await?;
    let result = sql::query(
        "UPDATE schedule_runs SET last_tick = COALESCE($2, last_tick), locked_by = $3, locked_until = $4, last_started_at = $5 \
         WHERE name = $1 AND ($2 IS NULL OR last_tick IS NULL OR last_tick < $2) \
           AND (locked_until IS NULL OR locked_until < $5)",
    )
    .bind(name)
    .bind(tick.map(Timestamp::as_micros))
    .bind(me)
    .bind(now.plus(lease).as_micros())
    .bind(now.as_micros())
    .execute(db.pool())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Records how a run ended and gives the lease back.
pub async fn finish(db: &Db, name: &str, me: &str, ok: bool, detail: &str) -> Result<(), StoreError> {
    let detail: String = detail.chars().take(2000).collect();
    sql::query(
        "UPDATE schedule_runs SET locked_by = NULL, locked_until = NULL, last_finished_at = $3, last_result = $4, last_error = $5 \
         WHERE name = $1 AND locked_by = $2",
    )
    .bind(name)
    .bind(me)
    .bind(Timestamp::now().as_micros())
    .bind(if ok { "ok" } else { "failed" })
    .bind(detail)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Every scheduled job's state.
pub async fn all(db: &Db) -> Result<Vec<ScheduleRun>, StoreError> {
    let rows = sql::query(
        "SELECT name, last_tick, locked_by, locked_until, last_started_at, last_finished_at, last_result, last_error \
         FROM schedule_runs ORDER BY name",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ScheduleRun {
                name: row.try_get("name")?,
                last_tick: opt_time(row, "last_tick")?,
                locked_by: row.try_get("locked_by")?,
                locked_until: opt_time(row, "locked_until")?,
                last_started_at: opt_time(row, "last_started_at")?,
                last_finished_at: opt_time(row, "last_finished_at")?,
                last_result: row.try_get("last_result")?,
                last_error: row.try_get("last_error")?,
            })
        })
        .collect()
}
