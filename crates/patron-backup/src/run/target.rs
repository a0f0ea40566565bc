//! The targets: where each backup is written (an S3 object, a file) by a task of its own
//! that is fed the stream, and the manifest stored beside it.

use super::CHUNK;
use super::middleware::apply;
use crate::config::{Middleware, Target, TargetKind};
use crate::manifest::{self, Manifest};
use crate::retention::object_name;
use crate::source::{Reader, hex};
use bytes::Bytes;
use patron_settings::StorageUrl;
use patron_storage::{ObjectKey, S3Credentials, Storage, Upload};
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// What a target's task receives: the stream's bytes, then whether it was complete.
pub(super) enum Piece {
    Data(Bytes),
    End(Result<(), String>),
}

/// Where one target writes.
pub(super) enum Sink {
    Object { upload: Upload },
    File { file: tokio::fs::File, partial: std::path::PathBuf, path: std::path::PathBuf },
}

impl Sink {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        match self {
            Sink::Object { upload, .. } => upload.write(bytes).await.map_err(|e| e.to_string()),
            Sink::File { file, .. } => file.write_all(bytes).await.map_err(|e| e.to_string()),
        }
    }

    async fn finish(self) -> Result<(), String> {
        match self {
            Sink::Object { upload, .. } => upload.finish().await.map_err(|e| e.to_string()),
            Sink::File { mut file, partial, path } => {
                file.flush().await.map_err(|e| e.to_string())?;
                file.sync_all().await.map_err(|e| e.to_string())?;
                tokio::fs::rename(&partial, &path)
                    .await
                    .map_err(|e| format!("cannot rename to {}: {e}", path.display()))
            }
        }
    }

    async fn abort(self) {
        match self {
            Sink::Object { upload, .. } => {
                let _ = upload.abort().await;
            }
            Sink::File { partial, .. } => {
                let _ = tokio::fs::remove_file(&partial).await;
            }
        }
    }
}

/// The bucket of an S3 target.
pub(super) fn s3_storage(s3: &crate::config::S3) -> Result<Storage, String> {
    let endpoint = if s3.endpoint.is_empty() {
        None
    } else {
        Some(url::Url::parse(&s3.endpoint).map_err(|e| format!("Endpoint {:?}: {e}", s3.endpoint))?)
    };
    let url = StorageUrl::S3 {
        bucket: s3.bucket_name.clone(),
        prefix: String::new(),
        path_style: endpoint.is_some(),
        endpoint,
        region: (!s3.region.is_empty()).then(|| s3.region.clone()),
    };
    let credentials = S3Credentials {
        access_key_id: (!s3.access_key.is_empty()).then(|| s3.access_key.clone()),
        secret_access_key: (!s3.secret_key.is_empty())
            .then(|| patron_settings::SecretString::new(s3.secret_key.clone())),
    };
    Storage::open(&url, &credentials).map_err(|e| e.to_string())
}

/// Where an S3 or File target keeps its backups, and how they are named.
pub(crate) fn target_store(target: &Target) -> Result<(Storage, String, String), String> {
    match target.kind() {
        Some(TargetKind::S3(s3)) => Ok((s3_storage(s3)?, s3.prefix.clone(), s3.suffix.clone())),
        Some(TargetKind::File(file)) => {
            let url = StorageUrl::File { root: std::path::PathBuf::from(&file.dir) };
            let storage = Storage::open(&url, &S3Credentials::default()).map_err(|e| e.to_string())?;
            Ok((storage, file.prefix.clone(), file.suffix.clone()))
        }
        Some(TargetKind::FilePath(_)) | None => Err("a FilePath target holds one file, not named backups".to_owned()),
    }
}

/// Opens a target for a new backup stored at `now`; returns the sink and where it stores.
pub(super) async fn open_target(target: &Target, now: OffsetDateTime) -> Result<(Sink, String), String> {
    let letters = random_letters();
    match target.kind() {
        Some(TargetKind::S3(s3)) => {
            let storage = s3_storage(s3)?;
            let name = object_name(&s3.prefix, &s3.suffix, now, letters);
            let key = ObjectKey::new(name.clone()).map_err(|e| e.to_string())?;
            let upload = storage.upload(&key, "application/octet-stream").await.map_err(|e| e.to_string())?;
            Ok((Sink::Object { upload }, name))
        }
        Some(TargetKind::File(file)) => {
            tokio::fs::create_dir_all(&file.dir).await.map_err(|e| format!("cannot create {}: {e}", file.dir))?;
            let name = object_name(&file.prefix, &file.suffix, now, letters);
            let path = std::path::Path::new(&file.dir).join(&name);
            open_file(path).await
        }
        Some(TargetKind::FilePath(file_path)) => open_file(std::path::PathBuf::from(&file_path.path)).await,
        None => Err("the target has no single kind".to_owned()),
    }
}

