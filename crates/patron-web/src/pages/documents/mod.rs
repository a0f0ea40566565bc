//! A fan's tax documents on the web: the list (`/account/documents`) and each invoice or credit
//! note as a printable page in the account's language (`/account/documents/{id}`).

mod pdf;

use super::{Layout, Page, page_error, render};
use crate::AppState;
use crate::i18n::Lang;
use crate::i18n::money as format_minor;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use patron_app::documents::{self, Document};
use patron_domain::split::Percent;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/account/documents", get(list_page))
        .route("/account/documents/{id}", get(document_page))
        .route("/account/documents/{id}/pdf", get(document_pdf))
        .route("/account/documents/year/{year}", get(year_page))
        .route("/account/documents/year/{year}/pdf", get(year_pdf))
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
    /// The years the documents were supplied in, newest first.
    years: Vec<String>,
}

async fn list_page(State(state): State<AppState>, page: Page) -> Response {
    let Some(current) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/account/documents").into_response();
    };
    let list = match documents::mine(&state.app, &current.user).await {
        Ok(list) => list,
        Err(error) => return page_error(error),
    };
    let mut years: Vec<String> = list.iter().map(|d| d.supplied_on.chars().take(4).collect()).collect();
    years.dedup();
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
    render(StatusCode::OK, &ListPage { layout: page.layout, documents, years })
}

/// One line of a year's statement.
pub(crate) struct YearRow {
    pub number: String,
    pub kind: &'static str,
    pub date: String,
    pub description: String,
    pub net: String,
    pub vat: String,
    pub total: String,
}

/// A fan's statement of a year, in one language: the page and the PDF print the same.
pub(crate) struct YearFacts {
    pub year: String,
    pub buyer_name: String,
    pub buyer_email: String,
    pub seller_name: String,
    pub rows: Vec<YearRow>,
    /// Per currency: total, net, VAT.
    pub totals: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "account_statement.html")]
struct YearPage {
    layout: Layout,
    y: YearFacts,
}

async fn year_facts(state: &AppState, user: &patron_app::User, year: &str) -> Result<YearFacts, patron_app::AppError> {
    let statement = documents::year_statement(&state.app, user, year).await?;
    let rows = statement
        .documents
        .iter()
        .map(|d| {
            let money = |minor: i64| format_minor(minor, &d.currency);
            YearRow {
                number: d.code.clone(),
                kind: kind_key(&d.kind),
                date: d.supplied_on.clone(),
                description: format!("{} — {}", d.creator_name, d.tier_name),
                net: money(d.net),
                vat: money(d.vat),
                total: money(d.gross),
            }
        })
        .collect();
    let totals = statement
        .totals
        .iter()
        .map(|(currency, gross, net, vat)| {
            (format_minor(*gross, currency), format_minor(*net, currency), format_minor(*vat, currency))
        })
        .collect();
    let first = statement.documents.first();
    Ok(YearFacts {
        year: statement.year.to_string(),
        buyer_name: first.map(|d| d.buyer_name.clone()).unwrap_or_else(|| user.display_name.clone()),
        buyer_email: first.map(|d| d.buyer_email.clone()).unwrap_or_else(|| user.email.clone()),
        seller_name: first.map(|d| d.seller_name.clone()).unwrap_or_default(),
        rows,
        totals,
    })
}

async fn year_page(State(state): State<AppState>, page: Page, Path(year): Path<String>) -> Response {
    let Some(current) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/account/documents").into_response();
    };
    match year_facts(&state, &current.user, &year).await {
        Ok(y) => render(StatusCode::OK, &YearPage { layout: page.layout, y }),
        Err(error) => page_error(error),
    }
}

async fn year_pdf(State(state): State<AppState>, page: Page, Path(year): Path<String>) -> Response {
    let Some(current) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/account/documents").into_response();
    };
    let facts = match year_facts(&state, &current.user, &year).await {
        Ok(facts) => facts,
        Err(error) => return page_error(error),
    };
    let name = format!("{}-{}.pdf", page.lang().t("document.year_file"), facts.year);
    pdf_download(&name, pdf::render_year(&facts, page.lang()))
}

