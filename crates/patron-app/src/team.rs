//! A page's team: the owner invites contributors by e-mail, they accept with the link, leave
//! or are removed; the owner can hand the page over.

use crate::creators::PageAccess;
use crate::{App, AppError, User};
use patron_domain::creator::TeamRole;
use patron_domain::{Email, Id, SecretToken, Timestamp};
use patron_store::creators;
use std::time::Duration;

pub use patron_store::creators::{Creator, Invitation};

/// How long an invitation link works.
pub const INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Invites someone to the team (owner only) and mails them the link, in the owner's language;
/// the link is also returned, for the owner to pass on by other means.
pub async fn invite(
    app: &App,
    access: &PageAccess,
    email: &str,
) -> Result<(SecretToken, Invitation, String), AppError> {
    access.require_owner()?;
    let email = Email::parse(email).map_err(|e| AppError::Invalid(vec![e]))?;
    let invited_by = access.require_user()?;
    let inviter =
        patron_store::users::find_by_id(app.db.pool(), invited_by).await?.ok_or_else(AppError::log_in_first)?;
    let (seed, token) = patron_mail::new_link_token(app.secret_key.expose());
    let mut transaction = app.db.begin_write().await?;
    let invitation =
        creators::invite(&mut *transaction, access.creator.id, email.as_str(), invited_by, &token, INVITATION_TTL)
            .await?;
    let link = app.url(&format!("/invitations/{}", token.expose()));
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
    transaction.commit().await?;
    Ok((token, invitation, link))
}

/// An open invitation by the token from its link.
pub async fn open_invitation(app: &App, token: &str) -> Result<(Invitation, Creator), AppError> {
    let not_found = || AppError::not_found("invitation_not_found", "This invitation is unknown, used up or expired.");
    let token = SecretToken::parse(token).ok_or_else(not_found)?;
    creators::find_open_invitation(app.db.pool(), &token, Timestamp::now()).await?.ok_or_else(not_found)
}

/// Accepts an invitation for the current user.
pub async fn accept_invitation(app: &App, user: &User, token: &str) -> Result<Creator, AppError> {
    let (invitation, creator) = open_invitation(app, token).await?;
    let mut transaction = app.db.begin_write().await?;
    let accepted = creators::accept_invitation(&mut transaction, &invitation, user.id).await?;
    transaction.commit().await?;
    if !accepted {
        return Err(AppError::conflict("invitation_used", "This invitation was used or withdrawn meanwhile."));
    }
    tracing::info!(creator_id = %creator.id, user_id = %user.id, "joined a creator's team");
    Ok(creator)
}

/// Removes a contributor: the owner may remove anyone but themself; a contributor may leave.
pub async fn remove_member(app: &App, access: &PageAccess, member: Id) -> Result<(), AppError> {
    let role = access.require_team()?;
    let me = access.require_user()?;
    if role != TeamRole::Owner && member != me {
        return Err(AppError::forbidden("not_owner", "Only the owner may remove other team members."));
    }
    if creators::remove_contributor(app.db.pool(), access.creator.id, member).await? {
        Ok(())
    } else {
        Err(AppError::conflict(
            "cannot_remove",
            "No such contributor; the owner cannot leave, only hand the page over first.",
        ))
    }
}

/// Hands the page over to another team member (owner only).
pub async fn transfer_ownership(app: &App, access: &PageAccess, new_owner: Id) -> Result<(), AppError> {
    access.require_owner()?;
    let mut transaction = app.db.begin_write().await?;
    let done = creators::transfer_ownership(&mut transaction, access.creator.id, new_owner).await?;
    if !done {
        // the transaction rolls back when dropped
        return Err(AppError::conflict(
            "not_in_team",
            "Invite them to the team first; only a team member can take over.",
        ));
    }
    transaction.commit().await?;
    tracing::info!(creator_id = %access.creator.id, new_owner = %new_owner, "page handed over");
    Ok(())
}

/// A member of a page's team as another member sees them.
#[derive(Debug, Clone)]
pub struct Member {
    /// The user.
    pub user_id: Id,
    /// Their name.
    pub display_name: String,
    /// Their e-mail address: shown to the owner only.
    pub email: Option<String>,
    /// Their role.
    pub role: TeamRole,
    /// Since when.
    pub joined_at: Timestamp,
}

/// The team of a page, owner first, for its members.
pub async fn members(app: &App, access: &PageAccess) -> Result<Vec<Member>, AppError> {
    let role = access.require_team()?;
    let team = creators::team(app.db.pool(), access.creator.id).await?;
    Ok(team
        .into_iter()
        .map(|m| Member {
            user_id: m.user_id,
            display_name: m.display_name,
            email: (role == TeamRole::Owner).then_some(m.email),
            role: m.role,
            joined_at: m.joined_at,
        })
        .collect())
}

/// The open invitations of a page (owner only).
pub async fn open_invitations(app: &App, access: &PageAccess) -> Result<Vec<Invitation>, AppError> {
    access.require_owner()?;
    Ok(creators::open_invitations(app.db.pool(), access.creator.id, Timestamp::now()).await?)
}

/// Withdraws an open invitation (owner only); `NotFound` when the page has no such invitation.
pub async fn revoke_invitation(app: &App, access: &PageAccess, invitation_id: &str) -> Result<(), AppError> {
    access.require_owner()?;
    if creators::revoke_invitation(app.db.pool(), access.creator.id, invitation_id).await? {
        Ok(())
    } else {
        Err(AppError::nothing_here())
    }
}

/// Adds an account to the page's team as a contributor directly (owner only) — for the
/// demo's team; people invited by the owner join through [`accept_invitation`].
pub async fn add_contributor(app: &App, access: &PageAccess, user_id: Id) -> Result<(), AppError> {
    access.require_owner()?;
    creators::add_contributor(app.db.pool(), access.creator.id, user_id).await?;
    Ok(())
}
