//! The sandbox gateway's own records (`sandbox_payments`, `sandbox_cards`): a provider
//! to try payments with, kept in patron's database.

use crate::row::{flag, opt_id};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{Id, Timestamp};
use sqlx::Row;

/// The sandbox gateway's record of a payment: (id, checkout, amount, currency, status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxPayment {
    /// The gateway's order number.
    pub id: String,
    /// The merchant's checkout.
    pub checkout_id: Option<Id>,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// `open`, `paid` or `declined`.
    pub status: String,
}

/// Opens a payment at the sandbox gateway.
pub async fn sandbox_open<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    payment: &SandboxPayment,
) -> Result<(), StoreError> {
    sql::query(
        "INSERT INTO sandbox_payments (id, checkout_id, amount, currency, status, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(payment.id.clone())
    .bind(payment.checkout_id.map(|c| c.to_string()))
    .bind(payment.amount)
    .bind(payment.currency.clone())
    .bind(payment.status.clone())
    .bind(Timestamp::now().as_micros())
    .execute(executor)
    .await?;
    Ok(())
}

/// A sandbox payment.
pub async fn sandbox_find<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    payment_id: &str,
) -> Result<Option<SandboxPayment>, StoreError> {
    let row = sql::query("SELECT id, checkout_id, amount, currency, status FROM sandbox_payments WHERE id = $1")
        .bind(payment_id.to_owned())
        .fetch_optional(executor)
        .await?;
    row.map(|row| {
        Ok(SandboxPayment {
            id: row.try_get("id")?,
            checkout_id: opt_id(&row, "checkout_id")?,
            amount: row.try_get("amount")?,
            currency: row.try_get("currency")?,
            status: row.try_get("status")?,
        })
    })
    .transpose()
}

/// Settles a sandbox payment (once: returns false when it was settled already).
pub async fn sandbox_settle<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    payment_id: &str,
    status: &str,
    card_token: Option<&str>,
) -> Result<bool, StoreError> {
    let done = sql::query("UPDATE sandbox_payments SET status = $2, card_token = $3 WHERE id = $1 AND status = 'open'")
        .bind(payment_id.to_owned())
        .bind(status.to_owned())
        .bind(card_token.map(str::to_owned))
        .execute(executor)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Refunds a paid sandbox payment.
pub async fn sandbox_refund<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    payment_id: &str,
) -> Result<bool, StoreError> {
    let done = sql::query("UPDATE sandbox_payments SET status = 'refunded' WHERE id = $1 AND status = 'paid'")
        .bind(payment_id.to_owned())
        .execute(executor)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a sandbox card declines merchant-initiated charges.
pub async fn sandbox_card_declines<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    token: &str,
) -> Result<bool, StoreError> {
    let row = sql::query("SELECT declines FROM sandbox_cards WHERE token = $1")
        .bind(token.to_owned())
        .fetch_optional(executor)
        .await?;
    row.map(|row| flag(&row, "declines")).transpose().map(|d| d.unwrap_or(false))
}

/// Makes a sandbox card decline (or accept) merchant-initiated charges.
pub async fn sandbox_set_card<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    token: &str,
    declines: bool,
) -> Result<(), StoreError> {
    sql::query(
        "INSERT INTO sandbox_cards (token, declines) VALUES ($1, $2) ON CONFLICT (token) DO UPDATE SET declines = $2",
    )
    .bind(token.to_owned())
    .bind(declines)
    .execute(executor)
    .await?;
    Ok(())
}