/// What a document says, in one language: the page and the PDF print the same facts.
pub(crate) struct DocumentFacts {
    pub id: String,
    pub kind: &'static str,
    pub number: String,
    pub refers_to: Option<(String, String)>,
    pub issued_at: patron_domain::Timestamp,
    pub issued_on: String,
    pub supplied_on: String,
    pub seller_name: String,
    pub seller_address: String,
    pub seller_country: String,
    pub seller_vat_id: Option<String>,
    pub buyer_company: Option<String>,
    pub buyer_name: String,
    pub buyer_email: String,
    pub buyer_country: String,
    pub buyer_vat_id: Option<String>,
    pub description: String,
    pub period: Option<(String, String)>,
    pub net: String,
    pub rate: String,
    pub vat: String,
    pub total: String,
    /// The VAT in CZK and the rate it was converted at.
    pub vat_czk: Option<(String, String)>,
    pub scheme_note: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "tax_document.html")]
struct DocumentPage {
    layout: Layout,
    d: DocumentFacts,
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

/// A document's facts in `lang`; `refers_to` is a credit note's invoice (id and number).
pub(crate) fn facts(lang: Lang, document: &Document, refers_to: Option<(String, String)>) -> DocumentFacts {
    let money = |minor: i64| format_minor(minor, &document.currency);
    let day = |at: patron_domain::Timestamp| at.to_rfc3339().chars().take(10).collect::<String>();
    let rate = u32::try_from(document.rate_bp).ok().and_then(Percent::from_basis_points).unwrap_or(Percent::ZERO);
    let country = |code: &str| lang.t(&format!("country.{code}")).to_owned();
    DocumentFacts {
        id: document.id.to_string(),
        kind: kind_key(&document.kind),
        number: document.code.clone(),
        refers_to,
        issued_at: document.issued_at,
        issued_on: patron_domain::document::supply_day(document.issued_at, &document.seller_country).to_string(),
        supplied_on: document.supplied_on.clone(),
        seller_name: document.seller_name.clone(),
        seller_address: document.seller_address.clone(),
        seller_country: country(&document.seller_country),
        seller_vat_id: document.seller_vat_id.clone(),
        buyer_company: document.buyer_company.clone(),
        buyer_name: document.buyer_name.clone(),
        buyer_email: document.buyer_email.clone(),
        buyer_country: country(&document.buyer_country),
        buyer_vat_id: document.buyer_vat_id.clone(),
        description: format!("{} — {}", document.creator_name, document.tier_name),
        period: document.period.map(|(start, end)| (day(start), day(end))),
        net: money(document.net),
        rate: rate.to_string(),
        vat: money(document.vat),
        total: money(document.gross),
        vat_czk: document.vat_czk.zip(document.czk_rate.clone()).map(|(czk, rate)| (format_minor(czk, "CZK"), rate)),
        scheme_note: scheme_note(&document.scheme),
    }
}

/// A document and the number of the invoice it corrects, as its reader may see them.
pub(crate) async fn load(
    state: &AppState,
    user: &patron_app::User,
    id: &str,
    lang: Lang,
) -> Result<DocumentFacts, patron_app::AppError> {
    let document: Document = documents::one(&state.app, user, id).await?;
    let refers_to = match document.refers_to {
        Some(invoice_id) => {
            let invoice = documents::one(&state.app, user, &invoice_id.to_string()).await?;
            Some((invoice.id.to_string(), invoice.code))
        }
        None => None,
    };
    Ok(facts(lang, &document, refers_to))
}

async fn document_page(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let Some(current) = page.user.0.as_ref() else {
        return Redirect::to(&format!("/login?next=/account/documents/{id}")).into_response();
    };
    match load(&state, &current.user, &id, page.lang()).await {
        Ok(d) => render(StatusCode::OK, &DocumentPage { layout: page.layout, d }),
        Err(error) => page_error(error),
    }
}

/// A drawn PDF as a download named `name`, or the error that stopped it.
fn pdf_download(name: &str, drawn: Result<Vec<u8>, String>) -> Response {
    match drawn {
        Ok(pdf) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            ],
            pdf,
        )
            .into_response(),
        Err(error) => page_error(patron_app::AppError::internal(error)),
    }
}

/// The PDF of a document, named by its number.
pub(crate) fn pdf_response(facts: &DocumentFacts, lang: Lang) -> Response {
    pdf_download(&format!("{}.pdf", facts.number), pdf::render(facts, lang))
}

async fn document_pdf(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let Some(current) = page.user.0.as_ref() else {
        return Redirect::to(&format!("/login?next=/account/documents/{id}")).into_response();
    };
    match load(&state, &current.user, &id, page.lang()).await {
        Ok(d) => pdf_response(&d, page.lang()),
        Err(error) => page_error(error),
    }
}
