//! The public side of creator pages: the page with its tiers and posts, a post with its poll
//! and comments, following, voting and commenting — all working without JavaScript.

use super::{Layout, Page, page_error, render};
use crate::AppState;
use crate::extract::PageForm;
use crate::i18n::Lang;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use patron_app::AppError;
use patron_app::comments::Comment;
use patron_app::creators::{self, PageAccess};
use patron_app::posts::{self, PostView};
use patron_app::tiers::Tier;
use patron_domain::entitlement::Access;
use patron_domain::post::{LiveStatus, PostKind, Visibility};
use patron_domain::{Id, Timestamp};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/{slug}", get(creator_page))
        .route("/{slug}/follow", post(follow))
        .route("/{slug}/unfollow", post(unfollow))
        .route("/{slug}/posts/{post_id}", get(post_page))
        .route("/{slug}/posts/{post_id}/vote", post(vote))
        .route("/{slug}/posts/{post_id}/comments", post(add_comment))
        .route("/{slug}/posts/{post_id}/comments/{comment_id}/delete", post(delete_comment))
}

/// A date as people of the page's language write it (Czech readers: Prague's day).
pub(crate) fn date(lang: Lang, at: Timestamp) -> String {
    patron_domain::civil::date_text(at, lang.code())
}

/// A date and time for schedules and live streams: Prague's time for Czech readers, UTC
/// (said so) for English ones.
pub(crate) fn date_time(lang: Lang, at: Timestamp) -> String {
    patron_domain::civil::date_time_text(at, lang.code())
}

pub(crate) fn money(amount: i64, currency: &str) -> String {
    crate::i18n::money(amount, currency)
}

/// A tier as the page shows it.
pub(crate) struct TierCard {
    pub id: String,
    pub name: String,
    pub description_html: String,
    pub benefits: Vec<String>,
    pub monthly: String,
    pub yearly: Option<String>,
    pub is_mine: bool,
}

pub(crate) fn tier_card(tier: &Tier, my_tier: Option<Id>) -> TierCard {
    TierCard {
        id: tier.id.to_string(),
        name: tier.name.clone(),
        description_html: patron_domain::markdown::render(&tier.description),
        benefits: tier.benefits.clone(),
        monthly: money(tier.monthly_price, &tier.currency),
        yearly: tier.yearly_price.map(|p| money(p, &tier.currency)),
        is_mine: my_tier == Some(tier.id),
    }
}

/// A poll option as the page shows it.
pub(crate) struct OptionCard {
    pub id: String,
    pub label: String,
    pub votes: Option<i64>,
    pub percent: i64,
    pub chosen: bool,
}

/// A poll as the page shows it.
pub(crate) struct PollCard {
    pub options: Vec<OptionCard>,
    pub multiple: bool,
    pub closed: bool,
    pub closes_at: Option<String>,
    pub results_visible: bool,
    pub can_vote: bool,
    pub voted: bool,
    pub total: i64,
}

/// A post as the page shows it: full, or a teaser that holds no part of the body.
pub(crate) struct PostCard {
    pub id: String,
    pub slug: String,
    pub creator_name: String,
    pub kind: &'static str,
    pub title: String,
    /// Alone on its own page (its title is the page's heading), or one of a list.
    pub single: bool,
    pub locked: bool,
    pub unlock: String,
    /// For a locked post: the cheapest tier that opens it, and its monthly price.
    pub join: Option<(String, String)>,
    pub body_html: String,
    pub published: String,
    pub pinned: bool,
    pub poll: Option<PollCard>,
    pub live_status: Option<&'static str>,
    pub live_url: Option<String>,
    pub live_starts: Option<String>,
    pub comments_count: i64,
    pub early_access_until: Option<String>,
    pub media: Vec<patron_app::media::MediaView>,
}

impl PostCard {
    /// The catalogue key of the post's kind.
    pub fn kind_key(&self) -> &'static str {
        match self.kind {
            "photo" => "kind.photo",
            "video" => "kind.video",
            "poll" => "kind.poll",
            "live" => "kind.live",
            _ => "kind.text",
        }
    }

    /// The catalogue key of a live post's status.
    pub fn live_key(&self) -> &'static str {
        match self.live_status {
            Some("live") => "live.live",
            Some("ended") => "live.ended",
            _ => "live.upcoming",
        }
    }
}

/// The cheapest paid tier of `tiers` that opens a post with `audience`: its id and its
/// monthly price, for the locked post's Join button.
fn cheapest_unlocking(tiers: &[Tier], audience: &patron_domain::post::PostAudience) -> Option<(String, String)> {
    tiers
        .iter()
        .filter(|t| t.archived_at.is_none() && t.monthly_price > 0)
        .filter(|t| patron_domain::entitlement::unlocks(t.rank, audience))
        .min_by_key(|t| (t.monthly_price, t.rank))
        .map(|t| (t.id.to_string(), crate::i18n::money(t.monthly_price, &t.currency)))
}

