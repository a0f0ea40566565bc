//! `/admin/jobs`: the job queue for platform admins — counts, jobs by state, and retry or
//! discard for dead letters.

use super::{Layout, Page, page_error, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use patron_app::admin;
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/jobs", get(jobs_page))
        .route("/admin/jobs/{id}/retry", post(retry))
        .route("/admin/jobs/{id}/discard", post(discard))
        .route("/admin/payments", get(payments_page))
        .route("/admin/payments/{id}/refund", post(refund))
}

struct CountRow {
    kind: String,
    status: String,
    count: i64,
}

struct JobView {
    id: String,
    kind: String,
    attempts: i64,
    max_attempts: i64,
    run_at: String,
    last_error: String,
}

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct JobsPage {
    layout: Layout,
    status: String,
    statuses: &'static [&'static str],
    counts: Vec<CountRow>,
    jobs: Vec<JobView>,
}

impl JobsPage {
    /// The catalogue key of a job's state.
    fn status_key(&self, status: &str) -> &'static str {
        match status {
            "pending" => "job_status.pending",
            "running" => "job_status.running",
            "dead" => "job_status.dead",
            "succeeded" => "job_status.succeeded",
            _ => "job_status.other",
        }
    }
}

#[derive(Deserialize)]
struct JobsQuery {
    status: Option<String>,
}

async fn jobs_page(State(state): State<AppState>, page: Page, Query(query): Query<JobsQuery>) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/admin/jobs").into_response();
    };
    let status = query.status.unwrap_or_else(|| "dead".to_owned());
    let (stats, jobs) = match admin::jobs_overview(&state.app, &user.user, &status).await {
        Ok(found) => found,
        Err(error) => return page_error(error),
    };
    let view = JobsPage {
        status,
        statuses: admin::JOB_STATUSES,
        counts: stats.into_iter().map(|s| CountRow { kind: s.kind, status: s.status, count: s.count }).collect(),
        jobs: jobs
            .into_iter()
            .map(|j| JobView {
                id: j.id.to_string(),
                kind: j.kind,
                attempts: j.attempts,
                max_attempts: j.max_attempts,
                run_at: j.run_at.to_rfc3339().chars().take(19).collect::<String>().replace('T', " "),
                last_error: j.last_error.unwrap_or_default(),
            })
            .collect(),
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

async fn act(state: &AppState, page: &Page, id: &str, retry: bool) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/admin/jobs").into_response();
    };
    let done = if retry {
        admin::retry_job(&state.app, &user.user, id).await
    } else {
        admin::discard_job(&state.app, &user.user, id).await
    };
    match done {
        Ok(()) => Redirect::to("/admin/jobs?status=dead").into_response(),
        Err(error) => page_error(error),
    }
}

async fn retry(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    act(&state, &page, &id, true).await
}

async fn discard(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    act(&state, &page, &id, false).await
}

struct PaymentView {
    id: String,
    date: String,
    creator: String,
    provider: String,
    kind: String,
    status: String,
    disputed: bool,
    amount: String,
    refundable: bool,
}

#[derive(Template)]
#[template(path = "admin_payments.html")]
struct PaymentsPage {
    layout: Layout,
    payments: Vec<PaymentView>,
}

async fn payments_page(State(state): State<AppState>, page: Page) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/admin/payments").into_response();
    };
    let list = match patron_app::payments::all(&state.app, &user.user, 200).await {
        Ok(list) => list,
        Err(error) => return page_error(error),
    };
    let names =
        match patron_app::creators::names(&state.app, &list.iter().map(|p| p.creator_id).collect::<Vec<_>>()).await {
            Ok(names) => names,
            Err(error) => return page_error(error),
        };
    let lang = page.layout.lang;
    let mut payments = Vec::with_capacity(list.len());
    for payment in &list {
        payments.push(PaymentView {
            id: payment.id.to_string(),
            date: payment.created_at.to_rfc3339().chars().take(16).collect::<String>().replace('T', " "),
            creator: names.get(&payment.creator_id).map(|page| page.name.clone()).unwrap_or_default(),
            provider: payment.provider.clone(),
            kind: crate::html::payment_kind(lang, &payment.kind),
            status: crate::html::payment_state(lang, &payment.status, payment.dispute.as_deref()),
            disputed: payment.dispute.is_some(),
            amount: crate::i18n::money(payment.amount, &payment.currency),
            refundable: payment.status == "succeeded" && payment.dispute.is_none(),
        });
    }
    render(StatusCode::OK, &PaymentsPage { layout: page.layout, payments })
}

async fn refund(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/admin/payments").into_response();
    };
    match patron_app::payments::refund(&state.app, &user.user, &id).await {
        Ok(_) => Redirect::to("/admin/payments").into_response(),
        Err(error) => page_error(error),
    }
}
