//! Posts: one kind of record for text, photo, video, poll and live posts (lesson 7: no
//! polymorphic detail tables), with the rules for who may see them.

use crate::{Id, Timestamp, ValidationError};
use serde::{Deserialize, Serialize};

/// What a post is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostKind {
    /// Text (Markdown).
    Text,
    /// Photos with text.
    Photo,
    /// A video with text.
    Video,
    /// A poll.
    Poll,
    /// A live stream with a start time.
    Live,
}

impl PostKind {
    /// Every kind.
    pub const ALL: [PostKind; 5] = [PostKind::Text, PostKind::Photo, PostKind::Video, PostKind::Poll, PostKind::Live];

    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::Text => "text",
            PostKind::Photo => "photo",
            PostKind::Video => "video",
            PostKind::Poll => "poll",
            PostKind::Live => "live",
        }
    }

    /// From stored or submitted text.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| ValidationError::new("kind", "must be one of text, photo, video, poll, live"))
    }
}

/// Who a published post is for.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Everyone, logged in or not.
    Public,
    /// Every paying member, whatever the tier.
    Supporters,
    /// Members of a given tier or a higher one.
    Tier,
}

impl Visibility {
    /// Every visibility.
    pub const ALL: [Visibility; 3] = [Visibility::Public, Visibility::Supporters, Visibility::Tier];

    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Supporters => "supporters",
            Visibility::Tier => "tier",
        }
    }

    /// From stored or submitted text.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == text)
            .ok_or_else(|| ValidationError::new("visibility", "must be one of public, supporters, tier"))
    }
}

/// A post's publication state, derived from what is stored: a draft has no publication time;
/// a scheduled post has one in the future and appears on its own when it arrives.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostState {
    /// Not published.
    Draft,
    /// Publishes itself at its publication time.
    Scheduled,
    /// Visible to its audience.
    Published,
}

impl PostState {
    /// The state at `now` of a post with this publication time (`None` for drafts).
    pub fn at(published_at: Option<Timestamp>, now: Timestamp) -> Self {
        match published_at {
            None => PostState::Draft,
            Some(at) if at > now => PostState::Scheduled,
            Some(_) => PostState::Published,
        }
    }
}

/// The facts about a post that decide who sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PostAudience {
    /// When it is (or will be) published; `None` for drafts.
    pub published_at: Option<Timestamp>,
    /// Who it is for.
    pub visibility: Visibility,
    /// For [`Visibility::Tier`]: the rank of the lowest tier that unlocks it.
    pub min_tier_rank: Option<i64>,
    /// Time-released access: from this moment the post is public whatever its visibility
    /// ("early access for tier X, public from date D").
    pub public_from: Option<Timestamp>,
    /// Whether its media are processed; until then only its team sees it.
    pub media_processed: bool,
}

/// A live post's status at a moment.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveStatus {
    /// Before its start time.
    Upcoming,
    /// Started and not ended.
    Live,
    /// Ended.
    Ended,
}

impl LiveStatus {
    /// The status at `now` of a stream starting at `starts_at` and ending at `ends_at`
    /// (unknown ends count as four hours after the start).
    pub fn at(starts_at: Timestamp, ends_at: Option<Timestamp>, now: Timestamp) -> Self {
        let ends_at = ends_at.unwrap_or_else(|| starts_at.plus(std::time::Duration::from_secs(4 * 3600)));
        if now < starts_at {
            LiveStatus::Upcoming
        } else if now < ends_at {
            LiveStatus::Live
        } else {
            LiveStatus::Ended
        }
    }
}

/// A post title: 1–200 characters.
pub fn validate_title(input: &str) -> Result<String, ValidationError> {
    let title = input.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ValidationError::new("title", "must be 1 to 200 characters long"));
    }
    if title.chars().any(char::is_control) {
        return Err(ValidationError::new("title", "must not contain control characters"));
    }
    Ok(title.to_owned())
}

/// A post body: at most 100 000 characters of Markdown.
pub fn validate_body(input: &str) -> Result<String, ValidationError> {
    if input.chars().count() > 100_000 {
        return Err(ValidationError::new("body", "must be at most 100000 characters long"));
    }
    Ok(input.trim_end().to_owned())
}

/// Who may see a poll's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollResults {
    /// Everyone who sees the poll.
    Always,
    /// Those who voted.
    AfterVote,
    /// Everyone, once the poll has closed.
    AfterClose,
}

