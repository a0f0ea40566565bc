//! Media: the addresses a viewer gets for a file, who may read a file, and managing files.
//!
//! Who gets an address is decided before it is made: the post views hand out addresses only
//! with full access. An address for anything not public is signed — an S3 presigned GET on
//! S3, or patron's own signature (HMAC over the file, the expiry and the viewer it was issued
//! to) — and lives `PATRON_MEDIA_URL_TTL`. Public files (avatars, covers, media of public
//! posts) have plain, cacheable addresses whose access is checked when they are read.

use crate::{App, AppError, User};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use patron_domain::entitlement::{Access, Viewer, access};
use patron_domain::{Id, Timestamp};
use patron_storage::ObjectKey;
use patron_store::media::{self, MediaKind, MediaStatus, Purpose};
use sha2::Sha256;
use std::time::Duration;
use subtle::ConstantTimeEq;

pub use patron_store::media::Media;

// ---- signed URLs ----

fn signature(app: &App, media_id: Id, file: &str, expires: i64, viewer: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(app.secret_key.expose().as_bytes()) {
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
fn patron_signed(app: &App, media_id: Id, file: &str, expires: i64, viewer: Option<Id>) -> String {
    let viewer = viewer_text(viewer);
    let signature = signature(app, media_id, file, expires, &viewer);
    format!("/media/{media_id}/{file}?expires={expires}&viewer={viewer}&signature={signature}")
}

/// The URL a viewer uses for a file of `media`: plain when `public`, otherwise signed for
/// `PATRON_MEDIA_URL_TTL` — presigned by S3 when storage is S3 (playlists excepted: patron
/// signs their segments), by patron otherwise.
pub async fn url_for(
    app: &App,
    media: &Media,
    file: &str,
    viewer: Option<Id>,
    public: bool,
) -> Result<String, AppError> {
    if public {
        return Ok(format!("/media/{}/{file}", media.id));
    }
    let ttl = app.settings.media.url_ttl;
    if app.storage.presigns() && !file.ends_with(".m3u8") {
        let key = ObjectKey::new(format!("{}/{file}", media.folder())).map_err(AppError::internal)?;
        let content_type = content_type_of(media, file);
        if let Some(url) = app.storage.presign_get(&key, ttl, &content_type).await.map_err(AppError::unavailable)? {
            return Ok(url);
        }
    }
    let expires = Timestamp::now().as_micros() / 1_000_000 + ttl.as_secs() as i64;
    Ok(patron_signed(app, media.id, file, expires, viewer))
}

/// A file as a viewer may use it: its URLs (none unless it is ready).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    app: &App,
    media: &Media,
    viewer: Option<Id>,
    public: bool,
    own: bool,
) -> Result<MediaView, AppError> {
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
        let url = url_for(app, media, &variant.file, viewer, public).await?;
        match variant.role.as_str() {
            "image" => view.srcset.push(SrcsetEntry { width: variant.width.unwrap_or(0), url }),
            "poster" => view.poster_url = Some(url),
            "hls" => view.hls_url = Some(url),
            _ => {}
        }
    }
    view.url = match media.kind {
        MediaKind::Image => view.srcset.last().map(|e| e.url.clone()),
        _ => Some(url_for(app, media, "original", viewer, public).await?),
    };
    Ok(view)
}

/// Whether anyone may open this file without a signature: a creator's avatar or cover, or a
/// file of a post anyone may read.
async fn is_public(app: &App, media: &Media) -> Result<(bool, bool), AppError> {
    match media.purpose {
        Purpose::Avatar | Purpose::Cover => return Ok((true, true)),
        Purpose::Private => return Ok((false, false)),
        Purpose::Post => {}
    }
    let now = Timestamp::now();
    for (creator_id, post_id) in media::posts_of(app.db.pool(), media.id).await? {
        let Some(post) = patron_store::posts::find(app.db.pool(), creator_id, post_id).await? else { continue };
        let hidden = patron_store::creators::find_by_id(app.db.pool(), creator_id).await?.is_none_or(|c| c.is_hidden);
        if !hidden && access(Viewer::Anonymous, &post.audience(), now) == Access::Full {
            return Ok((true, false));
        }
    }
    Ok((false, false))
}

/// The signature parts of a file's address, as the client sent them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Signed {
    /// Until when the address works (Unix seconds).
    pub expires: Option<i64>,
    /// Whom it was issued to (`-` for nobody in particular).
    pub viewer: Option<String>,
    /// patron's signature over the file, the expiry and the viewer.
    pub signature: Option<String>,
}

