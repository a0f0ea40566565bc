//! Creator pages: loading one as a viewer sees it, creating, changing and deleting pages,
//! following, the pages a user works on, and the public list.

use crate::cursor::{decode_cursor, encode_cursor};
use crate::{App, AppError, User};
use patron_domain::Id;
use patron_domain::creator::{Slug, TeamRole, validate_bio, validate_creator_name};
use patron_domain::entitlement::Viewer;
use patron_store::creators::{self, DiscoverOrder, SlugError};
use std::collections::HashMap;

pub use patron_store::creators::{Creator, Cursor, ViewerRelation};

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
    /// The viewer's team role, or `Forbidden`.
    pub fn require_team(&self) -> Result<TeamRole, AppError> {
        self.relation
            .team_role
            .ok_or_else(|| AppError::forbidden("not_in_team", "Only the creator's team may do this."))
    }

    /// `Forbidden` unless the viewer owns the page.
    pub fn require_owner(&self) -> Result<(), AppError> {
        match self.relation.team_role {
            Some(TeamRole::Owner) => Ok(()),
            _ => Err(AppError::forbidden("not_owner", "Only the page's owner may do this.")),
        }
    }

    /// The logged-in viewer's id, or `Unauthenticated`.
    pub fn require_user(&self) -> Result<Id, AppError> {
        self.user_id.ok_or_else(AppError::log_in_first)
    }
}

fn not_found() -> AppError {
    AppError::not_found("creator_not_found", "There is no creator page at this address.")
}

/// Loads a page and how `user` relates to it, in one statement. Hidden pages exist only for
/// their team and platform admins.
pub async fn load(app: &App, slug: &str, user: Option<&User>) -> Result<PageAccess, AppError> {
    let user_id = user.map(|u| u.id);
    let (creator, relation) = creators::find_with_viewer(app.db.pool(), slug, user_id).await?.ok_or_else(not_found)?;
    let is_admin = user.is_some_and(|u| u.is_platform_admin);
    if creator.is_hidden && relation.team_role.is_none() && !is_admin {
        return Err(not_found());
    }
    let viewer = match (user, relation.team_role) {
        (_, Some(role)) => Viewer::Team(role),
        (Some(u), None) if u.is_platform_admin => Viewer::PlatformAdmin,
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
pub async fn create_page(app: &App, owner: Id, input: &PageInput) -> Result<Creator, AppError> {
    let mut errors = Vec::new();
    let slug = Slug::parse(&input.slug).map_err(|e| errors.push(e)).ok();
    let name = validate_creator_name(&input.name).map_err(|e| errors.push(e)).ok();
    let bio = validate_bio(&input.bio).map_err(|e| errors.push(e)).ok();
    let (Some(slug), Some(name), Some(bio)) = (slug, name, bio) else {
        return Err(AppError::Invalid(errors));
    };
    let mut transaction = app.db.begin_write().await?;
    let creator = match creators::insert(&mut transaction, owner, slug.as_str(), &name, &bio).await {
        Ok(creator) => creator,
        Err(SlugError::Taken) => {
            return Err(AppError::conflict("slug_taken", "Another creator page already uses this address."));
        }
        Err(SlugError::Store(error)) => return Err(error.into()),
    };
    transaction.commit().await?;
    tracing::info!(creator_id = %creator.id, slug = %creator.slug, "creator page created");
    Ok(creator)
}

/// Changes a page's name, bio and visibility (owner only).
pub async fn update_page(
    app: &App,
    access: &PageAccess,
    name: &str,
    bio: &str,
    is_hidden: bool,
) -> Result<(), AppError> {
    access.require_owner()?;
    let mut errors = Vec::new();
    let name = validate_creator_name(name).map_err(|e| errors.push(e)).ok();
    let bio = validate_bio(bio).map_err(|e| errors.push(e)).ok();
    let (Some(name), Some(bio)) = (name, bio) else {
        return Err(AppError::Invalid(errors));
    };
    creators::update(app.db.pool(), access.creator.id, &name, &bio, is_hidden).await?;
    Ok(())
}

/// Deletes a page (owner only); memberships and payments keep their history.
pub async fn delete_page(app: &App, access: &PageAccess) -> Result<(), AppError> {
    access.require_owner()?;
    creators::soft_delete(app.db.pool(), access.creator.id).await?;
    tracing::info!(creator_id = %access.creator.id, "creator page deleted");
    Ok(())
}

/// Follows or unfollows a page.
pub async fn set_following(app: &App, access: &PageAccess, follow: bool) -> Result<(), AppError> {
    let user_id = access.require_user()?;
    let mut transaction = app.db.begin_write().await?;
    if follow {
        patron_store::follows::follow(&mut transaction, user_id, access.creator.id).await?;
    } else {
        patron_store::follows::unfollow(&mut transaction, user_id, access.creator.id).await?;
    }
    transaction.commit().await?;
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
    app: &App,
    sort: Option<&str>,
    search: Option<&str>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<DiscoverPage, AppError> {
    let order = match sort.map(str::trim).unwrap_or("newest") {
        "" | "newest" => DiscoverOrder::Newest,
        "popular" => DiscoverOrder::Popular,
        _ => return Err(AppError::malformed("invalid_sort", "sort must be newest or popular")),
    };
    let after = decode_cursor(cursor)?;
    let search = search.map(str::trim).filter(|s| !s.is_empty() && s.chars().count() <= 100);
    let list = patron_store::creators::discover(app.db.pool(), order, search, after, limit).await?;
    let next_cursor = (list.len() as i64 == limit).then(|| list.last()).flatten().map(|c| {
        let key = match order {
            DiscoverOrder::Newest => c.created_at.as_micros(),
            DiscoverOrder::Popular => c.supporters_count,
        };
        encode_cursor(Cursor { key, id: c.id })
    });
    Ok(DiscoverPage { creators: list, next_cursor })
}

/// The pages `user_id` owns or contributes to, with their role.
pub async fn of_member(app: &App, user_id: Id) -> Result<Vec<(Creator, TeamRole)>, AppError> {
    Ok(creators::list_for_member(app.db.pool(), user_id).await?)
}

/// A page by its id, whatever its state (for lists that name the page of a payment).
pub async fn by_id(app: &App, creator_id: Id) -> Result<Option<Creator>, AppError> {
    Ok(creators::find_by_id(app.db.pool(), creator_id).await?)
}

/// The pages whose live events reach `user_id`: those they follow, belong to or work on.
pub async fn of_interest(app: &App, user_id: Id) -> Result<Vec<Id>, AppError> {
    Ok(patron_store::follows::creators_of_interest(app.db.pool(), user_id).await?)
}

/// A page's name and address, for lists that show whose a payment or membership is.
#[derive(Debug, Clone, Default)]
pub struct PageName {
    /// Name.
    pub name: String,
    /// Address.
    pub slug: String,
}

/// The names of the pages `ids` refer to; pages that are gone are left out.
pub async fn names(app: &App, ids: &[Id]) -> Result<HashMap<Id, PageName>, AppError> {
    let mut names = HashMap::new();
    for &creator_id in ids {
        if let std::collections::hash_map::Entry::Vacant(entry) = names.entry(creator_id)
            && let Some(creator) = patron_store::creators::find_by_id(app.db.pool(), creator_id).await?
        {
            entry.insert(PageName { name: creator.name, slug: creator.slug });
        }
    }
    Ok(names)
}
