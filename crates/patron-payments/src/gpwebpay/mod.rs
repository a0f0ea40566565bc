//! GP webpay (the gateway of the Pickey.cz talk), HTTP API: the redirect request signed with
//! the merchant's RSA key (SHA-1, PKCS #1 v1.5, base64 in `DIGEST`) over the values of the
//! present fields in the documented order joined by `|`; the answer verified with the
//! gateway's public key — `DIGEST` over the answer's fields, `DIGEST1` over the same text
//! followed by `|` and the merchant number. The merchant number is text throughout (lesson 4:
//! a 19-digit number once lost its last digits on the way to the gateway).
//!
//! Written from the gateway's public documentation. With the web service configured
//! (`PATRON_GPWEBPAY_WS_URL`) the first payment registers the card as a recurring master
//! (`USERPARAM1=R`) and renewals are repeat charges on it ([`ws`]); without it memberships
//! paid here run one period and end, with a reminder to join again.

pub mod codes;
pub mod ws;
pub mod xml;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use std::collections::BTreeMap;

/// The request fields the signature covers, in the documented order.
pub const REQUEST_FIELDS: [&str; 18] = [
    "MERCHANTNUMBER",
    "OPERATION",
    "ORDERNUMBER",
    "AMOUNT",
    "CURRENCY",
    "DEPOSITFLAG",
    "MERORDERNUM",
    "URL",
    "DESCRIPTION",
    "MD",
    "PAYMETHOD",
    "DISABLEPAYMETHOD",
    "PAYMETHODS",
    "EMAIL",
    "REFERENCENUMBER",
    "ADDINFO",
    "USERPARAM1",
    "FASTPAYID",
];

/// The answer fields the signatures cover, in the documented order.
pub const RESPONSE_FIELDS: [&str; 20] = [
    "OPERATION",
    "ORDERNUMBER",
    "MERORDERNUM",
    "MD",
    "PRCODE",
    "SRCODE",
    "RESULTTEXT",
    "USERPARAM1",
    "ADDINFO",
    "TOKEN",
    "EXPIRY",
    "ACSRES",
    "ACCODE",
    "PANPATTERN",
    "DAYTOCAPTURE",
    "TOKENREGSTATUS",
    "ACRC",
    "RRN",
    "PAR",
    "TRACEID",
];

/// Why GP webpay settings or messages are unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GpWebpayError {
    /// The merchant's key cannot be read (wrong password, not PKCS #8 PEM).
    #[error("the merchant's private key cannot be read: {0}")]
    PrivateKey(String),
    /// The gateway's key cannot be read (expected a `PUBLIC KEY` PEM).
    #[error("the gateway's public key cannot be read: {0}")]
    PublicKey(String),
    /// A signature does not verify.
    #[error("the signature {0} does not verify")]
    BadSignature(&'static str),
    /// The currency has no ISO 4217 numeric code here.
    #[error("currency {0} is not supported by GP webpay here")]
    Currency(String),
    /// The web service's client cannot be made.
    #[error("GP webpay's web service: {0}")]
    WebService(String),
}

/// The ISO 4217 numeric code GP webpay expects for a currency.
pub fn currency_number(code: &str) -> Result<&'static str, GpWebpayError> {
    Ok(match code {
        "CZK" => "203",
        "EUR" => "978",
        "USD" => "840",
        "GBP" => "826",
        "PLN" => "985",
        "HUF" => "348",
        other => return Err(GpWebpayError::Currency(other.to_owned())),
    })
}

/// The text a signature covers: the values of the present fields, in `order`, joined by `|`.
pub fn digest_input(fields: &BTreeMap<String, String>, order: &[&str]) -> String {
    order.iter().filter_map(|name| fields.get(*name)).map(String::as_str).collect::<Vec<_>>().join("|")
}

/// A merchant's signing key and the gateway's verifying key.
pub struct Keys {
    signing: SigningKey<Sha1>,
    gateway: VerifyingKey<Sha1>,
}

