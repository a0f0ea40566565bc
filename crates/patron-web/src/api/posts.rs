//! `/api/v1/creators/{slug}/posts…`: posts, poll votes and comments. Locked posts come back
//! as teasers — title, kind, what unlocks them — never with their body, poll or stream.

use crate::AppState;
use crate::auth::{CurrentUser, MaybeUser};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use patron_app::comments::Comment;
use patron_app::creators::{self, PageAccess};
use patron_app::polls::PollView;
use patron_app::posts::Post;
use patron_app::posts::{self, PostDraft, PostInput, PostView, Publish};
use patron_domain::entitlement::Access;
use patron_domain::post::{LiveStatus, PostKind, PostState, Visibility};
use patron_domain::{Id, Timestamp, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_posts, create_post))
        .routes(routes!(get_post, update_post, delete_post))
        .routes(routes!(pin_post, unpin_post))
        .routes(routes!(all_posts))
        .routes(routes!(vote))
        .routes(routes!(list_comments, add_comment))
        .routes(routes!(delete_comment))
}

/// The tier that unlocks a post.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierRef {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
}

/// A poll as the viewer sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollResponse {
    /// The options; `votes` and `percent` only when results are visible to the viewer.
    pub options: Vec<PollOptionResponse>,
    /// Several choices allowed.
    pub multiple: bool,
    /// Closing time.
    pub closes_at: Option<String>,
    /// Voting has ended.
    pub closed: bool,
    /// The viewer may see the counts.
    pub results_visible: bool,
    /// The viewer may vote now.
    pub can_vote: bool,
    /// The viewer has voted.
    pub voted: bool,
    /// Total votes, when visible.
    pub total_votes: Option<i64>,
}

/// A poll option.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollOptionResponse {
    /// Identifier.
    pub id: String,
    /// Text.
    pub label: String,
    /// Votes, when results are visible.
    pub votes: Option<i64>,
    /// Share of the votes in percent, when visible.
    pub percent: Option<i64>,
    /// The viewer chose it.
    pub chosen: bool,
}

fn poll_response(poll: &PollView) -> PollResponse {
    PollResponse {
        options: poll
            .options
            .iter()
            .map(|o| PollOptionResponse {
                id: o.id.to_string(),
                label: o.label.clone(),
                votes: o.votes,
                percent: o.percent,
                chosen: o.chosen,
            })
            .collect(),
        multiple: poll.multiple,
        closes_at: poll.closes_at.map(Timestamp::to_rfc3339),
        closed: poll.closed,
        results_visible: poll.results_visible,
        can_vote: poll.can_vote,
        voted: poll.voted,
        total_votes: poll.total_votes,
    }
}

/// A live stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveResponse {
    /// The stream's address (with access only).
    pub url: Option<String>,
    /// Start.
    pub starts_at: Option<String>,
    /// End, when known.
    pub ends_at: Option<String>,
    /// `upcoming`, `live` or `ended`.
    pub status: Option<LiveStatus>,
}

/// A post as the viewer sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostResponse {
    /// Identifier.
    pub id: String,
    /// `text`, `photo`, `video`, `poll` or `live`.
    pub kind: PostKind,
    /// Title (shown on teasers too).
    pub title: String,
    /// `draft`, `scheduled` or `published`.
    pub state: PostState,
    /// `public`, `supporters` or `tier`.
    pub visibility: Visibility,
    /// For `tier` posts: the lowest tier that unlocks it.
    pub min_tier: Option<TierRef>,
    /// Time-released access: public from this time.
    pub public_from: Option<String>,
    /// Publication time.
    pub published_at: Option<String>,
    /// Pinned to the top of the page.
    pub pinned: bool,
    /// True for a teaser: the viewer lacks access, and body, poll and stream are absent.
    pub locked: bool,
    /// The body rendered to safe HTML (with access only).
    pub body_html: Option<String>,
    /// The Markdown source (for the creator's team, to edit).
    pub body: Option<String>,
    /// The poll (with access only).
    pub poll: Option<PollResponse>,
    /// Live posts.
    pub live: Option<LiveResponse>,
    /// Comments.
    pub comments_count: i64,
    /// The post's web address.
    pub url: String,
    /// The attached files with short-lived addresses (with access only; a locked post shows
    /// none).
    pub media: Vec<patron_app::media::MediaView>,
}

