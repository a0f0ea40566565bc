//! Checkouts, payments and the membership ledger. Every function that changes money runs in
//! the caller's transaction and starts by claiming its row, so concurrent deliveries of the
//! same provider answer serialise and all but the first find the work done.

mod billing;
mod charges;
mod checkouts;
mod ledger;
mod providers;
mod reports;
mod sandbox;

pub use billing::{
    Billing, advance, billing, charging_soon, due, ending, of_user, schedule_tier, set_billing,
    set_cancel_at_period_end, set_tier,
};
pub use charges::{NewPayment, Payment, claim_refund, find_payment, insert_payment, payments};
pub use checkouts::{
    Checkout, CheckoutPurpose, claim_checkout, find_checkout, insert_checkout, provider_order, set_checkout_membership,
    set_provider_order,
};
pub use ledger::{history, record_event};
pub use providers::{
    close_dispute, find_by_provider_id, open_dispute, provider_customer, provider_event_seen,
    remember_provider_customer, remember_provider_event,
};
pub use reports::{Dashboard, Supporter, dashboard, supporters};
pub use sandbox::{
    SandboxPayment, sandbox_card_declines, sandbox_find, sandbox_open, sandbox_refund, sandbox_set_card, sandbox_settle,
};
