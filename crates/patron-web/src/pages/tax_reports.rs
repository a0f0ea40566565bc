//! The OSS return on the web for platform admins (`/admin/reports/oss?quarter=2026-Q4`): the
//! quarter's lines per member state and rate in EUR, the domestic sales, and the CSV.

use super::{Layout, Page, page_error, render};
use crate::AppState;
use crate::i18n::money as format_minor;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use patron_app::tax_reports;
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/admin/reports/oss", get(oss_page)).route("/admin/reports/oss.csv", get(oss_csv))
}

#[derive(Deserialize)]
struct QuarterQuery {
    quarter: Option<String>,
}

struct LineRow {
    country: String,
    rate: String,
    taxable: String,
    vat: String,
    eur_rate: String,
    taxable_eur: String,
    vat_eur: String,
    documents: i64,
}

struct DomesticRow {
    rate: String,
    taxable: String,
    vat: String,
    documents: i64,
}

#[derive(Template)]
#[template(path = "admin_oss.html")]
struct OssPage {
    layout: Layout,
    quarter: String,
    rate_day: Option<String>,
    lines: Vec<LineRow>,
    total_vat_eur: String,
    domestic: Vec<DomesticRow>,
    /// (number, reason key, evidence).
    flagged: Vec<(String, &'static str, String)>,
}

/// The quarter asked for, else the last one ended.
fn quarter_of(query: &QuarterQuery) -> String {
    match query.quarter.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(quarter) => quarter.to_owned(),
        None => {
            let today = patron_domain::Timestamp::now().to_offset_datetime().date();
            let current = patron_domain::exchange::Quarter::of(today);
            let previous = current.first_day().previous_day().unwrap_or(today);
            patron_domain::exchange::Quarter::of(previous).to_text()
        }
    }
}

async fn oss_page(State(state): State<AppState>, page: Page, Query(query): Query<QuarterQuery>) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/admin/reports/oss").into_response();
    };
    let report = match tax_reports::oss(&state.app, &user.user, &quarter_of(&query)).await {
        Ok(report) => report,
        Err(error) => return page_error(error),
    };
    let view = OssPage {
        lines: report
            .lines
            .iter()
            .map(|l| LineRow {
                country: page.layout.lang.t(&format!("country.{}", l.country)).to_owned(),
                rate: l.rate.clone(),
                taxable: format_minor(l.taxable, &l.currency),
                vat: format_minor(l.vat, &l.currency),
                eur_rate: l.eur_rate.clone().unwrap_or_default(),
                taxable_eur: format_minor(l.taxable_eur, "EUR"),
                vat_eur: format_minor(l.vat_eur, "EUR"),
                documents: l.documents,
            })
            .collect(),
        domestic: report
            .domestic
            .iter()
            .map(|d| DomesticRow {
                rate: d.rate.clone(),
                taxable: format_minor(d.taxable, &d.currency),
                vat: format_minor(d.vat, &d.currency),
                documents: d.documents,
            })
            .collect(),
        total_vat_eur: format_minor(report.total_vat_eur, "EUR"),
        flagged: report
            .flagged
            .iter()
            .map(|f| {
                let key = if f.reason == "conflict" { "oss.flag_conflict" } else { "oss.flag_unverified" };
                (f.number.clone(), key, f.evidence.clone())
            })
            .collect(),
        quarter: report.quarter,
        rate_day: report.rate_day,
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

async fn oss_csv(State(state): State<AppState>, page: Page, Query(query): Query<QuarterQuery>) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/admin/reports/oss").into_response();
    };
    match tax_reports::oss(&state.app, &user.user, &quarter_of(&query)).await {
        Ok(report) => {
            let name = format!("oss-{}.csv", report.quarter);
            let rows = crate::api::tax_reports::csv_rows(&report);
            crate::api::payments::csv(&name, crate::api::tax_reports::CSV_HEADER, rows)
        }
        Err(error) => page_error(error),
    }
}