fn forbidden() -> AppError {
    AppError::forbidden("media_forbidden", "This address is not valid (it may have expired): reload the page.")
}

/// A file someone may read: where it is stored and how it may be cached.
#[derive(Debug, Clone)]
pub struct FileGrant {
    /// The file's record.
    pub media: Media,
    /// The file within it (`original`, a rendition, an HLS playlist or segment).
    pub file: String,
    /// Its object in storage.
    pub key: ObjectKey,
    /// The type it is served as: from its bytes or from how patron made it.
    pub content_type: String,
    /// `Cache-Control` for it: private until the signature expires, public for public files.
    pub cache_control: String,
    /// For a signed address: whom it was issued to and until when.
    viewer: Option<Id>,
    expires: Option<i64>,
}

impl FileGrant {
    /// Whether the file is an HLS playlist, whose addresses are signed for the viewer when
    /// it is read ([`playlist`]).
    pub fn is_playlist(&self) -> bool {
        self.file.ends_with(".m3u8")
    }
}

/// Decides whether a file may be read by a signed address or, for public files, a plain one:
/// `GET /media/{id}/{*file}`.
pub async fn open_file(app: &App, media_id: &str, file: &str, signed: &Signed) -> Result<FileGrant, AppError> {
    let media_id: Id = media_id.parse().map_err(|_| AppError::nothing_here())?;
    let media = media::find(app.db.pool(), media_id).await?.ok_or_else(AppError::nothing_here)?;
    let known = file == "original"
        || media.variants.iter().any(|v| v.file == file)
        || (file.starts_with("hls/") && media.variants.iter().any(|v| v.role == "hls"));
    if !known {
        return Err(AppError::nothing_here());
    }
    let now = Timestamp::now().as_micros() / 1_000_000;
    let (cache_control, viewer, expires) = match (&signed.signature, signed.expires, &signed.viewer) {
        (Some(given), Some(expires), Some(viewer)) => {
            let expected = signature(app, media.id, file, expires, viewer);
            if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) || expires <= now {
                return Err(forbidden());
            }
            let viewer = viewer.parse::<Id>().ok();
            (format!("private, max-age={}", (expires - now).min(3600)), viewer, Some(expires))
        }
        (None, None, None) => {
            let (public, immutable) = is_public(app, &media).await?;
            if !public {
                return Err(forbidden());
            }
            let cache = if immutable { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
            (cache.to_owned(), None, None)
        }
        _ => return Err(forbidden()),
    };
    if media.status != MediaStatus::Ready && file != "original" {
        return Err(AppError::nothing_here());
    }
    let content_type = content_type_of(&media, file);
    let key = ObjectKey::new(format!("{}/{file}", media.folder())).map_err(|_| AppError::nothing_here())?;

    Ok(FileGrant { media, file: file.to_owned(), key, content_type, cache_control, viewer, expires })
}

/// An HLS playlist for the viewer it was granted to: every address in it replaced by one
/// they may fetch.
pub async fn playlist(app: &App, grant: &FileGrant) -> Result<String, AppError> {
    let text = app.storage.get(&grant.key).await.map_err(storage_error)?;
    rewrite_playlist(app, &grant.media, &grant.file, &String::from_utf8_lossy(&text), grant.viewer, grant.expires).await
}

/// A storage failure as the reader sees it: a missing object is a missing file.
pub fn storage_error(error: patron_storage::StorageError) -> AppError {
    match error {
        patron_storage::StorageError::NotFound(_) => AppError::nothing_here(),
        other => AppError::unavailable(other),
    }
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

/// Replaces every address in an HLS playlist with one the viewer may fetch: segments and
/// renditions signed like the playlist, valid long enough to play the whole video.
async fn rewrite_playlist(
    app: &App,
    media: &Media,
    file: &str,
    text: &str,
    viewer: Option<Id>,
    expires: Option<i64>,
) -> Result<String, AppError> {
    let folder = file.rsplit_once('/').map(|(folder, _)| folder).unwrap_or("");
    let play_time = media.duration_ms.unwrap_or(0) / 1000 + 60;
    let ttl = app.settings.media.url_ttl.as_secs() as i64 + play_time;
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
            return Err(AppError::internal(format!("unexpected playlist entry in media {}", media.id)));
        }
        let target = if folder.is_empty() { trimmed.to_owned() } else { format!("{folder}/{trimmed}") };
        let url = match expires {
            None => format!("/media/{}/{target}", media.id),
            Some(expires) => {
                let presigned = if app.storage.presigns() && !target.ends_with(".m3u8") {
                    let key = ObjectKey::new(format!("{}/{target}", media.folder())).map_err(AppError::internal)?;
                    let lifetime =
                        Duration::from_secs((expires - Timestamp::now().as_micros() / 1_000_000).max(1) as u64);
                    let content_type = content_type_of(media, &target);
                    app.storage.presign_get(&key, lifetime, &content_type).await.map_err(AppError::unavailable)?
                } else {
                    None
                };
                presigned.unwrap_or_else(|| patron_signed(app, media.id, &target, expires, viewer))
            }
        };
        out.push_str(&url);
        out.push('\n');
    }
    Ok(out)
}

