//! The platform's double-entry books (`ledger_entries`, `ledger_postings`), a page's platform
//! fee and its revenue splits. Entries are only added, never changed; the rules of what an
//! entry holds are `patron_domain::books`.

use crate::row::{id, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::books::{Account, Entry};
use patron_domain::{Id, Timestamp};
use sqlx::Row;

/// What an entry records (the `kind` column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A payment received.
    Payment,
    /// A payment given back.
    Refund,
    /// A fan's bank holds a payment.
    DisputeOpened,
    /// The bank gave it back.
    DisputeWon,
    /// The bank kept it.
    DisputeLost,
    /// A gateway's fee on a payment.
    GatewayFee,
    /// A payee's balance sent to their bank.
    Payout,
    /// The bank confirmed a payout.
    PayoutSent,
    /// A payout came back.
    PayoutFailed,
}

impl EntryKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Payment => "payment",
            EntryKind::Refund => "refund",
            EntryKind::DisputeOpened => "dispute_opened",
            EntryKind::DisputeWon => "dispute_won",
            EntryKind::DisputeLost => "dispute_lost",
            EntryKind::GatewayFee => "gateway_fee",
            EntryKind::Payout => "payout",
            EntryKind::PayoutSent => "payout_sent",
            EntryKind::PayoutFailed => "payout_failed",
        }
    }
}

/// What an entry is about.
#[derive(Clone, Debug, Default)]
pub struct About {
    /// The page whose money it is.
    pub creator_id: Option<Id>,
    /// The payment it posts or undoes.
    pub payment_id: Option<Id>,
    /// The payout it moves.
    pub payout_id: Option<Id>,
}

/// Writes an entry in the caller's transaction. False when the entry was written before (a
/// payment is posted, refunded, disputed and decided once each).
pub async fn write_entry(
    connection: &mut sqlx::AnyConnection,
    kind: EntryKind,
    currency: &str,
    about: &About,
    entry: &Entry,
) -> Result<bool, StoreError> {
    let id = Id::new();
    let inserted = sql::query(
        "INSERT INTO ledger_entries (id, kind, currency, creator_id, payment_id, payout_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(id.to_string())
    .bind(kind.as_str())
    .bind(currency.to_owned())
    .bind(about.creator_id.map(|c| c.to_string()))
    .bind(about.payment_id.map(|p| p.to_string()))
    .bind(about.payout_id.map(|p| p.to_string()))
    .bind(Timestamp::now().as_micros())
    .execute(&mut *connection)
    .await?;
    if inserted.rows_affected() != 1 {
        return Ok(false);
    }
    for (account, amount) in entry.postings() {
        sql::query("INSERT INTO ledger_postings (entry_id, account, amount) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(account.code())
            .bind(*amount)
            .execute(&mut *connection)
            .await?;
    }
    Ok(true)
}

/// What an entry is looked up by: the payment or the payout it is about.
#[derive(Clone, Copy, Debug)]
pub enum EntryOf {
    /// A payment's entry.
    Payment(Id),
    /// A payout's entry.
    Payout(Id),
}

/// The entry of one kind about a payment or a payout, when there is one (a refund reverses
/// its payment's, a failed payout its payout's).
pub async fn entry_of(
    connection: &mut sqlx::AnyConnection,
    of: EntryOf,
    kind: EntryKind,
) -> Result<Option<Entry>, StoreError> {
    let (query, id) = match of {
        EntryOf::Payment(id) => (
            "SELECT p.account, p.amount FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id \
             WHERE e.payment_id = $1 AND e.kind = $2",
            id,
        ),
        EntryOf::Payout(id) => (
            "SELECT p.account, p.amount FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id \
             WHERE e.payout_id = $1 AND e.kind = $2",
            id,
        ),
    };
    let rows = sql::query(query).bind(id.to_string()).bind(kind.as_str()).fetch_all(&mut *connection).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut postings = Vec::with_capacity(rows.len());
    for row in &rows {
        let code: String = row.try_get("account")?;
        let account = Account::from_code(&code).ok_or_else(|| StoreError::Corrupt(format!("account {code:?}")))?;
        postings.push((account, row.try_get::<i64, _>("amount")?));
    }
    Entry::new(postings).map(Some).map_err(|e| StoreError::Corrupt(format!("{of:?}: {e}")))
}

/// The entry of one kind about a payment, when there is one (a refund reverses the payment's).
pub async fn payment_entry(
    connection: &mut sqlx::AnyConnection,
    payment_id: Id,
    kind: EntryKind,
) -> Result<Option<Entry>, StoreError> {
    entry_of(connection, EntryOf::Payment(payment_id), kind).await
}

/// One account's balance in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balance {
    /// The account's code.
    pub account: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The sum of its postings (minor units; negative: the platform owes it).
    pub amount: i64,
}

/// Every account's balance, optionally only those whose code starts with `prefix`
/// (`payee:{creator}:` for a page's team), and only entries up to `until`.
pub async fn balances<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    prefix: &str,
    until: Option<Timestamp>,
) -> Result<Vec<Balance>, StoreError> {
    let rows = sql::query(
        "SELECT p.account, e.currency, CAST(SUM(p.amount) AS BIGINT) AS amount FROM ledger_postings p \
         JOIN ledger_entries e ON e.id = p.entry_id \
         WHERE p.account LIKE $1 ESCAPE '\\' AND e.created_at <= $2 GROUP BY p.account, e.currency ORDER BY p.account, e.currency",
    )
    .bind(format!("{}%", prefix.replace('%', "").replace('_', "\\_")))
    .bind(until.map_or(i64::MAX, Timestamp::as_micros))
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Balance {
                account: row.try_get("account")?,
                currency: row.try_get("currency")?,
                amount: row.try_get("amount")?,
            })
        })
        .collect()
}

