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

use futures::{StreamExt, TryStreamExt};
use patron_settings::{DatabaseUrl, Settings, StorageUrl};
use patron_storage::{ObjectKey, S3Credentials, Storage};
use patron_store::Db;
use sha2::{Digest, Sha256};
use sqlx::any::{AnyArguments, AnyConnectOptions, AnyRow};
use sqlx::{Arguments, ConnectOptions, Connection, Row};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::str::FromStr as _;
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
/// PostgreSQL takes at most this many parameters in one statement.
const MAX_PARAMETERS: usize = 65_535;

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

/// A column's value, as both databases store patron's portable types.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Text(String),
    Flag(bool),
}

/// How a column is read and written: patron's schema uses only these.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Text,
    Flag,
}

#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
    primary_key: Vec<String>,
}

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

async fn relocate_database(
    source_path: &std::path::Path,
    target_url: &DatabaseUrl,
    options: &Options,
    progress: &mut Progress,
) -> Result<(Vec<TableReport>, Option<(Duration, usize)>), RelocateError> {
    if !source_path.is_file() {
        return Err(RelocateError::Usage(format!("{} does not exist: nothing to relocate", source_path.display())));
    }
    // the source, read only, in one read transaction: one consistent moment of it
    let source_options = AnyConnectOptions::from_str(&format!("sqlite://{}?mode=ro", source_path.display()))
        .map_err(failed("the source database"))?;
    sqlx::any::install_default_drivers();
    let mut source = source_options.connect().await.map_err(failed("opening the source database"))?;
    sqlx::query("PRAGMA busy_timeout = 30000").execute(&mut source).await.map_err(failed("the source"))?;
    let mut snapshot = source.begin().await.map_err(failed("starting a read of the source"))?;

    let target = Db::connect(target_url, 4)
        .await
        .map_err(|e| RelocateError::Failed(format!("connecting to {}: {e}", target_url.redacted())))?;
    let source_versions = migration_versions(&mut snapshot).await?;
    let newest = patron_store::migrate::MIGRATIONS.last().map(|m| m.version);
    if source_versions.last().copied() != newest {
        return Err(RelocateError::Usage(format!(
            "the source database is at migration {:?}, this patron at {newest:?}: start patron once (or run `patron migrate`) so both are the same",
            source_versions.last()
        )));
    }
    progress.step(&format!("applying migrations on {}", target_url.redacted()));
    patron_store::migrate::run(&target)
        .await
        .map_err(|e| RelocateError::Failed(format!("migrating the target: {e}")))?;
    let tables = target_tables(&target).await?;

    // a target with patron data that no relocation put there is refused
    let started_before = checkpoint_table_exists(&target).await?;
    let mut holds_data = Vec::new();
    for table in &tables {
        let rows: i64 = sqlx::query_scalar(sql!("SELECT COUNT(*) FROM {}", quoted(&table.name)))
            .fetch_one(target.pool())
            .await
            .map_err(failed(&table.name))?;
        if rows > 0 {
            holds_data.push(table.name.clone());
        }
    }
    match (started_before, options.resume) {
        (false, _) if !holds_data.is_empty() => {
            return Err(RelocateError::Usage(format!(
                "{} already holds patron data ({}) that no relocation copied; relocate into an empty database",
                target_url.redacted(),
                holds_data.join(", ")
            )));
        }
        (true, false) => {
            return Err(RelocateError::Usage(format!(
                "a relocation into {} was started and did not finish: run again with --resume",
                target_url.redacted()
            )));
        }
        _ => {}
    }
    sqlx::query(sql!(
        "CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (table_name TEXT PRIMARY KEY NOT NULL, last_rowid BIGINT NOT NULL)"
    ))
    .execute(target.pool())
    .await
    .map_err(failed("creating the checkpoint table"))?;

    let mut reports = Vec::new();
    for table in &tables {
        let started = Instant::now();
        let copied = copy_table(&mut snapshot, &target, table, options.batch_rows, progress).await?;
        progress.step(&format!("{}: {copied} rows copied ({:.1}s)", table.name, started.elapsed().as_secs_f64()));
        reports.push(TableReport { name: table.name.clone(), copied, ..TableReport::default() });
    }

    // live: pause patron's writes, then bring every table that changed meanwhile up to date
    // from a new snapshot, and verify against that one
    let mut frozen = None;
    if options.live {
        snapshot.rollback().await.map_err(failed("ending the first read of the source"))?;
        let started = Instant::now();
        let mut writer = freeze(source_path, progress).await?;
        let synced = async {
            wait_for_running_jobs(&mut writer, progress).await?;
            let mut snapshot = source.begin().await.map_err(failed("starting the last read of the source"))?;
            let changed = sync_changes(&mut snapshot, &target, &tables, progress).await?;
            let verified = verify(&mut snapshot, &target, &tables, &mut reports, progress).await;
            snapshot.rollback().await.map_err(failed("ending the last read of the source"))?;
            verified.map(|()| changed)
        }
        .await;
        match synced {
            Ok(changed) => frozen = Some((started.elapsed(), changed)),
            Err(error) => {
                // nothing moved: the site must not stay read-only
                unfreeze_connection(&mut writer).await;
                return Err(error);
            }
        }
    } else {
        verify(&mut snapshot, &target, &tables, &mut reports, progress).await?;
        snapshot.rollback().await.map_err(failed("ending the read of the source"))?;
    }
    if reports.iter().all(|r| r.checksums_match) {
        sqlx::query(sql!("DROP TABLE {CHECKPOINTS}"))
            .execute(target.pool())
            .await
            .map_err(failed("removing the checkpoint table"))?;
    }
    target.close().await;
    Ok((reports, frozen))
}

