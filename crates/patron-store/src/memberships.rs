//! Memberships: what a fan pays a creator for, and the facts entitlement needs. Payments
//! create and renew them; until then tests create them with [`insert`].

use crate::row::{flag, id, opt_time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::membership::{MembershipFacts, MembershipStatus};
use patron_domain::{Id, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

/// The viewer's membership of one creator, as read alongside a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewerMembership {
    /// Identifier.
    pub id: Id,
    /// Status.
    pub status: MembershipStatus,
    /// The tier.
    pub tier_id: Id,
    /// The tier's rank.
    pub tier_rank: i64,
    /// The tier's name.
    pub tier_name: String,
    /// Until when a past-due membership keeps access.
    pub grace_until: Option<Timestamp>,
    /// End of the paid period.
    pub current_period_end: Option<Timestamp>,
    /// Whether it ends at the end of the period.
    pub cancel_at_period_end: bool,
}

impl ViewerMembership {
    /// The facts the entitlement function needs.
    pub fn facts(&self) -> MembershipFacts {
        MembershipFacts { status: self.status, tier_rank: self.tier_rank, grace_until: self.grace_until }
    }
}

/// Columns for [`viewer_membership_from_row`]; the query must `LEFT JOIN memberships` and
/// `LEFT JOIN tiers ON tiers.id = memberships.tier_id`.
pub(crate) const MEMBERSHIP_FACT_COLUMNS: &str = "memberships.id AS membership_id, memberships.status AS membership_status, \
     memberships.tier_id AS membership_tier_id, tiers.rank AS membership_tier_rank, tiers.name AS membership_tier_name, \
     memberships.grace_until AS membership_grace_until, memberships.current_period_end AS membership_period_end, \
     memberships.cancel_at_period_end AS membership_cancel_at_period_end";

pub(crate) fn viewer_membership_from_row(row: &AnyRow) -> Result<Option<ViewerMembership>, StoreError> {
    let Some(status) = row.try_get::<Option<String>, _>("membership_status")? else { return Ok(None) };
    Ok(Some(ViewerMembership {
        id: id(row, "membership_id")?,
        status: MembershipStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("membership status {status:?}")))?,
        tier_id: id(row, "membership_tier_id")?,
        tier_rank: row.try_get("membership_tier_rank")?,
        tier_name: row.try_get("membership_tier_name")?,
        grace_until: opt_time(row, "membership_grace_until")?,
        current_period_end: opt_time(row, "membership_period_end")?,
        cancel_at_period_end: flag(row, "membership_cancel_at_period_end")?,
    }))
}

/// A membership to create.
#[derive(Debug, Clone)]
pub struct NewMembership {
    /// The fan.
    pub user_id: Id,
    /// The creator.
    pub creator_id: Id,
    /// The tier.
    pub tier_id: Id,
    /// Its status.
    pub status: MembershipStatus,
    /// The price the fan pays, in minor units (kept when the tier's price changes).
    pub price: i64,
    /// The currency.
    pub currency: String,
    /// `month` or `year`.
    pub billing_interval: &'static str,
    /// The paid period.
    pub period: Option<(Timestamp, Timestamp)>,
    /// Until when a past-due membership keeps access.
    pub grace_until: Option<Timestamp>,
}

/// Why a membership could not be created.
#[derive(Debug, thiserror::Error)]
pub enum InsertMembershipError {
    /// The fan already has a live membership of this creator.
    #[error("already a member")]
    AlreadyMember,
    /// Anything else.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates a membership, makes the fan follow the creator and updates the supporter count.
/// Several statements: run it in a transaction.
pub async fn insert(transaction: &mut crate::Transaction, new: &NewMembership) -> Result<Id, InsertMembershipError> {
    let membership_id = Id::new();
    let now = Timestamp::now();
    let inserted = sql::query(
        "INSERT INTO memberships (id, user_id, creator_id, tier_id, status, price, currency, billing_interval, \
                                  current_period_start, current_period_end, grace_until, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
         ON CONFLICT (user_id, creator_id) WHERE status <> 'expired' DO NOTHING",
    )
    .bind(membership_id.to_string())
    .bind(new.user_id.to_string())
    .bind(new.creator_id.to_string())
    .bind(new.tier_id.to_string())
    .bind(new.status.as_str())
    .bind(new.price)
    .bind(&new.currency)
    .bind(new.billing_interval)
    .bind(new.period.map(|(start, _)| start.as_micros()))
    .bind(new.period.map(|(_, end)| end.as_micros()))
    .bind(new.grace_until.map(Timestamp::as_micros))
    .bind(now.as_micros())
    .execute(&mut **transaction)
    .await
    .map_err(StoreError::from);
    // a live membership of the page already: nothing inserted, and (unlike a failed
    // statement) the transaction stays usable on PostgreSQL
    match inserted {
        Err(error) if error.is_unique_violation() => return Err(InsertMembershipError::AlreadyMember),
        Ok(done) if done.rows_affected() == 0 => return Err(InsertMembershipError::AlreadyMember),
        other => other?,
    };
    crate::follows::follow(transaction, new.user_id, new.creator_id).await?;
    recount_supporters(&mut **transaction, new.creator_id).await?;
    Ok(membership_id)
}

/// Sets a creator's supporter count from its memberships (active or past due).
pub async fn recount_supporters<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
) -> Result<(), StoreError> {
    sql::query(
        "UPDATE creators SET supporters_count = \
            (SELECT COUNT(*) FROM memberships WHERE creator_id = $1 AND status IN ('active', 'past_due')) \
         WHERE id = $1",
    )
    .bind(creator_id.to_string())
    .execute(executor)
    .await?;
    Ok(())
}

/// Live (not expired) memberships of a tier, for its member cap.
pub async fn count_live_for_tier<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    tier_id: Id,
) -> Result<i64, StoreError> {
    Ok(sql::query_scalar("SELECT COUNT(*) FROM memberships WHERE tier_id = $1 AND status <> 'expired'")
        .bind(tier_id.to_string())
        .fetch_one(executor)
        .await?)
}

/// The live (not expired) membership of a fan and a page, if any.
pub async fn live_of<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    creator_id: Id,
) -> Result<Option<Id>, StoreError> {
    let found: Option<String> =
        sql::query_scalar("SELECT id FROM memberships WHERE user_id = $1 AND creator_id = $2 AND status <> 'expired'")
            .bind(user_id.to_string())
            .bind(creator_id.to_string())
            .fetch_optional(executor)
            .await?;
    found.map(|id| id.parse().map_err(|_| StoreError::Corrupt(format!("membership id {id:?}")))).transpose()
}
