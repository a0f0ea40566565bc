//! `/api/v1/media…`: uploads and the files of a user or a creator page; `/media/…`: the
//! files themselves.

use crate::AppState;
use crate::auth::{CurrentUser, MaybeUser};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use axum::Json;
use axum::body::Body;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use patron_app::media::{self, MediaView};
use patron_app::uploads::{self, DirectUpload, DirectUploadRequest, Purpose, UploadSource, UploadTarget};
use patron_app::{AppError, Problem};
use patron_domain::Id;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    // an upload may be as large as the largest kind allows (checked per kind while it streams)
    let limit = usize::try_from(uploads::largest_upload(&state.app)).unwrap_or(usize::MAX).saturating_add(1 << 20);
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

/// The upload route, which the request deadline leaves alone (see `deadline` in lib.rs): a
/// large file takes as long as the client's line needs.
pub fn is_upload(request: &axum::extract::Request) -> bool {
    request.method() == Method::POST && request.uri().path() == "/api/v1/media"
}

/// `GET /media/{id}/{*file}`: a file, by a signed address or, for public files, a plain one;
/// byte ranges for players; HLS playlists with their addresses signed for the viewer.
async fn serve(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    Query(signed): Query<media::Signed>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let grant = media::open_file(&state.app, &id, &file, &signed).await?;
    if grant.is_playlist() {
        let body = media::playlist(&state.app, &grant).await?;
        let mut response = (StatusCode::OK, body).into_response();
        set(&mut response, header::CONTENT_TYPE, &grant.content_type);
        set(&mut response, header::CACHE_CONTROL, &grant.cache_control);
        return Ok(response);
    }
    let storage = &state.app.storage;
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(text) => Some(parse_range(text).ok_or_else(range_not_satisfiable)?),
    };
    let range = match range {
        Some(ByteRange::Suffix(0)) => return Err(range_not_satisfiable()),
        Some(ByteRange::Suffix(n)) => {
            let size = storage.size(&grant.key).await.map_err(media::storage_error)?.ok_or_else(ApiError::not_found)?;
            Some((size.saturating_sub(n), None))
        }
        Some(ByteRange::From(start, end)) => Some((start, end.map(|e| e + 1))),
        None => None,
    };
    let read = match storage.read(&grant.key, range).await {
        Ok(read) => read,
        Err(patron_storage::StorageError::BadRange) => return Err(range_not_satisfiable()),
        Err(other) => return Err(media::storage_error(other).into()),
    };
    if let Some((start, _)) = range
        && start >= read.size
    {
        return Err(range_not_satisfiable());
    }
    let length = read.range.end - read.range.start;
    let mut response = Response::new(Body::from_stream(read.stream.map(|chunk| chunk.map_err(std::io::Error::other))));
    if range.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        set(
            &mut response,
            header::CONTENT_RANGE,
            &format!("bytes {}-{}/{}", read.range.start, read.range.end.saturating_sub(1), read.size),
        );
    }
    set(&mut response, header::CONTENT_TYPE, &grant.content_type);
    set(&mut response, header::CONTENT_LENGTH, &length.to_string());
    set(&mut response, header::ACCEPT_RANGES, "bytes");
    set(&mut response, header::CACHE_CONTROL, &grant.cache_control);
    set(&mut response, header::CONTENT_DISPOSITION, "inline");
    Ok(response)
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
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<MediaView>), ApiError> {
    let target = upload_target(&state, &current, &query).await?;
    // the client must keep sending: a stalled upload ends after the request timeout
    let idle = state.app.settings.request_timeout;
    let field = loop {
        if let Some(field) = next_field(&mut multipart, idle).await? {
            break field;
        }
    };
    let name = field.file_name().map(str::to_owned);
    let stored = uploads::upload(&state.app, current.user.id, target, name, FileField { field, idle }).await?;
    Ok((StatusCode::CREATED, Json(media::view(&state.app, &stored, Some(current.user.id), false, true).await?)))
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
    let page = patron_app::creators::load(&state.app, slug, Some(&current.user)).await?;
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
    post, path = "/api/v1/media/direct", tag = "media", request_body = DirectUploadRequest,
    responses(
        (status = 201, body = DirectUpload),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "storage is not S3"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 429, body = ErrorBody)
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn direct_upload(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(request): ApiJson<DirectUploadRequest>,
) -> Result<(StatusCode, Json<DirectUpload>), ApiError> {
    let query = UploadQuery { purpose: request.purpose.clone(), creator: request.creator.clone() };
    let target = upload_target(&state, &current, &query).await?;
    let granted = uploads::grant_direct_upload(&state.app, current.user.id, target, &request).await?;
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
    let file = media::managed(&state.app, current.user.id, parse_id(&id)?).await?;
    if file.owner_id != current.user.id {
        return Err(ApiError::not_found());
    }
    let arrived = uploads::complete_direct_upload(&state.app, &file).await?;
    Ok(Json(media::view(&state.app, &arrived, Some(current.user.id), false, true).await?))
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
    let file = media::managed(&state.app, current.user.id, parse_id(&id)?).await?;
    Ok(Json(media::view(&state.app, &file, Some(current.user.id), false, true).await?))
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
    let file = media::managed(&state.app, current.user.id, parse_id(&id)?).await?;
    media::delete(&state.app, &file).await?;
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
    let file = media::managed(&state.app, current.user.id, parse_id(&id)?).await?;
    media::retry(&state.app, &file).await?;
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
    Ok(Json(MediaList { media: media::documents(&state.app, &current.user, current.user.id).await? }))
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
    patron_app::admin::require_admin(&current.user)?;
    let owner = parse_id(&id)?;
    Ok(Json(MediaList { media: media::documents(&state.app, &current.user, owner).await? }))
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
    let page = patron_app::creators::load(&state.app, &slug, Some(&current.user)).await?;
    let (files, stored_bytes) = media::usage(&state.app, &page).await?;
    let views = media::of_page(&state.app, &page, 100).await?;
    Ok(Json(CreatorMedia { files, stored_bytes, media: views }))
}

// ---- receiving an upload ----

/// The `file` field of a multipart upload as an [`UploadSource`]: a client that stops sending
/// for the request timeout or sends more than the body limit gets a clear error.
struct FileField<'a> {
    field: Field<'a>,
    idle: Duration,
}

