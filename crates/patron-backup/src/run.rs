//! `patron backup run`: each backup's source is streamed through its middlewares to all its
//! targets at once — no temporary file, memory bounded by a few chunks per target. A target
//! that fails is dropped from the stream and the others go on; a source that fails (a dump
//! tool exiting non-zero) leaves nothing behind on any target.

use crate::config::{Backup, Config, Middleware, Source, Target, TargetKind};
use crate::retention::{Policy, object_name, parse_name, to_delete};
use async_compression::tokio::bufread::GzipEncoder;
use bytes::Bytes;
use patron_settings::StorageUrl;
use patron_storage::{ObjectKey, S3Credentials, Storage, Upload};
use sha2::{Digest, Sha256};
use std::pin::Pin;
use std::process::Stdio;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
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
        rows.extend(run_one(backup).await);
    }
    rows
}

type Reader = Pin<Box<dyn AsyncRead + Send>>;

/// The source's bytes, and the process producing them when there is one (its exit status
/// decides whether the stream was complete).
struct Opened {
    reader: Reader,
    child: Option<Child>,
    /// The tool's error output, read alongside so a chatty tool never blocks on a full pipe;
    /// its end is kept for the error message.
    stderr: Option<tokio::task::JoinHandle<String>>,
}

fn dump_command(program: &str) -> Command {
    let mut command = Command::new(program);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    command
}

fn spawn(mut command: Command, program: &str) -> Result<Opened, String> {
    let mut child = command.spawn().map_err(|error| format!("cannot start {program}: {error}"))?;
    let stdout = child.stdout.take().ok_or_else(|| format!("{program} has no output"))?;
    let stderr = child.stderr.take().map(|mut pipe| {
        tokio::spawn(async move {
            let mut kept = Vec::new();
            let mut buffer = [0u8; 4096];
            while let Ok(read) = pipe.read(&mut buffer).await {
                if read == 0 {
                    break;
                }
                kept.extend_from_slice(&buffer[..read]);
                if kept.len() > 16 * 1024 {
                    kept.drain(..kept.len() - 8 * 1024);
                }
            }
            String::from_utf8_lossy(&kept).into_owned()
        })
    });
    Ok(Opened { reader: Box::pin(stdout), child: Some(child), stderr })
}

