//! The database copy: one consistent snapshot of the source, copied table by table in
//! foreign-key order, in batches that commit together with their checkpoint.

use super::live::pause_and_sync;
use super::schema::{Table, bind, quoted, read_value, target_tables};
use super::verify::verify;
use super::{CHECKPOINTS, Options, Progress, RelocateError, TableReport, failed};
use patron_settings::DatabaseUrl;
use patron_store::Db;
use sqlx::any::{AnyArguments, AnyConnectOptions};
use sqlx::{ConnectOptions, Connection, Row};
use std::str::FromStr as _;
use std::time::{Duration, Instant};

/// PostgreSQL takes at most this many parameters in one statement.
const MAX_PARAMETERS: usize = 65_535;

/// Copies the SQLite database at `source_path` into the (empty, or partly copied with
/// `--resume`) PostgreSQL database at `target_url` and verifies it; with `--live`, also the
/// changes made while it copied. Returns one report per table and, with `--live`, how long
/// writes were paused and how many tables changed meanwhile.
pub(super) async fn relocate_database(
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
    let tables = prepare_target(&mut snapshot, &target, target_url, options, progress).await?;
    let mut reports = copy_tables(&mut snapshot, &target, &tables, options.batch_rows, progress).await?;

    // live: pause patron's writes, then bring every table that changed meanwhile up to date
    // from a new snapshot, and verify against that one
    let mut frozen = None;
    if options.live {
        snapshot.rollback().await.map_err(failed("ending the first read of the source"))?;
        frozen = Some(pause_and_sync(source_path, &mut source, &target, &tables, &mut reports, progress).await?);
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

/// Checks that the source and this patron are at the same migration, migrates the target and
/// makes sure it holds no data but a relocation's; returns the tables to copy.
async fn prepare_target(
    snapshot: &mut sqlx::AnyConnection,
    target: &Db,
    target_url: &DatabaseUrl,
    options: &Options,
    progress: &mut Progress,
) -> Result<Vec<Table>, RelocateError> {
    let source_versions = migration_versions(snapshot).await?;
    let newest = patron_store::migrate::MIGRATIONS.last().map(|m| m.version);
    if source_versions.last().copied() != newest {
        return Err(RelocateError::Usage(format!(
            "the source database is at migration {:?}, this patron at {newest:?}: start patron once (or run `patron migrate`) so both are the same",
            source_versions.last()
        )));
    }
    progress.step(&format!("applying migrations on {}", target_url.redacted()));
    patron_store::migrate::run(target)
        .await
        .map_err(|e| RelocateError::Failed(format!("migrating the target: {e}")))?;
    let tables = target_tables(target).await?;

    refuse_foreign_data(target, &tables, target_url, options.resume).await?;
    sqlx::query(sql!(
        "CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (table_name TEXT PRIMARY KEY NOT NULL, last_rowid BIGINT NOT NULL)"
    ))
    .execute(target.pool())
    .await
    .map_err(failed("creating the checkpoint table"))?;
    Ok(tables)
}

/// A target with patron data that no relocation put there is refused, and so is one where a
/// relocation started unless it is resumed.
async fn refuse_foreign_data(
    target: &Db,
    tables: &[Table],
    target_url: &DatabaseUrl,
    resume: bool,
) -> Result<(), RelocateError> {
    let started_before = checkpoint_table_exists(target).await?;
    let mut holds_data = Vec::new();
    for table in tables {
        let rows: i64 = sqlx::query_scalar(sql!("SELECT COUNT(*) FROM {}", quoted(&table.name)))
            .fetch_one(target.pool())
            .await
            .map_err(failed(&table.name))?;
        if rows > 0 {
            holds_data.push(table.name.clone());
        }
    }
    match (started_before, resume) {
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
    Ok(())
}

/// Copies every table in order; one report per table with the rows this run copied.
async fn copy_tables(
    snapshot: &mut sqlx::AnyConnection,
    target: &Db,
    tables: &[Table],
    batch_rows: usize,
    progress: &mut Progress,
) -> Result<Vec<TableReport>, RelocateError> {
    let mut reports = Vec::new();
    for table in tables {
        let started = Instant::now();
        let copied = copy_table(&mut *snapshot, target, table, batch_rows, progress).await?;
        progress.step(&format!("{}: {copied} rows copied ({:.1}s)", table.name, started.elapsed().as_secs_f64()));
        reports.push(TableReport { name: table.name.clone(), copied, ..TableReport::default() });
    }
    Ok(reports)
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
