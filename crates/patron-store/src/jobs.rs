//! The job queue: rows in the same database as the data, so a change and its follow-up work
//! commit together (lesson 3). A claim is a lease: the worker holds a job until
//! `locked_until` and extends it while it works; a lease that runs out makes the job
//! claimable again, so a crashed worker's jobs are not lost.

use crate::row::{id, opt_time, time};
use crate::sql;
use crate::{Backend, Database, Db, StoreError};
use patron_domain::{Id, Timestamp};
use sqlx::Row;
use std::time::Duration;

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What to do (the handler's name).
    pub kind: String,
    /// Its input, JSON.
    pub payload: String,
    /// Not before.
    pub run_at: Timestamp,
    /// Attempts before it becomes a dead letter.
    pub max_attempts: i64,
    /// Enqueueing the same key twice creates one job.
    pub idempotency_key: Option<String>,
}

/// Adds a job — inside the caller's transaction when given one. Returns `None` when a job
/// with the same idempotency key exists already.
pub async fn enqueue<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    job: &NewJob,
) -> Result<Option<Id>, StoreError> {
    let job_id = Id::new();
    let now = Timestamp::now();
    let result = sql::query(
        "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, idempotency_key, created_at, updated_at) \
         VALUES ($1, $2, $3, 'pending', 0, $4, $5, $6, $7, $7) ON CONFLICT DO NOTHING",
    )
    .bind(job_id.to_string())
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(job.max_attempts)
    .bind(job.run_at.as_micros())
    .bind(job.idempotency_key.clone())
    .bind(now.as_micros())
    .execute(executor)
    .await?;
    Ok((result.rows_affected() == 1).then_some(job_id))
}

/// A job a worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    /// Identifier.
    pub id: Id,
    /// What to do.
    pub kind: String,
    /// Its input.
    pub payload: String,
    /// This is attempt number `attempts` (from 1).
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
}

/// Leases up to `limit` due jobs to `worker` until `now + lease`. One statement on both
/// backends: PostgreSQL skips rows other workers are claiming at the same moment
/// (`FOR UPDATE SKIP LOCKED`); SQLite runs the statement under its single write lock.
pub async fn claim(
    db: &Db,
    worker: &str,
    lease: Duration,
    limit: i64,
    now: Timestamp,
) -> Result<Vec<ClaimedJob>, StoreError> {
    let query = match db.backend() {
        Backend::Postgres => {
            "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 \
             WHERE id IN (SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $3 \
                          ORDER BY run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING id, kind, payload, attempts, max_attempts"
        }
        Backend::Sqlite => {
            "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 \
             WHERE id IN (SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $3 ORDER BY run_at, id LIMIT $4) \
             RETURNING id, kind, payload, attempts, max_attempts"
        }
    };
    let rows = sql::query(query)
        .bind(worker)
        .bind(now.plus(lease).as_micros())
        .bind(now.as_micros())
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ClaimedJob {
                id: id(row, "id")?,
                kind: row.try_get("kind")?,
                payload: row.try_get("payload")?,
                attempts: row.try_get("attempts")?,
                max_attempts: row.try_get("max_attempts")?,
            })
        })
        .collect()
}

/// Makes jobs whose lease ran out claimable again (their worker died or hung). The attempt
/// stays counted, so a job that kills its worker every time ends as a dead letter.
pub async fn requeue_expired(db: &Db, now: Timestamp) -> Result<u64, StoreError> {
    let result = sql::query(
        "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END, \
                         locked_by = NULL, locked_until = NULL, run_at = $1, updated_at = $1, \
                         last_error = 'the lease ran out: the worker stopped or hung' \
         WHERE status = 'running' AND locked_until < $1",
    )
    .bind(now.as_micros())
    .execute(db.pool())
    .await?;
    Ok(result.rows_affected())
}

/// Extends the lease of a job `worker` holds; false when it no longer holds it.
pub async fn heartbeat(db: &Db, job_id: Id, worker: &str, until: Timestamp) -> Result<bool, StoreError> {
    let result =
        sql::query("UPDATE jobs SET locked_until = $3 WHERE id = $1 AND status = 'running' AND locked_by = $2")
            .bind(job_id.to_string())
            .bind(worker)
            .bind(until.as_micros())
            .execute(db.pool())
            .await?;
    Ok(result.rows_affected() == 1)
}

