//! What can go wrong in a payment step.

use patron_domain::membership::{InvalidTransition, MembershipEvent};
use patron_store::StoreError;

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

pub(crate) fn invalid(error: InvalidTransition) -> PaymentError {
    PaymentError::NotChangeable(match error.event {
        MembershipEvent::Refunded => "the membership has ended already",
        _ => "the membership is not in a state that allows this",
    })
}