/// A post as a page shows it; `tiers` are the page's, for a locked post's Join button (none
/// where the page's tiers are not at hand, such as the feed).
pub(crate) fn post_card(lang: Lang, slug: &str, creator_name: &str, view: &PostView, tiers: &[Tier]) -> PostCard {
    let post = &view.post;
    let locked = view.access != Access::Full;
    let join = if locked { cheapest_unlocking(tiers, &post.audience()) } else { None };
    let unlock = match (post.visibility, &post.min_tier_name) {
        (Visibility::Tier, Some(tier)) => lang.t1("post.unlock_tier", tier),
        _ => lang.t("post.unlock_supporters").to_owned(),
    };
    PostCard {
        id: post.id.to_string(),
        slug: slug.to_owned(),
        creator_name: creator_name.to_owned(),
        kind: post.kind.as_str(),
        title: post.title.clone(),
        single: false,
        locked,
        unlock,
        join,
        body_html: if locked { String::new() } else { post.body_html.clone() },
        published: post.published_at.map(|at| date(lang, at)).unwrap_or_default(),
        pinned: post.pinned,
        poll: view.poll.as_ref().map(|poll| PollCard {
            options: poll
                .options
                .iter()
                .map(|o| OptionCard {
                    id: o.id.to_string(),
                    label: o.label.clone(),
                    votes: o.votes,
                    percent: o.percent.unwrap_or(0),
                    chosen: o.chosen,
                })
                .collect(),
            multiple: poll.multiple,
            closed: poll.closed,
            closes_at: poll.closes_at.map(|at| date_time(lang, at)),
            results_visible: poll.results_visible,
            can_vote: poll.can_vote,
            voted: poll.voted,
            total: poll.total_votes.unwrap_or(0),
        }),
        live_status: view.live.map(|status| match status {
            LiveStatus::Upcoming => "upcoming",
            LiveStatus::Live => "live",
            LiveStatus::Ended => "ended",
        }),
        live_url: if locked { None } else { post.live_url.clone() },
        live_starts: (post.kind == PostKind::Live)
            .then_some(post.live_starts_at)
            .flatten()
            .map(|at| date_time(lang, at)),
        comments_count: post.comments_count,
        early_access_until: post
            .public_from
            .filter(|from| *from > Timestamp::now() && post.visibility != Visibility::Public)
            .map(|from| date(lang, from)),
        media: if locked { Vec::new() } else { view.media.clone() },
    }
}

#[derive(Template)]
#[template(path = "creator.html")]
struct CreatorPage {
    layout: Layout,
    slug: String,
    name: String,
    avatar_url: Option<String>,
    cover_url: Option<String>,
    bio_html: String,
    supporters: i64,
    followers: i64,
    is_hidden: bool,
    team_role: Option<&'static str>,
    follows: bool,
    membership: Option<String>,
    /// Whether the viewer may join a tier (not a member, not in the team, payments on).
    can_join: bool,
    /// The catalogue key of a payment's result to show.
    payment_notice: Option<&'static str>,
    /// Whether the viewer is an active member who may move to another tier.
    can_switch: bool,
    tiers: Vec<TierCard>,
    posts: Vec<PostCard>,
    next_cursor: Option<String>,
}

/// A country in the billing details' list.
pub(crate) struct CountryOption {
    pub code: &'static str,
    pub name: String,
    pub selected: bool,
}

/// A name's sort key by the Czech alphabet's first level: Č, Ř, Š and Ž follow their base
/// letter, other accents sort with it (English names are plain ASCII and sort as usual).
fn alphabet_key(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'č' => "c\u{7f}".to_owned(),
            'ř' => "r\u{7f}".to_owned(),
            'š' => "s\u{7f}".to_owned(),
            'ž' => "z\u{7f}".to_owned(),
            'á' => "a".to_owned(),
            'ď' => "d".to_owned(),
            'é' | 'ě' => "e".to_owned(),
            'í' => "i".to_owned(),
            'ň' => "n".to_owned(),
            'ó' => "o".to_owned(),
            'ť' => "t".to_owned(),
            'ú' | 'ů' => "u".to_owned(),
            'ý' => "y".to_owned(),
            other => other.to_string(),
        })
        .collect()
}

