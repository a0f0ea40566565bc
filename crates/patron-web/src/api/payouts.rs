//! Payouts in the API: a person's bank account (`/api/v1/me/bank-account`), and the admin's
//! batches, bank files and the bank's answer (`/api/v1/admin/payouts/…`).

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::i18n::money as format_minor;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use patron_app::payouts::{self, BankAccount, Batch, Payout};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_bank_account, set_bank_account))
        .routes(routes!(admin_bank_account))
        .routes(routes!(list_batches))
        .routes(routes!(books))
        .routes(routes!(run_payouts))
        .routes(routes!(get_batch))
        .routes(routes!(batch_file))
        .routes(routes!(mark_sent))
        .routes(routes!(mark_failed))
}

/// A bank account payouts go to.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankAccountResponse {
    /// The holder's name.
    pub holder: String,
    /// The IBAN, in groups of four (`CZ65 0800 0000 1920 0014 5399`).
    pub iban: String,
    /// When it was last changed (RFC 3339).
    pub updated_at: String,
}

fn bank_account_response(account: BankAccount) -> BankAccountResponse {
    BankAccountResponse {
        holder: account.holder,
        iban: account.iban.grouped(),
        updated_at: account.updated_at.to_rfc3339(),
    }
}

/// A bank account as the payee gives it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BankAccountRequest {
    /// The holder's name as the bank knows it.
    pub holder: String,
    /// An IBAN (spaces allowed), or a Czech account number `prefix-number/bank`
    /// (`19-2000145399/0800`), kept as its IBAN.
    pub iban: String,
}

/// Your bank account for payouts (404 until you give one). Private: only you and platform
/// admins see it.
#[utoipa::path(get, path = "/api/v1/me/bank-account", tag = "earnings",
    responses((status = 200, body = BankAccountResponse), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn get_bank_account(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<BankAccountResponse>, ApiError> {
    let account = payouts::bank_account(&state.app, &user.user).await?;
    let account =
        account.ok_or_else(|| patron_app::AppError::not_found("no_bank_account", "No bank account is given yet."))?;
    Ok(Json(bank_account_response(account)))
}

/// Sets your bank account. An IBAN whose check digits do not match, a Czech account number
/// that fails its checksum, or an empty holder: 422 naming the field, nothing changed.
#[utoipa::path(put, path = "/api/v1/me/bank-account", tag = "earnings", request_body = BankAccountRequest,
    responses((status = 200, body = BankAccountResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn set_bank_account(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(request): ApiJson<BankAccountRequest>,
) -> Result<Json<BankAccountResponse>, ApiError> {
    let account = payouts::set_bank_account(&state.app, &user.user, &request.holder, &request.iban).await?;
    Ok(Json(bank_account_response(account)))
}

/// Someone's bank account (platform admins; every look is audit-logged). 404 when they gave
/// none.
#[utoipa::path(get, path = "/api/v1/admin/users/{id}/bank-account", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = BankAccountResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn admin_bank_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<BankAccountResponse>, ApiError> {
    let account = payouts::admin_bank_account(&state.app, &user.user, &id).await?;
    let account = account.ok_or_else(|| {
        patron_app::AppError::not_found("no_bank_account", "This person has not given a bank account.")
    })?;
    Ok(Json(bank_account_response(account)))
}

/// A batch of payouts in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    /// Its id (the bank file's message id, without hyphens).
    pub id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// `open` (the file waits to be sent) or `sent`.
    pub status: String,
    /// The sum of its payouts, in minor units.
    pub total: i64,
    /// For people: `12 345 Kč`.
    pub formatted: String,
    /// How many payouts.
    pub count: i64,
    /// Earnings up to this moment were paid (RFC 3339).
    pub cutoff: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// When it was marked sent (RFC 3339).
    pub sent_at: Option<String>,
}

fn batch_response(batch: &Batch) -> BatchResponse {
    BatchResponse {
        id: batch.id.to_string(),
        currency: batch.currency.clone(),
        status: batch.status.as_str().to_owned(),
        total: batch.total,
        formatted: format_minor(batch.total, &batch.currency),
        count: batch.count,
        cutoff: batch.cutoff.to_rfc3339(),
        created_at: batch.created_at.to_rfc3339(),
        sent_at: batch.sent_at.map(|t| t.to_rfc3339()),
    }
}

/// One payout.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutResponse {
    /// Its id (the bank file's end-to-end id, without hyphens).
    pub id: String,
    /// The payee.
    pub user_id: String,
    /// Their name on patron.
    pub display_name: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// For people.
    pub formatted: String,
    /// The account holder.
    pub holder: String,
    /// The IBAN, in groups of four.
    pub iban: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Why it failed.
    pub reason: Option<String>,
}

fn payout_response(payout: Payout) -> PayoutResponse {
    let iban = patron_domain::bank::Iban::parse("iban", &payout.iban).map_or(payout.iban.clone(), |i| i.grouped());
    PayoutResponse {
        id: payout.id.to_string(),
        user_id: payout.user_id.to_string(),
        display_name: payout.display_name,
        formatted: format_minor(payout.amount, &payout.currency),
        amount: payout.amount,
        currency: payout.currency,
        holder: payout.holder,
        iban,
        status: payout.status.as_str().to_owned(),
        reason: payout.reason,
    }
}

/// The batches, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchesResponse {
    /// The newest hundred.
    pub batches: Vec<BatchResponse>,
}

