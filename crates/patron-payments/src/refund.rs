//! Refunds: a platform admin returns a payment, which ends its membership.

use crate::error::invalid;
use crate::{PaymentError, Payments};
use patron_domain::membership::{MembershipEvent, MembershipStatus};
use patron_domain::{Id, Timestamp};
use patron_store::Db;
use patron_store::payments;

impl Payments {
    /// Refunds a payment through its provider and ends its membership at once (a platform
    /// admin's decision). Refunding twice, or refunding a disputed payment, is refused.
    pub async fn refund(&self, db: &Db, payment_id: Id) -> Result<bool, PaymentError> {
        let Some(payment) = payments::find_payment(db.pool(), payment_id).await? else { return Ok(false) };
        if payment.status != "succeeded" {
            return Ok(false);
        }
        if payment.dispute.is_some() {
            // the fan's bank took the money back already; the dispute decides where it goes
            return Err(PaymentError::NotChangeable("a disputed payment is not refunded: the dispute decides"));
        }
        let provider = self.provider(&payment.provider)?;
        let provider_id = payment.provider_payment_id.clone().ok_or(PaymentError::Malformed("provider payment id"))?;
        provider.refund(db, &provider_id, payment.amount).await?;
        self.record_refund(db, payment.id).await
    }

    /// Records a payment as refunded and ends its membership, once — after patron's refund
    /// went through at the provider, or when the provider reports a refund made there. False
    /// when it was refunded already.
    pub async fn record_refund(&self, db: &Db, payment_id: Id) -> Result<bool, PaymentError> {
        let Some(payment) = payments::find_payment(db.pool(), payment_id).await? else { return Ok(false) };
        let mut transaction = db.begin_write().await?;
        if !payments::claim_refund(&mut transaction, payment.id).await? {
            return Ok(false);
        }
        crate::books::post_reversal(&mut transaction, &payment, patron_store::books::EntryKind::Refund).await?;
        crate::documents::issue_credit_note(&mut transaction, &self.seller, &payment).await?;
        // a duplicate payment goes back without touching the membership it was recorded on
        let mut ended = None;
        if let Some(membership) = payments::billing(&mut *transaction, payment.membership_id).await?
            && payment.kind != "duplicate"
            && membership.status != MembershipStatus::Expired
        {
            let monthly = membership.interval.monthly(membership.price);
            payments::advance(
                &mut transaction,
                membership.id,
                membership.next_charge_at,
                membership.status.after(MembershipEvent::Refunded).map_err(invalid)?,
                None,
                None,
                membership.failed_charges,
                None,
            )
            .await?;
            payments::record_event(
                &mut transaction,
                &membership,
                "refunded",
                -monthly,
                Some(payment.id),
                Timestamp::now(),
            )
            .await?;
            patron_store::memberships::recount_supporters(&mut *transaction, membership.creator_id).await?;
            ended = Some(membership);
        }
        transaction.commit().await?;
        if let Some(membership) = ended {
            self.release_card(db, &membership).await;
        }
        tracing::info!(payment_id = %payment.id, "payment refunded; membership ended");
        Ok(true)
    }
}
