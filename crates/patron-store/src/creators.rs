//! Creator pages, their teams and the invitations that grow them.

use crate::memberships::{MEMBERSHIP_FACT_COLUMNS, ViewerMembership, viewer_membership_from_row};
use crate::row::{flag, id, opt_time, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::creator::{TeamRole, fold_for_search};
use patron_domain::{Id, SecretToken, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::time::Duration;

/// A creator page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creator {
    /// Identifier.
    pub id: Id,
    /// Address on the site (`/gordikey`).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// About text (Markdown).
    pub bio: String,
    /// Storage key of the avatar image, once the media issue stores them.
    pub avatar_key: Option<String>,
    /// Storage key of the cover image.
    pub cover_key: Option<String>,
    /// Hidden pages are reachable by their team only.
    pub is_hidden: bool,
    /// Members with an active or in-grace membership.
    pub supporters_count: i64,
    /// Followers (members follow too).
    pub followers_count: i64,
    /// When the page was created.
    pub created_at: Timestamp,
}

pub(crate) const CREATOR_COLUMNS: &str = "creators.id, creators.slug, creators.name, creators.bio, creators.avatar_key, \
     creators.cover_key, creators.is_hidden, creators.supporters_count, creators.followers_count, creators.created_at";

pub(crate) fn creator_from_row(row: &AnyRow) -> Result<Creator, StoreError> {
    Ok(Creator {
        id: id(row, "id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        bio: row.try_get("bio")?,
        avatar_key: row.try_get("avatar_key")?,
        cover_key: row.try_get("cover_key")?,
        is_hidden: flag(row, "is_hidden")?,
        supporters_count: row.try_get("supporters_count")?,
        followers_count: row.try_get("followers_count")?,
        created_at: time(row, "created_at")?,
    })
}

/// Why a creator page could not be created or renamed.
#[derive(Debug, thiserror::Error)]
pub enum SlugError {
    /// Another page has this address.
    #[error("the address is taken")]
    Taken,
    /// Anything else.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates a page owned by `owner`. Two statements: run it in a transaction.
pub async fn insert(
    transaction: &mut crate::Transaction,
    owner: Id,
    slug: &str,
    name: &str,
    bio: &str,
) -> Result<Creator, SlugError> {
    let now = Timestamp::now();
    let creator = Creator {
        id: Id::new(),
        slug: slug.to_owned(),
        name: name.to_owned(),
        bio: bio.to_owned(),
        avatar_key: None,
        cover_key: None,
        is_hidden: false,
        supporters_count: 0,
        followers_count: 0,
        created_at: now,
    };
    let inserted = sql::query(
        "INSERT INTO creators (id, slug, name, search_name, bio, is_hidden, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(creator.id.to_string())
    .bind(slug)
    .bind(name)
    .bind(fold_for_search(name))
    .bind(bio)
    .bind(false)
    .bind(now.as_micros())
    .execute(&mut **transaction)
    .await
    .map_err(StoreError::from);
    match inserted {
        Err(error) if error.is_unique_violation() => return Err(SlugError::Taken),
        other => other?,
    };
    sql::query("INSERT INTO creator_members (creator_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)")
        .bind(creator.id.to_string())
        .bind(owner.to_string())
        .bind(now.as_micros())
        .execute(&mut **transaction)
        .await
        .map_err(StoreError::from)?;
    Ok(creator)
}

/// A page by its address (deleted pages are gone; hidden ones are returned).
pub async fn find_by_slug<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    slug: &str,
) -> Result<Option<Creator>, StoreError> {
    let query =
        format!("SELECT {CREATOR_COLUMNS} FROM creators WHERE creators.slug = $1 AND creators.deleted_at IS NULL");
    let row = sql::query(sqlx::AssertSqlSafe(query)).bind(slug).fetch_optional(executor).await?;
    row.as_ref().map(creator_from_row).transpose()
}

/// A page by id (deleted pages are gone).
pub async fn find_by_id<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
) -> Result<Option<Creator>, StoreError> {
    let query =
        format!("SELECT {CREATOR_COLUMNS} FROM creators WHERE creators.id = $1 AND creators.deleted_at IS NULL");
    let row = sql::query(sqlx::AssertSqlSafe(query)).bind(creator_id.to_string()).fetch_optional(executor).await?;
    row.as_ref().map(creator_from_row).transpose()
}

/// How the viewer of a page relates to its creator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewerRelation {
    /// The viewer's role in the team, if any.
    pub team_role: Option<TeamRole>,
    /// Whether the viewer follows the page.
    pub follows: bool,
    /// The viewer's live (not expired) membership, if any.
    pub membership: Option<ViewerMembership>,
}

/// A page and how `viewer` relates to it, in one statement: the entitlement check of every
/// page view costs no extra round trip (lesson 6).
pub async fn find_with_viewer<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    slug: &str,
    viewer: Option<Id>,
) -> Result<Option<(Creator, ViewerRelation)>, StoreError> {
    let query = format!(
        "SELECT {CREATOR_COLUMNS}, creator_members.role AS viewer_role, follows.created_at AS viewer_follows, \
                {MEMBERSHIP_FACT_COLUMNS} \
         FROM creators \
         LEFT JOIN creator_members ON creator_members.creator_id = creators.id AND creator_members.user_id = $2 \
         LEFT JOIN follows ON follows.creator_id = creators.id AND follows.user_id = $2 \
         LEFT JOIN memberships ON memberships.creator_id = creators.id AND memberships.user_id = $2 \
                               AND memberships.status <> 'expired' \
         LEFT JOIN tiers ON tiers.id = memberships.tier_id \
         WHERE creators.slug = $1 AND creators.deleted_at IS NULL"
    );
    let row = sql::query(sqlx::AssertSqlSafe(query))
        .bind(slug)
        .bind(viewer.map(|v| v.to_string()))
        .fetch_optional(executor)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let role: Option<String> = row.try_get("viewer_role")?;
    let relation = ViewerRelation {
        team_role: role.as_deref().and_then(TeamRole::parse),
        follows: row.try_get::<Option<i64>, _>("viewer_follows")?.is_some(),
        membership: viewer_membership_from_row(&row)?,
    };
    Ok(Some((creator_from_row(&row)?, relation)))
}

