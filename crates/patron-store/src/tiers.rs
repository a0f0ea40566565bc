//! Membership tiers of a creator. Prices are integer minor units; `rank` orders the tiers
//! from lowest to highest, and a post for "tier X and up" is open to ranks ≥ X's.

use crate::row::{id, opt_time, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{Id, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// Identifier.
    pub id: Id,
    /// The creator.
    pub creator_id: Id,
    /// Name ("Na steaky").
    pub name: String,
    /// Description (Markdown).
    pub description: String,
    /// What members get, one line each.
    pub benefits: Vec<String>,
    /// Price per month in minor units.
    pub monthly_price: i64,
    /// Price per year in minor units, when offered.
    pub yearly_price: Option<i64>,
    /// ISO 4217 code.
    pub currency: String,
    /// Position from lowest (1) to highest.
    pub rank: i64,
    /// At most this many live members, when set.
    pub member_cap: Option<i64>,
    /// Archived tiers take no new members; existing ones stay.
    pub archived_at: Option<Timestamp>,
    /// When it was created.
    pub created_at: Timestamp,
}

const TIER_COLUMNS: &str = "tiers.id, tiers.creator_id, tiers.name, tiers.description, tiers.benefits, \
     tiers.monthly_price, tiers.yearly_price, tiers.currency, tiers.rank, tiers.member_cap, tiers.archived_at, \
     tiers.created_at";

fn tier_from_row(row: &AnyRow) -> Result<Tier, StoreError> {
    let benefits: String = row.try_get("benefits")?;
    Ok(Tier {
        id: id(row, "id")?,
        creator_id: id(row, "creator_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        benefits: serde_json::from_str(&benefits).map_err(|e| StoreError::Corrupt(format!("tier benefits: {e}")))?,
        monthly_price: row.try_get("monthly_price")?,
        yearly_price: row.try_get("yearly_price")?,
        currency: row.try_get("currency")?,
        rank: row.try_get("rank")?,
        member_cap: row.try_get("member_cap")?,
        archived_at: opt_time(row, "archived_at")?,
        created_at: time(row, "created_at")?,
    })
}

/// The editable fields of a tier.
#[derive(Debug, Clone)]
pub struct TierFields {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Benefits.
    pub benefits: Vec<String>,
    /// Price per month in minor units.
    pub monthly_price: i64,
    /// Price per year, if offered.
    pub yearly_price: Option<i64>,
    /// Currency code.
    pub currency: String,
    /// Member cap.
    pub member_cap: Option<i64>,
}

fn benefits_json(benefits: &[String]) -> String {
    serde_json::to_string(benefits).unwrap_or_else(|_| "[]".to_owned())
}

/// A creator's tiers, lowest rank first; archived ones only when asked.
pub async fn list<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    include_archived: bool,
) -> Result<Vec<Tier>, StoreError> {
    let query = format!(
        "SELECT {TIER_COLUMNS} FROM tiers WHERE tiers.creator_id = $1 AND ($2 OR tiers.archived_at IS NULL) \
         ORDER BY tiers.rank, tiers.id"
    );
    let rows = sql::query(sqlx::AssertSqlSafe(query))
        .bind(creator_id.to_string())
        .bind(include_archived)
        .fetch_all(executor)
        .await?;
    rows.iter().map(tier_from_row).collect()
}

/// One tier of a creator.
pub async fn find<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    tier_id: Id,
) -> Result<Option<Tier>, StoreError> {
    let query = format!("SELECT {TIER_COLUMNS} FROM tiers WHERE tiers.creator_id = $1 AND tiers.id = $2");
    let row = sql::query(sqlx::AssertSqlSafe(query))
        .bind(creator_id.to_string())
        .bind(tier_id.to_string())
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(tier_from_row).transpose()
}

/// Adds a tier above the creator's highest one.
pub async fn insert<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    fields: &TierFields,
) -> Result<Id, StoreError> {
    let tier_id = Id::new();
    let now = Timestamp::now();
    sql::query(
        "INSERT INTO tiers (id, creator_id, name, description, benefits, monthly_price, yearly_price, currency, rank, \
                            member_cap, created_at, updated_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, COALESCE(MAX(rank), 0) + 1, $9, $10, $10 FROM tiers WHERE creator_id = $2",
    )
    .bind(tier_id.to_string())
    .bind(creator_id.to_string())
    .bind(&fields.name)
    .bind(&fields.description)
    .bind(benefits_json(&fields.benefits))
    .bind(fields.monthly_price)
    .bind(fields.yearly_price)
    .bind(&fields.currency)
    .bind(fields.member_cap)
    .bind(now.as_micros())
    .execute(executor)
    .await?;
    Ok(tier_id)
}

/// Changes a tier. A new price applies to new members only: members keep the price stored
/// on their membership.
pub async fn update<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    tier_id: Id,
    fields: &TierFields,
) -> Result<bool, StoreError> {
    let result = sql::query(
        "UPDATE tiers SET name = $3, description = $4, benefits = $5, monthly_price = $6, yearly_price = $7, \
                          currency = $8, member_cap = $9, updated_at = $10 \
         WHERE creator_id = $1 AND id = $2",
    )
    .bind(creator_id.to_string())
    .bind(tier_id.to_string())
    .bind(&fields.name)
    .bind(&fields.description)
    .bind(benefits_json(&fields.benefits))
    .bind(fields.monthly_price)
    .bind(fields.yearly_price)
    .bind(&fields.currency)
    .bind(fields.member_cap)
    .bind(Timestamp::now().as_micros())
    .execute(executor)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// Archives a tier (no new members; existing ones stay) or brings it back.
pub async fn set_archived<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    tier_id: Id,
    archived: bool,
) -> Result<bool, StoreError> {
    let now = Timestamp::now().as_micros();
    let result = sql::query("UPDATE tiers SET archived_at = $3, updated_at = $4 WHERE creator_id = $1 AND id = $2")
        .bind(creator_id.to_string())
        .bind(tier_id.to_string())
        .bind(archived.then_some(now))
        .bind(now)
        .execute(executor)
        .await?;
    Ok(result.rows_affected() > 0)
}

/// Active (not archived) tiers of a creator, for the configured maximum.
pub async fn count_active<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
) -> Result<i64, StoreError> {
    Ok(sql::query_scalar("SELECT COUNT(*) FROM tiers WHERE creator_id = $1 AND archived_at IS NULL")
        .bind(creator_id.to_string())
        .fetch_one(executor)
        .await?)
}

/// Puts a creator's tiers in the given order (lowest first). Several statements: run it in a
/// transaction.
pub async fn reorder(transaction: &mut crate::Transaction, creator_id: Id, ordered: &[Id]) -> Result<(), StoreError> {
    for (position, tier_id) in ordered.iter().enumerate() {
        sql::query("UPDATE tiers SET rank = $3 WHERE creator_id = $1 AND id = $2")
            .bind(creator_id.to_string())
            .bind(tier_id.to_string())
            .bind(i64::try_from(position).unwrap_or(i64::MAX) + 1)
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}
