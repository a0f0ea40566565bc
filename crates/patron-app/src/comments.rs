//! Comments: written by users entitled to the post, deleted by their author or the creator's
//! team, rate-limited per user.

use crate::creators::PageAccess;
use crate::{App, AppError};
use patron_domain::entitlement::Access;
use patron_domain::{Id, ValidationError};
use patron_store::comments;
use std::time::Duration;

pub use patron_store::comments::Comment;

/// Comments one user may write per minute.
const COMMENTS_PER_MINUTE: u64 = 10;
/// Comments shown per page.
pub const PAGE_SIZE: i64 = 50;

/// Comments are for those who may read the post: decided by entitlement alone, without
/// building the post's view (attachments, signed addresses, the poll).
async fn require_full_access(app: &App, page: &PageAccess, post_id: Id) -> Result<(), AppError> {
    if crate::posts::access_to(app, page, post_id).await? == Access::Full {
        Ok(())
    } else {
        Err(AppError::forbidden("not_entitled", "Comments are for those who can see the post."))
    }
}

/// The comments of a post the viewer may see, oldest first.
pub async fn list(app: &App, page: &PageAccess, post_id: Id, after: Option<Id>) -> Result<Vec<Comment>, AppError> {
    require_full_access(app, page, post_id).await?;
    let after = match after {
        Some(comment_id) => {
            let comment = comments::find(app.db.pool(), post_id, comment_id)
                .await?
                .ok_or_else(|| AppError::malformed("invalid_cursor", "The cursor is not a comment of this post."))?;
            Some((comment.created_at, comment.id))
        }
        None => None,
    };
    Ok(comments::list(app.db.pool(), post_id, after, PAGE_SIZE).await?)
}

/// Writes a comment (or a reply to a top-level comment).
pub async fn add(
    app: &App,
    page: &PageAccess,
    post_id: Id,
    body: &str,
    parent_id: Option<Id>,
) -> Result<Comment, AppError> {
    let user_id = page.require_user()?;
    require_full_access(app, page, post_id).await?;
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 5000 {
        return Err(AppError::Invalid(vec![ValidationError::new("body", "must be 1 to 5000 characters long")]));
    }
    let (parent_id, replied_to) = match parent_id {
        Some(parent_id) => {
            let parent = comments::find(app.db.pool(), post_id, parent_id).await?.ok_or_else(|| {
                AppError::Invalid(vec![ValidationError::new("parent_id", "is not a comment of this post")])
            })?;
            // threads are one level deep: a reply to a reply joins its thread
            (Some(parent.parent_id.unwrap_or(parent.id)), parent.author_id)
        }
        None => (None, None),
    };
    let written = app
        .cache
        .increment(&format!("comments:user:{user_id}"), Duration::from_secs(60))
        .await
        .map_err(AppError::unavailable)?;
    if written.count > COMMENTS_PER_MINUTE {
        return Err(AppError::RateLimited { retry_after: written.resets_in });
    }
    let mut transaction = app.db.begin_write().await?;
    let comment_id = comments::insert(&mut transaction, post_id, user_id, parent_id, body).await?;
    transaction.commit().await?;
    let comment = comments::find(app.db.pool(), post_id, comment_id)
        .await?
        .ok_or_else(|| AppError::internal("a comment vanished right after it was written"))?;
    if let Some(author) = replied_to.filter(|author| *author != user_id) {
        let data = serde_json::json!({
            "creator_slug": page.creator.slug,
            "post_id": post_id.to_string(),
            "comment_id": comment.id.to_string(),
            "author_name": comment.author_name,
        });
        app.bus.publish("comment.reply", patron_events::Audience::User(author), data).await;
    }
    Ok(comment)
}

/// Deletes a comment: its author or the creator's team may.
pub async fn delete(app: &App, page: &PageAccess, post_id: Id, comment_id: Id) -> Result<(), AppError> {
    let user_id = page.require_user()?;
    let comment = comments::find(app.db.pool(), post_id, comment_id)
        .await?
        .filter(|c| c.deleted_at.is_none())
        .ok_or_else(|| AppError::not_found("comment_not_found", "There is no such comment."))?;
    let allowed = comment.author_id == Some(user_id) || page.relation.team_role.is_some();
    if !allowed {
        return Err(AppError::forbidden(
            "not_allowed",
            "Only the comment's author or the creator's team may delete it.",
        ));
    }
    let mut transaction = app.db.begin_write().await?;
    comments::soft_delete(&mut transaction, post_id, comment_id, user_id).await?;
    transaction.commit().await?;
    Ok(())
}
