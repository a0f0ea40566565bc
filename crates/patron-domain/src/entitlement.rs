//! Who may see what: the one function every view of a post goes through — pages, API, feeds,
//! attachments, notifications. It is pure, so it can be tested exhaustively.

use crate::Timestamp;
use crate::creator::TeamRole;
use crate::membership::MembershipFacts;
use crate::post::{PostAudience, Visibility};

/// What a viewer gets of a post.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Everything: body, media, poll, comments.
    Full,
    /// Title, kind and what unlocks it — never the body or media.
    Teaser,
    /// Nothing: the post does not exist for this viewer (a draft, not yet published, media
    /// still processing).
    Hidden,
}

/// Who is looking, in relation to the post's creator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    /// Not logged in.
    Anonymous,
    /// Logged in; `membership` is their membership of this creator, if any.
    Fan {
        /// The membership, whatever its status.
        membership: Option<MembershipFacts>,
    },
    /// A member of the creator's team.
    Team(TeamRole),
    /// A platform administrator (moderation).
    PlatformAdmin,
}

/// What `viewer` may see of a post with this audience at `now`.
pub fn access(viewer: Viewer, post: &PostAudience, now: Timestamp) -> Access {
    if matches!(viewer, Viewer::Team(_) | Viewer::PlatformAdmin) {
        return Access::Full;
    }
    let published = post.published_at.is_some_and(|at| at <= now);
    if !published || !post.media_processed {
        return Access::Hidden;
    }
    if post.visibility == Visibility::Public || post.public_from.is_some_and(|from| from <= now) {
        return Access::Full;
    }
    let membership = match viewer {
        Viewer::Fan { membership: Some(membership) } if membership.entitles(now) => membership,
        _ => return Access::Teaser,
    };
    if unlocks(membership.tier_rank, post) { Access::Full } else { Access::Teaser }
}

