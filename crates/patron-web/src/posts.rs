//! Posts, polls and comments: what the JSON API and the pages share. Every view of a post goes
//! through the domain's entitlement function; a locked post's body, media and poll never
//! leave this module for a viewer without access.

use crate::AppState;
use crate::creators::PageAccess;
use crate::error::ApiError;
use axum::http::StatusCode;
use patron_domain::entitlement::{Access, access};
use patron_domain::post::{LiveStatus, PostKind, Visibility, validate_body, validate_title};
use patron_domain::{Id, Timestamp, ValidationError};
use patron_store::creators::Cursor;
use patron_store::polls::{self, PollOption};
use patron_store::posts::{self, PollResults, Post, PostFields};
use std::collections::HashMap;

/// A poll as a viewer with access sees it.
#[derive(Debug, Clone)]
pub struct PollView {
    /// The options, with counts when results are visible.
    pub options: Vec<PollOptionView>,
    /// Several choices allowed.
    pub multiple: bool,
    /// Closing time.
    pub closes_at: Option<Timestamp>,
    /// Whether voting has ended.
    pub closed: bool,
    /// Whether the viewer may see the counts.
    pub results_visible: bool,
    /// Whether the viewer may vote now.
    pub can_vote: bool,
    /// Whether the viewer has voted.
    pub voted: bool,
    /// Total votes, when results are visible.
    pub total_votes: Option<i64>,
}

/// One option of a poll.
#[derive(Debug, Clone)]
pub struct PollOptionView {
    /// Identifier.
    pub id: Id,
    /// Text.
    pub label: String,
    /// Votes, when results are visible.
    pub votes: Option<i64>,
    /// Share of all votes in percent, when results are visible.
    pub percent: Option<i64>,
    /// Whether the viewer chose it.
    pub chosen: bool,
}

/// A post as one viewer sees it. For a teaser, `post.body`, `post.body_html`, the poll and the
/// live address are emptied before it leaves this module.
#[derive(Debug, Clone)]
pub struct PostView {
    /// The post (body only with full access).
    pub post: Post,
    /// Full or teaser.
    pub access: Access,
    /// The poll, with full access.
    pub poll: Option<PollView>,
    /// Live posts: where the stream is.
    pub live: Option<LiveStatus>,
    /// The attached files with their addresses (with full access only).
    pub media: Vec<crate::media::MediaView>,
}

/// Empties everything a teaser must not show.
fn redact(mut post: Post) -> Post {
    post.body.clear();
    post.body_html.clear();
    post.live_url = None;
    post
}

fn results_visible(post: &Post, closed: bool, voted: bool, is_team: bool) -> bool {
    is_team
        || closed
        || match post.poll_results.unwrap_or(PollResults::Always) {
            PollResults::Always => true,
            PollResults::AfterVote => voted,
            PollResults::AfterClose => false,
        }
}

fn poll_view(
    post: &Post,
    options: &[&PollOption],
    chosen: &[Id],
    can_participate: bool,
    is_team: bool,
    now: Timestamp,
) -> PollView {
    let closed = post.poll_closes_at.is_some_and(|at| at <= now);
    let voted = !chosen.is_empty();
    let visible = results_visible(post, closed, voted, is_team);
    let total: i64 = options.iter().map(|o| o.votes).sum();
    PollView {
        options: options
            .iter()
            .map(|o| PollOptionView {
                id: o.id,
                label: o.label.clone(),
                votes: visible.then_some(o.votes),
                percent: visible.then(|| if total > 0 { (o.votes * 100 + total / 2) / total } else { 0 }),
                chosen: chosen.contains(&o.id),
            })
            .collect(),
        multiple: post.poll_multiple,
        closes_at: post.poll_closes_at,
        closed,
        results_visible: visible,
        can_vote: can_participate && !closed,
        voted,
        total_votes: visible.then_some(total),
    }
}

/// A post with who is looking at it: the viewer as entitlement sees them, and whether they
/// are in the creator's team.
pub(crate) struct Seen {
    pub post: Post,
    pub viewer: patron_domain::entitlement::Viewer,
    pub is_team: bool,
}

