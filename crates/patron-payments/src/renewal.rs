//! Renewals: the `membership-renewal` job charges memberships when they are due, retries
//! failed charges and ends memberships that are cancelled or cannot be paid.

use crate::error::invalid;
use crate::mail::Mail;
use crate::{Charge, PaymentError, Payments};
use patron_domain::membership::{AfterFailure, MembershipEvent, MembershipStatus, after_failure};
use patron_domain::{Id, Timestamp};
use patron_jobs::{JobContext, ScheduledTask, TaskFuture};
use patron_store::payments::{self, Billing, NewPayment};
use patron_store::{Db, Transaction};

impl Payments {
    /// Charges every membership due at `now` (the clock is a parameter so tests can move it),
    /// and reminds fans whose cancelled membership ends within three days.
    pub async fn renew_due(&self, db: &Db, now: Timestamp) -> Result<RenewalSummary, PaymentError> {
        let mut summary = RenewalSummary::default();
        for membership in payments::ending(db.pool(), now, now.plus(REMINDER_AHEAD)).await? {
            let mut transaction = db.begin_write().await?;
            self.mail(&mut transaction, &membership, Mail::Ending).await?;
            transaction.commit().await?;
        }
        self.remind_expiring_cards(db, now).await?;
        let mut seen = std::collections::HashSet::new();
        loop {
            let batch = payments::due(db.pool(), now, 100).await?;
            let fresh: Vec<Billing> = batch.into_iter().filter(|m| seen.insert(m.id)).collect();
            if fresh.is_empty() {
                break;
            }
            for membership in fresh {
                self.prepare_czk(db, &membership.currency, now).await;
                match self.renew(db, &membership, now).await {
                    Ok(outcome) => summary.count(outcome),
                    Err(error) => {
                        tracing::warn!(membership_id = %membership.id, %error, "renewal not done; tried again next run");
                        summary.errors += 1;
                    }
                }
            }
        }
        Ok(summary)
    }

    /// Mails the fans whose card expires before their next charge, once per card and charge,
    /// while there is time to change it.
    async fn remind_expiring_cards(&self, db: &Db, now: Timestamp) -> Result<(), PaymentError> {
        for membership in payments::charging_soon(db.pool(), now, now.plus(CARD_REMINDER_AHEAD)).await? {
            let (Some(card), Some(next_charge)) = (&membership.card, membership.next_charge_at) else { continue };
            if !card.expires_before(next_charge) {
                continue;
            }
            let mut transaction = db.begin_write().await?;
            let mail = Mail::CardExpiring { card: card.clone(), next_charge };
            self.mail(&mut transaction, &membership, mail).await?;
            transaction.commit().await?;
        }
        Ok(())
    }

    /// Tells the provider that the card of a membership that ended for good will not be
    /// charged again (GP webpay revokes the registration). Best effort, after the ending is
    /// recorded: a failure is logged, and an unused registration lapses on its own.
    pub(crate) async fn release_card(&self, db: &Db, membership: &Billing) {
        let (Some(provider), Some(token)) = (&membership.provider, &membership.provider_token) else { return };
        let Ok(provider) = self.provider(provider) else { return };
        if let Err(error) = provider.release(db, token).await {
            tracing::warn!(membership_id = %membership.id, %error, "the provider did not release the card");
        }
    }