/// The countries a fan can be billed in, in the page's language, `selected` chosen.
pub(crate) fn country_options(lang: Lang, selected: &str) -> Vec<CountryOption> {
    let mut options: Vec<CountryOption> = patron_domain::residence::OFFERED_COUNTRIES
        .iter()
        .map(|code| CountryOption {
            code,
            name: lang.t(&format!("country.{code}")).to_owned(),
            selected: *code == selected,
        })
        .collect();
    // alphabetically in the language, "another country" last
    options.sort_by_cached_key(|option| (option.code == "ZZ", alphabet_key(&option.name)));
    options
}

#[derive(Deserialize)]
struct CursorQuery {
    cursor: Option<String>,
    /// How a payment ended, after the provider sent the fan back (`paid`, `declined`).
    payment: Option<String>,
    /// How a change of tier ended (`changed`, `scheduled`).
    tier: Option<String>,
}

async fn load(state: &AppState, page: &Page, slug: &str) -> Result<PageAccess, Response> {
    creators::load(&state.app, slug, page.user.user()).await.map_err(|e| not_found_page(page.lang(), e))
}

fn not_found_page(lang: Lang, error: AppError) -> Response {
    if let AppError::NotFound(_) = error {
        super::error_page(StatusCode::NOT_FOUND, lang.t("error.not_found"), lang.t("error.not_found_text"))
    } else {
        page_error(error)
    }
}