/// Records success; false when the lease was lost meanwhile (another worker may run it).
pub async fn succeed(db: &Db, job_id: Id, worker: &str) -> Result<bool, StoreError> {
    let now = Timestamp::now().as_micros();
    let result = sql::query(
        "UPDATE jobs SET status = 'succeeded', locked_by = NULL, locked_until = NULL, finished_at = $3, updated_at = $3, \
                         last_error = NULL \
         WHERE id = $1 AND status = 'running' AND locked_by = $2",
    )
    .bind(job_id.to_string())
    .bind(worker)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Records a failure: the job runs again at `retry_at`, or becomes a dead letter when that is
/// `None`.
pub async fn fail(
    db: &Db,
    job_id: Id,
    worker: &str,
    error: &str,
    retry_at: Option<Timestamp>,
) -> Result<bool, StoreError> {
    let now = Timestamp::now().as_micros();
    let error: String = error.chars().take(2000).collect();
    let result = sql::query(
        "UPDATE jobs SET status = $4, run_at = COALESCE($5, run_at), locked_by = NULL, locked_until = NULL, \
                         last_error = $3, updated_at = $6, finished_at = CASE WHEN $4 = 'dead' THEN $6 ELSE NULL END \
         WHERE id = $1 AND status = 'running' AND locked_by = $2",
    )
    .bind(job_id.to_string())
    .bind(worker)
    .bind(error)
    .bind(if retry_at.is_some() { "pending" } else { "dead" })
    .bind(retry_at.map(Timestamp::as_micros))
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Gives a job back without counting the attempt (a worker stopping cleanly), so another
/// worker takes it at once.
pub async fn release(db: &Db, job_id: Id, worker: &str) -> Result<bool, StoreError> {
    let now = Timestamp::now().as_micros();
    let result = sql::query(
        "UPDATE jobs SET status = 'pending', locked_by = NULL, locked_until = NULL, run_at = $3, updated_at = $3, \
                         attempts = attempts - 1 \
         WHERE id = $1 AND status = 'running' AND locked_by = $2",
    )
    .bind(job_id.to_string())
    .bind(worker)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A job as the admin view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    /// Identifier.
    pub id: Id,
    /// What it does.
    pub kind: String,
    /// `pending`, `running`, `succeeded` or `dead`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// Due.
    pub run_at: Timestamp,
    /// The last failure.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: Timestamp,
    /// Finished (succeeded or dead).
    pub finished_at: Option<Timestamp>,
}

/// Jobs in a status, newest first.
pub async fn list(db: &Db, status: &str, limit: i64) -> Result<Vec<JobRow>, StoreError> {
    let rows = sql::query(
        "SELECT id, kind, status, attempts, max_attempts, run_at, last_error, created_at, finished_at FROM jobs \
         WHERE status = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(status)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(JobRow {
                id: id(row, "id")?,
                kind: row.try_get("kind")?,
                status: row.try_get("status")?,
                attempts: row.try_get("attempts")?,
                max_attempts: row.try_get("max_attempts")?,
                run_at: time(row, "run_at")?,
                last_error: row.try_get("last_error")?,
                created_at: time(row, "created_at")?,
                finished_at: opt_time(row, "finished_at")?,
            })
        })
        .collect()
}

