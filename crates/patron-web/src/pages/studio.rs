//! The creator studio: a team's workplace for its page — settings, tiers, team, and the post
//! editor with preview. Every form works without JavaScript.

use super::creators::{date, money};
use super::{Layout, Page, page_error, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::PageForm;
use crate::i18n::Lang;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use patron_app::AppError;
use patron_app::creators::{self, PageAccess, PageInput};
use patron_app::posts::Post;
use patron_app::posts::{self, PostDraft, PostInput, Publish};
use patron_domain::creator::TeamRole;
use patron_domain::money::Currency;
use patron_domain::post::{PostKind, PostState};
use patron_domain::tier::TierDraft;
use patron_domain::{Id, Timestamp};
use serde::Deserialize;

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
        .route("/studio/{slug}/invitations", post(invite))
        .route("/studio/{slug}/invitations/{invitation_id}/revoke", post(revoke_invitation))
        .route("/studio/{slug}/team/{user_id}/remove", post(remove_member))
        .route("/studio/{slug}/transfer", post(transfer))
        .route("/studio/{slug}/posts/new", get(new_post))
        .route("/studio/{slug}/posts", post(create_post))
        .route("/studio/{slug}/posts/{post_id}/edit", get(edit_post))
        .route("/studio/{slug}/posts/{post_id}", post(update_post))
        .route("/studio/{slug}/posts/{post_id}/delete", post(delete_post))
        .route("/studio/{slug}/posts/{post_id}/pin", post(pin_post))
        .route("/studio/{slug}/posts/{post_id}/unpin", post(unpin_post))
        .route("/invitations/{token}", get(invitation_page).post(accept_invitation))
}

fn login_first(path: &str) -> Response {
    Redirect::to(&format!("/login?next={path}")).into_response()
}

