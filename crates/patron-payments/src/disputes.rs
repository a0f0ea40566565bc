//! Disputes (chargebacks): a fan's bank takes a payment back until the dispute is decided.
//! Each reaches the membership ledger — `disputed` when it opens, then `dispute_won` or
//! `dispute_lost` — and a lost one ends the membership, as a refund does. Events about a
//! dispute may come late or out of order: a closed dispute stays closed, and a dispute first
//! seen closed is recorded as opened and closed at once.

use crate::error::invalid;
use crate::{PaymentError, Payments};
use patron_domain::Timestamp;
use patron_domain::membership::{MembershipEvent, MembershipStatus};
use patron_store::Db;
use patron_store::books::EntryKind;
use patron_store::payments;

/// Where a dispute stands, as the provider reports it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeOutcome {
    /// Still being decided (the money is held by the bank).
    Open,
    /// Decided for the creator: the money stays.
    Won,
    /// Decided for the fan: the money is gone.
    Lost,
}

impl Payments {
    /// Records what the provider says of a dispute about one payment, once per step.
    pub async fn record_dispute(
        &self,
        db: &Db,
        payment_id: patron_domain::Id,
        dispute_id: &str,
        outcome: DisputeOutcome,
    ) -> Result<(), PaymentError> {
        let payment = payments::find_payment(db.pool(), payment_id).await?.ok_or(PaymentError::UnknownCheckout)?;
        let mut transaction = db.begin_write().await?;
        let Some(membership) = payments::billing(&mut *transaction, payment.membership_id).await? else {
            return Ok(());
        };
        let now = Timestamp::now();
        if payments::open_dispute(&mut transaction, &payment.provider, dispute_id, payment.id).await? {
            payments::record_event(&mut transaction, &membership, "disputed", 0, Some(payment.id), now).await?;
            crate::books::post_reversal(&mut transaction, &payment, EntryKind::DisputeOpened).await?;
            tracing::warn!(payment_id = %payment.id, dispute = dispute_id, "a payment is disputed");
        }
        let mut ended = false;
        match outcome {
            DisputeOutcome::Open => {}
            DisputeOutcome::Won => {
                if payments::close_dispute(&mut transaction, &payment.provider, dispute_id, "won").await? {
                    payments::record_event(&mut transaction, &membership, "dispute_won", 0, Some(payment.id), now)
                        .await?;
                    crate::books::post_reversal(&mut transaction, &payment, EntryKind::DisputeWon).await?;
                }
            }
            DisputeOutcome::Lost => {
                if payments::close_dispute(&mut transaction, &payment.provider, dispute_id, "lost").await? {
                    crate::books::post_reversal(&mut transaction, &payment, EntryKind::DisputeLost).await?;
                    ended = self.lose_dispute(&mut transaction, &membership, payment.id, now).await?;
                }
            }
        }
        transaction.commit().await?;
        if ended {
            self.release_card(db, &membership).await;
        }
        Ok(())
    }

    /// A lost dispute: the ledger records it, and a live membership ends with the loss of its
    /// revenue (an ended one only gets the record). True when the membership ended now.
    async fn lose_dispute(
        &self,
        transaction: &mut patron_store::Transaction,
        membership: &payments::Billing,
        payment_id: patron_domain::Id,
        now: Timestamp,
    ) -> Result<bool, PaymentError> {
        let live = membership.status != MembershipStatus::Expired;
        let delta = if live { -membership.interval.monthly(membership.price) } else { 0 };
        payments::record_event(transaction, membership, "dispute_lost", delta, Some(payment_id), now).await?;
        if !live {
            return Ok(false);
        }
        payments::advance(
            transaction,
            membership.id,
            membership.next_charge_at,
            membership.status.after(MembershipEvent::Refunded).map_err(invalid)?,
            None,
            None,
            membership.failed_charges,
            None,
        )
        .await?;
        patron_store::memberships::recount_supporters(&mut **transaction, membership.creator_id).await?;
        tracing::warn!(membership_id = %membership.id, "a lost dispute ended the membership");
        Ok(true)
    }
}
