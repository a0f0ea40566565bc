//! `patron relocate`: moves a one-server install — its embedded SQLite database and its media
//! folder — to PostgreSQL and S3, and proves the copy equal.
//!
//! The database is read in one read transaction (a consistent snapshot, while patron may keep
//! serving) and copied table by table in foreign-key order, in batches by SQLite's rowid; each
//! batch and a checkpoint of how far the table got commit together on the target, so a copy
//! interrupted at any point (Ctrl-C, a killed process, a lost connection) continues with
//! `--resume` without duplicating or losing a row. Objects are copied with their keys and a
//! content type read from their first bytes; one already on the target with the same size is
//! skipped. Afterwards every table's row count and an order-independent checksum of its rows
//! (computed the same way on both sides) and every object's size and SHA-256 are compared.
//! The source is never written to.

use database::relocate_database;
use objects::relocate_objects;
use patron_settings::{DatabaseUrl, Settings, StorageUrl};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// What to move where.
#[derive(Debug, Clone)]
pub struct Options {
    /// A `postgres://` URL; the database stays where it is when `None`.
    pub to_database: Option<String>,
    /// A storage URL (`s3://bucket/prefix?endpoint=…`); the objects stay when `None`.
    pub to_storage: Option<String>,
    /// Continue a relocation that was interrupted.
    pub resume: bool,
    /// Rows per batch (one transaction on the target each).
    pub batch_rows: usize,
    /// Objects copied at the same time.
    pub parallel: usize,
    /// Copy while patron keeps serving, then pause its writes only for the last changes.
    pub live: bool,
}

/// The checkpoint table on the target; removed once the copy is verified.
const CHECKPOINTS: &str = "patron_relocation";

/// Why a relocation stopped.
#[derive(Debug, thiserror::Error)]
pub enum RelocateError {
    /// The command line or the settings ask for something that cannot work.
    #[error("{0}")]
    Usage(String),
    /// Something failed while copying; what was copied stays, `--resume` continues.
    #[error("{0}")]
    Failed(String),
}

impl RelocateError {
    /// The exit code: 2 for a request that cannot work, 1 for a failure on the way.
    pub fn exit_code(&self) -> u8 {
        match self {
            RelocateError::Usage(_) => 2,
            RelocateError::Failed(_) => 1,
        }
    }
}

/// A statement built from names patron's own schema holds (quoted), never from input.
macro_rules! sql {
    ($($part:tt)*) => {
        sqlx::AssertSqlSafe(format!($($part)*))
    };
}

fn failed(context: &str) -> impl Fn(sqlx::Error) -> RelocateError + '_ {
    move |error| RelocateError::Failed(format!("{context}: {error}"))
}

mod database;
mod live;
mod objects;
mod schema;
mod summary;
mod verify;

pub use live::unfreeze;
pub use summary::summary;

/// One table's outcome.
#[derive(Debug, Clone, Default)]
pub struct TableReport {
    pub name: String,
    pub copied: u64,
    pub source_rows: u64,
    pub target_rows: u64,
    pub checksums_match: bool,
}

/// The objects' outcome.
#[derive(Debug, Clone, Default)]
pub struct ObjectReport {
    pub copied: u64,
    pub skipped: u64,
    pub bytes: u64,
    pub source_objects: u64,
    pub target_objects: u64,
    /// Keys whose size or SHA-256 differs on the target, or that are missing there.
    pub differing: Vec<String>,
}

/// What a relocation did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub tables: Vec<TableReport>,
    /// With `--live`: how long writes were paused, and how many tables the last pass changed.
    pub frozen: Option<(Duration, usize)>,
    pub rows_copied: u64,
    pub database_time: Duration,
    pub objects: Option<ObjectReport>,
    pub objects_time: Duration,
}

impl Report {
    /// Whether every table and object on the target equals the source.
    pub fn verified(&self) -> bool {
        self.tables.iter().all(|t| t.checksums_match && t.source_rows == t.target_rows)
            && self.objects.as_ref().is_none_or(|o| o.differing.is_empty() && o.source_objects <= o.target_objects)
    }
}

