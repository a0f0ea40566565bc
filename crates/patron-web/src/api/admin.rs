//! `/api/v1/admin/…`: platform administration (the job queue).

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use patron_app::admin;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_jobs)).routes(routes!(retry_job)).routes(routes!(discard_job))
}

/// Which jobs to list.
#[derive(Debug, Deserialize, IntoParams)]
struct JobsQuery {
    /// `pending`, `running`, `dead` (the default) or `succeeded`.
    status: Option<String>,
}

/// Jobs of one kind in one state.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueCount {
    /// Job kind.
    pub kind: String,
    /// `pending`, `running` or `dead`.
    pub status: String,
    /// How many.
    pub count: i64,
    /// For pending jobs: when the earliest is due (RFC 3339).
    pub oldest_run_at: Option<String>,
}

/// A job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobResponse {
    /// Identifier.
    pub id: String,
    /// What it does.
    pub kind: String,
    /// Its state.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// When it is (or was) due (RFC 3339).
    pub run_at: String,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was enqueued (RFC 3339).
    pub created_at: String,
    /// When it succeeded or died (RFC 3339).
    pub finished_at: Option<String>,
}

/// The queue and a list of jobs.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobsResponse {
    /// Unfinished and dead jobs by kind and state.
    pub queue: Vec<QueueCount>,
    /// The newest 100 jobs in the requested state.
    pub jobs: Vec<JobResponse>,
}

/// The job queue (platform admins): counts by kind and state, and the newest jobs in one state.
#[utoipa::path(
    get, path = "/api/v1/admin/jobs", tag = "admin", params(JobsQuery),
    responses((status = 200, body = JobsResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn list_jobs(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<JobsQuery>,
) -> Result<Json<JobsResponse>, ApiError> {
    let (stats, jobs) =
        admin::jobs_overview(&state.app, &current.user, query.status.as_deref().unwrap_or("dead")).await?;
    Ok(Json(JobsResponse {
        queue: stats
            .into_iter()
            .map(|s| QueueCount {
                kind: s.kind,
                status: s.status,
                count: s.count,
                oldest_run_at: s.oldest_run_at.map(|t| t.to_rfc3339()),
            })
            .collect(),
        jobs: jobs
            .into_iter()
            .map(|j| JobResponse {
                id: j.id.to_string(),
                kind: j.kind,
                status: j.status,
                attempts: j.attempts,
                max_attempts: j.max_attempts,
                run_at: j.run_at.to_rfc3339(),
                last_error: j.last_error,
                created_at: j.created_at.to_rfc3339(),
                finished_at: j.finished_at.map(|t| t.to_rfc3339()),
            })
            .collect(),
    }))
}

/// Put a dead job back in the queue with fresh attempts (platform admins).
#[utoipa::path(
    post, path = "/api/v1/admin/jobs/{id}/retry", tag = "admin", params(("id" = String, Path)),
    responses((status = 204, description = "Queued again"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn retry_job(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin::retry_job(&state.app, &current.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a dead job (platform admins).
#[utoipa::path(
    delete, path = "/api/v1/admin/jobs/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn discard_job(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin::discard_job(&state.app, &current.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