/// Changes a page's name, bio and visibility.
pub async fn update<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    name: &str,
    bio: &str,
    is_hidden: bool,
) -> Result<(), StoreError> {
    sql::query(
        "UPDATE creators SET name = $2, search_name = $3, bio = $4, is_hidden = $5, updated_at = $6 \
         WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(creator_id.to_string())
    .bind(name)
    .bind(fold_for_search(name))
    .bind(bio)
    .bind(is_hidden)
    .bind(Timestamp::now().as_micros())
    .execute(executor)
    .await?;
    Ok(())
}

/// Deletes a page for everyone. The row stays (marked deleted), so memberships and payments
/// keep their history; the address is freed for reuse.
pub async fn soft_delete<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
) -> Result<(), StoreError> {
    let now = Timestamp::now();
    sql::query("UPDATE creators SET deleted_at = $2, updated_at = $2, slug = slug || '~deleted~' || $3 WHERE id = $1")
        .bind(creator_id.to_string())
        .bind(now.as_micros())
        .bind(now.as_micros().to_string())
        .execute(executor)
        .await?;
    Ok(())
}

/// The pages a user works on, with their role, newest first.
pub async fn list_for_member<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
) -> Result<Vec<(Creator, TeamRole)>, StoreError> {
    let query = format!(
        "SELECT {CREATOR_COLUMNS}, creator_members.role FROM creator_members \
         JOIN creators ON creators.id = creator_members.creator_id \
         WHERE creator_members.user_id = $1 AND creators.deleted_at IS NULL \
         ORDER BY creators.created_at DESC LIMIT 100"
    );
    let rows = sql::query(sqlx::AssertSqlSafe(query)).bind(user_id.to_string()).fetch_all(executor).await?;
    rows.iter()
        .map(|row| {
            let role: String = row.try_get("role")?;
            let role = TeamRole::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("team role {role:?}")))?;
            Ok((creator_from_row(row)?, role))
        })
        .collect()
}

/// How the public list of pages is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoverOrder {
    /// Newest pages first.
    Newest,
    /// Pages with the most supporters first.
    Popular,
}

