//! `/api/v1/media…`: uploads and the files of a user or a creator page; `/media/…`: the
//! files themselves.

use crate::AppState;
use crate::auth::{CurrentUser, MaybeUser};
use crate::error::{ApiError, ErrorBody};
use crate::media::{self, MediaView, UploadTarget};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use patron_domain::Id;
use patron_store::media::Purpose;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    // an upload may be as large as the largest kind allows (checked per kind while it streams)
    let limit = usize::try_from(media::largest_upload(state)).unwrap_or(usize::MAX).saturating_add(1 << 20);
    OpenApiRouter::new()
        .routes(routes!(upload).layer(DefaultBodyLimit::max(limit)))
        .routes(routes!(get_media, delete_media))
        .routes(routes!(retry_media))
        .routes(routes!(direct_upload))
        .routes(routes!(complete_upload))
        .routes(routes!(my_documents))
        .routes(routes!(user_documents))
        .routes(routes!(creator_media))
}

/// The files themselves (not part of the JSON API).
pub fn files_router() -> axum::Router<AppState> {
    axum::Router::new().route("/media/{id}/{*file}", axum::routing::get(serve))
}

async fn serve(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    Query(signed): Query<media::Signed>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    media::serve(&state, &id, &file, signed, &headers, false).await
}

/// What an upload is for.
#[derive(Debug, Deserialize, IntoParams)]
struct UploadQuery {
    /// `post` (the default), `avatar`, `cover` (all three need `creator`) or `private` (a
    /// document only you and platform admins can open).
    purpose: Option<String>,
    /// The creator page (slug) the file belongs to.
    creator: Option<String>,
}

