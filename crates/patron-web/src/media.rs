//! Media over HTTP: streamed uploads (type from the bytes, size limits, a rate limit), the
//! URLs a viewer gets for a file, and serving files (ranges, HLS playlists whose segments are
//! signed too).
//!
//! Who gets a URL is decided before it is made: the post views hand out URLs only with full
//! access. A URL for anything not public is signed — an S3 presigned GET on S3, or patron's
//! own signature (HMAC over the file, the expiry and the viewer it was issued to) — and lives
//! `PATRON_MEDIA_URL_TTL`. Public files (avatars, covers, media of public posts) have plain,
//! cacheable URLs whose access is checked when they are served.

use crate::AppState;
use crate::error::ApiError;
use axum::body::Body;
use axum::extract::Multipart;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::{StreamExt, TryStreamExt};
use hmac::{Hmac, Mac};
use patron_domain::entitlement::{Access, Viewer, access};
use patron_domain::{Id, Timestamp};
use patron_media::sniff::HEAD;
use patron_storage::ObjectKey;
use patron_store::media::{self, Media, MediaKind, MediaStatus, NewMedia, Purpose};
use sha2::{Digest, Sha256};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// The upload routes, which the request deadline leaves alone (see `deadline` in lib.rs).
pub fn is_upload(request: &axum::extract::Request) -> bool {
    request.method() == Method::POST && request.uri().path() == "/api/v1/media"
}

/// What an upload is for, and for whom.
#[derive(Debug, Clone, Copy)]
pub struct UploadTarget {
    /// Its purpose.
    pub purpose: Purpose,
    /// The creator page (not for private documents).
    pub creator_id: Option<Id>,
}

fn unsupported(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", message)
}

fn too_large(kind: MediaKind, limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("{} files may be at most {}.", kind.as_str(), human_size(limit)),
    )
}

/// `12.5 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// The largest upload of any kind (the body limit of the upload route).
pub fn largest_upload(state: &AppState) -> u64 {
    let m = &state.settings.media;
    m.max_image.max(m.max_video).max(m.max_audio).max(m.max_document)
}

fn limit_for(state: &AppState, kind: MediaKind) -> u64 {
    let m = &state.settings.media;
    match kind {
        MediaKind::Image => m.max_image,
        MediaKind::Video => m.max_video,
        MediaKind::Audio => m.max_audio,
        MediaKind::Document => m.max_document,
    }
}

fn allowed(purpose: Purpose, kind: MediaKind) -> bool {
    match purpose {
        Purpose::Post => true,
        Purpose::Avatar | Purpose::Cover => kind == MediaKind::Image,
        Purpose::Private => matches!(kind, MediaKind::Image | MediaKind::Document),
    }
}

fn multipart_error(error: axum::extract::multipart::MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large()
    } else {
        ApiError::bad_request("bad_upload", format!("The upload could not be read: {}", error.body_text()))
    }
}