/// The page for the studio: 404 unless the viewer is in its team.
async fn team_page(state: &AppState, page: &Page, slug: &str) -> Result<PageAccess, Response> {
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

fn back_to(slug: &str, anchor: &str) -> Response {
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

fn error_text(error: &ApiError) -> String {
    if error.fields().is_empty() {
        error.message().to_owned()
    } else {
        error.fields().iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
    }
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
fn price_input(minor: i64, currency: &str) -> String {
    let exponent = Currency::parse(currency).map(|c| c.exponent()).unwrap_or(2);
    let scale = 10_i64.pow(u32::from(exponent));
    if minor % scale == 0 { (minor / scale).to_string() } else { format!("{}.{:02}", minor / scale, minor % scale) }
}

/// A price typed by a person (`59`, `59.5`, `59,50`) in minor units.
fn parse_price(text: &str, currency: &str) -> Option<i64> {
    let exponent = u32::from(Currency::parse(currency).map(|c| c.exponent()).unwrap_or(2));
    let text = text.trim().replace(',', ".").replace([' ', '\u{a0}'], "");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() || fraction.len() > exponent as usize || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 =
        if fraction.is_empty() { 0 } else { format!("{fraction:0<width$}", width = exponent as usize).parse().ok()? };
    whole.checked_mul(10_i64.pow(exponent))?.checked_add(fraction)
}

async fn studio_view(
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
async fn studio_action<F>(state: AppState, page: Page, slug: String, anchor: &str, action: F) -> Response
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

#[derive(Deserialize)]
struct TierForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    benefits: String,
    #[serde(default)]
    monthly_price: String,
    #[serde(default)]
    yearly_price: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    member_cap: String,
}

impl TierForm {
    fn draft(&self) -> Result<TierDraft, AppError> {
        let currency = if self.currency.trim().is_empty() { "CZK" } else { self.currency.trim() };
        let invalid = |field: &'static str| AppError::invalid(field, "must be an amount such as 59 or 59.50");
        let monthly_price = parse_price(&self.monthly_price, currency).ok_or_else(|| invalid("monthly_price"))?;
        let yearly_price = match self.yearly_price.trim() {
            "" => None,
            text => Some(parse_price(text, currency).ok_or_else(|| invalid("yearly_price"))?),
        };
        let member_cap = match self.member_cap.trim() {
            "" => None,
            text => Some(text.parse::<i64>().map_err(|_| AppError::invalid("member_cap", "must be a whole number"))?),
        };
        Ok(TierDraft {
            name: self.name.clone(),
            description: self.description.clone(),
            benefits: self.benefits.lines().map(str::to_owned).collect(),
            monthly_price,
            yearly_price,
            currency: currency.to_owned(),
            member_cap,
        })
    }
}

async fn create_tier(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    PageForm(form): PageForm<TierForm>,
) -> Response {
    studio_action(state, page, slug, "tiers", async move |state, access| {
        patron_app::tiers::create_tier(&state.app, access, form.draft()?).await.map(|_| None)
    })
    .await
}

fn parse_id(text: &str) -> Result<Id, AppError> {
    text.parse().map_err(|_| AppError::nothing_here())
}

async fn update_tier(
    State(state): State<AppState>,
    page: Page,
    Path((slug, tier_id)): Path<(String, String)>,
    PageForm(form): PageForm<TierForm>,
) -> Response {
    studio_action(state, page, slug, "tiers", async move |state, access| {
        patron_app::tiers::update_tier(&state.app, access, parse_id(&tier_id)?, form.draft()?).await.map(|_| None)
    })
    .await
}

async fn archive_tier(
    State(state): State<AppState>,
    page: Page,
    Path((slug, tier_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "tiers", async move |state, access| {
        patron_app::tiers::set_tier_archived(&state.app, access, parse_id(&tier_id)?, true).await.map(|()| None)
    })
    .await
}

async fn unarchive_tier(
    State(state): State<AppState>,
    page: Page,
    Path((slug, tier_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "tiers", async move |state, access| {
        patron_app::tiers::set_tier_archived(&state.app, access, parse_id(&tier_id)?, false).await.map(|()| None)
    })
    .await
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    email: String,
}

async fn invite(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    PageForm(form): PageForm<InviteForm>,
) -> Response {
    let lang = page.lang();
    studio_action(state, page, slug, "team", async move |state, access| {
        let (_, _, link) = patron_app::team::invite(&state.app, access, &form.email).await?;
        Ok(Some(lang.t1("studio.invitation_link", &link)))
    })
    .await
}

async fn revoke_invitation(
    State(state): State<AppState>,
    page: Page,
    Path((slug, invitation_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "team", async move |state, access| {
        match patron_app::team::revoke_invitation(&state.app, access, &invitation_id).await {
            // withdrawn now or before: either way it is gone
            Ok(()) | Err(AppError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    })
    .await
}

async fn remove_member(
    State(state): State<AppState>,
    page: Page,
    Path((slug, user_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "team", async move |state, access| {
        patron_app::team::remove_member(&state.app, access, parse_id(&user_id)?).await.map(|()| None)
    })
    .await
}

#[derive(Deserialize)]
struct TransferForm {
    #[serde(default)]
    user_id: String,
}

async fn transfer(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    PageForm(form): PageForm<TransferForm>,
) -> Response {
    studio_action(state, page, slug, "team", async move |state, access| {
        patron_app::team::transfer_ownership(&state.app, access, parse_id(&form.user_id)?).await.map(|()| None)
    })
    .await
}

/// The post editor's form, kept as typed so a failed save or a preview shows it again.
#[derive(Deserialize, Default, Clone)]
struct PostForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    min_tier_id: String,
    #[serde(default)]
    public_from: String,
    #[serde(default)]
    publish: String,
    #[serde(default)]
    publish_at: String,
    #[serde(default)]
    live_url: String,
    #[serde(default)]
    live_starts_at: String,
    #[serde(default)]
    live_ends_at: String,
    #[serde(default)]
    poll_options: String,
    #[serde(default)]
    poll_multiple: Option<String>,
    #[serde(default)]
    poll_closes_at: String,
    #[serde(default)]
    poll_results: String,
    /// The browser's offset from UTC in minutes, filled in by the page's script.
    #[serde(default)]
    tz_offset: String,
    /// Ids of the attached files, comma-separated, in order (the page's script adds uploads).
    #[serde(default)]
    media: String,
    #[serde(default)]
    action: String,
}

impl PostForm {
    fn offset(&self) -> i32 {
        self.tz_offset.trim().parse::<i32>().ok().filter(|m| m.abs() <= 14 * 60).unwrap_or(0)
    }

    fn time(
        &self,
        field: &'static str,
        text: &str,
        errors: &mut Vec<patron_domain::ValidationError>,
    ) -> Option<Timestamp> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let parsed = Timestamp::parse_local(text, self.offset());
        if parsed.is_none() {
            errors.push(patron_domain::ValidationError::new(field, "must be a date and time"));
        }
        parsed
    }

    fn input(&self) -> Result<PostInput, AppError> {
        let mut errors = Vec::new();
        let public_from = self.time("public_from", &self.public_from, &mut errors);
        let publish_at = self.time("publish_at", &self.publish_at, &mut errors);
        let live_starts_at = self.time("live_starts_at", &self.live_starts_at, &mut errors);
        let live_ends_at = self.time("live_ends_at", &self.live_ends_at, &mut errors);
        let poll_closes_at = self.time("poll_closes_at", &self.poll_closes_at, &mut errors);
        let publish = match (self.publish.as_str(), publish_at) {
            ("now", _) => Publish::Now,
            ("schedule", Some(at)) => Publish::At(at),
            ("schedule", None) => {
                errors.push(patron_domain::ValidationError::new("publish_at", "is required to schedule a post"));
                Publish::Draft
            }
            _ => Publish::Draft,
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(PostInput {
            draft: PostDraft {
                kind: self.kind.clone(),
                title: self.title.clone(),
                body: self.body.clone(),
                visibility: if self.visibility.is_empty() { "public".to_owned() } else { self.visibility.clone() },
                min_tier_id: Some(self.min_tier_id.clone()),
                public_from,
                publish,
                live_url: Some(self.live_url.clone()),
                live_starts_at,
                live_ends_at,
                poll_options: self.poll_options.lines().map(str::to_owned).collect(),
                poll_multiple: self.poll_multiple.is_some(),
                poll_closes_at,
                poll_results: Some(self.poll_results.clone()),
            },
            media: Some(self.media_ids()),
            announce: true,
        })
    }

    fn media_ids(&self) -> Vec<String> {
        self.media.split(',').map(str::trim).filter(|id| !id.is_empty()).map(str::to_owned).collect()
    }

    fn from_post(post: &Post, poll_options: &[String], media: &[Id]) -> Self {
        let local = |at: Option<Timestamp>| at.map(|t| t.to_local_input(0)).unwrap_or_default();
        let now = Timestamp::now();
        PostForm {
            kind: post.kind.as_str().to_owned(),
            title: post.title.clone(),
            body: post.body.clone(),
            visibility: post.visibility.as_str().to_owned(),
            min_tier_id: post.min_tier_id.map(|t| t.to_string()).unwrap_or_default(),
            public_from: local(post.public_from),
            publish: match PostState::at(post.published_at, now) {
                PostState::Draft => "draft",
                PostState::Scheduled => "schedule",
                PostState::Published => "now",
            }
            .to_owned(),
            publish_at: local(post.published_at.filter(|at| *at > now)),
            live_url: post.live_url.clone().unwrap_or_default(),
            live_starts_at: local(post.live_starts_at),
            live_ends_at: local(post.live_ends_at),
            poll_options: poll_options.join("\n"),
            poll_multiple: post.poll_multiple.then(|| "on".to_owned()),
            poll_closes_at: local(post.poll_closes_at),
            poll_results: post.poll_results.map(|r| r.as_str().to_owned()).unwrap_or_default(),
            tz_offset: "0".to_owned(),
            media: media.iter().map(Id::to_string).collect::<Vec<_>>().join(","),
            action: String::new(),
        }
    }
}

struct TierChoice {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "studio_post.html")]
struct PostEditor {
    layout: Layout,
    slug: String,
    creator_name: String,
    post_id: Option<String>,
    form: PostForm,
    tiers: Vec<TierChoice>,
    preview_html: Option<String>,
    error: Option<String>,
    attachments: Vec<patron_app::media::MediaView>,
}

impl PostEditor {
    fn is_kind(&self, kind: &str) -> bool {
        self.form.kind == kind
    }

    fn kind_key(&self, kind: &str) -> &'static str {
        kind_key(kind)
    }

    fn status_key(&self, status: &str) -> &'static str {
        match status {
            "ready" => "media.ready",
            "failed" => "media.failed",
            _ => "media.processing",
        }
    }
}

/// What the editor shows besides the page: the post being edited, the form as typed, whether
/// to render a preview, and an error.
struct EditorState {
    post_id: Option<Id>,
    form: PostForm,
    preview: bool,
    error: Option<String>,
}

async fn editor(
    state: &AppState,
    page: Page,
    access: &PageAccess,
    editing: EditorState,
    status: StatusCode,
) -> Response {
    let tiers = match patron_app::tiers::visible_tiers(&state.app, access).await {
        Ok(tiers) => tiers,
        Err(error) => return page_error(error),
    };
    // the files named by the form, as far as they are this page's
    let ids: Vec<Id> = editing.form.media_ids().iter().filter_map(|id| id.parse::<Id>().ok()).collect();
    let attachments = match patron_app::media::page_files(&state.app, access, &ids).await {
        Ok(views) => views,
        Err(error) => return page_error(error),
    };
    let view = PostEditor {
        attachments,
        slug: access.creator.slug.clone(),
        creator_name: access.creator.name.clone(),
        post_id: editing.post_id.map(|id| id.to_string()),
        preview_html: editing.preview.then(|| patron_domain::markdown::render(&editing.form.body)),
        form: editing.form,
        tiers: tiers
            .iter()
            .filter(|t| t.archived_at.is_none())
            .map(|t| TierChoice { id: t.id.to_string(), name: t.name.clone() })
            .collect(),
        error: editing.error,
        layout: page.layout,
    };
    render(status, &view)
}

#[derive(Deserialize)]
struct NewPostQuery {
    kind: Option<String>,
}

async fn new_post(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    Query(query): Query<NewPostQuery>,
) -> Response {
    let access = match team_page(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    let kind = query.kind.filter(|k| PostKind::parse(k).is_ok()).unwrap_or_else(|| "text".to_owned());
    let form = PostForm { kind, visibility: "public".to_owned(), publish: "now".to_owned(), ..PostForm::default() };
    editor(&state, page, &access, EditorState { post_id: None, form, preview: false, error: None }, StatusCode::OK)
        .await
}

async fn save_post(state: AppState, page: Page, slug: String, post_id: Option<Id>, form: PostForm) -> Response {
    let access = match team_page(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    if form.action == "preview" {
        return editor(
            &state,
            page,
            &access,
            EditorState { post_id, form, preview: true, error: None },
            StatusCode::OK,
        )
        .await;
    }
    let result = match form.input() {
        Ok(input) => match post_id {
            Some(id) => posts::update(&state.app, &access, id, &input).await.map(|()| id),
            None => posts::create(&state.app, &access, &input).await,
        },
        Err(error) => Err(error),
    };
    match result {
        Ok(id) => Redirect::to(&format!("/{}/posts/{id}", access.creator.slug)).into_response(),
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status();
            editor(
                &state,
                page,
                &access,
                EditorState { post_id, form, preview: false, error: Some(error_text(&error)) },
                status,
            )
            .await
        }
    }
}

async fn create_post(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    PageForm(form): PageForm<PostForm>,
) -> Response {
    save_post(state, page, slug, None, form).await
}

async fn edit_post(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id)): Path<(String, String)>,
) -> Response {
    let access = match team_page(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    let Ok(id) = post_id.parse::<Id>() else {
        return page_error(AppError::nothing_here());
    };
    let (post, options, media) = match posts::for_editing(&state.app, &access, id).await {
        Ok(found) => found,
        Err(AppError::NotFound(_)) => return page_error(AppError::nothing_here()),
        Err(error) => return page_error(error),
    };
    editor(
        &state,
        page,
        &access,
        EditorState {
            post_id: Some(id),
            form: PostForm::from_post(&post, &options, &media),
            preview: false,
            error: None,
        },
        StatusCode::OK,
    )
    .await
}

async fn update_post(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id)): Path<(String, String)>,
    PageForm(form): PageForm<PostForm>,
) -> Response {
    match post_id.parse::<Id>() {
        Ok(id) => save_post(state, page, slug, Some(id), form).await,
        Err(_) => page_error(AppError::nothing_here()),
    }
}

async fn delete_post(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "posts", async move |state, access| {
        posts::delete(&state.app, access, parse_id(&post_id)?).await.map(|()| None)
    })
    .await
}

async fn pin_post(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "posts", async move |state, access| {
        posts::set_pinned(&state.app, access, parse_id(&post_id)?, true).await.map(|()| None)
    })
    .await
}

async fn unpin_post(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "posts", async move |state, access| {
        posts::set_pinned(&state.app, access, parse_id(&post_id)?, false).await.map(|()| None)
    })
    .await
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    layout: Layout,
    token: String,
    creator_name: String,
    email: String,
    logged_in: bool,
}

