//! The media jobs: `media.process` makes a file's renditions, `media.delete` removes a file's
//! objects, and the scheduled `media-cleanup` sweeps what nothing refers to any more.

use crate::{ProcessError, images, video};
use patron_domain::{Id, Timestamp};
use patron_jobs::{Handler, JobContext, JobError, JobFuture, ScheduledTask, TaskFuture, payload};
use patron_storage::{ObjectKey, Storage};
use patron_store::media::{self, Media, MediaKind, MediaStatus, Processed, Variant};
use patron_store::{Database, StoreError, jobs};
use std::path::Path;
use std::time::Duration;

/// The kind of the job that processes one file.
pub const MEDIA_PROCESS: &str = "media.process";
/// The kind of the job that deletes one file's objects.
pub const MEDIA_DELETE: &str = "media.delete";
const VERSION: u16 = 1;
const ATTEMPTS: i64 = 5;
/// How old an unattached upload or an unknown object must be before the sweeper takes it.
const ORPHAN_AGE: Duration = Duration::from_secs(24 * 3600);

#[derive(serde::Serialize, serde::Deserialize)]
struct MediaJob {
    media_id: Id,
}

async fn enqueue<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    kind: &str,
    media_id: Id,
    key: String,
) -> Result<Option<Id>, StoreError> {
    let job = jobs::NewJob {
        kind: kind.to_owned(),
        payload: payload::encode(VERSION, &MediaJob { media_id }).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        run_at: Timestamp::now(),
        max_attempts: ATTEMPTS,
        idempotency_key: Some(key),
    };
    jobs::enqueue(executor, &job).await
}

/// Enqueues the processing of a new upload (once per file).
pub async fn enqueue_processing<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    media_id: Id,
) -> Result<Option<Id>, StoreError> {
    enqueue(executor, MEDIA_PROCESS, media_id, format!("media-process:{media_id}")).await
}

/// Enqueues another try of a file whose processing failed.
pub async fn enqueue_retry<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    media_id: Id,
) -> Result<Option<Id>, StoreError> {
    let key = format!("media-process:{media_id}:retry:{}", Timestamp::now().as_micros());
    enqueue(executor, MEDIA_PROCESS, media_id, key).await
}

/// Enqueues the removal of a file's objects (the row is marked deleted by the caller).
pub async fn enqueue_delete<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    media_id: Id,
) -> Result<Option<Id>, StoreError> {
    enqueue(executor, MEDIA_DELETE, media_id, format!("media-delete:{media_id}")).await
}

fn transient(error: impl std::fmt::Display) -> JobError {
    JobError::Retry(error.to_string())
}

/// Makes the renditions of uploads.
pub struct ProcessMedia {
    storage: Storage,
}

impl ProcessMedia {
    /// The handler, reading and writing objects in `storage`.
    pub fn new(storage: Storage) -> Self {
        Self { storage }
    }

    async fn process(&self, context: &JobContext, media_id: Id) -> Result<(), JobError> {
        let db = &context.db;
        let Some(file) = media::find(db.pool(), media_id).await? else {
            tracing::info!(media_id = %media_id, "nothing to process: the file was deleted");
            return Ok(());
        };
        if matches!(file.status, MediaStatus::Ready | MediaStatus::Uploading) {
            return Ok(());
        }
        let outcome = match file.kind {
            MediaKind::Image => self.image(context, &file).await,
            MediaKind::Video => self.video(context, &file).await,
            MediaKind::Audio | MediaKind::Document => {
                Ok(Processed { stored_bytes: file.byte_size, ..Processed::default() })
            }
        };
        match outcome {
            Ok(processed) => self.finish(context, &file, processed).await,
            Err(ProcessError::Unusable(reason)) => {
                tracing::warn!(media_id = %media_id, reason = %reason, "media processing failed");
                media::set_status(db.pool(), media_id, MediaStatus::Failed, Some(&reason)).await?;
                self.tell_owner(context, &file, "failed").await;
                Ok(())
            }
            Err(ProcessError::Transient(reason)) => Err(JobError::Retry(reason)),
        }
    }