/// Streams the `file` field of a multipart upload into storage and records it; the worker
/// makes its renditions. Nothing of a refused or interrupted upload remains.
pub async fn upload(
    state: &AppState,
    owner: Id,
    target: UploadTarget,
    mut multipart: Multipart,
) -> Result<Media, ApiError> {
    let started = state
        .cache
        .increment(&format!("uploads:user:{owner}"), Duration::from_secs(3600))
        .await
        .map_err(ApiError::unavailable)?;
    if started.count > u64::from(state.settings.media.uploads_per_hour) {
        return Err(ApiError::rate_limited(started.resets_in));
    }
    // the client must keep sending: a stalled upload ends after the request timeout
    let idle = state.settings.request_timeout;
    let stalled = || ApiError::new(StatusCode::REQUEST_TIMEOUT, "upload_stalled", "The upload stopped arriving.");
    let mut field = loop {
        match tokio::time::timeout(idle, multipart.next_field()).await {
            Err(_) => return Err(stalled()),
            Ok(Err(error)) => return Err(multipart_error(error)),
            Ok(Ok(None)) => {
                return Err(ApiError::bad_request("no_file", "Send the file in a multipart field named \"file\"."));
            }
            Ok(Ok(Some(field))) if field.name() == Some("file") => break field,
            Ok(Ok(Some(_))) => continue,
        }
    };
    let file_name = field
        .file_name()
        .map(|name| name.rsplit(['/', '\\']).next().unwrap_or_default().chars().take(200).collect::<String>())
        .filter(|name| !name.trim().is_empty());

    let mut head: Vec<u8> = Vec::with_capacity(HEAD);
    let mut ended = false;
    while head.len() < HEAD {
        match tokio::time::timeout(idle, field.chunk()).await {
            Err(_) => return Err(stalled()),
            Ok(Err(error)) => return Err(multipart_error(error)),
            Ok(Ok(Some(chunk))) => head.extend_from_slice(&chunk),
            Ok(Ok(None)) => {
                ended = true;
                break;
            }
        }
    }
    let Some(sniffed) = patron_media::sniff(&head) else {
        return Err(unsupported(
            "This kind of file is not accepted: images (JPEG, PNG, WebP, GIF), videos (MP4, WebM, MOV), \
             audio (MP3, M4A, Ogg, WAV, FLAC) and PDF documents are.",
        ));
    };
    if !allowed(target.purpose, sniffed.kind) {
        return Err(unsupported(format!("A {} cannot be a {} file.", target.purpose.as_str(), sniffed.kind.as_str())));
    }
    let limit = limit_for(state, sniffed.kind);
    if head.len() as u64 > limit {
        return Err(too_large(sniffed.kind, limit));
    }

    let media_id = Id::new();
    let key = ObjectKey::new(media::original_key(media_id)).map_err(ApiError::internal)?;
    let mut stored = state.storage.upload(&key, sniffed.content_type).await.map_err(ApiError::unavailable)?;
    let mut hash = Sha256::new();
    hash.update(&head);
    let mut total = head.len() as u64;
    let streamed: Result<(), ApiError> = async {
        stored.write(&head).await.map_err(ApiError::unavailable)?;
        drop(std::mem::take(&mut head));
        while !ended {
            match tokio::time::timeout(idle, field.chunk()).await {
                Err(_) => return Err(stalled()),
                Ok(Err(error)) => return Err(multipart_error(error)),
                Ok(Ok(None)) => ended = true,
                Ok(Ok(Some(chunk))) => {
                    total += chunk.len() as u64;
                    if total > limit {
                        return Err(too_large(sniffed.kind, limit));
                    }
                    hash.update(&chunk);
                    stored.write(&chunk).await.map_err(ApiError::unavailable)?;
                }
            }
        }
        Ok(())
    }
    .await;
    if let Err(error) = streamed {
        let _ = stored.abort().await;
        return Err(error);
    }
    stored.finish().await.map_err(ApiError::unavailable)?;

    let new = NewMedia {
        id: media_id,
        owner_id: owner,
        creator_id: target.creator_id,
        purpose: target.purpose,
        kind: sniffed.kind,
        content_type: sniffed.content_type.to_owned(),
        byte_size: total as i64,
        sha256: hex(&hash.finalize()),
        file_name,
        status: MediaStatus::Processing,
    };
    let recorded: Result<(), ApiError> = async {
        let mut transaction = state.db.begin_write().await?;
        media::insert(&mut *transaction, &new).await?;
        patron_media::jobs::enqueue_processing(&mut *transaction, media_id).await?;
        transaction.commit().await.map_err(patron_store::StoreError::from)?;
        Ok(())
    }
    .await;
    if let Err(error) = recorded {
        let _ = state.storage.delete(&key).await;
        return Err(error);
    }
    tracing::info!(media_id = %media_id, kind = sniffed.kind.as_str(), bytes = total, "upload stored");
    media::find(state.db.pool(), media_id).await?.ok_or_else(|| ApiError::internal("an upload vanished"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- direct uploads to the bucket ----

/// How long a granted direct upload may take to start.
const DIRECT_UPLOAD_TTL: Duration = Duration::from_secs(3600);

/// What a client asks to upload directly.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct DirectUploadRequest {
    /// The creator page (slug); not for private documents.
    pub creator: Option<String>,
    /// `post` (the default), `avatar`, `cover` or `private`.
    pub purpose: Option<String>,
    /// The file's MIME type (checked against its bytes when it has arrived).
    pub content_type: String,
    /// Its size in bytes.
    pub byte_size: u64,
    /// Its name.
    pub file_name: Option<String>,
}

/// A granted direct upload.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DirectUpload {
    /// The file's id: confirm with `POST /api/v1/media/{id}/complete` once the PUT is done.
    pub id: String,
    /// Where to `PUT` the file's bytes.
    pub upload_url: String,
    /// Always `PUT`.
    pub method: &'static str,
    /// The `Content-Type` the PUT must carry (it is part of the signature).
    pub content_type: String,
    /// Until when the address works (RFC 3339).
    pub expires_at: String,
}

/// Grants an upload straight to the bucket (S3 only): for large videos, whose bytes need not
/// pass through patron.
pub async fn grant_direct_upload(
    state: &AppState,
    owner: Id,
    target: UploadTarget,
    request: &DirectUploadRequest,
) -> Result<DirectUpload, ApiError> {
    if !state.storage.presigns() {
        return Err(ApiError::conflict(
            "direct_upload_unavailable",
            "Direct uploads need S3 storage; send the file to POST /api/v1/media instead.",
        ));
    }
    let declared = patron_media::sniff::accepted_type(request.content_type.trim())
        .ok_or_else(|| unsupported(format!("{:?} is not an accepted type.", request.content_type)))?;
    if !allowed(target.purpose, declared.kind) {
        return Err(unsupported(format!("A {} cannot be a {} file.", target.purpose.as_str(), declared.kind.as_str())));
    }
    let limit = limit_for(state, declared.kind);
    if request.byte_size > limit {
        return Err(too_large(declared.kind, limit));
    }
    let started = state
        .cache
        .increment(&format!("uploads:user:{owner}"), Duration::from_secs(3600))
        .await
        .map_err(ApiError::unavailable)?;
    if started.count > u64::from(state.settings.media.uploads_per_hour) {
        return Err(ApiError::rate_limited(started.resets_in));
    }
    let media_id = Id::new();
    let key = ObjectKey::new(media::original_key(media_id)).map_err(ApiError::internal)?;
    let url = state
        .storage
        .presign_put(&key, DIRECT_UPLOAD_TTL, declared.content_type)
        .await
        .map_err(ApiError::unavailable)?
        .ok_or_else(|| ApiError::internal("S3 storage gave no presigned address"))?;
    let new = NewMedia {
        id: media_id,
        owner_id: owner,
        creator_id: target.creator_id,
        purpose: target.purpose,
        kind: declared.kind,
        content_type: declared.content_type.to_owned(),
        byte_size: 0,
        // the bytes never pass through patron
        sha256: String::new(),
        file_name: request.file_name.as_ref().map(|n| n.chars().take(200).collect()),
        status: MediaStatus::Uploading,
    };
    media::insert(state.db.pool(), &new).await?;
    Ok(DirectUpload {
        id: media_id.to_string(),
        upload_url: url,
        method: "PUT",
        content_type: declared.content_type.to_owned(),
        expires_at: Timestamp::now().plus(DIRECT_UPLOAD_TTL).to_rfc3339(),
    })
}

/// Confirms a direct upload: the object must be in the bucket, within the limit, and of an
/// accepted type by its first bytes; otherwise it is deleted and the error says why.
pub async fn complete_direct_upload(state: &AppState, media: &Media) -> Result<Media, ApiError> {
    if media.status != MediaStatus::Uploading {
        return Err(ApiError::conflict("not_uploading", "This file is not waiting for a direct upload."));
    }
    let key = ObjectKey::new(media.original_key()).map_err(ApiError::internal)?;
    let size = state.storage.size(&key).await.map_err(ApiError::unavailable)?.ok_or_else(|| {
        ApiError::conflict("upload_missing", "The file has not arrived in storage yet: finish the PUT first.")
    })?;
    let refuse = |error: ApiError| async {
        let _ = state.storage.delete(&key).await;
        let _ = media::mark_deleted(state.db.pool(), &[media.id]).await;
        error
    };
    let head = match state.storage.read(&key, Some((0, Some((HEAD as u64).min(size.max(1)))))).await {
        Ok(read) => {
            let chunks: Vec<bytes::Bytes> = read.stream.try_collect().await.map_err(ApiError::unavailable)?;
            chunks.concat()
        }
        Err(patron_storage::StorageError::BadRange) => Vec::new(),
        Err(other) => return Err(ApiError::unavailable(other)),
    };
    let Some(sniffed) = patron_media::sniff(&head) else {
        return Err(refuse(unsupported("The uploaded file is not of an accepted type.")).await);
    };
    if !allowed(media.purpose, sniffed.kind) {
        return Err(refuse(unsupported(format!(
            "A {} cannot be a {} file.",
            media.purpose.as_str(),
            sniffed.kind.as_str()
        )))
        .await);
    }
    let limit = limit_for(state, sniffed.kind);
    if size > limit {
        return Err(refuse(too_large(sniffed.kind, limit)).await);
    }
    let mut transaction = state.db.begin_write().await?;
    if !media::arrived(&mut *transaction, media.id, sniffed.kind, sniffed.content_type, size as i64).await? {
        return Err(ApiError::conflict("not_uploading", "This file is not waiting for a direct upload."));
    }
    patron_media::jobs::enqueue_processing(&mut *transaction, media.id).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    media::find(state.db.pool(), media.id).await?.ok_or_else(ApiError::not_found)
}

// ---- signed URLs ----

fn signature(state: &AppState, media_id: Id, file: &str, expires: i64, viewer: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(state.secret_key.expose().as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(), // HMAC takes keys of any length
    };
    mac.update(b"patron-media\0");
    mac.update(format!("{media_id}/{file}\0{expires}\0{viewer}").as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn viewer_text(viewer: Option<Id>) -> String {
    viewer.map(|v| v.to_string()).unwrap_or_else(|| "-".to_owned())
}

/// patron's own signed URL (path and query) of a file of `media`, valid until `expires`
/// (Unix seconds), for `viewer`.
fn patron_signed(state: &AppState, media_id: Id, file: &str, expires: i64, viewer: Option<Id>) -> String {
    let viewer = viewer_text(viewer);
    let signature = signature(state, media_id, file, expires, &viewer);
    format!("/media/{media_id}/{file}?expires={expires}&viewer={viewer}&signature={signature}")
}

/// The URL a viewer uses for a file of `media`: plain when `public`, otherwise signed for
/// `PATRON_MEDIA_URL_TTL` — presigned by S3 when storage is S3 (playlists excepted: patron
/// signs their segments), by patron otherwise.
pub async fn url_for(
    state: &AppState,
    media: &Media,
    file: &str,
    viewer: Option<Id>,
    public: bool,
) -> Result<String, ApiError> {
    if public {
        return Ok(format!("/media/{}/{file}", media.id));
    }
    let ttl = state.settings.media.url_ttl;
    if state.storage.presigns() && !file.ends_with(".m3u8") {
        let key = ObjectKey::new(format!("{}/{file}", media.folder())).map_err(ApiError::internal)?;
        let content_type = content_type_of(media, file);
        if let Some(url) = state.storage.presign_get(&key, ttl, &content_type).await.map_err(ApiError::unavailable)? {
            return Ok(url);
        }
    }
    let expires = Timestamp::now().as_micros() / 1_000_000 + ttl.as_secs() as i64;
    Ok(patron_signed(state, media.id, file, expires, viewer))
}

/// A file as a viewer may use it: its URLs (none unless it is ready).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MediaView {
    /// Identifier.
    pub id: String,
    /// `image`, `video`, `audio` or `document`.
    pub kind: &'static str,
    /// `processing`, `ready` or `failed`.
    pub status: &'static str,
    /// MIME type of the upload.
    pub content_type: String,
    /// Pixel width (upright), once known.
    pub width: Option<i64>,
    /// Pixel height (upright), once known.
    pub height: Option<i64>,
    /// Length of audio and video in milliseconds, once known.
    pub duration_ms: Option<i64>,
    /// Images: the widest rendition; audio, documents and videos without HLS: the file.
    pub url: Option<String>,
    /// Images: every width with its URL, for `srcset`.
    pub srcset: Vec<SrcsetEntry>,
    /// Videos: the poster frame.
    pub poster_url: Option<String>,
    /// Videos: the HLS master playlist.
    pub hls_url: Option<String>,
    /// Processing progress in percent (videos).
    pub progress: Option<i64>,
    /// Why processing failed (shown to the uploader and the creator's team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The uploader's file name (uploader and team only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Bytes stored for it.
    pub stored_bytes: i64,
}

/// One width of an image.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SrcsetEntry {
    /// Pixel width.
    pub width: u32,
    /// Its URL.
    pub url: String,
}

impl MediaView {
    /// The `srcset` attribute value.
    pub fn srcset_attribute(&self) -> String {
        self.srcset.iter().map(|e| format!("{} {}w", e.url, e.width)).collect::<Vec<_>>().join(", ")
    }
}

/// The view of `media` for `viewer`; `public` gives plain URLs, `own` shows the file name and
/// any processing error.
pub async fn view(
    state: &AppState,
    media: &Media,
    viewer: Option<Id>,
    public: bool,
    own: bool,
) -> Result<MediaView, ApiError> {
    let mut view = MediaView {
        id: media.id.to_string(),
        kind: media.kind.as_str(),
        status: media.status.as_str(),
        content_type: media.content_type.clone(),
        width: media.width,
        height: media.height,
        duration_ms: media.duration_ms,
        url: None,
        srcset: Vec::new(),
        poster_url: None,
        hls_url: None,
        progress: media.progress,
        error: if own { media.error.clone() } else { None },
        file_name: if own { media.file_name.clone() } else { None },
        stored_bytes: media.stored_bytes,
    };
    if media.status != MediaStatus::Ready {
        return Ok(view);
    }
    for variant in &media.variants {
        let url = url_for(state, media, &variant.file, viewer, public).await?;
        match variant.role.as_str() {
            "image" => view.srcset.push(SrcsetEntry { width: variant.width.unwrap_or(0), url }),
            "poster" => view.poster_url = Some(url),
            "hls" => view.hls_url = Some(url),
            _ => {}
        }
    }
    view.url = match media.kind {
        MediaKind::Image => view.srcset.last().map(|e| e.url.clone()),
        _ => Some(url_for(state, media, "original", viewer, public).await?),
    };
    Ok(view)
}

/// Whether anyone may open this file without a signature: a creator's avatar or cover, or a
/// file of a post anyone may read.
async fn is_public(state: &AppState, media: &Media) -> Result<(bool, bool), ApiError> {
    match media.purpose {
        Purpose::Avatar | Purpose::Cover => return Ok((true, true)),
        Purpose::Private => return Ok((false, false)),
        Purpose::Post => {}
    }
    let now = Timestamp::now();
    for (creator_id, post_id) in media::posts_of(state.db.pool(), media.id).await? {
        let Some(post) = patron_store::posts::find(state.db.pool(), creator_id, post_id).await? else { continue };
        let hidden = patron_store::creators::find_by_id(state.db.pool(), creator_id).await?.is_none_or(|c| c.is_hidden);
        if !hidden && access(Viewer::Anonymous, &post.audience(), now) == Access::Full {
            return Ok((true, false));
        }
    }
    Ok((false, false))
}

/// Query of a signed URL.
#[derive(Debug, serde::Deserialize)]
pub struct Signed {
    expires: Option<i64>,
    viewer: Option<String>,
    signature: Option<String>,
}

fn forbidden() -> ApiError {
    ApiError::forbidden("media_forbidden", "This address is not valid (it may have expired): reload the page.")
}

/// `GET /media/{id}/{*file}`: a file, by a signed URL or, for public files, a plain one.
pub async fn serve(
    state: &AppState,
    media_id: &str,
    file: &str,
    signed: Signed,
    headers: &HeaderMap,
    head_only: bool,
) -> Result<Response, ApiError> {
    let media_id: Id = media_id.parse().map_err(|_| ApiError::not_found())?;
    let media = media::find(state.db.pool(), media_id).await?.ok_or_else(ApiError::not_found)?;
    let known = file == "original"
        || media.variants.iter().any(|v| v.file == file)
        || (file.starts_with("hls/") && media.variants.iter().any(|v| v.role == "hls"));
    if !known {
        return Err(ApiError::not_found());
    }
    let now = Timestamp::now().as_micros() / 1_000_000;
    let (cache_control, viewer, expires) = match (&signed.signature, signed.expires, &signed.viewer) {
        (Some(given), Some(expires), Some(viewer)) => {
            let expected = signature(state, media.id, file, expires, viewer);
            if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) || expires <= now {
                return Err(forbidden());
            }
            (format!("private, max-age={}", (expires - now).min(3600)), Some(viewer.clone()), Some(expires))
        }
        (None, None, None) => {
            let (public, immutable) = is_public(state, &media).await?;
            if !public {
                return Err(forbidden());
            }
            let cache = if immutable { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
            (cache.to_owned(), None, None)
        }
        _ => return Err(forbidden()),
    };
    if media.status != MediaStatus::Ready && file != "original" {
        return Err(ApiError::not_found());
    }
    let content_type = content_type_of(&media, file);
    let key = ObjectKey::new(format!("{}/{file}", media.folder())).map_err(|_| ApiError::not_found())?;

    if file.ends_with(".m3u8") {
        let viewer_id = viewer.as_deref().and_then(|v| v.parse::<Id>().ok());
        let playlist = state.storage.get(&key).await.map_err(storage_error)?;
        let body =
            rewrite_playlist(state, &media, file, &String::from_utf8_lossy(&playlist), viewer_id, expires).await?;
        let mut response = (StatusCode::OK, body).into_response();
        set(&mut response, header::CONTENT_TYPE, &content_type);
        set(&mut response, header::CACHE_CONTROL, &cache_control);
        return Ok(response);
    }

    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(text) => Some(parse_range(text).ok_or_else(range_not_satisfiable)?),
    };
    let (range, suffix) = match range {
        Some(ByteRange::Suffix(n)) => (None, Some(n)),
        Some(ByteRange::From(start, end)) => (Some((start, end.map(|e| e + 1))), None),
        None => (None, None),
    };
    let range = match suffix {
        Some(n) => {
            let size = state.storage.size(&key).await.map_err(storage_error)?.ok_or_else(ApiError::not_found)?;
            if n == 0 {
                return Err(range_not_satisfiable());
            }
            Some((size.saturating_sub(n), None))
        }
        None => range,
    };
    let read = match state.storage.read(&key, range).await {
        Ok(read) => read,
        Err(patron_storage::StorageError::BadRange) => return Err(range_not_satisfiable()),
        Err(other) => return Err(storage_error(other)),
    };
    if let Some((start, _)) = range
        && start >= read.size
    {
        return Err(range_not_satisfiable());
    }
    let partial = range.is_some();
    let length = read.range.end - read.range.start;
    let mut response = if head_only {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from_stream(read.stream.map(|chunk| chunk.map_err(std::io::Error::other))))
    };
    if partial {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        set(
            &mut response,
            header::CONTENT_RANGE,
            &format!("bytes {}-{}/{}", read.range.start, read.range.end.saturating_sub(1), read.size),
        );
    }
    set(&mut response, header::CONTENT_TYPE, &content_type);
    set(&mut response, header::CONTENT_LENGTH, &length.to_string());
    set(&mut response, header::ACCEPT_RANGES, "bytes");
    set(&mut response, header::CACHE_CONTROL, &cache_control);
    set(&mut response, header::CONTENT_DISPOSITION, "inline");
    Ok(response)
}