/// Progress on stderr: a line per step; on a terminal, a line that updates while a table or
/// the objects are copied.
struct Progress {
    terminal: bool,
    last: Instant,
}

impl Progress {
    fn new() -> Self {
        Progress { terminal: std::io::stderr().is_terminal(), last: Instant::now() }
    }

    fn step(&mut self, message: &str) {
        if self.terminal {
            eprint!("\r\x1b[2K");
        }
        eprintln!("relocate: {message}");
    }

    fn update(&mut self, message: impl FnOnce() -> String) {
        if self.terminal && self.last.elapsed() >= Duration::from_millis(200) {
            self.last = Instant::now();
            eprint!("\r\x1b[2Krelocate: {}", message());
        }
    }
}

/// Moves the install `settings` describe to the targets `options` name.
pub async fn run(settings: &Settings, options: &Options) -> Result<Report, RelocateError> {
    if options.to_database.is_none() && options.to_storage.is_none() {
        return Err(RelocateError::Usage("give --to-database, --to-storage or both".to_owned()));
    }
    let target_database = match &options.to_database {
        None => None,
        Some(url) => match DatabaseUrl::parse(url) {
            Ok(DatabaseUrl::Postgres(url)) => Some(DatabaseUrl::Postgres(url)),
            Ok(DatabaseUrl::Sqlite { .. }) => {
                return Err(RelocateError::Usage("--to-database: the target must be postgres://".to_owned()));
            }
            Err(error) => return Err(RelocateError::Usage(format!("--to-database: {error}"))),
        },
    };
    let target_storage = match &options.to_storage {
        None => None,
        Some(url) => Some(StorageUrl::parse(url).map_err(|e| RelocateError::Usage(format!("--to-storage: {e}")))?),
    };
    if target_storage.as_ref().is_some_and(|target| *target == settings.storage_url) {
        return Err(RelocateError::Usage("--to-storage is the storage patron uses now".to_owned()));
    }
    let mut progress = Progress::new();
    let mut report = Report::default();
    // live: a first pass over the objects while patron serves; the second, while writes are
    // paused, only copies what arrived since
    if options.live
        && let Some(target) = &target_storage
    {
        progress.step("objects, first pass (patron keeps serving)");
        relocate_objects(settings, target, options, &mut progress).await?;
    }
    let result =
        relocate_all(settings, options, target_database.as_ref(), target_storage.as_ref(), &mut report, &mut progress)
            .await;
    // a live relocation that did not end verified must not leave the site read-only
    if report.frozen.is_some() && (result.is_err() || !report.verified()) {
        match unfreeze(settings).await {
            Ok(_) => progress.step("writes resumed on the current database: the relocation did not end verified"),
            Err(error) => {
                progress.step(&format!("could not resume writes ({error}): run `patron relocate --unfreeze`"))
            }
        }
        report.frozen = None;
    }
    result.map(|()| report)
}

async fn relocate_all(
    settings: &Settings,
    options: &Options,
    target_database: Option<&DatabaseUrl>,
    target_storage: Option<&StorageUrl>,
    report: &mut Report,
    progress: &mut Progress,
) -> Result<(), RelocateError> {
    if let Some(target) = target_database {
        let DatabaseUrl::Sqlite { path } = &settings.database_url else {
            return Err(RelocateError::Usage(
                "the database is already PostgreSQL (PATRON_DATABASE_URL); relocate moves an embedded SQLite one"
                    .to_owned(),
            ));
        };
        let started = Instant::now();
        (report.tables, report.frozen) = relocate_database(path, target, options, progress).await?;
        report.rows_copied = report.tables.iter().map(|t| t.copied).sum();
        report.database_time = started.elapsed();
    }
    if let Some(target) = target_storage {
        let started = Instant::now();
        report.objects = Some(relocate_objects(settings, target, options, progress).await?);
        report.objects_time = started.elapsed();
        // the objects' last pass ran while writes were paused, too
        if let Some((paused, _)) = report.frozen.as_mut() {
            *paused += report.objects_time;
        }
    }
    Ok(())
}
