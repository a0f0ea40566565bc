//! `/api/v1/creators…`: creator pages, following, tiers, the team and its invitations.

use crate::AppState;
use crate::api::MoneyResponse;
use crate::auth::{CurrentUser, MaybeUser};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use patron_app::creators::{self, Creator, PageAccess, PageInput, ViewerRelation};
use patron_app::tiers::Tier;
use patron_domain::creator::TeamRole;
use patron_domain::money::{Currency, Money};
use patron_domain::tier::TierDraft;
use patron_domain::{Id, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(discover, create_creator))
        .routes(routes!(get_creator, update_creator, delete_creator))
        .routes(routes!(follow, unfollow))
        .routes(routes!(my_creators))
        .routes(routes!(list_tiers, create_tier))
        .routes(routes!(update_tier))
        .routes(routes!(archive_tier, unarchive_tier))
        .routes(routes!(reorder_tiers))
        .routes(routes!(team))
        .routes(routes!(remove_member))
        .routes(routes!(transfer_ownership))
        .routes(routes!(list_invitations, invite))
        .routes(routes!(revoke_invitation))
        .routes(routes!(accept_invitation))
}

/// A creator page.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatorResponse {
    /// Identifier.
    pub id: String,
    /// Address (`/gordikey`).
    pub slug: String,
    /// Name.
    pub name: String,
    /// About text, Markdown.
    pub bio: String,
    /// About text rendered to safe HTML.
    pub bio_html: String,
    /// Hidden pages are visible to their team only.
    pub is_hidden: bool,
    /// Members with an active membership.
    pub supporters_count: i64,
    /// Followers.
    pub followers_count: i64,
    /// Created (RFC 3339).
    pub created_at: String,
    /// The page's web address.
    pub url: String,
    /// The avatar (a 400 px square), once one is uploaded.
    pub avatar_url: Option<String>,
    /// The cover (1500 px wide, 3:1), once one is uploaded.
    pub cover_url: Option<String>,
    /// How the requesting user relates to the page (absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub viewer: Option<ViewerResponse>,
}

/// How the requesting user relates to a page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewerResponse {
    /// `owner` or `contributor` when in the team.
    pub team_role: Option<TeamRole>,
    /// Whether they follow the page.
    pub follows: bool,
    /// Their membership, if any.
    pub membership: Option<ViewerMembershipResponse>,
}

/// The requesting user's membership of a page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewerMembershipResponse {
    /// `pending`, `active`, `past_due` or `expired`.
    pub status: String,
    /// The tier.
    pub tier_id: String,
    /// The tier's name.
    pub tier_name: String,
    /// End of the paid period.
    pub current_period_end: Option<String>,
    /// Whether it ends at the end of the period.
    pub cancel_at_period_end: bool,
}

/// The public address of a page's avatar or cover (`<media id>/<file>`).
pub(crate) fn image_url(state: &AppState, key: &str) -> String {
    format!("{}/media/{key}", state.app.settings.public_url.as_str().trim_end_matches('/'))
}

pub(crate) fn creator_response(
    state: &AppState,
    creator: &Creator,
    relation: Option<&ViewerRelation>,
) -> CreatorResponse {
    CreatorResponse {
        id: creator.id.to_string(),
        slug: creator.slug.clone(),
        name: creator.name.clone(),
        bio: creator.bio.clone(),
        bio_html: patron_domain::markdown::render(&creator.bio),
        is_hidden: creator.is_hidden,
        supporters_count: creator.supporters_count,
        followers_count: creator.followers_count,
        created_at: creator.created_at.to_rfc3339(),
        url: format!("{}/{}", state.app.settings.public_url.as_str().trim_end_matches('/'), creator.slug),
        avatar_url: creator.avatar_key.as_ref().map(|key| image_url(state, key)),
        cover_url: creator.cover_key.as_ref().map(|key| image_url(state, key)),
        viewer: relation.map(|r| ViewerResponse {
            team_role: r.team_role,
            follows: r.follows,
            membership: r.membership.as_ref().map(|m| ViewerMembershipResponse {
                status: m.status.as_str().to_owned(),
                tier_id: m.tier_id.to_string(),
                tier_name: m.tier_name.clone(),
                current_period_end: m.current_period_end.map(Timestamp::to_rfc3339),
                cancel_at_period_end: m.cancel_at_period_end,
            }),
        }),
    }
}

