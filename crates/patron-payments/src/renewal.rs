//! Renewals: the `membership-renewal` job charges memberships when they are due, retries
//! failed charges and ends memberships that are cancelled or cannot be paid.

use crate::error::invalid;
use crate::mail::Mail;
use crate::{Charge, PaymentError, Payments};
use patron_domain::Timestamp;
use patron_domain::membership::{AfterFailure, MembershipEvent, MembershipStatus, after_failure};
use patron_jobs::{JobContext, ScheduledTask, TaskFuture};
use patron_store::payments::{self, Billing, NewPayment};
use patron_store::{Db, StoreError};

impl Payments {
    /// Charges every membership due at `now` (the clock is a parameter so tests can move it),
    /// and reminds fans whose cancelled membership ends within three days.
    pub async fn renew_due(&self, db: &Db, now: Timestamp) -> Result<RenewalSummary, PaymentError> {
        let mut summary = RenewalSummary::default();
        for membership in payments::ending(db.pool(), now, now.plus(REMINDER_AHEAD)).await? {
            let mut transaction = db.begin_write().await?;
            self.mail(&mut transaction, &membership, Mail::Ending).await?;
            transaction.commit().await.map_err(StoreError::from)?;
        }
        let mut seen = std::collections::HashSet::new();
        loop {
            let batch = payments::due(db.pool(), now, 100).await?;
            let fresh: Vec<Billing> = batch.into_iter().filter(|m| seen.insert(m.id)).collect();
            if fresh.is_empty() {
                break;
            }
            for membership in fresh {
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

    async fn renew(&self, db: &Db, membership: &Billing, now: Timestamp) -> Result<Renewed, PaymentError> {
        let due = membership.next_charge_at;
        let period_end = membership.current_period_end.unwrap_or(now);
        let monthly = membership.interval.monthly(membership.price);
        if membership.cancel_at_period_end {
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
            transaction.commit().await.map_err(StoreError::from)?;
            return Ok(Renewed::Ended);
        }
        let (Some(provider_name), Some(token)) = (&membership.provider, &membership.provider_token) else {
            return Ok(Renewed::Skipped);
        };
        let provider = self.provider(provider_name)?;
        // a scheduled downgrade takes effect with the new period: charge its price
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
        let price = scheduled.map(|(_, price)| price).unwrap_or(membership.price);
        let key = format!("renewal:{}:{}:{}", membership.id, period_end.as_micros(), membership.failed_charges);
        let charge = provider.charge(db, token, price, &membership.currency, &key).await?;
        let mut transaction = db.begin_write().await?;
        let outcome = match charge {
            Charge::Succeeded { provider_payment_id } => {
                let period = (period_end, membership.interval.period_end(period_end));
                if !payments::advance(
                    &mut transaction,
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
                    return Ok(Renewed::Skipped);
                }
                let mut payment =
                    self.renewal_payment(membership, key, Some(provider_payment_id), "succeeded", Some(period), None);
                payment.amount = price;
                let payment_id = payments::insert_payment(&mut transaction, &payment).await?;
                if let Some((tier_id, new_price)) = scheduled {
                    payments::set_tier(&mut transaction, membership.id, tier_id, new_price).await?;
                    let mut moved = membership.clone();
                    moved.tier_id = tier_id;
                    moved.price = new_price;
                    let delta = membership.interval.monthly(new_price) - monthly;
                    payments::record_event(&mut transaction, &moved, "downgraded", delta, payment_id, now).await?;
                }
                let kind = if membership.status == MembershipStatus::PastDue { "recovered" } else { "renewed" };
                payments::record_event(&mut transaction, membership, kind, 0, payment_id, now).await?;
                if let Some(payment_id) = payment_id {
                    self.mail(&mut transaction, membership, Mail::Receipt { payment_id, paid_until: period.1 }).await?;
                }
                Renewed::Paid
            }
            Charge::Declined { reason } => {
                let failures = membership.failed_charges + 1;
                let payment = self.renewal_payment(membership, key, None, "failed", None, Some(reason));
                match after_failure(period_end, u32::try_from(failures).unwrap_or(u32::MAX), &self.retries) {
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
                        let payment_id = payments::insert_payment(&mut transaction, &payment).await?;
                        if failures == 1 {
                            payments::record_event(&mut transaction, membership, "past_due", 0, payment_id, now)
                                .await?;
                        }
                        self.mail(&mut transaction, membership, Mail::Failed { retry, attempt: failures }).await?;
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
                        let payment_id = payments::insert_payment(&mut transaction, &payment).await?;
                        payments::record_event(&mut transaction, membership, "expired", -monthly, payment_id, now)
                            .await?;
                        patron_store::memberships::recount_supporters(&mut *transaction, membership.creator_id).await?;
                        self.mail(&mut transaction, membership, Mail::Expired).await?;
                        Renewed::Ended
                    }
                }
            }
        };
        transaction.commit().await.map_err(StoreError::from)?;
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

/// How long before a cancelled membership ends its member is reminded.
const REMINDER_AHEAD: std::time::Duration = std::time::Duration::from_secs(3 * 24 * 3600);

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