/// Compares every table's row count and checksum on both sides.
async fn verify(
    snapshot: &mut sqlx::AnyConnection,
    target: &Db,
    tables: &[Table],
    reports: &mut [TableReport],
    progress: &mut Progress,
) -> Result<(), RelocateError> {
    progress.step("verifying: row counts and checksums of every table on both sides");
    for (table, report) in tables.iter().zip(reports.iter_mut()) {
        let (source_rows, source_sum) = checksum_source(&mut *snapshot, table).await?;
        let (target_rows, target_sum) = checksum_target(target, table).await?;
        report.source_rows = source_rows;
        report.target_rows = target_rows;
        report.checksums_match = source_rows == target_rows && source_sum == target_sum;
    }
    Ok(())
}

/// Sets the source's `read_only` flag: within a second every patron process of the install
/// refuses changes and claims no jobs. Returns the connection that set it.
async fn freeze(source_path: &std::path::Path, progress: &mut Progress) -> Result<sqlx::AnyConnection, RelocateError> {
    let options = AnyConnectOptions::from_str(&format!("sqlite://{}?mode=rw", source_path.display()))
        .map_err(failed("the source database"))?;
    let mut writer = options.connect().await.map_err(failed("opening the source to pause its writes"))?;
    sqlx::query("PRAGMA busy_timeout = 30000").execute(&mut writer).await.map_err(failed("the source"))?;
    patron_store::flags::set_read_only(&mut writer, "patron relocate", patron_domain::Timestamp::now())
        .await
        .map_err(|e| RelocateError::Failed(format!("pausing the source's writes: {e}")))?;
    progress.step("writes paused (patron answers changes with 503 and claims no jobs); copying the last changes");
    // every process re-reads its flags each second; a request that began before it saw the
    // flag ends well within this
    tokio::time::sleep(Duration::from_millis(2500)).await;
    Ok(writer)
}

async fn unfreeze_connection(writer: &mut sqlx::AnyConnection) {
    let _ = patron_store::flags::clear_read_only(writer).await;
}

/// Removes the `read_only` flag a live relocation left on the install's current database
/// (to stay on it after all).
pub async fn unfreeze(settings: &Settings) -> Result<bool, RelocateError> {
    let db = Db::connect(&settings.database_url, 1)
        .await
        .map_err(|e| RelocateError::Failed(format!("connecting to {}: {e}", settings.database_url.redacted())))?;
    let deleted = patron_store::flags::clear_read_only(db.pool())
        .await
        .map_err(|e| RelocateError::Failed(format!("resuming writes: {e}")))?;
    db.close().await;
    Ok(deleted)
}