/// Uploads a file as `multipart/form-data` with the file in the field `file`. Its type is
/// decided from its bytes; the worker then makes its renditions (watch `status`).
#[utoipa::path(
    post, path = "/api/v1/media", tag = "media", params(UploadQuery),
    responses(
        (status = 201, body = MediaView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "larger than the kind's limit"),
        (status = 415, body = ErrorBody, description = "not an accepted type"),
        (status = 429, body = ErrorBody)
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn upload(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<UploadQuery>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<MediaView>), ApiError> {
    let target = upload_target(&state, &current, &query).await?;
    let stored = media::upload(&state, current.user.id, target, multipart).await?;
    Ok((StatusCode::CREATED, Json(media::view(&state, &stored, Some(current.user.id), false, true).await?)))
}

async fn upload_target(state: &AppState, current: &CurrentUser, query: &UploadQuery) -> Result<UploadTarget, ApiError> {
    let purpose_text = query.purpose.as_deref().unwrap_or("post");
    let purpose = Purpose::parse(purpose_text)
        .ok_or_else(|| ApiError::bad_request("bad_purpose", "purpose must be post, avatar, cover or private."))?;
    if purpose == Purpose::Private {
        return Ok(UploadTarget { purpose, creator_id: None });
    }
    let slug = query
        .creator
        .as_deref()
        .ok_or_else(|| ApiError::bad_request("creator_required", "Name the creator page: ?creator=slug."))?;
    let page = crate::creators::load(state, slug, Some(current)).await?;
    page.require_team()?;
    if matches!(purpose, Purpose::Avatar | Purpose::Cover) {
        page.require_owner()?;
    }
    Ok(UploadTarget { purpose, creator_id: Some(page.creator.id) })
}

fn parse_id(text: &str) -> Result<Id, ApiError> {
    text.parse().map_err(|_| ApiError::not_found())
}

/// Grants an upload straight to the bucket, for large videos (S3 storage only): `PUT` the
/// bytes to `upload_url` with the given `Content-Type`, then confirm with
/// `POST /api/v1/media/{id}/complete`.
#[utoipa::path(
    post, path = "/api/v1/media/direct", tag = "media", request_body = media::DirectUploadRequest,
    responses(
        (status = 201, body = media::DirectUpload),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "storage is not S3"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 429, body = ErrorBody)
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn direct_upload(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(request): Json<media::DirectUploadRequest>,
) -> Result<(StatusCode, Json<media::DirectUpload>), ApiError> {
    let query = UploadQuery { purpose: request.purpose.clone(), creator: request.creator.clone() };
    let target = upload_target(&state, &current, &query).await?;
    let granted = media::grant_direct_upload(&state, current.user.id, target, &request).await?;
    Ok((StatusCode::CREATED, Json(granted)))
}

/// Confirms a direct upload once its `PUT` is done: the file's type is read from its bytes and
/// its size checked (a refused file is deleted), then it is processed like any upload.
#[utoipa::path(
    post, path = "/api/v1/media/{id}/complete", tag = "media",
    responses(
        (status = 200, body = MediaView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn complete_upload(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<MediaView>, ApiError> {
    let file = media::managed(&state, current.user.id, parse_id(&id)?).await?;
    if file.owner_id != current.user.id {
        return Err(ApiError::not_found());
    }
    let arrived = media::complete_direct_upload(&state, &file).await?;
    Ok(Json(media::view(&state, &arrived, Some(current.user.id), false, true).await?))
}

/// A file you uploaded, or one of a page whose team you are in, with its state.
#[utoipa::path(
    get, path = "/api/v1/media/{id}", tag = "media",
    responses((status = 200, body = MediaView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn get_media(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<MediaView>, ApiError> {
    let file = media::managed(&state, current.user.id, parse_id(&id)?).await?;
    Ok(Json(media::view(&state, &file, Some(current.user.id), false, true).await?))
}

/// Deletes a file: it leaves its posts at once; its objects are removed shortly after.
#[utoipa::path(
    delete, path = "/api/v1/media/{id}", tag = "media",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn delete_media(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let file = media::managed(&state, current.user.id, parse_id(&id)?).await?;
    media::delete(&state, &file).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Processes a file whose processing failed again.
#[utoipa::path(
    post, path = "/api/v1/media/{id}/retry", tag = "media",
    responses((status = 202), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn retry_media(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let file = media::managed(&state, current.user.id, parse_id(&id)?).await?;
    media::retry(&state, &file).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Files of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaList {
    /// The files, newest first.
    pub media: Vec<MediaView>,
}

/// Your private documents, with short-lived addresses.
#[utoipa::path(
    get, path = "/api/v1/me/documents", tag = "media",
    responses((status = 200, body = MediaList), (status = 401, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn my_documents(State(state): State<AppState>, current: CurrentUser) -> Result<Json<MediaList>, ApiError> {
    Ok(Json(MediaList { media: media::documents(&state, &current.user, current.user.id).await? }))
}

/// A user's private documents (platform admins; every look is audit-logged).
#[utoipa::path(
    get, path = "/api/v1/admin/users/{id}/documents", tag = "admin",
    responses((status = 200, body = MediaList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn user_documents(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<MediaList>, ApiError> {
    crate::admin::require_admin(&current.user)?;
    let owner = parse_id(&id)?;
    Ok(Json(MediaList { media: media::documents(&state, &current.user, owner).await? }))
}

/// A creator page's files and the storage they use.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatorMedia {
    /// Files kept.
    pub files: i64,
    /// Bytes stored (originals and renditions).
    pub stored_bytes: i64,
    /// The newest 100 files.
    pub media: Vec<MediaView>,
}

/// A page's files and storage use (its team).
#[utoipa::path(
    get, path = "/api/v1/creators/{slug}/media", tag = "media",
    responses((status = 200, body = CreatorMedia), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn creator_media(
    State(state): State<AppState>,
    user: MaybeUser,
    Path(slug): Path<String>,
) -> Result<Json<CreatorMedia>, ApiError> {
    let current = user.0.ok_or_else(ApiError::unauthenticated)?;
    let page = crate::creators::load(&state, &slug, Some(&current)).await?;
    page.require_team()?;
    let (files, stored_bytes) = patron_store::media::usage(state.db.pool(), page.creator.id).await?;
    let list = patron_store::media::of_creator(state.db.pool(), page.creator.id, 100).await?;
    let mut views = Vec::with_capacity(list.len());
    for file in &list {
        views.push(media::view(&state, file, Some(current.user.id), false, true).await?);
    }
    Ok(Json(CreatorMedia { files, stored_bytes, media: views }))
}
