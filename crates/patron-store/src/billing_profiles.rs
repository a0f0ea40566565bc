//! Billing profiles (`billing_profiles`): where a buyer is and, for a business, its name and
//! VAT ID with VIES's answer. Made with a checkout and kept by the membership it starts.

use crate::row::{id, opt_time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{Id, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A buyer's billing profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BillingProfile {
    /// Its id.
    pub id: Id,
    /// The buyer.
    pub user_id: Id,
    /// The country decided on (ISO 3166 alpha-2).
    pub country: String,
    /// The country the buyer stated.
    pub stated_country: Option<String>,
    /// The country of the IP address the checkout came from.
    pub ip_country: Option<String>,
    /// The card's country, once the provider reported it.
    pub card_country: Option<String>,
    /// A business's name.
    pub company_name: Option<String>,
    /// A business's VAT ID (compact form).
    pub vat_id: Option<String>,
    /// VIES's answer: `confirmed`, `unverified` (no answer yet) or `invalid`.
    pub vat_id_status: Option<String>,
    /// When VIES was last asked.
    pub vat_id_checked_at: Option<Timestamp>,
}

const COLUMNS: &str = "billing_profiles.id, billing_profiles.user_id, billing_profiles.country, \
     billing_profiles.stated_country, billing_profiles.ip_country, billing_profiles.card_country, \
     billing_profiles.company_name, billing_profiles.vat_id, billing_profiles.vat_id_status, \
     billing_profiles.vat_id_checked_at";

fn profile_of(row: &AnyRow) -> Result<BillingProfile, StoreError> {
    Ok(BillingProfile {
        id: id(row, "id")?,
        user_id: id(row, "user_id")?,
        country: row.try_get("country")?,
        stated_country: row.try_get("stated_country")?,
        ip_country: row.try_get("ip_country")?,
        card_country: row.try_get("card_country")?,
        company_name: row.try_get("company_name")?,
        vat_id: row.try_get("vat_id")?,
        vat_id_status: row.try_get("vat_id_status")?,
        vat_id_checked_at: opt_time(row, "vat_id_checked_at")?,
    })
}

/// Writes a new profile.
pub async fn insert<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    profile: &BillingProfile,
) -> Result<(), StoreError> {
    let now = Timestamp::now().as_micros();
    sql::query(
        "INSERT INTO billing_profiles (id, user_id, country, stated_country, ip_country, card_country, company_name, \
         vat_id, vat_id_status, vat_id_checked_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(profile.id.to_string())
    .bind(profile.user_id.to_string())
    .bind(profile.country.clone())
    .bind(profile.stated_country.clone())
    .bind(profile.ip_country.clone())
    .bind(profile.card_country.clone())
    .bind(profile.company_name.clone())
    .bind(profile.vat_id.clone())
    .bind(profile.vat_id_status.clone())
    .bind(profile.vat_id_checked_at.map(Timestamp::as_micros))
    .bind(now)
    .execute(executor)
    .await?;
    Ok(())
}

/// The profile a membership is billed by, when it has one (memberships joined before
/// profiles existed have none).
pub async fn of_membership<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    membership_id: Id,
) -> Result<Option<BillingProfile>, StoreError> {
    let row = sql::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM billing_profiles JOIN memberships ON memberships.billing_profile_id = billing_profiles.id \
         WHERE memberships.id = $1"
    )))
    .bind(membership_id.to_string())
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(profile_of).transpose()
}

/// One profile.
pub async fn find<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    profile_id: Id,
) -> Result<Option<BillingProfile>, StoreError> {
    let row = sql::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM billing_profiles WHERE id = $1")))
        .bind(profile_id.to_string())
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(profile_of).transpose()
}

/// Bills a membership by a profile from now on.
pub async fn attach(connection: &mut sqlx::AnyConnection, membership_id: Id, profile_id: Id) -> Result<(), StoreError> {
    sql::query("UPDATE memberships SET billing_profile_id = $2 WHERE id = $1")
        .bind(membership_id.to_string())
        .bind(profile_id.to_string())
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Records the country of the card a membership's profile pays with, as the provider
/// reported it.
pub async fn set_card_country(
    connection: &mut sqlx::AnyConnection,
    profile_id: Id,
    country: &str,
) -> Result<(), StoreError> {
    sql::query("UPDATE billing_profiles SET card_country = $2, updated_at = $3 WHERE id = $1")
        .bind(profile_id.to_string())
        .bind(country.to_owned())
        .bind(Timestamp::now().as_micros())
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Records VIES's answer about a profile's VAT ID.
pub async fn set_vat_id_status<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    profile_id: Id,
    status: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    sql::query("UPDATE billing_profiles SET vat_id_status = $2, vat_id_checked_at = $3, updated_at = $3 WHERE id = $1")
        .bind(profile_id.to_string())
        .bind(status.to_owned())
        .bind(at.as_micros())
        .execute(executor)
        .await?;
    Ok(())
}

/// Profiles whose VAT ID VIES has not answered for yet, last asked longest ago first.
pub async fn unverified<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    limit: i64,
) -> Result<Vec<BillingProfile>, StoreError> {
    let rows = sql::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM billing_profiles WHERE vat_id_status = 'unverified' \
         ORDER BY vat_id_checked_at, id LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(executor)
    .await?;
    rows.iter().map(profile_of).collect()
}
