//! Payouts on the web: a team member's bank account and their payouts (`/account/payouts`),
//! and the platform admin's batches, bank files and the bank's answer (`/admin/payouts`).

use super::{Layout, Page, page_error, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::PageForm;
use crate::i18n::money as format_minor;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use patron_app::payouts::{self, BatchStatus, PayoutStatus};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/account/payouts", get(account_page))
        .route("/account/payouts/bank-account", post(save_bank_account))
        .route("/admin/payouts", get(batches_page))
        .route("/admin/payouts/run", post(run))
        .route("/admin/payouts/{id}", get(batch_page))
        .route("/admin/payouts/{id}/file", get(file))
        .route("/admin/payouts/{id}/sent", post(mark_sent))
        .route("/admin/payouts/{id}/payouts/{payout}/failed", post(mark_failed))
}

fn day(at: patron_domain::Timestamp) -> String {
    at.to_rfc3339().chars().take(10).collect()
}

fn payout_status_key(status: PayoutStatus) -> &'static str {
    match status {
        PayoutStatus::Pending => "payout_status.pending",
        PayoutStatus::Sent => "payout_status.sent",
        PayoutStatus::Failed => "payout_status.failed",
    }
}

struct MyPayoutRow {
    date: String,
    amount: String,
    status: &'static str,
    reason: String,
}

#[derive(Template)]
#[template(path = "account_payouts.html")]
struct AccountPayoutsPage {
    layout: Layout,
    holder: String,
    iban: String,
    has_account: bool,
    holder_error: bool,
    iban_error: bool,
    saved: bool,
    payouts: Vec<MyPayoutRow>,
}

#[derive(Deserialize, Default)]
struct BankAccountForm {
    #[serde(default)]
    holder: String,
    #[serde(default)]
    iban: String,
}

async fn account_view(
    state: &AppState,
    page: Page,
    typed: Option<BankAccountForm>,
    errors: (bool, bool),
    saved: bool,
) -> Response {
    let Some(current) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/account/payouts").into_response();
    };
    let account = match payouts::bank_account(&state.app, &current.user).await {
        Ok(account) => account,
        Err(error) => return page_error(error),
    };
    let list = match payouts::my_payouts(&state.app, &current.user).await {
        Ok(list) => list,
        Err(error) => return page_error(error),
    };
    let has_account = account.is_some();
    let (holder, iban) = match (typed, account) {
        (Some(form), _) => (form.holder, form.iban),
        (None, Some(account)) => (account.holder, account.iban.grouped()),
        (None, None) => (String::new(), String::new()),
    };
    let status = if errors.0 || errors.1 { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let view = AccountPayoutsPage {
        holder,
        iban,
        has_account,
        holder_error: errors.0,
        iban_error: errors.1,
        saved,
        payouts: list
            .into_iter()
            .map(|p| MyPayoutRow {
                date: day(p.created_at),
                amount: format_minor(p.amount, &p.currency),
                status: payout_status_key(p.status),
                reason: p.reason.unwrap_or_default(),
            })
            .collect(),
        layout: page.layout,
    };
    render(status, &view)
}

async fn account_page(State(state): State<AppState>, page: Page) -> Response {
    account_view(&state, page, None, (false, false), false).await
}

async fn save_bank_account(
    State(state): State<AppState>,
    page: Page,
    PageForm(form): PageForm<BankAccountForm>,
) -> Response {
    let Some(current) = page.user.0.clone() else {
        return Redirect::to("/login?next=/account/payouts").into_response();
    };
    match payouts::set_bank_account(&state.app, &current.user, &form.holder, &form.iban).await {
        Ok(_) => account_view(&state, page, None, (false, false), true).await,
        Err(error) => {
            let error = ApiError::from(error);
            if error.fields().is_empty() {
                return error.into_response();
            }
            let field = |name: &str| error.fields().iter().any(|f| f.field == name);
            let errors = (field("holder"), field("iban"));
            account_view(&state, page, Some(form), errors, false).await
        }
    }
}

struct BatchRow {
    id: String,
    date: String,
    count: i64,
    total: String,
    sent: bool,
}

struct DueRow {
    payouts: usize,
    total: String,
    without_account: usize,
}

/// One currency of the books, formatted.
struct BooksRow {
    held: String,
    platform_fees: String,
    gateway_fees: String,
    disputed: String,
    owed: String,
    in_transit: String,
    vat_owed: String,
}

#[derive(Template)]
#[template(path = "admin_payouts.html")]
struct BatchesPage {
    layout: Layout,
    configured: bool,
    due: Vec<DueRow>,
    batches: Vec<BatchRow>,
    books: Vec<BooksRow>,
}