impl Keys {
    /// Reads the merchant's encrypted PKCS #8 private key (PEM) with its password, and the
    /// gateway's public key (PEM; `openssl x509 -pubkey -noout -in gpe.signing.pem` turns
    /// the gateway's certificate into one).
    pub fn from_pem(private_pem: &str, password: &str, gateway_pem: &str) -> Result<Self, GpWebpayError> {
        let private = if private_pem.contains("ENCRYPTED") {
            RsaPrivateKey::from_pkcs8_encrypted_pem(private_pem, password.as_bytes())
        } else {
            RsaPrivateKey::from_pkcs8_pem(private_pem)
        }
        .map_err(|e| GpWebpayError::PrivateKey(e.to_string()))?;
        let gateway =
            RsaPublicKey::from_public_key_pem(gateway_pem).map_err(|e| GpWebpayError::PublicKey(e.to_string()))?;
        Ok(Self { signing: SigningKey::<Sha1>::new(private), gateway: VerifyingKey::<Sha1>::new(gateway) })
    }

    /// Signs `text` with the merchant's key: base64 of RSA-SHA1.
    pub fn sign(&self, text: &str) -> String {
        STANDARD.encode(self.signing.sign(text.as_bytes()).to_bytes())
    }

    /// Verifies a signature over `text` with the other side's key (the gateway checks a
    /// merchant's requests this way).
    pub fn verify_signature(&self, text: &str, digest: &str) -> bool {
        self.verify(text, digest, "DIGEST").is_ok()
    }

    fn verify(&self, text: &str, digest: &str, name: &'static str) -> Result<(), GpWebpayError> {
        let bytes = STANDARD.decode(digest.trim()).map_err(|_| GpWebpayError::BadSignature(name))?;
        let signature = Signature::try_from(bytes.as_slice()).map_err(|_| GpWebpayError::BadSignature(name))?;
        self.gateway.verify(text.as_bytes(), &signature).map_err(|_| GpWebpayError::BadSignature(name))
    }

    /// Signs a request: returns its fields with `DIGEST` added.
    pub fn signed_request(&self, mut fields: BTreeMap<String, String>) -> BTreeMap<String, String> {
        let digest = self.sign(&digest_input(&fields, &REQUEST_FIELDS));
        fields.insert("DIGEST".to_owned(), digest);
        fields
    }

    /// Verifies an answer: `DIGEST` over its fields and `DIGEST1` over the same text followed
    /// by `|` and our merchant number (so an answer meant for another merchant fails).
    pub fn verify_answer(&self, fields: &BTreeMap<String, String>, merchant_number: &str) -> Result<(), GpWebpayError> {
        let text = digest_input(fields, &RESPONSE_FIELDS);
        self.verify(&text, fields.get("DIGEST").map(String::as_str).unwrap_or(""), "DIGEST")?;
        let text1 = format!("{text}|{merchant_number}");
        self.verify(&text1, fields.get("DIGEST1").map(String::as_str).unwrap_or(""), "DIGEST1")
    }
}

/// The fields of a payment request (`CREATE_ORDER`): `order_number` is the gateway's unique
/// numeric order number, `merchant_order` ours; `register_card` asks for a master payment
/// that later repeat charges refer to.
#[allow(clippy::too_many_arguments)]
pub fn create_order(
    merchant_number: &str,
    order_number: u64,
    amount_minor: i64,
    currency: &str,
    return_url: &str,
    merchant_order: &str,
    description: &str,
    register_card: bool,
) -> Result<BTreeMap<String, String>, GpWebpayError> {
    let mut fields = BTreeMap::new();
    fields.insert("MERCHANTNUMBER".to_owned(), merchant_number.to_owned());
    fields.insert("OPERATION".to_owned(), "CREATE_ORDER".to_owned());
    fields.insert("ORDERNUMBER".to_owned(), order_number.to_string());
    fields.insert("AMOUNT".to_owned(), amount_minor.to_string());
    fields.insert("CURRENCY".to_owned(), currency_number(currency)?.to_owned());
    fields.insert("DEPOSITFLAG".to_owned(), "1".to_owned());
    fields.insert("MERORDERNUM".to_owned(), merchant_order.to_owned());
    fields.insert("URL".to_owned(), return_url.to_owned());
    fields.insert(
        "DESCRIPTION".to_owned(),
        description.chars().filter(|c| c.is_ascii() && !c.is_ascii_control()).take(255).collect(),
    );
    if register_card {
        fields.insert("USERPARAM1".to_owned(), "R".to_owned());
    }
    Ok(fields)
}

