//! Stripe's API as patron uses it: form-encoded requests with the secret key, an
//! `Idempotency-Key` on every request that moves money, and Stripe's error object read into
//! what patron does next (a declined card, a bank that wants the cardholder, a mistake, or
//! "try again later").

use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// How long one call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Stripe could not be reached, or answered with something that is not its API.
    #[error("Stripe did not answer: {0}")]
    Transport(String),
    /// Stripe refused the request, with its error object.
    #[error("Stripe refused the request ({status}): {message}")]
    Refused {
        /// The HTTP status (402 for card errors).
        status: u16,
        /// `card_declined`, `authentication_required`, `resource_missing`, …
        code: Option<String>,
        /// Stripe's words.
        message: String,
        /// The PaymentIntent the error is about, when Stripe names it.
        payment_intent: Option<String>,
    },
}

impl ApiError {
    /// Whether the card was refused (as opposed to a mistake or an outage): Stripe answers
    /// card errors with 402.
    pub fn is_card_error(&self) -> bool {
        matches!(self, ApiError::Refused { status: 402, .. })
    }

    /// The error's code.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Refused { code, .. } => code.as_deref(),
            ApiError::Transport(_) => None,
        }
    }

    /// Whether the object asked for does not exist.
    pub fn is_missing(&self) -> bool {
        matches!(self, ApiError::Refused { status: 404, .. })
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorObject,
}

#[derive(Deserialize)]
struct ErrorObject {
    code: Option<String>,
    message: Option<String>,
    /// Real Stripe embeds the PaymentIntent object; some test servers name only its id.
    payment_intent: Option<Value>,
}

/// A client of Stripe's API with one secret key.
pub struct Client {
    http: reqwest::Client,
    base: String,
    secret_key: String,
}

/// An id field that Stripe sends either as the id or, expanded, as the object.
pub fn id_of(value: &Value) -> Option<String> {
    match value {
        Value::String(id) => Some(id.clone()),
        Value::Object(object) => object.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

impl Client {
    /// A client for the API at `base` (`https://api.stripe.com`).
    pub fn new(base: &url::Url, secret_key: String) -> Result<Self, ApiError> {
        let http =
            reqwest::Client::builder().timeout(CALL_TIMEOUT).build().map_err(|e| ApiError::Transport(e.to_string()))?;
        Ok(Self { http, base: base.as_str().trim_end_matches('/').to_owned(), secret_key })
    }

    /// The API's address.
    pub fn base(&self) -> &str {
        &self.base
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, ApiError> {
        let response = request
            .basic_auth(&self.secret_key, Some(""))
            .send()
            .await
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| ApiError::Transport(e.to_string()))?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&text).map_err(|e| ApiError::Transport(format!("unreadable answer: {e}")));
        }
        match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => Err(ApiError::Refused {
                status,
                code: body.error.code,
                message: body.error.message.unwrap_or_default(),
                payment_intent: body.error.payment_intent.as_ref().and_then(id_of),
            }),
            Err(_) if status >= 500 || status == 429 => Err(ApiError::Transport(format!("HTTP {status}"))),
            Err(_) => Err(ApiError::Refused {
                status,
                code: None,
                message: text.chars().take(200).collect(),
                payment_intent: None,
            }),
        }
    }

    /// `GET {path}`.
    pub async fn get(&self, path: &str) -> Result<Value, ApiError> {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    /// `POST {path}` with form fields; `idempotency_key` makes Stripe answer a repeat of the
    /// request with the first answer instead of acting twice.
    pub async fn post(
        &self,
        path: &str,
        fields: &[(&str, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Value, ApiError> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        self.send(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_as_text_or_as_expanded_objects() {
        assert_eq!(id_of(&serde_json::json!("ch_1")), Some("ch_1".to_owned()));
        assert_eq!(id_of(&serde_json::json!({"id": "ch_2", "object": "charge"})), Some("ch_2".to_owned()));
        assert_eq!(id_of(&serde_json::json!(null)), None);
    }

    #[test]
    fn stripes_error_object_is_read_as_recorded_in_its_api_reference() {
        // an off-session charge that needs the cardholder, as Stripe's reference shows it
        let recorded = r#"{"error":{"type":"card_error","code":"authentication_required",
            "decline_code":"authentication_required","message":"This payment requires authentication.",
            "payment_intent":{"id":"pi_123","object":"payment_intent","status":"requires_payment_method"}}}"#;
        let body: ErrorBody = serde_json::from_str(recorded).expect("the error shape");
        assert_eq!(body.error.code.as_deref(), Some("authentication_required"));
        assert_eq!(body.error.payment_intent.as_ref().and_then(id_of), Some("pi_123".to_owned()));
    }
}
