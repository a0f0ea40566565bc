//! `patron backup run`: each backup's source is streamed through its middlewares to all its
//! targets at once — no temporary file, memory bounded by a few chunks per target. A target
//! that fails is dropped from the stream and the others go on; a source that fails (a dump
//! tool exiting non-zero) leaves nothing behind on any target.

use crate::config::{Backup, Config, Middleware, Target, TargetKind};
use crate::manifest::{self, Manifest};
use crate::retention::{Policy, object_name, parse_name, to_delete};
use crate::source::{self, Hashing, Opened, Reader, hex};
use bytes::Bytes;
use patron_settings::StorageUrl;
use patron_storage::{ObjectKey, S3Credentials, Storage, Upload};
use sha2::{Digest, Sha256};
use std::io::IsTerminal;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// Bytes read from the source at a time; each target buffers at most a few of them.
const CHUNK: usize = 256 * 1024;
const CHUNKS_PER_TARGET: usize = 4;

/// One line of the summary: one backup to one target.
#[derive(Debug, Clone)]
pub struct Row {
    pub backup_id: String,
    pub source_kind: &'static str,
    pub target_id: String,
    pub target_kind: &'static str,
    /// Where the backup was stored (an object key or a path).
    pub stored_as: String,
    pub backup_time: Duration,
    pub upload_time: Duration,
    pub size: u64,
    pub sha256: String,
    pub error: Option<String>,
    pub total: Duration,
}

