//! The steps of paying through Stripe that patron's pages and API take: charging the card a
//! payment page saved, looking at a PaymentIntent after the fan authenticated, and changing
//! the card of a membership.

use super::api::id_of;
use super::gateway::{FirstCharge, Stripe};
use crate::{Answer, PaymentError, Payments};
use patron_store::Db;
use patron_store::payments::{self, Billing, Checkout};
use serde_json::Value;
use std::sync::Arc;

impl Payments {
    fn stripe_provider(&self) -> Result<&Arc<Stripe>, PaymentError> {
        self.stripe.as_ref().ok_or_else(|| PaymentError::UnknownProvider("stripe".to_owned()))
    }

    /// Charges the first period of a Stripe checkout on the card its page saved, with the fan
    /// present; settles the checkout when Stripe decided at once.
    pub async fn stripe_pay(&self, db: &Db, checkout: &Checkout) -> Result<FirstCharge, PaymentError> {
        let stripe = self.stripe_provider()?;
        let setup = checkout.provider_order.as_deref().ok_or(PaymentError::UnknownCheckout)?;
        let (intent, card, token) = stripe.charge_first(checkout, setup).await?;
        let id = intent.get("id").and_then(id_of);
        if let Some(reason) = intent.get("declined").and_then(Value::as_str) {
            let answer = Answer {
                checkout_id: checkout.id,
                provider_payment_id: id.unwrap_or_else(|| format!("declined:{}", checkout.id)),
                approved: false,
                amount: None,
                currency: None,
                token: None,
                card: None,
                message: reason.to_owned(),
            };
            self.settle_answer(db, "stripe", &answer).await?;
            return Ok(FirstCharge::Declined(reason.to_owned()));
        }
        if let Some(answer) = Stripe::answer_of(&intent, card, Some(token)) {
            self.settle_answer(db, "stripe", &answer).await?;
            return Ok(if answer.approved { FirstCharge::Paid } else { FirstCharge::Declined(answer.message) });
        }
        match (intent.get("status").and_then(Value::as_str), intent.get("client_secret").and_then(Value::as_str), id) {
            (Some("requires_action"), Some(secret), Some(id)) => {
                Ok(FirstCharge::Authenticate { client_secret: secret.to_owned(), payment_intent: id })
            }
            (status, _, _) => Err(PaymentError::Provider(format!("unexpected PaymentIntent status {status:?}"))),
        }
    }

    /// Looks at a checkout's PaymentIntent as Stripe holds it now and settles the checkout when
    /// Stripe has decided; returns the checkout's status (`pending`, `paid`, `declined`).
    pub async fn stripe_look(
        &self,
        db: &Db,
        checkout: &Checkout,
        payment_intent: &str,
    ) -> Result<String, PaymentError> {
        let stripe = self.stripe_provider()?;
        let intent = stripe.payment_intent(payment_intent).await?;
        let belongs = intent
            .get("metadata")
            .and_then(|m| m.get("patron_checkout"))
            .and_then(Value::as_str)
            .is_some_and(|id| id == checkout.id.to_string());
        if !belongs {
            return Err(PaymentError::Malformed("payment_intent: not this checkout's"));
        }
        self.stripe_intent_changed(db, stripe, payment_intent).await?;
        let now = payments::find_checkout(db.pool(), checkout.id).await?.ok_or(PaymentError::UnknownCheckout)?;
        Ok(now.status)
    }

    /// A SetupIntent for changing the card of a Stripe membership: its client secret.
    pub async fn stripe_card_setup(&self, db: &Db, membership: &Billing) -> Result<String, PaymentError> {
        let stripe = self.stripe_provider()?;
        stripe.card_setup(db, membership).await
    }

    /// Makes the card saved by a SetupIntent (of this membership's, made by
    /// [`Payments::stripe_card_setup`]) the one its renewals charge; a past-due membership's next
    /// retry uses it.
    pub async fn stripe_card_saved(
        &self,
        db: &Db,
        membership: &Billing,
        setup_intent: &str,
    ) -> Result<(), PaymentError> {
        let stripe = self.stripe_provider()?;
        let (token, card) = stripe.card_of_setup(membership, setup_intent).await?;
        let mut transaction = db.begin_write().await?;
        payments::set_billing(
            &mut transaction,
            membership.id,
            "stripe",
            Some(&token),
            card.as_ref(),
            membership.next_charge_at,
        )
        .await?;
        transaction.commit().await?;
        tracing::info!(membership_id = %membership.id, "the card of a membership changed");
        Ok(())
    }
}

impl Stripe {
    /// A SetupIntent for a membership's customer, marked with the membership.
    pub(crate) async fn card_setup(&self, db: &Db, membership: &Billing) -> Result<String, PaymentError> {
        let customer = self.customer_of(db, membership.user_id).await?;
        let fields = [
            ("customer", customer),
            ("usage", "off_session".to_owned()),
            ("metadata[patron_membership]", membership.id.to_string()),
        ];
        let intent = self
            .api
            .post("/v1/setup_intents", &fields, None)
            .await
            .map_err(|e| PaymentError::Provider(e.to_string()))?;
        intent
            .get("client_secret")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(PaymentError::Malformed("client_secret"))
    }

    /// The token and card of a SetupIntent made for `membership`, checked to be its own.
    pub(crate) async fn card_of_setup(
        &self,
        membership: &Billing,
        setup_intent: &str,
    ) -> Result<(String, Option<patron_domain::card::Card>), PaymentError> {
        let intent = self
            .api
            .get(&format!("/v1/setup_intents/{setup_intent}"))
            .await
            .map_err(|e| PaymentError::Provider(e.to_string()))?;
        let own = intent
            .get("metadata")
            .and_then(|m| m.get("patron_membership"))
            .and_then(Value::as_str)
            .is_some_and(|id| id == membership.id.to_string());
        if !own {
            return Err(PaymentError::Malformed("setup_intent: not this membership's"));
        }
        let (customer, method, card) = self.saved_card(setup_intent).await?;
        Ok((format!("{customer}/{method}"), card))
    }
}
