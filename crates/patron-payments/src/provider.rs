//! The interface every payment provider implements, and what it answers.

use crate::PaymentError;
use patron_domain::Id;
use patron_domain::card::Card;
use patron_store::Db;
use patron_store::payments::Checkout;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

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
    /// The card behind the token, as far as the provider tells.
    pub card: Option<Card>,
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
    /// The card's bank wants the fan to confirm this payment themselves (strong customer
    /// authentication): the fan is asked to pay while present.
    NeedsAuthentication {
        /// The provider's words.
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

    /// What the provider charged the platform for a payment (minor units, in the payment's
    /// currency), when it reports it per payment; `None` when it does not (or not yet).
    fn fee<'a>(&'a self, _db: &'a Db, _provider_payment_id: &'a str, _amount: i64) -> ProviderFuture<'a, Option<i64>> {
        Box::pin(async { Ok(None) })
    }

    /// Tells the provider that a registered card will not be charged again (the membership
    /// ended for good). Best effort: the caller logs a failure and goes on.
    fn release<'a>(&'a self, _db: &'a Db, _token: &'a str) -> ProviderFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}
