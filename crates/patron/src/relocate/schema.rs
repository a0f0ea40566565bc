//! patron's tables as the target's schema describes them (columns, primary keys, the order
//! foreign keys require), and their values as both databases hold them.

use super::{CHECKPOINTS, RelocateError, failed};
use patron_store::Db;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Arguments, Row};
use std::collections::BTreeMap;

/// A column's value, as both databases store patron's portable types.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Null,
    Int(i64),
    Text(String),
    Flag(bool),
}

/// How a column is read and written: patron's schema uses only these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Int,
    Text,
    Flag,
}

#[derive(Debug, Clone)]
pub(super) struct Table {
    pub(super) name: String,
    pub(super) columns: Vec<(String, Kind)>,
    pub(super) primary_key: Vec<String>,
}

pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// patron's tables on the target with their columns' kinds and primary keys, parents before
/// the tables that refer to them.
pub(super) async fn target_tables(target: &Db) -> Result<Vec<Table>, RelocateError> {
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

pub(super) fn read_value(row: &AnyRow, index: usize, kind: Kind) -> Result<Value, sqlx::Error> {
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

pub(super) fn bind(arguments: &mut AnyArguments, value: &Value, kind: Kind) -> Result<(), RelocateError> {
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
