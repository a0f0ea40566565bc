//! Uploaded files: what is known about each (the bytes are in object storage), their
//! renditions, the posts they are attached to, and the audit log of who opened what.

use crate::polls::placeholders;
use crate::row::{id, opt_id, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{Id, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

/// What a file is for; it decides who may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Attached to posts: seen by whoever may read the post.
    Post,
    /// A creator's avatar: public.
    Avatar,
    /// A creator's cover image: public.
    Cover,
    /// A private document: its owner and platform admins only.
    Private,
}

impl Purpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Post => "post",
            Self::Avatar => "avatar",
            Self::Cover => "cover",
            Self::Private => "private",
        }
    }

    /// Reads a stored or submitted name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "post" => Self::Post,
            "avatar" => Self::Avatar,
            "cover" => Self::Cover,
            "private" => Self::Private,
            _ => return None,
        })
    }
}

/// What kind of file, decided from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// JPEG, PNG, WebP, GIF.
    Image,
    /// MP4, WebM, QuickTime.
    Video,
    /// MP3, M4A, Ogg, WAV, FLAC.
    Audio,
    /// PDF.
    Document,
}

impl MediaKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "image" => Self::Image,
            "video" => Self::Video,
            "audio" => Self::Audio,
            "document" => Self::Document,
            _ => return None,
        })
    }
}

/// Where processing is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaStatus {
    /// A direct upload to the bucket was granted; the file has not been confirmed yet.
    Uploading,
    /// Uploaded; the worker has not finished with it.
    Processing,
    /// Renditions made (or none needed): it can be shown.
    Ready,
    /// Processing failed; the author sees why and may retry.
    Failed,
}

impl MediaStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Uploading => "uploading",
            Self::Processing => "processing",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "uploading" => Self::Uploading,
            "processing" => Self::Processing,
            "ready" => Self::Ready,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// A stored rendition of a file: an image width, a video poster, an HLS playlist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Variant {
    /// Its file name under the media's folder (`w640.jpg`, `poster.jpg`, `hls/master.m3u8`).
    pub file: String,
    /// `image` (a width for srcset), `poster` or `hls`.
    pub role: String,
    /// Its MIME type.
    pub content_type: String,
    /// Pixel width, for images and posters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Pixel height, for images and posters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// An uploaded file.
#[derive(Debug, Clone)]
pub struct Media {
    /// Identifier; its objects live under `media/<id>/`.
    pub id: Id,
    /// Who uploaded it.
    pub owner_id: Id,
    /// The creator page it belongs to (not for private documents).
    pub creator_id: Option<Id>,
    /// What it is for.
    pub purpose: Purpose,
    /// What it is.
    pub kind: MediaKind,
    /// Processing state.
    pub status: MediaStatus,
    /// The original's MIME type, decided from its bytes.
    pub content_type: String,
    /// The original's size.
    pub byte_size: i64,
    /// The original's SHA-256, hex.
    pub sha256: String,
    /// The name the uploader's file had (shown to them only).
    pub file_name: Option<String>,
    /// Pixel size, once known.
    pub width: Option<i64>,
    /// Pixel size, once known.
    pub height: Option<i64>,
    /// Length of audio and video, once known.
    pub duration_ms: Option<i64>,
    /// Renditions.
    pub variants: Vec<Variant>,
    /// Processing progress in percent, while processing video.
    pub progress: Option<i64>,
    /// Why processing failed.
    pub error: Option<String>,
    /// Bytes of every object of this file together (original and renditions).
    pub stored_bytes: i64,
    /// Upload time.
    pub created_at: Timestamp,
}

impl Media {
    /// The key of the original upload.
    pub fn original_key(&self) -> String {
        original_key(self.id)
    }

    /// The folder of its objects.
    pub fn folder(&self) -> String {
        folder(self.id)
    }
}

/// The folder of a media's objects.
pub fn folder(media_id: Id) -> String {
    format!("media/{media_id}")
}