/// Builds the views of posts: entitlement per post, then the polls of the visible ones (two
/// statements whatever the number of posts).
pub(crate) async fn views(
    state: &AppState,
    list: Vec<Seen>,
    user_id: Option<Id>,
    now: Timestamp,
) -> Result<Vec<PostView>, ApiError> {
    let decided: Vec<(Seen, Access)> = list
        .into_iter()
        .map(|seen| {
            let granted = access(seen.viewer, &seen.post.audience(), now);
            (seen, granted)
        })
        .filter(|(_, granted)| *granted != Access::Hidden)
        .collect();
    let poll_ids: Vec<Id> = decided
        .iter()
        .filter(|(seen, granted)| seen.post.kind == PostKind::Poll && *granted == Access::Full)
        .map(|(seen, _)| seen.post.id)
        .collect();
    let options = polls::options_for(state.db.pool(), &poll_ids).await?;
    // files only for posts the viewer may read in full: a teaser's media get no address
    let full_ids: Vec<Id> = decided
        .iter()
        .filter(|(seen, granted)| *granted == Access::Full && seen.post.media_count > 0)
        .map(|(seen, _)| seen.post.id)
        .collect();
    let attachments = patron_store::media::for_posts(state.db.pool(), &full_ids).await?;
    let mut media_by_post: HashMap<Id, Vec<crate::media::MediaView>> = HashMap::new();
    for (post_id, file) in &attachments {
        let Some((seen, _)) = decided.iter().find(|(seen, _)| seen.post.id == *post_id) else { continue };
        // media of a post anyone may read get plain, cacheable addresses
        let public = access(patron_domain::entitlement::Viewer::Anonymous, &seen.post.audience(), now) == Access::Full;
        let view = crate::media::view(state, file, user_id, public, seen.is_team).await?;
        media_by_post.entry(*post_id).or_default().push(view);
    }
    let chosen = match (user_id, poll_ids.is_empty()) {
        (Some(user_id), false) => polls::votes_of(state.db.pool(), user_id, &poll_ids).await?,
        _ => Vec::new(),
    };
    let mut options_by_post: HashMap<Id, Vec<&PollOption>> = HashMap::new();
    for option in &options {
        options_by_post.entry(option.post_id).or_default().push(option);
    }
    Ok(decided
        .into_iter()
        .map(|(seen, granted)| {
            let post = seen.post;
            let poll = (post.kind == PostKind::Poll && granted == Access::Full).then(|| {
                let mine: Vec<Id> = chosen.iter().filter(|(p, _)| *p == post.id).map(|(_, o)| *o).collect();
                let options = options_by_post.get(&post.id).map(Vec::as_slice).unwrap_or_default();
                poll_view(&post, options, &mine, user_id.is_some(), seen.is_team, now)
            });
            let live = match (post.kind, post.live_starts_at) {
                (PostKind::Live, Some(starts)) => Some(LiveStatus::at(starts, post.live_ends_at, now)),
                _ => None,
            };
            let media =
                if granted == Access::Full { media_by_post.remove(&post.id).unwrap_or_default() } else { Vec::new() };
            let post = if granted == Access::Full { post } else { redact(post) };
            PostView { post, access: granted, poll, live, media }
        })
        .collect())
}

fn seen_on_page(page: &PageAccess, list: Vec<Post>) -> Vec<Seen> {
    let is_team = page.relation.team_role.is_some();
    list.into_iter().map(|post| Seen { post, viewer: page.viewer, is_team }).collect()
}

/// A page of a creator's published posts for a viewer, newest first (pinned first on the
/// first page), with the cursor of the next page.
pub async fn page_of_posts(
    state: &AppState,
    page: &PageAccess,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<PostView>, Option<Cursor>), ApiError> {
    let now = Timestamp::now();
    let list = posts::list_published(state.db.pool(), page.creator.id, now, after, limit).await?;
    // the cursor follows the chronological part only: pinned posts lead the first page
    let unpinned: Vec<&Post> = list.iter().filter(|p| after.is_some() || !p.pinned).collect();
    let next = if unpinned.len() as i64 >= limit { unpinned.last().and_then(|p| p.cursor()) } else { None };
    Ok((views(state, seen_on_page(page, list), page.user_id, now).await?, next))
}

/// One post for a viewer; 404 when it does not exist for them.
pub async fn one_post(state: &AppState, page: &PageAccess, post_id: Id) -> Result<PostView, ApiError> {
    let post = posts::find(state.db.pool(), page.creator.id, post_id).await?.ok_or_else(post_not_found)?;
    views(state, seen_on_page(page, vec![post]), page.user_id, Timestamp::now()).await?.pop().ok_or_else(post_not_found)
}

/// Every post of a creator for its team (drafts and scheduled ones too).
pub async fn team_posts(state: &AppState, page: &PageAccess) -> Result<Vec<Post>, ApiError> {
    page.require_team()?;
    Ok(posts::list_for_team(state.db.pool(), page.creator.id, 200).await?)
}

