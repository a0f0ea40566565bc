//! A fan's changes to a membership: another tier, or ending it with its paid period.

use crate::mail::Mail;
use crate::{Charge, PaymentError, Payments};
use patron_domain::Timestamp;
use patron_domain::membership::MembershipStatus;
use patron_store::Db;
use patron_store::payments::{self, Billing};

/// What a change of tier did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierChange {
    /// Moved up at once; `charged` minor units for the rest of the period.
    Upgraded {
        /// The prorated charge.
        charged: i64,
    },
    /// Moves down when the next period starts.
    DowngradeScheduled,
    /// Already on that tier (a scheduled downgrade was dropped).
    Unchanged,
}

/// What a change of tier would do, shown to the fan before they confirm it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierQuote {
    /// A dearer tier at once: `charge` now for the rest of the period (prorated), then
    /// `new_price` from `renews_on`.
    Upgrade {
        /// What is charged now, in minor units.
        charge: i64,
        /// The price of each later period.
        new_price: i64,
        /// When the next period starts.
        renews_on: Timestamp,
    },
    /// A cheaper tier from the next period, `new_price` from `from`; nothing is charged now.
    Downgrade {
        /// The price from the next period.
        new_price: i64,
        /// When the next period starts, when the membership has a paid one.
        from: Option<Timestamp>,
    },
    /// The membership is on that tier already.
    Unchanged,
}

/// What moving `membership` to `tier` at `now` would do, or why it cannot move: the rules
/// [`Payments::change_tier`] follows, without touching anything.
pub fn quote_tier_change(
    membership: &Billing,
    tier: &patron_store::tiers::Tier,
    now: Timestamp,
) -> Result<TierQuote, PaymentError> {
    if membership.status != MembershipStatus::Active {
        return Err(PaymentError::NotChangeable("only an active membership changes tier"));
    }
    if tier.creator_id != membership.creator_id || tier.archived_at.is_some() || tier.currency != membership.currency {
        return Err(PaymentError::NotChangeable("that tier is not open to this membership"));
    }
    let new_price = match membership.interval {
        patron_domain::membership::BillingInterval::Month => tier.monthly_price,
        patron_domain::membership::BillingInterval::Year => {
            tier.yearly_price.ok_or(PaymentError::NotChangeable("that tier is paid monthly only"))?
        }
    };
    if tier.id == membership.tier_id {
        return Ok(TierQuote::Unchanged);
    }
    if new_price < membership.price {
        return Ok(TierQuote::Downgrade { new_price, from: membership.current_period_end });
    }
    let (Some(start), Some(end)) = (membership.current_period_start, membership.current_period_end) else {
        return Err(PaymentError::NotChangeable("the membership has no paid period"));
    };
    let charge = patron_domain::membership::prorated(membership.price, new_price, start, end, now);
    Ok(TierQuote::Upgrade { charge, new_price, renews_on: end })
}

impl Payments {
    /// Moves an active membership to another tier of the same page: a dearer tier at once,
    /// charging the difference for the rest of the period (prorated, with the registered
    /// card); a cheaper one from the next period (no refund, the fan keeps what they paid
    /// for). Choosing the current tier cancels a scheduled downgrade.
    pub async fn change_tier(
        &self,
        db: &Db,
        membership: &Billing,
        tier: &patron_store::tiers::Tier,
        now: Timestamp,
    ) -> Result<TierChange, PaymentError> {
        let (charge, new_price, end) = match quote_tier_change(membership, tier, now)? {
            TierQuote::Unchanged => {
                let mut transaction = db.begin_write().await?;
                payments::schedule_tier(&mut transaction, membership.id, None).await?;
                transaction.commit().await?;
                return Ok(TierChange::Unchanged);
            }
            TierQuote::Downgrade { .. } => {
                let mut transaction = db.begin_write().await?;
                payments::schedule_tier(&mut transaction, membership.id, Some(tier.id)).await?;
                transaction.commit().await?;
                return Ok(TierChange::DowngradeScheduled);
            }
            TierQuote::Upgrade { charge, new_price, renews_on } => (charge, new_price, renews_on),
        };
        self.prepare_czk(db, &membership.currency, Timestamp::now()).await;
        let key = format!("upgrade:{}:{}:{}", membership.id, tier.id, end.as_micros());
        let provider_payment_id = if charge > 0 {
            let (Some(provider_name), Some(token)) = (&membership.provider, &membership.provider_token) else {
                return Err(PaymentError::NotChangeable("this membership has no card to charge"));
            };
            match self.provider(provider_name)?.charge(db, token, charge, &membership.currency, &key).await? {
                Charge::Succeeded { provider_payment_id } => Some(provider_payment_id),
                Charge::Declined { reason } | Charge::NeedsAuthentication { reason } => {
                    return Err(PaymentError::Declined(reason));
                }
            }
        } else {
            None
        };
        let mut transaction = db.begin_write().await?;
        payments::set_tier(&mut transaction, membership.id, tier.id, new_price).await?;
        let mut moved = membership.clone();
        moved.tier_id = tier.id;
        moved.price = new_price;
        let delta = membership.interval.monthly(new_price) - membership.interval.monthly(membership.price);
        let payment_id = if charge > 0 {
            let mut payment =
                self.renewal_payment(membership, key, provider_payment_id, "succeeded", Some((now, end)), None);
            payment.kind = "upgrade";
            payment.amount = charge;
            crate::books::record_payment(&mut transaction, &payment, self.platform_fee, &self.seller).await?
        } else {
            None
        };
        payments::record_event(&mut transaction, &moved, "upgraded", delta, payment_id, now).await?;
        if let Some(payment_id) = payment_id {
            self.mail(&mut transaction, &moved, Mail::Receipt { payment_id, paid_until: end }).await?;
        }
        transaction.commit().await?;
        Ok(TierChange::Upgraded { charged: charge })
    }

    /// Ends a membership at the end of its paid period (or undoes that).
    pub async fn set_cancelled(&self, db: &Db, membership: &Billing, cancel: bool) -> Result<bool, PaymentError> {
        let mut transaction = db.begin_write().await?;
        let changed = payments::set_cancel_at_period_end(&mut transaction, membership.id, cancel).await?;
        if changed && cancel {
            payments::record_event(&mut transaction, membership, "cancelled", 0, None, Timestamp::now()).await?;
        }
        transaction.commit().await?;
        Ok(changed)
    }
}
