//! Creator pages, tiers and teams: the operations the JSON API and the web pages share.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use axum::http::StatusCode;
use patron_domain::creator::{Slug, TeamRole, validate_bio, validate_creator_name};
use patron_domain::entitlement::Viewer;
use patron_domain::tier::{TierDraft, ValidTier};
use patron_domain::{Email, Id, SecretToken, Timestamp, ValidationError};
use patron_store::creators::{self, Creator, Cursor, DiscoverOrder, Invitation, SlugError, ViewerRelation};
use patron_store::tiers::{self, Tier, TierFields};
use std::time::Duration;

/// How long an invitation link works.
pub const INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// A creator page as one viewer sees it.
#[derive(Debug, Clone)]
pub struct PageAccess {
    /// The page.
    pub creator: Creator,
    /// How the viewer relates to it.
    pub relation: ViewerRelation,
    /// The viewer, for entitlement.
    pub viewer: Viewer,
    /// The viewer's id, when logged in.
    pub user_id: Option<Id>,
}

impl PageAccess {
    /// The viewer's team role, or 403.
    pub fn require_team(&self) -> Result<TeamRole, ApiError> {
        self.relation
            .team_role
            .ok_or_else(|| ApiError::forbidden("not_in_team", "Only the creator's team may do this."))
    }

    /// 403 unless the viewer owns the page.
    pub fn require_owner(&self) -> Result<(), ApiError> {
        match self.relation.team_role {
            Some(TeamRole::Owner) => Ok(()),
            _ => Err(ApiError::forbidden("not_owner", "Only the page's owner may do this.")),
        }
    }

    /// The logged-in viewer's id, or 401.
    pub fn require_user(&self) -> Result<Id, ApiError> {
        self.user_id.ok_or_else(ApiError::unauthenticated)
    }
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "creator_not_found", "There is no creator page at this address.")
}

/// Loads a page and how `user` relates to it, in one statement. Hidden pages exist only for
/// their team and platform admins.
pub async fn load(state: &AppState, slug: &str, user: Option<&CurrentUser>) -> Result<PageAccess, ApiError> {
    let user_id = user.map(|u| u.user.id);
    let (creator, relation) =
        creators::find_with_viewer(state.db.pool(), slug, user_id).await?.ok_or_else(not_found)?;
    let is_admin = user.is_some_and(|u| u.user.is_platform_admin);
    if creator.is_hidden && relation.team_role.is_none() && !is_admin {
        return Err(not_found());
    }
    let viewer = match (user, relation.team_role) {
        (_, Some(role)) => Viewer::Team(role),
        (Some(u), None) if u.user.is_platform_admin => Viewer::PlatformAdmin,
        (Some(_), None) => Viewer::Fan { membership: relation.membership.as_ref().map(|m| m.facts()) },
        (None, None) => Viewer::Anonymous,
    };
    Ok(PageAccess { creator, relation, viewer, user_id })
}

/// What a new page needs.
#[derive(Debug, Clone, Default)]
pub struct PageInput {
    /// Address.
    pub slug: String,
    /// Name.
    pub name: String,
    /// About text.
    pub bio: String,
}

/// Creates a page owned by `owner`.
pub async fn create_page(state: &AppState, owner: Id, input: &PageInput) -> Result<Creator, ApiError> {
    let mut errors = Vec::new();
    let slug = Slug::parse(&input.slug).map_err(|e| errors.push(e)).ok();
    let name = validate_creator_name(&input.name).map_err(|e| errors.push(e)).ok();
    let bio = validate_bio(&input.bio).map_err(|e| errors.push(e)).ok();
    let (Some(slug), Some(name), Some(bio)) = (slug, name, bio) else {
        return Err(ApiError::validation(errors));
    };
    let mut transaction = state.db.begin_write().await?;
    let creator = match creators::insert(&mut transaction, owner, slug.as_str(), &name, &bio).await {
        Ok(creator) => creator,
        Err(SlugError::Taken) => {
            return Err(ApiError::conflict("slug_taken", "Another creator page already uses this address."));
        }
        Err(SlugError::Store(error)) => return Err(error.into()),
    };
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    tracing::info!(creator_id = %creator.id, slug = %creator.slug, "creator page created");
    Ok(creator)
}

/// Changes a page's name, bio and visibility (owner only).
pub async fn update_page(
    state: &AppState,
    access: &PageAccess,
    name: &str,
    bio: &str,
    is_hidden: bool,
) -> Result<(), ApiError> {
    access.require_owner()?;
    let mut errors = Vec::new();
    let name = validate_creator_name(name).map_err(|e| errors.push(e)).ok();
    let bio = validate_bio(bio).map_err(|e| errors.push(e)).ok();
    let (Some(name), Some(bio)) = (name, bio) else {
        return Err(ApiError::validation(errors));
    };
    creators::update(state.db.pool(), access.creator.id, &name, &bio, is_hidden).await?;
    Ok(())
}

