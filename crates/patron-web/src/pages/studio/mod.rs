//! The creator studio: a team's workplace for its page — settings, tiers, team, and the post
//! editor with preview. Every form works without JavaScript.

use super::creators::{date, money};
use super::{Layout, Page, page_error, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::PageForm;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use patron_app::AppError;
use patron_app::creators::{self, PageAccess, PageInput};
use patron_app::posts::{self};
use patron_domain::creator::TeamRole;
use patron_domain::post::PostState;
use patron_domain::{Id, Timestamp};
use serde::Deserialize;

mod documents;
mod earnings;
mod editor;
mod team;
mod tiers;

use earnings::{earnings_page, set_shares};
use editor::{create_post, delete_post, edit_post, new_post, pin_post, unpin_post, update_post};
use team::{accept_invitation, invitation_page, invite, remove_member, revoke_invitation, transfer};
use tiers::{archive_tier, create_tier, move_tier, price_input, unarchive_tier, update_tier};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/studio", get(studio_home).post(create_page))
        .route("/studio/{slug}", get(studio_page))
        .route("/studio/{slug}/settings", post(update_settings))
        .route("/studio/{slug}/delete", post(delete_page))
        .route("/studio/{slug}/tiers", post(create_tier))
        .route("/studio/{slug}/tiers/{tier_id}", post(update_tier))
        .route("/studio/{slug}/tiers/{tier_id}/archive", post(archive_tier))
        .route("/studio/{slug}/tiers/{tier_id}/unarchive", post(unarchive_tier))
        .route("/studio/{slug}/tiers/{tier_id}/move", post(move_tier))
        .route("/studio/{slug}/invitations", post(invite))
        .route("/studio/{slug}/invitations/{invitation_id}/revoke", post(revoke_invitation))
        .route("/studio/{slug}/team/{user_id}/remove", post(remove_member))
        .route("/studio/{slug}/transfer", post(transfer))
        .route("/studio/{slug}/earnings", get(earnings_page))
        .route("/studio/{slug}/documents", get(documents::documents_page))
        .route("/studio/{slug}/shares", post(set_shares))
        .route("/studio/{slug}/posts/new", get(new_post))
        .route("/studio/{slug}/posts", post(create_post))
        .route("/studio/{slug}/posts/{post_id}/edit", get(edit_post))
        .route("/studio/{slug}/posts/{post_id}", post(update_post))
        .route("/studio/{slug}/posts/{post_id}/delete", post(delete_post))
        .route("/studio/{slug}/posts/{post_id}/pin", post(pin_post))
        .route("/studio/{slug}/posts/{post_id}/unpin", post(unpin_post))
        .route("/invitations/{token}", get(invitation_page).post(accept_invitation))
}

pub(super) fn login_first(path: &str) -> Response {
    Redirect::to(&format!("/login?next={path}")).into_response()
}

/// The page for the studio: 404 unless the viewer is in its team.
pub(super) async fn team_page(state: &AppState, page: &Page, slug: &str) -> Result<PageAccess, Response> {
    let Some(user) = page.user.0.as_ref() else {
        return Err(login_first(&format!("/studio/{slug}")));
    };
    let access = creators::load(&state.app, slug, Some(&user.user)).await.map_err(page_error)?;
    if access.relation.team_role.is_none() {
        return Err(super::error_page(
            StatusCode::FORBIDDEN,
            page.lang().t("studio.not_team"),
            page.lang().t("studio.not_team_text"),
        ));
    }
    Ok(access)
}

pub(super) fn back_to(slug: &str, anchor: &str) -> Response {
    Redirect::to(&format!("/studio/{slug}#{anchor}")).into_response()
}

struct MyPage {
    slug: String,
    name: String,
    role: &'static str,
}

impl MyPage {
    fn role_key(&self) -> &'static str {
        role_key(self.role)
    }
}

/// The catalogue key of a post kind.
pub(crate) fn kind_key(kind: &str) -> &'static str {
    match kind {
        "photo" => "kind.photo",
        "video" => "kind.video",
        "poll" => "kind.poll",
        "live" => "kind.live",
        _ => "kind.text",
    }
}

/// The catalogue key of a post state.
fn state_key(state: &str) -> &'static str {
    match state {
        "scheduled" => "state.scheduled",
        "published" => "state.published",
        _ => "state.draft",
    }
}

/// The catalogue key of a team role.
fn role_key(role: &str) -> &'static str {
    if role == "owner" { "role.owner" } else { "role.contributor" }
}

#[derive(Template)]
#[template(path = "studio_home.html")]
struct StudioHome {
    layout: Layout,
    pages: Vec<MyPage>,
    error: Option<String>,
    slug: String,
    name: String,
}