pub(crate) fn post_response(state: &AppState, slug: &str, view: &PostView, for_team: bool) -> PostResponse {
    let post = &view.post;
    let full = view.access == Access::Full;
    let now = Timestamp::now();
    PostResponse {
        id: post.id.to_string(),
        kind: post.kind,
        title: post.title.clone(),
        state: PostState::at(post.published_at, now),
        visibility: post.visibility,
        min_tier: match (&post.min_tier_id, &post.min_tier_name) {
            (Some(id), Some(name)) => Some(TierRef { id: id.to_string(), name: name.clone() }),
            _ => None,
        },
        public_from: post.public_from.map(Timestamp::to_rfc3339),
        published_at: post.published_at.map(Timestamp::to_rfc3339),
        pinned: post.pinned,
        locked: !full,
        body_html: full.then(|| post.body_html.clone()),
        body: (full && for_team).then(|| post.body.clone()),
        poll: view.poll.as_ref().map(poll_response),
        live: (post.kind == PostKind::Live).then(|| LiveResponse {
            url: if full { post.live_url.clone() } else { None },
            starts_at: post.live_starts_at.map(Timestamp::to_rfc3339),
            ends_at: post.live_ends_at.map(Timestamp::to_rfc3339),
            status: view.live,
        }),
        comments_count: post.comments_count,
        url: format!("{}/{}/posts/{}", state.app.settings.public_url.as_str().trim_end_matches('/'), slug, post.id),
        media: if full { view.media.clone() } else { Vec::new() },
    }
}

/// A team member's view of any post of theirs (drafts included).
fn team_post_response(state: &AppState, slug: &str, post: &Post) -> PostResponse {
    let view = PostView { post: post.clone(), access: Access::Full, poll: None, live: None, media: Vec::new() };
    post_response(state, slug, &view, true)
}

/// A page of posts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostList {
    /// The posts, newest first (pinned first on the first page).
    pub posts: Vec<PostResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Paging parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// From `next_cursor`.
    pub cursor: Option<String>,
}

async fn page(state: &AppState, slug: &str, user: &MaybeUser) -> Result<PageAccess, ApiError> {
    Ok(creators::load(&state.app, slug, user.user()).await?)
}

fn post_id(text: &str) -> Result<Id, ApiError> {
    Ok(posts::parse_id(text)?)
}

/// A creator's published posts for the viewer: full posts they may see, teasers of the rest.
#[utoipa::path(get, path = "/api/v1/creators/{slug}/posts", tag = "posts", params(("slug" = String, Path), PageQuery),
    responses((status = 200, body = PostList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_posts(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(slug): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<PostList>, ApiError> {
    let access = page(&state, &slug, &user).await?;
    let after = patron_app::cursor::decode_cursor(query.cursor.as_deref())?;
    let (views, next) = posts::page_of_posts(&state.app, &access, after, posts::PAGE_SIZE).await?;
    let for_team = access.relation.team_role.is_some();
    Ok(Json(PostList {
        posts: views.iter().map(|v| post_response(&state, &slug, v, for_team)).collect(),
        next_cursor: next.map(patron_app::cursor::encode_cursor),
    }))
}

/// Every post of the page, drafts and scheduled ones included, most recently changed first (team).
#[utoipa::path(get, path = "/api/v1/creators/{slug}/posts/all", tag = "posts", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<PostResponse>), (status = 403, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn all_posts(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<PostResponse>>, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let list = posts::team_posts(&state.app, &access).await?;
    Ok(Json(list.iter().map(|p| team_post_response(&state, &slug, p)).collect()))
}

/// One post for the viewer: in full, or as a teaser when locked.
#[utoipa::path(get, path = "/api/v1/creators/{slug}/posts/{post_id}", tag = "posts",
    params(("slug" = String, Path), ("post_id" = String, Path)),
    responses((status = 200, body = PostResponse), (status = 404, body = ErrorBody)))]
async fn get_post(
    State(state): State<AppState>,
    user: MaybeUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<PostResponse>, ApiError> {
    let access = page(&state, &slug, &user).await?;
    let view = posts::one_post(&state.app, &access, post_id(&id)?).await?;
    Ok(Json(post_response(&state, &slug, &view, access.relation.team_role.is_some())))
}

/// A post as written by its author.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PostRequest {
    /// `text`, `photo`, `video`, `poll` or `live` (fixed once created).
    #[serde(default = "default_kind")]
    pub kind: String,
    /// Title.
    pub title: String,
    /// Body, Markdown.
    #[serde(default)]
    pub body: String,
    /// `public`, `supporters` or `tier`.
    pub visibility: String,
    /// For `tier`: the lowest tier that unlocks it.
    pub min_tier_id: Option<String>,
    /// Time-released access: public from this time (RFC 3339).
    pub public_from: Option<String>,
    /// `draft` or `published`.
    #[serde(default = "default_status")]
    pub status: String,
    /// With `published`: a future time schedules the post (RFC 3339).
    pub publish_at: Option<String>,
    /// Live posts: the stream's address.
    pub live_url: Option<String>,
    /// Live posts: start (RFC 3339).
    pub live_starts_at: Option<String>,
    /// Live posts: end (RFC 3339).
    pub live_ends_at: Option<String>,
    /// Polls: 2–10 options.
    #[serde(default)]
    pub poll_options: Vec<String>,
    /// Polls: several choices allowed.
    #[serde(default)]
    pub poll_multiple: bool,
    /// Polls: closing time (RFC 3339).
    pub poll_closes_at: Option<String>,
    /// Polls: `always`, `after_vote` or `after_close`.
    pub poll_results: Option<String>,
    /// Ids of files uploaded to this page (`POST /api/v1/media?creator=…`), in order; leave it
    /// out to keep the attachments as they are.
    pub media: Option<Vec<String>>,
}

