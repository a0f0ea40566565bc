//! Payments: a fan's checkout goes to a provider, the provider's signed answer becomes a
//! payment and a membership period, and the `membership-renewal` job charges memberships
//! when they are due. Providers implement [`Provider`]; the built-in [`sandbox`] gateway is
//! the first. Every change of a membership is appended to the ledger
//! (`membership_events`), from which revenue and churn are computed.
//!
//! Money is integer minor units with an ISO 4217 code everywhere; an answer whose amount or
//! currency differs from its checkout is refused. Concurrent deliveries of one answer
//! serialise on the checkout row: the first settles it, the others find it settled.

pub mod gpwebpay;
pub mod sandbox;
pub mod stripe;

use patron_domain::membership::{AfterFailure, InvalidTransition, MembershipEvent, MembershipStatus, after_failure};
use patron_domain::{Id, Timestamp};
use patron_jobs::{JobContext, ScheduledTask, TaskFuture};
use patron_mail::Template;
use patron_mail::jobs::{EmailJob, Link, enqueue_email};
use patron_store::payments::{self, Billing, Checkout, NewPayment};
use patron_store::{Db, StoreError};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Why a payment step failed.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The answer's signature does not verify: forged or damaged.
    #[error("the payment answer's signature does not verify")]
    BadSignature,
    /// A field of the answer is missing or unreadable.
    #[error("the payment answer's {0} is missing or malformed")]
    Malformed(&'static str),
    /// The answer names a checkout that does not exist.
    #[error("the payment answer names no known checkout")]
    UnknownCheckout,
    /// The answer's amount or currency differs from the checkout's.
    #[error("the paid amount {paid} differs from the checkout's {expected}")]
    AmountMismatch {
        /// What the answer says.
        paid: String,
        /// What the checkout asked for.
        expected: String,
    },
    /// The provider is not configured here.
    #[error("the payment provider {0:?} is not enabled")]
    UnknownProvider(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The provider could not be reached.
    #[error("the payment provider failed: {0}")]
    Provider(String),
    /// The card was declined.
    #[error("the payment was declined: {0}")]
    Declined(String),
    /// The membership cannot change that way.
    #[error("{0}")]
    NotChangeable(&'static str),
}

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

fn invalid(error: InvalidTransition) -> PaymentError {
    PaymentError::NotChangeable(match error.event {
        MembershipEvent::Refunded => "the membership has ended already",
        _ => "the membership is not in a state that allows this",
    })
}

/// A provider's verified answer about a checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The checkout it is about.
    pub checkout_id: Id,
    /// The provider's id of the payment (its order number).
    pub provider_payment_id: String,
    /// Paid, or declined.
    pub approved: bool,
    /// The amount paid, in minor units, when the answer says (GP webpay's does not: its
    /// request, which we signed, fixed it).
    pub amount: Option<i64>,
    /// Its currency, when the answer says.
    pub currency: Option<String>,
    /// The provider's handle for charging again (a registered card).
    pub token: Option<String>,
    /// The provider's words.
    pub message: String,
}

/// The result of a merchant-initiated charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Charge {
    /// Paid.
    Succeeded {
        /// The provider's id of the payment.
        provider_payment_id: String,
    },
    /// Refused (the card declined, no funds).
    Declined {
        /// Why.
        reason: String,
    },
}

/// What providers' methods return.
pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, PaymentError>> + Send + 'a>>;

/// A payment provider.
pub trait Provider: Send + Sync {
    /// Its name, as stored (`sandbox`).
    fn name(&self) -> &'static str;
    /// Prepares the payment of a checkout at the provider; returns where to send the fan.
    fn start<'a>(&'a self, db: &'a Db, checkout: &'a Checkout) -> ProviderFuture<'a, String>;
    /// Verifies and reads the provider's answer (the fields it sent back).
    fn verify(&self, params: &BTreeMap<String, String>) -> Result<Answer, PaymentError>;
    /// Charges a registered card again; the provider dedupes by `idempotency_key`.
    fn charge<'a>(
        &'a self,
        db: &'a Db,
        token: &'a str,
        amount: i64,
        currency: &'a str,
        idempotency_key: &'a str,
    ) -> ProviderFuture<'a, Charge>;
    /// Returns a payment to the fan.
    fn refund<'a>(&'a self, db: &'a Db, provider_payment_id: &'a str, amount: i64) -> ProviderFuture<'a, ()>;
    /// Asks the provider itself whether a verified answer is what it holds (the authoritative
    /// state, not just the signed message): the payment exists, for this checkout, amount and
    /// currency, and ended as the answer says.
    fn confirm<'a>(&'a self, db: &'a Db, answer: &'a Answer) -> ProviderFuture<'a, bool>;
    /// Whether memberships paid here renew automatically; when not, they run one period and
    /// end (the fan is reminded and can join again).
    fn renews(&self) -> bool {
        true
    }
}

