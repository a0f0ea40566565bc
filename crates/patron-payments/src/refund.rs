//! Refunds: a platform admin returns a payment, which ends its membership.

use crate::error::invalid;
use crate::{PaymentError, Payments};
use patron_domain::membership::{MembershipEvent, MembershipStatus};
use patron_domain::{Id, Timestamp};
use patron_store::Db;
use patron_store::payments;

impl Payments {
    /// Refunds a payment through its provider and ends its membership at once (a platform
    /// admin's decision). Refunding twice is refused.
    pub async fn refund(&self, db: &Db, payment_id: Id) -> Result<bool, PaymentError> {
        let Some(payment) = payments::find_payment(db.pool(), payment_id).await? else { return Ok(false) };
        if payment.status != "succeeded" {
            return Ok(false);
        }
        let provider = self.provider(&payment.provider)?;
        let provider_id = payment.provider_payment_id.clone().ok_or(PaymentError::Malformed("provider payment id"))?;
        provider.refund(db, &provider_id, payment.amount).await?;
        let mut transaction = db.begin_write().await?;
        if !payments::claim_refund(&mut transaction, payment.id).await? {
            return Ok(false);
        }
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
