//! Checkouts: a fan's intent to join a tier while the provider answers, claimed once by the
//! first delivery of that answer.

use crate::row::{id, opt_id, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::membership::BillingInterval;
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
    /// What paying it does.
    pub purpose: CheckoutPurpose,
    /// The provider's own reference for it (GP webpay's order number, Stripe's SetupIntent).
    pub provider_order: Option<String>,
    /// Who the buyer is for tax (`billing_profiles`).
    pub billing_profile_id: Option<Id>,
    /// Started.
    pub created_at: Timestamp,
}

/// What paying a checkout does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutPurpose {
    /// Starts a membership.
    Join,
    /// Pays the renewal of the past-due membership in `membership_id`, with the fan present.
    Renewal,
}

impl CheckoutPurpose {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckoutPurpose::Join => "join",
            CheckoutPurpose::Renewal => "renewal",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "join" => Ok(CheckoutPurpose::Join),
            "renewal" => Ok(CheckoutPurpose::Renewal),
            other => Err(StoreError::Corrupt(format!("checkout purpose {other:?}"))),
        }
    }
}

const CHECKOUT_COLUMNS: &str = "id, user_id, creator_id, tier_id, provider, amount, currency, billing_interval, status, \
     membership_id, failure, purpose, provider_order, billing_profile_id, created_at";

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
        purpose: CheckoutPurpose::parse(&row.try_get::<String, _>("purpose")?)?,
        provider_order: row.try_get("provider_order")?,
        billing_profile_id: opt_id(row, "billing_profile_id")?,
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
         membership_id, purpose, billing_profile_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $10, $11, $12, $9, $9)",
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
    .bind(checkout.membership_id.map(|id| id.to_string()))
    .bind(checkout.purpose.as_str())
    .bind(checkout.billing_profile_id.map(|id| id.to_string()))
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

/// The number `provider` knows `purpose` by (a checkout, a renewal charge): the one allocated
/// before, else `candidate` when no other purpose has it. `None` when `candidate` is taken:
/// draw another.
pub async fn provider_order(
    pool: &sqlx::AnyPool,
    provider: &str,
    purpose: &str,
    candidate: &str,
) -> Result<Option<String>, StoreError> {
    let allocated = || async {
        sql::query_scalar::<String>("SELECT order_number FROM provider_orders WHERE provider = $1 AND purpose = $2")
            .bind(provider.to_owned())
            .bind(purpose.to_owned())
            .fetch_optional(pool)
            .await
    };
    if let Some(number) = allocated().await? {
        return Ok(Some(number));
    }
    let inserted = sql::query(
        "INSERT INTO provider_orders (provider, order_number, purpose, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(provider.to_owned())
    .bind(candidate.to_owned())
    .bind(purpose.to_owned())
    .bind(Timestamp::now().as_micros())
    .execute(pool)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Some(candidate.to_owned()));
    }
    // another allocation for this purpose won at the same moment, or the number is taken
    Ok(allocated().await?)
}
