//! What platform admins do: the job queue (inspect, retry and discard dead letters), the list
//! of payments, who is an admin. Every action is written to the audit log with who did it.

use crate::{App, AppError, User};
use patron_domain::Id;
use patron_store::jobs::{self, JobRow, QueueStats};

/// The job states an admin can list.
pub const JOB_STATUSES: &[&str] = &["pending", "running", "dead", "succeeded"];

/// `Forbidden` unless `user` administers the platform.
pub fn require_admin(user: &User) -> Result<(), AppError> {
    if user.is_platform_admin {
        Ok(())
    } else {
        Err(AppError::forbidden("not_an_admin", "Only platform admins may do this."))
    }
}

/// The queue's counts and the newest jobs in `status`.
pub async fn jobs_overview(app: &App, admin: &User, status: &str) -> Result<(Vec<QueueStats>, Vec<JobRow>), AppError> {
    require_admin(admin)?;
    if !JOB_STATUSES.contains(&status) {
        return Err(AppError::malformed(
            "unknown_status",
            format!("status must be one of {}", JOB_STATUSES.join(", ")),
        ));
    }
    let stats = jobs::stats(&app.db).await?;
    let list = jobs::list(&app.db, status, 100).await?;
    Ok((stats, list))
}

fn not_dead() -> AppError {
    AppError::not_found("no_such_dead_job", "There is no dead job with this id.")
}

/// Puts a dead job back in the queue with fresh attempts.
pub async fn retry_job(app: &App, admin: &User, job_id: &str) -> Result<(), AppError> {
    require_admin(admin)?;
    let job_id: Id = job_id.parse().map_err(|_| AppError::nothing_here())?;
    if !jobs::retry_dead(&app.db, job_id).await? {
        return Err(not_dead());
    }
    tracing::info!(admin_id = %admin.id, %job_id, "admin: dead job put back in the queue");
    patron_store::audit::record(app.db.pool(), Some(admin.id), "job.retry", &format!("job:{job_id}"), "").await?;
    Ok(())
}

/// Deletes a dead job.
pub async fn discard_job(app: &App, admin: &User, job_id: &str) -> Result<(), AppError> {
    require_admin(admin)?;
    let job_id: Id = job_id.parse().map_err(|_| AppError::nothing_here())?;
    if !jobs::discard_dead(&app.db, job_id).await? {
        return Err(not_dead());
    }
    tracing::info!(admin_id = %admin.id, %job_id, "admin: dead job discarded");
    patron_store::audit::record(app.db.pool(), Some(admin.id), "job.discard", &format!("job:{job_id}"), "").await?;
    Ok(())
}

/// Makes the account with `email` a platform admin, or takes that away (`patron admin`, the
/// demo). `false` when no account has the address.
pub async fn set_platform_admin(app: &App, email: &str, admin: bool) -> Result<bool, AppError> {
    let email = patron_domain::Email::parse(email).map_err(|e| AppError::Invalid(vec![e]))?;
    Ok(patron_store::users::set_platform_admin(app.db.pool(), &email, admin).await?)
}
