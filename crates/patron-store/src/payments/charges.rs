//! Payments: the charges recorded for a membership, first and renewals, failed ones too, and
//! their refunds.

use crate::row::{id, opt_time, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{Id, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A payment (or a failed charge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Identifier.
    pub id: Id,
    /// The membership it pays for.
    pub membership_id: Id,
    /// The fan.
    pub user_id: Id,
    /// The creator.
    pub creator_id: Id,
    /// The provider.
    pub provider: String,
    /// The provider's id of it.
    pub provider_payment_id: Option<String>,
    /// `initial` or `renewal`.
    pub kind: String,
    /// `succeeded`, `failed` or `refunded`.
    pub status: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The period it pays for.
    pub period_start: Option<Timestamp>,
    /// The period it pays for.
    pub period_end: Option<Timestamp>,
    /// Why a charge failed.
    pub failure: Option<String>,
    /// Its latest dispute (chargeback), when it has one: `open`, `won` or `lost`.
    pub dispute: Option<String>,
    /// When.
    pub created_at: Timestamp,
}

pub(super) const PAYMENT_COLUMNS: &str = "payments.id, payments.membership_id, payments.user_id, payments.creator_id, \
     payments.provider, payments.provider_payment_id, payments.kind, payments.status, payments.amount, \
     payments.currency, payments.period_start, payments.period_end, payments.failure, payments.created_at, \
     (SELECT disputes.status FROM disputes WHERE disputes.payment_id = payments.id \
      ORDER BY disputes.created_at DESC LIMIT 1) AS dispute";

pub(super) fn payment_from_row(row: &AnyRow) -> Result<Payment, StoreError> {
    Ok(Payment {
        id: id(row, "id")?,
        membership_id: id(row, "membership_id")?,
        user_id: id(row, "user_id")?,
        creator_id: id(row, "creator_id")?,
        provider: row.try_get("provider")?,
        provider_payment_id: row.try_get("provider_payment_id")?,
        kind: row.try_get("kind")?,
        status: row.try_get("status")?,
        amount: row.try_get("amount")?,
        currency: row.try_get("currency")?,
        period_start: opt_time(row, "period_start")?,
        period_end: opt_time(row, "period_end")?,
        failure: row.try_get("failure")?,
        dispute: row.try_get("dispute")?,
        created_at: time(row, "created_at")?,
    })
}

/// A payment to record.
#[derive(Debug, Clone)]
pub struct NewPayment {
    /// The membership.
    pub membership_id: Id,
    /// The checkout (first payments).
    pub checkout_id: Option<Id>,
    /// The fan.
    pub user_id: Id,
    /// The creator.
    pub creator_id: Id,
    /// The provider.
    pub provider: String,
    /// The provider's id.
    pub provider_payment_id: Option<String>,
    /// One charge per key.
    pub idempotency_key: String,
    /// `initial` or `renewal`.
    pub kind: &'static str,
    /// `succeeded` or `failed`.
    pub status: &'static str,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The period it pays for.
    pub period: Option<(Timestamp, Timestamp)>,
    /// Why it failed.
    pub failure: Option<String>,
}

/// Records a payment; `None` when one with the same idempotency key (or provider id) exists.
pub async fn insert_payment(connection: &mut sqlx::AnyConnection, new: &NewPayment) -> Result<Option<Id>, StoreError> {
    let payment_id = Id::new();
    let now = Timestamp::now().as_micros();
    let inserted = sql::query(
        "INSERT INTO payments (id, membership_id, checkout_id, user_id, creator_id, provider, provider_payment_id, \
         idempotency_key, kind, status, amount, currency, period_start, period_end, failure, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) ON CONFLICT DO NOTHING",
    )
    .bind(payment_id.to_string())
    .bind(new.membership_id.to_string())
    .bind(new.checkout_id.map(|c| c.to_string()))
    .bind(new.user_id.to_string())
    .bind(new.creator_id.to_string())
    .bind(new.provider.clone())
    .bind(new.provider_payment_id.clone())
    .bind(new.idempotency_key.clone())
    .bind(new.kind)
    .bind(new.status)
    .bind(new.amount)
    .bind(new.currency.clone())
    .bind(new.period.map(|(start, _)| start.as_micros()))
    .bind(new.period.map(|(_, end)| end.as_micros()))
    .bind(new.failure.clone())
    .bind(now)
    .execute(&mut *connection)
    .await?;
    Ok((inserted.rows_affected() == 1).then_some(payment_id))
}

/// A payment by id.
pub async fn find_payment<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    payment_id: Id,
) -> Result<Option<Payment>, StoreError> {
    let query = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1");
    let row = sql::query(sqlx::AssertSqlSafe(query)).bind(payment_id.to_string()).fetch_optional(executor).await?;
    row.as_ref().map(payment_from_row).transpose()
}

/// Marks a succeeded payment refunded (once: false when it was not `succeeded`).
pub async fn claim_refund(connection: &mut sqlx::AnyConnection, payment_id: Id) -> Result<bool, StoreError> {
    let done =
        sql::query("UPDATE payments SET status = 'refunded', updated_at = $2 WHERE id = $1 AND status = 'succeeded'")
            .bind(payment_id.to_string())
            .bind(Timestamp::now().as_micros())
            .execute(&mut *connection)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Payments of a creator (or of a user), newest first.
pub async fn payments<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Option<Id>,
    user_id: Option<Id>,
    limit: i64,
) -> Result<Vec<Payment>, StoreError> {
    let query = format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE ($1 IS NULL OR creator_id = $1) AND ($2 IS NULL OR user_id = $2) \
         ORDER BY created_at DESC, id DESC LIMIT $3"
    );
    let rows = sql::query(sqlx::AssertSqlSafe(query))
        .bind(creator_id.map(|c| c.to_string()))
        .bind(user_id.map(|u| u.to_string()))
        .bind(limit)
        .fetch_all(executor)
        .await?;
    rows.iter().map(payment_from_row).collect()
}