/// GP webpay as a payment provider (see the module's note on renewals).
pub struct GpWebpay {
    keys: Keys,
    merchant_number: String,
    gateway: url::Url,
    return_url: String,
    ws: Option<ws::Client>,
}

impl GpWebpay {
    /// The provider from its settings; fails when the keys cannot be read.
    pub fn from_settings(
        settings: &patron_settings::GpWebpaySettings,
        public_url: &url::Url,
    ) -> Result<Self, GpWebpayError> {
        Ok(Self {
            keys: Keys::from_pem(
                settings.private_key.expose(),
                settings.private_key_password.expose(),
                &settings.public_key,
            )?,
            merchant_number: settings.merchant_number.clone(),
            gateway: settings.url.clone(),
            return_url: format!("{}/payments/return/gpwebpay", public_url.as_str().trim_end_matches('/')),
            ws: match &settings.ws {
                Some(ws) => Some(
                    ws::Client::new(ws.url.clone(), ws.provider.clone(), settings.merchant_number.clone())
                        .map_err(|e| GpWebpayError::WebService(e.to_string()))?,
                ),
                None => None,
            },
        })
    }

    fn web_service(&self) -> Result<&ws::Client, crate::PaymentError> {
        self.ws.as_ref().ok_or_else(|| {
            crate::PaymentError::Provider("GP webpay's web service is not configured (PATRON_GPWEBPAY_WS_URL)".into())
        })
    }

    /// Calls the web service; a missing or unverifiable answer is a provider problem (tried
    /// again later), never a decline.
    async fn call(
        &self,
        operation: &ws::Operation,
        fields: Vec<(&'static str, Option<String>)>,
    ) -> Result<ws::Reply, crate::PaymentError> {
        let reply = self.web_service()?.call(&self.keys, operation, fields).await;
        reply.map_err(|error| {
            tracing::warn!(operation = operation.name, %error, "GP webpay web service");
            crate::PaymentError::Provider(error.to_string())
        })
    }

    /// The state of a payment at the gateway (`getPaymentStatus`); `None` when it has none.
    async fn payment_state(&self, payment_number: &str) -> Result<Option<u32>, crate::PaymentError> {
        match self.call(&ws::PAYMENT_STATUS, vec![("paymentNumber", Some(payment_number.to_owned()))]).await? {
            reply @ ws::Reply::Done(_) => Ok(reply.field("state").and_then(|state| state.trim().parse().ok())),
            ws::Reply::Refused { primary: 15, .. } => Ok(None),
            ws::Reply::Refused { primary, secondary, .. } => {
                Err(crate::PaymentError::Provider(codes::describe(primary, secondary)))
            }
        }
    }

    /// The number the gateway knows `purpose` by: allocated once, so a charge tried again
    /// after an unknown outcome carries the same number and the gateway sees the duplicate.
    async fn number_for(&self, db: &patron_store::Db, purpose: &str) -> Result<String, crate::PaymentError> {
        for _ in 0..5 {
            let candidate = order_number().to_string();
            if let Some(number) =
                patron_store::payments::provider_order(db.pool(), "gpwebpay", purpose, &candidate).await?
            {
                return Ok(number);
            }
        }
        Err(crate::PaymentError::Provider("no free order number".into()))
    }
}

/// Payment states (`getPaymentStatus`) in which the money was taken: authorised, captured
/// (batch open or closed), or refunded since.
const PAID_STATES: [u32; 5] = [4, 7, 8, 11, 12];

/// A fresh random 15-digit number (the gateway's limit).
fn order_number() -> u64 {
    let mut bytes = [0u8; 8];
    patron_domain::token::fill_random(&mut bytes);
    100_000_000_000_000 + u64::from_le_bytes(bytes) % 900_000_000_000_000
}

/// The card an answer tells of: the masked number's last four digits (and its network, from
/// the first digit when shown) and the expiry (`YYMM`).
fn card_of(panpattern: &str, expiry: &str) -> Option<patron_domain::card::Card> {
    let digits: String = panpattern.chars().rev().take_while(char::is_ascii_digit).collect();
    let last4: String = digits.chars().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    if last4.len() != 4 || expiry.len() != 4 || !expiry.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let brand = match panpattern.chars().next() {
        Some('4') => "visa",
        Some('5' | '2') => "mastercard",
        Some('3') => "amex",
        _ => "card",
    };
    let exp_month: u8 = expiry[2..].parse().ok()?;
    let exp_year: u16 = 2000 + expiry[..2].parse::<u16>().ok()?;
    (1..=12).contains(&exp_month).then(|| patron_domain::card::Card {
        brand: brand.to_owned(),
        last4,
        exp_year,
        exp_month,
        country: None,
    })
}

impl crate::Provider for GpWebpay {
    fn name(&self) -> &'static str {
        "gpwebpay"
    }

