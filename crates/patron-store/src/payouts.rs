//! Payouts: the bank account each payee is paid to (`payee_accounts`), what the books let the
//! platform pay them, and the batches of payouts an admin sends to the bank (`payout_batches`,
//! `payouts`). The ledger entries that move the money are written by the caller in the same
//! transaction (`crate::books::write_entry`).

use crate::row::{id, opt_time, time};
use crate::sql;
use crate::{Database, StoreError};
use patron_domain::{Id, Timestamp};
use sqlx::Row;

/// A payee's bank account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayeeAccount {
    /// Whose it is.
    pub user_id: Id,
    /// The holder's name, as the bank knows it.
    pub holder: String,
    /// The IBAN, electronic form.
    pub iban: String,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// A payee's bank account, when they gave one.
pub async fn payee_account<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
) -> Result<Option<PayeeAccount>, StoreError> {
    let row = sql::query("SELECT user_id, holder, iban, updated_at FROM payee_accounts WHERE user_id = $1")
        .bind(user_id.to_string())
        .fetch_optional(executor)
        .await?;
    row.map(|row| {
        Ok(PayeeAccount {
            user_id: id(&row, "user_id")?,
            holder: row.try_get("holder")?,
            iban: row.try_get("iban")?,
            updated_at: time(&row, "updated_at")?,
        })
    })
    .transpose()
}

/// Sets a payee's bank account (checked by the caller).
pub async fn set_payee_account<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    holder: &str,
    iban: &str,
) -> Result<(), StoreError> {
    sql::query(
        "INSERT INTO payee_accounts (user_id, holder, iban, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET holder = EXCLUDED.holder, iban = EXCLUDED.iban, updated_at = EXCLUDED.updated_at",
    )
    .bind(user_id.to_string())
    .bind(holder.to_owned())
    .bind(iban.to_owned())
    .bind(Timestamp::now().as_micros())
    .execute(executor)
    .await?;
    Ok(())
}

/// What the platform owes one payee for one page, in one currency (minor units, positive: the
/// platform owes them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayeeBalance {
    /// The page.
    pub creator_id: Id,
    /// The payee.
    pub user_id: Id,
    /// ISO 4217 code.
    pub currency: String,
    /// Everything owed now.
    pub owed: i64,
    /// What may be paid out: earnings older than the hold, less everything taken back or paid
    /// out already (those count at once).
    pub available: i64,
    /// Paid out so far (payouts less failed ones).
    pub paid_out: i64,
}

/// The balances of payee accounts whose code starts with `prefix` (`payee:` for everyone,
/// `payee:{creator}:` for a page), with earnings posted after `hold_until` not yet available.
pub async fn payee_balances<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    prefix: &str,
    hold_until: Timestamp,
) -> Result<Vec<PayeeBalance>, StoreError> {
    // the books credit what is owed: an amount owed is the negative of its postings
    let rows = sql::query(
        "SELECT p.account, e.currency, CAST(-SUM(p.amount) AS BIGINT) AS owed, \
         CAST(-SUM(CASE WHEN p.amount > 0 OR e.created_at <= $2 OR e.kind = 'payout_failed' THEN p.amount ELSE 0 END) AS BIGINT) AS available, \
         CAST(SUM(CASE WHEN e.kind IN ('payout', 'payout_failed') THEN p.amount ELSE 0 END) AS BIGINT) AS paid_out \
         FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id \
         WHERE p.account LIKE $1 ESCAPE '\\' GROUP BY p.account, e.currency ORDER BY p.account, e.currency",
    )
    .bind(format!("{}%", prefix.replace('%', "").replace('_', "\\_")))
    .bind(hold_until.as_micros())
    .fetch_all(executor)
    .await?;
    let mut balances = Vec::with_capacity(rows.len());
    for row in &rows {
        let account: String = row.try_get("account")?;
        let Some(patron_domain::books::Account::Payee { creator, user }) =
            patron_domain::books::Account::from_code(&account)
        else {
            return Err(StoreError::Corrupt(format!("account {account:?} is not a payee's")));
        };
        balances.push(PayeeBalance {
            creator_id: creator,
            user_id: user,
            currency: row.try_get("currency")?,
            owed: row.try_get("owed")?,
            available: row.try_get("available")?,
            paid_out: row.try_get("paid_out")?,
        });
    }
    Ok(balances)
}

