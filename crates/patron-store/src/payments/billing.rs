//! A membership as billing sees it: how it is charged, when next, and the state changes a
//! renewal, an upgrade or a cancellation make, each claimed so it happens once.

use crate::row::{flag, id, opt_id, opt_time, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::card::Card;
use patron_domain::membership::{BillingInterval, MembershipStatus};
use patron_domain::{Id, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Sets how a membership is charged from now on and when next: the provider, its handle for
/// charging again and the card behind it.
pub async fn set_billing(
    connection: &mut sqlx::AnyConnection,
    membership_id: Id,
    provider: &str,
    provider_token: Option<&str>,
    card: Option<&Card>,
    next_charge_at: Option<Timestamp>,
) -> Result<(), StoreError> {
    sql::query(
        "UPDATE memberships SET provider = $2, provider_token = $3, next_charge_at = $4, card_brand = $5, \
         card_last4 = $6, card_expiry = $7 WHERE id = $1",
    )
    .bind(membership_id.to_string())
    .bind(provider.to_owned())
    .bind(provider_token.map(str::to_owned))
    .bind(next_charge_at.map(Timestamp::as_micros))
    .bind(card.map(|c| c.brand.clone()))
    .bind(card.map(|c| c.last4.clone()))
    .bind(card.map(Card::expiry))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// A membership as billing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billing {
    /// Identifier.
    pub id: Id,
    /// The fan.
    pub user_id: Id,
    /// The creator.
    pub creator_id: Id,
    /// The tier.
    pub tier_id: Id,
    /// Status.
    pub status: MembershipStatus,
    /// Price in minor units.
    pub price: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Month or year.
    pub interval: BillingInterval,
    /// The paid period.
    pub current_period_start: Option<Timestamp>,
    /// The paid period.
    pub current_period_end: Option<Timestamp>,
    /// Ends at the end of the period.
    pub cancel_at_period_end: bool,
    /// The provider.
    pub provider: Option<String>,
    /// The provider's handle for charging again.
    pub provider_token: Option<String>,
    /// The card renewals charge, when the provider reported it.
    pub card: Option<Card>,
    /// When the next charge is due.
    pub next_charge_at: Option<Timestamp>,
    /// Failed charges since the last success.
    pub failed_charges: i64,
    /// Until when a past-due membership keeps access.
    pub grace_until: Option<Timestamp>,
    /// The tier a downgrade switches to at the next period.
    pub scheduled_tier_id: Option<Id>,
    /// Started.
    pub created_at: Timestamp,
}

const BILLING_COLUMNS: &str = "memberships.id, memberships.user_id, memberships.creator_id, memberships.tier_id, \
     memberships.status, memberships.price, memberships.currency, memberships.billing_interval, \
     memberships.current_period_start, memberships.current_period_end, memberships.cancel_at_period_end, \
     memberships.provider, memberships.provider_token, memberships.next_charge_at, memberships.failed_charges, \
     memberships.grace_until, memberships.scheduled_tier_id, memberships.created_at, memberships.card_brand, \
     memberships.card_last4, memberships.card_expiry";

fn billing_from_row(row: &AnyRow) -> Result<Billing, StoreError> {
    let status: String = row.try_get("status")?;
    let interval: String = row.try_get("billing_interval")?;
    Ok(Billing {
        id: id(row, "id")?,
        user_id: id(row, "user_id")?,
        creator_id: id(row, "creator_id")?,
        tier_id: id(row, "tier_id")?,
        status: MembershipStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("status {status:?}")))?,
        price: row.try_get("price")?,
        currency: row.try_get("currency")?,
        interval: BillingInterval::parse(&interval)
            .ok_or_else(|| StoreError::Corrupt(format!("billing interval {interval:?}")))?,
        current_period_start: opt_time(row, "current_period_start")?,
        current_period_end: opt_time(row, "current_period_end")?,
        cancel_at_period_end: flag(row, "cancel_at_period_end")?,
        provider: row.try_get("provider")?,
        provider_token: row.try_get("provider_token")?,
        card: Card::from_stored(
            row.try_get("card_brand")?,
            row.try_get("card_last4")?,
            row.try_get::<Option<String>, _>("card_expiry")?.as_deref(),
        ),
        next_charge_at: opt_time(row, "next_charge_at")?,
        failed_charges: row.try_get("failed_charges")?,
        grace_until: opt_time(row, "grace_until")?,
        scheduled_tier_id: opt_id(row, "scheduled_tier_id")?,
        created_at: time(row, "created_at")?,
    })
}

/// One membership for billing.
pub async fn billing<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    membership_id: Id,
) -> Result<Option<Billing>, StoreError> {
    let query = format!("SELECT {BILLING_COLUMNS} FROM memberships WHERE id = $1");
    let row = sql::query(sqlx::AssertSqlSafe(query)).bind(membership_id.to_string()).fetch_optional(executor).await?;
    row.as_ref().map(billing_from_row).transpose()
}

/// Memberships whose next charge is due at `now`, oldest first.
pub async fn due<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<Billing>, StoreError> {
    let query = format!(
        "SELECT {BILLING_COLUMNS} FROM memberships WHERE status IN ('active', 'past_due') AND next_charge_at <= $1 \
         ORDER BY next_charge_at LIMIT $2"
    );
    let rows = sql::query(sqlx::AssertSqlSafe(query)).bind(now.as_micros()).bind(limit).fetch_all(executor).await?;
    rows.iter().map(billing_from_row).collect()
}

