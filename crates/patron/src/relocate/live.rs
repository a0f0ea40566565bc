//! The live mode: patron keeps serving during the first copy; its writes are paused through
//! the `read_only` flag in its database only while the tables that changed meanwhile are
//! brought up to date and verified, and resumed when that fails.

use super::schema::{Kind, Table, Value, bind, quoted, read_value};
use super::verify::{checksum_source, checksum_target, select_all, verify};
use super::{Progress, RelocateError, TableReport, failed};
use patron_settings::Settings;
use patron_store::Db;
use sqlx::any::{AnyArguments, AnyConnectOptions};
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr as _;
use std::time::{Duration, Instant};

/// Pauses patron's writes, then brings every table that changed meanwhile up to date from a
/// new snapshot and verifies against that one. Returns how long writes have been paused and
/// how many tables changed; writes stay paused unless this fails.
pub(super) async fn pause_and_sync(
    source_path: &std::path::Path,
    source: &mut sqlx::AnyConnection,
    target: &Db,
    tables: &[Table],
    reports: &mut [TableReport],
    progress: &mut Progress,
) -> Result<(Duration, usize), RelocateError> {
    let started = Instant::now();
    let mut writer = freeze(source_path, progress).await?;
    let synced = async {
        wait_for_running_jobs(&mut writer, progress).await?;
        let mut snapshot = source.begin().await.map_err(failed("starting the last read of the source"))?;
        let changed = sync_changes(&mut snapshot, target, tables, progress).await?;
        let verified = verify(&mut snapshot, target, tables, reports, progress).await;
        snapshot.rollback().await.map_err(failed("ending the last read of the source"))?;
        verified.map(|()| changed)
    }
    .await;
    match synced {
        Ok(changed) => Ok((started.elapsed(), changed)),
        Err(error) => {
            // nothing moved: the site must not stay read-only
            unfreeze_connection(&mut writer).await;
            Err(error)
        }
    }
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
