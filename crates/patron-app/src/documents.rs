//! Tax documents: the invoice of every payment and the credit note of every refund, as they
//! were issued. A document is its buyer's; the page's team sees those of its page (the
//! buyers' names, countries and amounts it needs for its own books), platform admins all.

use crate::creators::PageAccess;
use crate::{App, AppError, User};
use patron_domain::Id;
pub use patron_store::documents::Document;

/// The caller's documents, newest first.
pub async fn mine(app: &App, user: &User) -> Result<Vec<Document>, AppError> {
    Ok(patron_store::documents::of_user(app.db.pool(), user.id, 500).await?)
}

/// One document of the caller's (or any, for a platform admin).
pub async fn one(app: &App, user: &User, document_id: &str) -> Result<Document, AppError> {
    let document_id: Id = document_id.parse().map_err(|_| AppError::nothing_here())?;
    patron_store::documents::find(app.db.pool(), document_id)
        .await?
        .filter(|d| d.user_id == user.id || user.is_platform_admin)
        .ok_or_else(AppError::nothing_here)
}

/// The documents of a page's memberships, newest first (the page's team).
pub async fn of_page(app: &App, page: &PageAccess) -> Result<Vec<Document>, AppError> {
    page.require_team()?;
    Ok(patron_store::documents::of_creator(app.db.pool(), page.creator.id, 1000).await?)
}

/// What a fan paid in a year, in one statement: the year's documents, oldest first, and their
/// sums per currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YearStatement {
    /// The year.
    pub year: i32,
    /// Its documents.
    pub documents: Vec<Document>,
    /// Per currency: (currency, total paid, without VAT, VAT), credit notes subtracted.
    pub totals: Vec<(String, i64, i64, i64)>,
}

/// The caller's statement of `year` (`2026`).
pub async fn year_statement(app: &App, user: &User, year: &str) -> Result<YearStatement, AppError> {
    let year: i32 = year
        .trim()
        .parse()
        .ok()
        .filter(|y| (2000..=9999).contains(y))
        .ok_or_else(|| AppError::invalid("year", "is not a year, e.g. 2026"))?;
    let documents = patron_store::documents::of_user_between(
        app.db.pool(),
        user.id,
        &format!("{year:04}-01-01"),
        &format!("{year:04}-12-31"),
    )
    .await?;
    let mut totals: Vec<(String, i64, i64, i64)> = Vec::new();
    for document in &documents {
        match totals.iter_mut().find(|(currency, ..)| *currency == document.currency) {
            Some(total) => {
                total.1 += document.gross;
                total.2 += document.net;
                total.3 += document.vat;
            }
            None => totals.push((document.currency.clone(), document.gross, document.net, document.vat)),
        }
    }
    Ok(YearStatement { year, documents, totals })
}
