//! A fan's feed: posts of the creators they follow (members follow too), newest first, each
//! checked against the fan's entitlement for its creator.

use crate::cursor::{decode_cursor, encode_cursor};
use crate::posts::{PostView, Seen, views};
use crate::{App, AppError, User};
use patron_domain::entitlement::Viewer;
use patron_domain::{Id, SecretToken, Timestamp};

pub use patron_store::feed_tokens::FeedToken;

/// Posts per page of the feed.
pub const PAGE_SIZE: i64 = 20;

/// One page of the feed — (post, creator slug, creator name) — and the next page's cursor.
/// Four statements whatever the number of followed creators: posts, relations, poll options,
/// the fan's votes.
pub async fn feed(
    app: &App,
    user: &User,
    cursor: Option<&str>,
) -> Result<(Vec<(PostView, String, String)>, Option<String>), AppError> {
    feed_of(app, user.id, user.is_platform_admin, cursor).await
}

async fn feed_of(
    app: &App,
    user_id: Id,
    is_admin: bool,
    cursor: Option<&str>,
) -> Result<(Vec<(PostView, String, String)>, Option<String>), AppError> {
    let after = decode_cursor(cursor)?;
    let now = Timestamp::now();
    let page = patron_store::posts::feed(app.db.pool(), app.db.backend(), user_id, now, after, PAGE_SIZE).await?;
    let next = if page.len() as i64 == PAGE_SIZE {
        page.last().and_then(|p| p.post.cursor()).map(encode_cursor)
    } else {
        None
    };
    let mut creator_ids: Vec<_> = page.iter().map(|p| p.post.creator_id).collect();
    creator_ids.sort();
    creator_ids.dedup();
    let relations = patron_store::creators::relations(app.db.pool(), user_id, &creator_ids).await?;
    let names: Vec<(String, String)> = page.iter().map(|p| (p.creator_slug.clone(), p.creator_name.clone())).collect();
    let seen: Vec<Seen> = page
        .into_iter()
        .map(|item| {
            let relation = relations.get(&item.post.creator_id);
            let team_role = relation.and_then(|r| r.team_role);
            let viewer = match team_role {
                Some(role) => Viewer::Team(role),
                None if is_admin => Viewer::PlatformAdmin,
                None => Viewer::Fan { membership: relation.and_then(|r| r.membership.as_ref()).map(|m| m.facts()) },
            };
            Seen { post: item.post, viewer, is_team: team_role.is_some() }
        })
        .collect();
    // hidden posts (none expected: the feed lists published posts) are dropped by `views`;
    // match names by post order, which `views` keeps
    let ids_before: Vec<_> = seen.iter().map(|s| s.post.id).collect();
    let viewed = views(app, seen, Some(user_id), now).await?;
    let mut result = Vec::with_capacity(viewed.len());
    for view in viewed {
        if let Some(index) = ids_before.iter().position(|id| *id == view.post.id) {
            let (slug, name) = names[index].clone();
            result.push((view, slug, name));
        }
    }
    Ok((result, next))
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // characters XML 1.0 cannot carry
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

fn rfc2822(at: Timestamp) -> String {
    at.to_offset_datetime().format(&time::format_description::well_known::Rfc2822).unwrap_or_default()
}

/// The private RSS document for a feed token: the posts of one creator (or of every followed
/// creator), in full where the token's owner is entitled, as teasers elsewhere. `None` when
/// the token is unknown or revoked.
pub async fn rss(app: &App, token: &str) -> Result<Option<String>, AppError> {
    let Some(token) = SecretToken::parse(token) else { return Ok(None) };
    let Some(feed) = patron_store::feed_tokens::find(app.db.pool(), &token).await? else { return Ok(None) };
    let base = app.settings.public_url.as_str().trim_end_matches('/').to_owned();
    let now = Timestamp::now();
    let (title, link, items) = match (feed.creator_id, &feed.creator) {
        (Some(creator_id), Some((slug, name))) => {
            let relations = patron_store::creators::relations(app.db.pool(), feed.user_id, &[creator_id]).await?;
            let relation = relations.get(&creator_id);
            let team_role = relation.and_then(|r| r.team_role);
            let viewer = match team_role {
                Some(role) => Viewer::Team(role),
                None => Viewer::Fan { membership: relation.and_then(|r| r.membership.as_ref()).map(|m| m.facts()) },
            };
            let posts = patron_store::posts::list_published(app.db.pool(), creator_id, now, None, PAGE_SIZE).await?;
            let seen = posts.into_iter().map(|post| Seen { post, viewer, is_team: team_role.is_some() }).collect();
            let viewed = views(app, seen, Some(feed.user_id), now).await?;
            let items = viewed.into_iter().map(|v| (v, slug.clone(), name.clone())).collect();
            (name.clone(), format!("{base}/{slug}"), items)
        }
        _ => {
            let (items, _) = feed_of(app, feed.user_id, false, None).await?;
            ("patron".to_owned(), format!("{base}/feed"), items)
        }
    };
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">\n<channel>\n");
    xml.push_str(&format!("<title>{}</title>\n<link>{}</link>\n", xml_escape(&title), xml_escape(&link)));
    xml.push_str(&format!("<description>{}</description>\n", xml_escape(&format!("Private feed: {title}"))));
    for (view, slug, name) in &items {
        let post = &view.post;
        let url = format!("{base}/{slug}/posts/{}", post.id);
        let description = if view.access == patron_domain::entitlement::Access::Full {
            post.body_html.clone()
        } else {
            format!("<p>{}</p>", xml_escape(&format!("For supporters of {name}.")))
        };
        xml.push_str("<item>\n");
        xml.push_str(&format!("<title>{}</title>\n<link>{}</link>\n", xml_escape(&post.title), xml_escape(&url)));
        xml.push_str(&format!("<guid isPermaLink=\"false\">{}</guid>\n", post.id));
        if let Some(at) = post.published_at {
            xml.push_str(&format!("<pubDate>{}</pubDate>\n", rfc2822(at)));
        }
        xml.push_str(&format!("<description>{}</description>\n</item>\n", xml_escape(&description)));
    }
    xml.push_str("</channel>\n</rss>\n");
    Ok(Some(xml))
}

/// Makes a private RSS feed for `user` — of one creator when `creator_slug` is given — and
/// returns its id, its secret URL and the creator's slug.
pub async fn create_private_feed(
    app: &App,
    user: &User,
    creator_slug: Option<&str>,
) -> Result<(String, String, Option<String>), AppError> {
    let creator = match creator_slug.map(str::trim).filter(|s| !s.is_empty()) {
        Some(slug) => Some(crate::creators::load(app, slug, Some(user)).await?.creator),
        None => None,
    };
    let (token, id) = patron_store::feed_tokens::create(app.db.pool(), user.id, creator.as_ref().map(|c| c.id)).await?;
    let url = app.url(&format!("/rss/{}", token.expose()));
    Ok((id, url, creator.map(|c| c.slug)))
}

/// A user's private feeds, newest first.
pub async fn private_feeds(app: &App, user_id: Id) -> Result<Vec<FeedToken>, AppError> {
    Ok(patron_store::feed_tokens::list(app.db.pool(), user_id).await?)
}

/// Revokes one of a user's private feeds: its address stops working. `NotFound` for anyone else's.
pub async fn revoke_private_feed(app: &App, user_id: Id, feed_id: &str) -> Result<(), AppError> {
    if patron_store::feed_tokens::revoke(app.db.pool(), user_id, feed_id).await? {
        Ok(())
    } else {
        Err(AppError::nothing_here())
    }
}
