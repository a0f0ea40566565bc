//! A fan's checkout: started at a provider, settled from the provider's signed answer into a
//! payment and a membership.

use crate::mail::Mail;
use crate::renewal::{NextPeriod, scheduled_tier};
use crate::{Answer, PaymentError, Payments, Provider};
use patron_domain::membership::{MembershipEvent, MembershipStatus};
use patron_domain::{Id, Timestamp};
use patron_store::memberships::NewMembership;
use patron_store::payments::{self, Billing, Checkout, CheckoutPurpose, NewPayment};
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
        self.settle_answer(db, provider_name, &answer).await
    }

    /// Settles a checkout from a provider's answer that is verified and confirmed already (for
    /// Stripe: read from the PaymentIntent as Stripe holds it). Safe to call any number of
    /// times, at once: only the first changes anything.
    pub async fn settle_answer(&self, db: &Db, provider_name: &str, answer: &Answer) -> Result<Settled, PaymentError> {
        let provider = self.provider(provider_name)?;
        let checkout =
            payments::find_checkout(db.pool(), answer.checkout_id).await?.ok_or(PaymentError::UnknownCheckout)?;
        if checkout.provider != provider_name {
            return Err(PaymentError::UnknownCheckout);
        }
        if !answer.approved {
            return decline(db, &checkout, answer).await;
        }
        refuse_other_amount(&checkout, answer)?;
        self.prepare_czk(db, &checkout.currency, Timestamp::now()).await;
        match checkout.purpose {
            CheckoutPurpose::Join => self.pay(db, provider.as_ref(), provider_name, &checkout, answer).await,
            CheckoutPurpose::Renewal => self.pay_renewal(db, provider_name, &checkout, answer).await,
        }
    }

    /// Starts paying the renewal of a past-due membership with the fan present (their bank
    /// wanted them to confirm it, or they pay with another card): a checkout for the next
    /// period's price; returns where to send the fan.
    pub async fn start_recovery(&self, db: &Db, membership: &Billing) -> Result<(Checkout, String), PaymentError> {
        if membership.status != MembershipStatus::PastDue {
            return Err(PaymentError::NotChangeable("this membership is not waiting for a payment"));
        }
        let provider = match &membership.provider {
            Some(name) if self.provider(name).is_ok() => name.clone(),
            _ => self.default_provider().ok_or(PaymentError::UnknownProvider(String::new()))?.to_owned(),
        };
        let price = self.renewal_price(db, membership).await?;
        let checkout = Checkout {
            id: Id::new(),
            user_id: membership.user_id,
            creator_id: membership.creator_id,
            tier_id: membership.tier_id,
            provider,
            amount: price,
            currency: membership.currency.clone(),
            interval: membership.interval,
            status: "pending".into(),
            membership_id: Some(membership.id),
            failure: None,
            purpose: CheckoutPurpose::Renewal,
            provider_order: None,
            // the membership's own profile goes on billing it
            billing_profile_id: None,
            created_at: Timestamp::now(),
        };
        let url = self.start_checkout(db, &checkout).await?;
        Ok((checkout, url))
    }

    /// What the next period of a membership costs: its price, or the scheduled downgrade's.
    pub async fn renewal_price(&self, db: &Db, membership: &Billing) -> Result<i64, PaymentError> {
        Ok(scheduled_tier(db, membership).await?.map(|(_, price)| price).unwrap_or(membership.price))
    }

    /// Settles the paid renewal of a past-due membership: the next period starts, and the card
    /// just used is the one renewals charge from now on. Paid for a membership that was
    /// renewed or ended meanwhile, the money is kept as a duplicate for an admin to refund.
    async fn pay_renewal(
        &self,
        db: &Db,
        provider_name: &str,
        checkout: &Checkout,
        answer: &Answer,
    ) -> Result<Settled, PaymentError> {
        let membership_id = checkout.membership_id.ok_or(PaymentError::UnknownCheckout)?;
        let before = payments::billing(db.pool(), membership_id).await?.ok_or(PaymentError::UnknownCheckout)?;
        let scheduled = scheduled_tier(db, &before).await?;
        let mut transaction = db.begin_write().await?;
        if !payments::claim_checkout(&mut transaction, checkout.id, "paid", None).await? {
            return Ok(Settled { checkout_id: checkout.id, paid: true, first: false });
        }
        let membership =
            payments::billing(&mut *transaction, membership_id).await?.ok_or(PaymentError::UnknownCheckout)?;
        let now = Timestamp::now();
        let payment = checkout_payment(provider_name, checkout, answer, membership_id, "renewal");
        let next = NextPeriod {
            due: membership.next_charge_at,
            period_end: membership.current_period_end.unwrap_or(now),
            scheduled,
            now,
        };
        if membership.status != MembershipStatus::PastDue
            || !self.start_next_period(&mut transaction, &membership, next, payment).await?
        {
            return record_duplicate(transaction, provider_name, checkout, answer, (self.platform_fee, &self.seller))
                .await;
        }
        record_card_country(&mut transaction, membership_id, answer).await?;
        let next_charge = payments::billing(&mut *transaction, membership_id).await?.and_then(|m| m.next_charge_at);
        payments::set_billing(
            &mut transaction,
            membership_id,
            provider_name,
            answer.token.as_deref(),
            answer.card.as_ref(),
            next_charge,
        )
        .await?;
        transaction.commit().await?;
        tracing::info!(checkout_id = %checkout.id, membership_id = %membership_id, "past-due membership paid by its fan");
        Ok(Settled { checkout_id: checkout.id, paid: true, first: true })
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
                return record_duplicate(
                    transaction,
                    provider_name,
                    checkout,
                    answer,
                    (self.platform_fee, &self.seller),
                )
                .await;
            }
            Err(patron_store::memberships::InsertMembershipError::Store(error)) => return Err(error.into()),
        };
        payments::set_billing(
            &mut transaction,
            membership_id,
            provider_name,
            answer.token.as_deref(),
            answer.card.as_ref(),
            Some(period.1),
        )
        .await?;
        if !provider.renews() {
            payments::set_cancel_at_period_end(&mut transaction, membership_id, true).await?;
        }
        payments::set_checkout_membership(&mut transaction, checkout.id, membership_id).await?;
        if let Some(profile_id) = checkout.billing_profile_id {
            patron_store::billing_profiles::attach(&mut transaction, membership_id, profile_id).await?;
        }
        record_card_country(&mut transaction, membership_id, answer).await?;
        let mut payment = checkout_payment(provider_name, checkout, answer, membership_id, "initial");
        payment.period = Some(period);
        let payment_id =
            crate::books::record_payment(&mut transaction, &payment, self.platform_fee, &self.seller).await?;
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