    /// Renews one due membership: ends it when it was cancelled, otherwise charges it and
    /// records the outcome in one transaction.
    async fn renew(&self, db: &Db, membership: &Billing, now: Timestamp) -> Result<Renewed, PaymentError> {
        let due = membership.next_charge_at;
        let period_end = membership.current_period_end.unwrap_or(now);
        let monthly = membership.interval.monthly(membership.price);
        if membership.cancel_at_period_end {
            return self.end_cancelled(db, membership, due, monthly, now).await;
        }
        let (Some(provider_name), Some(token)) = (&membership.provider, &membership.provider_token) else {
            return Ok(Renewed::Skipped);
        };
        let provider = self.provider(provider_name)?;
        // a scheduled downgrade takes effect with the new period: charge its price
        let scheduled = scheduled_tier(db, membership).await?;
        let price = scheduled.map(|(_, price)| price).unwrap_or(membership.price);
        let key = format!("renewal:{}:{}:{}", membership.id, period_end.as_micros(), membership.failed_charges);
        let charge = provider.charge(db, token, price, &membership.currency, &key).await?;
        let transaction = db.begin_write().await?;
        let attempt = Attempt { membership, now, due, period_end, monthly, key };
        let outcome = match charge {
            Charge::Succeeded { provider_payment_id } => {
                self.renewed(transaction, attempt, provider_payment_id, price, scheduled).await?
            }
            Charge::Declined { reason } => self.declined(transaction, attempt, reason, false).await?,
            Charge::NeedsAuthentication { reason } => self.declined(transaction, attempt, reason, true).await?,
        };
        if outcome == Renewed::Ended {
            self.release_card(db, membership).await;
        }
        Ok(outcome)
    }

    /// Ends a membership cancelled for the end of its period, without charging it.
    async fn end_cancelled(
        &self,
        db: &Db,
        membership: &Billing,
        due: Option<Timestamp>,
        monthly: i64,
        now: Timestamp,
    ) -> Result<Renewed, PaymentError> {
        let mut transaction = db.begin_write().await?;
        if !payments::advance(
            &mut transaction,
            membership.id,
            due,
            membership.status.after(MembershipEvent::PeriodEndedCancelled).map_err(invalid)?,
            None,
            None,
            membership.failed_charges,
            None,
        )
        .await?
        {
            return Ok(Renewed::Skipped);
        }
        payments::record_event(&mut transaction, membership, "expired", -monthly, None, now).await?;
        patron_store::memberships::recount_supporters(&mut *transaction, membership.creator_id).await?;
        self.mail(&mut transaction, membership, Mail::Expired).await?;
        transaction.commit().await?;
        self.release_card(db, membership).await;
        Ok(Renewed::Ended)
    }

    /// The charge went through: the next period starts, at the scheduled tier's price when a
    /// downgrade was waiting, and the fan gets a receipt.
    async fn renewed(
        &self,
        mut transaction: Transaction,
        attempt: Attempt<'_>,
        provider_payment_id: String,
        price: i64,
        scheduled: Option<(Id, i64)>,
    ) -> Result<Renewed, PaymentError> {
        let Attempt { membership, now, due, period_end, key, .. } = attempt;
        let mut payment = self.renewal_payment(membership, key, Some(provider_payment_id), "succeeded", None, None);
        payment.amount = price;
        let next = NextPeriod { due, period_end, scheduled, now };
        if !self.start_next_period(&mut transaction, membership, next, payment).await? {
            return Ok(Renewed::Skipped);
        }
        transaction.commit().await?;
        Ok(Renewed::Paid)
    }

