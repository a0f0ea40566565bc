//! Tax documents (`tax_documents`) and their gap-free numbering (`document_counters`). A
//! document is written once, in the transaction of the payment or refund it documents, and
//! never changed.

use crate::row::{id, opt_id, opt_time, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{Id, Timestamp};
use sqlx::Row;

/// The next number of a series in a year, taken in the caller's transaction: the counter's row
/// stays locked until it commits, and a rollback gives the number back.
pub async fn next_number(connection: &mut sqlx::AnyConnection, series: &str, year: i32) -> Result<i64, StoreError> {
    let number: i64 = sql::query_scalar(
        "INSERT INTO document_counters (series, year, last_number) VALUES ($1, $2, 1) \
         ON CONFLICT (series, year) DO UPDATE SET last_number = document_counters.last_number + 1 \
         RETURNING last_number",
    )
    .bind(series.to_owned())
    .bind(i64::from(year))
    .fetch_one(&mut *connection)
    .await?;
    Ok(number)
}

/// A tax document as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Its id.
    pub id: Id,
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// The printed number, `P2026-000042`.
    pub code: String,
    /// The payment it documents.
    pub payment_id: Id,
    /// For a credit note: the invoice it corrects.
    pub refers_to: Option<Id>,
    /// The buyer's account.
    pub user_id: Id,
    /// The page paid.
    pub creator_id: Id,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// The day of the supply (`2026-12-07`).
    pub supplied_on: String,
    /// The seller's legal name.
    pub seller_name: String,
    /// The seller's address.
    pub seller_address: String,
    /// The seller's member state.
    pub seller_country: String,
    /// The seller's VAT ID; none: not registered.
    pub seller_vat_id: Option<String>,
    /// The buyer's name.
    pub buyer_name: String,
    /// The buyer's e-mail.
    pub buyer_email: String,
    /// Where the buyer is.
    pub buyer_country: String,
    /// A business buyer's VAT ID.
    pub buyer_vat_id: Option<String>,
    /// The page's name.
    pub creator_name: String,
    /// The tier's name.
    pub tier_name: String,
    /// The period paid for.
    pub period: Option<(Timestamp, Timestamp)>,
    /// ISO 4217 code.
    pub currency: String,
    /// What was paid (negative on a credit note).
    pub gross: i64,
    /// Without VAT.
    pub net: i64,
    /// The VAT.
    pub vat: i64,
    /// The rate, in basis points.
    pub rate_bp: i64,
    /// How it is taxed (`domestic`, `oss`, `reverse_charge`, `outside_eu`, `not_registered`).
    pub scheme: String,
    /// A business buyer's name.
    pub buyer_company: Option<String>,
    /// Where the buyer is, as evidenced: what they stated, the card's and the IP address's
    /// countries, and the verdict (`agreed`, `single`, `conflict`, `none`).
    pub evidence: Evidence,
    /// VIES's answer about the buyer's VAT ID when the document was issued.
    pub vat_id_status: Option<String>,
    /// The VAT in Czech crowns (haléř) when the currency is another, at `czk_rate`.
    pub vat_czk: Option<i64>,
    /// The Czech National Bank's rate used (`25.125 CZK/EUR`, its day).
    pub czk_rate: Option<String>,
}

/// The evidence of a buyer's country a document was issued on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The country the buyer stated.
    pub stated_country: Option<String>,
    /// The card's country.
    pub card_country: Option<String>,
    /// The IP address's country.
    pub ip_country: Option<String>,
    /// The verdict: `agreed`, `single`, `conflict` or `none`.
    pub verdict: Option<String>,
}

const COLUMNS: &str = "id, kind, code, payment_id, refers_to, user_id, creator_id, issued_at, supplied_on, \
     seller_name, seller_address, seller_country, seller_vat_id, buyer_name, buyer_email, buyer_country, buyer_vat_id, \
     creator_name, tier_name, period_start, period_end, currency, gross, net, vat, rate_bp, scheme, buyer_company, \
     stated_country, card_country, ip_country, evidence, vat_id_status, vat_czk, czk_rate";

