//! Exchange rates as published (`exchange_rates`): the Czech National Bank's (`cnb`) and the
//! European Central Bank's (`ecb`), in millionths, by the day they are valid for.

use crate::sql;
use crate::{Database, StoreError};
use patron_domain::Timestamp;
use patron_domain::exchange::Rate;

/// Keeps published rates: `(day, currency, rate)`; a rate kept before stays as it was.
pub async fn insert_many(
    connection: &mut sqlx::AnyConnection,
    source: &str,
    rates: &[(String, String, Rate)],
) -> Result<(), StoreError> {
    let now = Timestamp::now().as_micros();
    for (day, currency, rate) in rates {
        sql::query(
            "INSERT INTO exchange_rates (source, day, currency, rate, fetched_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (source, day, currency) DO NOTHING",
        )
        .bind(source.to_owned())
        .bind(day.clone())
        .bind(currency.clone())
        .bind(rate.micros())
        .bind(now)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

async fn one<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    query: &'static str,
    source: &str,
    currency: &str,
    day: &str,
) -> Result<Option<(String, Rate)>, StoreError> {
    let row: Option<(String, i64)> = sql::query_as(query)
        .bind(source.to_owned())
        .bind(currency.to_owned())
        .bind(day.to_owned())
        .fetch_optional(executor)
        .await?;
    Ok(row.and_then(|(day, micros)| Rate::from_micros(micros).map(|rate| (day, rate))))
}

/// The rate valid on `day` (`2026-12-07`): the latest published on or before it.
pub async fn on_or_before<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    source: &str,
    currency: &str,
    day: &str,
) -> Result<Option<(String, Rate)>, StoreError> {
    one(
        executor,
        "SELECT day, rate FROM exchange_rates WHERE source = $1 AND currency = $2 AND day <= $3 \
         ORDER BY day DESC LIMIT 1",
        source,
        currency,
        day,
    )
    .await
}

/// The rate published on `day`, or on the next day of publication.
pub async fn on_or_after<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    source: &str,
    currency: &str,
    day: &str,
) -> Result<Option<(String, Rate)>, StoreError> {
    one(
        executor,
        "SELECT day, rate FROM exchange_rates WHERE source = $1 AND currency = $2 AND day >= $3 \
         ORDER BY day LIMIT 1",
        source,
        currency,
        day,
    )
    .await
}
