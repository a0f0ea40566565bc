//! The membership ledger (`membership_events`): what happened to a membership and how it
//! moved the creator's monthly revenue.

use super::Billing;
use crate::row::time;
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{Id, Timestamp};
use sqlx::Row;

/// Appends to the ledger.
#[allow(clippy::too_many_arguments)]
pub async fn record_event(
    connection: &mut sqlx::AnyConnection,
    membership: &Billing,
    kind: &str,
    mrr_delta: i64,
    payment_id: Option<Id>,
    at: Timestamp,
) -> Result<(), StoreError> {
    sql::query(
        "INSERT INTO membership_events (id, membership_id, creator_id, user_id, tier_id, kind, mrr_delta, currency, \
         payment_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(Id::new().to_string())
    .bind(membership.id.to_string())
    .bind(membership.creator_id.to_string())
    .bind(membership.user_id.to_string())
    .bind(membership.tier_id.to_string())
    .bind(kind.to_owned())
    .bind(mrr_delta)
    .bind(membership.currency.clone())
    .bind(payment_id.map(|p| p.to_string()))
    .bind(at.as_micros())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// A membership's history: (kind, MRR change, currency, time), oldest first.
pub async fn history<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    membership_id: Id,
) -> Result<Vec<(String, i64, String, Timestamp)>, StoreError> {
    let rows = sql::query(
        "SELECT kind, mrr_delta, currency, created_at FROM membership_events WHERE membership_id = $1 ORDER BY created_at, id",
    )
    .bind(membership_id.to_string())
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((row.try_get("kind")?, row.try_get("mrr_delta")?, row.try_get("currency")?, time(row, "created_at")?))
        })
        .collect()
}