async fn studio_home(State(state): State<AppState>, page: Page) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return login_first("/studio");
    };
    let pages = match creators::of_member(&state.app, user.user.id).await {
        Ok(pages) => pages,
        Err(error) => return page_error(error),
    };
    let view = StudioHome {
        pages: pages.into_iter().map(|(c, role)| MyPage { slug: c.slug, name: c.name, role: role.as_str() }).collect(),
        error: None,
        slug: String::new(),
        name: String::new(),
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

#[derive(Deserialize)]
struct CreatePageForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
}

async fn create_page(State(state): State<AppState>, page: Page, PageForm(form): PageForm<CreatePageForm>) -> Response {
    let Some(user) = page.user.0.clone() else {
        return login_first("/studio");
    };
    let slug =
        if form.slug.trim().is_empty() { patron_domain::creator::Slug::suggest(&form.name) } else { form.slug.clone() };
    let input = PageInput { slug, name: form.name.clone(), bio: String::new() };
    match creators::create_page(&state.app, user.user.id, &input).await {
        Ok(creator) => Redirect::to(&format!("/studio/{}", creator.slug)).into_response(),
        Err(error) => {
            let error = ApiError::from(error);
            let pages = match creators::of_member(&state.app, user.user.id).await {
                Ok(pages) => pages,
                Err(error) => return page_error(error),
            };
            let view = StudioHome {
                pages: pages
                    .into_iter()
                    .map(|(c, role)| MyPage { slug: c.slug, name: c.name, role: role.as_str() })
                    .collect(),
                error: Some(error_text(&error)),
                slug: form.slug,
                name: form.name,
                layout: page.layout,
            };
            render(error.status(), &view)
        }
    }
}

pub(super) fn error_text(error: &ApiError) -> String {
    // each field's problem under its name for people, in the page's language
    error.message().to_owned()
}

struct TierRow {
    id: String,
    name: String,
    description: String,
    benefits: String,
    monthly: String,
    monthly_input: String,
    yearly_input: String,
    currency: String,
    member_cap: String,
    archived: bool,
}

struct TeamRow {
    user_id: String,
    name: String,
    email: String,
    role: &'static str,
    is_me: bool,
}

struct InvitationRow {
    id: String,
    email: String,
    expires: String,
}

struct PostRow {
    id: String,
    title: String,
    kind: &'static str,
    state: &'static str,
    when: String,
    pinned: bool,
}

#[derive(Template)]
#[template(path = "studio_page.html")]
struct StudioPage {
    layout: Layout,
    slug: String,
    name: String,
    bio: String,
    is_hidden: bool,
    is_owner: bool,
    tiers: Vec<TierRow>,
    team: Vec<TeamRow>,
    invitations: Vec<InvitationRow>,
    posts: Vec<PostRow>,
    /// Monthly recurring revenue per currency, formatted.
    revenue: Vec<String>,
    /// Supporters per tier: (name, count).
    tier_supporters: Vec<(String, i64)>,
    new_this_month: i64,
    churned_this_month: i64,
    /// Files kept and their size, for the storage line.
    storage_files: i64,
    storage_used: String,
    notice: Option<String>,
    error: Option<String>,
}

impl StudioPage {
    fn kind_key(&self, kind: &str) -> &'static str {
        kind_key(kind)
    }

    fn state_key(&self, state: &str) -> &'static str {
        state_key(state)
    }

    fn role_key(&self, role: &str) -> &'static str {
        role_key(role)
    }
}