/// A batch's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchStatus {
    /// Made; its file waits to be sent to the bank.
    Open,
    /// An admin marked it sent.
    Sent,
}

/// A payout's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayoutStatus {
    /// In a batch not yet sent.
    Pending,
    /// Sent to the bank.
    Sent,
    /// The bank did not pay it; the money is the payee's again.
    Failed,
}

impl BatchStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Open => "open",
            BatchStatus::Sent => "sent",
        }
    }
}

impl PayoutStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutStatus::Pending => "pending",
            PayoutStatus::Sent => "sent",
            PayoutStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        Ok(match text {
            "pending" => PayoutStatus::Pending,
            "sent" => PayoutStatus::Sent,
            "failed" => PayoutStatus::Failed,
            other => return Err(StoreError::Corrupt(format!("payout status {other:?}"))),
        })
    }
}

/// A batch of payouts in one currency.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Its id (the bank file's message id).
    pub id: Id,
    /// ISO 4217 code.
    pub currency: String,
    /// Open or sent.
    pub status: BatchStatus,
    /// The sum of its payouts when made (minor units).
    pub total: i64,
    /// How many payouts it holds.
    pub count: i64,
    /// Earnings up to this moment were paid.
    pub cutoff: Timestamp,
    /// When it was made.
    pub created_at: Timestamp,
    /// When an admin marked it sent.
    pub sent_at: Option<Timestamp>,
}

const BATCH_COLUMNS: &str = "b.id, b.currency, b.status, b.total, b.cutoff, b.created_at, b.sent_at, \
     (SELECT COUNT(*) FROM payouts x WHERE x.batch_id = b.id) AS payout_count";

fn batch_of(row: &sqlx::any::AnyRow) -> Result<Batch, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Batch {
        id: id(row, "id")?,
        currency: row.try_get("currency")?,
        status: if status == "sent" { BatchStatus::Sent } else { BatchStatus::Open },
        total: row.try_get("total")?,
        count: row.try_get("payout_count")?,
        cutoff: time(row, "cutoff")?,
        created_at: time(row, "created_at")?,
        sent_at: opt_time(row, "sent_at")?,
    })
}

