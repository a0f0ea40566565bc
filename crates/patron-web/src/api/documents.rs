//! `/api/v1/me/tax-documents`: a fan's tax documents — invoices of payments, credit notes of
//! refunds.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Path, State};
use patron_app::documents::{self, Document};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(one)).routes(routes!(pdf)).routes(routes!(of_page))
}

/// A tax document as issued. Amounts in minor units; a credit note's are negative.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentResponse {
    /// Its id.
    pub id: String,
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// The number, gap-free per series and year (`P2026-000042`).
    pub number: String,
    /// The payment it documents.
    pub payment_id: String,
    /// A credit note's invoice.
    pub refers_to: Option<String>,
    /// When it was issued (RFC 3339).
    pub issued_at: String,
    /// The day of the supply (`2026-12-07`, UTC).
    pub supplied_on: String,
    /// The seller's legal name.
    pub seller_name: String,
    /// The seller's address.
    pub seller_address: String,
    /// The seller's member state.
    pub seller_country: String,
    /// The seller's VAT ID; absent: not registered for VAT.
    pub seller_vat_id: Option<String>,
    /// The buyer's name.
    pub buyer_name: String,
    /// Where the buyer is.
    pub buyer_country: String,
    /// A business buyer's VAT ID.
    pub buyer_vat_id: Option<String>,
    /// A business buyer's name.
    pub buyer_company: Option<String>,
    /// VIES's answer about the buyer's VAT ID when the document was issued: `confirmed`, or
    /// `unverified` (VIES did not answer: VAT was charged and the ID is checked again).
    pub vat_id_status: Option<String>,
    /// How well the buyer's country is evidenced: `agreed` (two pieces or more), `single`,
    /// `conflict` (the pieces disagree: for the admin to look at) or `none` (the seller's
    /// country was taken).
    pub evidence: Option<String>,
    /// The page paid.
    pub creator_name: String,
    /// The tier.
    pub tier_name: String,
    /// The period paid for (RFC 3339).
    pub period_start: Option<String>,
    /// Its end.
    pub period_end: Option<String>,
    /// ISO 4217 code.
    pub currency: String,
    /// What was paid, VAT included.
    pub total: i64,
    /// Without VAT.
    pub net: i64,
    /// The VAT.
    pub vat: i64,
    /// The VAT rate in percent (`21`, `25.5`).
    pub vat_rate: String,
    /// `domestic`, `oss`, `reverse_charge`, `outside_eu` or `not_registered`.
    pub scheme: String,
    /// The VAT in CZK (haléř) when the currency is another, at `czk_rate`.
    pub vat_czk: Option<i64>,
    /// The Czech National Bank's rate used: `25.125 CZK/EUR (2026-12-04)`.
    pub czk_rate: Option<String>,
}

fn response(d: Document) -> DocumentResponse {
    let rate = u32::try_from(d.rate_bp).ok().and_then(patron_domain::split::Percent::from_basis_points);
    DocumentResponse {
        id: d.id.to_string(),
        kind: d.kind,
        number: d.code,
        payment_id: d.payment_id.to_string(),
        refers_to: d.refers_to.map(|r| r.to_string()),
        issued_at: d.issued_at.to_rfc3339(),
        supplied_on: d.supplied_on,
        seller_name: d.seller_name,
        seller_address: d.seller_address,
        seller_country: d.seller_country,
        seller_vat_id: d.seller_vat_id,
        buyer_name: d.buyer_name,
        buyer_country: d.buyer_country,
        buyer_vat_id: d.buyer_vat_id,
        buyer_company: d.buyer_company,
        vat_id_status: d.vat_id_status,
        evidence: d.evidence.verdict,
        creator_name: d.creator_name,
        tier_name: d.tier_name,
        period_start: d.period.map(|(start, _)| start.to_rfc3339()),
        period_end: d.period.map(|(_, end)| end.to_rfc3339()),
        currency: d.currency,
        total: d.gross,
        net: d.net,
        vat: d.vat,
        vat_rate: rate.map(|r| r.to_text()).unwrap_or_default(),
        scheme: d.scheme,
        vat_czk: d.vat_czk,
        czk_rate: d.czk_rate,
    }
}

/// The documents.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentList {
    /// Newest first.
    pub documents: Vec<DocumentResponse>,
}

/// Your tax documents: an invoice for every payment, a credit note for every refund.
#[utoipa::path(get, path = "/api/v1/me/tax-documents", tag = "payments",
    responses((status = 200, body = DocumentList), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn list(State(state): State<AppState>, user: CurrentUser) -> Result<Json<DocumentList>, ApiError> {
    let list = documents::mine(&state.app, &user.user).await?;
    Ok(Json(DocumentList { documents: list.into_iter().map(response).collect() }))
}

/// One of your tax documents (platform admins: any).
#[utoipa::path(get, path = "/api/v1/me/tax-documents/{id}", tag = "payments", params(("id" = String, Path)),
    responses((status = 200, body = DocumentResponse), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<DocumentResponse>, ApiError> {
    Ok(Json(response(documents::one(&state.app, &user.user, &id).await?)))
}

/// One of your tax documents as a PDF, in your language (`Accept-Language` or the language
/// you chose), named by its number.
#[utoipa::path(get, path = "/api/v1/me/tax-documents/{id}/pdf", tag = "payments", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: crate::i18n::Lang,
    Path(id): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    let facts = crate::pages::documents::load(&state, &user.user, &id, lang).await?;
    Ok(crate::pages::documents::pdf_response(&facts, lang))
}

/// The tax documents of a page's memberships, newest first (the page's team): who bought,
/// where, net, VAT and total of every invoice and credit note.
#[utoipa::path(get, path = "/api/v1/creators/{slug}/tax-documents", tag = "earnings", params(("slug" = String, Path)),
    responses((status = 200, body = DocumentList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn of_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<DocumentList>, ApiError> {
    let page = patron_app::creators::load(&state.app, &slug, Some(&user.user)).await?;
    let list = documents::of_page(&state.app, &page).await?;
    Ok(Json(DocumentList { documents: list.into_iter().map(response).collect() }))
}