/// Waits until no job is running on the source (jobs started before the pause finish and
/// record it), so none is run again on the target.
async fn wait_for_running_jobs(source: &mut sqlx::AnyConnection, progress: &mut Progress) -> Result<(), RelocateError> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let running: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'running'")
            .fetch_one(&mut *source)
            .await
            .map_err(failed("reading the running jobs"))?;
        if running == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(RelocateError::Failed(format!(
                "{running} jobs were still running two minutes after writes were paused; writes are resumed, try again later"
            )));
        }
        progress.update(|| format!("waiting for {running} running jobs to finish"));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Brings every table whose rows differ up to date: the source's rows upserted, rows the
/// source no longer has deleted. Returns how many tables changed.
async fn sync_changes(
    source: &mut sqlx::AnyConnection,
    target: &Db,
    tables: &[Table],
    progress: &mut Progress,
) -> Result<usize, RelocateError> {
    let mut changed = 0;
    for table in tables {
        if checksum_source(source, table).await? == checksum_target(target, table).await? {
            continue;
        }
        changed += 1;
        let rows =
            sqlx::query(sql!("{}", select_all(table))).fetch_all(&mut *source).await.map_err(failed(&table.name))?;
        let keys: Vec<usize> =
            table.primary_key.iter().filter_map(|key| table.columns.iter().position(|(name, _)| name == key)).collect();
        let mut present = std::collections::HashSet::new();
        let columns: Vec<String> = table.columns.iter().map(|(name, _)| quoted(name)).collect();
        let updates: Vec<String> = table
            .columns
            .iter()
            .filter(|(name, _)| !table.primary_key.contains(name))
            .map(|(name, _)| format!("{0} = EXCLUDED.{0}", quoted(name)))
            .collect();
        let conflict =
            if updates.is_empty() { "DO NOTHING".to_owned() } else { format!("DO UPDATE SET {}", updates.join(", ")) };
        let key_list: Vec<String> = table.primary_key.iter().map(|k| quoted(k)).collect();
        let mut transaction = target.pool().begin().await.map_err(failed("starting the last changes"))?;
        for row in &rows {
            let mut values = Vec::with_capacity(table.columns.len());
            for (index, (_, kind)) in table.columns.iter().enumerate() {
                values.push(read_value(row, index, *kind).map_err(failed(&table.name))?);
            }
            present.insert(key_of(&values, &keys));
            let mut arguments = AnyArguments::default();
            for (value, (_, kind)) in values.iter().zip(&table.columns) {
                bind(&mut arguments, value, *kind)?;
            }
            let placeholders: Vec<String> = (1..=values.len()).map(|n| format!("${n}")).collect();
            let upsert = format!(
                "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) {conflict}",
                quoted(&table.name),
                columns.join(", "),
                placeholders.join(", "),
                key_list.join(", ")
            );
            sqlx::query_with(sqlx::AssertSqlSafe(upsert), arguments)
                .execute(&mut *transaction)
                .await
                .map_err(failed(&table.name))?;
        }
        // rows deleted on the source since the first pass
        let key_select = format!("SELECT {} FROM {}", key_list.join(", "), quoted(&table.name));
        let target_keys = sqlx::query(sqlx::AssertSqlSafe(key_select))
            .fetch_all(&mut *transaction)
            .await
            .map_err(failed(&table.name))?;
        let key_kinds: Vec<Kind> = keys.iter().map(|&index| table.columns[index].1).collect();
        let mut deleted = 0;
        for row in &target_keys {
            let mut values = Vec::with_capacity(key_kinds.len());
            for (index, kind) in key_kinds.iter().enumerate() {
                values.push(read_value(row, index, *kind).map_err(failed(&table.name))?);
            }
            let all: Vec<usize> = (0..values.len()).collect();
            if present.contains(&key_of(&values, &all)) {
                continue;
            }
            let mut arguments = AnyArguments::default();
            for (value, kind) in values.iter().zip(&key_kinds) {
                bind(&mut arguments, value, *kind)?;
            }
            let condition: Vec<String> =
                key_list.iter().enumerate().map(|(n, key)| format!("{key} = ${}", n + 1)).collect();
            let delete = format!("DELETE FROM {} WHERE {}", quoted(&table.name), condition.join(" AND "));
            sqlx::query_with(sqlx::AssertSqlSafe(delete), arguments)
                .execute(&mut *transaction)
                .await
                .map_err(failed(&table.name))?;
            deleted += 1;
        }
        transaction.commit().await.map_err(failed("committing the last changes"))?;
        progress.step(&format!("{}: brought up to date ({} rows, {deleted} deleted)", table.name, rows.len()));
    }
    Ok(changed)
}

