//! The studio's tax documents: the invoices and credit notes issued for the page's memberships,
//! newest first, with their buyers, totals and VAT (the page's team).

use super::team_page;
use crate::AppState;
use crate::i18n::money as format_minor;
use crate::pages::{Layout, Page, page_error, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use patron_app::documents;

struct Row {
    number: String,
    kind: &'static str,
    date: String,
    buyer: String,
    country: String,
    net: String,
    vat: String,
    total: String,
}

#[derive(Template)]
#[template(path = "studio_documents.html")]
struct DocumentsPage {
    layout: Layout,
    slug: String,
    name: String,
    documents: Vec<Row>,
}

pub(super) async fn documents_page(State(state): State<AppState>, page: Page, Path(slug): Path<String>) -> Response {
    let access = match team_page(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    let list = match documents::of_page(&state.app, &access).await {
        Ok(list) => list,
        Err(error) => return page_error(error),
    };
    let lang = page.lang();
    let documents = list
        .into_iter()
        .map(|d| {
            let money = |minor: i64| format_minor(minor, &d.currency);
            Row {
                kind: if d.kind == "credit_note" { "document.credit_note" } else { "document.invoice" },
                date: d.supplied_on.clone(),
                buyer: d.buyer_company.clone().unwrap_or_else(|| d.buyer_name.clone()),
                country: lang.t(&format!("country.{}", d.buyer_country)).to_owned(),
                net: money(d.net),
                vat: money(d.vat),
                total: money(d.gross),
                number: d.code,
            }
        })
        .collect();
    let view = DocumentsPage {
        slug: access.creator.slug.clone(),
        name: access.creator.name.clone(),
        documents,
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}