/// Where the previous page of a list ended: the sort value and id of its last row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key of the last row (a time in µs, or a count).
    pub key: i64,
    /// The id of the last row, which breaks ties.
    pub id: Id,
}

/// Public, visible pages, optionally matching `search` in their names; keyset-paginated.
pub async fn discover<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    order: DiscoverOrder,
    search: Option<&str>,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Vec<Creator>, StoreError> {
    let (key, index_order) = match order {
        DiscoverOrder::Newest => ("creators.created_at", "creators.created_at DESC, creators.id DESC"),
        DiscoverOrder::Popular => ("creators.supporters_count", "creators.supporters_count DESC, creators.id DESC"),
    };
    let pattern = search.map(|s| format!("%{}%", escape_like(&fold_for_search(s))));
    let query = format!(
        "SELECT {CREATOR_COLUMNS} FROM creators \
         WHERE creators.deleted_at IS NULL AND creators.is_hidden = $1 \
           AND ($2 IS NULL OR creators.search_name LIKE $2 ESCAPE '\\') \
           AND ($3 IS NULL OR {key} < $3 OR ({key} = $3 AND creators.id < $4)) \
         ORDER BY {index_order} LIMIT $5"
    );
    let rows = sql::query(sqlx::AssertSqlSafe(query))
        .bind(false)
        .bind(pattern)
        .bind(after.map(|c| c.key))
        .bind(after.map(|c| c.id.to_string()))
        .bind(limit)
        .fetch_all(executor)
        .await?;
    rows.iter().map(creator_from_row).collect()
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A member of a page's team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    /// The user.
    pub user_id: Id,
    /// Their name.
    pub display_name: String,
    /// Their e-mail address (shown to the owner only).
    pub email: String,
    /// Their role.
    pub role: TeamRole,
    /// Since when.
    pub joined_at: Timestamp,
}

/// The team of a page, owner first.
pub async fn team<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
) -> Result<Vec<TeamMember>, StoreError> {
    let rows = sql::query(
        "SELECT creator_members.user_id, creator_members.role, creator_members.created_at, users.display_name, users.email \
         FROM creator_members JOIN users ON users.id = creator_members.user_id \
         WHERE creator_members.creator_id = $1 \
         ORDER BY CASE creator_members.role WHEN 'owner' THEN 0 ELSE 1 END, creator_members.created_at",
    )
    .bind(creator_id.to_string())
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| {
            let role: String = row.try_get("role")?;
            Ok(TeamMember {
                user_id: id(row, "user_id")?,
                display_name: row.try_get("display_name")?,
                email: row.try_get("email")?,
                role: TeamRole::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("team role {role:?}")))?,
                joined_at: time(row, "created_at")?,
            })
        })
        .collect()
}

/// Adds a user to a team as a contributor (used by demo data; invitations use
/// [`accept_invitation`]).
pub async fn add_contributor<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    user_id: Id,
) -> Result<(), StoreError> {
    sql::query(
        "INSERT INTO creator_members (creator_id, user_id, role, created_at) VALUES ($1, $2, 'contributor', $3) \
         ON CONFLICT (creator_id, user_id) DO NOTHING",
    )
    .bind(creator_id.to_string())
    .bind(user_id.to_string())
    .bind(Timestamp::now().as_micros())
    .execute(executor)
    .await?;
    Ok(())
}

/// Removes a contributor from a team (the owner cannot be removed, only replaced).
pub async fn remove_contributor<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    user_id: Id,
) -> Result<bool, StoreError> {
    let result =
        sql::query("DELETE FROM creator_members WHERE creator_id = $1 AND user_id = $2 AND role = 'contributor'")
            .bind(creator_id.to_string())
            .bind(user_id.to_string())
            .execute(executor)
            .await?;
    Ok(result.rows_affected() > 0)
}

/// Makes `new_owner` (already a contributor) the owner, and the current owner a contributor.
/// Run it in a transaction; false when `new_owner` is not in the team.
pub async fn transfer_ownership(
    transaction: &mut crate::Transaction,
    creator_id: Id,
    new_owner: Id,
) -> Result<bool, StoreError> {
    // the one-owner index forbids two owners even for a moment: demote first
    sql::query("UPDATE creator_members SET role = 'contributor' WHERE creator_id = $1 AND role = 'owner'")
        .bind(creator_id.to_string())
        .execute(&mut **transaction)
        .await?;
    let promoted = sql::query("UPDATE creator_members SET role = 'owner' WHERE creator_id = $1 AND user_id = $2")
        .bind(creator_id.to_string())
        .bind(new_owner.to_string())
        .execute(&mut **transaction)
        .await?;
    Ok(promoted.rows_affected() == 1)
}