fn default_kind() -> String {
    "text".to_owned()
}

fn default_status() -> String {
    "draft".to_owned()
}

fn time_field(field: &'static str, value: Option<&str>, errors: &mut Vec<ValidationError>) -> Option<Timestamp> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    let parsed = Timestamp::parse_rfc3339(value);
    if parsed.is_none() {
        errors.push(ValidationError::new(field, "must be an RFC 3339 time such as 2026-12-01T18:00:00Z"));
    }
    parsed
}

impl PostRequest {
    fn into_input(self) -> Result<PostInput, ApiError> {
        let mut errors = Vec::new();
        let public_from = time_field("public_from", self.public_from.as_deref(), &mut errors);
        let publish_at = time_field("publish_at", self.publish_at.as_deref(), &mut errors);
        let live_starts_at = time_field("live_starts_at", self.live_starts_at.as_deref(), &mut errors);
        let live_ends_at = time_field("live_ends_at", self.live_ends_at.as_deref(), &mut errors);
        let poll_closes_at = time_field("poll_closes_at", self.poll_closes_at.as_deref(), &mut errors);
        let publish = match (self.status.trim(), publish_at) {
            ("draft", _) => Publish::Draft,
            ("published", Some(at)) if at > Timestamp::now() => Publish::At(at),
            ("published", _) => Publish::Now,
            _ => {
                errors.push(ValidationError::new("status", "must be draft or published"));
                Publish::Draft
            }
        };
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(PostInput {
            draft: PostDraft {
                kind: self.kind,
                title: self.title,
                body: self.body,
                visibility: self.visibility,
                min_tier_id: self.min_tier_id,
                public_from,
                publish,
                live_url: self.live_url,
                live_starts_at,
                live_ends_at,
                poll_options: self.poll_options,
                poll_multiple: self.poll_multiple,
                poll_closes_at,
                poll_results: self.poll_results,
            },
            media: self.media,
            announce: true,
        })
    }
}

async fn team_view(state: &AppState, access: &PageAccess, slug: &str, id: Id) -> Result<PostResponse, ApiError> {
    let view = posts::one_post(&state.app, access, id).await?;
    Ok(post_response(state, slug, &view, true))
}