async fn batches_page(State(state): State<AppState>, page: Page) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/admin/payouts").into_response();
    };
    let batches = match payouts::batches(&state.app, &user.user).await {
        Ok(list) => list,
        Err(error) => return page_error(error),
    };
    let due = match payouts::due_now(&state.app, &user.user).await {
        Ok(due) => due,
        Err(error) => return page_error(error),
    };
    let books = match payouts::books(&state.app, &user.user).await {
        Ok(books) => books,
        Err(error) => return page_error(error),
    };
    let view = BatchesPage {
        books: books
            .into_iter()
            .map(|b| {
                let money = |minor: i64| format_minor(minor, &b.currency);
                BooksRow {
                    held: money(b.held),
                    platform_fees: money(b.platform_fees),
                    gateway_fees: money(b.gateway_fees),
                    disputed: money(b.disputed),
                    owed: money(b.owed_to_creators),
                    in_transit: money(b.in_transit),
                    vat_owed: money(b.vat_owed),
                }
            })
            .collect(),
        configured: payouts::configured(&state.app),
        due: due
            .into_iter()
            .map(|d| DueRow {
                payouts: d.payouts,
                total: format_minor(d.total, &d.currency),
                without_account: d.without_account,
            })
            .collect(),
        batches: batches
            .into_iter()
            .map(|b| BatchRow {
                id: b.id.to_string(),
                date: day(b.created_at),
                total: format_minor(b.total, &b.currency),
                count: b.count,
                sent: b.status == BatchStatus::Sent,
            })
            .collect(),
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

/// A confirmation box a form with money in it must have ticked.
#[derive(Deserialize, Default)]
struct Confirmed {
    #[serde(default)]
    confirm: Option<String>,
    #[serde(default)]
    reason: String,
}

fn not_confirmed(page: &Page) -> Response {
    let lang = page.lang();
    crate::html::error_page(StatusCode::UNPROCESSABLE_ENTITY, lang.t("payouts.title"), lang.t("payouts.confirm_first"))
}

async fn run(State(state): State<AppState>, page: Page, PageForm(form): PageForm<Confirmed>) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/admin/payouts").into_response();
    };
    if form.confirm.is_none() {
        return not_confirmed(&page);
    }
    match payouts::run(&state.app, &user.user).await {
        Ok(_) => Redirect::to("/admin/payouts").into_response(),
        Err(error) => page_error(error),
    }
}

struct PayoutRow {
    id: String,
    name: String,
    holder: String,
    iban: String,
    amount: String,
    status: &'static str,
    failed: bool,
    reason: String,
}

#[derive(Template)]
#[template(path = "admin_payout_batch.html")]
struct BatchPage {
    layout: Layout,
    id: String,
    date: String,
    total: String,
    count: i64,
    sent: bool,
    sent_on: String,
    payouts: Vec<PayoutRow>,
}

async fn batch_page(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/admin/payouts").into_response();
    };
    let (batch, list) = match payouts::batch(&state.app, &user.user, &id).await {
        Ok(found) => found,
        Err(error) => return page_error(error),
    };
    let view = BatchPage {
        id: batch.id.to_string(),
        date: day(batch.created_at),
        total: format_minor(batch.total, &batch.currency),
        count: batch.count,
        sent: batch.status == BatchStatus::Sent,
        sent_on: batch.sent_at.map(day).unwrap_or_default(),
        payouts: list
            .into_iter()
            .map(|p| PayoutRow {
                id: p.id.to_string(),
                name: p.display_name,
                iban: patron_domain::bank::Iban::parse("iban", &p.iban).map_or(p.iban.clone(), |i| i.grouped()),
                holder: p.holder,
                amount: format_minor(p.amount, &p.currency),
                failed: p.status == PayoutStatus::Failed,
                status: payout_status_key(p.status),
                reason: p.reason.unwrap_or_default(),
            })
            .collect(),
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

async fn file(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/admin/payouts").into_response();
    };
    match payouts::batch_file(&state.app, &user.user, &id).await {
        Ok((name, xml)) => crate::api::xml_download(&name, xml),
        Err(error) => page_error(error),
    }
}

async fn mark_sent(
    State(state): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    PageForm(form): PageForm<Confirmed>,
) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/admin/payouts").into_response();
    };
    if form.confirm.is_none() {
        return not_confirmed(&page);
    }
    match payouts::mark_sent(&state.app, &user.user, &id).await {
        Ok(_) => Redirect::to(&format!("/admin/payouts/{id}")).into_response(),
        Err(error) => page_error(error),
    }
}

async fn mark_failed(
    State(state): State<AppState>,
    page: Page,
    Path((id, payout)): Path<(String, String)>,
    PageForm(form): PageForm<Confirmed>,
) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/admin/payouts").into_response();
    };
    match payouts::mark_failed(&state.app, &user.user, &id, &payout, &form.reason).await {
        Ok(_) => Redirect::to(&format!("/admin/payouts/{id}")).into_response(),
        Err(error) => page_error(error),
    }
}
