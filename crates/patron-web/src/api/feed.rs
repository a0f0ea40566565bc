//! `/api/v1/feed` and `/api/v1/me/feeds`: a fan's feed, and their private RSS feeds.

use super::posts::{PostResponse, post_response};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(feed)).routes(routes!(list_feeds, create_feed)).routes(routes!(revoke_feed))
}

/// A post in the feed, with its creator.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedItem {
    /// The creator's address.
    pub creator_slug: String,
    /// The creator's name.
    pub creator_name: String,
    /// The post as the fan sees it.
    pub post: PostResponse,
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedPage {
    /// Newest first.
    pub items: Vec<FeedItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Paging.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FeedQuery {
    /// From `next_cursor`.
    pub cursor: Option<String>,
}

/// The current user's feed: posts of the creators they follow or support, newest first.
#[utoipa::path(get, path = "/api/v1/feed", tag = "feed", params(FeedQuery),
    responses((status = 200, body = FeedPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn feed(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<FeedQuery>,
) -> Result<Json<FeedPage>, ApiError> {
    let (items, next_cursor) = patron_app::feed::feed(&state.app, &user.user, query.cursor.as_deref()).await?;
    Ok(Json(FeedPage {
        items: items
            .iter()
            .map(|(view, slug, name)| FeedItem {
                creator_slug: slug.clone(),
                creator_name: name.clone(),
                post: post_response(&state, slug, view, false),
            })
            .collect(),
        next_cursor,
    }))
}

/// A private RSS feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrivateFeed {
    /// Identifier (to revoke it).
    pub id: String,
    /// The creator it follows; absent for a feed of every followed creator.
    pub creator_slug: Option<String>,
    /// The feed's secret address — only in the response that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When it was made (RFC 3339).
    pub created_at: String,
}

/// Which feed to make.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateFeedRequest {
    /// One creator's posts; absent for every followed creator.
    pub creator_slug: Option<String>,
}

/// Make a private RSS feed for podcast and feed readers; the URL is shown once.
#[utoipa::path(post, path = "/api/v1/me/feeds", tag = "feed", request_body = CreateFeedRequest,
    responses((status = 201, body = PrivateFeed), (status = 404, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn create_feed(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<CreateFeedRequest>,
) -> Result<(StatusCode, Json<PrivateFeed>), ApiError> {
    let (id, url, slug) =
        patron_app::feed::create_private_feed(&state.app, &user.user, input.creator_slug.as_deref()).await?;
    Ok((
        StatusCode::CREATED,
        Json(PrivateFeed {
            id,
            creator_slug: slug,
            url: Some(url),
            created_at: patron_domain::Timestamp::now().to_rfc3339(),
        }),
    ))
}

/// The current user's private RSS feeds.
#[utoipa::path(get, path = "/api/v1/me/feeds", tag = "feed",
    responses((status = 200, body = Vec<PrivateFeed>)), security(("bearer" = []), ("session_cookie" = [])))]
async fn list_feeds(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Vec<PrivateFeed>>, ApiError> {
    let feeds = patron_app::feed::private_feeds(&state.app, user.user.id).await?;
    Ok(Json(
        feeds
            .into_iter()
            .map(|f| PrivateFeed {
                id: f.id,
                creator_slug: f.creator.map(|(slug, _)| slug),
                url: None,
                created_at: f.created_at.to_rfc3339(),
            })
            .collect(),
    ))
}

/// Revoke a private RSS feed: its URL stops working.
#[utoipa::path(delete, path = "/api/v1/me/feeds/{feed_id}", tag = "feed", params(("feed_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn revoke_feed(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(feed_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    patron_app::feed::revoke_private_feed(&state.app, user.user.id, &feed_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