impl PollResults {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            PollResults::Always => "always",
            PollResults::AfterVote => "after_vote",
            PollResults::AfterClose => "after_close",
        }
    }

    /// From stored or submitted text.
    pub fn parse(text: &str) -> Option<Self> {
        [PollResults::Always, PollResults::AfterVote, PollResults::AfterClose].into_iter().find(|r| r.as_str() == text)
    }

    /// Whether a viewer sees the counts: the team always, everyone once the poll has closed,
    /// otherwise as the creator chose.
    pub fn visible(self, closed: bool, voted: bool, is_team: bool) -> bool {
        is_team
            || closed
            || match self {
                PollResults::Always => true,
                PollResults::AfterVote => voted,
                PollResults::AfterClose => false,
            }
    }
}

/// An option's share of all votes in whole percent, rounded half up (0 when nobody voted).
pub fn vote_percent(votes: i64, total: i64) -> i64 {
    if total > 0 { (votes * 100 + total / 2) / total } else { 0 }
}

/// The fewest and the most options of a poll.
pub const POLL_OPTIONS: std::ops::RangeInclusive<usize> = 2..=10;

/// When a post appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publish {
    /// Not yet: a draft.
    Draft,
    /// Now.
    Now,
    /// At a given time: a future one schedules the post; a past one is refused (it would
    /// publish at once and announce the post as new).
    At(Timestamp),
    /// Published as of a past date: a history brought in from elsewhere, the demo's posts.
    /// Neither form offers it.
    Dated(Timestamp),
}

/// A post as an author submits it, before it is checked.
#[derive(Debug, Clone)]
pub struct PostDraft {
    /// Kind (`text`, `photo`, `video`, `poll`, `live`); ignored when editing.
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
}

/// What checking an edit needs to know of the post as it is.
#[derive(Debug, Clone, Copy)]
pub struct Existing {
    /// Its kind, which an edit cannot change.
    pub kind: PostKind,
    /// Its publication time: a published post keeps its date when edited.
    pub published_at: Option<Timestamp>,
}

/// A checked post, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPost {
    /// Kind.
    pub kind: PostKind,
    /// Title.
    pub title: String,
    /// Body (Markdown).
    pub body: String,
    /// Body rendered to safe HTML.
    pub body_html: String,
    /// Who it is for.
    pub visibility: Visibility,
    /// For tier posts: the lowest tier that unlocks it.
    pub min_tier_id: Option<Id>,
    /// Public from this time.
    pub public_from: Option<Timestamp>,
    /// Publication time (`None`: a draft).
    pub published_at: Option<Timestamp>,
    /// Live posts: the stream's address.
    pub live_url: Option<String>,
    /// Live posts: start.
    pub live_starts_at: Option<Timestamp>,
    /// Live posts: end.
    pub live_ends_at: Option<Timestamp>,
    /// Polls: the options, trimmed, blank ones dropped.
    pub poll_options: Vec<String>,
    /// Polls: several choices allowed.
    pub poll_multiple: bool,
    /// Polls: closing time.
    pub poll_closes_at: Option<Timestamp>,
    /// Polls: who sees the results.
    pub poll_results: Option<PollResults>,
}

/// Checks a submitted post against the ids of its page's tiers; lists every problem.
/// `existing` is the post being edited, if any.
pub fn validate(
    draft: &PostDraft,
    tier_ids: &[Id],
    existing: Option<Existing>,
    now: Timestamp,
) -> Result<ValidPost, Vec<ValidationError>> {
    let mut errors: Vec<ValidationError> = Vec::new();
    let kind = match existing {
        Some(post) => Some(post.kind),
        None => PostKind::parse(draft.kind.trim()).map_err(|e| errors.push(e)).ok(),
    };
    let title = validate_title(&draft.title).map_err(|e| errors.push(e)).ok();
    let body = validate_body(&draft.body).map_err(|e| errors.push(e)).ok();
    let visibility = Visibility::parse(draft.visibility.trim()).map_err(|e| errors.push(e)).ok();
    let min_tier_id = min_tier(draft, visibility, tier_ids, &mut errors);
    let public_from = match (visibility, draft.public_from) {
        (Some(Visibility::Public), Some(_)) => {
            errors.push(ValidationError::new("public_from", "only applies to supporters-only posts"));
            None
        }
        (_, other) => other,
    };
    let published_at = match draft.publish {
        Publish::Draft => None,
        // an already published post keeps its date when edited
        Publish::Now => Some(existing.and_then(|p| p.published_at).filter(|at| *at <= now).unwrap_or(now)),
        // a schedule in the past would publish at once and mail every follower: refused,
        // except the minute being typed (a `datetime-local` has no seconds) and an unchanged date
        Publish::At(at) => {
            let unchanged = existing.and_then(|p| p.published_at) == Some(at);
            if !unchanged && at.as_micros() < now.as_micros() - 60_000_000 {
                errors.push(ValidationError::new("publish_at", "is in the past: publish now, or choose a later time"));
            }
            Some(at)
        }
        Publish::Dated(at) => Some(at),
    };
    let live = match kind {
        Some(PostKind::Live) => live_fields(draft, &mut errors),
        _ => (None, None, None),
    };
    let poll = match kind {
        Some(PostKind::Poll) => poll_fields(draft, &mut errors),
        _ => (Vec::new(), false, None, None),
    };
    let (Some(kind), Some(title), Some(body), Some(visibility)) = (kind, title, body, visibility) else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let body_html = crate::markdown::render(&body);
    let (live_url, live_starts_at, live_ends_at) = live;
    let (poll_options, poll_multiple, poll_closes_at, poll_results) = poll;
    Ok(ValidPost {
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
        poll_options,
        poll_multiple,
        poll_closes_at,
        poll_results,
    })
}

