//! One backup's pipeline: its source started and wrapped in its middlewares, read once and
//! handed to every target's task at once, then one row per target with its manifest.

use super::summary::size;
use super::target::{Piece, Written, open_target, write_manifest, write_target};
use super::{CHUNK, CHUNKS_PER_TARGET, Row, apply};
use crate::config::{Backup, Middleware, Settings, Target};
use crate::manifest::{self, Manifest};
use crate::source::{self, Hashing, Opened, Reader, hex};
use bytes::Bytes;
use futures::future::BoxFuture;
use sha2::Digest;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What the source produced, counted and hashed before any middleware.
type Plain = Arc<Mutex<(sha2::Sha256, u64)>>;

/// A target's task: what it stored, or why it stored nothing.
type Task = JoinHandle<Result<Written, String>>;

/// Backs up one backup to all its targets at once.
pub(super) async fn run_one(backup: &Backup, settings: &Settings) -> Vec<Row> {
    let run = OneRun {
        backup,
        settings,
        started: Instant::now(),
        deadline: tokio::time::Instant::now() + settings.backup_timeout(),
        stall: settings.stall_timeout(),
        now: OffsetDateTime::now_utc(),
    };
    let (opened, plain) = match run.open_source().await {
        Ok(opened) => opened,
        Err(error) => return run.failed(error),
    };
    let (mut senders, tasks) = run.start_targets().await;
    let read = run.copy_source(opened.reader, &mut senders).await;
    let source_result = run.source_outcome(read, opened.done).await;
    let backup_time = run.started.elapsed();
    for sender in senders.into_iter().flatten() {
        let _ = sender.send(Piece::End(source_result.clone())).await;
    }
    let plain = match plain.lock() {
        Ok(state) => (hex(&state.0.clone().finalize()), state.1),
        Err(_) => (String::new(), 0),
    };
    run.rows(tasks, backup_time, &opened.tool, plain).await
}

/// One backup's run: the backup, its settings, and the clock its limits are measured with.
struct OneRun<'a> {
    backup: &'a Backup,
    settings: &'a Settings,
    started: Instant,
    deadline: tokio::time::Instant,
    stall: Duration,
    /// The time the stored backups are named after.
    now: OffsetDateTime,
}