/// A membership tier.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierResponse {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description, Markdown.
    pub description: String,
    /// What members get.
    pub benefits: Vec<String>,
    /// Price per month.
    pub monthly_price: MoneyResponse,
    /// Price per year, when offered.
    pub yearly_price: Option<MoneyResponse>,
    /// Position from lowest (1) to highest; a post for a tier is open to every tier ranked at least as high.
    pub rank: i64,
    /// At most this many members, when set.
    pub member_cap: Option<i64>,
    /// Archived tiers take no new members; existing members stay.
    pub archived: bool,
}

pub(crate) fn tier_response(tier: &Tier) -> TierResponse {
    let currency = Currency::parse(&tier.currency).unwrap_or(Currency::CZK);
    TierResponse {
        id: tier.id.to_string(),
        name: tier.name.clone(),
        description: tier.description.clone(),
        benefits: tier.benefits.clone(),
        monthly_price: MoneyResponse::from(Money::new(tier.monthly_price, currency)),
        yearly_price: tier.yearly_price.map(|price| MoneyResponse::from(Money::new(price, currency))),
        rank: tier.rank,
        member_cap: tier.member_cap,
        archived: tier.archived_at.is_some(),
    }
}

/// A list of creator pages and where the next page of the list starts.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatorList {
    /// The pages.
    pub creators: Vec<CreatorResponse>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Parameters of the public list of pages.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DiscoverQuery {
    /// `newest` (default) or `popular` (most supporters).
    pub sort: Option<String>,
    /// Part of a name, case and accents ignored.
    pub q: Option<String>,
    /// From `next_cursor`.
    pub cursor: Option<String>,
}

const DISCOVER_PAGE: i64 = 24;

/// Public creator pages: newest, most supported, or matching a name.
#[utoipa::path(get, path = "/api/v1/creators", tag = "creators", params(DiscoverQuery),
    responses((status = 200, body = CreatorList), (status = 400, body = ErrorBody)))]
async fn discover(
    State(state): State<AppState>,
    Query(query): Query<DiscoverQuery>,
) -> Result<Json<CreatorList>, ApiError> {
    let list = creators::discover(
        &state.app,
        query.sort.as_deref(),
        query.q.as_deref(),
        query.cursor.as_deref(),
        DISCOVER_PAGE,
    )
    .await?;
    Ok(Json(CreatorList {
        creators: list.creators.iter().map(|c| creator_response(&state, c, None)).collect(),
        next_cursor: list.next_cursor,
    }))
}

/// A new creator page.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateCreatorRequest {
    /// Address: 3–40 lower-case letters, digits and hyphens.
    #[schema(example = "gordikey")]
    pub slug: String,
    /// Name.
    pub name: String,
    /// About text, Markdown.
    #[serde(default)]
    pub bio: String,
}

/// Create a creator page; the current user owns it.
#[utoipa::path(post, path = "/api/v1/creators", tag = "creators", request_body = CreateCreatorRequest,
    responses((status = 201, body = CreatorResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn create_creator(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<CreateCreatorRequest>,
) -> Result<(StatusCode, Json<CreatorResponse>), ApiError> {
    let page = PageInput { slug: input.slug, name: input.name, bio: input.bio };
    let creator = creators::create_page(&state.app, user.user.id, &page).await?;
    let relation = ViewerRelation { team_role: Some(TeamRole::Owner), follows: false, membership: None };
    Ok((StatusCode::CREATED, Json(creator_response(&state, &creator, Some(&relation)))))
}

async fn page(state: &AppState, slug: &str, user: &MaybeUser) -> Result<PageAccess, ApiError> {
    Ok(creators::load(&state.app, slug, user.user()).await?)
}

/// A creator page, with how the current user relates to it.
#[utoipa::path(get, path = "/api/v1/creators/{slug}", tag = "creators", params(("slug" = String, Path)),
    responses((status = 200, body = CreatorResponse), (status = 404, body = ErrorBody)))]
