//! The only way this crate sends SQL. Each builder here records one statement for
//! [`crate::count_statements`] before handing back sqlx's own builder, so a query cannot
//! reach the database uncounted; `clippy.toml` forbids calling sqlx's builders anywhere else.
// This module is where the crate's rule against sqlx's builders does not apply.
#![allow(clippy::disallowed_methods)]

use crate::Database;
use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{FromRow, RawSql, SqlSafeStr};

/// A statement that yields rows or a result (counted).
pub(crate) fn query<'q>(sql: impl SqlSafeStr) -> Query<'q, Database, AnyArguments> {
    crate::count::statement();
    sqlx::query(sql)
}

/// A statement whose rows are read into `O` (counted).
pub(crate) fn query_as<'q, O>(sql: impl SqlSafeStr) -> QueryAs<'q, Database, O, AnyArguments>
where
    O: for<'r> FromRow<'r, sqlx::any::AnyRow>,
{
    crate::count::statement();
    sqlx::query_as(sql)
}

/// A statement whose rows are read as the single value of their first column (counted).
pub(crate) fn query_scalar<'q, O>(sql: impl SqlSafeStr) -> QueryScalar<'q, Database, O, AnyArguments>
where
    (O,): for<'r> FromRow<'r, sqlx::any::AnyRow>,
{
    crate::count::statement();
    sqlx::query_scalar(sql)
}

/// A script of several statements sent unprepared, as migrations are (counted once).
pub(crate) fn raw_sql(sql: impl SqlSafeStr) -> RawSql {
    crate::count::statement();
    sqlx::raw_sql(sql)
}

/// A statement that configures a connection as it opens (SQLite's pragmas). Deliberately not
/// counted: the pool opens connections inside whichever request happens to need one, so
/// counting them would make a route's statement count depend on the pool's state instead of
/// on what the route asks of the database.
pub(crate) fn connection_setup(sql: &'static str) -> Query<'static, Database, AnyArguments> {
    sqlx::query(sql)
}
