//! Payouts: the `payouts` job pays every team member what their pages owe them and the hold
//! lets go (`PATRON_PAYOUT_HOLD`), at least `PATRON_PAYOUT_MINIMUM`, into one batch per
//! currency; the money goes "in transit" in the books, the payee gets a statement, and an admin
//! downloads the batch as a bank file. The bank's word comes back by hand: the batch marked
//! sent (the money left), or one payout marked failed (the money is the payee's again).
//!
//! A payee without a bank account is not paid and is told so; their money waits.

pub mod pain001;

use crate::{PaymentError, Payments};
use patron_domain::books;
use patron_domain::money::Currency;
use patron_domain::{Id, Timestamp};
use patron_jobs::{JobContext, ScheduledTask, TaskFuture};
use patron_mail::jobs::{EmailJob, Link, enqueue_email};
use patron_mail::{StatementLine, Template};
use patron_store::books::{About, EntryKind, write_entry};
use patron_store::payouts::{self as store, Batch, NewPayout, PayeeAccount, PayeeBalance, Payout, PayoutStatus};
use patron_store::{Db, Transaction};
use std::collections::BTreeMap;

/// What a run of the payouts job did.
#[derive(Debug, Default, Clone)]
pub struct PayoutRun {
    /// False when the platform's account is not set: nothing is paid.
    pub configured: bool,
    /// The batches made, one per currency.
    pub batches: Vec<Id>,
    /// Payouts made.
    pub payouts: usize,
    /// Payees with money due and no bank account (told by mail).
    pub without_account: usize,
    /// Payees whose balance is under the minimum.
    pub under_minimum: usize,
}

/// One payee's money due in one currency: what each page owes them.
struct Due {
    user_id: Id,
    parts: Vec<(Id, i64)>,
}

/// A payout the next run makes (or cannot make, without a bank account).
struct Planned {
    currency: String,
    due: Due,
    account: Option<PayeeAccount>,
}

/// What a run would pay in one currency.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DueTotal {
    /// ISO 4217 code.
    pub currency: String,
    /// Payouts it would make.
    pub payouts: usize,
    /// Their sum, in minor units.
    pub total: i64,
    /// Payees with money due and no bank account.
    pub without_account: usize,
}

impl Due {
    fn total(&self) -> i64 {
        self.parts.iter().map(|(_, amount)| amount).sum()
    }
}

fn date(at: Timestamp) -> String {
    at.to_rfc3339().chars().take(10).collect()
}

/// `CZ65 … 5399`: enough for the payee to know the account, not enough to copy it.
fn masked(iban: &str) -> String {
    let chars: Vec<char> = iban.chars().collect();
    if chars.len() < 8 {
        return iban.to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head} … {tail}")
}

impl Payments {
    /// What the hold and the minimum let go at `cutoff`, per currency: each payee's money due
    /// and their bank account, if they gave one; and how many payees are under the minimum.
    async fn plan(
        &self,
        connection: &mut sqlx::AnyConnection,
        cutoff: Timestamp,
    ) -> Result<(Vec<Planned>, usize), PaymentError> {
        let balances = store::payee_balances(&mut *connection, "payee:", cutoff).await?;
        let mut planned = Vec::new();
        let mut under_minimum = 0;
        for (currency, dues) in dues_by_currency(balances) {
            for due in dues {
                let amount = due.total();
                if amount <= 0 {
                    continue;
                }
                if amount < self.payouts.minimum_of(&currency) {
                    under_minimum += 1;
                    continue;
                }
                let account = store::payee_account(&mut *connection, due.user_id).await?;
                planned.push(Planned { currency: currency.clone(), due, account });
            }
        }
        Ok((planned, under_minimum))
    }