/// The newest batches first.
pub async fn batches<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    limit: i64,
) -> Result<Vec<Batch>, StoreError> {
    let rows = sql::query(sqlx::AssertSqlSafe(format!(
        "SELECT {BATCH_COLUMNS} FROM payout_batches b ORDER BY b.created_at DESC, b.id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(executor)
    .await?;
    rows.iter().map(batch_of).collect()
}

/// One batch.
pub async fn batch<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    batch_id: Id,
) -> Result<Option<Batch>, StoreError> {
    let row = sql::query(sqlx::AssertSqlSafe(format!("SELECT {BATCH_COLUMNS} FROM payout_batches b WHERE b.id = $1")))
        .bind(batch_id.to_string())
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(batch_of).transpose()
}

/// Starts a batch in the caller's transaction; its total is set by [`close_batch`].
pub async fn create_batch(
    connection: &mut sqlx::AnyConnection,
    currency: &str,
    cutoff: Timestamp,
    now: Timestamp,
) -> Result<Id, StoreError> {
    let batch_id = Id::new();
    sql::query(
        "INSERT INTO payout_batches (id, currency, status, total, cutoff, created_at) VALUES ($1, $2, 'open', 0, $3, $4)",
    )
    .bind(batch_id.to_string())
    .bind(currency.to_owned())
    .bind(cutoff.as_micros())
    .bind(now.as_micros())
    .execute(&mut *connection)
    .await?;
    Ok(batch_id)
}

/// Sets a batch's total once its payouts are in.
pub async fn close_batch(connection: &mut sqlx::AnyConnection, batch_id: Id, total: i64) -> Result<(), StoreError> {
    sql::query("UPDATE payout_batches SET total = $2 WHERE id = $1")
        .bind(batch_id.to_string())
        .bind(total)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// A payout in a batch.
#[derive(Clone, Debug)]
pub struct Payout {
    /// Its id (the bank file's end-to-end id).
    pub id: Id,
    /// Its batch.
    pub batch_id: Id,
    /// The payee.
    pub user_id: Id,
    /// The payee's name on patron.
    pub display_name: String,
    /// The payee's language.
    pub locale: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Minor units, positive.
    pub amount: i64,
    /// The account holder at the time.
    pub holder: String,
    /// The IBAN at the time.
    pub iban: String,
    /// Pending, sent or failed.
    pub status: PayoutStatus,
    /// Why it failed, as the admin wrote it.
    pub reason: Option<String>,
    /// When it was made.
    pub created_at: Timestamp,
}

/// What a new payout holds.
#[derive(Clone, Debug)]
pub struct NewPayout<'a> {
    /// Its batch.
    pub batch_id: Id,
    /// The payee.
    pub user_id: Id,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// Minor units, positive.
    pub amount: i64,
    /// The payee's account.
    pub account: &'a PayeeAccount,
    /// Now.
    pub at: Timestamp,
}

/// Adds a payout to a batch in the caller's transaction.
pub async fn insert_payout(connection: &mut sqlx::AnyConnection, payout: &NewPayout<'_>) -> Result<Id, StoreError> {
    let payout_id = Id::new();
    sql::query(
        "INSERT INTO payouts (id, batch_id, user_id, currency, amount, holder, iban, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8)",
    )
    .bind(payout_id.to_string())
    .bind(payout.batch_id.to_string())
    .bind(payout.user_id.to_string())
    .bind(payout.currency.to_owned())
    .bind(payout.amount)
    .bind(payout.account.holder.clone())
    .bind(payout.account.iban.clone())
    .bind(payout.at.as_micros())
    .execute(&mut *connection)
    .await?;
    Ok(payout_id)
}

const PAYOUT_COLUMNS: &str = "p.id, p.batch_id, p.user_id, u.display_name, u.locale, p.currency, p.amount, p.holder, p.iban, \
     p.status, p.reason, p.created_at";

fn payout_of(row: &sqlx::any::AnyRow) -> Result<Payout, StoreError> {
    Ok(Payout {
        id: id(row, "id")?,
        batch_id: id(row, "batch_id")?,
        user_id: id(row, "user_id")?,
        display_name: row.try_get("display_name")?,
        locale: row.try_get("locale")?,
        currency: row.try_get("currency")?,
        amount: row.try_get("amount")?,
        holder: row.try_get("holder")?,
        iban: row.try_get("iban")?,
        status: PayoutStatus::parse(&row.try_get::<String, _>("status")?)?,
        reason: row.try_get("reason")?,
        created_at: time(row, "created_at")?,
    })
}

/// A batch's payouts, largest first.
pub async fn payouts_of<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    batch_id: Id,
) -> Result<Vec<Payout>, StoreError> {
    let rows = sql::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PAYOUT_COLUMNS} FROM payouts p JOIN users u ON u.id = p.user_id WHERE p.batch_id = $1 \
         ORDER BY p.amount DESC, p.id"
    )))
    .bind(batch_id.to_string())
    .fetch_all(executor)
    .await?;
    rows.iter().map(payout_of).collect()
}

/// One payout.
pub async fn payout<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    payout_id: Id,
) -> Result<Option<Payout>, StoreError> {
    let row = sql::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PAYOUT_COLUMNS} FROM payouts p JOIN users u ON u.id = p.user_id WHERE p.id = $1"
    )))
    .bind(payout_id.to_string())
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(payout_of).transpose()
}

/// A person's payouts, newest first.
pub async fn payouts_of_user<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    limit: i64,
) -> Result<Vec<Payout>, StoreError> {
    let rows = sql::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PAYOUT_COLUMNS} FROM payouts p JOIN users u ON u.id = p.user_id WHERE p.user_id = $1 \
         ORDER BY p.created_at DESC, p.id DESC LIMIT $2"
    )))
    .bind(user_id.to_string())
    .bind(limit)
    .fetch_all(executor)
    .await?;
    rows.iter().map(payout_of).collect()
}