/// Starts the source. Passwords reach the dump tools through their environment variables,
/// never the command line (which `ps` shows to every user of the machine).
async fn open(source: &Source) -> Result<Opened, String> {
    match source {
        Source::Postgres(s) => {
            let mut command = dump_command("pg_dump");
            command.args(["--format=custom", "--no-password"]).args(["--host", &s.host, "--username", &s.user]);
            command.args(["--port", s.port.as_deref().unwrap_or("5432")]);
            command.args(&s.pgdump_extra_args).arg("--dbname").arg(&s.database);
            command.env("PGPASSWORD", &s.password);
            if !s.ssl_mode.is_empty() {
                command.env("PGSSLMODE", &s.ssl_mode);
            }
            spawn(command, "pg_dump")
        }
        Source::PostgresServer(s) => {
            let mut command = dump_command("pg_dumpall");
            command.arg("--no-password").args(["--host", &s.host, "--username", &s.user]);
            command.args(["--port", s.port.as_deref().unwrap_or("5432")]).args(&s.pgdumpall_extra_args);
            command.env("PGPASSWORD", &s.password);
            if !s.ssl_mode.is_empty() {
                command.env("PGSSLMODE", &s.ssl_mode);
            }
            spawn(command, "pg_dumpall")
        }
        Source::Mysql(s) => {
            let mut command = dump_command("mysqldump");
            command.args(["--single-transaction", "--routines", "--host", &s.host, "--user", &s.user]);
            command.args(["--port", s.port.as_deref().unwrap_or("3306")]).args(&s.mysqldump_extra_args);
            command.arg(&s.database).env("MYSQL_PWD", &s.password);
            spawn(command, "mysqldump")
        }
        Source::MysqlServer(s) => {
            let mut command = dump_command("mysqldump");
            command.args(["--single-transaction", "--routines", "--all-databases", "--host", &s.host]);
            command.args(["--user", &s.user, "--port", s.port.as_deref().unwrap_or("3306")]);
            command.args(&s.mysqldump_extra_args).env("MYSQL_PWD", &s.password);
            spawn(command, "mysqldump")
        }
        Source::Dir(s) => {
            if !tokio::fs::metadata(&s.path).await.is_ok_and(|m| m.is_dir()) {
                return Err(format!("{} is not a directory", s.path));
            }
            let mut command = dump_command("tar");
            command.arg("--create").arg("--file=-").arg("--directory").arg(&s.path);
            for exclude in &s.excludes {
                command.arg(format!("--exclude={exclude}"));
            }
            if s.ignore_failed_read {
                command.arg("--ignore-failed-read");
            }
            command.arg(".");
            spawn(command, "tar")
        }
        Source::SingleFile(s) => {
            let file =
                tokio::fs::File::open(&s.path).await.map_err(|error| format!("cannot open {}: {error}", s.path))?;
            Ok(Opened { reader: Box::pin(file), child: None, stderr: None })
        }
        Source::Redis(s) => {
            let mut command = dump_command("redis-cli");
            command.args(["-h", &s.host, "-p", s.port.as_deref().unwrap_or("6379"), "--rdb", "-"]);
            spawn(command, "redis-cli")
        }
        Source::Sqlite(_) | Source::Storage(_) => Err(format!("{} is not supported yet", source.kind())),
    }
}

