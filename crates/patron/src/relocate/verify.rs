//! Verification: every table's row count and an order-independent checksum of its rows,
//! computed the same way on both sides.

use super::schema::{Table, Value, quoted, read_value};
use super::{Progress, RelocateError, TableReport, failed};
use futures::TryStreamExt;
use patron_store::Db;
use sha2::{Digest, Sha256};

/// Compares every table's row count and checksum on both sides.
pub(super) async fn verify(
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

/// An order-independent digest of a table's rows: the wrapping sum of a SHA-256 prefix of each
/// row's values, encoded the same way whichever database they came from.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct RowSum(u128);

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

pub(super) fn select_all(table: &Table) -> String {
    let columns: Vec<String> = table.columns.iter().map(|(name, _)| quoted(name)).collect();
    format!("SELECT {} FROM {}", columns.join(", "), quoted(&table.name))
}

pub(super) async fn checksum_source(
    source: &mut sqlx::AnyConnection,
    table: &Table,
) -> Result<(u64, RowSum), RelocateError> {
    checksum_rows(&mut *source, &select_all(table), table).await
}

pub(super) async fn checksum_target(target: &Db, table: &Table) -> Result<(u64, RowSum), RelocateError> {
    checksum_rows(target.pool(), &select_all(table), table).await
}