    /// What a run at `now` would pay, per currency, without paying it.
    pub async fn due_now(&self, db: &Db, now: Timestamp) -> Result<Vec<DueTotal>, PaymentError> {
        let mut connection = db.pool().acquire().await.map_err(patron_store::StoreError::from)?;
        let (planned, _) = self.plan(&mut connection, now.minus(self.payouts.hold)).await?;
        let mut totals: Vec<DueTotal> = Vec::new();
        for item in planned {
            let index = match totals.iter().position(|t| t.currency == item.currency) {
                Some(index) => index,
                None => {
                    totals.push(DueTotal { currency: item.currency.clone(), ..DueTotal::default() });
                    totals.len() - 1
                }
            };
            let total = &mut totals[index];
            if item.account.is_some() {
                total.payouts += 1;
                total.total += item.due.total();
            } else {
                total.without_account += 1;
            }
        }
        Ok(totals)
    }

    /// Pays out every balance due at `now` (the clock is a parameter so tests can move it):
    /// one batch per currency, written with its ledger entries and mails in one transaction.
    pub async fn pay_out(&self, db: &Db, now: Timestamp) -> Result<PayoutRun, PaymentError> {
        let mut run = PayoutRun { configured: self.payouts.debtor.is_some(), ..PayoutRun::default() };
        if !run.configured {
            return Ok(run);
        }
        let cutoff = now.minus(self.payouts.hold);
        let mut transaction = db.begin_write().await?;
        let (planned, under_minimum) = self.plan(&mut transaction, cutoff).await?;
        run.under_minimum = under_minimum;
        let mut batches: Vec<(String, Id, i64)> = Vec::new();
        for Planned { currency, due, account } in planned {
            let amount = due.total();
            let Some(account) = account else {
                self.ask_for_account(&mut transaction, due.user_id, &currency, amount, now).await?;
                run.without_account += 1;
                continue;
            };
            let index = match batches.iter().position(|(c, _, _)| *c == currency) {
                Some(index) => index,
                None => {
                    let batch = store::create_batch(&mut transaction, &currency, cutoff, now).await?;
                    batches.push((currency.clone(), batch, 0));
                    batches.len() - 1
                }
            };
            let batch_id = batches[index].1;
            let new =
                NewPayout { batch_id, user_id: due.user_id, currency: &currency, amount, account: &account, at: now };
            let payout_id = store::insert_payout(&mut transaction, &new).await?;
            let about = About { creator_id: None, payment_id: None, payout_id: Some(payout_id) };
            let entry = books::payout(due.user_id, &due.parts);
            write_entry(&mut transaction, EntryKind::Payout, &currency, &about, &entry).await?;
            self.statement(&mut transaction, &due, &account, &currency, amount, cutoff, payout_id).await?;
            batches[index].2 += amount;
            run.payouts += 1;
        }
        for (_, batch_id, total) in batches {
            store::close_batch(&mut transaction, batch_id, total).await?;
            run.batches.push(batch_id);
        }
        transaction.commit().await?;
        Ok(run)
    }

    /// Tells a payee that money waits for their bank account (once per day and currency).
    async fn ask_for_account(
        &self,
        transaction: &mut Transaction,
        user_id: Id,
        currency: &str,
        amount: i64,
        now: Timestamp,
    ) -> Result<(), PaymentError> {
        let Some(user) = patron_store::users::find_by_id(&mut **transaction, user_id).await? else { return Ok(()) };
        let job = EmailJob {
            key: format!("payout-needs-account:{user_id}:{currency}:{}", date(now)),
            to: user.email,
            locale: user.locale.clone(),
            template: Template::PayoutNeedsBankAccount {
                amount: patron_domain::money::format_minor_in(amount, currency, &user.locale),
            },
            link: Link::Plain { url: format!("{}/account/payouts#bank-account", self.base_url) },
            unsubscribe: None,
        };
        enqueue_email(&mut **transaction, &job).await?;
        Ok(())
    }