/// The tier a tier post needs: one of the page's own.
fn min_tier(
    draft: &PostDraft,
    visibility: Option<Visibility>,
    tier_ids: &[Id],
    errors: &mut Vec<ValidationError>,
) -> Option<Id> {
    match (visibility, draft.min_tier_id.as_deref().map(str::trim).filter(|t| !t.is_empty())) {
        (Some(Visibility::Tier), Some(text)) => match text.parse::<Id>().ok().filter(|id| tier_ids.contains(id)) {
            Some(id) => Some(id),
            None => {
                errors.push(ValidationError::new("min_tier_id", "must be one of this page's tiers"));
                None
            }
        },
        (Some(Visibility::Tier), None) => {
            errors.push(ValidationError::new("min_tier_id", "is required when visibility is tier"));
            None
        }
        _ => None,
    }
}

/// A live post's address, start and end.
fn live_fields(
    draft: &PostDraft,
    errors: &mut Vec<ValidationError>,
) -> (Option<String>, Option<Timestamp>, Option<Timestamp>) {
    let live_url = draft.live_url.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned);
    match &live_url {
        Some(url) if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000 => {
            errors.push(ValidationError::new("live_url", "must be an http(s) address of the stream"));
        }
        Some(_) => {}
        None => errors.push(ValidationError::new("live_url", "is required for a live post")),
    }
    let (starts, ends) = (draft.live_starts_at, draft.live_ends_at);
    if starts.is_none() {
        errors.push(ValidationError::new("live_starts_at", "is required for a live post"));
    }
    if let (Some(starts), Some(ends)) = (starts, ends)
        && ends <= starts
    {
        errors.push(ValidationError::new("live_ends_at", "must be after the start"));
    }
    (live_url, starts, ends)
}