/// Deletes a page (owner only); memberships and payments keep their history.
pub async fn delete_page(state: &AppState, access: &PageAccess) -> Result<(), ApiError> {
    access.require_owner()?;
    creators::soft_delete(state.db.pool(), access.creator.id).await?;
    tracing::info!(creator_id = %access.creator.id, "creator page deleted");
    Ok(())
}

/// Follows or unfollows a page.
pub async fn set_following(state: &AppState, access: &PageAccess, follow: bool) -> Result<(), ApiError> {
    let user_id = access.require_user()?;
    let mut transaction = state.db.begin_write().await?;
    if follow {
        patron_store::follows::follow(&mut transaction, user_id, access.creator.id).await?;
    } else {
        patron_store::follows::unfollow(&mut transaction, user_id, access.creator.id).await?;
    }
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    Ok(())
}

/// The tiers a viewer may see: active ones, and archived ones too for the team.
pub async fn visible_tiers(state: &AppState, access: &PageAccess) -> Result<Vec<Tier>, ApiError> {
    let include_archived = access.relation.team_role.is_some();
    Ok(tiers::list(state.db.pool(), access.creator.id, include_archived).await?)
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
pub async fn create_tier(state: &AppState, access: &PageAccess, draft: TierDraft) -> Result<Tier, ApiError> {
    access.require_owner()?;
    let valid = patron_domain::tier::validate(draft).map_err(ApiError::validation)?;
    let active = tiers::count_active(state.db.pool(), access.creator.id).await?;
    if active >= i64::from(state.settings.max_tiers) {
        return Err(ApiError::conflict(
            "too_many_tiers",
            format!("A page may have at most {} active tiers; archive one first.", state.settings.max_tiers),
        ));
    }
    let tier_id = tiers::insert(state.db.pool(), access.creator.id, &tier_fields(valid)).await?;
    tiers::find(state.db.pool(), access.creator.id, tier_id)
        .await?
        .ok_or_else(|| ApiError::internal("a tier vanished right after it was created"))
}

/// Changes a tier (owner only). Existing members keep the price they pay.
pub async fn update_tier(
    state: &AppState,
    access: &PageAccess,
    tier_id: Id,
    draft: TierDraft,
) -> Result<Tier, ApiError> {
    access.require_owner()?;
    let valid = patron_domain::tier::validate(draft).map_err(ApiError::validation)?;
    if !tiers::update(state.db.pool(), access.creator.id, tier_id, &tier_fields(valid)).await? {
        return Err(tier_not_found());
    }
    tiers::find(state.db.pool(), access.creator.id, tier_id).await?.ok_or_else(tier_not_found)
}

/// Archives or restores a tier (owner only). Restoring counts against the maximum.
pub async fn set_tier_archived(
    state: &AppState,
    access: &PageAccess,
    tier_id: Id,
    archived: bool,
) -> Result<(), ApiError> {
    access.require_owner()?;
    if !archived
        && tiers::count_active(state.db.pool(), access.creator.id).await? >= i64::from(state.settings.max_tiers)
    {
        return Err(ApiError::conflict("too_many_tiers", "Archive another tier first."));
    }
    if tiers::set_archived(state.db.pool(), access.creator.id, tier_id, archived).await? {
        Ok(())
    } else {
        Err(tier_not_found())
    }
}

/// Puts the tiers in a new order, lowest first (owner only); the list must name every tier.
pub async fn reorder_tiers(state: &AppState, access: &PageAccess, ordered: &[Id]) -> Result<(), ApiError> {
    access.require_owner()?;
    let existing = tiers::list(state.db.pool(), access.creator.id, true).await?;
    let mut given: Vec<Id> = ordered.to_vec();
    given.sort();
    given.dedup();
    let mut known: Vec<Id> = existing.iter().map(|t| t.id).collect();
    known.sort();
    if given != known || ordered.len() != known.len() {
        return Err(ApiError::validation(vec![ValidationError::new(
            "tier_ids",
            "must list every tier of the page once",
        )]));
    }
    let mut transaction = state.db.begin_write().await?;
    tiers::reorder(&mut transaction, access.creator.id, ordered).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    Ok(())
}

fn tier_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "tier_not_found", "This page has no such tier.")
}

