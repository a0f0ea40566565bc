//! Comments: written by users entitled to the post, deleted by their author or the creator's
//! team, rate-limited per user.

use crate::AppState;
use crate::creators::PageAccess;
use crate::error::ApiError;
use axum::http::StatusCode;
use patron_domain::entitlement::Access;
use patron_domain::{Id, ValidationError};
use patron_store::comments::{self, Comment};
use std::time::Duration;

/// Comments one user may write per minute.
const COMMENTS_PER_MINUTE: u64 = 10;
/// Comments shown per page.
pub const PAGE_SIZE: i64 = 50;

async fn require_full_access(state: &AppState, page: &PageAccess, post_id: Id) -> Result<(), ApiError> {
    let view = crate::posts::one_post(state, page, post_id).await?;
    if view.access == Access::Full {
        Ok(())
    } else {
        Err(ApiError::forbidden("not_entitled", "Comments are for those who can see the post."))
    }
}

/// The comments of a post the viewer may see, oldest first.
pub async fn list(
    state: &AppState,
    page: &PageAccess,
    post_id: Id,
    after: Option<Id>,
) -> Result<Vec<Comment>, ApiError> {
    require_full_access(state, page, post_id).await?;
    let after = match after {
        Some(comment_id) => {
            let comment = comments::find(state.db.pool(), post_id, comment_id)
                .await?
                .ok_or_else(|| ApiError::bad_request("invalid_cursor", "The cursor is not a comment of this post."))?;
            Some((comment.created_at, comment.id))
        }
        None => None,
    };
    Ok(comments::list(state.db.pool(), post_id, after, PAGE_SIZE).await?)
}

/// Writes a comment (or a reply to a top-level comment).
pub async fn add(
    state: &AppState,
    page: &PageAccess,
    post_id: Id,
    body: &str,
    parent_id: Option<Id>,
) -> Result<Comment, ApiError> {
    let user_id = page.require_user()?;
    require_full_access(state, page, post_id).await?;
    let body = body.trim();
    if body.is_empty() || body.chars().count() > 5000 {
        return Err(ApiError::validation(vec![ValidationError::new("body", "must be 1 to 5000 characters long")]));
    }
    let (parent_id, replied_to) = match parent_id {
        Some(parent_id) => {
            let parent = comments::find(state.db.pool(), post_id, parent_id).await?.ok_or_else(|| {
                ApiError::validation(vec![ValidationError::new("parent_id", "is not a comment of this post")])
            })?;
            // threads are one level deep: a reply to a reply joins its thread
            (Some(parent.parent_id.unwrap_or(parent.id)), parent.author_id)
        }
        None => (None, None),
    };
    let written = state
        .cache
        .increment(&format!("comments:user:{user_id}"), Duration::from_secs(60))
        .await
        .map_err(ApiError::unavailable)?;
    if written.count > COMMENTS_PER_MINUTE {
        return Err(ApiError::rate_limited(written.resets_in));
    }
    let mut transaction = state.db.begin_write().await?;
    let comment_id = comments::insert(&mut transaction, post_id, user_id, parent_id, body).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    let comment = comments::find(state.db.pool(), post_id, comment_id)
        .await?
        .ok_or_else(|| ApiError::internal("a comment vanished right after it was written"))?;
    if let Some(author) = replied_to.filter(|author| *author != user_id) {
        let data = serde_json::json!({
            "creator_slug": page.creator.slug,
            "post_id": post_id.to_string(),
            "comment_id": comment.id.to_string(),
            "author_name": comment.author_name,
        });
        state.bus.publish("comment.reply", patron_events::Audience::User(author), data).await;
    }
    Ok(comment)
}

/// Deletes a comment: its author or the creator's team may.
pub async fn delete(state: &AppState, page: &PageAccess, post_id: Id, comment_id: Id) -> Result<(), ApiError> {
    let user_id = page.require_user()?;
    let comment = comments::find(state.db.pool(), post_id, comment_id)
        .await?
        .filter(|c| c.deleted_at.is_none())
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "comment_not_found", "There is no such comment."))?;
    let allowed = comment.author_id == Some(user_id) || page.relation.team_role.is_some();
    if !allowed {
        return Err(ApiError::forbidden(
            "not_allowed",
            "Only the comment's author or the creator's team may delete it.",
        ));
    }
    let mut transaction = state.db.begin_write().await?;
    comments::soft_delete(&mut transaction, post_id, comment_id, user_id).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    Ok(())
}