/// A row's primary key as one comparable text.
fn key_of(values: &[Value], keys: &[usize]) -> String {
    keys.iter().map(|&index| format!("{:?}", values[index])).collect::<Vec<_>>().join("\u{1f}")
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn migration_versions(connection: &mut sqlx::AnyConnection) -> Result<Vec<i64>, RelocateError> {
    sqlx::query_scalar("SELECT version FROM patron_migrations ORDER BY version")
        .fetch_all(connection)
        .await
        .map_err(|e| RelocateError::Usage(format!("the source is not a patron database: {e}")))
}

async fn checkpoint_table_exists(target: &Db) -> Result<bool, RelocateError> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1",
    )
    .bind(CHECKPOINTS)
    .fetch_optional(target.pool())
    .await
    .map_err(failed("reading the target's tables"))?;
    Ok(found.is_some())
}

/// patron's tables on the target with their columns' kinds and primary keys, parents before
/// the tables that refer to them.
async fn target_tables(target: &Db) -> Result<Vec<Table>, RelocateError> {
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
    )
    .fetch_all(target.pool())
    .await
    .map_err(failed("reading the target's columns"))?;
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT tc.table_name::text, kcu.column_name::text FROM information_schema.table_constraints tc \
         JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name \
           AND kcu.table_schema = tc.table_schema AND kcu.table_name = tc.table_name \
         WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema() \
         ORDER BY tc.table_name, kcu.ordinal_position",
    )
    .fetch_all(target.pool())
    .await
    .map_err(failed("reading the target's keys"))?;
    let references: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT tc.table_name::text, ccu.table_name::text FROM information_schema.table_constraints tc \
         JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name \
           AND ccu.constraint_schema = tc.constraint_schema \
         WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()",
    )
    .fetch_all(target.pool())
    .await
    .map_err(failed("reading the target's foreign keys"))?;

    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for (table, column, data_type) in columns {
        // the install's own switches (read-only while this runs) do not move
        if table == "patron_migrations" || table == CHECKPOINTS || table == "patron_flags" {
            continue;
        }
        let kind = match data_type.as_str() {
            "text" | "character varying" => Kind::Text,
            "bigint" | "integer" | "smallint" => Kind::Int,
            "boolean" => Kind::Flag,
            other => {
                return Err(RelocateError::Failed(format!(
                    "{table}.{column} has the type {other}, which relocate does not know"
                )));
            }
        };
        tables
            .entry(table.clone())
            .or_insert_with(|| Table { name: table, columns: Vec::new(), primary_key: Vec::new() })
            .columns
            .push((column, kind));
    }
    for (table, column) in keys {
        if let Some(table) = tables.get_mut(&table) {
            table.primary_key.push(column);
        }
    }
    // parents first: repeatedly take the tables whose references are all placed
    let mut placed: Vec<Table> = Vec::new();
    while !tables.is_empty() {
        let ready: Vec<String> = tables
            .keys()
            .filter(|name| {
                references
                    .iter()
                    .filter(|(child, parent)| child == *name && parent != *name)
                    .all(|(_, parent)| placed.iter().any(|t| &t.name == parent) || !tables.contains_key(parent))
            })
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(RelocateError::Failed(format!(
                "the tables {} refer to each other in a cycle",
                tables.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        for name in ready {
            if let Some(table) = tables.remove(&name) {
                placed.push(table);
            }
        }
    }
    Ok(placed)
}

fn read_value(row: &AnyRow, index: usize, kind: Kind) -> Result<Value, sqlx::Error> {
    Ok(match kind {
        Kind::Text => row.try_get::<Option<String>, _>(index)?.map_or(Value::Null, Value::Text),
        Kind::Int => row.try_get::<Option<i64>, _>(index)?.map_or(Value::Null, Value::Int),
        Kind::Flag => match row.try_get::<Option<bool>, _>(index) {
            Ok(flag) => flag.map_or(Value::Null, Value::Flag),
            // SQLite keeps flags as INTEGER 0/1
            Err(_) => row.try_get::<Option<i64>, _>(index)?.map_or(Value::Null, |n| Value::Flag(n != 0)),
        },
    })
}

fn bind(arguments: &mut AnyArguments, value: &Value, kind: Kind) -> Result<(), RelocateError> {
    let added = match (value, kind) {
        (Value::Null, Kind::Text) => arguments.add(None::<String>),
        (Value::Null, Kind::Int) => arguments.add(None::<i64>),
        (Value::Null, Kind::Flag) => arguments.add(None::<bool>),
        (Value::Int(n), _) => arguments.add(*n),
        (Value::Text(text), _) => arguments.add(text.clone()),
        (Value::Flag(flag), _) => arguments.add(*flag),
    };
    added.map_err(|e| RelocateError::Failed(format!("binding a value: {e}")))
}

/// Copies the rows of one table after its checkpoint, batch by batch; returns how many rows
/// this run copied.
async fn copy_table(
    source: &mut sqlx::AnyConnection,
    target: &Db,
    table: &Table,
    batch_rows: usize,
    progress: &mut Progress,
) -> Result<u64, RelocateError> {
    let columns: Vec<String> = table.columns.iter().map(|(name, _)| quoted(name)).collect();
    let batch = batch_rows.clamp(1, MAX_PARAMETERS / table.columns.len().max(1));
    let mut last: i64 = sqlx::query_scalar(sql!("SELECT last_rowid FROM {CHECKPOINTS} WHERE table_name = $1"))
        .bind(&table.name)
        .fetch_optional(target.pool())
        .await
        .map_err(failed("reading the checkpoint"))?
        .unwrap_or(0);
    let select = format!(
        "SELECT rowid, {} FROM {} WHERE rowid > $1 ORDER BY rowid LIMIT $2",
        columns.join(", "),
        quoted(&table.name)
    );
    let mut copied = 0u64;
    loop {
        let rows = sqlx::query(sqlx::AssertSqlSafe(select.clone()))
            .bind(last)
            .bind(i64::try_from(batch).unwrap_or(i64::MAX))
            .fetch_all(&mut *source)
            .await
            .map_err(failed(&table.name))?;
        let Some(last_row) = rows.last() else { break };
        let next_last: i64 = last_row.try_get(0).map_err(failed(&table.name))?;
        let mut arguments = AnyArguments::default();
        let mut groups = Vec::with_capacity(rows.len());
        let mut parameter = 0;
        for row in &rows {
            let mut placeholders = Vec::with_capacity(table.columns.len());
            for (index, (_, kind)) in table.columns.iter().enumerate() {
                let value = read_value(row, index + 1, *kind).map_err(failed(&table.name))?;
                bind(&mut arguments, &value, *kind)?;
                parameter += 1;
                placeholders.push(format!("${parameter}"));
            }
            groups.push(format!("({})", placeholders.join(", ")));
        }
        let insert = format!(
            "INSERT INTO {} ({}) VALUES {} ON CONFLICT DO NOTHING",
            quoted(&table.name),
            columns.join(", "),
            groups.join(", ")
        );
        // the rows and the checkpoint commit together: a run killed anywhere resumes exactly
        let mut transaction = target.pool().begin().await.map_err(failed("starting a batch"))?;
        sqlx::query_with(sqlx::AssertSqlSafe(insert), arguments)
            .execute(&mut *transaction)
            .await
            .map_err(failed(&table.name))?;
        sqlx::query(sql!(
            "INSERT INTO {CHECKPOINTS} (table_name, last_rowid) VALUES ($1, $2) \
             ON CONFLICT (table_name) DO UPDATE SET last_rowid = EXCLUDED.last_rowid"
        ))
        .bind(&table.name)
        .bind(next_last)
        .execute(&mut *transaction)
        .await
        .map_err(failed("writing the checkpoint"))?;
        transaction.commit().await.map_err(failed("committing a batch"))?;
        copied += rows.len() as u64;
        last = next_last;
        progress.update(|| format!("{}: {copied} rows", table.name));
    }
    Ok(copied)
}

/// An order-independent digest of a table's rows: the wrapping sum of a SHA-256 prefix of each
/// row's values, encoded the same way whichever database they came from.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct RowSum(u128);

impl RowSum {
    fn add(&mut self, values: &[Value]) {
        let mut hasher = Sha256::new();
        for value in values {
            match value {
                Value::Null => hasher.update(b"N;"),
                Value::Int(n) => hasher.update(format!("I{n};").as_bytes()),
                Value::Text(text) => {
                    hasher.update(format!("T{}:", text.len()).as_bytes());
                    hasher.update(text.as_bytes());
                    hasher.update(b";");
                }
                Value::Flag(flag) => hasher.update(if *flag { b"B1;" } else { b"B0;" }),
            }
        }
        let digest = hasher.finalize();
        let mut prefix = [0u8; 16];
        prefix.copy_from_slice(&digest[..16]);
        self.0 = self.0.wrapping_add(u128::from_le_bytes(prefix));
    }
}

async fn checksum_rows<'c, E>(executor: E, sql: &str, table: &Table) -> Result<(u64, RowSum), RelocateError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch(executor);
    let (mut count, mut sum) = (0u64, RowSum::default());
    let mut values = Vec::with_capacity(table.columns.len());
    while let Some(row) = rows.try_next().await.map_err(failed(&table.name))? {
        values.clear();
        for (index, (_, kind)) in table.columns.iter().enumerate() {
            values.push(read_value(&row, index, *kind).map_err(failed(&table.name))?);
        }
        sum.add(&values);
        count += 1;
    }
    Ok((count, sum))
}

fn select_all(table: &Table) -> String {
    let columns: Vec<String> = table.columns.iter().map(|(name, _)| quoted(name)).collect();
    format!("SELECT {} FROM {}", columns.join(", "), quoted(&table.name))
}

async fn checksum_source(source: &mut sqlx::AnyConnection, table: &Table) -> Result<(u64, RowSum), RelocateError> {
    checksum_rows(&mut *source, &select_all(table), table).await
}

async fn checksum_target(target: &Db, table: &Table) -> Result<(u64, RowSum), RelocateError> {
    checksum_rows(target.pool(), &select_all(table), table).await
}

/// Copies every object of the current storage to the target (skipping those already there
/// with the same size), then compares sizes and SHA-256 of all of them.
async fn relocate_objects(
    settings: &Settings,
    target_url: &StorageUrl,
    options: &Options,
    progress: &mut Progress,
) -> Result<ObjectReport, RelocateError> {
    let source = Storage::from_settings(settings)
        .map_err(|e| RelocateError::Failed(format!("opening the current storage: {e}")))?;
    let credentials = S3Credentials {
        access_key_id: settings.s3_access_key_id.clone(),
        secret_access_key: settings.s3_secret_access_key.clone(),
    };
    let target = Storage::open(target_url, &credentials)
        .map_err(|e| RelocateError::Usage(format!("--to-storage {}: {e}", target_url.display())))?;
    let mut objects = source.list_in(None).await.map_err(|e| RelocateError::Failed(format!("listing: {e}")))?;
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    let existing = sizes(&target).await?;
    progress.step(&format!(
        "copying {} objects ({} MiB) to {}",
        objects.len(),
        objects.iter().map(|o| o.size).sum::<u64>() / (1024 * 1024),
        target.describe()
    ));
    let mut report = ObjectReport { source_objects: objects.len() as u64, ..ObjectReport::default() };
    let pending: Vec<_> = objects.iter().filter(|o| existing.get(&o.key) != Some(&o.size)).cloned().collect();
    report.skipped = (objects.len() - pending.len()) as u64;
    let mut copies = futures::stream::iter(pending.into_iter().map(|object| {
        let (source, target) = (source.clone(), target.clone());
        async move { copy_object(&source, &target, &object.key).await.map(|bytes| (object.key, bytes)) }
    }))
    .buffer_unordered(options.parallel.max(1));
    while let Some(copied) = copies.next().await {
        let (_, bytes) = copied?;
        report.copied += 1;
        report.bytes += bytes;
        progress.update(|| format!("objects: {} copied, {} MiB", report.copied, report.bytes / (1024 * 1024)));
    }
    drop(copies);
    progress.step(&format!("objects: {} copied, {} already there; verifying", report.copied, report.skipped));

    let on_target = sizes(&target).await?;
    report.target_objects = objects.iter().filter(|o| on_target.contains_key(&o.key)).count() as u64;
    let mut checks = futures::stream::iter(objects.iter().map(|object| {
        let (source, target, size) = (source.clone(), target.clone(), on_target.get(&object.key).copied());
        async move {
            if size != Some(object.size) {
                return Ok::<_, RelocateError>(Some(object.key.clone()));
            }
            let (left, right) = tokio::try_join!(digest(&source, &object.key), digest(&target, &object.key))?;
            Ok((left != right).then(|| object.key.clone()))
        }
    }))
    .buffer_unordered(options.parallel.max(1));
    while let Some(checked) = checks.next().await {
        if let Some(key) = checked? {
            report.differing.push(key);
        }
    }
    report.differing.sort();
    Ok(report)
}

/// Every object of a storage with its size.
async fn sizes(storage: &Storage) -> Result<BTreeMap<String, u64>, RelocateError> {
    let listed = storage
        .list_in(None)
        .await
        .map_err(|e| RelocateError::Failed(format!("listing {}: {e}", storage.describe())))?;
    Ok(listed.into_iter().map(|o| (o.key, o.size)).collect())
}

/// One object, to be read as a stream.
async fn open_object(storage: &Storage, key: &str) -> Result<patron_storage::ObjectRead, RelocateError> {
    let object = ObjectKey::new(key.to_owned()).map_err(|e| RelocateError::Failed(format!("{key}: {e}")))?;
    storage.read(&object, None).await.map_err(|e| RelocateError::Failed(format!("reading {key}: {e}")))
}

async fn copy_object(source: &Storage, target: &Storage, key: &str) -> Result<u64, RelocateError> {
    let object = ObjectKey::new(key.to_owned()).map_err(|e| RelocateError::Failed(format!("{key}: {e}")))?;
    let mut stream = open_object(source, key).await?.stream;
    let first = stream.try_next().await.map_err(|e| RelocateError::Failed(format!("reading {key}: {e}")))?;
    let content_type =
        first.as_deref().and_then(infer::get).map_or("application/octet-stream", |kind| kind.mime_type());
    let mut upload =
        target.upload(&object, content_type).await.map_err(|e| RelocateError::Failed(format!("writing {key}: {e}")))?;
    let mut bytes = 0u64;
    let mut next = first;
    let result: Result<(), String> = async {
        while let Some(chunk) = next {
            upload.write(&chunk).await.map_err(|e| format!("writing {key}: {e}"))?;
            bytes += chunk.len() as u64;
            next = stream.try_next().await.map_err(|e| format!("reading {key}: {e}"))?;
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            upload.finish().await.map_err(|e| RelocateError::Failed(format!("completing {key}: {e}")))?;
            Ok(bytes)
        }
        Err(error) => {
            let _ = upload.abort().await;
            Err(RelocateError::Failed(error))
        }
    }
}

async fn digest(storage: &Storage, key: &str) -> Result<[u8; 32], RelocateError> {
    let mut stream = open_object(storage, key).await?.stream;
    let mut hasher = Sha256::new();
    while let Some(chunk) = stream.try_next().await.map_err(|e| RelocateError::Failed(format!("reading {key}: {e}")))? {
        hasher.update(&chunk);
    }
    Ok(hasher.finalize().into())
}

fn rate(amount: f64, time: Duration) -> f64 {
    amount / time.as_secs_f64().max(0.001)
}

/// The summary: one line per table, the objects, the throughput, and what to run next.
pub fn summary(report: &Report, settings: &Settings, options: &Options) -> String {
    let mut out = String::new();
    if !report.tables.is_empty() {
        let width = report.tables.iter().map(|t| t.name.len()).max().unwrap_or(5).max(5);
        out.push_str(&format!(
            "{:<width$}  {:>11}  {:>11}  {:>11}  CHECK\n",
            "TABLE", "COPIED", "SOURCE ROWS", "TARGET ROWS"
        ));
        for table in &report.tables {
            let check = if table.checksums_match { "OK" } else { "DIFFERENT" };
            out.push_str(&format!(
                "{:<width$}  {:>11}  {:>11}  {:>11}  {check}\n",
                table.name, table.copied, table.source_rows, table.target_rows
            ));
        }
        out.push_str(&format!(
            "database: {} rows copied in {:.1}s ({:.0} rows/s)\n",
            report.rows_copied,
            report.database_time.as_secs_f64(),
            rate(report.rows_copied as f64, report.database_time)
        ));
    }
    if let Some(objects) = &report.objects {
        out.push_str(&format!(
            "objects: {} copied ({:.1} MiB), {} already there, {} of {} on the target, {} different; {:.1}s ({:.1} MiB/s)\n",
            objects.copied,
            objects.bytes as f64 / 1_048_576.0,
            objects.skipped,
            objects.target_objects,
            objects.source_objects,
            objects.differing.len(),
            report.objects_time.as_secs_f64(),
            rate(objects.bytes as f64 / 1_048_576.0, report.objects_time)
        ));
        for key in objects.differing.iter().take(20) {
            out.push_str(&format!("  different or missing: {key}\n"));
        }
    }
    if let Some((paused, changed)) = report.frozen {
        out.push_str(&format!(
            "writes were paused for {:.1}s ({changed} tables changed while the first copy ran)\n",
            paused.as_secs_f64()
        ));
    }
    if !report.verified() {
        out.push_str("\nNOT VERIFIED: the target differs from the source (above). Run again with --resume.\n");
        return out;
    }
    out.push_str("\nVerified: the target holds exactly what the source holds.\n");
    if report.frozen.is_some() {
        out.push_str(
            "patron on the old database stays read-only: restart it with the settings below \
             (or `patron relocate --unfreeze` to stay where it is).\n",
        );
    }
    out.push_str("\nFrom now on, run patron with:\n");
    let mut env = Vec::new();
    if let Some(url) = &options.to_database
        && let Ok(parsed) = DatabaseUrl::parse(url)
    {
        env.push(format!("PATRON_DATABASE_URL={}", parsed.redacted()));
        let key = settings.data_dir.join("secret.key");
        if settings.secret_key.is_none() {
            env.push(format!(
                "PATRON_SECRET_KEY_FILE={}   (the same key keeps sessions and signed links valid; required with PostgreSQL)",
                key.display()
            ));
        } else {
            env.push("PATRON_SECRET_KEY=(unchanged)".to_owned());
        }
    }
    if let Some(url) = &options.to_storage
        && let Ok(parsed) = StorageUrl::parse(url)
    {
        env.push(format!("PATRON_STORAGE_URL={url}"));
        if matches!(parsed, StorageUrl::S3 { .. }) {
            env.push("PATRON_S3_ACCESS_KEY_ID, PATRON_S3_SECRET_ACCESS_KEY=(as for this run)".to_owned());
        }
    }
    for line in &env {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str("\nor in the Helm chart's values (deploy/helm/patron):\n");
    if options.to_database.is_some() {
        out.push_str("  secrets:\n    databaseUrl: {existingSecret: patron-secrets, key: database-url}\n");
        out.push_str(
            "    secretKey: {existingSecret: patron-secrets, key: secret-key}   # the content of secret.key\n",
        );
    }
    if let Some(url) = &options.to_storage {
        out.push_str(&format!("  config:\n    storageUrl: {url:?}\n"));
    }
    out
}