fn post_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "post_not_found", "There is no such post.")
}

/// When a post appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publish {
    /// Not yet: a draft.
    Draft,
    /// Now.
    Now,
    /// At a future time.
    At(Timestamp),
}

/// A post as submitted by an author, before it is checked.
#[derive(Debug, Clone)]
pub struct PostInput {
    /// Kind (`text`, `photo`, `video`, `poll`, `live`).
    pub kind: String,
    /// Title.
    pub title: String,
    /// Body (Markdown).
    pub body: String,
    /// `public`, `supporters` or `tier`.
    pub visibility: String,
    /// For `tier`: the lowest tier that unlocks it.
    pub min_tier_id: Option<String>,
    /// Time-released access: public from this time.
    pub public_from: Option<Timestamp>,
    /// When it appears.
    pub publish: Publish,
    /// Live posts: the stream's address.
    pub live_url: Option<String>,
    /// Live posts: start.
    pub live_starts_at: Option<Timestamp>,
    /// Live posts: end.
    pub live_ends_at: Option<Timestamp>,
    /// Polls: the options.
    pub poll_options: Vec<String>,
    /// Polls: several choices allowed.
    pub poll_multiple: bool,
    /// Polls: closing time.
    pub poll_closes_at: Option<Timestamp>,
    /// Polls: `always`, `after_vote` or `after_close`.
    pub poll_results: Option<String>,
    /// The attached files (ids of uploads to this page), in order; `None` leaves them as
    /// they are.
    pub media: Option<Vec<String>>,
}

/// Most files on one post.
pub const MAX_ATTACHMENTS: usize = 20;

/// The files to attach: this page's own post uploads, each once.
async fn check_media(
    state: &AppState,
    page: &PageAccess,
    media: Option<&[String]>,
    errors: &mut Vec<ValidationError>,
) -> Result<Option<Vec<Id>>, ApiError> {
    let Some(texts) = media else { return Ok(None) };
    if texts.len() > MAX_ATTACHMENTS {
        errors.push(ValidationError::new("media", "a post has at most 20 files"));
        return Ok(None);
    }
    let mut ids = Vec::with_capacity(texts.len());
    for text in texts.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        let file = match text.parse::<Id>() {
            Ok(id) => patron_store::media::find(state.db.pool(), id).await?,
            Err(_) => None,
        };
        match file {
            Some(file)
                if file.creator_id == Some(page.creator.id) && file.purpose == patron_store::media::Purpose::Post =>
            {
                if !ids.contains(&file.id) {
                    ids.push(file.id);
                }
            }
            _ => errors.push(ValidationError::new("media", format!("{text} is not a file uploaded to this page"))),
        }
    }
    Ok(Some(ids))
}