    /// The payee's statement: what each page paid them since their previous payout.
    #[allow(clippy::too_many_arguments)]
    async fn statement(
        &self,
        transaction: &mut Transaction,
        due: &Due,
        account: &PayeeAccount,
        currency: &str,
        amount: i64,
        cutoff: Timestamp,
        payout_id: Id,
    ) -> Result<(), PaymentError> {
        let Some(user) = patron_store::users::find_by_id(&mut **transaction, due.user_id).await? else {
            return Ok(());
        };
        let from = store::previous_cutoff(&mut **transaction, due.user_id, currency, cutoff).await?;
        let movements = store::movements(&mut **transaction, due.user_id, currency, from, cutoff).await?;
        // amounts as the payee reads them
        let money = |minor: i64| patron_domain::money::format_minor_in(minor, currency, &user.locale);
        let mut lines = Vec::new();
        for (creator_id, _) in &due.parts {
            let of_page = movements.iter().filter(|m| m.creator_id == *creator_id);
            let (mut payments, mut earned, mut returned) = (0, 0, 0);
            for movement in of_page {
                match movement.kind.as_str() {
                    "payment" => {
                        payments += movement.count;
                        earned += movement.amount;
                    }
                    "refund" | "dispute_lost" => returned -= movement.amount,
                    _ => {}
                }
            }
            let creator_name = patron_store::creators::find_by_id(&mut **transaction, *creator_id)
                .await?
                .map(|c| c.name)
                .unwrap_or_default();
            lines.push(StatementLine {
                creator_name,
                payments,
                earned: money(earned),
                returned: if returned == 0 { String::new() } else { money(returned) },
            });
        }
        let period = match from {
            Some(from) => format!("{} – {}", date(from), date(cutoff)),
            None => format!("– {}", date(cutoff)),
        };
        let job = EmailJob {
            key: format!("payout-statement:{payout_id}"),
            to: user.email,
            locale: user.locale.clone(),
            template: Template::PayoutStatement {
                amount: money(amount),
                account: masked(&account.iban),
                period,
                lines,
            },
            link: Link::Plain { url: format!("{}/account/payouts#payouts", self.base_url) },
            unsubscribe: None,
        };
        enqueue_email(&mut **transaction, &job).await?;
        Ok(())
    }

    /// Marks an open batch sent: its pending payouts left the platform's account. Answers how
    /// many payouts it marked (none when it was sent before).
    pub async fn mark_batch_sent(
        &self,
        transaction: &mut Transaction,
        batch: &Batch,
        by: Id,
        now: Timestamp,
    ) -> Result<usize, PaymentError> {
        let sent = store::mark_batch_sent(transaction, batch.id, by, now).await?;
        for payout in &sent {
            let about = About { creator_id: None, payment_id: None, payout_id: Some(payout.id) };
            write_entry(
                transaction,
                EntryKind::PayoutSent,
                &payout.currency,
                &about,
                &books::payout_sent(payout.amount),
            )
            .await?;
        }
        Ok(sent.len())
    }

    /// Marks a payout failed: the bank did not pay it (or sent it back), and the money is the
    /// payee's again on the pages it came from. False when it had failed before.
    pub async fn mark_payout_failed(
        &self,
        transaction: &mut Transaction,
        payout: &Payout,
        reason: &str,
        now: Timestamp,
    ) -> Result<bool, PaymentError> {
        let Some(before) = store::mark_failed(transaction, payout.id, reason, now).await? else { return Ok(false) };
        let about = About { creator_id: None, payment_id: None, payout_id: Some(payout.id) };
        if before == PayoutStatus::Sent {
            // the money left and came back: first undo its leaving
            let back = books::payout_sent(payout.amount).reversed();
            write_entry(transaction, EntryKind::PayoutFailed, &payout.currency, &about, &back).await?;
        }
        let entry = store::payout_entry(transaction, payout.id, EntryKind::Payout)
            .await?
            .ok_or_else(|| PaymentError::Provider(format!("payout {} has no ledger entry", payout.id)))?;
        let about = About { creator_id: None, payment_id: None, payout_id: Some(payout.id) };
        write_entry(transaction, EntryKind::PayoutFailed, &payout.currency, &about, &books::payout_failed(&entry))
            .await?;
        Ok(true)
    }