/// Puts a dead letter back in the queue with fresh attempts.
pub async fn retry_dead(db: &Db, job_id: Id) -> Result<bool, StoreError> {
    let now = Timestamp::now().as_micros();
    let result = sql::query(
        "UPDATE jobs SET status = 'pending', attempts = 0, run_at = $2, updated_at = $2, finished_at = NULL \
         WHERE id = $1 AND status = 'dead'",
    )
    .bind(job_id.to_string())
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Deletes a dead letter.
pub async fn discard_dead(db: &Db, job_id: Id) -> Result<bool, StoreError> {
    let result = sql::query("DELETE FROM jobs WHERE id = $1 AND status = 'dead'")
        .bind(job_id.to_string())
        .execute(db.pool())
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Queue depth per kind and status, and the age of the oldest due pending job per kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStats {
    /// Job kind.
    pub kind: String,
    /// Status.
    pub status: String,
    /// How many.
    pub count: i64,
    /// For pending jobs: the earliest due time.
    pub oldest_run_at: Option<Timestamp>,
}

/// Counts of unfinished and dead jobs, for metrics.
pub async fn stats(db: &Db) -> Result<Vec<QueueStats>, StoreError> {
    let rows = sql::query(
        "SELECT kind, status, COUNT(*) AS n, MIN(run_at) AS oldest FROM jobs \
         WHERE status IN ('pending', 'running', 'dead') GROUP BY kind, status",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(QueueStats {
                kind: row.try_get("kind")?,
                status: row.try_get("status")?,
                count: row.try_get("n")?,
                oldest_run_at: opt_time(row, "oldest")?,
            })
        })
        .collect()
}

/// Deletes succeeded jobs finished before `before`; returns how many.
pub async fn purge_succeeded(db: &Db, before: Timestamp) -> Result<u64, StoreError> {
    let result = sql::query("DELETE FROM jobs WHERE status = 'succeeded' AND finished_at < $1")
        .bind(before.as_micros())
        .execute(db.pool())
        .await?;
    Ok(result.rows_affected())
}

/// What to do about a side effect with an idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectClaim {
    /// This worker holds the key now: do the effect, then [`finish_effect`].
    Go,
    /// The effect is done: do nothing.
    Done,
    /// Another worker is doing it right now: try again later.
    Busy,
}

/// Claims the side effect `key` for `owner` for `lease`. A claim whose lease ran out (its
/// worker died mid-effect) can be taken over. Two statements; call it on a connection of
/// its own, outside the job's transaction, so the claim is visible at once.
pub async fn claim_effect(
    db: &Db,
    key: &str,
    kind: &str,
    owner: &str,
    lease: Duration,
) -> Result<EffectClaim, StoreError> {
    let now = Timestamp::now();
    let inserted = sql::query(
        "INSERT INTO effects (key, kind, state, owner, lease_until, created_at) VALUES ($1, $2, 'pending', $3, $4, $5) \
         ON CONFLICT DO NOTHING",
    )
    .bind(key)
    .bind(kind)
    .bind(owner)
    .bind(now.plus(lease).as_micros())
    .bind(now.as_micros())
    .execute(db.pool())
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(EffectClaim::Go);
    }
    let taken = sql::query(
        "UPDATE effects SET owner = $2, lease_until = $3 WHERE key = $1 AND state = 'pending' AND lease_until < $4",
    )
    .bind(key)
    .bind(owner)
    .bind(now.plus(lease).as_micros())
    .bind(now.as_micros())
    .execute(db.pool())
    .await?;
    if taken.rows_affected() == 1 {
        return Ok(EffectClaim::Go);
    }
    let state: Option<String> =
        sql::query_scalar("SELECT state FROM effects WHERE key = $1").bind(key).fetch_optional(db.pool()).await?;
    Ok(if state.as_deref() == Some("done") { EffectClaim::Done } else { EffectClaim::Busy })
}

/// Marks a claimed effect done.
pub async fn finish_effect(db: &Db, key: &str, owner: &str) -> Result<(), StoreError> {
    sql::query("UPDATE effects SET state = 'done', done_at = $3, lease_until = NULL WHERE key = $1 AND owner = $2")
        .bind(key)
        .bind(owner)
        .bind(Timestamp::now().as_micros())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Gives a claimed effect up (it did not happen), so a retry can do it.
pub async fn abandon_effect(db: &Db, key: &str, owner: &str) -> Result<(), StoreError> {
    sql::query("DELETE FROM effects WHERE key = $1 AND owner = $2 AND state = 'pending'")
        .bind(key)
        .bind(owner)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Whether the side effect `key` is done.
pub async fn effect_done<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    key: &str,
) -> Result<bool, StoreError> {
    let state: Option<String> =
        sql::query_scalar("SELECT state FROM effects WHERE key = $1").bind(key).fetch_optional(executor).await?;
    Ok(state.as_deref() == Some("done"))
}
