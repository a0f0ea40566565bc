//! What a creator sees of their memberships: the dashboard's numbers and the supporters
//! export.

use crate::StoreError;
use crate::row::{id, time};
use crate::sql;
use patron_domain::{Id, Timestamp};
use sqlx::Row;

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