    /// Starts the period after `period_end` of a membership whose renewal is paid — charged
    /// by the scheduler, or paid by the fan while present: records the payment, a waiting
    /// downgrade, the ledger event (`recovered` after a failed charge) and the receipt, in the
    /// caller's transaction. False when the membership moved on meanwhile (nothing recorded).
    pub(crate) async fn start_next_period(
        &self,
        transaction: &mut Transaction,
        membership: &Billing,
        next: NextPeriod,
        mut payment: NewPayment,
    ) -> Result<bool, PaymentError> {
        let NextPeriod { due, period_end, scheduled, now } = next;
        let period = (period_end, membership.interval.period_end(period_end));
        if !payments::advance(
            transaction,
            membership.id,
            due,
            membership.status.after(MembershipEvent::Paid).map_err(invalid)?,
            Some(period),
            Some(period.1),
            0,
            None,
        )
        .await?
        {
            return Ok(false);
        }
        payment.period = Some(period);
        let payment_id = crate::books::record_payment(transaction, &payment, self.platform_fee, &self.seller).await?;
        if let Some((tier_id, new_price)) = scheduled {
            payments::set_tier(transaction, membership.id, tier_id, new_price).await?;
            let mut moved = membership.clone();
            moved.tier_id = tier_id;
            moved.price = new_price;
            let delta = membership.interval.monthly(new_price) - membership.interval.monthly(membership.price);
            payments::record_event(transaction, &moved, "downgraded", delta, payment_id, now).await?;
        }
        let kind = if membership.status == MembershipStatus::PastDue { "recovered" } else { "renewed" };
        payments::record_event(transaction, membership, kind, 0, payment_id, now).await?;
        if let Some(payment_id) = payment_id {
            self.mail(transaction, membership, Mail::Receipt { payment_id, paid_until: period.1 }).await?;
        }
        Ok(true)
    }

    /// The charge was refused: it is tried again later, or, with the retries used up, the
    /// membership ends. When the bank wants the fan to confirm the payment, the mail asks them
    /// to pay while present (the retries go on meanwhile).
    async fn declined(
        &self,
        mut transaction: Transaction,
        attempt: Attempt<'_>,
        reason: String,
        needs_authentication: bool,
    ) -> Result<Renewed, PaymentError> {
        let Attempt { membership, now, due, period_end, monthly, key } = attempt;
        let failures = membership.failed_charges + 1;
        let payment = self.renewal_payment(membership, key, None, "failed", None, Some(reason));
        let outcome = match after_failure(period_end, u32::try_from(failures).unwrap_or(u32::MAX), &self.retries) {
            AfterFailure::RetryAt(retry) => {
                if !payments::advance(
                    &mut transaction,
                    membership.id,
                    due,
                    membership.status.after(MembershipEvent::ChargeFailed).map_err(invalid)?,
                    None,
                    Some(retry),
                    failures,
                    Some(retry),
                )
                .await?
                {
                    return Ok(Renewed::Skipped);
                }
                let payment_id =
                    crate::books::record_payment(&mut transaction, &payment, self.platform_fee, &self.seller).await?;
                if failures == 1 {
                    payments::record_event(&mut transaction, membership, "past_due", 0, payment_id, now).await?;
                }
                let mail = if needs_authentication {
                    Mail::Authenticate { attempt: failures }
                } else {
                    Mail::Failed { retry, attempt: failures }
                };
                self.mail(&mut transaction, membership, mail).await?;
                Renewed::Failed
            }
            AfterFailure::Expire => {
                if !payments::advance(
                    &mut transaction,
                    membership.id,
                    due,
                    membership.status.after(MembershipEvent::ChargeFailedFinally).map_err(invalid)?,
                    None,
                    None,
                    failures,
                    None,
                )
                .await?
                {
                    return Ok(Renewed::Skipped);
                }
                let payment_id =
                    crate::books::record_payment(&mut transaction, &payment, self.platform_fee, &self.seller).await?;
                payments::record_event(&mut transaction, membership, "expired", -monthly, payment_id, now).await?;
                patron_store::memberships::recount_supporters(&mut *transaction, membership.creator_id).await?;
                self.mail(&mut transaction, membership, Mail::Expired).await?;
                Renewed::Ended
            }
        };
        transaction.commit().await?;
        Ok(outcome)
    }

    pub(crate) fn renewal_payment(
        &self,
        membership: &Billing,
        idempotency_key: String,
        provider_payment_id: Option<String>,
        status: &'static str,
        period: Option<(Timestamp, Timestamp)>,
        failure: Option<String>,
    ) -> NewPayment {
        NewPayment {
            membership_id: membership.id,
            checkout_id: None,
            user_id: membership.user_id,
            creator_id: membership.creator_id,
            provider: membership.provider.clone().unwrap_or_default(),
            provider_payment_id,
            idempotency_key,
            kind: "renewal",
            status,
            amount: membership.price,
            currency: membership.currency.clone(),
            period,
            failure,
        }
    }
}