    fn start<'a>(
        &'a self,
        db: &'a patron_store::Db,
        checkout: &'a patron_store::payments::Checkout,
    ) -> crate::ProviderFuture<'a, String> {
        Box::pin(async move {
            let number = self.number_for(db, &format!("checkout:{}", checkout.id)).await?;
            if !patron_store::payments::set_provider_order(db.pool(), checkout.id, "gpwebpay", &number).await? {
                return Err(crate::PaymentError::Provider("the checkout's order number is taken".into()));
            }
            let order: u64 = number.parse().map_err(|_| crate::PaymentError::Provider("order number".into()))?;
            let mut fields = create_order(
                &self.merchant_number,
                order,
                checkout.amount,
                &checkout.currency,
                &self.return_url,
                "",
                "patron membership",
                // with the web service, the first payment registers the card for renewals
                self.ws.is_some(),
            )
            .map_err(|e| crate::PaymentError::Provider(e.to_string()))?;
            fields.remove("MERORDERNUM");
            fields.insert("MD".to_owned(), checkout.id.to_string());
            let signed = self.keys.signed_request(fields);
            let mut url = self.gateway.clone();
            url.query_pairs_mut().clear().extend_pairs(
                REQUEST_FIELDS
                    .iter()
                    .chain(["DIGEST"].iter())
                    .filter_map(|name| signed.get(*name).map(|v| (*name, v.as_str()))),
            );
            Ok(url.to_string())
        })
    }

    fn verify(&self, params: &BTreeMap<String, String>) -> Result<crate::Answer, crate::PaymentError> {
        self.keys.verify_answer(params, &self.merchant_number).map_err(|_| crate::PaymentError::BadSignature)?;
        let field = |name: &str| params.get(name).cloned().unwrap_or_default();
        let checkout_id = field("MD").parse().map_err(|_| crate::PaymentError::Malformed("MD"))?;
        let approved = field("PRCODE") == "0" && field("SRCODE") == "0";
        // a paid registration payment is the master that repeat charges name by its number
        let registered = approved && self.ws.is_some();
        Ok(crate::Answer {
            checkout_id,
            provider_payment_id: field("ORDERNUMBER"),
            approved,
            amount: None,
            currency: None,
            token: registered.then(|| field("ORDERNUMBER")),
            card: if approved { card_of(&field("PANPATTERN"), &field("EXPIRY")) } else { None },
            message: field("RESULTTEXT"),
        })
    }

    fn charge<'a>(
        &'a self,
        db: &'a patron_store::Db,
        token: &'a str,
        amount: i64,
        currency: &'a str,
        idempotency_key: &'a str,
    ) -> crate::ProviderFuture<'a, crate::Charge> {
        Box::pin(async move {
            let currency = currency_number(currency).map_err(|e| crate::PaymentError::Provider(e.to_string()))?;
            let number = self.number_for(db, idempotency_key).await?;
            let fields = vec![
                ("paymentNumber", Some(number.clone())),
                ("masterPaymentNumber", Some(token.to_owned())),
                ("amount", Some(amount.to_string())),
                ("currencyCode", Some(currency.to_owned())),
                ("captureFlag", Some("1".to_owned())),
            ];
            let (primary, secondary) = match self.call(&ws::RECURRING, fields).await? {
                ws::Reply::Done(_) => return Ok(crate::Charge::Succeeded { provider_payment_id: number }),
                ws::Reply::Refused { primary, secondary, .. } => (primary, secondary),
            };
            let reason = codes::describe(primary, secondary);
            match codes::classify(primary, secondary) {
                codes::Class::Declined => Ok(crate::Charge::Declined { reason }),
                codes::Class::NeedsAuthentication => Ok(crate::Charge::NeedsAuthentication { reason }),
                // an earlier attempt with this number reached the gateway: its state decides
                codes::Class::Duplicate => match self.payment_state(&number).await? {
                    Some(state) if PAID_STATES.contains(&state) => {
                        Ok(crate::Charge::Succeeded { provider_payment_id: number })
                    }
                    Some(state @ (6 | 13)) => {
                        Ok(crate::Charge::Declined { reason: format!("declined at the gateway (state {state})") })
                    }
                    _ => Err(crate::PaymentError::Provider(reason)),
                },
                codes::Class::RetryLater => Err(crate::PaymentError::Provider(reason)),
                codes::Class::Mistake => {
                    tracing::error!(%reason, "GP webpay refused a repeat charge: check the settings");
                    Err(crate::PaymentError::Provider(reason))
                }
            }
        })
    }

    fn refund<'a>(
        &'a self,
        _db: &'a patron_store::Db,
        payment_number: &'a str,
        amount: i64,
    ) -> crate::ProviderFuture<'a, ()> {
        Box::pin(async move {
            let fields = vec![("paymentNumber", Some(payment_number.to_owned())), ("amount", Some(amount.to_string()))];
            match self.call(&ws::REFUND, fields).await? {
                ws::Reply::Done(_) => Ok(()),
                ws::Reply::Refused { primary: 18, .. } => {
                    Err(crate::PaymentError::NotChangeable("the gateway has refunded this payment already"))
                }
                ws::Reply::Refused { primary, secondary, .. } => {
                    Err(crate::PaymentError::Provider(codes::describe(primary, secondary)))
                }
            }
        })
    }

    fn confirm<'a>(&'a self, _db: &'a patron_store::Db, answer: &'a crate::Answer) -> crate::ProviderFuture<'a, bool> {
        Box::pin(async move {
            if self.ws.is_none() {
                // without the web service the answer's two signatures (DIGEST, DIGEST1) are
                // all there is to check
                return Ok(true);
            }
            let state = self.payment_state(&answer.provider_payment_id).await?;
            let paid = state.is_some_and(|state| PAID_STATES.contains(&state));
            Ok(paid == answer.approved)
        })
    }

    fn release<'a>(&'a self, _db: &'a patron_store::Db, token: &'a str) -> crate::ProviderFuture<'a, ()> {
        Box::pin(async move {
            match self.call(&ws::REVOKE, vec![("paymentNumber", Some(token.to_owned()))]).await? {
                ws::Reply::Done(_) => Ok(()),
                ws::Reply::Refused { primary, secondary, .. } => {
                    Err(crate::PaymentError::Provider(codes::describe(primary, secondary)))
                }
            }
        })
    }

    fn renews(&self) -> bool {
        self.ws.is_some()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

    pub(crate) fn key_pair() -> (String, String) {
        let mut rng = rand_core::OsRng;
        let private = RsaPrivateKey::new(&mut rng, 1024).unwrap_or_else(|e| panic!("{e}"));
        let public = RsaPublicKey::from(&private);
        let private_pem = private
            .to_pkcs8_encrypted_pem(&mut rng, b"key password", LineEnding::LF)
            .unwrap_or_else(|e| panic!("{e}"))
            .to_string();
        let public_pem = public.to_public_key_pem(LineEnding::LF).unwrap_or_else(|e| panic!("{e}"));
        (private_pem, public_pem)
    }

    #[test]
    fn requests_are_signed_over_the_documented_order_and_answers_verified_with_both_digests() {
        // the test plays both sides: the merchant signs with one pair, the "gateway" with another
        let (merchant_private, merchant_public) = key_pair();
        let (gateway_private, gateway_public) = key_pair();
        let merchant =
            Keys::from_pem(&merchant_private, "key password", &gateway_public).unwrap_or_else(|e| panic!("{e}"));
        let gateway =
            Keys::from_pem(&gateway_private, "key password", &merchant_public).unwrap_or_else(|e| panic!("{e}"));
        let number = "1234567890123456789"; // 19 digits, as text

        let request = create_order(
            number,
            42,
            9900,
            "CZK",
            "https://patron.example/payments/return/gpwebpay",
            "chk-1",
            "Na steaky — Gordíkey",
            true,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let signed = merchant.signed_request(request.clone());
        let text = digest_input(&request, &REQUEST_FIELDS);
        assert_eq!(
            text,
            format!(
                "{number}|CREATE_ORDER|42|9900|203|1|chk-1|https://patron.example/payments/return/gpwebpay|Na steaky  Gordkey|R"
            ),
            "present fields only, in the documented order, the merchant number unchanged"
        );
        // the gateway checks the request with the merchant's public key
        assert!(gateway.verify(&text, &signed["DIGEST"], "DIGEST").is_ok());
        assert!(gateway.verify(&text.replace("9900", "100"), &signed["DIGEST"], "DIGEST").is_err());

        // the gateway's answer
        let mut answer: BTreeMap<String, String> = [
            ("OPERATION", "CREATE_ORDER"),
            ("ORDERNUMBER", "42"),
            ("MERORDERNUM", "chk-1"),
            ("PRCODE", "0"),
            ("SRCODE", "0"),
            ("RESULTTEXT", "OK"),
            ("USERPARAM1", "R"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let answer_text = digest_input(&answer, &RESPONSE_FIELDS);
        assert_eq!(answer_text, "CREATE_ORDER|42|chk-1|0|0|OK|R");
        answer.insert("DIGEST".into(), gateway.sign(&answer_text));
        answer.insert("DIGEST1".into(), gateway.sign(&format!("{answer_text}|{number}")));
        assert_eq!(merchant.verify_answer(&answer, number), Ok(()));

        let mut tampered = answer.clone();
        tampered.insert("PRCODE".into(), "1".into());
        assert_eq!(merchant.verify_answer(&tampered, number), Err(GpWebpayError::BadSignature("DIGEST")));
        assert_eq!(
            merchant.verify_answer(&answer, "1234567890123456780"),
            Err(GpWebpayError::BadSignature("DIGEST1")),
            "an answer for another merchant number (one digit lost) is refused"
        );
        let forged =
            Keys::from_pem(&merchant_private, "key password", &merchant_public).unwrap_or_else(|e| panic!("{e}"));
        let mut by_someone_else = answer.clone();
        by_someone_else.insert("DIGEST".into(), forged.sign(&answer_text));
        assert!(merchant.verify_answer(&by_someone_else, number).is_err(), "signed with another key");

        assert!(matches!(
            Keys::from_pem(&merchant_private, "wrong", &gateway_public),
            Err(GpWebpayError::PrivateKey(_))
        ));
        assert!(matches!(Keys::from_pem(&merchant_private, "key password", "junk"), Err(GpWebpayError::PublicKey(_))));
        assert_eq!(currency_number("XYZ"), Err(GpWebpayError::Currency("XYZ".into())));
    }
}
