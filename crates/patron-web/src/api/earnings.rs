//! A page's earnings: the team's revenue split (the owner sets it), what the platform owes each
//! member, and a platform admin's fee for one page.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::{Path, State};
use patron_app::creators;
use patron_app::earnings::{self, ShareInput, Split};
use patron_domain::creator::TeamRole;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_shares, set_shares))
        .routes(routes!(get_earnings))
        .routes(routes!(statement_csv))
        .routes(routes!(set_fee))
}

/// One team member's share of the page's revenue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareResponse {
    /// The member.
    pub user_id: String,
    /// Their name.
    pub display_name: String,
    /// `owner` or `contributor`.
    pub role: TeamRole,
    /// Percent with up to two decimals, as text (`"30"`, `"12.5"`).
    pub percent: String,
}

/// The split in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct SplitResponse {
    /// The members the caller may see (the owner: everyone; a contributor: themself).
    pub shares: Vec<ShareResponse>,
    /// When the owner set it (RFC 3339); absent: never set, everything goes to the owner.
    pub since: Option<String>,
}

fn split_response(split: Split) -> SplitResponse {
    SplitResponse {
        shares: split
            .shares
            .into_iter()
            .map(|s| ShareResponse {
                user_id: s.user_id.to_string(),
                display_name: s.display_name,
                role: s.role,
                percent: s.percent.to_text(),
            })
            .collect(),
        since: split.since.map(|t| t.to_rfc3339()),
    }
}

/// A member's share as the owner gives it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ShareRequest {
    /// A member of the team.
    pub user_id: String,
    /// Percent with up to two decimals (`"30"`, `"12.5"`); the owner gets what is left.
    pub percent: String,
}

/// The new split.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SplitRequest {
    /// The members' shares; together at most 100 %.
    pub shares: Vec<ShareRequest>,
}

/// How the page's revenue is divided among its team (team members; a contributor sees their
/// own share).
#[utoipa::path(get, path = "/api/v1/creators/{slug}/shares", tag = "earnings", params(("slug" = String, Path)),
    responses((status = 200, body = SplitResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn get_shares(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<SplitResponse>, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    Ok(Json(split_response(earnings::split(&state.app, &access).await?)))
}

/// Sets the team's shares (the owner), for payments from now on; the owner gets what is not
/// given to others. Shares over 100 % or a member outside the team: 422, nothing changed.
/// Audit-logged.
#[utoipa::path(put, path = "/api/v1/creators/{slug}/shares", tag = "earnings", params(("slug" = String, Path)),
    request_body = SplitRequest,
    responses((status = 200, body = SplitResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn set_shares(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(request): ApiJson<SplitRequest>,
) -> Result<Json<SplitResponse>, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let input: Vec<ShareInput> =
        request.shares.into_iter().map(|s| ShareInput { user_id: s.user_id, percent: s.percent }).collect();
    Ok(Json(split_response(earnings::set_split(&state.app, &access, &user.user, &input).await?)))
}

/// What the platform owes one member, in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberEarningsResponse {
    /// The member.
    pub user_id: String,
    /// Their name.
    pub display_name: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Earned and not yet paid out, in minor units.
    pub balance: i64,
    /// For people: `4 455 Kč`.
    pub formatted: String,
    /// The part the next payout may take (the hold has passed), in minor units.
    pub available: i64,
    /// The part still held back (recent payments that may be refunded or disputed).
    pub pending: i64,
    /// Paid out so far, including payouts on their way to the bank.
    pub paid_out: i64,
}

/// The team's earnings.
#[derive(Debug, Serialize, ToSchema)]
pub struct EarningsResponse {
    /// Per member and currency (the owner sees everyone, a contributor themself).
    pub members: Vec<MemberEarningsResponse>,
}

/// What the platform owes the page's team, from the books (team members).
#[utoipa::path(get, path = "/api/v1/creators/{slug}/earnings", tag = "earnings", params(("slug" = String, Path)),
    responses((status = 200, body = EarningsResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn get_earnings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<EarningsResponse>, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let rows = earnings::earnings(&state.app, &access).await?;
    Ok(Json(EarningsResponse {
        members: rows
            .into_iter()
            .map(|m| MemberEarningsResponse {
                user_id: m.user_id.to_string(),
                display_name: m.display_name,
                formatted: crate::i18n::money(m.balance, &m.currency),
                currency: m.currency,
                balance: m.balance,
                available: m.available,
                pending: m.pending,
                paid_out: m.paid_out,
            })
            .collect(),
    }))
}

/// Which month.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct MonthQuery {
    /// `YYYY-MM` (UTC), e.g. `2026-11`; the current month when absent.
    pub month: Option<String>,
}

/// The page's statement for one month as CSV: each member's part of every payment (with the
/// payment and the platform's fee), what refunds and disputes took back, and payouts (team
/// members; a contributor gets their own lines). Amounts in minor units.
#[utoipa::path(get, path = "/api/v1/creators/{slug}/statement.csv", tag = "earnings",
    params(("slug" = String, Path), MonthQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn statement_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    axum::extract::Query(query): axum::extract::Query<MonthQuery>,
) -> Result<axum::response::Response, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let month = query.month.unwrap_or_else(|| patron_domain::Timestamp::now().to_rfc3339().chars().take(7).collect());
    let lines = earnings::statement(&state.app, &access, &month).await?;
    let rows = lines
        .into_iter()
        .map(|line| {
            let text = [
                line.at.to_rfc3339(),
                line.kind,
                line.payment_id.map(|p| p.to_string()).unwrap_or_default(),
                line.display_name,
                line.currency,
            ];
            let mut row = text.iter().map(|f| super::payments::csv_field(f)).collect::<Vec<_>>();
            // numbers as numbers: a negative amount is a number, not a formula
            row.extend([line.gross, line.fee, line.amount].iter().map(i64::to_string));
            row.join(",")
        })
        .collect();
    let month: String = month.trim().chars().filter(|c| c.is_ascii_digit() || *c == '-').collect();
    let name = format!("{slug}-statement-{month}.csv");
    Ok(super::payments::csv(
        &name,
        "posted_at,kind,payment_id,member,currency,payment_minor,platform_fee_minor,part_minor",
        rows,
    ))
}

/// A page's own platform fee.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct FeeRequest {
    /// Percent with up to two decimals (`"5"`); `null` returns the page to the platform's
    /// default (`PATRON_PLATFORM_FEE`).
    pub percent: Option<String>,
}

/// Sets one page's platform fee (platform admins; audit-logged); answers the fee now in force.
#[utoipa::path(put, path = "/api/v1/admin/creators/{slug}/fee", tag = "admin", params(("slug" = String, Path)),
    request_body = FeeRequest,
    responses((status = 200, body = FeeRequest), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn set_fee(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(request): ApiJson<FeeRequest>,
) -> Result<Json<FeeRequest>, ApiError> {
    let fee = earnings::set_fee(&state.app, &user.user, &slug, request.percent.as_deref()).await?;
    Ok(Json(FeeRequest { percent: Some(fee.to_text()) }))
}