/// Write a post (team). `status: published` publishes now, or at `publish_at`.
#[utoipa::path(post, path = "/api/v1/creators/{slug}/posts", tag = "posts", params(("slug" = String, Path)),
    request_body = PostRequest,
    responses((status = 201, body = PostResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn create_post(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<PostRequest>,
) -> Result<(StatusCode, Json<PostResponse>), ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    access.require_team()?;
    let id = posts::create(&state.app, &access, &input.into_input()?).await?;
    Ok((StatusCode::CREATED, Json(team_view(&state, &access, &slug, id).await?)))
}

/// Replace a post's content and settings (team). The kind cannot change.
#[utoipa::path(put, path = "/api/v1/creators/{slug}/posts/{post_id}", tag = "posts",
    params(("slug" = String, Path), ("post_id" = String, Path)), request_body = PostRequest,
    responses((status = 200, body = PostResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn update_post(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<PostRequest>,
) -> Result<Json<PostResponse>, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let id = post_id(&id)?;
    access.require_team()?;
    posts::update(&state.app, &access, id, &input.into_input()?).await?;
    Ok(Json(team_view(&state, &access, &slug, id).await?))
}

/// Delete a post (team).
#[utoipa::path(delete, path = "/api/v1/creators/{slug}/posts/{post_id}", tag = "posts",
    params(("slug" = String, Path), ("post_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn delete_post(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    posts::delete(&state.app, &access, post_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pin a post to the top of the page (team).
#[utoipa::path(post, path = "/api/v1/creators/{slug}/posts/{post_id}/pin", tag = "posts",
    params(("slug" = String, Path), ("post_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn pin_post(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    posts::set_pinned(&state.app, &access, post_id(&id)?, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unpin a post (team).
#[utoipa::path(delete, path = "/api/v1/creators/{slug}/posts/{post_id}/pin", tag = "posts",
    params(("slug" = String, Path), ("post_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn unpin_post(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    posts::set_pinned(&state.app, &access, post_id(&id)?, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A vote.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VoteRequest {
    /// The chosen options (one unless the poll allows several).
    pub option_ids: Vec<String>,
}

/// Vote in a poll, replacing an earlier vote, until it closes (users with access to the post).
#[utoipa::path(post, path = "/api/v1/creators/{slug}/posts/{post_id}/votes", tag = "posts",
    params(("slug" = String, Path), ("post_id" = String, Path)), request_body = VoteRequest,
    responses((status = 200, body = PostResponse), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn vote(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<VoteRequest>,
) -> Result<Json<PostResponse>, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let options: Vec<Id> = input.option_ids.iter().filter_map(|o| o.parse().ok()).collect();
    if options.len() != input.option_ids.len() {
        return Err(ApiError::validation(vec![ValidationError::new("option_ids", "must be option ids of the poll")]));
    }
    let view = posts::vote(&state.app, &access, post_id(&id)?, &options).await?;
    Ok(Json(post_response(&state, &slug, &view, access.relation.team_role.is_some())))
}

/// A comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentResponse {
    /// Identifier.
    pub id: String,
    /// The author's name (absent when deleted or the account is gone).
    pub author_name: Option<String>,
    /// The author.
    pub author_id: Option<String>,
    /// The comment it answers.
    pub parent_id: Option<String>,
    /// Text (empty when deleted).
    pub body: String,
    /// Written (RFC 3339).
    pub created_at: String,
    /// Deleted.
    pub deleted: bool,
}

pub(crate) fn comment_response(comment: &Comment) -> CommentResponse {
    let deleted = comment.deleted_at.is_some();
    CommentResponse {
        id: comment.id.to_string(),
        author_name: if deleted { None } else { comment.author_name.clone() },
        author_id: if deleted { None } else { comment.author_id.map(|a| a.to_string()) },
        parent_id: comment.parent_id.map(|p| p.to_string()),
        body: if deleted { String::new() } else { comment.body.clone() },
        created_at: comment.created_at.to_rfc3339(),
        deleted,
    }
}

/// Paging of comments.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CommentQuery {
    /// The id of the last comment of the previous page.
    pub after: Option<String>,
}

/// The comments of a post, oldest first (users with access to the post).
#[utoipa::path(get, path = "/api/v1/creators/{slug}/posts/{post_id}/comments", tag = "posts",
    params(("slug" = String, Path), ("post_id" = String, Path), CommentQuery),
    responses((status = 200, body = Vec<CommentResponse>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_comments(
    State(state): State<AppState>,
    user: MaybeUser,
    Path((slug, id)): Path<(String, String)>,
    Query(query): Query<CommentQuery>,
) -> Result<Json<Vec<CommentResponse>>, ApiError> {
    let access = page(&state, &slug, &user).await?;
    let after = match query.after.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(text) => {
            Some(text.parse().map_err(|_| ApiError::bad_request("invalid_cursor", "after must be a comment id"))?)
        }
        None => None,
    };
    let list = patron_app::comments::list(&state.app, &access, post_id(&id)?, after).await?;
    Ok(Json(list.iter().map(comment_response).collect()))
}

/// A new comment.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CommentRequest {
    /// Text, 1–5000 characters.
    pub body: String,
    /// The comment it answers.
    pub parent_id: Option<String>,
}

/// Comment on a post (users with access to it; rate-limited).
#[utoipa::path(post, path = "/api/v1/creators/{slug}/posts/{post_id}/comments", tag = "posts",
    params(("slug" = String, Path), ("post_id" = String, Path)), request_body = CommentRequest,
    responses((status = 201, body = CommentResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn add_comment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<CommentRequest>,
) -> Result<(StatusCode, Json<CommentResponse>), ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let parent = match input.parent_id.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(text) => Some(text.parse().map_err(|_| {
            ApiError::validation(vec![ValidationError::new("parent_id", "is not a comment of this post")])
        })?),
        None => None,
    };
    let comment = patron_app::comments::add(&state.app, &access, post_id(&id)?, &input.body, parent).await?;
    Ok((StatusCode::CREATED, Json(comment_response(&comment))))
}

/// Delete a comment (its author or the creator's team).
#[utoipa::path(delete, path = "/api/v1/creators/{slug}/posts/{post_id}/comments/{comment_id}", tag = "posts",
    params(("slug" = String, Path), ("post_id" = String, Path), ("comment_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn delete_comment(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, id, comment_id)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let comment_id = comment_id.parse().map_err(|_| ApiError::not_found())?;
    patron_app::comments::delete(&state.app, &access, post_id(&id)?, comment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
