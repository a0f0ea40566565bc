//! The built-in sandbox gateway: it keeps its own books (`sandbox_payments`), shows a pay
//! page under patron's address, and answers in the shape of a real card gateway — the fields
//! GP webpay uses, signed, returned through the fan's browser — so the whole path from
//! checkout to membership runs exactly as it does with real money.

use crate::{Answer, Charge, PaymentError, Provider, ProviderFuture};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use patron_domain::Id;
use patron_settings::SecretString;
use patron_store::Db;
use patron_store::payments::{self, Checkout, SandboxPayment};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

/// The signed fields of an answer, in the order the signature covers them.
pub const FIELDS: [&str; 9] =
    ["OPERATION", "ORDERNUMBER", "MERCHANTORDER", "AMOUNT", "CURRENCY", "PRCODE", "SRCODE", "RESULTTEXT", "TOKEN"];

/// The sandbox's fee on every payment, in basis points (1.5 %).
pub const SANDBOX_FEE: u32 = 150;

/// The sandbox provider. Its pages are patron's own, so its addresses are paths on the same
/// site (a real gateway's are absolute).
pub struct Sandbox {
    key: Vec<u8>,
}

impl Sandbox {
    /// The sandbox of an install: its signing key is derived from the secret key.
    pub fn new(secret_key: &SecretString) -> Self {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.expose().as_bytes()).unwrap_or_else(|_| {
            // HMAC takes keys of any length
            Hmac::<Sha256>::new_from_slice(b"-").unwrap_or_else(|_| unreachable!())
        });
        mac.update(b"patron-sandbox-gateway");
        Self { key: mac.finalize().into_bytes().to_vec() }
    }

    fn digest(&self, fields: &BTreeMap<String, String>) -> String {
        let text =
            FIELDS.iter().map(|name| fields.get(*name).map(String::as_str).unwrap_or("")).collect::<Vec<_>>().join("|");
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(text.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }

    /// The signed answer for a sandbox payment: `approved` or declined. Returned as the query
    /// of the address the fan's browser is sent back to.
    pub fn answer(&self, payment: &SandboxPayment, approved: bool) -> Vec<(String, String)> {
        let mut fields: BTreeMap<String, String> = BTreeMap::new();
        fields.insert("OPERATION".into(), "CREATE_ORDER".into());
        fields.insert("ORDERNUMBER".into(), payment.id.clone());
        fields.insert("MERCHANTORDER".into(), payment.checkout_id.map(|c| c.to_string()).unwrap_or_default());
        fields.insert("AMOUNT".into(), payment.amount.to_string());
        fields.insert("CURRENCY".into(), payment.currency.clone());
        fields.insert("PRCODE".into(), if approved { "0" } else { "28" }.into());
        fields.insert("SRCODE".into(), if approved { "0" } else { "3000" }.into());
        fields.insert("RESULTTEXT".into(), if approved { "OK" } else { "Declined in the sandbox" }.into());
        fields.insert("TOKEN".into(), if approved { card_token(&payment.id) } else { String::new() });
        let digest = self.digest(&fields);
        let mut query: Vec<(String, String)> =
            FIELDS.iter().map(|name| ((*name).to_owned(), fields.get(*name).cloned().unwrap_or_default())).collect();
        query.push(("DIGEST".into(), digest));
        query
    }

    /// The address a sandbox answer is delivered to.
    pub fn return_url(&self) -> String {
        "/payments/return/sandbox".to_owned()
    }
}

/// The sandbox card a payment registered: charging it again uses this token.
fn card_token(order: &str) -> String {
    let digest = Sha256::digest(format!("sandbox-card:{order}").as_bytes());
    format!("card_{}", digest.iter().take(12).map(|b| format!("{b:02x}")).collect::<String>())
}

