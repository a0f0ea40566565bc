//! The public list of creators, and a fan's feed.

use super::creators::{PostCard, date, post_card};
use super::{Layout, Page, page_error, render};
use crate::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/discover", get(discover)).route("/feed", get(feed)).route("/rss/{token}", get(rss))
}

/// A creator page in a list: discover, the home page.
pub(super) struct CreatorCard {
    pub slug: String,
    pub name: String,
    pub avatar_url: Option<String>,
    pub bio: String,
    pub supporters: i64,
    pub since: String,
}

/// The cards of `creators`.
pub(super) fn creator_cards(lang: crate::i18n::Lang, creators: &[patron_app::creators::Creator]) -> Vec<CreatorCard> {
    creators
        .iter()
        .map(|c| CreatorCard {
            slug: c.slug.clone(),
            avatar_url: c.avatar_key.as_ref().map(|key| format!("/media/{key}")),
            name: c.name.clone(),
            bio: patron_domain::markdown::to_plain_text(&c.bio, 160),
            supporters: c.supporters_count,
            since: date(lang, c.created_at),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "discover.html")]
struct DiscoverPage {
    layout: Layout,
    creators: Vec<CreatorCard>,
    q: String,
    sort: String,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct DiscoverQuery {
    q: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

async fn discover(State(state): State<AppState>, page: Page, Query(query): Query<DiscoverQuery>) -> Response {
    let lang = page.lang();
    let list = match patron_app::creators::discover(
        &state.app,
        query.sort.as_deref(),
        query.q.as_deref(),
        query.cursor.as_deref(),
        24,
    )
    .await
    {
        Ok(list) => list,
        Err(error) => return page_error(error),
    };
    let view = DiscoverPage {
        creators: creator_cards(lang, &list.creators),
        q: query.q.unwrap_or_default(),
        sort: query.sort.unwrap_or_else(|| "newest".to_owned()),
        next_cursor: list.next_cursor,
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "feed.html")]
struct FeedPage {
    layout: Layout,
    posts: Vec<PostCard>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct FeedQuery {
    cursor: Option<String>,
}

async fn feed(State(state): State<AppState>, page: Page, Query(query): Query<FeedQuery>) -> Response {
    let Some(current) = page.user.0.clone() else {
        return Redirect::to("/login?next=/feed").into_response();
    };
    let lang = page.lang();
    let (views, next) = match patron_app::feed::feed(&state.app, &current.user, query.cursor.as_deref()).await {
        Ok(result) => result,
        Err(error) => return page_error(error),
    };
    let view = FeedPage {
        posts: views.iter().map(|(view, slug, name)| post_card(lang, slug, name, view, &[])).collect(),
        next_cursor: next,
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

/// `GET /rss/{token}`: a private RSS feed; unknown and revoked tokens are 404.
async fn rss(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match patron_app::feed::rss(&state.app, &token).await {
        Ok(Some(xml)) => (
            [
                (header::CONTENT_TYPE, "application/rss+xml; charset=utf-8"),
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            xml,
        )
            .into_response(),
        Ok(None) => {
            super::error_page(StatusCode::NOT_FOUND, "Feed not found", "This feed address is unknown or was revoked.")
        }
        Err(error) => page_error(error),
    }
}