    async fn image(&self, context: &JobContext, file: &Media) -> Result<Processed, ProcessError> {
        let data = self.storage.get(&key_for(file.original_key())?).await?;
        let max_pixels = context.settings.media.image_max_pixels;
        let purpose = file.purpose;
        let made = tokio::task::spawn_blocking(move || images::renditions(&data, max_pixels, purpose))
            .await
            .map_err(|e| ProcessError::Transient(format!("image processing stopped: {e}")))??;
        let mut variants = Vec::new();
        let mut stored = 0i64;
        for rendition in made.renditions {
            let object = key_for(format!("{}/{}", file.folder(), rendition.variant.file))?;
            stored += rendition.bytes.len() as i64;
            self.storage.put(&object, rendition.bytes.into(), &rendition.variant.content_type).await?;
            variants.push(rendition.variant);
        }
        // the original keeps what the renditions dropped (GPS position, camera, time): it
        // is not needed once they exist, so it is not kept
        self.storage.delete(&key_for(file.original_key())?).await?;
        Ok(Processed {
            width: Some(i64::from(made.width)),
            height: Some(i64::from(made.height)),
            duration_ms: None,
            variants,
            stored_bytes: stored,
        })
    }

    async fn video(&self, context: &JobContext, file: &Media) -> Result<Processed, ProcessError> {
        let Some(ffmpeg) = context.settings.media.ffmpeg.clone() else {
            // without ffmpeg the original plays as it is (progressive download)
            return Ok(Processed { stored_bytes: file.byte_size, ..Processed::default() });
        };
        let work = tempfile::tempdir().map_err(|e| ProcessError::Transient(format!("no temporary folder: {e}")))?;
        let input = work.path().join("original");
        self.download(file, &input).await?;
        let probe = video::probe(&ffmpeg, &input).await?;
        let out = work.path().join("out");
        tokio::fs::create_dir_all(&out).await.map_err(|e| ProcessError::Transient(e.to_string()))?;
        let (sender, mut receiver) = tokio::sync::watch::channel(0i64);
        let pool = context.db.pool().clone();
        let media_id = file.id;
        // progress goes to the database at most every two seconds
        let reporter = tokio::spawn(async move {
            let mut last = -1;
            while receiver.changed().await.is_ok() {
                let percent = *receiver.borrow_and_update();
                if percent != last {
                    last = percent;
                    let _ = media::set_progress(&pool, media_id, percent).await;
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        });
        let rungs = video::transcode(&ffmpeg, &input, &out, probe, |percent| {
            let _ = sender.send(percent);
        })
        .await;
        drop(sender);
        let _ = reporter.await;
        let rungs = rungs?;
        let mut stored = file.byte_size;
        let mut entries = tokio::fs::read_dir(&out).await.map_err(|e| ProcessError::Transient(e.to_string()))?;
        let mut names = Vec::new();
        while let Some(entry) = entries.next_entry().await.map_err(|e| ProcessError::Transient(e.to_string()))? {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        for name in &names {
            let path = out.join(name);
            let content_type = match Path::new(name).extension().and_then(|e| e.to_str()) {
                Some("m3u8") => "application/vnd.apple.mpegurl",
                Some("ts") => "video/mp2t",
                Some("jpg") => "image/jpeg",
                _ => "application/octet-stream",
            };
            let target = if name == "poster.jpg" { name.clone() } else { format!("hls/{name}") };
            stored += self.upload_file(&path, &key_for(format!("{}/{target}", file.folder()))?, content_type).await?;
        }
        let mut variants = vec![Variant {
            file: "poster.jpg".to_owned(),
            role: "poster".to_owned(),
            content_type: "image/jpeg".to_owned(),
            width: None,
            height: None,
        }];
        variants.push(Variant {
            file: "hls/master.m3u8".to_owned(),
            role: "hls".to_owned(),
            content_type: "application/vnd.apple.mpegurl".to_owned(),
            width: rungs.last().map(|r| r.width),
            height: rungs.last().map(|r| r.height),
        });
        Ok(Processed {
            width: Some(i64::from(probe.width)),
            height: Some(i64::from(probe.height)),
            duration_ms: Some(probe.duration_ms),
            variants,
            stored_bytes: stored,
        })
    }

    async fn download(&self, file: &Media, to: &Path) -> Result<(), ProcessError> {
        use futures::StreamExt;
        use tokio::io::AsyncWriteExt;
        let mut read = self.storage.read(&key_for(file.original_key())?, None).await?;
        let mut local = tokio::fs::File::create(to).await.map_err(|e| ProcessError::Transient(e.to_string()))?;
        while let Some(chunk) = read.stream.next().await {
            local.write_all(&chunk?).await.map_err(|e| ProcessError::Transient(e.to_string()))?;
        }
        local.flush().await.map_err(|e| ProcessError::Transient(e.to_string()))?;
        Ok(())
    }

    async fn upload_file(&self, path: &Path, object: &ObjectKey, content_type: &str) -> Result<i64, ProcessError> {
        use tokio::io::AsyncReadExt;
        let mut local = tokio::fs::File::open(path).await.map_err(|e| ProcessError::Transient(e.to_string()))?;
        let mut upload = self.storage.upload(object, content_type).await?;
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let read = local.read(&mut buffer).await.map_err(|e| ProcessError::Transient(e.to_string()))?;
            if read == 0 {
                break;
            }
            upload.write(&buffer[..read]).await?;
        }
        let written = upload.written() as i64;
        upload.finish().await?;
        Ok(written)
    }

    async fn finish(&self, context: &JobContext, file: &Media, processed: Processed) -> Result<(), JobError> {
        let db = &context.db;
        let mut transaction = db.begin_write().await?;
        if !media::set_ready(&mut transaction, file.id, &processed).await? {
            transaction.commit().await?;
            return Ok(());
        }
        let posts = media::posts_of(&mut *transaction, file.id).await?;
        let post_ids: Vec<Id> = posts.iter().map(|(_, post)| *post).collect();
        media::refresh_processed(&mut transaction, &post_ids).await?;
        if let (media::Purpose::Avatar | media::Purpose::Cover, Some(creator_id), Some(largest)) =
            (file.purpose, file.creator_id, processed.variants.last())
            && let Some(previous) =
                patron_store::creators::set_image(&mut transaction, creator_id, file.purpose, file.id, &largest.file)
                    .await?
        {
            media::mark_deleted(&mut *transaction, &[previous]).await?;
            enqueue_delete(&mut *transaction, previous).await?;
        }
        let now = Timestamp::now();
        for (creator_id, post_id) in posts {
            let Some(post) = patron_store::posts::find(&mut *transaction, creator_id, post_id).await? else { continue };
            // a post brought in quietly (the demo's, an import's) is not announced now either
            let quiet = !patron_store::posts::announces(&mut *transaction, post_id).await?;
            if let Some(published_at) = post.published_at.filter(|at| *at <= now && post.media_processed && !quiet) {
                patron_mail::jobs::enqueue_post_fan_out_after_media(
                    &mut *transaction,
                    creator_id,
                    post_id,
                    published_at,
                )
                .await?;
            }
        }
        transaction.commit().await?;
        tracing::info!(media_id = %file.id, kind = file.kind.as_str(), "media processed");
        self.tell_owner(context, file, "ready").await;
        Ok(())
    }

    async fn tell_owner(&self, context: &JobContext, file: &Media, status: &str) {
        let data = serde_json::json!({ "media_id": file.id.to_string(), "status": status });
        context.bus.publish("media.processed", patron_events::Audience::User(file.owner_id), data).await;
    }
}

fn key_for(text: String) -> Result<ObjectKey, ProcessError> {
    ObjectKey::new(text).map_err(|e| ProcessError::Unusable(e.to_string()))
}

impl Handler for ProcessMedia {
    fn kind(&self) -> &'static str {
        MEDIA_PROCESS
    }

    fn run<'a>(&'a self, context: &'a JobContext, payload: &'a str) -> JobFuture<'a> {
        Box::pin(async move {
            let job: MediaJob = payload::decode(VERSION, payload)?;
            self.process(context, job.media_id).await
        })
    }
}