/// When a paid renewal starts the next period, and what it changes.
pub(crate) struct NextPeriod {
    /// When the charge was due, as read: the membership changes only while it still is.
    pub(crate) due: Option<Timestamp>,
    /// The end of the period being renewed: the next one starts there.
    pub(crate) period_end: Timestamp,
    /// A downgrade that takes effect with the new period: its tier and price.
    pub(crate) scheduled: Option<(Id, i64)>,
    pub(crate) now: Timestamp,
}

/// The tier a scheduled downgrade moves a membership to, with its price for the membership's
/// billing interval.
pub(crate) async fn scheduled_tier(db: &Db, membership: &Billing) -> Result<Option<(Id, i64)>, PaymentError> {
    let scheduled = match membership.scheduled_tier_id {
        Some(tier_id) => patron_store::tiers::find(db.pool(), membership.creator_id, tier_id).await?.map(|tier| {
            let price = match membership.interval {
                patron_domain::membership::BillingInterval::Month => tier.monthly_price,
                patron_domain::membership::BillingInterval::Year => tier.yearly_price.unwrap_or(membership.price),
            };
            (tier.id, price)
        }),
        None => None,
    };
    Ok(scheduled)
}

/// One renewal charge of a membership, with what each of its outcomes records.
struct Attempt<'a> {
    membership: &'a Billing,
    now: Timestamp,
    /// When the charge was due, as read: `advance` changes the membership only while it still is.
    due: Option<Timestamp>,
    /// The end of the period being renewed; the next period and the retries count from it.
    period_end: Timestamp,
    /// The membership's monthly value before this charge, for the ledger.
    monthly: i64,
    /// The charge's idempotency key at the provider, kept on its payment.
    key: String,
}

/// How long before a cancelled membership ends its member is reminded.
const REMINDER_AHEAD: std::time::Duration = std::time::Duration::from_secs(3 * 24 * 3600);
/// How long before a charge on an expiring card its fan is reminded to change it.
const CARD_REMINDER_AHEAD: std::time::Duration = std::time::Duration::from_secs(14 * 24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Renewed {
    Paid,
    Failed,
    Ended,
    Skipped,
}

/// What a renewal run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenewalSummary {
    /// Charged successfully.
    pub renewed: usize,
    /// Charges that failed (to be retried).
    pub failed: usize,
    /// Memberships that ended.
    pub expired: usize,
    /// Memberships that could not be handled now.
    pub errors: usize,
}

impl RenewalSummary {
    fn count(&mut self, outcome: Renewed) {
        match outcome {
            Renewed::Paid => self.renewed += 1,
            Renewed::Failed => self.failed += 1,
            Renewed::Ended => self.expired += 1,
            Renewed::Skipped => {}
        }
    }
}

/// The `membership-renewal` scheduled job.
pub struct MembershipRenewal {
    payments: Payments,
}

impl MembershipRenewal {
    /// The job, charging through `payments`.
    pub fn new(payments: Payments) -> Self {
        Self { payments }
    }
}

impl ScheduledTask for MembershipRenewal {
    fn name(&self) -> &'static str {
        "membership-renewal"
    }

    fn run<'a>(&'a self, context: &'a JobContext) -> TaskFuture<'a> {
        Box::pin(async move {
            let summary = self
                .payments
                .renew_due(&context.db, Timestamp::now())
                .await
                .map_err(|e| patron_jobs::JobError::Retry(e.to_string()))?;
            Ok(format!(
                "{} renewed, {} failed, {} ended, {} left for later",
                summary.renewed, summary.failed, summary.expired, summary.errors
            ))
        })
    }
}