fn stalled() -> AppError {
    AppError::Stalled(Problem { code: "upload_stalled", message: "The upload stopped arriving.".to_owned() })
}

fn multipart_error(error: MultipartError) -> AppError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(Problem { code: "payload_too_large", message: "The request body is too large.".to_owned() })
    } else {
        AppError::malformed("bad_upload", format!("The upload could not be read: {}", error.body_text()))
    }
}

/// The next field if it is the file (`None` for another field, to skip), or why there is
/// none.
async fn next_field(multipart: &mut Multipart, idle: Duration) -> Result<Option<Field<'_>>, AppError> {
    match tokio::time::timeout(idle, multipart.next_field()).await {
        Err(_) => Err(stalled()),
        Ok(Err(error)) => Err(multipart_error(error)),
        Ok(Ok(None)) => Err(AppError::malformed("no_file", "Send the file in a multipart field named \"file\".")),
        Ok(Ok(Some(field))) if field.name() == Some("file") => Ok(Some(field)),
        Ok(Ok(Some(_))) => Ok(None),
    }
}

impl UploadSource for FileField<'_> {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, AppError> {
        match tokio::time::timeout(self.idle, self.field.chunk()).await {
            Err(_) => Err(stalled()),
            Ok(Err(error)) => Err(multipart_error(error)),
            Ok(Ok(chunk)) => Ok(chunk),
        }
    }
}

// ---- serving files ----

fn set(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

fn range_not_satisfiable() -> ApiError {
    ApiError::new(StatusCode::RANGE_NOT_SATISFIABLE, "range_not_satisfiable", "The requested range is not in the file.")
}

/// A single byte range of a `Range` header.
#[derive(Debug, PartialEq, Eq)]
enum ByteRange {
    /// `bytes=a-` or `bytes=a-b` (inclusive end).
    From(u64, Option<u64>),
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

fn parse_range(text: &str) -> Option<ByteRange> {
    let spec = text.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None; // several ranges: not supported, and players never ask for them
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    if start.is_empty() {
        return end.parse().ok().map(ByteRange::Suffix);
    }
    let start: u64 = start.parse().ok()?;
    let end: Option<u64> = if end.is_empty() { None } else { Some(end.parse().ok()?) };
    if end.is_some_and(|e| e < start) {
        return None;
    }
    Some(ByteRange::From(start, end))
}