/// The providers this install offers, and where its pages are.
#[derive(Clone)]
pub struct Payments {
    providers: BTreeMap<&'static str, Arc<dyn Provider>>,
    /// The sandbox, when it is on.
    pub sandbox: Option<Arc<sandbox::Sandbox>>,
    base_url: String,
    retries: Vec<std::time::Duration>,
}

impl Payments {
    /// The providers the settings enable; fails when a provider's keys cannot be used.
    pub fn from_settings(
        settings: &patron_settings::Settings,
        secret_key: &patron_settings::SecretString,
    ) -> Result<Self, PaymentError> {
        let mut providers: BTreeMap<&'static str, Arc<dyn Provider>> = BTreeMap::new();
        if let Some(gp) = &settings.gpwebpay {
            let provider = gpwebpay::GpWebpay::from_settings(gp, &settings.public_url)
                .map_err(|e| PaymentError::Provider(format!("GP webpay: {e}")))?;
            providers.insert("gpwebpay", Arc::new(provider));
        }
        let sandbox = settings.payment_sandbox.then(|| Arc::new(sandbox::Sandbox::new(secret_key)));
        if let Some(sandbox) = &sandbox {
            providers.insert("sandbox", sandbox.clone());
        }
        Ok(Self {
            providers,
            sandbox,
            base_url: settings.public_url.as_str().trim_end_matches('/').to_owned(),
            retries: settings.renewal_retries.clone(),
        })
    }