/// Marks an open batch sent and its pending payouts with it; answers those payouts (none when
/// the batch was sent before).
pub async fn mark_batch_sent(
    connection: &mut sqlx::AnyConnection,
    batch_id: Id,
    by: Id,
    at: Timestamp,
) -> Result<Vec<Payout>, StoreError> {
    let updated = sql::query(
        "UPDATE payout_batches SET status = 'sent', sent_at = $2, sent_by = $3 WHERE id = $1 AND status = 'open'",
    )
    .bind(batch_id.to_string())
    .bind(at.as_micros())
    .bind(by.to_string())
    .execute(&mut *connection)
    .await?;
    if updated.rows_affected() != 1 {
        return Ok(Vec::new());
    }
    let pending: Vec<Payout> = payouts_of(&mut *connection, batch_id)
        .await?
        .into_iter()
        .filter(|p| p.status == PayoutStatus::Pending)
        .collect();
    sql::query("UPDATE payouts SET status = 'sent', updated_at = $2 WHERE batch_id = $1 AND status = 'pending'")
        .bind(batch_id.to_string())
        .bind(at.as_micros())
        .execute(&mut *connection)
        .await?;
    Ok(pending)
}

/// Marks a payout failed unless it failed before; answers whether it changed and what it was.
pub async fn mark_failed(
    connection: &mut sqlx::AnyConnection,
    payout_id: Id,
    reason: &str,
    at: Timestamp,
) -> Result<Option<PayoutStatus>, StoreError> {
    let Some(before) = payout(&mut *connection, payout_id).await? else { return Ok(None) };
    if before.status == PayoutStatus::Failed {
        return Ok(None);
    }
    sql::query(
        "UPDATE payouts SET status = 'failed', reason = $2, updated_at = $3 WHERE id = $1 AND status <> 'failed'",
    )
    .bind(payout_id.to_string())
    .bind(reason.to_owned())
    .bind(at.as_micros())
    .execute(&mut *connection)
    .await?;
    Ok(Some(before.status))
}

/// The ledger entry of one kind about a payout.
pub async fn payout_entry(
    connection: &mut sqlx::AnyConnection,
    payout_id: Id,
    kind: crate::books::EntryKind,
) -> Result<Option<patron_domain::books::Entry>, StoreError> {
    crate::books::entry_of(connection, crate::books::EntryOf::Payout(payout_id), kind).await
}

/// The cutoff of a person's previous payout in a currency before `before`: where their next
/// statement starts.
pub async fn previous_cutoff<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    currency: &str,
    before: Timestamp,
) -> Result<Option<Timestamp>, StoreError> {
    let cutoff: Option<i64> = sql::query_scalar(
        "SELECT MAX(b.cutoff) FROM payouts p JOIN payout_batches b ON b.id = p.batch_id \
         WHERE p.user_id = $1 AND p.currency = $2 AND b.cutoff < $3",
    )
    .bind(user_id.to_string())
    .bind(currency.to_owned())
    .bind(before.as_micros())
    .fetch_one(executor)
    .await?;
    Ok(cutoff.map(Timestamp::from_micros))
}

/// What moved on a payee's accounts in a period, per page and kind of entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movement {
    /// The page.
    pub creator_id: Id,
    /// The entry's kind (`payment`, `refund`, …).
    pub kind: String,
    /// How many entries.
    pub count: i64,
    /// Their sum as owed to the payee (positive: earned).
    pub amount: i64,
}

/// A payee's movements in one currency after `from` up to `until`, per page and kind.
pub async fn movements<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    user_id: Id,
    currency: &str,
    from: Option<Timestamp>,
    until: Timestamp,
) -> Result<Vec<Movement>, StoreError> {
    let rows = sql::query(
        "SELECT p.account, e.kind, COUNT(*) AS entries, CAST(-SUM(p.amount) AS BIGINT) AS owed \
         FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id \
         WHERE p.account LIKE $1 ESCAPE '\\' AND e.currency = $2 AND e.created_at > $3 AND e.created_at <= $4 \
         GROUP BY p.account, e.kind ORDER BY p.account, e.kind",
    )
    .bind(format!("payee:%:{user_id}"))
    .bind(currency.to_owned())
    .bind(from.map_or(i64::MIN, Timestamp::as_micros))
    .bind(until.as_micros())
    .fetch_all(executor)
    .await?;
    let mut movements = Vec::with_capacity(rows.len());
    for row in &rows {
        let account: String = row.try_get("account")?;
        let Some(patron_domain::books::Account::Payee { creator, .. }) =
            patron_domain::books::Account::from_code(&account)
        else {
            continue;
        };
        movements.push(Movement {
            creator_id: creator,
            kind: row.try_get("kind")?,
            count: row.try_get("entries")?,
            amount: row.try_get("owed")?,
        });
    }
    Ok(movements)
}