/// Checks a submitted post against the page's tiers; lists every problem.
async fn check(
    state: &AppState,
    page: &PageAccess,
    input: &PostInput,
    existing: Option<&Post>,
) -> Result<(PostFields, Vec<String>, Option<Vec<Id>>), ApiError> {
    let mut errors: Vec<ValidationError> = Vec::new();
    let media = check_media(state, page, input.media.as_deref(), &mut errors).await?;
    let kind = match existing {
        Some(post) => Some(post.kind),
        None => PostKind::parse(input.kind.trim()).map_err(|e| errors.push(e)).ok(),
    };
    let title = validate_title(&input.title).map_err(|e| errors.push(e)).ok();
    let body = validate_body(&input.body).map_err(|e| errors.push(e)).ok();
    let visibility = Visibility::parse(input.visibility.trim()).map_err(|e| errors.push(e)).ok();
    let tiers = crate::creators::visible_tiers(state, page).await?;
    let min_tier_id = match (visibility, input.min_tier_id.as_deref().map(str::trim).filter(|t| !t.is_empty())) {
        (Some(Visibility::Tier), Some(text)) => {
            match text.parse::<Id>().ok().filter(|id| tiers.iter().any(|t| t.id == *id)) {
                Some(id) => Some(id),
                None => {
                    errors.push(ValidationError::new("min_tier_id", "must be one of this page's tiers"));
                    None
                }
            }
        }
        (Some(Visibility::Tier), None) => {
            errors.push(ValidationError::new("min_tier_id", "is required when visibility is tier"));
            None
        }
        _ => None,
    };
    let public_from = match (visibility, input.public_from) {
        (Some(Visibility::Public), Some(_)) => {
            errors.push(ValidationError::new("public_from", "only applies to supporters-only posts"));
            None
        }
        (_, other) => other,
    };
    let now = Timestamp::now();
    let published_at = match input.publish {
        Publish::Draft => None,
        // an already published post keeps its date when edited
        Publish::Now => Some(existing.and_then(|p| p.published_at).filter(|at| *at <= now).unwrap_or(now)),
        Publish::At(at) => Some(at),
    };
    let mut poll_labels = Vec::new();
    let (mut live_url, mut live_starts_at, mut live_ends_at) = (None, None, None);
    let (mut poll_multiple, mut poll_closes_at, mut poll_results) = (false, None, None);
    match kind {
        Some(PostKind::Live) => {
            live_url = input.live_url.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned);
            match &live_url {
                Some(url) if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000 => {
                    errors.push(ValidationError::new("live_url", "must be an http(s) address of the stream"));
                }
                Some(_) => {}
                None => errors.push(ValidationError::new("live_url", "is required for a live post")),
            }
            live_starts_at = input.live_starts_at;
            live_ends_at = input.live_ends_at;
            if live_starts_at.is_none() {
                errors.push(ValidationError::new("live_starts_at", "is required for a live post"));
            }
            if let (Some(starts), Some(ends)) = (live_starts_at, live_ends_at)
                && ends <= starts
            {
                errors.push(ValidationError::new("live_ends_at", "must be after the start"));
            }
        }
        Some(PostKind::Poll) => {
            poll_labels = input.poll_options.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
            if poll_labels.len() < 2 || poll_labels.len() > 10 {
                errors.push(ValidationError::new("poll_options", "a poll needs 2 to 10 options"));
            }
            if poll_labels.iter().any(|o| o.chars().count() > 200) {
                errors.push(ValidationError::new("poll_options", "options are at most 200 characters long"));
            }
            poll_multiple = input.poll_multiple;
            poll_closes_at = input.poll_closes_at;
            poll_results = match input.poll_results.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                None => Some(PollResults::Always),
                Some(text) => match PollResults::parse(text) {
                    Some(results) => Some(results),
                    None => {
                        errors.push(ValidationError::new("poll_results", "must be always, after_vote or after_close"));
                        None
                    }
                },
            };
        }
        _ => {}
    }
    let (Some(kind), Some(title), Some(body), Some(visibility)) = (kind, title, body, visibility) else {
        return Err(ApiError::validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let body_html = patron_domain::markdown::render(&body);
    let fields = PostFields {
        kind,
        title,
        body,
        body_html,
        visibility,
        min_tier_id,
        public_from,
        published_at,
        live_url,
        live_starts_at,
        live_ends_at,
        poll_multiple,
        poll_closes_at,
        poll_results,
    };
    Ok((fields, poll_labels, media))
}

/// Writes a new post (team only).
pub async fn create(state: &AppState, page: &PageAccess, input: &PostInput) -> Result<Id, ApiError> {
    page.require_team()?;
    let author = page.require_user()?;
    let (fields, poll_labels, media) = check(state, page, input, None).await?;
    let mut transaction = state.db.begin_write().await?;
    let post_id = posts::insert(&mut *transaction, page.creator.id, author, &fields).await?;
    if let Some(media) = &media {
        patron_store::media::attach(&mut transaction, post_id, media).await?;
    }
    if fields.kind == PostKind::Poll {
        polls::set_options(&mut transaction, post_id, &poll_labels).await?;
    }
    announce(&mut transaction, page.creator.id, post_id, None, &fields).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    tracing::info!(post_id = %post_id, creator_id = %page.creator.id, "post written");
    Ok(post_id)
}

/// Changes a post (team only). A poll's options can change only until the first vote.
pub async fn update(state: &AppState, page: &PageAccess, post_id: Id, input: &PostInput) -> Result<(), ApiError> {
    page.require_team()?;
    let existing = posts::find(state.db.pool(), page.creator.id, post_id).await?.ok_or_else(post_not_found)?;
    let (fields, poll_labels, media) = check(state, page, input, Some(&existing)).await?;
    let mut transaction = state.db.begin_write().await?;
    posts::update(&mut *transaction, page.creator.id, post_id, &fields).await?;
    if let Some(media) = &media {
        patron_store::media::attach(&mut transaction, post_id, media).await?;
    }
    if fields.kind == PostKind::Poll {
        let current: Vec<String> =
            polls::options_for(&mut *transaction, &[post_id]).await?.into_iter().map(|o| o.label).collect();
        if current != poll_labels {
            if polls::has_votes(&mut *transaction, post_id).await? {
                return Err(ApiError::conflict(
                    "poll_has_votes",
                    "The options of a poll cannot change once people voted.",
                ));
            }
            polls::set_options(&mut transaction, post_id, &poll_labels).await?;
        }
    }
    announce(&mut transaction, page.creator.id, post_id, existing.published_at, &fields).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    Ok(())
}

/// Mails a post to the followers at its publication time when it is published or scheduled
/// (or rescheduled), in the same transaction as the post; editing a published post sends
/// nothing. Each mail is keyed by the post and the recipient, so a post is mailed to a
/// follower once, however often it is rescheduled.
async fn announce(
    transaction: &mut patron_store::Transaction,
    creator_id: Id,
    post_id: Id,
    previously: Option<Timestamp>,
    fields: &PostFields,
) -> Result<(), ApiError> {
    if let Some(published_at) = fields.published_at.filter(|at| Some(*at) != previously) {
        patron_mail::jobs::enqueue_post_fan_out(&mut **transaction, creator_id, post_id, published_at).await?;
    }
    Ok(())
}

/// Deletes a post (team only).
pub async fn delete(state: &AppState, page: &PageAccess, post_id: Id) -> Result<(), ApiError> {
    page.require_team()?;
    let mut transaction = state.db.begin_write().await?;
    if !posts::soft_delete(&mut *transaction, page.creator.id, post_id).await? {
        return Err(post_not_found());
    }
    // its files go too, unless another post uses them
    let files = patron_media::jobs::forget_post_media(&mut transaction, post_id).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    tracing::info!(post_id = %post_id, files, "post deleted");
    Ok(())
}

/// Pins or unpins a post (team only).
pub async fn set_pinned(state: &AppState, page: &PageAccess, post_id: Id, pinned: bool) -> Result<(), ApiError> {
    page.require_team()?;
    if posts::set_pinned(state.db.pool(), page.creator.id, post_id, pinned).await? {
        Ok(())
    } else {
        Err(post_not_found())
    }
}

/// Votes in a poll for the current viewer, replacing an earlier vote.
pub async fn vote(state: &AppState, page: &PageAccess, post_id: Id, option_ids: &[Id]) -> Result<PostView, ApiError> {
    let user_id = page.require_user()?;
    let view = one_post(state, page, post_id).await?;
    if view.post.kind != PostKind::Poll {
        return Err(ApiError::conflict("not_a_poll", "This post is not a poll."));
    }
    let Some(poll) = &view.poll else {
        return Err(ApiError::forbidden("not_entitled", "Only supporters with access to this post may vote."));
    };
    if poll.closed {
        return Err(ApiError::conflict("poll_closed", "This poll has closed."));
    }
    let mut chosen: Vec<Id> = option_ids.to_vec();
    chosen.sort();
    chosen.dedup();
    let valid = !chosen.is_empty()
        && (poll.multiple || chosen.len() == 1)
        && chosen.iter().all(|id| poll.options.iter().any(|o| o.id == *id));
    if !valid {
        return Err(ApiError::validation(vec![ValidationError::new(
            "option_ids",
            if poll.multiple {
                "choose one or more of the poll's options"
            } else {
                "choose exactly one of the poll's options"
            },
        )]));
    }
    let mut transaction = state.db.begin_write().await?;
    polls::vote(&mut transaction, post_id, user_id, &chosen).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    let data = serde_json::json!({
        "creator_id": page.creator.id.to_string(),
        "creator_slug": page.creator.slug,
        "post_id": post_id.to_string(),
    });
    state.bus.publish("poll.results", patron_events::Audience::Followers(page.creator.id), data).await;
    one_post(state, page, post_id).await
}

/// The cursor of a post list, as the opaque text clients pass back.
pub fn encode_cursor(cursor: Cursor) -> String {
    format!("{}.{}", cursor.key, cursor.id)
}

/// Reads a cursor from a client; a malformed one is a 400.
pub fn decode_cursor(text: Option<&str>) -> Result<Option<Cursor>, ApiError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let parsed =
        text.split_once('.').and_then(|(key, id)| Some(Cursor { key: key.parse().ok()?, id: id.parse().ok()? }));
    parsed
        .map(Some)
        .ok_or_else(|| ApiError::bad_request("invalid_cursor", "The cursor is not one this server handed out."))
}