/// An invitation to join a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// SHA-256 of the token in the link.
    pub id: String,
    /// The page.
    pub creator_id: Id,
    /// Who was invited.
    pub email: String,
    /// The role offered.
    pub role: TeamRole,
    /// When it was sent.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was accepted.
    pub accepted_at: Option<Timestamp>,
}

fn invitation_from_row(row: &AnyRow) -> Result<Invitation, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(Invitation {
        id: row.try_get("invitation_id")?,
        creator_id: id(row, "creator_id")?,
        email: row.try_get("email")?,
        role: TeamRole::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("team role {role:?}")))?,
        created_at: time(row, "invitation_created_at")?,
        expires_at: time(row, "expires_at")?,
        accepted_at: opt_time(row, "accepted_at")?,
    })
}

const INVITATION_COLUMNS: &str = "creator_invitations.id AS invitation_id, creator_invitations.creator_id, \
     creator_invitations.email, creator_invitations.role, creator_invitations.created_at AS invitation_created_at, \
     creator_invitations.expires_at, creator_invitations.accepted_at";

/// Invites `email` to the team as a contributor, with the token of the link.
pub async fn invite<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    email: &str,
    invited_by: Id,
    token: &SecretToken,
    ttl: Duration,
) -> Result<Invitation, StoreError> {
    let now = Timestamp::now();
    let invitation = Invitation {
        id: token.digest(),
        creator_id,
        email: email.to_owned(),
        role: TeamRole::Contributor,
        created_at: now,
        expires_at: now.plus(ttl),
        accepted_at: None,
    };
    sql::query(
        "INSERT INTO creator_invitations (id, creator_id, email, role, invited_by, created_at, expires_at) \
         VALUES ($1, $2, $3, 'contributor', $4, $5, $6)",
    )
    .bind(&invitation.id)
    .bind(creator_id.to_string())
    .bind(email)
    .bind(invited_by.to_string())
    .bind(now.as_micros())
    .bind(invitation.expires_at.as_micros())
    .execute(executor)
    .await?;
    Ok(invitation)
}

/// An open invitation (not accepted, revoked or expired) by the token from its link, with its page.
pub async fn find_open_invitation<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    token: &SecretToken,
    now: Timestamp,
) -> Result<Option<(Invitation, Creator)>, StoreError> {
    let query = format!(
        "SELECT {INVITATION_COLUMNS}, {CREATOR_COLUMNS} FROM creator_invitations \
         JOIN creators ON creators.id = creator_invitations.creator_id \
         WHERE creator_invitations.id = $1 AND creator_invitations.accepted_at IS NULL \
           AND creator_invitations.revoked_at IS NULL AND creator_invitations.expires_at > $2 \
           AND creators.deleted_at IS NULL"
    );
    let row = sql::query(sqlx::AssertSqlSafe(query))
        .bind(token.digest())
        .bind(now.as_micros())
        .fetch_optional(executor)
        .await?;
    row.map(|row| Ok((invitation_from_row(&row)?, creator_from_row(&row)?))).transpose()
}

/// The invitations of a page that are still open.
pub async fn open_invitations<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    now: Timestamp,
) -> Result<Vec<Invitation>, StoreError> {
    let query = format!(
        "SELECT {INVITATION_COLUMNS} FROM creator_invitations \
         WHERE creator_invitations.creator_id = $1 AND creator_invitations.accepted_at IS NULL \
           AND creator_invitations.revoked_at IS NULL AND creator_invitations.expires_at > $2 \
         ORDER BY creator_invitations.created_at DESC LIMIT 100"
    );
    let rows = sql::query(sqlx::AssertSqlSafe(query))
        .bind(creator_id.to_string())
        .bind(now.as_micros())
        .fetch_all(executor)
        .await?;
    rows.iter().map(invitation_from_row).collect()
}