// ---- managing files ----

/// A file its uploader or the team of its creator page may manage; `NotFound` for anyone else.
pub async fn managed(app: &App, user: Id, media_id: Id) -> Result<Media, AppError> {
    let media = media::find(app.db.pool(), media_id).await?.ok_or_else(AppError::nothing_here)?;
    if media.owner_id == user {
        return Ok(media);
    }
    if let Some(creator_id) = media.creator_id {
        let relations = patron_store::creators::relations(app.db.pool(), user, &[creator_id]).await?;
        if relations.get(&creator_id).is_some_and(|r| r.team_role.is_some()) {
            return Ok(media);
        }
    }
    Err(AppError::nothing_here())
}

/// Deletes a file: off its posts at once, its objects by a job.
pub async fn delete(app: &App, media: &Media) -> Result<(), AppError> {
    let mut transaction = app.db.begin_write().await?;
    let posts = media::detach(&mut transaction, media.id).await?;
    media::refresh_processed(&mut transaction, &posts).await?;
    media::mark_deleted(&mut *transaction, &[media.id]).await?;
    patron_media::jobs::enqueue_delete(&mut *transaction, media.id).await?;
    transaction.commit().await?;
    Ok(())
}

/// Tries a failed file again.
pub async fn retry(app: &App, media: &Media) -> Result<(), AppError> {
    if media.status != MediaStatus::Failed {
        return Err(AppError::conflict("not_failed", "Only a file whose processing failed can be retried."));
    }
    let mut transaction = app.db.begin_write().await?;
    media::set_status(&mut *transaction, media.id, MediaStatus::Processing, None).await?;
    patron_media::jobs::enqueue_retry(&mut *transaction, media.id).await?;
    transaction.commit().await?;
    Ok(())
}

/// The private documents of `owner` as `viewer` sees them: the owner, or a platform admin,
/// whose every look is written to the audit log.
pub async fn documents(app: &App, viewer: &User, owner: Id) -> Result<Vec<MediaView>, AppError> {
    if viewer.id != owner {
        crate::admin::require_admin(viewer)?;
    }
    let files = media::private_of(app.db.pool(), owner).await?;
    let mut views = Vec::with_capacity(files.len());
    for file in &files {
        if viewer.id != owner {
            patron_store::audit::record(
                app.db.pool(),
                Some(viewer.id),
                "private_document.view",
                &format!("media:{}", file.id),
                &format!("owner {owner}"),
            )
            .await?;
            tracing::info!(admin = %viewer.id, media_id = %file.id, owner = %owner, "admin opened a private document");
        }
        views.push(view(app, file, Some(viewer.id), false, true).await?);
    }
    Ok(views)
}

/// How many files a page keeps and the bytes they take (originals and renditions).
pub async fn usage(app: &App, page: &crate::creators::PageAccess) -> Result<(i64, i64), AppError> {
    page.require_team()?;
    Ok(media::usage(app.db.pool(), page.creator.id).await?)
}

/// A page's newest files as its team sees them (its team).
pub async fn of_page(app: &App, page: &crate::creators::PageAccess, limit: i64) -> Result<Vec<MediaView>, AppError> {
    page.require_team()?;
    let list = media::of_creator(app.db.pool(), page.creator.id, limit).await?;
    let mut views = Vec::with_capacity(list.len());
    for file in &list {
        views.push(view(app, file, page.user_id, false, true).await?);
    }
    Ok(views)
}

/// The views of the files named by `ids` that are this page's own, for its team's editor;
/// other ids are left out.
pub async fn page_files(app: &App, page: &crate::creators::PageAccess, ids: &[Id]) -> Result<Vec<MediaView>, AppError> {
    page.require_team()?;
    let mut views = Vec::new();
    for id in ids {
        if let Some(file) = media::find(app.db.pool(), *id).await?
            && file.creator_id == Some(page.creator.id)
        {
            views.push(view(app, &file, page.user_id, false, true).await?);
        }
    }
    Ok(views)
}