/// Wraps the source's stream in the backup's middlewares, in order.
fn apply(mut reader: Reader, middlewares: &[Middleware]) -> Result<Reader, String> {
    for middleware in middlewares {
        reader = match middleware {
            Middleware::Gzip(_) => Box::pin(GzipEncoder::new(BufReader::new(reader))),
            Middleware::Prefix(prefix) => {
                Box::pin(std::io::Cursor::new(prefix.prefix.clone().into_bytes()).chain(reader))
            }
            Middleware::Suffix(suffix) => {
                Box::pin(reader.chain(std::io::Cursor::new(suffix.suffix.clone().into_bytes())))
            }
            Middleware::SymmetricEncryption(_) | Middleware::Age(_) | Middleware::Zstd(_) => {
                return Err(format!("{} is not supported by patron backup yet", middleware.kind()));
            }
        };
    }
    Ok(reader)
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

fn retention_of(target: &Target) -> Result<Option<Kept>, String> {
    let (storage, prefix, suffix, retention) = match target.kind() {
        Some(TargetKind::S3(s3)) => (s3_storage(s3)?, &s3.prefix, &s3.suffix, &s3.retention),
        Some(TargetKind::File(file)) => {
            let url = StorageUrl::File { root: std::path::PathBuf::from(&file.dir) };
            let storage = Storage::open(&url, &S3Credentials::default()).map_err(|e| e.to_string())?;
            (storage, &file.prefix, &file.suffix, &file.retention)
        }
        Some(TargetKind::FilePath(_)) | None => return Ok(None),
    };
    let Some(policy) = retention.as_ref().and_then(crate::config::Retention::policy).filter(Policy::is_set) else {
        return Ok(None);
    };
    let folder = prefix.rsplit_once('/').map(|(folder, _)| folder.to_owned());
    Ok(Some(Kept { storage, folder, prefix: prefix.clone(), suffix: suffix.clone(), policy }))
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
async fn run_one(backup: &Backup) -> Vec<Row> {
    let started = Instant::now();
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
    for target in &backup.targets {
        if !target.middlewares.is_empty() {
            let error = "middlewares on a target are not supported by patron backup yet; put them on the backup";
            return backup.targets.iter().map(|t| row(t, Some(error.to_owned()))).collect();
        }
    }
    let opened = match open(&backup.source).await {
        Ok(opened) => opened,
        Err(error) => return backup.targets.iter().map(|t| row(t, Some(error.clone()))).collect(),
    };
    let Opened { reader, mut child, stderr } = opened;
    let mut reader = match apply(reader, &backup.middlewares) {
        Ok(reader) => reader,
        Err(error) => return backup.targets.iter().map(|t| row(t, Some(error.clone()))).collect(),
    };

    // one task per target, fed through a small channel
    let mut senders = Vec::new();
    let mut tasks = Vec::new();
    for target in &backup.targets {
        let (sender, receiver) = mpsc::channel::<Piece>(CHUNKS_PER_TARGET);
        let opened = open_target(target, now).await;
        senders.push(opened.is_ok().then_some(sender));
        tasks.push(tokio::spawn(write_target(opened, receiver)));
    }

    // the source, read once, copied to every target still taking it
    let mut buffer = vec![0u8; CHUNK];
    let source_result = loop {
        match reader.read(&mut buffer).await {
            Ok(0) => break Ok(()),
            Ok(read) => {
                let chunk = Bytes::copy_from_slice(&buffer[..read]);
                let mut any = false;
                for sender in senders.iter_mut() {
                    if let Some(open) = sender {
                        if open.send(Piece::Data(chunk.clone())).await.is_ok() {
                            any = true;
                        } else {
                            *sender = None;
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
    drop(reader);
    let source_result = match (source_result, child.as_mut()) {
        (Err(error), Some(child)) => {
            let _ = child.start_kill();
            Err(error)
        }
        (result, Some(child)) => match finish_child(child, stderr).await {
            Ok(()) => result,
            Err(error) => Err(error),
        },
        (result, None) => result,
    };
    let backup_time = started.elapsed();
    for sender in senders.into_iter().flatten() {
        let _ = sender.send(Piece::End(source_result.clone())).await;
    }

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
            }
            Err(error) => line.error = Some(error),
        }
        line.total = started.elapsed();
        rows.push(line);
    }
    rows
}

/// Waits for a dump tool and turns a non-zero exit into its last lines of stderr.
async fn finish_child(child: &mut Child, stderr: Option<tokio::task::JoinHandle<String>>) -> Result<(), String> {
    let stderr = match stderr {
        Some(task) => task.await.unwrap_or_default(),
        None => String::new(),
    };
    let status = child.wait().await.map_err(|e| format!("waiting for the dump tool: {e}"))?;
    if status.success() {
        return Ok(());
    }
    let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!("the dump tool failed ({status}): {}", tail.join(" / ")))
}

struct Written {
    stored_as: String,
    size: u64,
    sha256: String,
    /// How long completing the upload took after the source's end.
    finishing: Duration,
}

async fn write_target(
    opened: Result<(Sink, String), String>,
    mut receiver: mpsc::Receiver<Piece>,
) -> Result<Written, String> {
    let (mut sink, stored_as) = opened?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(piece) = receiver.recv().await {
        match piece {
            Piece::Data(bytes) => {
                if let Err(error) = sink.write(&bytes).await {
                    sink.abort().await;
                    return Err(format!("writing {stored_as}: {error}"));
                }
                hasher.update(&bytes);
                size += bytes.len() as u64;
            }
            Piece::End(Ok(())) => {
                let finishing = Instant::now();
                if let Err(error) = sink.finish().await {
                    return Err(format!("completing {stored_as}: {error}"));
                }
                let sha256 = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
                return Ok(Written { stored_as, size, sha256, finishing: finishing.elapsed() });
            }
            Piece::End(Err(error)) => {
                sink.abort().await;
                return Err(error);
            }
        }
    }
    sink.abort().await;
    Err("the source stopped before its end".to_owned())
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