async fn creator_page(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    Query(query): Query<CursorQuery>,
) -> Response {
    let access = match load(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    let lang = page.lang();
    let after = match patron_app::cursor::decode_cursor(query.cursor.as_deref()) {
        Ok(after) => after,
        Err(error) => return page_error(error),
    };
    let tiers = match patron_app::tiers::visible_tiers(&state.app, &access).await {
        Ok(tiers) => tiers,
        Err(error) => return page_error(error),
    };
    let (views, next) = match posts::page_of_posts(&state.app, &access, after, posts::PAGE_SIZE).await {
        Ok(result) => result,
        Err(error) => return page_error(error),
    };
    let my_tier = access.relation.membership.as_ref().map(|m| m.tier_id);
    let view = CreatorPage {
        slug: access.creator.slug.clone(),
        name: access.creator.name.clone(),
        avatar_url: access.creator.avatar_key.as_ref().map(|key| format!("/media/{key}")),
        cover_url: access.creator.cover_key.as_ref().map(|key| format!("/media/{key}")),
        bio_html: patron_domain::markdown::render(&access.creator.bio),
        supporters: access.creator.supporters_count,
        followers: access.creator.followers_count,
        is_hidden: access.creator.is_hidden,
        team_role: access.relation.team_role.map(|r| r.as_str()),
        follows: access.relation.follows,
        membership: access.relation.membership.as_ref().map(|m| m.tier_name.clone()),
        can_join: access.relation.team_role.is_none()
            && access
                .relation
                .membership
                .as_ref()
                .is_none_or(|m| m.status == patron_domain::membership::MembershipStatus::Expired)
            && state.app.payments.default_provider().is_some(),
        payment_notice: match (query.payment.as_deref(), query.tier.as_deref()) {
            (Some("paid"), _) => Some("payment.paid"),
            (Some("declined"), _) => Some("payment.declined"),
            (_, Some("changed")) => Some("payment.tier_changed"),
            (_, Some("scheduled")) => Some("payment.tier_scheduled"),
            _ => None,
        },
        can_switch: access
            .relation
            .membership
            .as_ref()
            .is_some_and(|m| m.status == patron_domain::membership::MembershipStatus::Active),
        tiers: tiers.iter().filter(|t| t.archived_at.is_none()).map(|t| tier_card(t, my_tier)).collect(),
        posts: views.iter().map(|v| post_card(lang, &access.creator.slug, &access.creator.name, v, &tiers)).collect(),
        next_cursor: next.map(patron_app::cursor::encode_cursor),
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    layout: Layout,
    post: PostCard,
    logged_in: bool,
    comments: Vec<CommentCard>,
}

/// A comment as the page shows it.
struct CommentCard {
    id: String,
    author: String,
    body: String,
    when: String,
    deleted: bool,
    is_reply: bool,
    can_delete: bool,
}

fn comment_cards(lang: Lang, list: &[Comment], me: Option<Id>, is_team: bool) -> Vec<CommentCard> {
    // replies follow their thread's first comment
    let mut ordered: Vec<&Comment> = list.iter().filter(|c| c.parent_id.is_none()).collect();
    let mut threaded = Vec::with_capacity(list.len());
    for top in ordered.drain(..) {
        threaded.push(top);
        threaded.extend(list.iter().filter(|c| c.parent_id == Some(top.id)));
    }
    threaded
        .into_iter()
        .map(|c| CommentCard {
            id: c.id.to_string(),
            author: c.author_name.clone().unwrap_or_else(|| lang.t("comment.someone").to_owned()),
            body: c.body.clone(),
            when: date(lang, c.created_at),
            deleted: c.deleted_at.is_some(),
            is_reply: c.parent_id.is_some(),
            can_delete: c.deleted_at.is_none() && (is_team || (me.is_some() && c.author_id == me)),
        })
        .collect()
}

async fn post_page(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id)): Path<(String, String)>,
) -> Response {
    let access = match load(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    let lang = page.lang();
    let Ok(post_id) = post_id.parse::<Id>() else {
        return not_found_page(lang, AppError::nothing_here());
    };
    let view = match posts::one_post(&state.app, &access, post_id).await {
        Ok(view) => view,
        Err(error) => return not_found_page(lang, error),
    };
    let is_team = access.relation.team_role.is_some();
    let comments = if view.access == Access::Full {
        match patron_app::comments::list(&state.app, &access, post_id, None).await {
            Ok(list) => comment_cards(lang, &list, access.user_id, is_team),
            Err(error) => return page_error(error),
        }
    } else {
        Vec::new()
    };
    // a locked post offers the tier that opens it
    let tiers = if view.access == Access::Full || access.relation.team_role.is_some() {
        Vec::new()
    } else {
        match patron_app::tiers::visible_tiers(&state.app, &access).await {
            Ok(tiers) => tiers,
            Err(error) => return page_error(error),
        }
    };
    let mut card = post_card(lang, &access.creator.slug, &access.creator.name, &view, &tiers);
    card.single = true;
    let view = PostPage { post: card, logged_in: access.user_id.is_some(), comments, layout: page.layout };
    render(StatusCode::OK, &view)
}

async fn follow(State(state): State<AppState>, page: Page, Path(slug): Path<String>) -> Response {
    set_following(state, page, slug, true).await
}

async fn unfollow(State(state): State<AppState>, page: Page, Path(slug): Path<String>) -> Response {
    set_following(state, page, slug, false).await
}

async fn set_following(state: AppState, page: Page, slug: String, follow: bool) -> Response {
    if page.user.0.is_none() {
        return Redirect::to(&format!("/login?next=/{slug}")).into_response();
    }
    let access = match load(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    match creators::set_following(&state.app, &access, follow).await {
        Ok(()) => Redirect::to(&format!("/{slug}")).into_response(),
        Err(error) => page_error(error),
    }
}

#[derive(Deserialize)]
struct VoteForm {
    #[serde(default)]
    option: Vec<String>,
}

async fn vote(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    if page.user.0.is_none() {
        return Redirect::to(&format!("/login?next=/{slug}/posts/{post_id}")).into_response();
    }
    // checkboxes repeat the field name, which serde_urlencoded cannot gather into a list
    let form = VoteForm {
        option: url::form_urlencoded::parse(&body)
            .filter(|(k, _)| k == "option")
            .map(|(_, v)| v.into_owned())
            .collect(),
    };
    let access = match load(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    let Ok(id) = post_id.parse::<Id>() else {
        return not_found_page(page.lang(), AppError::nothing_here());
    };
    let options: Vec<Id> = form.option.iter().filter_map(|o| o.parse().ok()).collect();
    match posts::vote(&state.app, &access, id, &options).await {
        Ok(_) => Redirect::to(&format!("/{slug}/posts/{post_id}#poll")).into_response(),
        Err(error) => page_error(error),
    }
}

#[derive(Deserialize)]
struct CommentForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    parent_id: String,
}

async fn add_comment(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id)): Path<(String, String)>,
    PageForm(form): PageForm<CommentForm>,
) -> Response {
    if page.user.0.is_none() {
        return Redirect::to(&format!("/login?next=/{slug}/posts/{post_id}")).into_response();
    }
    let access = match load(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    let Ok(id) = post_id.parse::<Id>() else {
        return not_found_page(page.lang(), AppError::nothing_here());
    };
    let parent = form.parent_id.parse::<Id>().ok();
    match patron_app::comments::add(&state.app, &access, id, &form.body, parent).await {
        Ok(comment) => Redirect::to(&format!("/{slug}/posts/{post_id}#comment-{}", comment.id)).into_response(),
        Err(error) => page_error(error),
    }
}

async fn delete_comment(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id, comment_id)): Path<(String, String, String)>,
) -> Response {
    let access = match load(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    let (Ok(id), Ok(comment_id)) = (post_id.parse::<Id>(), comment_id.parse::<Id>()) else {
        return not_found_page(page.lang(), AppError::nothing_here());
    };
    match patron_app::comments::delete(&state.app, &access, id, comment_id).await {
        Ok(()) => Redirect::to(&format!("/{slug}/posts/{post_id}#comments")).into_response(),
        Err(error) => page_error(error),
    }
}
