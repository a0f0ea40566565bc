//! Stripe as a payment provider.
//!
//! A fan joins on patron's own payment page: Stripe's Card Element saves the card with a
//! SetupIntent (`confirmCardSetup`), then patron charges the first period with a PaymentIntent
//! confirmed while the fan is on the page (Stripe asks them to authenticate there when their
//! bank wants it). The same saved card is charged off-session for renewals by patron's own
//! scheduler, with patron's idempotency key as Stripe's `Idempotency-Key`. Nothing is believed
//! from the browser: a payment counts when the PaymentIntent, fetched from Stripe, says it
//! succeeded — whether the page, the verified webhook or a later look finds out first.

use super::api::{self, ApiError, id_of};
use crate::{Answer, Charge, PaymentError, ProviderFuture};
use patron_domain::Id;
use patron_domain::card::Card;
use patron_store::Db;
use patron_store::payments::Checkout;
use serde_json::Value;
use std::collections::BTreeMap;

/// Stripe, configured.
pub struct Stripe {
    pub(crate) api: api::Client,
    pub(crate) webhook_secret: String,
    publishable_key: String,
    js_url: String,
}

fn provider_error(error: ApiError) -> PaymentError {
    tracing::warn!(%error, "Stripe");
    PaymentError::Provider(error.to_string())
}

fn text(value: &Value, field: &str) -> Option<String> {
    value.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// The card of a PaymentMethod object.
pub(crate) fn card_of(method: &Value) -> Option<Card> {
    let card = method.get("card")?;
    Some(Card {
        brand: text(card, "brand").unwrap_or_else(|| "card".to_owned()),
        last4: text(card, "last4")?,
        exp_year: u16::try_from(card.get("exp_year")?.as_i64()?).ok()?,
        exp_month: u8::try_from(card.get("exp_month")?.as_i64()?).ok()?,
        country: text(card, "country").map(|c| c.to_ascii_uppercase()).filter(|c| c.len() == 2),
    })
}

/// What happened when the fan's saved card was charged on the payment page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstCharge {
    /// Paid: the membership started.
    Paid,
    /// The bank wants the fan to authenticate: the page confirms the PaymentIntent with this
    /// client secret, and the payment counts once Stripe says it succeeded.
    Authenticate {
        /// The PaymentIntent's client secret, for Stripe.js.
        client_secret: String,
        /// The PaymentIntent.
        payment_intent: String,
    },
    /// Declined, with Stripe's words.
    Declined(String),
}

impl Stripe {
    /// Stripe from its settings.
    pub fn from_settings(settings: &patron_settings::StripeSettings) -> Result<Self, PaymentError> {
        let api = api::Client::new(&settings.api_base, settings.secret_key.expose().to_owned())
            .map_err(|e| PaymentError::Provider(e.to_string()))?;
        Ok(Self {
            api,
            webhook_secret: settings.webhook_secret.expose().to_owned(),
            publishable_key: settings.publishable_key.clone(),
            js_url: settings.js_url.to_string(),
        })
    }

    /// The publishable key Stripe.js runs with.
    pub fn publishable_key(&self) -> &str {
        &self.publishable_key
    }

    /// Where Stripe.js is loaded from.
    pub fn js_url(&self) -> &str {
        &self.js_url
    }

    /// Checks that the secret key works (`patron check`): reads the account's balance, which
    /// any valid secret key may.
    pub async fn check(&self) -> Result<(), api::ApiError> {
        self.api.get("/v1/balance").await.map(|_| ())
    }

    /// Where the API is, for `patron check`'s line.
    pub fn api_base(&self) -> &str {
        self.api.base()
    }

    /// The Stripe customer of a patron user, made once and remembered.
    pub(crate) async fn customer_of(&self, db: &Db, user_id: Id) -> Result<String, PaymentError> {
        if let Some(customer) = patron_store::payments::provider_customer(db.pool(), "stripe", user_id).await? {
            return Ok(customer);
        }
        let email = patron_store::users::find_by_id(db.pool(), user_id).await?.map(|u| u.email).unwrap_or_default();
        let created = self
            .api
            .post(
                "/v1/customers",
                &[("email", email), ("metadata[patron_user]", user_id.to_string())],
                Some(&format!("patron-customer:{user_id}")),
            )
            .await
            .map_err(provider_error)?;
        let id = text(&created, "id").ok_or(PaymentError::Malformed("customer id"))?;
        // two checkouts at once may both create one: the first remembered wins
        Ok(patron_store::payments::remember_provider_customer(db.pool(), "stripe", user_id, &id).await?)
    }