/// The key of a media's original upload.
pub fn original_key(media_id: Id) -> String {
    format!("media/{media_id}/original")
}

const COLUMNS: &str = "media.id, media.owner_id, media.creator_id, media.purpose, media.kind, media.status, \
     media.content_type, media.byte_size, media.sha256, media.file_name, media.width, media.height, \
     media.duration_ms, media.variants, media.progress, media.error, media.stored_bytes, media.created_at";

fn from_row(row: &AnyRow) -> Result<Media, StoreError> {
    let text = |column: &str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(column)?) };
    let corrupt = |column: &str, value: &str| StoreError::Corrupt(format!("media.{column} {value:?}"));
    let purpose = text("purpose")?;
    let kind = text("kind")?;
    let status = text("status")?;
    let variants = text("variants")?;
    Ok(Media {
        id: id(row, "id")?,
        owner_id: id(row, "owner_id")?,
        creator_id: opt_id(row, "creator_id")?,
        purpose: Purpose::parse(&purpose).ok_or_else(|| corrupt("purpose", &purpose))?,
        kind: MediaKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        status: MediaStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        content_type: text("content_type")?,
        byte_size: row.try_get("byte_size")?,
        sha256: text("sha256")?,
        file_name: row.try_get("file_name")?,
        width: row.try_get("width")?,
        height: row.try_get("height")?,
        duration_ms: row.try_get("duration_ms")?,
        variants: serde_json::from_str(&variants).map_err(|_| corrupt("variants", &variants))?,
        progress: row.try_get("progress")?,
        error: row.try_get("error")?,
        stored_bytes: row.try_get("stored_bytes")?,
        created_at: time(row, "created_at")?,
    })
}

/// A file just uploaded, before processing.
#[derive(Debug, Clone)]
pub struct NewMedia {
    /// Identifier (its key was made from it).
    pub id: Id,
    /// Uploader.
    pub owner_id: Id,
    /// Creator page, for post media, avatars and covers.
    pub creator_id: Option<Id>,
    /// What it is for.
    pub purpose: Purpose,
    /// What it is.
    pub kind: MediaKind,
    /// MIME type from the bytes.
    pub content_type: String,
    /// Size.
    pub byte_size: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// The uploader's file name.
    pub file_name: Option<String>,
    /// `Uploading` for a direct upload still to arrive, else `Processing`.
    pub status: MediaStatus,
}

/// Records an uploaded file (or one granted a direct upload).
pub async fn insert<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    new: &NewMedia,
) -> Result<(), StoreError> {
    let now = Timestamp::now().as_micros();
    sql::query(
        "INSERT INTO media (id, owner_id, creator_id, purpose, kind, status, content_type, byte_size, sha256, \
         file_name, stored_bytes, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $11, $6, $7, $8, $9, $7, $10, $10)",
    )
    .bind(new.id.to_string())
    .bind(new.owner_id.to_string())
    .bind(new.creator_id.map(|c| c.to_string()))
    .bind(new.purpose.as_str())
    .bind(new.kind.as_str())
    .bind(new.content_type.clone())
    .bind(new.byte_size)
    .bind(new.sha256.clone())
    .bind(new.file_name.clone())
    .bind(now)
    .bind(new.status.as_str())
    .execute(executor)
    .await?;
    Ok(())
}

/// A file by id (not deleted ones).
pub async fn find<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    media_id: Id,
) -> Result<Option<Media>, StoreError> {
    let query = format!("SELECT {COLUMNS} FROM media WHERE id = $1 AND deleted_at IS NULL");
    let row = sql::query(sqlx::AssertSqlSafe(query)).bind(media_id.to_string()).fetch_optional(executor).await?;
    row.as_ref().map(from_row).transpose()
}

