//! A page's tiers: listing, adding, changing, archiving and ordering them (owner only).

use crate::creators::PageAccess;
use crate::{App, AppError};
use patron_domain::tier::{TierDraft, ValidTier};
use patron_domain::{Id, ValidationError};
use patron_store::tiers::{self, TierFields};

pub use patron_store::tiers::Tier;

/// The tiers a viewer may see: active ones, and archived ones too for the team.
pub async fn visible_tiers(app: &App, access: &PageAccess) -> Result<Vec<Tier>, AppError> {
    let include_archived = access.relation.team_role.is_some();
    Ok(tiers::list(app.db.pool(), access.creator.id, include_archived).await?)
}

fn tier_fields(valid: ValidTier) -> TierFields {
    TierFields {
        name: valid.name,
        description: valid.description,
        benefits: valid.benefits,
        monthly_price: valid.monthly_price,
        yearly_price: valid.yearly_price,
        currency: valid.currency.code().to_owned(),
        member_cap: valid.member_cap,
    }
}

/// Adds a tier (owner only), within the configured maximum of active tiers.
pub async fn create_tier(app: &App, access: &PageAccess, draft: TierDraft) -> Result<Tier, AppError> {
    access.require_owner()?;
    let valid = patron_domain::tier::validate(draft).map_err(AppError::Invalid)?;
    let active = tiers::count_active(app.db.pool(), access.creator.id).await?;
    if active >= i64::from(app.settings.max_tiers) {
        return Err(AppError::conflict(
            "too_many_tiers",
            format!("A page may have at most {} active tiers; archive one first.", app.settings.max_tiers),
        ));
    }
    let tier_id = tiers::insert(app.db.pool(), access.creator.id, &tier_fields(valid)).await?;
    tiers::find(app.db.pool(), access.creator.id, tier_id)
        .await?
        .ok_or_else(|| AppError::internal("a tier vanished right after it was created"))
}

/// Changes a tier (owner only). Existing members keep the price they pay.
pub async fn update_tier(app: &App, access: &PageAccess, tier_id: Id, draft: TierDraft) -> Result<Tier, AppError> {
    access.require_owner()?;
    let valid = patron_domain::tier::validate(draft).map_err(AppError::Invalid)?;
    if !tiers::update(app.db.pool(), access.creator.id, tier_id, &tier_fields(valid)).await? {
        return Err(tier_not_found());
    }
    tiers::find(app.db.pool(), access.creator.id, tier_id).await?.ok_or_else(tier_not_found)
}

/// Archives or restores a tier (owner only). Restoring counts against the maximum.
pub async fn set_tier_archived(app: &App, access: &PageAccess, tier_id: Id, archived: bool) -> Result<(), AppError> {
    access.require_owner()?;
    if !archived && tiers::count_active(app.db.pool(), access.creator.id).await? >= i64::from(app.settings.max_tiers) {
        return Err(AppError::conflict("too_many_tiers", "Archive another tier first."));
    }
    if tiers::set_archived(app.db.pool(), access.creator.id, tier_id, archived).await? {
        Ok(())
    } else {
        Err(tier_not_found())
    }
}

/// Puts the tiers in a new order, lowest first (owner only); the list must name every tier.
pub async fn reorder_tiers(app: &App, access: &PageAccess, ordered: &[Id]) -> Result<(), AppError> {
    access.require_owner()?;
    let existing = tiers::list(app.db.pool(), access.creator.id, true).await?;
    let mut given: Vec<Id> = ordered.to_vec();
    given.sort();
    given.dedup();
    let mut known: Vec<Id> = existing.iter().map(|t| t.id).collect();
    known.sort();
    if given != known || ordered.len() != known.len() {
        return Err(AppError::Invalid(vec![ValidationError::new("tier_ids", "must list every tier of the page once")]));
    }
    let mut transaction = app.db.begin_write().await?;
    tiers::reorder(&mut transaction, access.creator.id, ordered).await?;
    transaction.commit().await?;
    Ok(())
}

/// Moves a tier one place earlier (`earlier`) or later in the page's order (owner only); the
/// first cannot move earlier nor the last later, which changes nothing.
pub async fn move_tier(app: &App, access: &PageAccess, tier_id: Id, earlier: bool) -> Result<(), AppError> {
    access.require_owner()?;
    let mut order: Vec<Id> = tiers::list(app.db.pool(), access.creator.id, true).await?.iter().map(|t| t.id).collect();
    let at = order.iter().position(|id| *id == tier_id).ok_or_else(tier_not_found)?;
    let other = if earlier { at.checked_sub(1) } else { Some(at + 1).filter(|i| *i < order.len()) };
    let Some(other) = other else { return Ok(()) };
    order.swap(at, other);
    reorder_tiers(app, access, &order).await
}

/// The page has no such tier.
pub fn tier_not_found() -> AppError {
    AppError::not_found("tier_not_found", "This page has no such tier.")
}

/// One tier of a page, archived or not; `NotFound` `tier_not_found` when the page has no such tier.
pub async fn find(app: &App, creator_id: Id, tier_id: Id) -> Result<Tier, AppError> {
    tiers::find(app.db.pool(), creator_id, tier_id).await?.ok_or_else(tier_not_found)
}

/// A tier id as a client sent it; an unreadable one is a tier that does not exist.
pub fn parse_id(text: &str) -> Result<Id, AppError> {
    text.trim().parse().map_err(|_| tier_not_found())
}
