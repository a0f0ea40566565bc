//! Posts: a page's posts as one viewer sees them, writing, changing, deleting and pinning
//! them, and voting in polls. Every view of a post goes through the domain's entitlement
//! function; a locked post's body, media and poll never leave this module for a viewer
//! without access.

use crate::creators::{Cursor, PageAccess};
use crate::polls::{PollView, poll_view};
use crate::{App, AppError};
use patron_domain::entitlement::{Access, access};
use patron_domain::post::{Existing, LiveStatus, PostKind, ValidPost};
use patron_domain::{Id, Timestamp, ValidationError};
use patron_store::polls::{self, PollOption};
use patron_store::posts;
use std::collections::HashMap;

pub use patron_domain::post::{PostDraft, Publish};
pub use patron_store::posts::Post;

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
    app: &App,
    list: Vec<Seen>,
    user_id: Option<Id>,
    now: Timestamp,
) -> Result<Vec<PostView>, AppError> {
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
    let options = polls::options_for(app.db.pool(), &poll_ids).await?;
    // files only for posts the viewer may read in full: a teaser's media get no address
    let full_ids: Vec<Id> = decided
        .iter()
        .filter(|(seen, granted)| *granted == Access::Full && seen.post.media_count > 0)
        .map(|(seen, _)| seen.post.id)
        .collect();
    let attachments = patron_store::media::for_posts(app.db.pool(), &full_ids).await?;
    let mut media_by_post: HashMap<Id, Vec<crate::media::MediaView>> = HashMap::new();
    for (post_id, file) in &attachments {
        let Some((seen, _)) = decided.iter().find(|(seen, _)| seen.post.id == *post_id) else { continue };
        // media of a post anyone may read get plain, cacheable addresses
        let public = access(patron_domain::entitlement::Viewer::Anonymous, &seen.post.audience(), now) == Access::Full;
        let view = crate::media::view(app, file, user_id, public, seen.is_team).await?;
        media_by_post.entry(*post_id).or_default().push(view);
    }
    let chosen = match (user_id, poll_ids.is_empty()) {
        (Some(user_id), false) => polls::votes_of(app.db.pool(), user_id, &poll_ids).await?,
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
    app: &App,
    page: &PageAccess,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<PostView>, Option<Cursor>), AppError> {
    let now = Timestamp::now();
    let list = posts::list_published(app.db.pool(), page.creator.id, now, after, limit).await?;
    // the cursor follows the chronological part only: pinned posts lead the first page
    let unpinned: Vec<&Post> = list.iter().filter(|p| after.is_some() || !p.pinned).collect();
    let next = if unpinned.len() as i64 >= limit { unpinned.last().and_then(|p| p.cursor()) } else { None };
    Ok((views(app, seen_on_page(page, list), page.user_id, now).await?, next))
}

/// One post for a viewer; `NotFound` when it does not exist for them.
pub async fn one_post(app: &App, page: &PageAccess, post_id: Id) -> Result<PostView, AppError> {
    let post = posts::find(app.db.pool(), page.creator.id, post_id).await?.ok_or_else(post_not_found)?;
    views(app, seen_on_page(page, vec![post]), page.user_id, Timestamp::now()).await?.pop().ok_or_else(post_not_found)
}

/// What the viewer of `page` may see of one post, decided by entitlement alone (one
/// statement); `NotFound` when the post does not exist for them.
pub async fn access_to(app: &App, page: &PageAccess, post_id: Id) -> Result<Access, AppError> {
    let post = posts::find(app.db.pool(), page.creator.id, post_id).await?.ok_or_else(post_not_found)?;
    match access(page.viewer, &post.audience(), Timestamp::now()) {
        Access::Hidden => Err(post_not_found()),
        granted => Ok(granted),
    }
}

/// A post as its editor opens it (team only): the post, its poll options and its files.
pub async fn for_editing(app: &App, page: &PageAccess, post_id: Id) -> Result<(Post, Vec<String>, Vec<Id>), AppError> {
    page.require_team()?;
    let post = posts::find(app.db.pool(), page.creator.id, post_id).await?.ok_or_else(post_not_found)?;
    let options = polls::options_for(app.db.pool(), &[post_id]).await?.into_iter().map(|o| o.label).collect();
    let media =
        patron_store::media::for_posts(app.db.pool(), &[post_id]).await?.into_iter().map(|(_, f)| f.id).collect();
    Ok((post, options, media))
}

/// A post id as a client sent it; an unreadable one is a post that does not exist.
pub fn parse_id(text: &str) -> Result<Id, AppError> {
    text.trim().parse().map_err(|_| post_not_found())
}

/// Every post of a creator for its team (drafts and scheduled ones too).
pub async fn team_posts(app: &App, page: &PageAccess) -> Result<Vec<Post>, AppError> {
    page.require_team()?;
    Ok(posts::list_for_team(app.db.pool(), page.creator.id, 200).await?)
}

/// There is no such post (for this viewer).
pub fn post_not_found() -> AppError {
    AppError::not_found("post_not_found", "There is no such post.")
}

/// A post as submitted by its author: the draft the domain checks, and the files to attach.
#[derive(Debug, Clone)]
pub struct PostInput {
    /// The post itself.
    pub draft: PostDraft,
    /// The attached files (ids of uploads to this page), in order; `None` leaves them as
    /// they are.
    pub media: Option<Vec<String>>,
    /// Whether publishing it mails the followers (the default); seeded and imported posts
    /// are not announced.
    pub announce: bool,
}

/// Posts per page of a creator's page.
pub const PAGE_SIZE: i64 = 20;

/// Most files on one post.
pub const MAX_ATTACHMENTS: usize = 20;

/// The files to attach: this page's own post uploads, each once.
async fn check_media(
    app: &App,
    page: &PageAccess,
    media: Option<&[String]>,
    errors: &mut Vec<ValidationError>,
) -> Result<Option<Vec<Id>>, AppError> {
    let Some(texts) = media else { return Ok(None) };
    if texts.len() > MAX_ATTACHMENTS {
        errors.push(ValidationError::new("media", "a post has at most 20 files"));
        return Ok(None);
    }
    let mut ids = Vec::with_capacity(texts.len());
    for text in texts.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        let file = match text.parse::<Id>() {
            Ok(id) => patron_store::media::find(app.db.pool(), id).await?,
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

/// Checks a submitted post: its files here, everything else by the domain's rules against
/// the page's tiers. Lists every problem, the files' first.
async fn check(
    app: &App,
    page: &PageAccess,
    input: &PostInput,
    existing: Option<&Post>,
) -> Result<(ValidPost, Option<Vec<Id>>), AppError> {
    let mut errors: Vec<ValidationError> = Vec::new();
    let media = check_media(app, page, input.media.as_deref(), &mut errors).await?;
    let tier_ids: Vec<Id> = crate::tiers::visible_tiers(app, page).await?.iter().map(|t| t.id).collect();
    let existing = existing.map(|post| Existing { kind: post.kind, published_at: post.published_at });
    match patron_domain::post::validate(&input.draft, &tier_ids, existing, Timestamp::now()) {
        Ok(valid) if errors.is_empty() => Ok((valid, media)),
        Ok(_) => Err(AppError::Invalid(errors)),
        Err(more) => {
            errors.extend(more);
            Err(AppError::Invalid(errors))
        }
    }
}

/// Writes a new post (team only).
pub async fn create(app: &App, page: &PageAccess, input: &PostInput) -> Result<Id, AppError> {
    page.require_team()?;
    let author = page.require_user()?;
    let (valid, media) = check(app, page, input, None).await?;
    let mut transaction = app.db.begin_write().await?;
    let post_id = posts::insert(&mut *transaction, page.creator.id, author, &valid).await?;
    if let Some(media) = &media {
        patron_store::media::attach(&mut transaction, post_id, media).await?;
    }
    if valid.kind == PostKind::Poll {
        polls::set_options(&mut transaction, post_id, &valid.poll_options).await?;
    }
    if input.announce {
        announce(&mut transaction, page.creator.id, post_id, None, &valid).await?;
    } else {
        // not when its files are ready either
        posts::set_announce(&mut transaction, post_id, false).await?;
    }
    transaction.commit().await?;
    tracing::info!(post_id = %post_id, creator_id = %page.creator.id, "post written");
    Ok(post_id)
}

/// Changes a post (team only). A poll's options can change only until the first vote.
pub async fn update(app: &App, page: &PageAccess, post_id: Id, input: &PostInput) -> Result<(), AppError> {
    page.require_team()?;
    let existing = posts::find(app.db.pool(), page.creator.id, post_id).await?.ok_or_else(post_not_found)?;
    let (valid, media) = check(app, page, input, Some(&existing)).await?;
    let mut transaction = app.db.begin_write().await?;
    posts::update(&mut *transaction, page.creator.id, post_id, &valid).await?;
    if let Some(media) = &media {
        patron_store::media::attach(&mut transaction, post_id, media).await?;
    }
    if valid.kind == PostKind::Poll {
        let current: Vec<String> =
            polls::options_for(&mut *transaction, &[post_id]).await?.into_iter().map(|o| o.label).collect();
        if current != valid.poll_options {
            if polls::has_votes(&mut *transaction, post_id).await? {
                return Err(AppError::conflict(
                    "poll_has_votes",
                    "The options of a poll cannot change once people voted.",
                ));
            }
            polls::set_options(&mut transaction, post_id, &valid.poll_options).await?;
        }
    }
    if input.announce {
        announce(&mut transaction, page.creator.id, post_id, existing.published_at, &valid).await?;
    }
    transaction.commit().await?;
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
    post: &ValidPost,
) -> Result<(), AppError> {
    if let Some(published_at) = post.published_at.filter(|at| Some(*at) != previously) {
        patron_mail::jobs::enqueue_post_fan_out(&mut **transaction, creator_id, post_id, published_at).await?;
    }
    Ok(())
}

/// Deletes a post (team only).
pub async fn delete(app: &App, page: &PageAccess, post_id: Id) -> Result<(), AppError> {
    page.require_team()?;
    let mut transaction = app.db.begin_write().await?;
    if !posts::soft_delete(&mut *transaction, page.creator.id, post_id).await? {
        return Err(post_not_found());
    }
    // its files go too, unless another post uses them
    let files = patron_media::jobs::forget_post_media(&mut transaction, post_id).await?;
    transaction.commit().await?;
    tracing::info!(post_id = %post_id, files, "post deleted");
    Ok(())
}

/// Pins or unpins a post (team only).
pub async fn set_pinned(app: &App, page: &PageAccess, post_id: Id, pinned: bool) -> Result<(), AppError> {
    page.require_team()?;
    if posts::set_pinned(app.db.pool(), page.creator.id, post_id, pinned).await? {
        Ok(())
    } else {
        Err(post_not_found())
    }
}

/// Votes in a poll for the current viewer, replacing an earlier vote.
pub async fn vote(app: &App, page: &PageAccess, post_id: Id, option_ids: &[Id]) -> Result<PostView, AppError> {
    let user_id = page.require_user()?;
    let view = one_post(app, page, post_id).await?;
    if view.post.kind != PostKind::Poll {
        return Err(AppError::conflict("not_a_poll", "This post is not a poll."));
    }
    let Some(poll) = &view.poll else {
        return Err(AppError::forbidden("not_entitled", "Only supporters with access to this post may vote."));
    };
    if poll.closed {
        return Err(AppError::conflict("poll_closed", "This poll has closed."));
    }
    let mut chosen: Vec<Id> = option_ids.to_vec();
    chosen.sort();
    chosen.dedup();
    let valid = !chosen.is_empty()
        && (poll.multiple || chosen.len() == 1)
        && chosen.iter().all(|id| poll.options.iter().any(|o| o.id == *id));
    if !valid {
        return Err(AppError::Invalid(vec![ValidationError::new(
            "option_ids",
            if poll.multiple {
                "choose one or more of the poll's options"
            } else {
                "choose exactly one of the poll's options"
            },
        )]));
    }
    let mut transaction = app.db.begin_write().await?;
    polls::vote(&mut transaction, post_id, user_id, &chosen).await?;
    transaction.commit().await?;
    let data = serde_json::json!({
        "creator_id": page.creator.id.to_string(),
        "creator_slug": page.creator.slug,
        "post_id": post_id.to_string(),
    });
    app.bus.publish("poll.results", patron_events::Audience::Followers(page.creator.id), data).await;
    one_post(app, page, post_id).await
}
