//! What platform admins do, shared by the JSON API and the admin pages: today the job queue
//! (inspect, retry and discard dead letters). Every action is logged with who did it.

use crate::AppState;
use crate::error::ApiError;
use patron_domain::Id;
use patron_store::jobs::{self, JobRow, QueueStats};
use patron_store::users::User;

/// The job states an admin can list.
pub const JOB_STATUSES: &[&str] = &["pending", "running", "dead", "succeeded"];

/// 403 unless `user` administers the platform.
pub fn require_admin(user: &User) -> Result<(), ApiError> {
    if user.is_platform_admin {
        Ok(())
    } else {
        Err(ApiError::forbidden("not_an_admin", "Only platform admins may do this."))
    }
}

/// The queue's counts and the newest jobs in `status`.
pub async fn jobs_overview(state: &AppState, status: &str) -> Result<(Vec<QueueStats>, Vec<JobRow>), ApiError> {
    if !JOB_STATUSES.contains(&status) {
        return Err(ApiError::bad_request(
            "unknown_status",
            format!("status must be one of {}", JOB_STATUSES.join(", ")),
        ));
    }
    let stats = jobs::stats(&state.db).await?;
    let list = jobs::list(&state.db, status, 100).await?;
    Ok((stats, list))
}

fn not_dead() -> ApiError {
    ApiError::new(axum::http::StatusCode::NOT_FOUND, "no_such_dead_job", "There is no dead job with this id.")
}

/// Puts a dead job back in the queue with fresh attempts.
pub async fn retry_job(state: &AppState, admin: &User, job_id: Id) -> Result<(), ApiError> {
    require_admin(admin)?;
    if !jobs::retry_dead(&state.db, job_id).await? {
        return Err(not_dead());
    }
    tracing::info!(admin_id = %admin.id, %job_id, "admin: dead job put back in the queue");
    patron_store::audit::record(state.db.pool(), Some(admin.id), "job.retry", &format!("job:{job_id}"), "").await?;
    Ok(())
}

/// Deletes a dead job.
pub async fn discard_job(state: &AppState, admin: &User, job_id: Id) -> Result<(), ApiError> {
    require_admin(admin)?;
    if !jobs::discard_dead(&state.db, job_id).await? {
        return Err(not_dead());
    }
    tracing::info!(admin_id = %admin.id, %job_id, "admin: dead job discarded");
    patron_store::audit::record(state.db.pool(), Some(admin.id), "job.discard", &format!("job:{job_id}"), "").await?;
    Ok(())
}