impl Provider for Sandbox {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn start<'a>(&'a self, db: &'a Db, checkout: &'a Checkout) -> ProviderFuture<'a, String> {
        Box::pin(async move {
            let order = format!("sbx_{}", Id::new().to_string().replace('-', ""));
            let payment = SandboxPayment {
                id: order.clone(),
                checkout_id: Some(checkout.id),
                amount: checkout.amount,
                currency: checkout.currency.clone(),
                status: "open".into(),
            };
            payments::sandbox_open(db.pool(), &payment).await?;
            Ok(format!("/sandbox-gateway/payments/{order}"))
        })
    }

    fn verify(&self, params: &BTreeMap<String, String>) -> Result<Answer, PaymentError> {
        let given = params.get("DIGEST").ok_or(PaymentError::BadSignature)?;
        let expected = self.digest(params);
        if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(PaymentError::BadSignature);
        }
        let field = |name: &str| params.get(name).cloned().unwrap_or_default();
        let checkout_id: Id = field("MERCHANTORDER").parse().map_err(|_| PaymentError::Malformed("MERCHANTORDER"))?;
        let amount: i64 = field("AMOUNT").parse().map_err(|_| PaymentError::Malformed("AMOUNT"))?;
        let approved = field("PRCODE") == "0" && field("SRCODE") == "0";
        Ok(Answer {
            checkout_id,
            provider_payment_id: field("ORDERNUMBER"),
            approved,
            amount: Some(amount),
            currency: Some(field("CURRENCY")),
            token: Some(field("TOKEN")).filter(|t| !t.is_empty()),
            card: approved.then(sandbox_card),
            message: field("RESULTTEXT"),
        })
    }

    fn charge<'a>(
        &'a self,
        db: &'a Db,
        token: &'a str,
        amount: i64,
        currency: &'a str,
        idempotency_key: &'a str,
    ) -> ProviderFuture<'a, Charge> {
        Box::pin(async move {
            // one gateway payment per key, as real gateways dedupe merchant-initiated charges
            let digest = Sha256::digest(idempotency_key.as_bytes());
            let order = format!("mit_{}", digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>());
            if let Some(existing) = payments::sandbox_find(db.pool(), &order).await? {
                return Ok(match existing.status.as_str() {
                    "paid" => Charge::Succeeded { provider_payment_id: order },
                    _ => Charge::Declined { reason: "Declined in the sandbox".into() },
                });
            }
            let declines = payments::sandbox_card_declines(db.pool(), token).await?;
            let payment = SandboxPayment {
                id: order.clone(),
                checkout_id: None,
                amount,
                currency: currency.to_owned(),
                status: if declines { "declined" } else { "paid" }.into(),
            };
            if let Err(error) = payments::sandbox_open(db.pool(), &payment).await {
                // a concurrent charge with the same key got there first: answer as it did
                if let Some(existing) = payments::sandbox_find(db.pool(), &order).await? {
                    return Ok(if existing.status == "paid" {
                        Charge::Succeeded { provider_payment_id: order }
                    } else {
                        Charge::Declined { reason: "Declined in the sandbox".into() }
                    });
                }
                return Err(error.into());
            }
            Ok(if declines {
                Charge::Declined { reason: "Declined in the sandbox (the card declines repeat charges)".into() }
            } else {
                Charge::Succeeded { provider_payment_id: order }
            })
        })
    }

    fn confirm<'a>(&'a self, db: &'a Db, answer: &'a Answer) -> ProviderFuture<'a, bool> {
        Box::pin(async move {
            let Some(books) = payments::sandbox_find(db.pool(), &answer.provider_payment_id).await? else {
                return Ok(false);
            };
            let settled = if answer.approved {
                matches!(books.status.as_str(), "paid" | "refunded")
            } else {
                books.status == "declined"
            };
            Ok(settled
                && books.checkout_id == Some(answer.checkout_id)
                && Some(books.amount) == answer.amount
                && Some(&books.currency) == answer.currency.as_ref())
        })
    }

    /// The sandbox charges what card gateways commonly do, 1.5 % (rounded half up), so the
    /// platform's books show gateway fees as they will with real money.
    fn fee<'a>(&'a self, _db: &'a Db, _provider_payment_id: &'a str, amount: i64) -> ProviderFuture<'a, Option<i64>> {
        Box::pin(async move { Ok(patron_domain::split::Percent::from_basis_points(SANDBOX_FEE).map(|p| p.of(amount))) })
    }

    fn refund<'a>(&'a self, db: &'a Db, provider_payment_id: &'a str, _amount: i64) -> ProviderFuture<'a, ()> {
        Box::pin(async move {
            if payments::sandbox_refund(db.pool(), provider_payment_id).await? {
                Ok(())
            } else {
                Err(PaymentError::Provider(format!("the sandbox has no paid payment {provider_payment_id}")))
            }
        })
    }
}

/// The sandbox's test card, valid for three more years.
fn sandbox_card() -> patron_domain::card::Card {
    let year = patron_domain::Timestamp::now().to_offset_datetime().year();
    patron_domain::card::Card {
        brand: "sandbox".to_owned(),
        last4: "4242".to_owned(),
        exp_year: u16::try_from(year + 3).unwrap_or(u16::MAX),
        exp_month: 12,
        country: None,
    }
}

#[cfg(test)]
mod tests {
    // (refunds are covered end to end in the integration tests)
    use super::*;

    fn sandbox() -> Sandbox {
        Sandbox::new(&SecretString::new("a-secret-key-of-at-least-32-characters!"))
    }

    #[test]
    fn answers_verify_and_any_change_breaks_the_signature() {
        let sandbox = sandbox();
        let checkout = Id::new();
        let payment = SandboxPayment {
            id: "sbx_1".into(),
            checkout_id: Some(checkout),
            amount: 9900,
            currency: "CZK".into(),
            status: "open".into(),
        };
        let params: BTreeMap<String, String> = sandbox.answer(&payment, true).into_iter().collect();
        let answer = sandbox.verify(&params).unwrap_or_else(|e| panic!("{e}"));
        assert!(answer.approved);
        assert_eq!(
            (answer.checkout_id, answer.amount, answer.currency.as_deref()),
            (checkout, Some(9900), Some("CZK"))
        );
        assert!(answer.token.is_some(), "an approved payment registers the card");
        for field in FIELDS {
            let mut tampered = params.clone();
            tampered.insert(field.to_owned(), format!("{}x", params[field]));
            assert!(matches!(sandbox.verify(&tampered), Err(PaymentError::BadSignature)), "{field}");
        }
        let mut unsigned = params.clone();
        unsigned.remove("DIGEST");
        assert!(matches!(sandbox.verify(&unsigned), Err(PaymentError::BadSignature)));
        let other = Sandbox::new(&SecretString::new("another-secret-key-of-at-least-32-chars"));
        assert!(matches!(other.verify(&params), Err(PaymentError::BadSignature)), "another install's key");
        let declined: BTreeMap<String, String> = sandbox.answer(&payment, false).into_iter().collect();
        assert!(!sandbox.verify(&declined).unwrap_or_else(|e| panic!("{e}")).approved);
    }
}