/// Entries whose postings do not sum to zero (there must be none).
pub async fn unbalanced_entries<'e>(executor: impl sqlx::Executor<'e, Database = Database>) -> Result<i64, StoreError> {
    let count: i64 = sql::query_scalar(
        "SELECT COUNT(*) FROM (SELECT entry_id FROM ledger_postings GROUP BY entry_id HAVING SUM(amount) <> 0) t",
    )
    .fetch_one(executor)
    .await?;
    Ok(count)
}

/// A page's platform fee set by an admin (basis points), when one is.
pub async fn creator_fee(connection: &mut sqlx::AnyConnection, creator_id: Id) -> Result<Option<u32>, StoreError> {
    let points: Option<i64> = sql::query_scalar("SELECT basis_points FROM creator_fees WHERE creator_id = $1")
        .bind(creator_id.to_string())
        .fetch_optional(&mut *connection)
        .await?;
    points.map(|p| u32::try_from(p).map_err(|_| StoreError::Corrupt(format!("fee {p}")))).transpose()
}

/// Sets a page's fee (basis points), or removes it (`None`: the platform's default applies).
pub async fn set_creator_fee<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    basis_points: Option<u32>,
) -> Result<(), StoreError> {
    match basis_points {
        Some(points) => {
            sql::query(
                "INSERT INTO creator_fees (creator_id, basis_points, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (creator_id) DO UPDATE SET basis_points = EXCLUDED.basis_points, updated_at = EXCLUDED.updated_at",
            )
            .bind(creator_id.to_string())
            .bind(i64::from(points))
            .bind(Timestamp::now().as_micros())
            .execute(executor)
            .await?;
        }
        None => {
            sql::query("DELETE FROM creator_fees WHERE creator_id = $1")
                .bind(creator_id.to_string())
                .execute(executor)
                .await?;
        }
    }
    Ok(())
}

/// A page's split in force: each payee and their basis points, with when it was set. Empty
/// when none was ever set (the owner gets everything).
pub async fn current_split(
    connection: &mut sqlx::AnyConnection,
    creator_id: Id,
) -> Result<(Vec<(Id, u32)>, Option<Timestamp>), StoreError> {
    let rows = sql::query(
        "SELECT p.user_id, p.basis_points, s.created_at FROM revenue_split_parts p \
         JOIN revenue_splits s ON s.id = p.split_id \
         WHERE s.id = (SELECT id FROM revenue_splits WHERE creator_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1) \
         ORDER BY p.basis_points DESC, p.user_id",
    )
    .bind(creator_id.to_string())
    .fetch_all(&mut *connection)
    .await?;
    let mut parts = Vec::with_capacity(rows.len());
    let mut since = None;
    for row in &rows {
        let user = id(row, "user_id")?;
        let points: i64 = row.try_get("basis_points")?;
        parts.push((user, u32::try_from(points).map_err(|_| StoreError::Corrupt(format!("share {points}")))?));
        since = Some(time(row, "created_at")?);
    }
    Ok((parts, since))
}

