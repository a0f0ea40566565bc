//! `/api/v1/…` for payments: checkouts, a fan's memberships and payments, a creator's
//! dashboard and payments (also as CSV).

use crate::AppState;
use crate::auth::{CurrentUser, MaybeUser};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use memberships::{Billing, Payment};
use patron_app::{memberships, payments};
use patron_domain::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_checkout))
        .routes(routes!(get_checkout))
        .routes(routes!(my_memberships))
        .routes(routes!(cancel_membership))
        .routes(routes!(resume_membership))
        .routes(routes!(change_tier))
        .routes(routes!(pay_membership))
        .routes(routes!(my_payments))
        .routes(routes!(dashboard))
        .routes(routes!(creator_payments))
        .routes(routes!(payments_csv))
        .routes(routes!(supporters_csv))
        .routes(routes!(admin_payments))
        .routes(routes!(admin_refund))
        .routes(routes!(admin_dispute))
        .routes(routes!(admin_membership_history))
}

/// A checkout to start.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckoutRequest {
    /// The tier to join.
    pub tier_id: String,
    /// `month` (the default) or `year`.
    pub interval: Option<String>,
    /// The country the fan is in, for VAT (ISO 3166 alpha-2; `ZZ`: elsewhere outside the EU).
    /// Without it the country is decided from the card's and the seller's.
    pub country: Option<String>,
    /// Buying as a business: its name.
    pub company_name: Option<String>,
    /// Buying as a business: its EU VAT ID. Confirmed by VIES, a business in another member
    /// state pays no VAT (reverse charge); refused by VIES, it is a 422.
    pub vat_id: Option<String>,
}

/// A started checkout.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutResponse {
    /// Identifier.
    pub id: String,
    /// `pending`, `paid` or `declined`.
    pub status: String,
    /// Where to send the fan to pay (only when just started).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// The amount, in minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The membership it created, once paid.
    pub membership_id: Option<String>,
    /// Why it was declined.
    pub failure: Option<String>,
}

fn checkout_response(checkout: &memberships::Checkout, redirect_url: Option<String>) -> CheckoutResponse {
    CheckoutResponse {
        id: checkout.id.to_string(),
        status: checkout.status.clone(),
        redirect_url,
        amount: checkout.amount,
        currency: checkout.currency.clone(),
        membership_id: checkout.membership_id.map(|m| m.to_string()),
        failure: checkout.failure.clone(),
    }
}