fn document_of(row: &sqlx::any::AnyRow) -> Result<Document, StoreError> {
    let period = match (opt_time(row, "period_start")?, opt_time(row, "period_end")?) {
        (Some(start), Some(end)) => Some((start, end)),
        _ => None,
    };
    Ok(Document {
        id: id(row, "id")?,
        kind: row.try_get("kind")?,
        code: row.try_get("code")?,
        payment_id: id(row, "payment_id")?,
        refers_to: opt_id(row, "refers_to")?,
        user_id: id(row, "user_id")?,
        creator_id: id(row, "creator_id")?,
        issued_at: time(row, "issued_at")?,
        supplied_on: row.try_get("supplied_on")?,
        seller_name: row.try_get("seller_name")?,
        seller_address: row.try_get("seller_address")?,
        seller_country: row.try_get("seller_country")?,
        seller_vat_id: row.try_get("seller_vat_id")?,
        buyer_name: row.try_get("buyer_name")?,
        buyer_email: row.try_get("buyer_email")?,
        buyer_country: row.try_get("buyer_country")?,
        buyer_vat_id: row.try_get("buyer_vat_id")?,
        creator_name: row.try_get("creator_name")?,
        tier_name: row.try_get("tier_name")?,
        period,
        currency: row.try_get("currency")?,
        gross: row.try_get("gross")?,
        net: row.try_get("net")?,
        vat: row.try_get("vat")?,
        rate_bp: row.try_get("rate_bp")?,
        scheme: row.try_get("scheme")?,
        buyer_company: row.try_get("buyer_company")?,
        evidence: Evidence {
            stated_country: row.try_get("stated_country")?,
            card_country: row.try_get("card_country")?,
            ip_country: row.try_get("ip_country")?,
            verdict: row.try_get("evidence")?,
        },
        vat_id_status: row.try_get("vat_id_status")?,
        vat_czk: row.try_get("vat_czk")?,
        czk_rate: row.try_get("czk_rate")?,
    })
}

/// Writes a document numbered `number` of `series` and `year` (taken with [`next_number`] in
/// the same transaction).
pub async fn insert(
    connection: &mut sqlx::AnyConnection,
    document: &Document,
    series: &str,
    year: i32,
    number: i64,
) -> Result<(), StoreError> {
    sql::query(
        "INSERT INTO tax_documents (id, kind, series, year, number, code, payment_id, refers_to, user_id, creator_id, \
         issued_at, supplied_on, seller_name, seller_address, seller_country, seller_vat_id, buyer_name, buyer_email, \
         buyer_country, buyer_vat_id, creator_name, tier_name, period_start, period_end, currency, gross, net, vat, \
         rate_bp, scheme, buyer_company, stated_country, card_country, ip_country, evidence, vat_id_status, vat_czk, \
         czk_rate) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
         $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38)",
    )
    .bind(document.id.to_string())
    .bind(document.kind.clone())
    .bind(series.to_owned())
    .bind(i64::from(year))
    .bind(number)
    .bind(document.code.clone())
    .bind(document.payment_id.to_string())
    .bind(document.refers_to.map(|r| r.to_string()))
    .bind(document.user_id.to_string())
    .bind(document.creator_id.to_string())
    .bind(document.issued_at.as_micros())
    .bind(document.supplied_on.clone())
    .bind(document.seller_name.clone())
    .bind(document.seller_address.clone())
    .bind(document.seller_country.clone())
    .bind(document.seller_vat_id.clone())
    .bind(document.buyer_name.clone())
    .bind(document.buyer_email.clone())
    .bind(document.buyer_country.clone())
    .bind(document.buyer_vat_id.clone())
    .bind(document.creator_name.clone())
    .bind(document.tier_name.clone())
    .bind(document.period.map(|(start, _)| start.as_micros()))
    .bind(document.period.map(|(_, end)| end.as_micros()))
    .bind(document.currency.clone())
    .bind(document.gross)
    .bind(document.net)
    .bind(document.vat)
    .bind(document.rate_bp)
    .bind(document.scheme.clone())
    .bind(document.buyer_company.clone())
    .bind(document.evidence.stated_country.clone())
    .bind(document.evidence.card_country.clone())
    .bind(document.evidence.ip_country.clone())
    .bind(document.evidence.verdict.clone())
    .bind(document.vat_id_status.clone())
    .bind(document.vat_czk)
    .bind(document.czk_rate.clone())
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// A payment's document of one kind, when it has one.
pub async fn of_payment<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    payment_id: Id,
    kind: &str,
) -> Result<Option<Document>, StoreError> {
    let row = sql::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tax_documents WHERE payment_id = $1 AND kind = $2"
    )))
    .bind(payment_id.to_string())
    .bind(kind.to_owned())
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(document_of).transpose()
}