/// Minor units as the form shows them: `59` for 5900, `4.50` for 450.
pub(super) async fn studio_view(
    state: &AppState,
    page: Page,
    access: &PageAccess,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = page.lang();
    let is_owner = access.relation.team_role == Some(TeamRole::Owner);
    let tiers = match patron_app::tiers::visible_tiers(&state.app, access).await {
        Ok(tiers) => tiers,
        Err(error) => return page_error(error),
    };
    let team = match patron_app::team::members(&state.app, access).await {
        Ok(team) => team,
        Err(error) => return page_error(error),
    };
    let invitations = if is_owner {
        match patron_app::team::open_invitations(&state.app, access).await {
            Ok(invitations) => invitations,
            Err(error) => return page_error(error),
        }
    } else {
        Vec::new()
    };
    let team_posts = match posts::team_posts(&state.app, access).await {
        Ok(list) => list,
        Err(error) => return page_error(error),
    };
    let (storage_files, storage_bytes) = match patron_app::media::usage(&state.app, access).await {
        Ok(usage) => usage,
        Err(error) => return page_error(error),
    };
    let numbers = match patron_app::payments::dashboard(&state.app, access).await {
        Ok(numbers) => numbers,
        Err(error) => return page_error(error),
    };
    let now = Timestamp::now();
    let view = StudioPage {
        revenue: numbers.mrr.iter().map(|(currency, amount)| money(*amount, currency)).collect(),
        tier_supporters: numbers.supporters.iter().map(|(_, name, count)| (name.clone(), *count)).collect(),
        new_this_month: numbers.new_since,
        churned_this_month: numbers.churned_since,
        storage_files,
        storage_used: patron_app::uploads::human_size(u64::try_from(storage_bytes).unwrap_or(0)),
        slug: access.creator.slug.clone(),
        name: access.creator.name.clone(),
        bio: access.creator.bio.clone(),
        is_hidden: access.creator.is_hidden,
        is_owner,
        tiers: tiers
            .iter()
            .map(|t| TierRow {
                id: t.id.to_string(),
                name: t.name.clone(),
                description: t.description.clone(),
                benefits: t.benefits.join("\n"),
                monthly: money(t.monthly_price, &t.currency),
                monthly_input: price_input(t.monthly_price, &t.currency),
                yearly_input: t.yearly_price.map(|p| price_input(p, &t.currency)).unwrap_or_default(),
                currency: t.currency.clone(),
                member_cap: t.member_cap.map(|c| c.to_string()).unwrap_or_default(),
                archived: t.archived_at.is_some(),
            })
            .collect(),
        team: team
            .iter()
            .map(|m| TeamRow {
                user_id: m.user_id.to_string(),
                name: m.display_name.clone(),
                email: m.email.clone().unwrap_or_default(),
                role: m.role.as_str(),
                is_me: Some(m.user_id) == access.user_id,
            })
            .collect(),
        invitations: invitations
            .iter()
            .map(|i| InvitationRow { id: i.id.clone(), email: i.email.clone(), expires: date(lang, i.expires_at) })
            .collect(),
        posts: team_posts
            .iter()
            .map(|p| PostRow {
                id: p.id.to_string(),
                title: p.title.clone(),
                kind: p.kind.as_str(),
                state: match PostState::at(p.published_at, now) {
                    PostState::Draft => "draft",
                    PostState::Scheduled => "scheduled",
                    PostState::Published => "published",
                },
                when: p.published_at.map(|at| date(lang, at)).unwrap_or_else(|| date(lang, p.updated_at)),
                pinned: p.pinned,
            })
            .collect(),
        notice,
        error,
        layout: page.layout,
    };
    render(status, &view)
}

async fn studio_page(State(state): State<AppState>, page: Page, Path(slug): Path<String>) -> Response {
    match team_page(&state, &page, &slug).await {
        Ok(access) => studio_view(&state, page, &access, None, None, StatusCode::OK).await,
        Err(response) => response,
    }
}

/// Runs a studio action; on success redirects back, on failure shows the studio with the error.
pub(super) async fn studio_action<F>(state: AppState, page: Page, slug: String, anchor: &str, action: F) -> Response
where
    F: AsyncFnOnce(&AppState, &PageAccess) -> Result<Option<String>, AppError>,
{
    let access = match team_page(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    match action(&state, &access).await {
        Ok(None) => back_to(&access.creator.slug, anchor),
        Ok(Some(notice)) => {
            // reload: the action changed what the studio shows
            match creators::load(&state.app, &slug, page.user.user()).await {
                Ok(access) => studio_view(&state, page, &access, Some(notice), None, StatusCode::OK).await,
                Err(error) => page_error(error),
            }
        }
        Err(error) => {
            let error = ApiError::from(error);
            studio_view(&state, page, &access, None, Some(error_text(&error)), error.status()).await
        }
    }
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    is_hidden: Option<String>,
}

async fn update_settings(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    PageForm(form): PageForm<SettingsForm>,
) -> Response {
    studio_action(state, page, slug, "settings", async move |state, access| {
        creators::update_page(&state.app, access, &form.name, &form.bio, form.is_hidden.is_some()).await.map(|()| None)
    })
    .await
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

async fn delete_page(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    PageForm(form): PageForm<DeleteForm>,
) -> Response {
    let access = match team_page(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    if form.confirm.trim() != access.creator.slug {
        let message = page.lang().t("studio.delete_confirm_mismatch").to_owned();
        return studio_view(&state, page, &access, None, Some(message), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match creators::delete_page(&state.app, &access).await {
        Ok(()) => Redirect::to("/studio").into_response(),
        Err(error) => {
            let error = ApiError::from(error);
            studio_view(&state, page, &access, None, Some(error_text(&error)), error.status()).await
        }
    }
}

pub(super) fn parse_id(text: &str) -> Result<Id, AppError> {
    text.parse().map_err(|_| AppError::nothing_here())
}