/// Keeps the country of the card just paid with, when the provider told it, as evidence of
/// where the fan is.
async fn record_card_country(
    connection: &mut sqlx::AnyConnection,
    membership_id: Id,
    answer: &Answer,
) -> Result<(), PaymentError> {
    let Some(country) = answer.card.as_ref().and_then(|card| card.country.as_deref()) else { return Ok(()) };
    if let Some(profile) = patron_store::billing_profiles::of_membership(&mut *connection, membership_id).await? {
        patron_store::billing_profiles::set_card_country(connection, profile.id, country).await?;
    }
    Ok(())
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
    (platform_fee, seller): (patron_domain::split::Percent, &patron_settings::SellerSettings),
) -> Result<Settled, PaymentError> {
    // paid although already a member (two checkouts at once): the money is
    // recorded against the live membership as a duplicate for an admin to refund;
    // the membership itself is not touched
    tracing::error!(checkout_id = %checkout.id, "paid checkout of a fan who is already a member: refund it");
    let live = match checkout.membership_id {
        Some(membership_id) => membership_id,
        None => patron_store::memberships::live_of(&mut *transaction, checkout.user_id, checkout.creator_id)
            .await?
            .ok_or(PaymentError::UnknownCheckout)?,
    };
    let mut duplicate = checkout_payment(provider_name, checkout, answer, live, "duplicate");
    duplicate.failure = Some("paid while already a member: refund".to_owned());
    crate::books::record_payment(&mut transaction, &duplicate, platform_fee, seller).await?;
    transaction.commit().await?;
    Ok(Settled { checkout_id: checkout.id, paid: true, first: true })
}

/// The payment a paid checkout records (its period set by the caller where it has one).
fn checkout_payment(
    provider_name: &str,
    checkout: &Checkout,
    answer: &Answer,
    membership_id: Id,
    kind: &'static str,
) -> NewPayment {
    NewPayment {
        membership_id,
        checkout_id: Some(checkout.id),
        user_id: checkout.user_id,
        creator_id: checkout.creator_id,
        provider: provider_name.to_owned(),
        provider_payment_id: Some(answer.provider_payment_id.clone()),
        idempotency_key: format!("checkout:{}", checkout.id),
        kind,
        status: "succeeded",
        amount: checkout.amount,
        currency: checkout.currency.clone(),
        period: None,
        failure: None,
    }
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