/// Deletes a file's objects, then its row.
pub struct DeleteMedia {
    storage: Storage,
}

impl DeleteMedia {
    /// The handler, deleting from `storage`.
    pub fn new(storage: Storage) -> Self {
        Self { storage }
    }
}

async fn remove(storage: &Storage, context: &JobContext, media_id: Id) -> Result<usize, JobError> {
    let removed = storage.delete_all(&media::folder(media_id)).await.map_err(transient)?;
    media::purge(context.db.pool(), media_id).await?;
    Ok(removed)
}

impl Handler for DeleteMedia {
    fn kind(&self) -> &'static str {
        MEDIA_DELETE
    }

    fn run<'a>(&'a self, context: &'a JobContext, payload: &'a str) -> JobFuture<'a> {
        Box::pin(async move {
            let job: MediaJob = payload::decode(VERSION, payload)?;
            let removed = remove(&self.storage, context, job.media_id).await?;
            tracing::info!(media_id = %job.media_id, objects = removed, "media deleted");
            Ok(())
        })
    }
}

/// The `media-cleanup` scheduled job: deletes files marked deleted, uploads attached to no
/// post a day after they were made, and objects under `media/` that no file row knows.
pub struct MediaCleanup {
    storage: Storage,
}

impl MediaCleanup {
    /// The task, sweeping `storage`.
    pub fn new(storage: Storage) -> Self {
        Self { storage }
    }
}

