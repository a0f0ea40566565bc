//! A fan's tax documents: the invoice of every payment and the credit note of every refund,
//! as they were issued. A document is the buyer's (and the platform admins'); nobody else
//! sees it.

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