/// Whether a live membership of a tier of `tier_rank` opens a post with this audience: any
/// tier opens a supporters' post, a tier post asks for its tier or a higher one.
pub fn unlocks(tier_rank: i64, post: &PostAudience) -> bool {
    match (post.visibility, post.min_tier_rank) {
        (Visibility::Tier, Some(required)) => tier_rank >= required,
        // a tier post whose tier was deleted falls back to all supporters
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::membership::MembershipStatus::{self, *};
    use std::time::Duration;

    const HOUR: Duration = Duration::from_secs(3600);

    fn now() -> Timestamp {
        Timestamp::from_micros(1_800_000_000_000_000)
    }

    fn post(visibility: Visibility, min_tier_rank: Option<i64>) -> PostAudience {
        PostAudience {
            published_at: Some(now().minus(HOUR)),
            visibility,
            min_tier_rank,
            public_from: None,
            media_processed: true,
        }
    }

    fn fan(status: MembershipStatus, tier_rank: i64, grace_left: Option<Duration>) -> Viewer {
        Viewer::Fan {
            membership: Some(MembershipFacts { status, tier_rank, grace_until: grace_left.map(|d| now().plus(d)) }),
        }
    }

    const PUBLIC: (Visibility, Option<i64>) = (Visibility::Public, None);
    const SUPPORTERS: (Visibility, Option<i64>) = (Visibility::Supporters, None);
    const TIER_2: (Visibility, Option<i64>) = (Visibility::Tier, Some(2));

    /// One row of the matrix: who, as which viewer, sees a post of which audience, and what they get.
    type Case = (&'static str, Viewer, (Visibility, Option<i64>), Access);

    /// Every viewer × visibility × membership state, with the expected outcome written out.
    #[test]
    fn the_entitlement_matrix() {
        use Access::{Full, Teaser};
        let in_grace = Some(HOUR);
        let grace_over = Some(Duration::ZERO);
        #[rustfmt::skip]
        let matrix: Vec<Case> = vec![
            ("anonymous",              Viewer::Anonymous,               PUBLIC,     Full),
            ("anonymous",              Viewer::Anonymous,               SUPPORTERS, Teaser),
            ("anonymous",              Viewer::Anonymous,               TIER_2,     Teaser),
            ("follower, no membership", Viewer::Fan { membership: None }, PUBLIC,     Full),
            ("follower, no membership", Viewer::Fan { membership: None }, SUPPORTERS, Teaser),
            ("follower, no membership", Viewer::Fan { membership: None }, TIER_2,     Teaser),
            ("pending tier 3",         fan(Pending, 3, None),           PUBLIC,     Full),
            ("pending tier 3",         fan(Pending, 3, None),           SUPPORTERS, Teaser),
            ("pending tier 3",         fan(Pending, 3, None),           TIER_2,     Teaser),
            ("active tier 1",          fan(Active, 1, None),            PUBLIC,     Full),
            ("active tier 1",          fan(Active, 1, None),            SUPPORTERS, Full),
            ("active tier 1",          fan(Active, 1, None),            TIER_2,     Teaser),
            ("active tier 2",          fan(Active, 2, None),            TIER_2,     Full),
            ("active tier 3",          fan(Active, 3, None),            TIER_2,     Full),
            ("past due in grace, t2",  fan(PastDue, 2, in_grace),       SUPPORTERS, Full),
            ("past due in grace, t2",  fan(PastDue, 2, in_grace),       TIER_2,     Full),
            ("past due in grace, t1",  fan(PastDue, 1, in_grace),       TIER_2,     Teaser),
            ("past due, grace over",   fan(PastDue, 3, grace_over),     PUBLIC,     Full),
            ("past due, grace over",   fan(PastDue, 3, grace_over),     SUPPORTERS, Teaser),
            ("past due, grace over",   fan(PastDue, 3, grace_over),     TIER_2,     Teaser),
            ("past due, no grace",     fan(PastDue, 3, None),           SUPPORTERS, Teaser),
            ("expired tier 3",         fan(Expired, 3, None),           PUBLIC,     Full),
            ("expired tier 3",         fan(Expired, 3, None),           SUPPORTERS, Teaser),
            ("expired tier 3",         fan(Expired, 3, None),           TIER_2,     Teaser),
            ("owner",                  Viewer::Team(TeamRole::Owner),       TIER_2,     Full),
            ("contributor",            Viewer::Team(TeamRole::Contributor), TIER_2,     Full),
            ("platform admin",         Viewer::PlatformAdmin,           TIER_2,     Full),
        ];
        for (who, viewer, (visibility, rank), expected) in &matrix {
            let got = access(*viewer, &post(*visibility, *rank), now());
            assert_eq!(got, *expected, "{who} viewing a {visibility:?} post");
        }
        // the matrix covers every membership state and visibility
        for status in MembershipStatus::ALL {
            assert!(
                matrix
                    .iter()
                    .any(|(_, v, _, _)| matches!(v, Viewer::Fan { membership: Some(m) } if m.status == status))
            );
        }
        for visibility in Visibility::ALL {
            assert!(matrix.iter().any(|(_, _, (v, _), _)| *v == visibility));
        }
    }

    #[test]
    fn drafts_scheduled_posts_and_unprocessed_media_exist_only_for_the_team() {
        let draft = PostAudience { published_at: None, ..post(Visibility::Public, None) };
        let scheduled = PostAudience { published_at: Some(now().plus(HOUR)), ..post(Visibility::Public, None) };
        let processing = PostAudience { media_processed: false, ..post(Visibility::Public, None) };
        for audience in [draft, scheduled, processing] {
            assert_eq!(access(Viewer::Anonymous, &audience, now()), Access::Hidden);
            assert_eq!(access(fan(Active, 9, None), &audience, now()), Access::Hidden);
            assert_eq!(access(Viewer::Team(TeamRole::Contributor), &audience, now()), Access::Full);
        }
    }

    #[test]
    fn scheduled_posts_publish_themselves_when_their_time_comes() {
        let scheduled = PostAudience { published_at: Some(now().plus(HOUR)), ..post(Visibility::Public, None) };
        assert_eq!(access(Viewer::Anonymous, &scheduled, now()), Access::Hidden);
        assert_eq!(access(Viewer::Anonymous, &scheduled, now().plus(HOUR)), Access::Full);
    }

    #[test]
    fn time_released_posts_become_public_on_their_date() {
        let early_access = PostAudience { public_from: Some(now().plus(HOUR)), ..post(Visibility::Tier, Some(2)) };
        assert_eq!(access(fan(Active, 2, None), &early_access, now()), Access::Full, "tier 2 sees it early");
        assert_eq!(access(Viewer::Anonymous, &early_access, now()), Access::Teaser);
        assert_eq!(access(Viewer::Anonymous, &early_access, now().plus(HOUR)), Access::Full, "public from D");
    }
}