/// Invites someone to the team (owner only) and mails them the link, in the owner's language;
/// the link is also returned, for the owner to pass on by other means.
pub async fn invite(
    state: &AppState,
    access: &PageAccess,
    email: &str,
) -> Result<(SecretToken, Invitation, String), ApiError> {
    access.require_owner()?;
    let email = Email::parse(email).map_err(|e| ApiError::validation(vec![e]))?;
    let invited_by = access.require_user()?;
    let inviter =
        patron_store::users::find_by_id(state.db.pool(), invited_by).await?.ok_or_else(ApiError::unauthenticated)?;
    let (seed, token) = patron_mail::new_link_token(state.secret_key.expose());
    let mut transaction = state.db.begin_write().await?;
    let invitation =
        creators::invite(&mut *transaction, access.creator.id, email.as_str(), invited_by, &token, INVITATION_TTL)
            .await?;
    let link = format!("{}/invitations/{}", state.settings.public_url.as_str().trim_end_matches('/'), token.expose());
    let mail = patron_mail::jobs::EmailJob {
        key: format!("invitation:{}", invitation.id),
        to: invitation.email.clone(),
        locale: inviter.locale.clone(),
        template: patron_mail::Template::TeamInvitation {
            creator_name: access.creator.name.clone(),
            inviter_name: inviter.display_name.clone(),
        },
        link: patron_mail::Link::Secret { path: "/invitations/".to_owned(), seed },
        unsubscribe: None,
    };
    patron_mail::jobs::enqueue_email(&mut *transaction, &mail).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    Ok((token, invitation, link))
}

/// An open invitation by the token from its link.
pub async fn open_invitation(state: &AppState, token: &str) -> Result<(Invitation, Creator), ApiError> {
    let not_found = || {
        ApiError::new(StatusCode::NOT_FOUND, "invitation_not_found", "This invitation is unknown, used up or expired.")
    };
    let token = SecretToken::parse(token).ok_or_else(not_found)?;
    creators::find_open_invitation(state.db.pool(), &token, Timestamp::now()).await?.ok_or_else(not_found)
}

/// Accepts an invitation for the current user.
pub async fn accept_invitation(state: &AppState, user: &CurrentUser, token: &str) -> Result<Creator, ApiError> {
    let (invitation, creator) = open_invitation(state, token).await?;
    let mut transaction = state.db.begin_write().await?;
    let accepted = creators::accept_invitation(&mut transaction, &invitation, user.user.id).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    if !accepted {
        return Err(ApiError::conflict("invitation_used", "This invitation was used or withdrawn meanwhile."));
    }
    tracing::info!(creator_id = %creator.id, user_id = %user.user.id, "joined a creator's team");
    Ok(creator)
}

/// Removes a contributor: the owner may remove anyone but themself; a contributor may leave.
pub async fn remove_member(state: &AppState, access: &PageAccess, member: Id) -> Result<(), ApiError> {
    let role = access.require_team()?;
    let me = access.require_user()?;
    if role != TeamRole::Owner && member != me {
        return Err(ApiError::forbidden("not_owner", "Only the owner may remove other team members."));
    }
    if creators::remove_contributor(state.db.pool(), access.creator.id, member).await? {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "cannot_remove",
            "No such contributor; the owner cannot leave, only hand the page over first.",
        ))
    }
}

/// Hands the page over to another team member (owner only).
pub async fn transfer_ownership(state: &AppState, access: &PageAccess, new_owner: Id) -> Result<(), ApiError> {
    access.require_owner()?;
    let mut transaction = state.db.begin_write().await?;
    let done = creators::transfer_ownership(&mut transaction, access.creator.id, new_owner).await?;
    if !done {
        // the transaction rolls back when dropped
        return Err(ApiError::conflict(
            "not_in_team",
            "Invite them to the team first; only a team member can take over.",
        ));
    }
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    tracing::info!(creator_id = %access.creator.id, new_owner = %new_owner, "page handed over");
    Ok(())
}

/// A page of the public list of creators.
pub struct DiscoverPage {
    /// The pages.
    pub creators: Vec<Creator>,
    /// Where the next page starts.
    pub next_cursor: Option<String>,
}

/// Reads the public list's parameters and fetches one page of it.
pub async fn discover(
    state: &AppState,
    sort: Option<&str>,
    search: Option<&str>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<DiscoverPage, ApiError> {
    let order = match sort.map(str::trim).unwrap_or("newest") {
        "" | "newest" => DiscoverOrder::Newest,
        "popular" => DiscoverOrder::Popular,
        _ => return Err(ApiError::bad_request("invalid_sort", "sort must be newest or popular")),
    };
    let after = crate::posts::decode_cursor(cursor)?;
    let search = search.map(str::trim).filter(|s| !s.is_empty() && s.chars().count() <= 100);
    let list = patron_store::creators::discover(state.db.pool(), order, search, after, limit).await?;
    let next_cursor = (list.len() as i64 == limit).then(|| list.last()).flatten().map(|c| {
        let key = match order {
            DiscoverOrder::Newest => c.created_at.as_micros(),
            DiscoverOrder::Popular => c.supporters_count,
        };
        crate::posts::encode_cursor(Cursor { key, id: c.id })
    });
    Ok(DiscoverPage { creators: list, next_cursor })
}