/// Live memberships with a card on file that will be charged between `from` and `until`
/// (to remind fans whose card expires before then).
pub async fn charging_soon<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<Billing>, StoreError> {
    let query = format!(
        "SELECT {BILLING_COLUMNS} FROM memberships WHERE status = 'active' AND cancel_at_period_end = $3 \
         AND card_expiry IS NOT NULL AND next_charge_at > $1 AND next_charge_at <= $2 ORDER BY next_charge_at LIMIT 1000"
    );
    let rows = sql::query(sqlx::AssertSqlSafe(query))
        .bind(from.as_micros())
        .bind(until.as_micros())
        .bind(false)
        .fetch_all(executor)
        .await?;
    rows.iter().map(billing_from_row).collect()
}

/// Cancelled memberships whose period ends between `from` and `until` (for the reminder).
pub async fn ending<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<Billing>, StoreError> {
    let query = format!(
        "SELECT {BILLING_COLUMNS} FROM memberships WHERE status = 'active' AND cancel_at_period_end = $3 \
         AND current_period_end > $1 AND current_period_end <= $2 ORDER BY current_period_end LIMIT 1000"
    );
    let rows = sql::query(sqlx::AssertSqlSafe(query))
        .bind(from.as_micros())
        .bind(until.as_micros())
        .bind(true)
        .fetch_all(executor)
        .await?;
    rows.iter().map(billing_from_row).collect()
}

/// A user's memberships, newest first.
pub async fn of_user<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
) -> Result<Vec<Billing>, StoreError> {
    let query =
        format!("SELECT {BILLING_COLUMNS} FROM memberships WHERE user_id = $1 ORDER BY created_at DESC LIMIT 200");
    let rows = sql::query(sqlx::AssertSqlSafe(query)).bind(user_id.to_string()).fetch_all(executor).await?;
    rows.iter().map(billing_from_row).collect()
}

/// Moves a membership to its next state: claims it only when it is still what the caller
/// read (`expected_next_charge`), so a renewal that runs twice changes it once.
#[allow(clippy::too_many_arguments)]
pub async fn advance(
    connection: &mut sqlx::AnyConnection,
    membership_id: Id,
    expected_next_charge: Option<Timestamp>,
    status: MembershipStatus,
    period: Option<(Timestamp, Timestamp)>,
    next_charge_at: Option<Timestamp>,
    failed_charges: i64,
    grace_until: Option<Timestamp>,
) -> Result<bool, StoreError> {
    let now = Timestamp::now().as_micros();
    let ended = (status == MembershipStatus::Expired).then_some(now);
    let changed = sql::query(
        "UPDATE memberships SET status = $2, \
            current_period_start = COALESCE($3, current_period_start), current_period_end = COALESCE($4, current_period_end), \
            next_charge_at = $5, failed_charges = $6, grace_until = $7, ended_at = COALESCE($8, ended_at), updated_at = $9 \
         WHERE id = $1 AND ((next_charge_at IS NULL AND $10 IS NULL) OR next_charge_at = $10)",
    )
    .bind(membership_id.to_string())
    .bind(status.as_str())
    .bind(period.map(|(start, _)| start.as_micros()))
    .bind(period.map(|(_, end)| end.as_micros()))
    .bind(next_charge_at.map(Timestamp::as_micros))
    .bind(failed_charges)
    .bind(grace_until.map(Timestamp::as_micros))
    .bind(ended)
    .bind(now)
    .bind(expected_next_charge.map(Timestamp::as_micros))
    .execute(&mut *connection)
    .await?;
    Ok(changed.rows_affected() == 1)
}

/// Moves a membership to another tier at another price now (an upgrade, or a scheduled
/// downgrade when its period turns), clearing any scheduled change.
pub async fn set_tier(
    connection: &mut sqlx::AnyConnection,
    membership_id: Id,
    tier_id: Id,
    price: i64,
) -> Result<(), StoreError> {
    sql::query(
        "UPDATE memberships SET tier_id = $2, price = $3, scheduled_tier_id = NULL, updated_at = $4 WHERE id = $1",
    )
    .bind(membership_id.to_string())
    .bind(tier_id.to_string())
    .bind(price)
    .bind(Timestamp::now().as_micros())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Schedules (or clears, with `None`) a downgrade for the next period.
pub async fn schedule_tier(
    connection: &mut sqlx::AnyConnection,
    membership_id: Id,
    tier_id: Option<Id>,
) -> Result<(), StoreError> {
    sql::query("UPDATE memberships SET scheduled_tier_id = $2, updated_at = $3 WHERE id = $1")
        .bind(membership_id.to_string())
        .bind(tier_id.map(|t| t.to_string()))
        .bind(Timestamp::now().as_micros())
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Sets or clears "ends at the end of the period".
pub async fn set_cancel_at_period_end(
    connection: &mut sqlx::AnyConnection,
    membership_id: Id,
    cancel: bool,
) -> Result<bool, StoreError> {
    let changed = sql::query(
        "UPDATE memberships SET cancel_at_period_end = $2, updated_at = $3 \
         WHERE id = $1 AND status IN ('active', 'past_due') AND cancel_at_period_end <> $2",
    )
    .bind(membership_id.to_string())
    .bind(cancel)
    .bind(Timestamp::now().as_micros())
    .execute(&mut *connection)
    .await?;
    Ok(changed.rows_affected() == 1)
}