impl ScheduledTask for MediaCleanup {
    fn name(&self) -> &'static str {
        "media-cleanup"
    }

    fn run<'a>(&'a self, context: &'a JobContext) -> TaskFuture<'a> {
        Box::pin(async move {
            let before = Timestamp::now().minus(ORPHAN_AGE);
            let mut files = 0usize;
            loop {
                let batch = media::sweepable(context.db.pool(), before, 200).await?;
                if batch.is_empty() {
                    break;
                }
                for media_id in &batch {
                    remove(&self.storage, context, *media_id).await?;
                }
                files += batch.len();
            }
            // objects without a row: an upload interrupted between storage and database
            let listed = self.storage.list("media").await.map_err(transient)?;
            let mut by_id: std::collections::BTreeMap<Id, bool> = std::collections::BTreeMap::new();
            for object in &listed {
                let Some(id) = object.key.split('/').nth(1).and_then(|id| id.parse::<Id>().ok()) else { continue };
                let old = object.modified < before.as_micros() / 1_000_000;
                let entry = by_id.entry(id).or_insert(true);
                *entry &= old;
            }
            let candidates: Vec<Id> = by_id.iter().filter(|(_, old)| **old).map(|(id, _)| *id).collect();
            let mut stray = 0usize;
            for chunk in candidates.chunks(200) {
                let known = media::known_ids(context.db.pool(), chunk).await?;
                for id in chunk.iter().filter(|id| !known.contains(id)) {
                    stray += self.storage.delete_all(&media::folder(*id)).await.map_err(transient)?;
                }
            }
            Ok(format!("{files} files and {stray} stray objects deleted"))
        })
    }
}

/// Deletes the files of a deleted post that no other post uses (objects by a job). Call in
/// the transaction that deletes the post.
pub async fn forget_post_media(connection: &mut sqlx::AnyConnection, post_id: Id) -> Result<usize, StoreError> {
    let only_here = media::only_in_post(&mut *connection, post_id).await?;
    media::mark_deleted(&mut *connection, &only_here).await?;
    for media_id in &only_here {
        enqueue_delete(&mut *connection, *media_id).await?;
    }
    Ok(only_here.len())
}
