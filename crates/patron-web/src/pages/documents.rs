//! A fan's tax documents on the web: the list (`/account/documents`) and each invoice or credit
//! note as a printable page in the account's language (`/account/documents/{id}`).

use super::{Layout, Page, page_error, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use patron_app::documents::{self, Document};
use patron_domain::money::format_minor;
use patron_domain::split::Percent;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/account/documents", get(list_page)).route("/account/documents/{id}", get(document_page))
}

fn kind_key(kind: &str) -> &'static str {
    if kind == "credit_note" { "document.credit_note" } else { "document.invoice" }
}

struct DocumentRow {
    id: String,
    number: String,
    kind: &'static str,
    date: String,
    creator: String,
    total: String,
}

#[derive(Template)]
#[template(path = "account_documents.html")]
struct ListPage {
    layout: Layout,
    documents: Vec<DocumentRow>,
}

async fn list_page(State(state): State<AppState>, page: Page) -> Response {
    let Some(current) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/account/documents").into_response();
    };
    let list = match documents::mine(&state.app, &current.user).await {
        Ok(list) => list,
        Err(error) => return page_error(error),
    };
    let documents = list
        .into_iter()
        .map(|d| DocumentRow {
            id: d.id.to_string(),
            kind: kind_key(&d.kind),
            date: d.supplied_on.clone(),
            total: format_minor(d.gross, &d.currency),
            creator: d.creator_name,
            number: d.code,
        })
        .collect();
    render(StatusCode::OK, &ListPage { layout: page.layout, documents })
}

#[derive(Template)]
#[template(path = "tax_document.html")]
struct DocumentPage {
    layout: Layout,
    kind: &'static str,
    number: String,
    refers_to: Option<(String, String)>,
    issued_on: String,
    supplied_on: String,
    seller_name: String,
    seller_address: String,
    seller_country: String,
    seller_vat_id: Option<String>,
    buyer_name: String,
    buyer_email: String,
    buyer_country: String,
    buyer_vat_id: Option<String>,
    description: String,
    period: Option<(String, String)>,
    net: String,
    rate: String,
    vat: String,
    total: String,
    scheme_note: Option<&'static str>,
}

/// The note a scheme prints (a seller not registered for VAT says so in its own block).
fn scheme_note(scheme: &str) -> Option<&'static str> {
    match scheme {
        "reverse_charge" => Some("document.reverse_charge"),
        "oss" => Some("document.oss"),
        "outside_eu" => Some("document.outside_eu"),
        _ => None,
    }
}

async fn document_page(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let Some(current) = page.user.0.as_ref() else {
        return Redirect::to(&format!("/login?next=/account/documents/{id}")).into_response();
    };
    let document: Document = match documents::one(&state.app, &current.user, &id).await {
        Ok(document) => document,
        Err(error) => return page_error(error),
    };
    let refers_to = match document.refers_to {
        Some(invoice_id) => match documents::one(&state.app, &current.user, &invoice_id.to_string()).await {
            Ok(invoice) => Some((invoice.id.to_string(), invoice.code)),
            Err(error) => return page_error(error),
        },
        None => None,
    };
    let money = |minor: i64| format_minor(minor, &document.currency);
    let day = |at: patron_domain::Timestamp| at.to_rfc3339().chars().take(10).collect::<String>();
    let rate = u32::try_from(document.rate_bp).ok().and_then(Percent::from_basis_points).unwrap_or(Percent::ZERO);
    let view = DocumentPage {
        kind: kind_key(&document.kind),
        number: document.code.clone(),
        refers_to,
        issued_on: day(document.issued_at),
        supplied_on: document.supplied_on.clone(),
        seller_name: document.seller_name.clone(),
        seller_address: document.seller_address.clone(),
        seller_country: document.seller_country.clone(),
        seller_vat_id: document.seller_vat_id.clone(),
        buyer_name: document.buyer_name.clone(),
        buyer_email: document.buyer_email.clone(),
        buyer_country: document.buyer_country.clone(),
        buyer_vat_id: document.buyer_vat_id.clone(),
        description: format!("{} — {}", document.creator_name, document.tier_name),
        period: document.period.map(|(start, end)| (day(start), day(end))),
        net: money(document.net),
        rate: rate.to_string(),
        vat: money(document.vat),
        total: money(document.gross),
        scheme_note: scheme_note(&document.scheme),
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}