/// The owner of a page, who gets what the split does not give others.
pub async fn owner_of(connection: &mut sqlx::AnyConnection, creator_id: Id) -> Result<Option<Id>, StoreError> {
    let owner: Option<String> =
        sql::query_scalar("SELECT user_id FROM creator_members WHERE creator_id = $1 AND role = 'owner'")
            .bind(creator_id.to_string())
            .fetch_optional(&mut *connection)
            .await?;
    owner.map(|o| o.parse().map_err(|_| StoreError::Corrupt(format!("owner {o:?}")))).transpose()
}

/// Records a new split for a page, in force for payments from now on.
pub async fn set_split(
    connection: &mut sqlx::AnyConnection,
    creator_id: Id,
    set_by: Id,
    parts: &[(Id, u32)],
) -> Result<(), StoreError> {
    let id = Id::new();
    sql::query("INSERT INTO revenue_splits (id, creator_id, created_by, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id.to_string())
        .bind(creator_id.to_string())
        .bind(set_by.to_string())
        .bind(Timestamp::now().as_micros())
        .execute(&mut *connection)
        .await?;
    for (user, points) in parts {
        sql::query("INSERT INTO revenue_split_parts (split_id, user_id, basis_points) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(user.to_string())
            .bind(i64::from(*points))
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// One line of a page's statement: a posting to a team member's account, with the payment it
/// came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLine {
    /// When it was posted.
    pub at: Timestamp,
    /// The entry's kind (`payment`, `refund`, `payout`, …).
    pub kind: String,
    /// The payment it posts or undoes.
    pub payment_id: Option<Id>,
    /// The team member.
    pub user_id: Id,
    /// ISO 4217 code.
    pub currency: String,
    /// What the payment was in all (for payment entries).
    pub gross: i64,
    /// The platform's fee on it (for payment entries).
    pub fee: i64,
    /// The member's part, as owed to them (positive: earned; negative: taken back or paid out).
    pub amount: i64,
}

/// Every posting to a page's team members' accounts from `from` to before `until`, oldest
/// first.
pub async fn page_statement<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<StatementLine>, StoreError> {
    let rows = sql::query(
        "SELECT e.created_at, e.kind, e.payment_id, e.currency, p.account, p.amount, \
         COALESCE((SELECT c.amount FROM ledger_postings c WHERE c.entry_id = e.id AND c.account = 'clearing'), 0) AS gross, \
         COALESCE((SELECT -f.amount FROM ledger_postings f WHERE f.entry_id = e.id AND f.account = 'platform_fees'), 0) AS fee \
         FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id \
         WHERE p.account LIKE $1 ESCAPE '\\' AND e.created_at >= $2 AND e.created_at < $3 \
         ORDER BY e.created_at, e.id, p.account",
    )
    .bind(format!("payee:{creator_id}:%"))
    .bind(from.as_micros())
    .bind(until.as_micros())
    .fetch_all(executor)
    .await?;
    let mut lines = Vec::with_capacity(rows.len());
    for row in &rows {
        let account: String = row.try_get("account")?;
        let Some(Account::Payee { user, .. }) = Account::from_code(&account) else { continue };
        let kind: String = row.try_get("kind")?;
        let payment = kind == "payment";
        lines.push(StatementLine {
            at: time(row, "created_at")?,
            payment_id: crate::row::opt_id(row, "payment_id")?,
            user_id: user,
            currency: row.try_get("currency")?,
            gross: if payment { row.try_get("gross")? } else { 0 },
            fee: if payment { row.try_get("fee")? } else { 0 },
            amount: -row.try_get::<i64, _>("amount")?,
            kind,
        });
    }
    Ok(lines)
}