impl Row {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// Runs every backup of `config` in order and returns one row per backup and target.
pub async fn run(config: &Config) -> Vec<Row> {
    let mut rows = Vec::new();
    for backup in &config.backups {
        if backup.sleep_before > 0 {
            tokio::time::sleep(Duration::from_secs(backup.sleep_before.unsigned_abs())).await;
        }
        rows.extend(run_one(backup, &config.settings).await);
    }
    rows
}

/// Wraps a stream in middlewares, in order.
pub(crate) async fn apply(mut reader: Reader, middlewares: &[Middleware]) -> Result<Reader, String> {
    for middleware in middlewares {
        reader = match middleware {
            Middleware::Gzip(_) => compress(reader, Compression::Gzip),
            Middleware::Zstd(zstd) => {
                compress(reader, Compression::Zstd(zstd.level.map_or(3, |level| level.clamp(1, 22) as i32)))
            }
            Middleware::Prefix(prefix) => {
                Box::pin(std::io::Cursor::new(prefix.prefix.clone().into_bytes()).chain(reader))
            }
            Middleware::Suffix(suffix) => {
                Box::pin(reader.chain(std::io::Cursor::new(suffix.suffix.clone().into_bytes())))
            }
            Middleware::Age(age) => crate::crypt::age_encrypt(reader, &age.recipients)?,
            Middleware::SymmetricEncryption(encryption) => {
                crate::crypt::gpg_encrypt(reader, &encryption.passphrase).await?
            }
        };
    }
    Ok(reader)
}

#[derive(Debug, Clone, Copy)]
enum Compression {
    Gzip,
    Zstd(i32),
}

/// Compresses a stream in a task of its own (on another core than the one reading and
/// fanning out), fed in large chunks and flushed only at the end: a compressor that flushed
/// whenever its input was momentarily empty would cut the stream into many small blocks,
/// costing size and time. A failure of the input is a read error at the end, never a clean
/// end of a shorter stream.
fn compress(mut input: Reader, compression: Compression) -> Reader {
    use async_compression::tokio::write;
    let (pipe_in, pipe_out) = tokio::io::duplex(CHUNK);
    let task = tokio::spawn(async move {
        let mut encoder: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>> = match compression {
            Compression::Gzip => Box::pin(write::GzipEncoder::new(pipe_in)),
            Compression::Zstd(level) => {
                Box::pin(write::ZstdEncoder::with_quality(pipe_in, async_compression::Level::Precise(level)))
            }
        };
        let mut buffer = vec![0u8; CHUNK];
        loop {
            let read = input.read(&mut buffer).await.map_err(|e| format!("reading the source: {e}"))?;
            if read == 0 {
                break;
            }
            encoder.write_all(&buffer[..read]).await.map_err(|e| format!("compressing: {e}"))?;
        }
        encoder.shutdown().await.map_err(|e| format!("compressing: {e}"))
    });
    let outcome = async move { task.await.map_err(|e| format!("the compression stopped: {e}"))? };
    Box::pin(crate::crypt::CheckedEnd::new(pipe_out, outcome))
}

/// What a target's task receives: the stream's bytes, then whether it was complete.
enum Piece {
    Data(Bytes),
    End(Result<(), String>),
}

/// Where one target writes.
enum Sink {
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
fn s3_storage(s3: &crate::config::S3) -> Result<Storage, String> {
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

/// What retention applies to on one target: where its objects are, how they are named, the policy.
struct Kept {
    storage: Storage,
    folder: Option<String>,
    prefix: String,
    suffix: String,
    policy: Policy,
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

fn retention_of(target: &Target) -> Result<Option<Kept>, String> {
    let retention = match target.kind() {
        Some(TargetKind::S3(s3)) => &s3.retention,
        Some(TargetKind::File(file)) => &file.retention,
        Some(TargetKind::FilePath(_)) | None => return Ok(None),
    };
    let Some(policy) = retention.as_ref().and_then(crate::config::Retention::policy).filter(Policy::is_set) else {
        return Ok(None);
    };
    let (storage, prefix, suffix) = target_store(target)?;
    let folder = prefix.rsplit_once('/').map(|(folder, _)| folder.to_owned());
    Ok(Some(Kept { storage, folder, prefix, suffix, policy }))
}

/// The outcome of applying one target's retention.
#[derive(Debug, Clone)]
pub struct Pruned {
    pub backup_id: String,
    pub target_id: String,
    /// The deleted objects, or why pruning failed.
    pub result: Result<Vec<String>, String>,
    /// How many of this backup's objects remain.
    pub kept: usize,
}

/// Applies the retention of every target that has one (of the backups and targets `wanted`
/// accepts) at `now`: only objects whose whole name is this backup's are considered.
pub async fn prune(config: &Config, now: OffsetDateTime, wanted: impl Fn(&str, &str) -> bool) -> Vec<Pruned> {
    let mut out = Vec::new();
    for backup in &config.backups {
        for target in &backup.targets {
            if !wanted(&backup.id, &target.id) {
                continue;
            }
            let kept = match retention_of(target) {
                Ok(None) => continue,
                Ok(Some(kept)) => kept,
                Err(error) => {
                    out.push(Pruned {
                        backup_id: backup.id.clone(),
                        target_id: target.id.clone(),
                        result: Err(error),
                        kept: 0,
                    });
                    continue;
                }
            };
            let (result, remaining) = prune_one(&kept, now).await;
            out.push(Pruned { backup_id: backup.id.clone(), target_id: target.id.clone(), result, kept: remaining });
        }
    }
    out
}

async fn prune_one(kept: &Kept, now: OffsetDateTime) -> (Result<Vec<String>, String>, usize) {
    let listed = match kept.storage.list_in(kept.folder.as_deref()).await {
        Ok(listed) => listed,
        Err(error) => return (Err(format!("listing: {error}")), 0),
    };
    let ours: Vec<(String, OffsetDateTime)> = listed
        .into_iter()
        .filter_map(|object| parse_name(&kept.prefix, &kept.suffix, &object.key).map(|at| (object.key, at)))
        .collect();
    let doomed: Vec<String> = to_delete(&kept.policy, &ours, now).into_iter().map(str::to_owned).collect();
    let mut deleted = Vec::new();
    for name in &doomed {
        let key = match ObjectKey::new(name.clone()) {
            Ok(key) => key,
            Err(error) => return (Err(error.to_string()), ours.len() - deleted.len()),
        };
        if let Err(error) = kept.storage.delete(&key).await {
            return (Err(format!("deleting {name}: {error}")), ours.len() - deleted.len());
        }
        // its manifest goes with it (a backup made before manifests has none: not an error)
        if let Ok(manifest) = ObjectKey::new(format!("{name}{}", manifest::SUFFIX)) {
            let _ = kept.storage.delete(&manifest).await;
        }
        deleted.push(name.clone());
    }
    (Ok(deleted), ours.len() - doomed.len())
}

/// Opens a target for a new backup stored at `now`; returns the sink and where it stores.
async fn open_target(target: &Target, now: OffsetDateTime) -> Result<(Sink, String), String> {
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

/// Backs up one backup to all its targets at once.
async fn run_one(backup: &Backup, settings: &crate::config::Settings) -> Vec<Row> {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + settings.backup_timeout();
    let stall = settings.stall_timeout();
    let now = OffsetDateTime::now_utc();
    let source_kind = backup.source.kind();
    let row = |target: &Target, error: Option<String>| Row {
        backup_id: backup.id.clone(),
        source_kind,
        target_id: target.id.clone(),
        target_kind: target.kind().map_or("?", |kind| kind.name()),
        stored_as: String::new(),
        backup_time: Duration::ZERO,
        upload_time: Duration::ZERO,
        size: 0,
        sha256: String::new(),
        error,
        total: started.elapsed(),
    };
    // only the backup's own middlewares reach every target
    let compressed_later = backup.middlewares.iter().any(|m| matches!(m, Middleware::Gzip(_) | Middleware::Zstd(_)));
    let failed = |error: String| backup.targets.iter().map(|t| row(t, Some(error.clone()))).collect::<Vec<_>>();
    let opened = match tokio::time::timeout_at(
        deadline.min(tokio::time::Instant::now() + stall),
        source::open(&backup.source, compressed_later),
    )
    .await
    {
        Ok(Ok(opened)) => opened,
        Ok(Err(error)) => return failed(error),
        Err(_) => return failed(format!("the source did not start within {}s", stall.as_secs())),
    };
    let Opened { reader, done, tool } = opened;
    let (reader, plain) = Hashing::new(reader);
    let mut reader = match apply(Box::pin(reader), &backup.middlewares).await {
        Ok(reader) => reader,
        Err(error) => return failed(error),
    };

    // one task per target, fed through a small channel
    let mut senders = Vec::new();
    let mut tasks = Vec::new();
    for target in &backup.targets {
        let (sender, receiver) = mpsc::channel::<Piece>(CHUNKS_PER_TARGET);
        let opened = open_target(target, now).await;
        senders.push(opened.is_ok().then_some(sender));
        let middlewares: Vec<Middleware> = target.middlewares.clone();
        tasks.push(tokio::spawn(write_target(opened, receiver, middlewares, stall)));
    }

    // the source, read once, copied to every target still taking it
    let progress = Progress::new(&backup.id);
    let mut buffer = vec![0u8; CHUNK];
    let mut read_total = 0u64;
    let source_result = loop {
        let limit = deadline.min(tokio::time::Instant::now() + stall);
        let read = match tokio::time::timeout_at(limit, reader.read(&mut buffer)).await {
            Ok(read) => read,
            Err(_) if tokio::time::Instant::now() >= deadline => {
                break Err(format!(
                    "the backup took longer than Settings.BackupTimeout ({}s)",
                    settings.backup_timeout().as_secs()
                ));
            }
            Err(_) => {
                break Err(format!("the source produced nothing for {}s (Settings.StallTimeout)", stall.as_secs()));
            }
        };
        match read {
            Ok(0) => break Ok(()),
            Ok(read) => {
                read_total += read as u64;
                progress.show(read_total);
                let chunk = Bytes::copy_from_slice(&buffer[..read]);
                let mut any = false;
                for sender in senders.iter_mut() {
                    if let Some(open) = sender {
                        // a target that takes nothing for the stall timeout is dropped alone
                        match tokio::time::timeout(stall, open.send(Piece::Data(chunk.clone()))).await {
                            Ok(Ok(())) => any = true,
                            Ok(Err(_)) | Err(_) => *sender = None,
                        }
                    }
                }
                if !any {
                    break Ok(());
                }
            }
            Err(error) => break Err(format!("reading the source: {error}")),
        }
    };
    progress.end();
    drop(reader);
    let source_result = match (source_result, done) {
        // dropping `done` stops the producer (a dump tool is killed)
        (Err(error), _) => Err(error),
        (Ok(()), Some(done)) => match tokio::time::timeout(stall, done).await {
            Ok(result) => result,
            Err(_) => Err(format!("the source did not finish within {}s after its end", stall.as_secs())),
        },
        (Ok(()), None) => Ok(()),
    };
    let backup_time = started.elapsed();
    for sender in senders.into_iter().flatten() {
        let _ = sender.send(Piece::End(source_result.clone())).await;
    }
    let (plain_sha256, plain_size) = match plain.lock() {
        Ok(state) => (hex(&state.0.clone().finalize()), state.1),
        Err(_) => (String::new(), 0),
    };

    let mut rows = Vec::new();
    for (target, task) in backup.targets.iter().zip(tasks) {
        let written = match task.await {
            Ok(written) => written,
            Err(error) => Err(format!("the target's task failed: {error}")),
        };
        let mut line = row(target, None);
        line.backup_time = backup_time;
        match written {
            Ok(done) => {
                line.stored_as = done.stored_as;
                line.size = done.size;
                line.sha256 = done.sha256;
                line.upload_time = done.finishing;
                let middlewares =
                    backup.middlewares.iter().chain(&target.middlewares).map(|m| m.kind().to_owned()).collect();
                let manifest = Manifest {
                    format: manifest::FORMAT.to_owned(),
                    backup: backup.id.clone(),
                    target: target.id.clone(),
                    source: source_kind.to_owned(),
                    source_detail: manifest::describe(&backup.source),
                    tool: tool.clone(),
                    middlewares,
                    created: now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                    duration_seconds: started.elapsed().as_secs_f64(),
                    size: line.size,
                    sha256: line.sha256.clone(),
                    plain_size,
                    plain_sha256: plain_sha256.clone(),
                    patron_version: env!("CARGO_PKG_VERSION").to_owned(),
                };
                if let Err(error) = write_manifest(target, &line.stored_as, &manifest, stall).await {
                    line.error =
                        Some(format!("stored as {}, but its manifest could not be written: {error}", line.stored_as));
                }
            }
            Err(error) => line.error = Some(error),
        }
        line.total = started.elapsed();
        rows.push(line);
    }
    rows
}

/// Stores the manifest beside the backup: `<name>.manifest.json`.
async fn write_manifest(target: &Target, stored_as: &str, manifest: &Manifest, stall: Duration) -> Result<(), String> {
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

/// A line on a terminal showing how far a long backup is; nothing when stderr is not one.
struct Progress {
    id: String,
    started: Instant,
    last: std::sync::Mutex<Option<Instant>>,
    on: bool,
}

impl Progress {
    fn new(id: &str) -> Self {
        Progress {
            id: id.to_owned(),
            started: Instant::now(),
            last: std::sync::Mutex::new(None),
            on: std::io::stderr().is_terminal(),
        }
    }

    fn show(&self, bytes: u64) {
        if !self.on {
            return;
        }
        let Ok(mut last) = self.last.lock() else { return };
        if last.is_some_and(|at| at.elapsed() < Duration::from_millis(500)) {
            return;
        }
        *last = Some(Instant::now());
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        eprint!(
            "\r\x1b[2K{}: {} read, {}/s, {:.0}s",
            self.id,
            size(bytes),
            size((bytes as f64 / seconds) as u64),
            seconds
        );
    }

    fn end(&self) {
        if self.on && self.last.lock().is_ok_and(|last| last.is_some()) {
            eprint!("\r\x1b[2K");
        }
    }
}

struct Written {
    stored_as: String,
    size: u64,
    sha256: String,
    /// How long completing the upload took after the source's end.
    finishing: Duration,
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

async fn write_target(
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

/// The summary as Tergum prints it: one row per backup and target, then the errors.
pub fn table(rows: &[Row]) -> String {
    let header = ["SUCCESS", "BACKUP", "BACKUP TIME", "TARGET", "UPLOAD TIME", "FILE SIZE", "ERROR", "TIME TOTAL"];
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|row| {
            [
                if row.ok() { "OK".to_owned() } else { "ERROR".to_owned() },
                format!("{}: {}", row.source_kind, row.backup_id),
                format!("{}s (+0s)", row.backup_time.as_secs()),
                format!("{}: {}", row.target_kind, row.target_id),
                format!("{}s (+0s)", row.upload_time.as_secs()),
                if row.ok() { size(row.size) } else { String::new() },
                row.error.clone().unwrap_or_default(),
                format!("{}s", row.total.as_secs()),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if index > 0 {
                out.push_str("  ");
            }
            out.push_str(cell);
            if index + 1 < cells.len() {
                out.push_str(&" ".repeat(width - cell.chars().count()));
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(&header.map(str::to_owned));
    for row in &cells {
        out.push_str(&line(row));
    }
    // where each backup went and the digest of what was stored, to compare a download with
    let stored: Vec<&Row> = rows.iter().filter(|row| row.ok()).collect();
    if !stored.is_empty() {
        out.push_str("\nSTORED  SHA-256\n");
        for row in stored {
            out.push_str(&format!("{} → {}: {}  {}\n", row.backup_id, row.target_id, row.stored_as, row.sha256));
        }
    }
    let failed: Vec<&Row> = rows.iter().filter(|row| !row.ok()).collect();
    if !failed.is_empty() {
        out.push_str("\nBACKUP  TARGET  ERROR\n");
        for row in failed {
            out.push_str(&format!(
                "{}  {}  {}\n",
                row.backup_id,
                row.target_id,
                row.error.as_deref().unwrap_or_default()
            ));
        }
    }
    out
}

/// Sizes as Tergum shows them: `28.7M`.
fn size(bytes: u64) -> String {
    let units = ["B", "K", "M", "G", "T"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes}B") } else { format!("{value:.1}{}", units[unit]) }
}
