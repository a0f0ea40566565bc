//! Polls as a viewer sees them: the counts only when the creator's rule allows, whether the
//! viewer may vote and what they chose. Voting itself is a post operation
//! ([`crate::posts::vote`]).

use patron_domain::post::{PollResults, vote_percent};
use patron_domain::{Id, Timestamp};
use patron_store::polls::PollOption;
use patron_store::posts::Post;

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

/// A poll as one viewer sees it, from its post, its options with their counts and the
/// viewer's own choices.
pub(crate) fn poll_view(
    post: &Post,
    options: &[&PollOption],
    chosen: &[Id],
    can_participate: bool,
    is_team: bool,
    now: Timestamp,
) -> PollView {
    let closed = post.poll_closes_at.is_some_and(|at| at <= now);
    let voted = !chosen.is_empty();
    let visible = post.poll_results.unwrap_or(PollResults::Always).visible(closed, voted, is_team);
    let total: i64 = options.iter().map(|o| o.votes).sum();
    PollView {
        options: options
            .iter()
            .map(|o| PollOptionView {
                id: o.id,
                label: o.label.clone(),
                votes: visible.then_some(o.votes),
                percent: visible.then(|| vote_percent(o.votes, total)),
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