/// Starts joining a tier: returns where to send the fan to pay. The membership starts when
/// the provider's signed answer arrives.
#[utoipa::path(
    post, path = "/api/v1/creators/{slug}/checkouts", tag = "payments", request_body = CheckoutRequest,
    responses((status = 201, body = CheckoutResponse), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn create_checkout(
    State(state): State<AppState>,
    current: CurrentUser,
    client_ip: Option<axum::Extension<crate::client_ip::ClientIp>>,
    Path(slug): Path<String>,
    ApiJson(request): ApiJson<CheckoutRequest>,
) -> Result<(StatusCode, Json<CheckoutResponse>), ApiError> {
    let page = patron_app::creators::load(&state.app, &slug, Some(&current.user)).await?;
    let billing = patron_app::billing::BillingInput {
        country: request.country,
        company_name: request.company_name,
        vat_id: request.vat_id,
        ip: client_ip.map(|axum::Extension(ip)| ip.0),
    };
    let (checkout, url) =
        memberships::start_checkout(&state.app, &page, &request.tier_id, request.interval.as_deref(), &billing).await?;
    Ok((StatusCode::CREATED, Json(checkout_response(&checkout, Some(url)))))
}

/// A checkout of yours.
#[utoipa::path(
    get, path = "/api/v1/checkouts/{id}", tag = "payments",
    responses((status = 200, body = CheckoutResponse), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn get_checkout(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<CheckoutResponse>, ApiError> {
    let checkout = memberships::own_checkout(&state.app, &current.user, &id).await?;
    Ok(Json(checkout_response(&checkout, None)))
}

/// A membership.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipResponse {
    /// Identifier.
    pub id: String,
    /// The creator page.
    pub creator_id: String,
    /// The tier.
    pub tier_id: String,
    /// `pending`, `active`, `past_due` or `expired`.
    pub status: String,
    /// Price per interval, in minor units.
    pub price: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// `month` or `year`.
    pub interval: &'static str,
    /// The paid period (RFC 3339).
    pub current_period_end: Option<String>,
    /// Ends at the end of the period.
    pub cancel_at_period_end: bool,
    /// When the next charge is due (RFC 3339).
    pub next_charge_at: Option<String>,
    /// Until when a past-due membership keeps access.
    pub grace_until: Option<String>,
    /// The provider.
    pub provider: Option<String>,
    /// The tier a downgrade moves to at the next period.
    pub scheduled_tier_id: Option<String>,
    /// The card renewals charge, when the provider told.
    pub card: Option<CardResponse>,
}

/// A card on file: never its number.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardResponse {
    /// `visa`, `mastercard`, … (`card` when unknown).
    pub brand: String,
    /// The last four digits.
    pub last4: String,
    /// Expiry month (1–12).
    pub exp_month: u8,
    /// Expiry year.
    pub exp_year: u16,
}

fn membership_response(m: &Billing) -> MembershipResponse {
    MembershipResponse {
        id: m.id.to_string(),
        creator_id: m.creator_id.to_string(),
        tier_id: m.tier_id.to_string(),
        status: m.status.as_str().to_owned(),
        price: m.price,
        currency: m.currency.clone(),
        interval: m.interval.as_str(),
        current_period_end: m.current_period_end.map(Timestamp::to_rfc3339),
        cancel_at_period_end: m.cancel_at_period_end,
        next_charge_at: m.next_charge_at.map(Timestamp::to_rfc3339),
        grace_until: m.grace_until.map(Timestamp::to_rfc3339),
        provider: m.provider.clone(),
        scheduled_tier_id: m.scheduled_tier_id.map(|t| t.to_string()),
        card: m.card.as_ref().map(|c| CardResponse {
            brand: c.brand.clone(),
            last4: c.last4.clone(),
            exp_month: c.exp_month,
            exp_year: c.exp_year,
        }),
    }
}

/// Memberships of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipList {
    /// Newest first.
    pub memberships: Vec<MembershipResponse>,
}

