//! Checkouts, payments and the membership ledger. Every function that changes money runs in
//! the caller's transaction and starts by claiming its row, so concurrent deliveries of the
//! same provider answer serialise and all but the first find the work done.

use crate::row::{flag, id, opt_id, opt_time, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::membership::{BillingInterval, MembershipStatus};
use patron_domain::{Id, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A fan's intent to join a tier, waiting for the provider's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// Identifier (the merchant's order reference at the provider).
    pub id: Id,
    /// The fan.
    pub user_id: Id,
    /// The creator.
    pub creator_id: Id,
    /// The tier.
    pub tier_id: Id,
    /// The provider's name (`sandbox`, `gpwebpay`, `stripe`).
    pub provider: String,
    /// What the fan pays, in minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Month or year.
    pub interval: BillingInterval,
    /// `pending`, `paid` or `declined`.
    pub status: String,
    /// The membership it created.
    pub membership_id: Option<Id>,
    /// Why it was declined.
    pub failure: Option<String>,
    /// Started.
    pub created_at: Timestamp,
}

const CHECKOUT_COLUMNS: &str = "id, user_id, creator_id, tier_id, provider, amount, currency, billing_interval, status, \
     membership_id, failure, created_at";

fn checkout_from_row(row: &AnyRow) -> Result<Checkout, StoreError> {
    let interval: String = row.try_get("billing_interval")?;
    Ok(Checkout {
        id: id(row, "id")?,
        user_id: id(row, "user_id")?,
        creator_id: id(row, "creator_id")?,
        tier_id: id(row, "tier_id")?,
        provider: row.try_get("provider")?,
        amount: row.try_get("amount")?,
        currency: row.try_get("currency")?,
        interval: BillingInterval::parse(&interval)
            .ok_or_else(|| StoreError::Corrupt(format!("billing interval {interval:?}")))?,
        status: row.try_get("status")?,
        membership_id: opt_id(row, "membership_id")?,
        failure: row.try_get("failure")?,
        created_at: time(row, "created_at")?,
    })
}

/// Starts a checkout.
pub async fn insert_checkout<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    checkout: &Checkout,
) -> Result<(), StoreError> {
    sql::query(
        "INSERT INTO checkouts (id, user_id, creator_id, tier_id, provider, amount, currency, billing_interval, status, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9)",
    )
    .bind(checkout.id.to_string())
    .bind(checkout.user_id.to_string())
    .bind(checkout.creator_id.to_string())
    .bind(checkout.tier_id.to_string())
    .bind(checkout.provider.clone())
    .bind(checkout.amount)
    .bind(checkout.currency.clone())
    .bind(checkout.interval.as_str())
    .bind(checkout.created_at.as_micros())
    .execute(executor)
    .await?;
    Ok(())
}

/// A checkout by id.
pub async fn find_checkout<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    checkout_id: Id,
) -> Result<Option<Checkout>, StoreError> {
    let query = format!("SELECT {CHECKOUT_COLUMNS} FROM checkouts WHERE id = $1");
    let row = sql::query(sqlx::AssertSqlSafe(query)).bind(checkout_id.to_string()).fetch_optional(executor).await?;
    row.as_ref().map(checkout_from_row).transpose()
}

/// Claims a pending checkout for the answer `status` (`paid` or `declined`). Returns false
/// when another delivery of the answer got there first: the caller then has nothing to do.
pub async fn claim_checkout(
    connection: &mut sqlx::AnyConnection,
    checkout_id: Id,
    status: &str,
    failure: Option<&str>,
) -> Result<bool, StoreError> {
    let claimed = sql::query(
        "UPDATE checkouts SET status = $2, failure = $3, updated_at = $4 WHERE id = $1 AND status = 'pending'",
    )
    .bind(checkout_id.to_string())
    .bind(status.to_owned())
    .bind(failure.map(str::to_owned))
    .bind(Timestamp::now().as_micros())
    .execute(&mut *connection)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Records the provider's order number of a checkout; false when another checkout of the
/// provider has it already (pick another).
pub async fn set_provider_order(
    pool: &sqlx::AnyPool,
    checkout_id: Id,
    provider: &str,
    order: &str,
) -> Result<bool, StoreError> {
    let result = sql::query("UPDATE checkouts SET provider_order = $3 WHERE id = $1 AND provider = $2")
        .bind(checkout_id.to_string())
        .bind(provider.to_owned())
        .bind(order.to_owned())
        .execute(pool)
        .await
        .map_err(StoreError::from);
    match result {
        Ok(done) => Ok(done.rows_affected() == 1),
        Err(error) if error.is_unique_violation() => Ok(false),
        Err(error) => Err(error),
    }
}

/// Links a paid checkout to the membership it created.
pub async fn set_checkout_membership(
    connection: &mut sqlx::AnyConnection,
    checkout_id: Id,
    membership_id: Id,
) -> Result<(), StoreError> {
    sql::query("UPDATE checkouts SET membership_id = $2 WHERE id = $1")
        .bind(checkout_id.to_string())
        .bind(membership_id.to_string())
        .execute(&mut *connection)
        .await?;
    Ok(())
}

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
    /// When.
    pub created_at: Timestamp,
}

