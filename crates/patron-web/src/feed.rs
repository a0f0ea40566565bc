//! A fan's feed: posts of the creators they follow (members follow too), newest first, each
//! checked against the fan's entitlement for its creator.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::posts::{PostView, Seen, decode_cursor, encode_cursor, views};
use patron_domain::Timestamp;
use patron_domain::entitlement::Viewer;

/// Posts per page of the feed.
pub const PAGE_SIZE: i64 = 20;

/// One page of the feed — (post, creator slug, creator name) — and the next page's cursor.
/// Four statements whatever the number of followed creators: posts, relations, poll options,
/// the fan's votes.
pub async fn feed(
    state: &AppState,
    user: &CurrentUser,
    cursor: Option<&str>,
) -> Result<(Vec<(PostView, String, String)>, Option<String>), ApiError> {
    let after = decode_cursor(cursor)?;
    let now = Timestamp::now();
    let page =
        patron_store::posts::feed(state.db.pool(), state.db.backend(), user.user.id, now, after, PAGE_SIZE).await?;
    let next = if page.len() as i64 == PAGE_SIZE {
        page.last().and_then(|p| p.post.cursor()).map(encode_cursor)
    } else {
        None
    };
    let mut creator_ids: Vec<_> = page.iter().map(|p| p.post.creator_id).collect();
    creator_ids.sort();
    creator_ids.dedup();
    let relations = patron_store::creators::relations(state.db.pool(), user.user.id, &creator_ids).await?;
    let names: Vec<(String, String)> = page.iter().map(|p| (p.creator_slug.clone(), p.creator_name.clone())).collect();
    let seen: Vec<Seen> = page
        .into_iter()
        .map(|item| {
            let relation = relations.get(&item.post.creator_id);
            let team_role = relation.and_then(|r| r.team_role);
            let viewer = match team_role {
                Some(role) => Viewer::Team(role),
                None if user.user.is_platform_admin => Viewer::PlatformAdmin,
                None => Viewer::Fan { membership: relation.and_then(|r| r.membership.as_ref()).map(|m| m.facts()) },
            };
            Seen { post: item.post, viewer, is_team: team_role.is_some() }
        })
        .collect();
    // hidden posts (none expected: the feed lists published posts) are dropped by `views`;
    // match names by post order, which `views` keeps
    let ids_before: Vec<_> = seen.iter().map(|s| s.post.id).collect();
    let viewed = views(state, seen, Some(user.user.id), now).await?;
    let mut result = Vec::with_capacity(viewed.len());
    for view in viewed {
        if let Some(index) = ids_before.iter().position(|id| *id == view.post.id) {
            let (slug, name) = names[index].clone();
            result.push((view, slug, name));
        }
    }
    Ok((result, next))
}
