//! Paying with Stripe on patron's own payment page (and from apps, through the JSON API): the
//! page saves the card with Stripe, then patron charges it while the fan is present; Stripe's
//! webhook tells patron what happened meanwhile. A payment counts when Stripe, asked by
//! patron, says it succeeded — never because a browser says so.

use crate::memberships::{Checkout, own_checkout, own_membership};
use crate::{App, AppError, User};
use patron_payments::stripe::{Delivery, FirstCharge, Stripe};
use std::sync::Arc;

/// What the payment page needs.
#[derive(Debug, Clone)]
pub struct PaymentPage {
    /// The checkout being paid.
    pub checkout: Checkout,
    /// Stripe.js's publishable key.
    pub publishable_key: String,
    /// Where Stripe.js is loaded from.
    pub js_url: String,
    /// The client secret of the checkout's SetupIntent, which saves the card.
    pub client_secret: String,
    /// The page and tier the fan joins.
    pub creator_name: String,
    /// The tier's name.
    pub tier_name: String,
}

/// The next step after the page saved the card, or after Stripe asked the fan to authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Paid: go to `next`.
    Paid {
        /// Where the fan goes now.
        next: String,
    },
    /// Stripe has not decided yet (the webhook will tell): go to `next`, which shows the state.
    Pending {
        /// Where the fan goes now.
        next: String,
    },
    /// The bank wants the fan: confirm the PaymentIntent with Stripe.js.
    Authenticate {
        /// Its client secret.
        client_secret: String,
        /// The PaymentIntent.
        payment_intent: String,
    },
    /// Declined, with Stripe's words; the fan may start again with another card.
    Declined {
        /// Why.
        message: String,
    },
}

fn stripe(app: &App) -> Result<&Arc<Stripe>, AppError> {
    app.payments.stripe.as_ref().ok_or_else(AppError::nothing_here)
}

/// One of the user's pending Stripe checkouts.
async fn pending_checkout(app: &App, user: &User, checkout_id: &str) -> Result<Checkout, AppError> {
    stripe(app)?;
    let checkout = own_checkout(app, user, checkout_id).await?;
    if checkout.provider != "stripe" {
        return Err(AppError::nothing_here());
    }
    if checkout.status != "pending" {
        return Err(AppError::conflict("checkout_settled", "This payment is finished already."));
    }
    Ok(checkout)
}

/// What the payment page of a checkout shows.
pub async fn payment_page(app: &App, user: &User, checkout_id: &str) -> Result<PaymentPage, AppError> {
    let stripe = stripe(app)?.clone();
    let checkout = pending_checkout(app, user, checkout_id).await?;
    let setup = checkout
        .provider_order
        .clone()
        .ok_or_else(|| AppError::internal("a Stripe checkout without its SetupIntent"))?;
    let client_secret = stripe.setup_secret(&setup).await?;
    let names = crate::creators::names(app, &[checkout.creator_id]).await?;
    let tier_name =
        crate::tiers::find(app, checkout.creator_id, checkout.tier_id).await.map(|t| t.name).unwrap_or_default();
    Ok(PaymentPage {
        publishable_key: stripe.publishable_key().to_owned(),
        js_url: stripe.js_url().to_owned(),
        client_secret,
        creator_name: names.get(&checkout.creator_id).map(|p| p.name.clone()).unwrap_or_default(),
        tier_name,
        checkout,
    })
}

async fn next_of(app: &App, checkout: &Checkout, paid: bool) -> Result<String, AppError> {
    let slug = crate::creators::names(app, &[checkout.creator_id])
        .await?
        .get(&checkout.creator_id)
        .map(|p| p.slug.clone())
        .unwrap_or_default();
    Ok(format!("/{slug}?payment={}", if paid { "paid" } else { "pending" }))
}

/// Charges the card the page just saved, with the fan present.
pub async fn pay(app: &App, user: &User, checkout_id: &str) -> Result<Step, AppError> {
    let checkout = pending_checkout(app, user, checkout_id).await?;
    Ok(match app.payments.stripe_pay(&app.db, &checkout).await? {
        FirstCharge::Paid => Step::Paid { next: next_of(app, &checkout, true).await? },
        FirstCharge::Authenticate { client_secret, payment_intent } => {
            Step::Authenticate { client_secret, payment_intent }
        }
        FirstCharge::Declined(message) => Step::Declined { message },
    })
}

/// Looks at a checkout's PaymentIntent after Stripe asked the fan to authenticate: settles the
/// checkout when Stripe has decided.
pub async fn look(app: &App, user: &User, checkout_id: &str, payment_intent: &str) -> Result<Step, AppError> {
    stripe(app)?;
    let checkout = own_checkout(app, user, checkout_id).await?;
    let status = app.payments.stripe_look(&app.db, &checkout, payment_intent).await?;
    Ok(match status.as_str() {
        "paid" => Step::Paid { next: next_of(app, &checkout, true).await? },
        "declined" => Step::Declined { message: checkout.failure.clone().unwrap_or_default() },
        _ => Step::Pending { next: next_of(app, &checkout, false).await? },
    })
}

/// Handles one delivery of Stripe's webhook (its raw body and `Stripe-Signature`).
pub async fn webhook(app: &App, payload: &[u8], signature: &str) -> Result<Delivery, AppError> {
    let now = patron_domain::Timestamp::now().as_micros() / 1_000_000;
    Ok(app.payments.stripe_webhook(&app.db, payload, signature, now).await?)
}

/// Starts changing the card of one of the user's Stripe memberships: the client secret of a
/// SetupIntent for the page's card field.
pub async fn card_change(app: &App, user: &User, membership_id: &str) -> Result<String, AppError> {
    let membership = own_membership(app, user, membership_id).await?;
    if membership.provider.as_deref() != Some("stripe") {
        return Err(AppError::conflict("not_stripe", "This membership is not paid through Stripe."));
    }
    Ok(app.payments.stripe_card_setup(&app.db, &membership).await?)
}

/// Makes the card just saved with a SetupIntent the one the membership's renewals charge.
pub async fn card_saved(app: &App, user: &User, membership_id: &str, setup_intent: &str) -> Result<(), AppError> {
    let membership = own_membership(app, user, membership_id).await?;
    Ok(app.payments.stripe_card_saved(&app.db, &membership, setup_intent).await?)
}