/// Your memberships.
#[utoipa::path(
    get, path = "/api/v1/me/memberships", tag = "payments",
    responses((status = 200, body = MembershipList), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn my_memberships(State(state): State<AppState>, current: CurrentUser) -> Result<Json<MembershipList>, ApiError> {
    let list = memberships::of_user(&state.app, current.user.id).await?;
    Ok(Json(MembershipList { memberships: list.iter().map(membership_response).collect() }))
}

/// Ends a membership at the end of its paid period (access continues until then).
#[utoipa::path(
    post, path = "/api/v1/me/memberships/{id}/cancel", tag = "payments",
    responses((status = 200, body = MembershipResponse), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn cancel_membership(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<MembershipResponse>, ApiError> {
    set_cancelled(&state, &current, &id, true).await
}

/// Keeps a membership going after all (undoes a cancellation before the period ends).
#[utoipa::path(
    post, path = "/api/v1/me/memberships/{id}/resume", tag = "payments",
    responses((status = 200, body = MembershipResponse), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn resume_membership(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<MembershipResponse>, ApiError> {
    set_cancelled(&state, &current, &id, false).await
}

async fn set_cancelled(
    state: &AppState,
    current: &CurrentUser,
    id: &str,
    cancel: bool,
) -> Result<Json<MembershipResponse>, ApiError> {
    let membership = memberships::set_cancelled(&state.app, &current.user, id, cancel).await?;
    Ok(Json(membership_response(&membership)))
}

/// Pays the renewal of a past-due membership now (the bank wanted the fan to confirm it, or
/// they pay with another card — which renewals charge from then on): returns where to send the
/// fan. Show the amount first: `GET /api/v1/me/memberships` has the membership's price.
#[utoipa::path(
    post, path = "/api/v1/me/memberships/{id}/pay", tag = "payments",
    responses((status = 201, body = CheckoutResponse), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn pay_membership(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<CheckoutResponse>), ApiError> {
    let (checkout, url) = memberships::pay_renewal(&state.app, &current.user, &id).await?;
    Ok((StatusCode::CREATED, Json(checkout_response(&checkout, Some(url)))))
}

/// A tier to move to.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TierChangeRequest {
    /// The tier.
    pub tier_id: String,
}

/// What a change of tier did.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierChangeResponse {
    /// `upgraded` (now), `downgrade_scheduled` (from the next period) or `unchanged`.
    pub change: &'static str,
    /// What an upgrade charged for the rest of the period, in minor units.
    pub charged: i64,
    /// The membership now.
    pub membership: MembershipResponse,
}

/// Moves your membership to another tier of the page: a dearer one at once for the prorated
/// difference, a cheaper one from the next period.
#[utoipa::path(
    post, path = "/api/v1/me/memberships/{id}/change", tag = "payments", request_body = TierChangeRequest,
    responses((status = 200, body = TierChangeResponse), (status = 401, body = ErrorBody), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn change_tier(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<TierChangeRequest>,
) -> Result<Json<TierChangeResponse>, ApiError> {
    let membership = memberships::own_membership(&state.app, &current.user, &id).await?;
    let outcome = memberships::change_tier(&state.app, &membership, &request.tier_id).await?;
    let (change, charged) = match outcome {
        memberships::TierChange::Upgraded { charged } => ("upgraded", charged),
        memberships::TierChange::DowngradeScheduled => ("downgrade_scheduled", 0),
        memberships::TierChange::Unchanged => ("unchanged", 0),
    };
    let membership = memberships::own_membership(&state.app, &current.user, &id).await?;
    Ok(Json(TierChangeResponse { change, charged, membership: membership_response(&membership) }))
}

/// A payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentResponse {
    /// Identifier (the receipt's reference).
    pub id: String,
    /// The membership.
    pub membership_id: String,
    /// `initial` or `renewal`.
    pub kind: String,
    /// `succeeded`, `failed` or `refunded`.
    pub status: String,
    /// The gateway: `sandbox`, `gpwebpay` or `stripe`.
    pub provider: String,
    /// The gateway's id of it (Stripe's PaymentIntent, GP webpay's order number).
    pub provider_payment_id: Option<String>,
    /// Its latest chargeback, when the fan's bank opened one: `open`, `won` or `lost`.
    pub dispute: Option<String>,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// For people: `99 Kč`.
    pub formatted: String,
    /// The period paid for.
    pub period_end: Option<String>,
    /// Why a charge failed.
    pub failure: Option<String>,
    /// When (RFC 3339).
    pub created_at: String,
}

fn formatted(amount: i64, currency: &str) -> String {
    crate::i18n::money(amount, currency)
}

fn payment_response(p: &Payment) -> PaymentResponse {
    PaymentResponse {
        id: p.id.to_string(),
        membership_id: p.membership_id.to_string(),
        kind: p.kind.clone(),
        status: p.status.clone(),
        provider: p.provider.clone(),
        provider_payment_id: p.provider_payment_id.clone(),
        dispute: p.dispute.clone(),
        amount: p.amount,
        currency: p.currency.clone(),
        formatted: formatted(p.amount, &p.currency),
        period_end: p.period_end.map(Timestamp::to_rfc3339),
        failure: p.failure.clone(),
        created_at: p.created_at.to_rfc3339(),
    }
}

/// Payments of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentList {
    /// Newest first.
    pub payments: Vec<PaymentResponse>,
}

/// Your payments (receipts and failed charges).
#[utoipa::path(
    get, path = "/api/v1/me/payments", tag = "payments",
    responses((status = 200, body = PaymentList), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn my_payments(State(state): State<AppState>, current: CurrentUser) -> Result<Json<PaymentList>, ApiError> {
    let list = payments::of_user(&state.app, current.user.id, 500).await?;
    Ok(Json(PaymentList { payments: list.iter().map(payment_response).collect() }))
}

/// Revenue in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revenue {
    /// Minor units a month.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// For people.
    pub formatted: String,
}

/// Supporters of one tier.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierSupporters {
    /// The tier.
    pub tier_id: String,
    /// Its name.
    pub name: String,
    /// Active or past-due memberships.
    pub supporters: i64,
}

/// A creator's numbers, computed from the membership ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardResponse {
    /// Monthly recurring revenue per currency.
    pub monthly_revenue: Vec<Revenue>,
    /// Supporters per tier.
    pub tiers: Vec<TierSupporters>,
    /// Memberships started this calendar month.
    pub new_this_month: i64,
    /// Memberships ended this calendar month.
    pub churned_this_month: i64,
}

/// A page's dashboard (its team).
#[utoipa::path(
    get, path = "/api/v1/creators/{slug}/dashboard", tag = "payments",
    responses((status = 200, body = DashboardResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn dashboard(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(slug): Path<String>,
) -> Result<Json<DashboardResponse>, ApiError> {
    let page = team_page(&state, &user, &slug).await?;
    let numbers = payments::dashboard(&state.app, &page).await?;
    Ok(Json(dashboard_response(&numbers)))
}

fn dashboard_response(numbers: &payments::Dashboard) -> DashboardResponse {
    DashboardResponse {
        monthly_revenue: numbers
            .mrr
            .iter()
            .map(|(currency, amount)| Revenue {
                amount: *amount,
                currency: currency.clone(),
                formatted: formatted(*amount, currency),
            })
            .collect(),
        tiers: numbers
            .supporters
            .iter()
            .map(|(id, name, count)| TierSupporters { tier_id: id.to_string(), name: name.clone(), supporters: *count })
            .collect(),
        new_this_month: numbers.new_since,
        churned_this_month: numbers.churned_since,
    }
}

async fn team_page(
    state: &AppState,
    user: &MaybeUser,
    slug: &str,
) -> Result<patron_app::creators::PageAccess, ApiError> {
    let current = user.user().ok_or_else(ApiError::unauthenticated)?;
    let page = patron_app::creators::load(&state.app, slug, Some(current)).await?;
    page.require_team()?;
    Ok(page)
}

/// A page's payments, newest first (its team).
#[utoipa::path(
    get, path = "/api/v1/creators/{slug}/payments", tag = "payments",
    responses((status = 200, body = PaymentList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn creator_payments(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(slug): Path<String>,
) -> Result<Json<PaymentList>, ApiError> {
    let page = team_page(&state, &user, &slug).await?;
    let list = payments::of_page(&state.app, &page, 500).await?;
    Ok(Json(PaymentList { payments: list.iter().map(payment_response).collect() }))
}

pub(crate) fn csv_field(text: &str) -> String {
    // quoted, and a leading =+-@ neutralised so a spreadsheet does not run it as a formula
    let safe = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    format!("\"{}\"", safe.replace('"', "\"\""))
}

pub(crate) fn csv(name: &str, header_row: &str, rows: Vec<String>) -> Response {
    let mut body = format!("{header_row}\r\n");
    for row in rows {
        body.push_str(&row);
        body.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

/// A page's payments as CSV (its team).
#[utoipa::path(
    get, path = "/api/v1/creators/{slug}/payments.csv", tag = "payments",
    responses((status = 200, content_type = "text/csv"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn payments_csv(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let page = team_page(&state, &user, &slug).await?;
    let list = payments::of_page(&state.app, &page, 100_000).await?;
    let rows = list
        .iter()
        .map(|p| {
            [
                p.id.to_string(),
                p.created_at.to_rfc3339(),
                p.kind.clone(),
                p.status.clone(),
                p.amount.to_string(),
                p.currency.clone(),
                p.membership_id.to_string(),
            ]
            .iter()
            .map(|f| csv_field(f))
            .collect::<Vec<_>>()
            .join(",")
        })
        .collect();
    Ok(csv(&format!("{slug}-payments.csv"), "id,created_at,kind,status,amount_minor,currency,membership_id", rows))
}

/// A page's supporters as CSV (its owner): name, e-mail, tier, status, since.
#[utoipa::path(
    get, path = "/api/v1/creators/{slug}/supporters.csv", tag = "payments",
    responses((status = 200, content_type = "text/csv"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn supporters_csv(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let page = team_page(&state, &user, &slug).await?;
    let list = payments::supporters(&state.app, &page).await?;
    let rows = list
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                s.email.clone(),
                s.tier.clone(),
                s.status.clone(),
                s.price.to_string(),
                s.currency.clone(),
                s.since.to_rfc3339(),
            ]
            .iter()
            .map(|f| csv_field(f))
            .collect::<Vec<_>>()
            .join(",")
        })
        .collect();
    Ok(csv(&format!("{slug}-supporters.csv"), "name,email,tier,status,price_minor,currency,since", rows))
}

/// Every payment, newest first (platform admins).
#[utoipa::path(
    get, path = "/api/v1/admin/payments", tag = "admin",
    responses((status = 200, body = PaymentList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn admin_payments(State(state): State<AppState>, current: CurrentUser) -> Result<Json<PaymentList>, ApiError> {
    let list = payments::all(&state.app, &current.user, 500).await?;
    Ok(Json(PaymentList { payments: list.iter().map(payment_response).collect() }))
}

/// Refunds a payment through its provider and ends its membership at once (platform admins;
/// written to the audit log).
#[utoipa::path(
    post, path = "/api/v1/admin/payments/{id}/refund", tag = "admin",
    responses((status = 200, body = PaymentResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn admin_refund(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<PaymentResponse>, ApiError> {
    let payment = payments::refund(&state.app, &current.user, &id).await?;
    Ok(Json(payment_response(&payment)))
}

/// A chargeback reported outside patron.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DisputeRequest {
    /// `open`, `won` or `lost` (a lost dispute ends the membership).
    pub status: String,
}

/// Records a chargeback a gateway reported outside patron (GP webpay, the sandbox): `open`,
/// then `won` or `lost`, which ends the membership (platform admins; written to the audit log).
/// Stripe's disputes arrive by its webhook.
#[utoipa::path(
    post, path = "/api/v1/admin/payments/{id}/dispute", tag = "admin",
    request_body = DisputeRequest,
    responses((status = 200, body = PaymentResponse), (status = 422, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn admin_dispute(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<DisputeRequest>,
) -> Result<Json<PaymentResponse>, ApiError> {
    let payment = payments::record_dispute(&state.app, &current.user, &id, &request.status).await?;
    Ok(Json(payment_response(&payment)))
}

/// One change in a membership's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// `created`, `renewed`, `past_due`, `recovered`, `cancelled`, `expired`, `refunded`, …
    pub kind: String,
    /// Its change of monthly recurring revenue, in minor units.
    pub mrr_delta: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// When (RFC 3339).
    pub at: String,
}

/// A membership's history from the ledger (platform admins).
#[utoipa::path(
    get, path = "/api/v1/admin/memberships/{id}/history", tag = "admin",
    responses((status = 200, body = [HistoryEntry]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn admin_membership_history(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<HistoryEntry>>, ApiError> {
    let history = payments::history(&state.app, &current.user, &id).await?;
    Ok(Json(
        history
            .into_iter()
            .map(|(kind, mrr_delta, currency, at)| HistoryEntry { kind, mrr_delta, currency, at: at.to_rfc3339() })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("Anna"), "\"Anna\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for start in ["+1", "-1", "@cmd"] {
            assert!(csv_field(start).starts_with("\"'"), "{start}");
        }
    }
}
