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

mod books;
mod changes;
mod checkout;
mod disputes;
mod documents;
mod error;
mod fees;
pub mod geoip;
mod mail;
pub mod payouts;
mod provider;
pub mod rates;
mod refund;
mod renewal;
mod service;
pub mod vies;

pub use changes::{TierChange, TierQuote, quote_tier_change};
pub use checkout::Settled;
pub use disputes::DisputeOutcome;
pub use error::PaymentError;
pub use fees::{GATEWAY_FEE, GatewayFees};
pub use payouts::{DueTotal, PayoutRun, PayoutsJob};
pub use provider::{Answer, Charge, Provider, ProviderFuture};
pub use renewal::{MembershipRenewal, RenewalSummary};
pub use service::Payments;
pub use vies::{VAT_ID_CHECK, VatIdCheck, Vies, ViesAnswer};
