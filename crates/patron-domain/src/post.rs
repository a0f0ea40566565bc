//! Posts: one kind of record for text, photo, video, poll and live posts (lesson 7: no
//! polymorphic detail tables), with the rules for who may see them.

use crate::{Timestamp, ValidationError};
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