/// Withdraws an open invitation.
pub async fn revoke_invitation<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    invitation_id: &str,
) -> Result<bool, StoreError> {
    let result = sql::query(
        "UPDATE creator_invitations SET revoked_at = $3 \
         WHERE id = $1 AND creator_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(invitation_id)
    .bind(creator_id.to_string())
    .bind(Timestamp::now().as_micros())
    .execute(executor)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// Accepts an invitation for `user_id`: marks it accepted and adds them to the team (unless
/// they are in it already). Run it in a transaction; false when it was no longer open.
pub async fn accept_invitation(
    transaction: &mut crate::Transaction,
    invitation: &Invitation,
    user_id: Id,
) -> Result<bool, StoreError> {
    let now = Timestamp::now();
    let marked = sql::query(
        "UPDATE creator_invitations SET accepted_at = $2, accepted_by = $3 \
         WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(&invitation.id)
    .bind(now.as_micros())
    .bind(user_id.to_string())
    .execute(&mut **transaction)
    .await?;
    if marked.rows_affected() == 0 {
        return Ok(false);
    }
    sql::query(
        "INSERT INTO creator_members (creator_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (creator_id, user_id) DO NOTHING",
    )
    .bind(invitation.creator_id.to_string())
    .bind(user_id.to_string())
    .bind(invitation.role.as_str())
    .bind(now.as_micros())
    .execute(&mut **transaction)
    .await?;
    Ok(true)
}

/// How `viewer` relates to each of several creators (team role and live membership), in one
/// statement — for lists that mix creators, such as the feed.
pub async fn relations<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    viewer: Id,
    creator_ids: &[Id],
) -> Result<std::collections::HashMap<Id, ViewerRelation>, StoreError> {
    if creator_ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let placeholders: Vec<String> = (2..2 + creator_ids.len()).map(|n| format!("${n}")).collect();
    let query = format!(
        "SELECT creators.id AS creator_id, creator_members.role AS viewer_role, {MEMBERSHIP_FACT_COLUMNS} \
         FROM creators \
         LEFT JOIN creator_members ON creator_members.creator_id = creators.id AND creator_members.user_id = $1 \
         LEFT JOIN memberships ON memberships.creator_id = creators.id AND memberships.user_id = $1 \
                               AND memberships.status <> 'expired' \
         LEFT JOIN tiers ON tiers.id = memberships.tier_id \
         WHERE creators.id IN ({})",
        placeholders.join(", ")
    );
    let mut statement = sql::query(sqlx::AssertSqlSafe(query)).bind(viewer.to_string());
    for creator_id in creator_ids {
        statement = statement.bind(creator_id.to_string());
    }
    let rows = statement.fetch_all(executor).await?;
    rows.iter()
        .map(|row| {
            let role: Option<String> = row.try_get("viewer_role")?;
            let relation = ViewerRelation {
                team_role: role.as_deref().and_then(TeamRole::parse),
                follows: true,
                membership: viewer_membership_from_row(row)?,
            };
            Ok((id(row, "creator_id")?, relation))
        })
        .collect()
}

/// Makes a processed file the creator's avatar or cover — `file` is the rendition pages show
/// (the column holds `<media id>/<file>`); returns the file it replaces.
pub async fn set_image(
    connection: &mut sqlx::AnyConnection,
    creator_id: Id,
    purpose: crate::media::Purpose,
    media_id: Id,
    file: &str,
) -> Result<Option<Id>, StoreError> {
    let column = match purpose {
        crate::media::Purpose::Avatar => "avatar_key",
        crate::media::Purpose::Cover => "cover_key",
        _ => return Ok(None),
    };
    let previous: Option<Option<String>> =
        sql::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {column} FROM creators WHERE id = $1")))
            .bind(creator_id.to_string())
            .fetch_optional(&mut *connection)
            .await?;
    sql::query(sqlx::AssertSqlSafe(format!("UPDATE creators SET {column} = $2 WHERE id = $1")))
        .bind(creator_id.to_string())
        .bind(format!("{media_id}/{file}"))
        .execute(&mut *connection)
        .await?;
    Ok(previous.flatten().and_then(|p| p.split('/').next().and_then(|id| id.parse().ok())).filter(|p| *p != media_id))
}
