//! `/api/v1/admin/reports/oss`: the quarterly One-Stop Shop return, as JSON and as CSV.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use axum::extract::{Query, State};
use patron_app::tax_reports::{self, OssReport};
use patron_domain::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(oss)).routes(routes!(oss_csv))
}

/// Which quarter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct QuarterQuery {
    /// `2026-Q4`.
    pub quarter: String,
}

/// One member state, rate and currency of the return. Amounts in minor units.
#[derive(Debug, Serialize, ToSchema)]
pub struct OssLineResponse {
    /// The buyers' member state.
    pub country: String,
    /// The VAT rate in percent.
    pub rate: String,
    /// The documents' currency.
    pub currency: String,
    /// Taxable amounts (net), credit notes subtracted.
    pub taxable: i64,
    /// The VAT.
    pub vat: i64,
    /// The ECB's rate used (units of `currency` for one euro); absent for EUR.
    pub eur_rate: Option<String>,
    /// Taxable amounts in euro cents.
    pub taxable_eur: i64,
    /// The VAT in euro cents.
    pub vat_eur: i64,
    /// How many documents.
    pub documents: i64,
}

/// The seller's own country's sales at one rate, for the national return.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomesticLineResponse {
    /// The VAT rate in percent.
    pub rate: String,
    /// The currency.
    pub currency: String,
    /// Taxable amounts (net).
    pub taxable: i64,
    /// The VAT.
    pub vat: i64,
    /// How many documents.
    pub documents: i64,
}

/// The OSS return of a quarter.
#[derive(Debug, Serialize, ToSchema)]
pub struct OssResponse {
    /// `2026-Q4`.
    pub quarter: String,
    /// The member state of identification.
    pub seller_country: String,
    /// The day of the ECB rates used: the quarter's last day, or the next day they were
    /// published.
    pub rate_day: Option<String>,
    /// Per member state, rate and currency.
    pub lines: Vec<OssLineResponse>,
    /// The VAT due through the One-Stop Shop, euro cents.
    pub total_vat_eur: i64,
    /// The domestic sales.
    pub domestic: Vec<DomesticLineResponse>,
    /// Documents to look at before filing.
    pub flagged: Vec<FlagResponse>,
}

/// A document of the quarter to look at before filing.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagResponse {
    /// The document.
    pub document_id: String,
    /// Its number.
    pub number: String,
    /// `conflict` (the evidence of the buyer's country disagrees) or `unverified` (VIES had
    /// not confirmed the buyer's VAT ID: VAT was charged).
    pub reason: String,
    /// The stated, card and IP countries (`DE/AT/-`).
    pub evidence: String,
}

fn response(report: OssReport) -> OssResponse {
    OssResponse {
        quarter: report.quarter,
        seller_country: report.seller_country,
        rate_day: report.rate_day,
        total_vat_eur: report.total_vat_eur,
        flagged: report
            .flagged
            .into_iter()
            .map(|f| FlagResponse {
                document_id: f.document_id,
                number: f.number,
                reason: f.reason.to_owned(),
                evidence: f.evidence,
            })
            .collect(),
        lines: report
            .lines
            .into_iter()
            .map(|l| OssLineResponse {
                country: l.country,
                rate: l.rate,
                currency: l.currency,
                taxable: l.taxable,
                vat: l.vat,
                eur_rate: l.eur_rate,
                taxable_eur: l.taxable_eur,
                vat_eur: l.vat_eur,
                documents: l.documents,
            })
            .collect(),
        domestic: report
            .domestic
            .into_iter()
            .map(|d| DomesticLineResponse {
                rate: d.rate,
                currency: d.currency,
                taxable: d.taxable,
                vat: d.vat,
                documents: d.documents,
            })
            .collect(),
    }
}

/// The One-Stop Shop return of a quarter (platform admins): per member state and rate, the
/// taxable amounts and the VAT of the documents supplied in it, in EUR at the ECB's rate of
/// the quarter's last day; the domestic sales beside. 409 when the seller is not registered
/// for VAT or not in OSS, or the ECB's rate is not published yet.
#[utoipa::path(get, path = "/api/v1/admin/reports/oss", tag = "admin", params(QuarterQuery),
    responses((status = 200, body = OssResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn oss(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<QuarterQuery>,
) -> Result<Json<OssResponse>, ApiError> {
    Ok(Json(response(tax_reports::oss(&state.app, &user.user, &query.quarter).await?)))
}

/// Amounts as decimals of their currency (`15.81`, `-3.94`).
fn decimal(minor: i64, currency: &str) -> String {
    let currency = Currency::parse(currency).unwrap_or(Currency::EUR);
    Money::new(minor, currency).decimal()
}

/// The rows of the return's CSV: the OSS lines, then the domestic ones.
pub(crate) fn csv_rows(report: &OssReport) -> Vec<String> {
    let mut rows: Vec<String> = report
        .lines
        .iter()
        .map(|l| {
            [
                report.quarter.clone(),
                "oss".to_owned(),
                l.country.clone(),
                l.rate.clone(),
                l.currency.clone(),
                decimal(l.taxable, &l.currency),
                decimal(l.vat, &l.currency),
                l.eur_rate.clone().unwrap_or_default(),
                decimal(l.taxable_eur, "EUR"),
                decimal(l.vat_eur, "EUR"),
                l.documents.to_string(),
            ]
            .join(",")
        })
        .collect();
    rows.extend(report.domestic.iter().map(|d| {
        [
            report.quarter.clone(),
            "domestic".to_owned(),
            report.seller_country.clone(),
            d.rate.clone(),
            d.currency.clone(),
            decimal(d.taxable, &d.currency),
            decimal(d.vat, &d.currency),
            String::new(),
            String::new(),
            String::new(),
            d.documents.to_string(),
        ]
        .join(",")
    }));
    rows
}

/// The CSV header of the return.
pub(crate) const CSV_HEADER: &str =
    "quarter,scheme,country,rate,currency,taxable,vat,eur_rate,taxable_eur,vat_eur,documents";

/// The same return as CSV: a row per member state, rate and currency (`scheme` `oss`), then
/// the domestic rows; amounts as decimals.
#[utoipa::path(get, path = "/api/v1/admin/reports/oss.csv", tag = "admin", params(QuarterQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn oss_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<QuarterQuery>,
) -> Result<axum::response::Response, ApiError> {
    let report = tax_reports::oss(&state.app, &user.user, &query.quarter).await?;
    let name = format!("oss-{}.csv", report.quarter);
    Ok(super::payments::csv(&name, CSV_HEADER, csv_rows(&report)))
}