/// A poll's options, whether several may be chosen, its closing time and who sees results.
fn poll_fields(
    draft: &PostDraft,
    errors: &mut Vec<ValidationError>,
) -> (Vec<String>, bool, Option<Timestamp>, Option<PollResults>) {
    let labels: Vec<String> =
        draft.poll_options.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
    if !POLL_OPTIONS.contains(&labels.len()) {
        errors.push(ValidationError::new("poll_options", "a poll needs 2 to 10 options"));
    }
    if labels.iter().any(|o| o.chars().count() > 200) {
        errors.push(ValidationError::new("poll_options", "options are at most 200 characters long"));
    }
    let results = match draft.poll_results.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => Some(PollResults::Always),
        Some(text) => match PollResults::parse(text) {
            Some(results) => Some(results),
            None => {
                errors.push(ValidationError::new("poll_results", "must be always, after_vote or after_close"));
                None
            }
        },
    };
    (labels, draft.poll_multiple, draft.poll_closes_at, results)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(kind: &str) -> PostDraft {
        PostDraft {
            kind: kind.to_owned(),
            title: "A title".to_owned(),
            body: "Some *body*".to_owned(),
            visibility: "public".to_owned(),
            min_tier_id: None,
            public_from: None,
            publish: Publish::Now,
            live_url: None,
            live_starts_at: None,
            live_ends_at: None,
            poll_options: Vec::new(),
            poll_multiple: false,
            poll_closes_at: None,
            poll_results: None,
        }
    }

    fn fields(errors: Vec<ValidationError>) -> Vec<&'static str> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_text_post_is_rendered_and_published_now() {
        let now = Timestamp::now();
        let valid = validate(&draft("text"), &[], None, now).expect("valid");
        assert_eq!(valid.kind, PostKind::Text);
        assert_eq!(valid.published_at, Some(now));
        assert!(valid.body_html.contains("<em>body</em>"), "{}", valid.body_html);
        assert_eq!(valid.poll_results, None);
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let mut bad = draft("essay");
        bad.title = "  ".to_owned();
        bad.visibility = "tier".to_owned();
        let errors = validate(&bad, &[], None, Timestamp::now()).expect_err("invalid");
        assert_eq!(fields(errors), ["kind", "title", "min_tier_id"]);
    }

    #[test]
    fn a_tier_post_needs_one_of_the_pages_tiers() {
        let (ours, theirs) = (Id::new(), Id::new());
        let mut post = draft("text");
        post.visibility = "tier".to_owned();
        post.min_tier_id = Some(theirs.to_string());
        let errors = validate(&post, &[ours], None, Timestamp::now()).expect_err("foreign tier");
        assert_eq!(fields(errors), ["min_tier_id"]);
        post.min_tier_id = Some(ours.to_string());
        assert_eq!(validate(&post, &[ours], None, Timestamp::now()).expect("own tier").min_tier_id, Some(ours));
    }

    #[test]
    fn public_posts_cannot_be_released_later_and_published_ones_keep_their_date() {
        let now = Timestamp::now();
        let mut post = draft("text");
        post.public_from = Some(now);
        assert_eq!(fields(validate(&post, &[], None, now).expect_err("public_from")), ["public_from"]);
        post.public_from = None;
        let earlier = now.minus(std::time::Duration::from_secs(3600));
        let existing = Existing { kind: PostKind::Text, published_at: Some(earlier) };
        assert_eq!(validate(&post, &[], Some(existing), now).expect("edit").published_at, Some(earlier));
    }

    #[test]
    fn a_schedule_in_the_past_is_refused_but_the_minute_being_typed_is_not() {
        let now = Timestamp::now();
        let minutes = |n: u64| std::time::Duration::from_secs(60 * n);
        let mut post = draft("text");
        post.publish = Publish::At(now.minus(minutes(10)));
        assert_eq!(fields(validate(&post, &[], None, now).expect_err("past")), ["publish_at"]);
        post.publish = Publish::At(now.minus(std::time::Duration::from_secs(30)));
        assert!(validate(&post, &[], None, now).is_ok());
        post.publish = Publish::At(now.plus(minutes(60)));
        assert_eq!(validate(&post, &[], None, now).expect("future").published_at, Some(now.plus(minutes(60))));
        // an edit that keeps a date that has passed meanwhile, and a history brought in
        let earlier = now.minus(minutes(90));
        post.publish = Publish::At(earlier);
        let existing = Existing { kind: PostKind::Text, published_at: Some(earlier) };
        assert!(validate(&post, &[], Some(existing), now).is_ok());
        post.publish = Publish::Dated(earlier);
        assert_eq!(validate(&post, &[], None, now).expect("dated").published_at, Some(earlier));
    }

    #[test]
    fn polls_need_two_to_ten_options_and_a_known_results_rule() {
        let now = Timestamp::now();
        let mut poll = draft("poll");
        poll.poll_options = vec!["Yes".to_owned(), " ".to_owned()];
        poll.poll_results = Some("never".to_owned());
        assert_eq!(fields(validate(&poll, &[], None, now).expect_err("poll")), ["poll_options", "poll_results"]);
        poll.poll_options = vec![" Yes ".to_owned(), "No".to_owned()];
        poll.poll_results = None;
        let valid = validate(&poll, &[], None, now).expect("poll");
        assert_eq!(valid.poll_options, ["Yes", "No"]);
        assert_eq!(valid.poll_results, Some(PollResults::Always));
    }

    #[test]
    fn live_posts_need_an_address_and_an_end_after_the_start() {
        let now = Timestamp::now();
        let mut live = draft("live");
        live.live_url = Some("ftp://stream".to_owned());
        live.live_starts_at = Some(now);
        live.live_ends_at = Some(now);
        assert_eq!(fields(validate(&live, &[], None, now).expect_err("live")), ["live_url", "live_ends_at"]);
    }

    #[test]
    fn poll_results_show_as_the_creator_chose() {
        assert!(PollResults::AfterVote.visible(false, true, false));
        assert!(!PollResults::AfterVote.visible(false, false, false));
        assert!(!PollResults::AfterClose.visible(false, true, false));
        assert!(PollResults::AfterClose.visible(true, false, false));
        assert!(PollResults::AfterClose.visible(false, false, true));
        assert_eq!(vote_percent(1, 3), 33);
        assert_eq!(vote_percent(2, 3), 67);
        assert_eq!(vote_percent(0, 0), 0);
    }
}