/// One document.
pub async fn find<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    document_id: Id,
) -> Result<Option<Document>, StoreError> {
    let row = sql::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM tax_documents WHERE id = $1")))
        .bind(document_id.to_string())
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(document_of).transpose()
}

/// A buyer's documents, newest first.
pub async fn of_user<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    limit: i64,
) -> Result<Vec<Document>, StoreError> {
    let rows = sql::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tax_documents WHERE user_id = $1 ORDER BY issued_at DESC, number DESC LIMIT $2"
    )))
    .bind(user_id.to_string())
    .bind(limit)
    .fetch_all(executor)
    .await?;
    rows.iter().map(document_of).collect()
}

/// The documents' sums for one scheme, buyer's country, rate and currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxTotal {
    /// `oss`, `domestic`, …
    pub scheme: String,
    /// The buyer's country.
    pub country: String,
    /// The rate, in basis points.
    pub rate_bp: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The taxable amounts (net), credit notes subtracted.
    pub net: i64,
    /// The VAT, credit notes subtracted.
    pub vat: i64,
    /// How many documents.
    pub documents: i64,
}

/// The sums of the documents supplied from `first_day` to `last_day` (`2026-10-01`,
/// inclusive), per scheme, buyer's country, rate and currency.
pub async fn totals<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    first_day: &str,
    last_day: &str,
) -> Result<Vec<TaxTotal>, StoreError> {
    let rows: Vec<(String, String, i64, String, i64, i64, i64)> = sql::query_as(
        "SELECT scheme, buyer_country, rate_bp, currency, CAST(SUM(net) AS BIGINT), CAST(SUM(vat) AS BIGINT), \
         CAST(COUNT(*) AS BIGINT) FROM tax_documents WHERE supplied_on >= $1 AND supplied_on <= $2 \
         GROUP BY scheme, buyer_country, rate_bp, currency ORDER BY scheme, buyer_country, rate_bp, currency",
    )
    .bind(first_day.to_owned())
    .bind(last_day.to_owned())
    .fetch_all(executor)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(scheme, country, rate_bp, currency, net, vat, documents)| TaxTotal {
            scheme,
            country,
            rate_bp,
            currency,
            net,
            vat,
            documents,
        })
        .collect())
}

/// A page's documents, newest first.
pub async fn of_creator<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    limit: i64,
) -> Result<Vec<Document>, StoreError> {
    let rows = sql::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tax_documents WHERE creator_id = $1 ORDER BY issued_at DESC, number DESC LIMIT $2"
    )))
    .bind(creator_id.to_string())
    .bind(limit)
    .fetch_all(executor)
    .await?;
    rows.iter().map(document_of).collect()
}

/// A buyer's documents supplied from `first_day` to `last_day` (inclusive), oldest first.
pub async fn of_user_between<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    first_day: &str,
    last_day: &str,
) -> Result<Vec<Document>, StoreError> {
    let rows = sql::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tax_documents WHERE user_id = $1 AND supplied_on >= $2 AND supplied_on <= $3 \
         ORDER BY issued_at, number"
    )))
    .bind(user_id.to_string())
    .bind(first_day.to_owned())
    .bind(last_day.to_owned())
    .fetch_all(executor)
    .await?;
    rows.iter().map(document_of).collect()
}

/// The documents supplied from `first_day` to `last_day` an admin should look at: the
/// evidence of the buyer's country disagrees, or VIES had not confirmed the buyer's VAT ID.
pub async fn flagged<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    first_day: &str,
    last_day: &str,
) -> Result<Vec<Document>, StoreError> {
    let rows = sql::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tax_documents WHERE supplied_on >= $1 AND supplied_on <= $2 \
         AND (evidence = 'conflict' OR vat_id_status = 'unverified') ORDER BY issued_at, number"
    )))
    .bind(first_day.to_owned())
    .bind(last_day.to_owned())
    .fetch_all(executor)
    .await?;
    rows.iter().map(document_of).collect()
}