/// The type a file of `media` is served as: known from its bytes or from how patron made it,
/// never from what a client said.
fn content_type_of(media: &Media, file: &str) -> String {
    if file == "original" {
        media.content_type.clone()
    } else if let Some(variant) = media.variants.iter().find(|v| v.file == file) {
        variant.content_type.clone()
    } else if file.ends_with(".m3u8") {
        "application/vnd.apple.mpegurl".to_owned()
    } else if file.ends_with(".ts") {
        "video/mp2t".to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

fn set(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

fn storage_error(error: patron_storage::StorageError) -> ApiError {
    match error {
        patron_storage::StorageError::NotFound(_) => ApiError::not_found(),
        other => ApiError::unavailable(other),
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

/// Replaces every address in an HLS playlist with one the viewer may fetch: segments and
/// renditions signed like the playlist, valid long enough to play the whole video.
async fn rewrite_playlist(
    state: &AppState,
    media: &Media,
    file: &str,
    text: &str,
    viewer: Option<Id>,
    expires: Option<i64>,
) -> Result<String, ApiError> {
    let folder = file.rsplit_once('/').map(|(folder, _)| folder).unwrap_or("");
    let play_time = media.duration_ms.unwrap_or(0) / 1000 + 60;
    let ttl = state.settings.media.url_ttl.as_secs() as i64 + play_time;
    let expires = expires.map(|e| e.max(Timestamp::now().as_micros() / 1_000_000 + ttl));
    let mut out = String::with_capacity(text.len() * 2);
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        // only plain file names are expected from our own ffmpeg output
        if !trimmed.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
            return Err(ApiError::internal(format!("unexpected playlist entry in media {}", media.id)));
        }
        let target = if folder.is_empty() { trimmed.to_owned() } else { format!("{folder}/{trimmed}") };
        let url = match expires {
            None => format!("/media/{}/{target}", media.id),
            Some(expires) => {
                let presigned = if state.storage.presigns() && !target.ends_with(".m3u8") {
                    let key = ObjectKey::new(format!("{}/{target}", media.folder())).map_err(ApiError::internal)?;
                    let lifetime =
                        Duration::from_secs((expires - Timestamp::now().as_micros() / 1_000_000).max(1) as u64);
                    let content_type = content_type_of(media, &target);
                    state.storage.presign_get(&key, lifetime, &content_type).await.map_err(ApiError::unavailable)?
                } else {
                    None
                };
                presigned.unwrap_or_else(|| patron_signed(state, media.id, &target, expires, viewer))
            }
        };
        out.push_str(&url);
        out.push('\n');
    }
    Ok(out)
}

// ---- managing files ----

/// A file its uploader or the team of its creator page may manage; 404 for anyone else.
pub async fn managed(state: &AppState, user: Id, media_id: Id) -> Result<Media, ApiError> {
    let media = media::find(state.db.pool(), media_id).await?.ok_or_else(ApiError::not_found)?;
    if media.owner_id == user {
        return Ok(media);
    }
    if let Some(creator_id) = media.creator_id {
        let relations = patron_store::creators::relations(state.db.pool(), user, &[creator_id]).await?;
        if relations.get(&creator_id).is_some_and(|r| r.team_role.is_some()) {
            return Ok(media);
        }
    }
    Err(ApiError::not_found())
}

/// Deletes a file: off its posts at once, its objects by a job.
pub async fn delete(state: &AppState, media: &Media) -> Result<(), ApiError> {
    let mut transaction = state.db.begin_write().await?;
    let posts = media::detach(&mut transaction, media.id).await?;
    media::refresh_processed(&mut transaction, &posts).await?;
    media::mark_deleted(&mut *transaction, &[media.id]).await?;
    patron_media::jobs::enqueue_delete(&mut *transaction, media.id).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    Ok(())
}

/// Tries a failed file again.
pub async fn retry(state: &AppState, media: &Media) -> Result<(), ApiError> {
    if media.status != MediaStatus::Failed {
        return Err(ApiError::conflict("not_failed", "Only a file whose processing failed can be retried."));
    }
    let mut transaction = state.db.begin_write().await?;
    media::set_status(&mut *transaction, media.id, MediaStatus::Processing, None).await?;
    patron_media::jobs::enqueue_retry(&mut *transaction, media.id).await?;
    transaction.commit().await.map_err(patron_store::StoreError::from)?;
    Ok(())
}

/// The private documents of `owner` as `viewer` sees them: the owner, or a platform admin,
/// whose every look is written to the audit log.
pub async fn documents(
    state: &AppState,
    viewer: &patron_store::users::User,
    owner: Id,
) -> Result<Vec<MediaView>, ApiError> {
    if viewer.id != owner {
        crate::admin::require_admin(viewer)?;
    }
    let files = media::private_of(state.db.pool(), owner).await?;
    let mut views = Vec::with_capacity(files.len());
    for file in &files {
        if viewer.id != owner {
            patron_store::audit::record(
                state.db.pool(),
                Some(viewer.id),
                "private_document.view",
                &format!("media:{}", file.id),
                &format!("owner {owner}"),
            )
            .await?;
            tracing::info!(admin = %viewer.id, media_id = %file.id, owner = %owner, "admin opened a private document");
        }
        views.push(view(state, file, Some(viewer.id), false, true).await?);
    }
    Ok(views)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_players_send_them() {
        assert_eq!(parse_range("bytes=0-"), Some(ByteRange::From(0, None)));
        assert_eq!(parse_range("bytes=100-199"), Some(ByteRange::From(100, Some(199))));
        assert_eq!(parse_range("bytes=-500"), Some(ByteRange::Suffix(500)));
        for bad in ["bytes=5-1", "bytes=0-1,4-5", "items=0-1", "bytes=a-b", "bytes=-"] {
            assert_eq!(parse_range(bad), None, "{bad}");
        }
        assert_eq!(human_size(25 << 20), "25.0 MiB");
        assert_eq!(human_size(512), "512 B");
    }
}