    /// A batch's bank file (pain.001.001.03), from the platform's account in the settings, to
    /// be paid on `today`.
    pub fn batch_file(&self, batch: &Batch, payouts: &[Payout], today: Timestamp) -> Result<String, PaymentError> {
        let (name, iban) = self
            .payouts
            .debtor
            .as_ref()
            .ok_or_else(|| PaymentError::Provider("PATRON_PAYOUT_IBAN is not set".to_owned()))?;
        let currency = Currency::parse(&batch.currency).map_err(|e| PaymentError::Provider(e.message))?;
        let remittances: Vec<String> = payouts
            .iter()
            .map(|p| {
                let month: String = batch.cutoff.to_rfc3339().chars().take(7).collect();
                if p.locale.starts_with("cs") {
                    format!("Výplata výdělků {month}")
                } else {
                    format!("Earnings payout {month}")
                }
            })
            .collect();
        let ids: Vec<String> = payouts.iter().map(|p| p.id.to_string()).collect();
        let transfers: Vec<pain001::Transfer<'_>> = payouts
            .iter()
            .zip(&ids)
            .zip(&remittances)
            .filter(|((p, _), _)| p.status != PayoutStatus::Failed)
            .map(|((p, id), remittance)| pain001::Transfer {
                id,
                amount: p.amount,
                creditor: &p.holder,
                iban: &p.iban,
                remittance,
            })
            .collect();
        let created = batch.created_at.to_rfc3339().chars().take(19).collect::<String>();
        let batch_id = batch.id.to_string();
        let execution_date = date(today.max(batch.created_at));
        Ok(pain001::render(&pain001::Batch {
            id: &batch_id,
            currency,
            created: &created,
            execution_date: &execution_date,
            debtor: pain001::Debtor { name, iban: iban.as_str() },
            transfers: &transfers,
        }))
    }
}

/// The balances available, per currency and payee, largest payee first within a currency.
fn dues_by_currency(balances: Vec<PayeeBalance>) -> BTreeMap<String, Vec<Due>> {
    let mut by_key: BTreeMap<(String, Id), Vec<(Id, i64)>> = BTreeMap::new();
    for balance in balances {
        if balance.available != 0 {
            by_key
                .entry((balance.currency, balance.user_id))
                .or_default()
                .push((balance.creator_id, balance.available));
        }
    }
    let mut out: BTreeMap<String, Vec<Due>> = BTreeMap::new();
    for ((currency, user_id), parts) in by_key {
        out.entry(currency).or_default().push(Due { user_id, parts });
    }
    for dues in out.values_mut() {
        dues.sort_by_key(|due| std::cmp::Reverse(due.total()));
    }
    out
}

/// The scheduled job `payouts`.
pub struct PayoutsJob {
    payments: Payments,
}

impl PayoutsJob {
    /// The job over the configured providers' settings.
    pub fn new(payments: Payments) -> Self {
        Self { payments }
    }
}

impl ScheduledTask for PayoutsJob {
    fn name(&self) -> &'static str {
        "payouts"
    }

    fn run<'a>(&'a self, context: &'a JobContext) -> TaskFuture<'a> {
        Box::pin(async move {
            let run = self
                .payments
                .pay_out(&context.db, Timestamp::now())
                .await
                .map_err(|e| patron_jobs::JobError::Retry(e.to_string()))?;
            if !run.configured {
                return Ok("no payouts: PATRON_PAYOUT_IBAN and PATRON_PAYOUT_NAME are not set".to_owned());
            }
            Ok(format!(
                "{} payouts in {} batches, {} waiting for a bank account, {} under the minimum",
                run.payouts,
                run.batches.len(),
                run.without_account,
                run.under_minimum
            ))
        })
    }
}
