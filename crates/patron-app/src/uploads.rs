//! Uploads: streamed through patron (type from the bytes, size limits per kind, an hourly
//! limit per user) or, on S3, granted straight to the bucket and checked once they arrive.

use crate::{App, AppError, Problem};
use bytes::Bytes;
use futures::TryStreamExt;
use patron_domain::{Id, Timestamp};
use patron_media::sniff::HEAD;
use patron_storage::ObjectKey;
use patron_store::media::{self, Media, MediaKind, MediaStatus, NewMedia};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::time::Duration;

pub use patron_store::media::Purpose;

/// What an upload is for, and for whom.
#[derive(Debug, Clone, Copy)]
pub struct UploadTarget {
    /// Its purpose.
    pub purpose: Purpose,
    /// The creator page (not for private documents).
    pub creator_id: Option<Id>,
}

fn unsupported(message: impl Into<String>) -> AppError {
    AppError::Unsupported(Problem { code: "unsupported_media_type", message: message.into() })
}

fn too_large(kind: MediaKind, limit: u64) -> AppError {
    AppError::TooLarge(Problem {
        code: "payload_too_large",
        message: format!("{} files may be at most {}.", kind.as_str(), human_size(limit)),
    })
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
pub fn largest_upload(app: &App) -> u64 {
    let m = &app.settings.media;
    m.max_image.max(m.max_video).max(m.max_audio).max(m.max_document)
}

fn limit_for(app: &App, kind: MediaKind) -> u64 {
    let m = &app.settings.media;
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

/// The bytes of an upload as they arrive from the client. The adapter that receives the
/// request implements it; the use case decides what is accepted.
pub trait UploadSource: Send {
    /// The next piece of the file, `None` at its end. An error ends the upload (the client
    /// stopped sending, or sent more than a request may carry).
    fn next_chunk(&mut self) -> impl Future<Output = Result<Option<Bytes>, AppError>> + Send;
}

/// Counts an upload (or a granted direct upload) against the per-user hourly limit.
async fn limit_uploads(app: &App, owner: Id) -> Result<(), AppError> {
    let started = app.cache.increment(&format!("uploads:user:{owner}"), Duration::from_secs(3600)).await?;
    if started.count > u64::from(app.settings.media.uploads_per_hour) {
        return Err(AppError::RateLimited { retry_after: started.resets_in });
    }
    Ok(())
}

/// The first bytes of an upload, enough to tell its type; whether the file ended within them.
async fn read_head(source: &mut impl UploadSource) -> Result<(Vec<u8>, bool), AppError> {
    let mut head: Vec<u8> = Vec::with_capacity(HEAD);
    while head.len() < HEAD {
        match source.next_chunk().await? {
            Some(chunk) => head.extend_from_slice(&chunk),
            None => return Ok((head, true)),
        }
    }
    Ok((head, false))
}

/// Streams an upload into storage and records it; the worker makes its renditions. The type
/// comes from the bytes, never from the client; nothing of a refused or interrupted upload
/// remains.
pub async fn upload(
    app: &App,
    owner: Id,
    target: UploadTarget,
    file_name: Option<String>,
    mut source: impl UploadSource,
) -> Result<Media, AppError> {
    limit_uploads(app, owner).await?;
    let file_name = file_name
        .map(|name| name.rsplit(['/', '\\']).next().unwrap_or_default().chars().take(200).collect::<String>())
        .filter(|name| !name.trim().is_empty());
    let (head, ended) = read_head(&mut source).await?;
    let Some(sniffed) = patron_media::sniff(&head) else {
        return Err(unsupported(
            "This kind of file is not accepted: images (JPEG, PNG, WebP, GIF), videos (MP4, WebM, MOV), \
             audio (MP3, M4A, Ogg, WAV, FLAC) and PDF documents are.",
        ));
    };
    if !allowed(target.purpose, sniffed.kind) {
        return Err(unsupported(format!("A {} cannot be a {} file.", target.purpose.as_str(), sniffed.kind.as_str())));
    }
    let limit = limit_for(app, sniffed.kind);
    if head.len() as u64 > limit {
        return Err(too_large(sniffed.kind, limit));
    }
    let media_id = Id::new();
    let key = ObjectKey::new(media::original_key(media_id)).map_err(AppError::internal)?;
    let (total, sha256) = store_stream(app, &key, sniffed, limit, head, ended, &mut source).await?;
    let new = NewMedia {
        id: media_id,
        owner_id: owner,
        creator_id: target.creator_id,
        purpose: target.purpose,
        kind: sniffed.kind,
        content_type: sniffed.content_type.to_owned(),
        byte_size: total as i64,
        sha256,
        file_name,
        status: MediaStatus::Processing,
    };
    let recorded: Result<(), AppError> = async {
        let mut transaction = app.db.begin_write().await?;
        media::insert(&mut *transaction, &new).await?;
        patron_media::jobs::enqueue_processing(&mut *transaction, media_id).await?;
        transaction.commit().await?;
        Ok(())
    }
    .await;
    if let Err(error) = recorded {
        let _ = app.storage.delete(&key).await;
        return Err(error);
    }
    tracing::info!(media_id = %media_id, kind = sniffed.kind.as_str(), bytes = total, "upload stored");
    media::find(app.db.pool(), media_id).await?.ok_or_else(|| AppError::internal("an upload vanished"))
}

/// Writes the head and the rest of an upload to storage, within the limit of its kind;
/// returns its size and SHA-256. A failed upload leaves no object behind.
async fn store_stream(
    app: &App,
    key: &ObjectKey,
    sniffed: patron_media::Sniffed,
    limit: u64,
    mut head: Vec<u8>,
    mut ended: bool,
    source: &mut impl UploadSource,
) -> Result<(u64, String), AppError> {
    let mut stored = app.storage.upload(key, sniffed.content_type).await.map_err(AppError::unavailable)?;
    let mut hash = Sha256::new();
    hash.update(&head);
    let mut total = head.len() as u64;
    let streamed: Result<(), AppError> = async {
        stored.write(&head).await.map_err(AppError::unavailable)?;
        drop(std::mem::take(&mut head));
        while !ended {
            match source.next_chunk().await? {
                None => ended = true,
                Some(chunk) => {
                    total += chunk.len() as u64;
                    if total > limit {
                        return Err(too_large(sniffed.kind, limit));
                    }
                    hash.update(&chunk);
                    stored.write(&chunk).await.map_err(AppError::unavailable)?;
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
    stored.finish().await.map_err(AppError::unavailable)?;
    Ok((total, hex(&hash.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- direct uploads to the bucket ----

/// How long a granted direct upload may take to start.
const DIRECT_UPLOAD_TTL: Duration = Duration::from_secs(3600);

/// What a client asks to upload directly.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    app: &App,
    owner: Id,
    target: UploadTarget,
    request: &DirectUploadRequest,
) -> Result<DirectUpload, AppError> {
    if !app.storage.presigns() {
        return Err(AppError::conflict(
            "direct_upload_unavailable",
            "Direct uploads need S3 storage; send the file to POST /api/v1/media instead.",
        ));
    }
    let declared = patron_media::sniff::accepted_type(request.content_type.trim())
        .ok_or_else(|| unsupported(format!("{:?} is not an accepted type.", request.content_type)))?;
    if !allowed(target.purpose, declared.kind) {
        return Err(unsupported(format!("A {} cannot be a {} file.", target.purpose.as_str(), declared.kind.as_str())));
    }
    let limit = limit_for(app, declared.kind);
    if request.byte_size > limit {
        return Err(too_large(declared.kind, limit));
    }
    limit_uploads(app, owner).await?;
    let media_id = Id::new();
    let key = ObjectKey::new(media::original_key(media_id)).map_err(AppError::internal)?;
    let url = app
        .storage
        .presign_put(&key, DIRECT_UPLOAD_TTL, declared.content_type)
        .await
        .map_err(AppError::unavailable)?
        .ok_or_else(|| AppError::internal("S3 storage gave no presigned address"))?;
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
    media::insert(app.db.pool(), &new).await?;
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
pub async fn complete_direct_upload(app: &App, media: &Media) -> Result<Media, AppError> {
    if media.status != MediaStatus::Uploading {
        return Err(AppError::conflict("not_uploading", "This file is not waiting for a direct upload."));
    }
    let key = ObjectKey::new(media.original_key()).map_err(AppError::internal)?;
    let size = app.storage.size(&key).await.map_err(AppError::unavailable)?.ok_or_else(|| {
        AppError::conflict("upload_missing", "The file has not arrived in storage yet: finish the PUT first.")
    })?;
    let refuse = |error: AppError| async {
        let _ = app.storage.delete(&key).await;
        let _ = media::mark_deleted(app.db.pool(), &[media.id]).await;
        error
    };
    let head = match app.storage.read(&key, Some((0, Some((HEAD as u64).min(size.max(1)))))).await {
        Ok(read) => {
            let chunks: Vec<bytes::Bytes> = read.stream.try_collect().await.map_err(AppError::unavailable)?;
            chunks.concat()
        }
        Err(patron_storage::StorageError::BadRange) => Vec::new(),
        Err(other) => return Err(AppError::unavailable(other)),
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
    let limit = limit_for(app, sniffed.kind);
    if size > limit {
        return Err(refuse(too_large(sniffed.kind, limit)).await);
    }
    let mut transaction = app.db.begin_write().await?;
    if !media::arrived(&mut *transaction, media.id, sniffed.kind, sniffed.content_type, size as i64).await? {
        return Err(AppError::conflict("not_uploading", "This file is not waiting for a direct upload."));
    }
    patron_media::jobs::enqueue_processing(&mut *transaction, media.id).await?;
    transaction.commit().await?;
    media::find(app.db.pool(), media.id).await?.ok_or_else(AppError::nothing_here)
}