/// What processing learnt and made.
#[derive(Debug, Clone, Default)]
pub struct Processed {
    /// Pixel size.
    pub width: Option<i64>,
    /// Pixel size.
    pub height: Option<i64>,
    /// Length.
    pub duration_ms: Option<i64>,
    /// Renditions.
    pub variants: Vec<Variant>,
    /// Bytes of all its objects.
    pub stored_bytes: i64,
}

/// Records that a direct upload arrived: its type and size as read from the bucket, and that
/// it now waits for processing. Returns false unless it was still uploading.
pub async fn arrived<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    media_id: Id,
    kind: MediaKind,
    content_type: &str,
    byte_size: i64,
) -> Result<bool, StoreError> {
    let done = sql::query(
        "UPDATE media SET status = 'processing', kind = $2, content_type = $3, byte_size = $4, stored_bytes = $4, \
         updated_at = $5 WHERE id = $1 AND status = 'uploading' AND deleted_at IS NULL",
    )
    .bind(media_id.to_string())
    .bind(kind.as_str())
    .bind(content_type.to_owned())
    .bind(byte_size)
    .bind(Timestamp::now().as_micros())
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a file ready with its renditions. Returns false when it was deleted meanwhile.
pub async fn set_ready(
    connection: &mut sqlx::AnyConnection,
    media_id: Id,
    processed: &Processed,
) -> Result<bool, StoreError> {
    let variants = serde_json::to_string(&processed.variants).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let done = sql::query(
        "UPDATE media SET status = 'ready', width = $2, height = $3, duration_ms = $4, variants = $5, \
         stored_bytes = $6, progress = NULL, error = NULL, updated_at = $7 WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(media_id.to_string())
    .bind(processed.width)
    .bind(processed.height)
    .bind(processed.duration_ms)
    .bind(variants)
    .bind(processed.stored_bytes)
    .bind(Timestamp::now().as_micros())
    .execute(&mut *connection)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the state (and the reason of a failure; `None` clears it).
pub async fn set_status<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    media_id: Id,
    status: MediaStatus,
    error: Option<&str>,
) -> Result<(), StoreError> {
    sql::query("UPDATE media SET status = $2, error = $3, progress = NULL, updated_at = $4 WHERE id = $1")
        .bind(media_id.to_string())
        .bind(status.as_str())
        .bind(error.map(str::to_owned))
        .bind(Timestamp::now().as_micros())
        .execute(executor)
        .await?;
    Ok(())
}

/// Records processing progress in percent.
pub async fn set_progress<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    media_id: Id,
    percent: i64,
) -> Result<(), StoreError> {
    sql::query("UPDATE media SET progress = $2 WHERE id = $1 AND status = 'processing'")
        .bind(media_id.to_string())
        .bind(percent.clamp(0, 100))
        .execute(executor)
        .await?;
    Ok(())
}

/// Replaces a post's attachments with `media_ids`, in that order, and recomputes whether its
/// media are processed. Call inside a transaction.
pub async fn attach(connection: &mut sqlx::AnyConnection, post_id: Id, media_ids: &[Id]) -> Result<(), StoreError> {
    sql::query("DELETE FROM post_attachments WHERE post_id = $1")
        .bind(post_id.to_string())
        .execute(&mut *connection)
        .await?;
    for (position, media_id) in media_ids.iter().enumerate() {
        sql::query("INSERT INTO post_attachments (post_id, media_id, position) VALUES ($1, $2, $3)")
            .bind(post_id.to_string())
            .bind(media_id.to_string())
            .bind(position as i64)
            .execute(&mut *connection)
            .await?;
    }
    refresh_processed(connection, &[post_id]).await
}

/// Recomputes `posts.media_processed` (true when every attached file is ready) and
/// `posts.media_count` of these posts.
pub async fn refresh_processed(connection: &mut sqlx::AnyConnection, post_ids: &[Id]) -> Result<(), StoreError> {
    if post_ids.is_empty() {
        return Ok(());
    }
    let query = format!(
        "UPDATE posts SET media_processed = NOT EXISTS (SELECT 1 FROM post_attachments a JOIN media m ON m.id = a.media_id \
         WHERE a.post_id = posts.id AND m.status <> 'ready'), \
         media_count = (SELECT COUNT(*) FROM post_attachments a WHERE a.post_id = posts.id) WHERE id IN ({})",
        placeholders(1, post_ids.len())
    );
    let mut statement = sql::query(sqlx::AssertSqlSafe(query));
    for post_id in post_ids {
        statement = statement.bind(post_id.to_string());
    }
    statement.execute(&mut *connection).await?;
    Ok(())
}

/// The attachments of these posts, in order: (post id, file). One statement.
pub async fn for_posts<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    post_ids: &[Id],
) -> Result<Vec<(Id, Media)>, StoreError> {
    if post_ids.is_empty() {
        return Ok(Vec::new());
    }
    let query = format!(
        "SELECT a.post_id, {COLUMNS} FROM post_attachments a JOIN media ON media.id = a.media_id \
         WHERE a.post_id IN ({}) AND media.deleted_at IS NULL ORDER BY a.post_id, a.position",
        placeholders(1, post_ids.len())
    );
    let mut statement = sql::query(sqlx::AssertSqlSafe(query));
    for post_id in post_ids {
        statement = statement.bind(post_id.to_string());
    }
    let rows = statement.fetch_all(executor).await?;
    rows.iter().map(|row| Ok((id(row, "post_id")?, from_row(row)?))).collect()
}

