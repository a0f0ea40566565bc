//! Stripe: the provider ([`Stripe`]), its API client, the payment page's steps, and the
//! webhook — its signature check and the events patron acts on.
//!
//! Renewals do not use Stripe Billing: patron's scheduler charges off-session PaymentIntents,
//! so every provider shares one renewal path, one retry policy and one ledger.

pub mod api;
mod events;
mod flows;
mod gateway;
mod webhook;

pub use events::Delivery;
pub use gateway::{FirstCharge, Stripe};
pub use webhook::{DEFAULT_TOLERANCE_SECS, WebhookError, verify_webhook};
