//! What patron keeps of a provider's own records: its customer for each user, the webhook
//! events already handled, and disputes (chargebacks) with where they stand.

use super::charges::{PAYMENT_COLUMNS, Payment, payment_from_row};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{Id, Timestamp};

/// The provider's customer for a user, when there is one.
pub async fn provider_customer<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    provider: &str,
    user_id: Id,
) -> Result<Option<String>, StoreError> {
    Ok(sql::query_scalar("SELECT customer_id FROM provider_customers WHERE provider = $1 AND user_id = $2")
        .bind(provider.to_owned())
        .bind(user_id.to_string())
        .fetch_optional(executor)
        .await?)
}

/// Remembers the provider's customer for a user; when another was remembered first (two
/// checkouts at once), that one is returned and kept.
pub async fn remember_provider_customer(
    pool: &sqlx::AnyPool,
    provider: &str,
    user_id: Id,
    customer_id: &str,
) -> Result<String, StoreError> {
    sql::query(
        "INSERT INTO provider_customers (provider, user_id, customer_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (provider, user_id) DO NOTHING",
    )
    .bind(provider.to_owned())
    .bind(user_id.to_string())
    .bind(customer_id.to_owned())
    .bind(Timestamp::now().as_micros())
    .execute(pool)
    .await?;
    Ok(provider_customer(pool, provider, user_id).await?.unwrap_or_else(|| customer_id.to_owned()))
}

/// Whether a webhook event was handled already.
pub async fn provider_event_seen<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    provider: &str,
    event_id: &str,
) -> Result<bool, StoreError> {
    let found: Option<String> =
        sql::query_scalar("SELECT event_id FROM provider_events WHERE provider = $1 AND event_id = $2")
            .bind(provider.to_owned())
            .bind(event_id.to_owned())
            .fetch_optional(executor)
            .await?;
    Ok(found.is_some())
}

/// Records a webhook event as handled (once; a second record changes nothing).
pub async fn remember_provider_event<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    provider: &str,
    event_id: &str,
    kind: &str,
) -> Result<(), StoreError> {
    sql::query(
        "INSERT INTO provider_events (provider, event_id, kind, handled_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (provider, event_id) DO NOTHING",
    )
    .bind(provider.to_owned())
    .bind(event_id.to_owned())
    .bind(kind.to_owned())
    .bind(Timestamp::now().as_micros())
    .execute(executor)
    .await?;
    Ok(())
}

/// A payment by the provider's id of it.
pub async fn find_by_provider_id<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    provider: &str,
    provider_payment_id: &str,
) -> Result<Option<Payment>, StoreError> {
    let query = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE provider = $1 AND provider_payment_id = $2");
    let row = sql::query(sqlx::AssertSqlSafe(query))
        .bind(provider.to_owned())
        .bind(provider_payment_id.to_owned())
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(payment_from_row).transpose()
}

/// Records a dispute of a payment as open; false when it was known already.
pub async fn open_dispute(
    connection: &mut sqlx::AnyConnection,
    provider: &str,
    dispute_id: &str,
    payment_id: Id,
) -> Result<bool, StoreError> {
    let now = Timestamp::now().as_micros();
    let inserted = sql::query(
        "INSERT INTO disputes (provider, dispute_id, payment_id, status, created_at, updated_at) \
         VALUES ($1, $2, $3, 'open', $4, $4) ON CONFLICT (provider, dispute_id) DO NOTHING",
    )
    .bind(provider.to_owned())
    .bind(dispute_id.to_owned())
    .bind(payment_id.to_string())
    .bind(now)
    .execute(&mut *connection)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Closes an open dispute as `won` or `lost`; false when it was closed already (a late or
/// repeated event).
pub async fn close_dispute(
    connection: &mut sqlx::AnyConnection,
    provider: &str,
    dispute_id: &str,
    outcome: &str,
) -> Result<bool, StoreError> {
    let closed = sql::query(
        "UPDATE disputes SET status = $3, updated_at = $4 WHERE provider = $1 AND dispute_id = $2 AND status = 'open'",
    )
    .bind(provider.to_owned())
    .bind(dispute_id.to_owned())
    .bind(outcome.to_owned())
    .bind(Timestamp::now().as_micros())
    .execute(&mut *connection)
    .await?;
    Ok(closed.rows_affected() == 1)
}