    /// The provider new checkouts use, if any is enabled.
    pub fn default_provider(&self) -> Option<&'static str> {
        self.providers.keys().next().copied()
    }

    /// A provider by name.
    pub fn provider(&self, name: &str) -> Result<&Arc<dyn Provider>, PaymentError> {
        self.providers.get(name).ok_or_else(|| PaymentError::UnknownProvider(name.to_owned()))
    }

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
            let mut connection = db.begin_write().await?;
            let claimed =
                payments::claim_checkout(&mut connection, checkout.id, "declined", Some(&answer.message)).await?;
            connection.commit().await?;
            if claimed {
                tracing::info!(checkout_id = %checkout.id, "checkout declined");
            }
            return Ok(Settled { checkout_id: checkout.id, paid: false, first: claimed });
        }
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
        let mut transaction = db.begin_write().await?;
        if !payments::claim_checkout(&mut transaction, checkout.id, "paid", None).await? {
            // another delivery of this answer settled it
            return Ok(Settled { checkout_id: checkout.id, paid: true, first: false });
        }
        let now = Timestamp::now();
        let period = (now, checkout.interval.period_end(now));
        let new = patron_store::memberships::NewMembership {
            user_id: checkout.user_id,
            creator_id: checkout.creator_id,
            tier_id: checkout.tier_id,
            status: MembershipStatus::Pending.after(MembershipEvent::Paid).unwrap_or(MembershipStatus::Active),
            price: checkout.amount,
            currency: checkout.currency.clone(),
            billing_interval: checkout.interval.as_str(),
            period: Some(period),
            grace_until: None,
        };
        let membership_id = match patron_store::memberships::insert(&mut transaction, &new).await {
            Ok(id) => id,
            Err(patron_store::memberships::InsertMembershipError::AlreadyMember) => {
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
                return Ok(Settled { checkout_id: checkout.id, paid: true, first: true });
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

    /// Charges every membership due at `now` (the clock is a parameter so tests can move it),
    /// and reminds fans whose cancelled membership ends within three days.
    pub async fn renew_due(&self, db: &Db, now: Timestamp) -> Result<RenewalSummary, PaymentError> {
        let mut summary = RenewalSummary::default();
        for membership in payments::ending(db.pool(), now, now.plus(REMINDER_AHEAD)).await? {
            let mut transaction = db.begin_write().await?;
            self.mail(&mut transaction, &membership, Mail::Ending).await?;
            transaction.commit().await?;
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
            transaction.commit().await?;
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
        transaction.commit().await?;
        Ok(outcome)
    }

    fn renewal_payment(
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
        }
        transaction.commit().await?;
        tracing::info!(payment_id = %payment.id, "payment refunded; membership ended");
        Ok(true)
    }

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
        if membership.status != MembershipStatus::Active {
            return Err(PaymentError::NotChangeable("only an active membership changes tier"));
        }
        if tier.creator_id != membership.creator_id
            || tier.archived_at.is_some()
            || tier.currency != membership.currency
        {
            return Err(PaymentError::NotChangeable("that tier is not open to this membership"));
        }
        let new_price = match membership.interval {
            patron_domain::membership::BillingInterval::Month => tier.monthly_price,
            patron_domain::membership::BillingInterval::Year => {
                tier.yearly_price.ok_or(PaymentError::NotChangeable("that tier is paid monthly only"))?
            }
        };
        if tier.id == membership.tier_id {
            let mut transaction = db.begin_write().await?;
            payments::schedule_tier(&mut transaction, membership.id, None).await?;
            transaction.commit().await?;
            return Ok(TierChange::Unchanged);
        }
        if new_price < membership.price {
            let mut transaction = db.begin_write().await?;
            payments::schedule_tier(&mut transaction, membership.id, Some(tier.id)).await?;
            transaction.commit().await?;
            return Ok(TierChange::DowngradeScheduled);
        }
        let (Some(start), Some(end)) = (membership.current_period_start, membership.current_period_end) else {
            return Err(PaymentError::NotChangeable("the membership has no paid period"));
        };
        let charge = patron_domain::membership::prorated(membership.price, new_price, start, end, now);
        let key = format!("upgrade:{}:{}:{}", membership.id, tier.id, end.as_micros());
        let provider_payment_id = if charge > 0 {
            let (Some(provider_name), Some(token)) = (&membership.provider, &membership.provider_token) else {
                return Err(PaymentError::NotChangeable("this membership has no card to charge"));
            };
            match self.provider(provider_name)?.charge(db, token, charge, &membership.currency, &key).await? {
                Charge::Succeeded { provider_payment_id } => Some(provider_payment_id),
                Charge::Declined { reason } => return Err(PaymentError::Declined(reason)),
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
            payments::insert_payment(&mut transaction, &payment).await?
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

    async fn mail(
        &self,
        transaction: &mut patron_store::Transaction,
        membership: &Billing,
        mail: Mail,
    ) -> Result<(), StoreError> {
        let Some(fan) = patron_store::users::find_by_id(&mut **transaction, membership.user_id).await? else {
            return Ok(());
        };
        let Some(creator) = patron_store::creators::find_by_id(&mut **transaction, membership.creator_id).await? else {
            return Ok(());
        };
        let tier_name = patron_store::tiers::find(&mut **transaction, membership.creator_id, membership.tier_id)
            .await?
            .map(|t| t.name)
            .unwrap_or_default();
        let amount = patron_domain::money::format_minor(membership.price, &membership.currency);
        let date = |at: Timestamp| at.to_rfc3339().chars().take(10).collect::<String>();
        let page = format!("{}/{}", self.base_url, creator.slug);
        let (key, template, url) = match mail {
            Mail::Receipt { payment_id, paid_until } => (
                format!("receipt:{payment_id}"),
                Template::PaymentReceipt {
                    creator_name: creator.name.clone(),
                    tier_name,
                    amount,
                    paid_until: date(paid_until),
                    reference: payment_id.to_string(),
                },
                page,
            ),
            Mail::Failed { retry, attempt } => (
                format!(
                    "payment-failed:{}:{attempt}:{}",
                    membership.id,
                    membership.current_period_end.map(|t| t.as_micros()).unwrap_or(0)
                ),
                Template::PaymentFailed { creator_name: creator.name.clone(), amount, retry_on: date(retry) },
                format!("{}/account", self.base_url),
            ),
            Mail::Ending => (
                // once per period: the key names its end
                format!(
                    "membership-ending:{}:{}",
                    membership.id,
                    membership.current_period_end.map(|t| t.as_micros()).unwrap_or(0)
                ),
                Template::MembershipEnding {
                    creator_name: creator.name.clone(),
                    tier_name,
                    ends_on: membership.current_period_end.map(date).unwrap_or_default(),
                },
                format!("{}/account#memberships", self.base_url),
            ),
            Mail::Expired => (
                format!("membership-expired:{}", membership.id),
                Template::MembershipExpired { creator_name: creator.name.clone(), tier_name },
                page,
            ),
        };
        let job = EmailJob {
            key,
            to: fan.email.clone(),
            locale: fan.locale.clone(),
            template,
            link: Link::Plain { url },
            unsubscribe: None,
        };
        enqueue_email(&mut **transaction, &job).await?;
        Ok(())
    }
}

/// How long before a cancelled membership ends its member is reminded.
const REMINDER_AHEAD: std::time::Duration = std::time::Duration::from_secs(3 * 24 * 3600);

enum Mail {
    Ending,
    Receipt { payment_id: Id, paid_until: Timestamp },
    Failed { retry: Timestamp, attempt: i64 },
    Expired,
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