    /// The client secret of a checkout's SetupIntent, for the payment page.
    pub async fn setup_secret(&self, checkout_order: &str) -> Result<String, PaymentError> {
        let intent = self.api.get(&format!("/v1/setup_intents/{checkout_order}")).await.map_err(provider_error)?;
        text(&intent, "client_secret").ok_or(PaymentError::Malformed("client_secret"))
    }

    /// A PaymentIntent as Stripe holds it now.
    pub async fn payment_intent(&self, id: &str) -> Result<Value, PaymentError> {
        self.api.get(&format!("/v1/payment_intents/{id}")).await.map_err(provider_error)
    }

    /// The saved card of a succeeded SetupIntent, attached to its customer (Stripe attaches it
    /// on its own; a test server may not): the customer, the PaymentMethod and its card.
    pub(crate) async fn saved_card(&self, setup_intent: &str) -> Result<(String, String, Option<Card>), PaymentError> {
        let intent = self.api.get(&format!("/v1/setup_intents/{setup_intent}")).await.map_err(provider_error)?;
        if text(&intent, "status").as_deref() != Some("succeeded") {
            return Err(PaymentError::NotChangeable("the card is not saved yet"));
        }
        let customer = intent.get("customer").and_then(id_of).ok_or(PaymentError::Malformed("customer"))?;
        let method_id =
            intent.get("payment_method").and_then(id_of).ok_or(PaymentError::Malformed("payment_method"))?;
        let method = self.api.get(&format!("/v1/payment_methods/{method_id}")).await.map_err(provider_error)?;
        if method.get("customer").and_then(id_of).is_none() {
            self.api
                .post(&format!("/v1/payment_methods/{method_id}/attach"), &[("customer", customer.clone())], None)
                .await
                .map_err(provider_error)?;
        }
        Ok((customer, method_id, card_of(&method)))
    }

    /// Charges the first period of a checkout on the card the fan just saved, while they are on
    /// the page.
    pub(crate) async fn charge_first(
        &self,
        checkout: &Checkout,
        setup_intent: &str,
    ) -> Result<(Value, Option<Card>, String), PaymentError> {
        let (customer, method, card) = self.saved_card(setup_intent).await?;
        let fields = [
            ("amount", checkout.amount.to_string()),
            ("currency", checkout.currency.to_lowercase()),
            ("customer", customer.clone()),
            ("payment_method", method.clone()),
            ("confirm", "true".to_owned()),
            ("metadata[patron_checkout]", checkout.id.to_string()),
        ];
        let key = format!("patron-checkout:{}", checkout.id);
        let intent = match self.api.post("/v1/payment_intents", &fields, Some(&key)).await {
            Ok(intent) => intent,
            // a declined card: Stripe keeps the PaymentIntent, in requires_payment_method
            Err(error) if error.is_card_error() => serde_json::json!({
                "id": match &error { ApiError::Refused { payment_intent, .. } => payment_intent.clone(), _ => None },
                "status": "requires_payment_method",
                "declined": error.to_string(),
            }),
            Err(error) => return Err(provider_error(error)),
        };
        Ok((intent, card, format!("{customer}/{method}")))
    }

    /// The answer a PaymentIntent gives about its checkout: paid when it succeeded, declined
    /// when it needs another card; `None` while the fan is still authenticating, or when it is
    /// not a checkout's.
    pub(crate) fn answer_of(intent: &Value, card: Option<Card>, token: Option<String>) -> Option<Answer> {
        let checkout_id: Id = intent.get("metadata")?.get("patron_checkout")?.as_str()?.parse().ok()?;
        let status = text(intent, "status")?;
        let approved = match status.as_str() {
            "succeeded" => true,
            "requires_payment_method" | "canceled" => false,
            _ => return None,
        };
        let message = intent
            .get("last_payment_error")
            .and_then(|e| text(e, "message"))
            .or_else(|| text(intent, "declined"))
            .unwrap_or_else(|| status.clone());
        Some(Answer {
            checkout_id,
            provider_payment_id: text(intent, "id")?,
            approved,
            amount: intent.get("amount").and_then(Value::as_i64),
            currency: text(intent, "currency").map(|c| c.to_uppercase()),
            token: approved.then_some(token).flatten(),
            card: approved.then_some(card).flatten(),
            message,
        })
    }

    /// The token renewals charge, and the card, behind a succeeded PaymentIntent.
    pub(crate) async fn token_of(&self, intent: &Value) -> Result<(Option<String>, Option<Card>), PaymentError> {
        let (Some(customer), Some(method)) =
            (intent.get("customer").and_then(id_of), intent.get("payment_method").and_then(id_of))
        else {
            return Ok((None, None));
        };
        let method_object = self.api.get(&format!("/v1/payment_methods/{method}")).await.map_err(provider_error)?;
        Ok((Some(format!("{customer}/{method}")), card_of(&method_object)))
    }
}

