//! Reading values whose representation differs between the two backends, and the portable
//! column types (TEXT ids, BIGINT microsecond times).

use crate::StoreError;
use patron_domain::{Id, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A boolean column: BOOLEAN on PostgreSQL, INTEGER 0/1 on SQLite.
pub(crate) fn flag(row: &AnyRow, column: &str) -> Result<bool, StoreError> {
    match row.try_get::<bool, _>(column) {
        Ok(value) => Ok(value),
        Err(_) => Ok(row.try_get::<i64, _>(column)? != 0),
    }
}

/// An id column (TEXT).
pub(crate) fn id(row: &AnyRow, column: &str) -> Result<Id, StoreError> {
    let text: String = row.try_get(column)?;
    text.parse().map_err(|_| StoreError::Corrupt(format!("{column} {text:?} is not an id")))
}

/// A nullable id column.
pub(crate) fn opt_id(row: &AnyRow, column: &str) -> Result<Option<Id>, StoreError> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| t.parse().map_err(|_| StoreError::Corrupt(format!("{column} {t:?} is not an id")))).transpose()
}

/// A time column (BIGINT microseconds).
pub(crate) fn time(row: &AnyRow, column: &str) -> Result<Timestamp, StoreError> {
    Ok(Timestamp::from_micros(row.try_get(column)?))
}

/// A nullable time column.
pub(crate) fn opt_time(row: &AnyRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(Timestamp::from_micros))
}
