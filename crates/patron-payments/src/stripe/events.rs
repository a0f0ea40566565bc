//! Stripe's webhook: `POST /payments/webhooks/stripe`.
//!
//! Events arrive late, twice, out of order and in parallel, so an event is only a hint: its
//! signature is verified, its id is handled once, and the object it names is fetched from
//! Stripe before anything is done — the object's state now decides, not the event's copy.
//! Every effect is itself idempotent (a checkout is claimed once, a refund recorded once, a
//! dispute's outcome once), so parallel deliveries of one event make one effect. Unknown event
//! types are acknowledged and ignored.

use super::api::id_of;
use super::{Stripe, WebhookError, verify_webhook};
use crate::{PaymentError, Payments};
use patron_store::Db;
use serde_json::Value;

/// What a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The event was acted on.
    Handled,
    /// Seen before: nothing to do.
    Duplicate,
    /// Not an event patron acts on (acknowledged).
    Ignored,
}

impl Payments {
    /// Handles one webhook delivery: its raw body and `Stripe-Signature` header, at `now`
    /// (Unix seconds). A bad signature is [`PaymentError::BadSignature`]; a failure to reach
    /// Stripe is a provider error, which makes Stripe deliver the event again later.
    pub async fn stripe_webhook(
        &self,
        db: &Db,
        payload: &[u8],
        signature: &str,
        now: i64,
    ) -> Result<Delivery, PaymentError> {
        let stripe = self.stripe.as_ref().ok_or(PaymentError::UnknownProvider("stripe".to_owned()))?;
        verify_webhook(payload, signature, &stripe.webhook_secret, now, super::DEFAULT_TOLERANCE_SECS).map_err(
            |error: WebhookError| {
                tracing::warn!(%error, "Stripe webhook refused");
                PaymentError::BadSignature
            },
        )?;
        let event: Value = serde_json::from_slice(payload).map_err(|_| PaymentError::Malformed("event"))?;
        let id = event.get("id").and_then(Value::as_str).ok_or(PaymentError::Malformed("event id"))?;
        let kind = event.get("type").and_then(Value::as_str).unwrap_or_default();
        if patron_store::payments::provider_event_seen(db.pool(), "stripe", id).await? {
            return Ok(Delivery::Duplicate);
        }
        let object = event.get("data").and_then(|d| d.get("object")).and_then(id_of);
        let delivery = match (kind, object) {
            ("payment_intent.succeeded" | "payment_intent.payment_failed", Some(intent)) => {
                self.stripe_intent_changed(db, stripe, &intent).await?;
                Delivery::Handled
            }
            // patron's own pages do not use Checkout Sessions, but a session paid elsewhere
            // for a patron checkout names its PaymentIntent, which decides as above
            ("checkout.session.completed", Some(_)) => {
                match event
                    .get("data")
                    .and_then(|d| d.get("object"))
                    .and_then(|o| o.get("payment_intent"))
                    .and_then(id_of)
                {
                    Some(intent) => {
                        self.stripe_intent_changed(db, stripe, &intent).await?;
                        Delivery::Handled
                    }
                    None => Delivery::Ignored,
                }
            }
            ("charge.refunded", Some(charge)) => {
                self.stripe_charge_refunded(db, stripe, &charge).await?;
                Delivery::Handled
            }
            ("charge.dispute.created" | "charge.dispute.updated" | "charge.dispute.closed", Some(dispute)) => {
                self.stripe_dispute(db, stripe, &dispute).await?;
                Delivery::Handled
            }
            _ => Delivery::Ignored,
        };
        patron_store::payments::remember_provider_event(db.pool(), "stripe", id, kind).await?;
        tracing::info!(event = id, kind, ?delivery, "Stripe webhook");
        Ok(delivery)
    }

    /// A PaymentIntent changed: when it is a checkout's and settled one way or the other, the
    /// checkout is settled from the PaymentIntent as Stripe holds it now.
    pub(crate) async fn stripe_intent_changed(&self, db: &Db, stripe: &Stripe, id: &str) -> Result<(), PaymentError> {
        let intent = stripe.payment_intent(id).await?;
        let (token, card) = if intent.get("status").and_then(Value::as_str) == Some("succeeded") {
            stripe.token_of(&intent).await?
        } else {
            (None, None)
        };
        if let Some(answer) = Stripe::answer_of(&intent, card, token) {
            self.settle_answer(db, "stripe", &answer).await?;
        }
        Ok(())
    }

    /// A charge was refunded at Stripe (in its dashboard, or by patron): the payment is
    /// recorded as refunded once, and its membership ends as with an admin's refund.
    async fn stripe_charge_refunded(&self, db: &Db, stripe: &Stripe, id: &str) -> Result<(), PaymentError> {
        let charge =
            stripe.api.get(&format!("/v1/charges/{id}")).await.map_err(|e| PaymentError::Provider(e.to_string()))?;
        let refunded = charge.get("refunded").and_then(Value::as_bool).unwrap_or(false);
        let Some(intent) = charge.get("payment_intent").and_then(id_of) else { return Ok(()) };
        if !refunded {
            return Ok(());
        }
        if let Some(payment) = patron_store::payments::find_by_provider_id(db.pool(), "stripe", &intent).await? {
            self.record_refund(db, payment.id).await?;
        }
        Ok(())
    }

    /// A dispute (chargeback) was opened, changed or closed: fetched from Stripe, it reaches
    /// the ledger — `disputed`, then `dispute_won` or `dispute_lost` (which ends the membership).
    async fn stripe_dispute(&self, db: &Db, stripe: &Stripe, id: &str) -> Result<(), PaymentError> {
        let dispute =
            stripe.api.get(&format!("/v1/disputes/{id}")).await.map_err(|e| PaymentError::Provider(e.to_string()))?;
        let intent = match dispute.get("payment_intent").and_then(id_of) {
            Some(intent) => Some(intent),
            None => match dispute.get("charge").and_then(id_of) {
                Some(charge) => stripe
                    .api
                    .get(&format!("/v1/charges/{charge}"))
                    .await
                    .map_err(|e| PaymentError::Provider(e.to_string()))?
                    .get("payment_intent")
                    .and_then(id_of),
                None => None,
            },
        };
        let Some(intent) = intent else { return Ok(()) };
        let Some(payment) = patron_store::payments::find_by_provider_id(db.pool(), "stripe", &intent).await? else {
            return Ok(());
        };
        let status = dispute.get("status").and_then(Value::as_str).unwrap_or("needs_response");
        let outcome = match status {
            "won" | "warning_closed" => crate::DisputeOutcome::Won,
            "lost" => crate::DisputeOutcome::Lost,
            _ => crate::DisputeOutcome::Open,
        };
        self.record_dispute(db, payment.id, id, outcome).await
    }
}