impl crate::Provider for Stripe {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn start<'a>(&'a self, db: &'a Db, checkout: &'a Checkout) -> ProviderFuture<'a, String> {
        Box::pin(async move {
            let customer = self.customer_of(db, checkout.user_id).await?;
            let fields = [
                ("customer", customer),
                ("usage", "off_session".to_owned()),
                ("metadata[patron_checkout]", checkout.id.to_string()),
            ];
            let key = format!("patron-setup:{}", checkout.id);
            let intent = self.api.post("/v1/setup_intents", &fields, Some(&key)).await.map_err(provider_error)?;
            let id = text(&intent, "id").ok_or(PaymentError::Malformed("setup intent id"))?;
            if !patron_store::payments::set_provider_order(db.pool(), checkout.id, "stripe", &id).await? {
                return Err(PaymentError::Provider("the checkout's setup intent is taken".into()));
            }
            // patron's own page, on whichever address the fan reached patron by
            Ok(format!("/payments/stripe/{}", checkout.id))
        })
    }

    fn verify(&self, _params: &BTreeMap<String, String>) -> Result<Answer, PaymentError> {
        // Stripe's answers are PaymentIntents fetched from Stripe, never fields a browser brings
        Err(PaymentError::Malformed("answer: Stripe's payments are read from Stripe"))
    }

    fn charge<'a>(
        &'a self,
        _db: &'a Db,
        token: &'a str,
        amount: i64,
        currency: &'a str,
        idempotency_key: &'a str,
    ) -> ProviderFuture<'a, Charge> {
        Box::pin(async move {
            let (customer, method) = token.split_once('/').ok_or(PaymentError::Malformed("Stripe token"))?;
            let fields = [
                ("amount", amount.to_string()),
                ("currency", currency.to_lowercase()),
                ("customer", customer.to_owned()),
                ("payment_method", method.to_owned()),
                ("confirm", "true".to_owned()),
                ("off_session", "true".to_owned()),
                ("metadata[patron_charge]", idempotency_key.to_owned()),
            ];
            match self.api.post("/v1/payment_intents", &fields, Some(idempotency_key)).await {
                Ok(intent) => match text(&intent, "status").as_deref() {
                    Some("succeeded") => Ok(Charge::Succeeded {
                        provider_payment_id: text(&intent, "id").ok_or(PaymentError::Malformed("id"))?,
                    }),
                    // a test server answers a card that needs its holder this way
                    Some("requires_action") => {
                        Ok(Charge::NeedsAuthentication { reason: "the card's bank requires authentication".into() })
                    }
                    Some(other) => Ok(Charge::Declined { reason: format!("payment {other}") }),
                    None => Err(PaymentError::Malformed("status")),
                },
                Err(error) if error.code() == Some("authentication_required") => {
                    Ok(Charge::NeedsAuthentication { reason: error.to_string() })
                }
                Err(error) if error.is_card_error() => Ok(Charge::Declined { reason: error.to_string() }),
                Err(error) => Err(provider_error(error)),
            }
        })
    }

    fn refund<'a>(&'a self, _db: &'a Db, payment_intent: &'a str, amount: i64) -> ProviderFuture<'a, ()> {
        Box::pin(async move {
            let fields = [("payment_intent", payment_intent.to_owned()), ("amount", amount.to_string())];
            let key = format!("patron-refund:{payment_intent}");
            self.api.post("/v1/refunds", &fields, Some(&key)).await.map(|_| ()).map_err(provider_error)
        })
    }

    fn confirm<'a>(&'a self, _db: &'a Db, _answer: &'a Answer) -> ProviderFuture<'a, bool> {
        // answers are built from PaymentIntents just fetched from Stripe
        Box::pin(async { Ok(true) })
    }

    /// Stripe's fee is on the balance transaction of the PaymentIntent's charge.
    fn fee<'a>(&'a self, _db: &'a Db, payment_intent: &'a str, _amount: i64) -> ProviderFuture<'a, Option<i64>> {
        Box::pin(async move {
            let intent = self.payment_intent(payment_intent).await?;
            let Some(charge) = intent.get("latest_charge").and_then(id_of) else { return Ok(None) };
            let charge = self.api.get(&format!("/v1/charges/{charge}")).await.map_err(provider_error)?;
            let Some(transaction) = charge.get("balance_transaction").and_then(id_of) else { return Ok(None) };
            let transaction =
                self.api.get(&format!("/v1/balance_transactions/{transaction}")).await.map_err(provider_error)?;
            Ok(transaction.get("fee").and_then(Value::as_i64))
        })
    }
}