/// The posts a file is attached to, with their creator: (creator id, post id).
pub async fn posts_of<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    media_id: Id,
) -> Result<Vec<(Id, Id)>, StoreError> {
    let rows = sql::query(
        "SELECT p.creator_id, p.id FROM post_attachments a JOIN posts p ON p.id = a.post_id \
         WHERE a.media_id = $1 AND p.deleted_at IS NULL",
    )
    .bind(media_id.to_string())
    .fetch_all(executor)
    .await?;
    rows.iter().map(|row| Ok((id(row, "creator_id")?, id(row, "id")?))).collect()
}

/// A creator's files, newest first (for the studio).
pub async fn of_creator<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    limit: i64,
) -> Result<Vec<Media>, StoreError> {
    let query = format!(
        "SELECT {COLUMNS} FROM media WHERE creator_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC LIMIT $2"
    );
    let rows =
        sql::query(sqlx::AssertSqlSafe(query)).bind(creator_id.to_string()).bind(limit).fetch_all(executor).await?;
    rows.iter().map(from_row).collect()
}

/// A user's private documents, newest first.
pub async fn private_of<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    owner_id: Id,
) -> Result<Vec<Media>, StoreError> {
    let query = format!(
        "SELECT {COLUMNS} FROM media WHERE owner_id = $1 AND purpose = 'private' AND deleted_at IS NULL \
         ORDER BY created_at DESC LIMIT 200"
    );
    let rows = sql::query(sqlx::AssertSqlSafe(query)).bind(owner_id.to_string()).fetch_all(executor).await?;
    rows.iter().map(from_row).collect()
}

/// Files and bytes a creator keeps in storage.
pub async fn usage<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
) -> Result<(i64, i64), StoreError> {
    let row = sql::query(
        "SELECT COUNT(*) AS files, CAST(COALESCE(SUM(stored_bytes), 0) AS BIGINT) AS bytes FROM media \
         WHERE creator_id = $1 AND deleted_at IS NULL",
    )
    .bind(creator_id.to_string())
    .fetch_one(executor)
    .await?;
    Ok((row.try_get("files")?, row.try_get("bytes")?))
}