async fn get_creator(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(slug): Path<String>,
) -> Result<Json<CreatorResponse>, ApiError> {
    let access = page(&state, &slug, &user).await?;
    Ok(Json(creator_response(&state, &access.creator, Some(&access.relation))))
}

/// Changes to a creator page; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateCreatorRequest {
    /// Name.
    pub name: Option<String>,
    /// About text, Markdown.
    pub bio: Option<String>,
    /// Hide the page from everyone but its team.
    pub is_hidden: Option<bool>,
}

/// Change a creator page (owner).
#[utoipa::path(patch, path = "/api/v1/creators/{slug}", tag = "creators", params(("slug" = String, Path)),
    request_body = UpdateCreatorRequest,
    responses((status = 200, body = CreatorResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn update_creator(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<UpdateCreatorRequest>,
) -> Result<Json<CreatorResponse>, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let name = input.name.unwrap_or_else(|| access.creator.name.clone());
    let bio = input.bio.unwrap_or_else(|| access.creator.bio.clone());
    let hidden = input.is_hidden.unwrap_or(access.creator.is_hidden);
    creators::update_page(&state.app, &access, &name, &bio, hidden).await?;
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    Ok(Json(creator_response(&state, &access.creator, Some(&access.relation))))
}

/// Delete a creator page (owner). Memberships and payments keep their history.
#[utoipa::path(delete, path = "/api/v1/creators/{slug}", tag = "creators", params(("slug" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn delete_creator(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    creators::delete_page(&state.app, &access).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Follow a creator for free: their posts appear in the feed.
#[utoipa::path(post, path = "/api/v1/creators/{slug}/follow", tag = "creators", params(("slug" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn follow(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    creators::set_following(&state.app, &access, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stop following a creator.
#[utoipa::path(delete, path = "/api/v1/creators/{slug}/follow", tag = "creators", params(("slug" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn unfollow(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<StatusCode, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    creators::set_following(&state.app, &access, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A page the current user works on.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyCreator {
    /// The page.
    pub creator: CreatorResponse,
    /// Their role.
    pub role: TeamRole,
}