/// Payout batches (platform admins).
#[utoipa::path(get, path = "/api/v1/admin/payouts", tag = "admin",
    responses((status = 200, body = BatchesResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn list_batches(State(state): State<AppState>, user: CurrentUser) -> Result<Json<BatchesResponse>, ApiError> {
    let batches = payouts::batches(&state.app, &user.user).await?;
    Ok(Json(BatchesResponse { batches: batches.iter().map(batch_response).collect() }))
}

/// What a payout run did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunResponse {
    /// The batches made, one per currency.
    pub batches: Vec<String>,
    /// Payouts made.
    pub payouts: usize,
    /// Payees with money due and no bank account (told by mail).
    pub without_account: usize,
    /// Payees under the minimum.
    pub under_minimum: usize,
}

/// Runs the payouts job now (platform admins; audit-logged): every available balance of at
/// least the minimum goes into a batch. 409 when the platform's account is not set.
#[utoipa::path(post, path = "/api/v1/admin/payouts/run", tag = "admin",
    responses((status = 200, body = RunResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn run_payouts(State(state): State<AppState>, user: CurrentUser) -> Result<Json<RunResponse>, ApiError> {
    let run = payouts::run(&state.app, &user.user).await?;
    Ok(Json(RunResponse {
        batches: run.batches.iter().map(ToString::to_string).collect(),
        payouts: run.payouts,
        without_account: run.without_account,
        under_minimum: run.under_minimum,
    }))
}

/// A batch and its payouts.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchDetailResponse {
    /// The batch.
    pub batch: BatchResponse,
    /// Its payouts, largest first.
    pub payouts: Vec<PayoutResponse>,
}

/// One batch with its payouts and their bank accounts (platform admins; audit-logged).
#[utoipa::path(get, path = "/api/v1/admin/payouts/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = BatchDetailResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn get_batch(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<BatchDetailResponse>, ApiError> {
    let (batch, items) = payouts::batch(&state.app, &user.user, &id).await?;
    Ok(Json(BatchDetailResponse {
        batch: batch_response(&batch),
        payouts: items.into_iter().map(payout_response).collect(),
    }))
}

/// The batch's bank file: an ISO 20022 pain.001.001.03 credit transfer (SEPA for EUR, the
/// Czech domestic format for CZK) to import into the platform's bank (platform admins;
/// audit-logged).
#[utoipa::path(get, path = "/api/v1/admin/payouts/{id}/file", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/xml", body = String), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn batch_file(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (name, xml) = payouts::batch_file(&state.app, &user.user, &id).await?;
    Ok(xml_download(&name, xml))
}

/// An XML file the browser saves under `name`.
pub(crate) fn xml_download(name: &str, xml: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        xml,
    )
        .into_response()
}

/// Marks a batch sent to the bank: its payouts left the platform's account (platform admins;
/// audit-logged). 409 when it was marked before.
#[utoipa::path(post, path = "/api/v1/admin/payouts/{id}/sent", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = BatchResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn mark_sent(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<BatchResponse>, ApiError> {
    let batch = payouts::mark_sent(&state.app, &user.user, &id).await?;
    Ok(Json(batch_response(&batch)))
}

/// Why a payout failed.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FailedRequest {
    /// As the bank told it (`account closed`).
    pub reason: String,
}

/// Marks one payout failed: the bank did not pay it or sent it back, and the money is the
/// payee's balance again (platform admins; audit-logged). An empty reason: 422.
#[utoipa::path(post, path = "/api/v1/admin/payouts/{id}/payouts/{payout}/failed", tag = "admin",
    params(("id" = String, Path), ("payout" = String, Path)), request_body = FailedRequest,
    responses((status = 200, body = PayoutResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn mark_failed(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, payout)): Path<(String, String)>,
    ApiJson(request): ApiJson<FailedRequest>,
) -> Result<Json<PayoutResponse>, ApiError> {
    let payout = payouts::mark_failed(&state.app, &user.user, &id, &payout, &request.reason).await?;
    Ok(Json(payout_response(payout)))
}

/// The platform's books in one currency (minor units).
#[derive(Debug, Serialize, ToSchema)]
pub struct BooksResponse {
    /// ISO 4217 code.
    pub currency: String,
    /// What the gateways hold for the platform.
    pub held: i64,
    /// The platform's fee revenue.
    pub platform_fees: i64,
    /// What the gateways charged.
    pub gateway_fees: i64,
    /// Held by fans' banks while disputes are decided.
    pub disputed: i64,
    /// Owed to the pages' teams.
    pub owed_to_creators: i64,
    /// Payouts sent and not yet confirmed.
    pub in_transit: i64,
    /// VAT owed to the tax authority.
    pub vat_owed: i64,
}

/// The platform's books per currency (platform admins): they balance,
/// `held + disputed + gateway_fees = platform_fees + owed_to_creators + in_transit + vat_owed`.
#[utoipa::path(get, path = "/api/v1/admin/books", tag = "admin",
    responses((status = 200, body = [BooksResponse]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn books(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Vec<BooksResponse>>, ApiError> {
    let books = payouts::books(&state.app, &user.user).await?;
    Ok(Json(
        books
            .into_iter()
            .map(|b| BooksResponse {
                currency: b.currency,
                held: b.held,
                platform_fees: b.platform_fees,
                gateway_fees: b.gateway_fees,
                disputed: b.disputed,
                owed_to_creators: b.owed_to_creators,
                in_transit: b.in_transit,
                vat_owed: b.vat_owed,
            })
            .collect(),
    ))
}