impl OneRun<'_> {
    /// The row of one target, so far.
    fn row(&self, target: &Target, error: Option<String>) -> Row {
        Row {
            backup_id: self.backup.id.clone(),
            source_kind: self.backup.source.kind(),
            target_id: target.id.clone(),
            target_kind: target.kind().map_or("?", |kind| kind.name()),
            stored_as: String::new(),
            backup_time: Duration::ZERO,
            upload_time: Duration::ZERO,
            size: 0,
            sha256: String::new(),
            error,
            total: self.started.elapsed(),
        }
    }

    /// Every target's row with the same error.
    fn failed(&self, error: String) -> Vec<Row> {
        self.backup.targets.iter().map(|t| self.row(t, Some(error.clone()))).collect()
    }

    /// Starts the source and wraps it in the backup's middlewares; also returns what counts
    /// and hashes the source's own bytes.
    async fn open_source(&self) -> Result<(Opened, Plain), String> {
        // only the backup's own middlewares reach every target
        let compressed_later =
            self.backup.middlewares.iter().any(|m| matches!(m, Middleware::Gzip(_) | Middleware::Zstd(_)));
        let opened = match tokio::time::timeout_at(
            self.deadline.min(tokio::time::Instant::now() + self.stall),
            source::open(&self.backup.source, compressed_later),
        )
        .await
        {
            Ok(Ok(opened)) => opened,
            Ok(Err(error)) => return Err(error),
            Err(_) => return Err(format!("the source did not start within {}s", self.stall.as_secs())),
        };
        let Opened { reader, done, tool } = opened;
        let (reader, plain) = Hashing::new(reader);
        let reader = apply(Box::pin(reader), &self.backup.middlewares).await?;
        Ok((Opened { reader, done, tool }, plain))
    }

    /// One task per target, fed through a small channel; a target that could not be opened
    /// has no sender, and its task reports why.
    async fn start_targets(&self) -> (Vec<Option<mpsc::Sender<Piece>>>, Vec<Task>) {
        let mut senders = Vec::new();
        let mut tasks = Vec::new();
        for target in &self.backup.targets {
            let (sender, receiver) = mpsc::channel::<Piece>(CHUNKS_PER_TARGET);
            let opened = open_target(target, self.now).await;
            senders.push(opened.is_ok().then_some(sender));
            let middlewares: Vec<Middleware> = target.middlewares.clone();
            tasks.push(tokio::spawn(write_target(opened, receiver, middlewares, self.stall)));
        }
        (senders, tasks)
    }

    /// Reads the source once and copies it to every target still taking it, until it ends,
    /// fails, stalls or no target is left.
    async fn copy_source(&self, mut reader: Reader, senders: &mut [Option<mpsc::Sender<Piece>>]) -> Result<(), String> {
        let (settings, deadline, stall) = (self.settings, self.deadline, self.stall);
        let progress = Progress::new(&self.backup.id);
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
        source_result
    }

    /// The source's outcome once its stream ended: a clean end counts only when the producer
    /// confirms it (a dump tool exited 0).
    async fn source_outcome(
        &self,
        read: Result<(), String>,
        done: Option<BoxFuture<'static, Result<(), String>>>,
    ) -> Result<(), String> {
        let stall = self.stall;
        match (read, done) {
            // dropping `done` stops the producer (a dump tool is killed)
            (Err(error), _) => Err(error),
            (Ok(()), Some(done)) => match tokio::time::timeout(stall, done).await {
                Ok(result) => result,
                Err(_) => Err(format!("the source did not finish within {}s after its end", stall.as_secs())),
            },
            (Ok(()), None) => Ok(()),
        }
    }

    /// Waits for every target's task and makes its row; what a target stored gets its
    /// manifest beside it.
    async fn rows(
        &self,
        tasks: Vec<Task>,
        backup_time: Duration,
        tool: &str,
        (plain_sha256, plain_size): (String, u64),
    ) -> Vec<Row> {
        let mut rows = Vec::new();
        for (target, task) in self.backup.targets.iter().zip(tasks) {
            let written = match task.await {
                Ok(written) => written,
                Err(error) => Err(format!("the target's task failed: {error}")),
            };
            let mut line = self.row(target, None);
            line.backup_time = backup_time;
            match written {
                Ok(done) => {
                    line.stored_as = done.stored_as;
                    line.size = done.size;
                    line.sha256 = done.sha256;
                    line.upload_time = done.finishing;
                    let manifest = self.manifest(target, &line, tool, &plain_sha256, plain_size);
                    if let Err(error) = write_manifest(target, &line.stored_as, &manifest, self.stall).await {
                        line.error = Some(format!(
                            "stored as {}, but its manifest could not be written: {error}",
                            line.stored_as
                        ));
                    }
                }
                Err(error) => line.error = Some(error),
            }
            line.total = self.started.elapsed();
            rows.push(line);
        }
        rows
    }

    /// The manifest of what `line` says a target stored.
    fn manifest(&self, target: &Target, line: &Row, tool: &str, plain_sha256: &str, plain_size: u64) -> Manifest {
        let middlewares =
            self.backup.middlewares.iter().chain(&target.middlewares).map(|m| m.kind().to_owned()).collect();
        Manifest {
            format: manifest::FORMAT.to_owned(),
            backup: self.backup.id.clone(),
            target: target.id.clone(),
            source: self.backup.source.kind().to_owned(),
            source_detail: manifest::describe(&self.backup.source),
            tool: tool.to_owned(),
            middlewares,
            created: self.now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            duration_seconds: self.started.elapsed().as_secs_f64(),
            size: line.size,
            sha256: line.sha256.clone(),
            plain_size,
            plain_sha256: plain_sha256.to_owned(),
            patron_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
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