/// Marks files deleted (their objects are removed by a job); returns how many were marked.
pub async fn mark_deleted<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    media_ids: &[Id],
) -> Result<u64, StoreError> {
    if media_ids.is_empty() {
        return Ok(0);
    }
    let query = format!(
        "UPDATE media SET deleted_at = $1 WHERE deleted_at IS NULL AND id IN ({})",
        placeholders(2, media_ids.len())
    );
    let mut statement = sql::query(sqlx::AssertSqlSafe(query)).bind(Timestamp::now().as_micros());
    for media_id in media_ids {
        statement = statement.bind(media_id.to_string());
    }
    Ok(statement.execute(executor).await?.rows_affected())
}

/// Files of a post that no other live post uses (what deleting the post may delete).
pub async fn only_in_post<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    post_id: Id,
) -> Result<Vec<Id>, StoreError> {
    let ids: Vec<String> = sql::query_scalar(
        "SELECT a.media_id FROM post_attachments a WHERE a.post_id = $1 AND NOT EXISTS (\
         SELECT 1 FROM post_attachments b JOIN posts p ON p.id = b.post_id \
         WHERE b.media_id = a.media_id AND b.post_id <> a.post_id AND p.deleted_at IS NULL)",
    )
    .bind(post_id.to_string())
    .fetch_all(executor)
    .await?;
    ids.iter().map(|i| i.parse().map_err(|_| StoreError::Corrupt(format!("media id {i:?}")))).collect()
}

/// Files a sweeper may delete: marked deleted, direct uploads never confirmed, or post media
/// attached to no post — made before `before`.
pub async fn sweepable<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    before: Timestamp,
    limit: i64,
) -> Result<Vec<Id>, StoreError> {
    let ids: Vec<String> = sql::query_scalar(
        "SELECT id FROM media WHERE (deleted_at IS NOT NULL AND deleted_at < $1) \
         OR (deleted_at IS NULL AND status = 'uploading' AND created_at < $1) \
         OR (deleted_at IS NULL AND purpose = 'post' AND created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM post_attachments a WHERE a.media_id = media.id)) \
         ORDER BY id LIMIT $2",
    )
    .bind(before.as_micros())
    .bind(limit)
    .fetch_all(executor)
    .await?;
    ids.iter().map(|i| i.parse().map_err(|_| StoreError::Corrupt(format!("media id {i:?}")))).collect()
}

/// Forgets a file whose objects are gone.
pub async fn purge<'e>(executor: impl sqlx::Executor<'e, Database = Database>, media_id: Id) -> Result<(), StoreError> {
    sql::query("DELETE FROM media WHERE id = $1").bind(media_id.to_string()).execute(executor).await?;
    Ok(())
}

/// Whether this media id is known at all (deleted or not): the sweeper keeps objects of known
/// files.
pub async fn known_ids<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    media_ids: &[Id],
) -> Result<Vec<Id>, StoreError> {
    if media_ids.is_empty() {
        return Ok(Vec::new());
    }
    let query = format!("SELECT id FROM media WHERE id IN ({})", placeholders(1, media_ids.len()));
    let mut statement = sql::query_scalar::<String>(sqlx::AssertSqlSafe(query));
    for media_id in media_ids {
        statement = statement.bind(media_id.to_string());
    }
    let ids = statement.fetch_all(executor).await?;
    ids.iter().map(|i| i.parse().map_err(|_| StoreError::Corrupt(format!("media id {i:?}")))).collect()
}

/// Takes a file off every post it is attached to; returns those posts (refresh their
/// `media_processed` in the same transaction).
pub async fn detach(connection: &mut sqlx::AnyConnection, media_id: Id) -> Result<Vec<Id>, StoreError> {
    let posts: Vec<String> = sql::query_scalar("SELECT post_id FROM post_attachments WHERE media_id = $1")
        .bind(media_id.to_string())
        .fetch_all(&mut *connection)
        .await?;
    sql::query("DELETE FROM post_attachments WHERE media_id = $1")
        .bind(media_id.to_string())
        .execute(&mut *connection)
        .await?;
    posts.iter().map(|i| i.parse().map_err(|_| StoreError::Corrupt(format!("post id {i:?}")))).collect()
}