/// The creator pages the current user owns or contributes to.
#[utoipa::path(get, path = "/api/v1/me/creators", tag = "me",
    responses((status = 200, body = Vec<MyCreator>), (status = 401, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn my_creators(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Vec<MyCreator>>, ApiError> {
    let pages = creators::of_member(&state.app, user.user.id).await?;
    Ok(Json(
        pages.iter().map(|(c, role)| MyCreator { creator: creator_response(&state, c, None), role: *role }).collect(),
    ))
}

/// Tiers of a page, lowest first (archived ones too for its team).
#[utoipa::path(get, path = "/api/v1/creators/{slug}/tiers", tag = "tiers", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<TierResponse>), (status = 404, body = ErrorBody)))]
async fn list_tiers(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<TierResponse>>, ApiError> {
    let access = page(&state, &slug, &user).await?;
    let tiers = patron_app::tiers::visible_tiers(&state.app, &access).await?;
    Ok(Json(tiers.iter().map(tier_response).collect()))
}

/// A tier as submitted. Prices are integer minor units (5900 = 59 CZK).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TierRequest {
    /// Name.
    pub name: String,
    /// Description, Markdown.
    #[serde(default)]
    pub description: String,
    /// What members get.
    #[serde(default)]
    pub benefits: Vec<String>,
    /// Price per month, minor units.
    pub monthly_price: i64,
    /// Price per year, minor units.
    pub yearly_price: Option<i64>,
    /// ISO 4217 currency; CZK when absent.
    #[serde(default)]
    pub currency: String,
    /// The most members the tier takes.
    pub member_cap: Option<i64>,
}

impl From<TierRequest> for TierDraft {
    fn from(request: TierRequest) -> Self {
        TierDraft {
            name: request.name,
            description: request.description,
            benefits: request.benefits,
            monthly_price: request.monthly_price,
            yearly_price: request.yearly_price,
            currency: request.currency,
            member_cap: request.member_cap,
        }
    }
}

/// Add a tier above the highest one (owner).
#[utoipa::path(post, path = "/api/v1/creators/{slug}/tiers", tag = "tiers", params(("slug" = String, Path)),
    request_body = TierRequest,
    responses((status = 201, body = TierResponse), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn create_tier(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<TierRequest>,
) -> Result<(StatusCode, Json<TierResponse>), ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let tier = patron_app::tiers::create_tier(&state.app, &access, input.into()).await?;
    Ok((StatusCode::CREATED, Json(tier_response(&tier))))
}

/// Change a tier (owner). A new price applies to new members only.
#[utoipa::path(put, path = "/api/v1/creators/{slug}/tiers/{tier_id}", tag = "tiers",
    params(("slug" = String, Path), ("tier_id" = String, Path)), request_body = TierRequest,
    responses((status = 200, body = TierResponse), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn update_tier(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, tier_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<TierRequest>,
) -> Result<Json<TierResponse>, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let tier =
        patron_app::tiers::update_tier(&state.app, &access, patron_app::tiers::parse_id(&tier_id)?, input.into())
            .await?;
    Ok(Json(tier_response(&tier)))
}

/// Archive a tier: no new members, existing ones stay (owner).
#[utoipa::path(post, path = "/api/v1/creators/{slug}/tiers/{tier_id}/archive", tag = "tiers",
    params(("slug" = String, Path), ("tier_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn archive_tier(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, tier_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    patron_app::tiers::set_tier_archived(&state.app, &access, patron_app::tiers::parse_id(&tier_id)?, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bring an archived tier back (owner).
#[utoipa::path(delete, path = "/api/v1/creators/{slug}/tiers/{tier_id}/archive", tag = "tiers",
    params(("slug" = String, Path), ("tier_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn unarchive_tier(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, tier_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    patron_app::tiers::set_tier_archived(&state.app, &access, patron_app::tiers::parse_id(&tier_id)?, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tiers in their new order.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TierOrderRequest {
    /// Every tier's id, lowest first.
    pub tier_ids: Vec<String>,
}

/// Reorder the tiers, lowest first (owner).
#[utoipa::path(put, path = "/api/v1/creators/{slug}/tiers/order", tag = "tiers", params(("slug" = String, Path)),
    request_body = TierOrderRequest, responses((status = 204), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn reorder_tiers(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<TierOrderRequest>,
) -> Result<StatusCode, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let ids: Vec<Id> = input.tier_ids.iter().filter_map(|t| t.parse().ok()).collect();
    if ids.len() != input.tier_ids.len() {
        return Err(ApiError::validation(vec![patron_domain::ValidationError::new("tier_ids", "must be tier ids")]));
    }
    patron_app::tiers::reorder_tiers(&state.app, &access, &ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member of a page's team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMemberResponse {
    /// The user.
    pub user_id: String,
    /// Their name.
    pub display_name: String,
    /// Their e-mail address (shown to the owner only).
    pub email: Option<String>,
    /// Their role.
    pub role: TeamRole,
    /// Since when (RFC 3339).
    pub joined_at: String,
}

/// The team of a page (team members only).
#[utoipa::path(get, path = "/api/v1/creators/{slug}/team", tag = "team", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<TeamMemberResponse>), (status = 403, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn team(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<TeamMemberResponse>>, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let members = patron_app::team::members(&state.app, &access).await?;
    Ok(Json(
        members
            .into_iter()
            .map(|m| TeamMemberResponse {
                user_id: m.user_id.to_string(),
                display_name: m.display_name,
                email: m.email,
                role: m.role,
                joined_at: m.joined_at.to_rfc3339(),
            })
            .collect(),
    ))
}

/// Remove a contributor (owner), or leave the team (a contributor removing themself).
#[utoipa::path(delete, path = "/api/v1/creators/{slug}/team/{user_id}", tag = "team",
    params(("slug" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn remove_member(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, member)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let member = member.parse().map_err(|_| ApiError::not_found())?;
    patron_app::team::remove_member(&state.app, &access, member).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who takes over the page.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferRequest {
    /// A member of the team.
    pub user_id: String,
}

/// Hand the page over to a team member (owner); the old owner stays as a contributor.
#[utoipa::path(post, path = "/api/v1/creators/{slug}/transfer", tag = "team", params(("slug" = String, Path)),
    request_body = TransferRequest, responses((status = 204), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn transfer_ownership(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<TransferRequest>,
) -> Result<StatusCode, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let new_owner = input.user_id.parse().map_err(|_| ApiError::conflict("not_in_team", "No such team member."))?;
    patron_app::team::transfer_ownership(&state.app, &access, new_owner).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An invitation to a team.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationResponse {
    /// Identifier.
    pub id: String,
    /// Who was invited.
    pub email: String,
    /// The role offered.
    pub role: TeamRole,
    /// When it was sent.
    pub created_at: String,
    /// When the link stops working.
    pub expires_at: String,
    /// The link to pass on (only when just created).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// Whom to invite.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteRequest {
    /// Their e-mail address.
    pub email: String,
}

/// Invite someone to the team as a contributor (owner): the link is mailed to them, and the
/// response carries it too, to pass on by other means.
#[utoipa::path(post, path = "/api/v1/creators/{slug}/invitations", tag = "team", params(("slug" = String, Path)),
    request_body = InviteRequest, responses((status = 201, body = InvitationResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn invite(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<InviteRequest>,
) -> Result<(StatusCode, Json<InvitationResponse>), ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let (_, invitation, link) = patron_app::team::invite(&state.app, &access, &input.email).await?;
    Ok((
        StatusCode::CREATED,
        Json(InvitationResponse {
            id: invitation.id,
            email: invitation.email,
            role: invitation.role,
            created_at: invitation.created_at.to_rfc3339(),
            expires_at: invitation.expires_at.to_rfc3339(),
            link: Some(link),
        }),
    ))
}

/// Open invitations of a page (owner).
#[utoipa::path(get, path = "/api/v1/creators/{slug}/invitations", tag = "team", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<InvitationResponse>), (status = 403, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn list_invitations(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(slug): Path<String>,
) -> Result<Json<Vec<InvitationResponse>>, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    let open = patron_app::team::open_invitations(&state.app, &access).await?;
    Ok(Json(
        open.into_iter()
            .map(|i| InvitationResponse {
                id: i.id,
                email: i.email,
                role: i.role,
                created_at: i.created_at.to_rfc3339(),
                expires_at: i.expires_at.to_rfc3339(),
                link: None,
            })
            .collect(),
    ))
}

/// Withdraw an invitation (owner).
#[utoipa::path(delete, path = "/api/v1/creators/{slug}/invitations/{invitation_id}", tag = "team",
    params(("slug" = String, Path), ("invitation_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = []), ("session_cookie" = [])))]
async fn revoke_invitation(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((slug, invitation_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let access = creators::load(&state.app, &slug, Some(&user.user)).await?;
    patron_app::team::revoke_invitation(&state.app, &access, &invitation_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accept an invitation with the token from its link; the current user joins the team.
#[utoipa::path(post, path = "/api/v1/invitations/{token}/accept", tag = "team", params(("token" = String, Path)),
    responses((status = 200, body = CreatorResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = [])))]
async fn accept_invitation(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(token): Path<String>,
) -> Result<Json<CreatorResponse>, ApiError> {
    let creator = patron_app::team::accept_invitation(&state.app, &user.user, &token).await?;
    Ok(Json(creator_response(&state, &creator, None)))
}