const PAYMENT_COLUMNS: &str = "payments.id, payments.membership_id, payments.user_id, payments.creator_id, \
     payments.provider, payments.provider_payment_id, payments.kind, payments.status, payments.amount, \
     payments.currency, payments.period_start, payments.period_end, payments.failure, payments.created_at";

fn payment_from_row(row: &AnyRow) -> Result<Payment, StoreError> {
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

/// Sets how a membership is charged from now on and when next.
pub async fn set_billing(
    connection: &mut sqlx::AnyConnection,
    membership_id: Id,
    provider: &str,
    provider_token: Option<&str>,
    next_charge_at: Option<Timestamp>,
) -> Result<(), StoreError> {
    sql::query("UPDATE memberships SET provider = $2, provider_token = $3, next_charge_at = $4 WHERE id = $1")
        .bind(membership_id.to_string())
        .bind(provider.to_owned())
        .bind(provider_token.map(str::to_owned))
        .bind(next_charge_at.map(Timestamp::as_micros))
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
     memberships.grace_until, memberships.scheduled_tier_id, memberships.created_at";

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

/// A creator's numbers, computed from the ledger and the memberships.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dashboard {
    /// Monthly recurring revenue per currency (minor units), from the ledger.
    pub mrr: Vec<(String, i64)>,
    /// Supporters per tier (active or past due): (tier id, tier name, count).
    pub supporters: Vec<(Id, String, i64)>,
    /// Memberships created since `since`.
    pub new_since: i64,
    /// Memberships that ended (expired or refunded) since `since`.
    pub churned_since: i64,
}

/// A creator's dashboard; `since` is the start of the month.
pub async fn dashboard(pool: &sqlx::AnyPool, creator_id: Id, since: Timestamp) -> Result<Dashboard, StoreError> {
    let rows = sql::query(
        "SELECT currency, CAST(SUM(mrr_delta) AS BIGINT) AS mrr FROM membership_events WHERE creator_id = $1 \
         GROUP BY currency ORDER BY currency",
    )
    .bind(creator_id.to_string())
    .fetch_all(pool)
    .await?;
    let mrr = rows
        .iter()
        .map(|row| Ok((row.try_get("currency")?, row.try_get("mrr")?)))
        .collect::<Result<_, StoreError>>()?;
    let rows = sql::query(
        "SELECT tiers.id, tiers.name, COUNT(memberships.id) AS supporters FROM tiers \
         LEFT JOIN memberships ON memberships.tier_id = tiers.id AND memberships.status IN ('active', 'past_due') \
         WHERE tiers.creator_id = $1 GROUP BY tiers.id, tiers.name, tiers.rank ORDER BY tiers.rank",
    )
    .bind(creator_id.to_string())
    .fetch_all(pool)
    .await?;
    let supporters = rows
        .iter()
        .map(|row| Ok((id(row, "id")?, row.try_get("name")?, row.try_get("supporters")?)))
        .collect::<Result<_, StoreError>>()?;
    let row = sql::query(
        "SELECT COUNT(CASE WHEN kind = 'created' THEN 1 END) AS created, \
                COUNT(CASE WHEN kind IN ('expired', 'refunded') THEN 1 END) AS churned \
         FROM membership_events WHERE creator_id = $1 AND created_at >= $2",
    )
    .bind(creator_id.to_string())
    .bind(since.as_micros())
    .fetch_one(pool)
    .await?;
    Ok(Dashboard { mrr, supporters, new_since: row.try_get("created")?, churned_since: row.try_get("churned")? })
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

/// A supporter, for the owner's export.
#[derive(Debug, Clone)]
pub struct Supporter {
    /// Display name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Tier name.
    pub tier: String,
    /// Membership status.
    pub status: String,
    /// Price in minor units.
    pub price: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Member since.
    pub since: Timestamp,
}

/// A page's live (not expired) supporters, oldest first.
pub async fn supporters(pool: &sqlx::AnyPool, creator_id: Id) -> Result<Vec<Supporter>, StoreError> {
    let rows = sql::query(
        "SELECT users.display_name, users.email, tiers.name AS tier, memberships.status, memberships.price, \
                memberships.currency, memberships.created_at \
         FROM memberships JOIN users ON users.id = memberships.user_id JOIN tiers ON tiers.id = memberships.tier_id \
         WHERE memberships.creator_id = $1 AND memberships.status <> 'expired' ORDER BY memberships.created_at",
    )
    .bind(creator_id.to_string())
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Supporter {
                name: row.try_get("display_name")?,
                email: row.try_get("email")?,
                tier: row.try_get("tier")?,
                status: row.try_get("status")?,
                price: row.try_get("price")?,
                currency: row.try_get("currency")?,
                since: time(row, "created_at")?,
            })
        })
        .collect()
}
