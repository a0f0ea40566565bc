//! A fan's checkout: started at a provider, settled from the provider's signed answer into a
//! payment and a membership.

use crate::mail::Mail;
use crate::{Answer, PaymentError, Payments, Provider};
use patron_domain::membership::{MembershipEvent, MembershipStatus};
use patron_domain::{Id, Timestamp};
use patron_store::memberships::NewMembership;
use patron_store::payments::{self, Checkout, NewPayment};
use patron_store::{Db, Transaction};
use std::collections::BTreeMap;

impl Payments {
    /// Starts a checkout at `provider`; returns where to send the fan.
    pub async fn start_checkout(&self, db: &Db, checkout: &Checkout) -> Result<String, PaymentError> {
        let provider = self.provider(&checkout.provider)?;
        payments::insert_checkout(db.pool(), checkout).await?;
        provider.start(db, checkout).await
    }

    /// Settles a checkout from a provider's answer. Safe to call any number of times, at once:
    /// only the first delivery changes anything.
    pub async fn settle(
        &self,
        db: &Db,
        provider_name: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<Settled, PaymentError> {
        let provider = self.provider(provider_name)?;
        let answer = provider.verify(params).inspect_err(|error| {
            tracing::warn!(provider = provider_name, %error, "payment answer refused");
        })?;
        if !provider.confirm(db, &answer).await? {
            tracing::error!(provider = provider_name, order = %answer.provider_payment_id, "the provider does not confirm a signed answer");
            return Err(PaymentError::Malformed("payment, which the provider does not confirm"));
        }
        let checkout =
            payments::find_checkout(db.pool(), answer.checkout_id).await?.ok_or(PaymentError::UnknownCheckout)?;
        if checkout.provider != provider_name {
            return Err(PaymentError::UnknownCheckout);
        }
        if !answer.approved {
            return decline(db, &checkout, &answer).await;
        }
        refuse_other_amount(&checkout, &answer)?;
        self.pay(db, provider.as_ref(), provider_name, &checkout, &answer).await
    }

    /// Settles an approved answer in one transaction: claims the checkout, then starts its
    /// membership, records the payment and the ledger event and queues the receipt.
    async fn pay(
        &self,
        db: &Db,
        provider: &dyn Provider,
        provider_name: &str,
        checkout: &Checkout,
        answer: &Answer,
    ) -> Result<Settled, PaymentError> {
        let mut transaction = db.begin_write().await?;
        if !payments::claim_checkout(&mut transaction, checkout.id, "paid", None).await? {
            // another delivery of this answer settled it
            return Ok(Settled { checkout_id: checkout.id, paid: true, first: false });
        }
        let now = Timestamp::now();
        let period = (now, checkout.interval.period_end(now));
        let new = new_membership(checkout, period);
        let membership_id = match patron_store::memberships::insert(&mut transaction, &new).await {
            Ok(id) => id,
            Err(patron_store::memberships::InsertMembershipError::AlreadyMember) => {
                return record_duplicate(transaction, provider_name, checkout, answer).await;
            }
            Err(patron_store::memberships::InsertMembershipError::Store(error)) => return Err(error.into()),
        };
        payments::set_billing(&mut transaction, membership_id, provider_name, answer.token.as_deref(), Some(period.1))
            .await?;
        if !provider.renews() {
            payments::set_cancel_at_period_end(&mut transaction, membership_id, true).await?;
        }
        payments::set_checkout_membership(&mut transaction, checkout.id, membership_id).await?;
        let payment = NewPayment {
            membership_id,
            checkout_id: Some(checkout.id),
            user_id: checkout.user_id,
            creator_id: checkout.creator_id,
            provider: provider_name.to_owned(),
            provider_payment_id: Some(answer.provider_payment_id.clone()),
            idempotency_key: format!("checkout:{}", checkout.id),
            kind: "initial",
            status: "succeeded",
            amount: checkout.amount,
            currency: checkout.currency.clone(),
            period: Some(period),
            failure: None,
        };
        let payment_id = payments::insert_payment(&mut transaction, &payment).await?;
        let billing =
            payments::billing(&mut *transaction, membership_id).await?.ok_or(PaymentError::UnknownCheckout)?;
        payments::record_event(
            &mut transaction,
            &billing,
            "created",
            billing.interval.monthly(billing.price),
            payment_id,
            now,
        )
        .await?;
        if let Some(payment_id) = payment_id {
            self.mail(&mut transaction, &billing, Mail::Receipt { payment_id, paid_until: period.1 }).await?;
        }
        transaction.commit().await?;
        tracing::info!(checkout_id = %checkout.id, membership_id = %membership_id, "checkout paid: membership active");
        Ok(Settled { checkout_id: checkout.id, paid: true, first: true })
    }
}

/// Records a declined answer on its checkout; only the first delivery claims it.
async fn decline(db: &Db, checkout: &Checkout, answer: &Answer) -> Result<Settled, PaymentError> {
    let mut connection = db.begin_write().await?;
    let claimed = payments::claim_checkout(&mut connection, checkout.id, "declined", Some(&answer.message)).await?;
    connection.commit().await?;
    if claimed {
        tracing::info!(checkout_id = %checkout.id, "checkout declined");
    }
    Ok(Settled { checkout_id: checkout.id, paid: false, first: claimed })
}

/// Refuses an answer whose amount or currency, when it states them, differ from the checkout's.
fn refuse_other_amount(checkout: &Checkout, answer: &Answer) -> Result<(), PaymentError> {
    if answer.amount.is_some_and(|amount| amount != checkout.amount)
        || answer.currency.as_ref().is_some_and(|currency| currency != &checkout.currency)
    {
        let error = PaymentError::AmountMismatch {
            paid: format!("{} {}", answer.amount.unwrap_or_default(), answer.currency.clone().unwrap_or_default()),
            expected: format!("{} {}", checkout.amount, checkout.currency),
        };
        tracing::error!(checkout_id = %checkout.id, %error, "payment answer refused");
        return Err(error);
    }
    Ok(())
}

/// The membership a paid checkout starts, paid for `period`.
fn new_membership(checkout: &Checkout, period: (Timestamp, Timestamp)) -> NewMembership {
    NewMembership {
        user_id: checkout.user_id,
        creator_id: checkout.creator_id,
        tier_id: checkout.tier_id,
        status: MembershipStatus::Pending.after(MembershipEvent::Paid).unwrap_or(MembershipStatus::Active),
        price: checkout.amount,
        currency: checkout.currency.clone(),
        billing_interval: checkout.interval.as_str(),
        period: Some(period),
        grace_until: None,
    }
}

/// Finishes the transaction of a paid checkout whose fan turned out to be a member already.
async fn record_duplicate(
    mut transaction: Transaction,
    provider_name: &str,
    checkout: &Checkout,
    answer: &Answer,
) -> Result<Settled, PaymentError> {
    // paid although already a member (two checkouts at once): the money is
    // recorded against the live membership as a duplicate for an admin to refund;
    // the membership itself is not touched
    tracing::error!(checkout_id = %checkout.id, "paid checkout of a fan who is already a member: refund it");
    let live = patron_store::memberships::live_of(&mut *transaction, checkout.user_id, checkout.creator_id)
        .await?
        .ok_or(PaymentError::UnknownCheckout)?;
    let duplicate = NewPayment {
        membership_id: live,
        checkout_id: Some(checkout.id),
        user_id: checkout.user_id,
        creator_id: checkout.creator_id,
        provider: provider_name.to_owned(),
        provider_payment_id: Some(answer.provider_payment_id.clone()),
        idempotency_key: format!("checkout:{}", checkout.id),
        kind: "duplicate",
        status: "succeeded",
        amount: checkout.amount,
        currency: checkout.currency.clone(),
        period: None,
        failure: Some("paid while already a member: refund".to_owned()),
    };
    payments::insert_payment(&mut transaction, &duplicate).await?;
    transaction.commit().await?;
    Ok(Settled { checkout_id: checkout.id, paid: true, first: true })
}

/// What settling an answer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    /// The checkout.
    pub checkout_id: Id,
    /// Paid (or declined).
    pub paid: bool,
    /// Whether this delivery did it (false: an earlier one had).
    pub first: bool,
}