/// A file written under a temporary name and renamed when complete, so a reader never sees
/// half a backup.
async fn open_file(path: std::path::PathBuf) -> Result<(Sink, String), String> {
    let mut partial = path.clone().into_os_string();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let file =
        tokio::fs::File::create(&partial).await.map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
    let shown = path.display().to_string();
    Ok((Sink::File { file, partial, path }, shown))
}

fn random_letters() -> [u8; 3] {
    let mut letters = [0u8; 3];
    // an all-'a' name only risks a clash within the same second, which the letters are for
    let _ = getrandom::fill(&mut letters);
    letters
}

/// Stores the manifest beside the backup: `<name>.manifest.json`.
pub(super) async fn write_manifest(
    target: &Target,
    stored_as: &str,
    manifest: &Manifest,
    stall: Duration,
) -> Result<(), String> {
    let body = manifest.to_json();
    let write = async {
        match target.kind() {
            Some(TargetKind::S3(s3)) => {
                let storage = s3_storage(s3)?;
                let key = ObjectKey::new(format!("{stored_as}{}", manifest::SUFFIX)).map_err(|e| e.to_string())?;
                storage.put(&key, Bytes::from(body), "application/json").await.map_err(|e| e.to_string())
            }
            Some(TargetKind::File(_) | TargetKind::FilePath(_)) => {
                let path = format!("{stored_as}{}", manifest::SUFFIX);
                let partial = format!("{path}.partial");
                tokio::fs::write(&partial, body).await.map_err(|e| format!("writing {partial}: {e}"))?;
                tokio::fs::rename(&partial, &path).await.map_err(|e| format!("renaming to {path}: {e}"))
            }
            None => Err("the target has no single kind".to_owned()),
        }
    };
    tokio::time::timeout(stall, write).await.map_err(|_| format!("no answer within {}s", stall.as_secs()))?
}

/// What a target stored.
pub(super) struct Written {
    pub(super) stored_as: String,
    pub(super) size: u64,
    pub(super) sha256: String,
    /// How long completing the upload took after the source's end.
    pub(super) finishing: Duration,
}

/// The pieces a target receives, as a stream of bytes again (for a target's own middlewares);
/// a failed source is a read error, so nothing incomplete is ever completed.
fn pieces_reader(receiver: mpsc::Receiver<Piece>) -> Reader {
    let stream = futures::stream::unfold(receiver, |mut receiver| async move {
        match receiver.recv().await {
            Some(Piece::Data(bytes)) => Some((Ok(bytes), receiver)),
            Some(Piece::End(Ok(()))) => None,
            Some(Piece::End(Err(error))) => Some((Err(std::io::Error::other(error)), receiver)),
            None => Some((Err(std::io::Error::other("the source stopped before its end")), receiver)),
        }
    });
    Box::pin(tokio_util::io::StreamReader::new(Box::pin(stream)))
}

/// Writes what a target receives, through its own middlewares, to its sink; a failure
/// anywhere aborts the sink, so nothing incomplete is stored.
pub(super) async fn write_target(
    opened: Result<(Sink, String), String>,
    receiver: mpsc::Receiver<Piece>,
    middlewares: Vec<Middleware>,
    stall: Duration,
) -> Result<Written, String> {
    let (mut sink, stored_as) = opened?;
    let mut reader = match apply(pieces_reader(receiver), &middlewares).await {
        Ok(reader) => reader,
        Err(error) => {
            sink.abort().await;
            return Err(error);
        }
    };
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let read = match reader.read(&mut buffer).await {
            Ok(read) => read,
            Err(error) => {
                sink.abort().await;
                return Err(error.to_string());
            }
        };
        if read == 0 {
            break;
        }
        match tokio::time::timeout(stall, sink.write(&buffer[..read])).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                sink.abort().await;
                return Err(format!("writing {stored_as}: {error}"));
            }
            Err(_) => {
                sink.abort().await;
                return Err(format!(
                    "writing {stored_as}: no progress for {}s (Settings.StallTimeout)",
                    stall.as_secs()
                ));
            }
        }
        hasher.update(&buffer[..read]);
        size += read as u64;
    }
    let finishing = Instant::now();
    match tokio::time::timeout(stall, sink.finish()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return Err(format!("completing {stored_as}: {error}")),
        Err(_) => return Err(format!("completing {stored_as}: no answer within {}s", stall.as_secs())),
    }
    Ok(Written { stored_as, size, sha256: hex(&hasher.finalize()), finishing: finishing.elapsed() })
}