async fn invitation_page(State(state): State<AppState>, page: Page, Path(token): Path<String>) -> Response {
    let lang: Lang = page.lang();
    match patron_app::team::open_invitation(&state.app, &token).await {
        Ok((invitation, creator)) => {
            let view = InvitationPage {
                token,
                creator_name: creator.name,
                email: invitation.email,
                logged_in: page.user.0.is_some(),
                layout: page.layout,
            };
            render(StatusCode::OK, &view)
        }
        Err(_) => super::error_page(StatusCode::NOT_FOUND, lang.t("invitation.gone"), lang.t("invitation.gone_text")),
    }
}

async fn accept_invitation(State(state): State<AppState>, page: Page, Path(token): Path<String>) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return login_first(&format!("/invitations/{token}"));
    };
    match patron_app::team::accept_invitation(&state.app, &user.user, &token).await {
        Ok(creator) => Redirect::to(&format!("/studio/{}", creator.slug)).into_response(),
        Err(error) => page_error(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_typed_by_people_become_minor_units() {
        assert_eq!(parse_price("59", "CZK"), Some(5900));
        assert_eq!(parse_price("59,5", "CZK"), Some(5950));
        assert_eq!(parse_price(" 1 990.00 ", "CZK"), Some(199_000));
        assert_eq!(parse_price("4.505", "EUR"), None);
        assert_eq!(parse_price("abc", "CZK"), None);
        assert_eq!(parse_price("-5", "CZK"), Some(-500), "negative prices reach validation, which refuses them");
        assert_eq!(price_input(5900, "CZK"), "59");
        assert_eq!(price_input(450, "EUR"), "4.50");
    }
}
