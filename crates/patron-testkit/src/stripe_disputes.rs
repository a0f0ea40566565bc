//! Stripe's dispute endpoints, which localstripe does not have, in front of localstripe.
//!
//! patron talks to this server as to Stripe: `GET /v1/disputes/{id}` is answered from the
//! server's own books, with the Dispute object as Stripe's API reference records it (the
//! charge named by id, `payment_intent` left `null` as in the reference's example, a status
//! from the reference's list); every other request is passed to localstripe unchanged, so the
//! charges, PaymentIntents and refunds a dispute refers to are localstripe's real ones. A test
//! opens a dispute on a charge, decides it, and gets the event Stripe would send.
//!
//! Like Stripe, it answers only requests carrying the secret key (HTTP Basic with the key as
//! user name, or a Bearer token), and a dispute it does not know is `resource_missing`.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

struct Books {
    upstream: String,
    secret_key: String,
    disputes: Mutex<HashMap<String, Value>>,
    http: reqwest::Client,
}

/// The running server; stopped when dropped.
pub struct StripeDisputes {
    base: String,
    books: Arc<Books>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StripeDisputes {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn random_id(prefix: &str) -> String {
    format!("{prefix}_{}", &uuid::Uuid::new_v4().simple().to_string()[..24])
}

fn stripe_error(status: StatusCode, code: Option<&str>, message: &str) -> Response {
    let mut error = json!({"type": "invalid_request_error", "message": message});
    if let Some(code) = code {
        error["code"] = json!(code);
    }
    (status, axum::Json(json!({ "error": error }))).into_response()
}

impl Books {
    /// Whether the request carries the secret key, as Stripe reads it.
    fn authorised(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else { return false };
        if let Some(token) = value.strip_prefix("Bearer ") {
            return token == self.secret_key;
        }
        let Some(encoded) = value.strip_prefix("Basic ") else { return false };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) else { return false };
        String::from_utf8(decoded).ok().and_then(|pair| pair.split(':').next().map(|user| user == self.secret_key))
            == Some(true)
    }
}

async fn dispute(State(books): State<Arc<Books>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !books.authorised(&headers) {
        return stripe_error(StatusCode::UNAUTHORIZED, None, "Invalid API Key provided");
    }
    match books.disputes.lock().unwrap().get(&id) {
        Some(dispute) => axum::Json(dispute.clone()).into_response(),
        None => stripe_error(StatusCode::NOT_FOUND, Some("resource_missing"), &format!("No such dispute: '{id}'")),
    }
}

/// Everything else goes to localstripe as it came.
async fn forward(State(books): State<Arc<Books>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut upstream = books.http.request(parts.method, format!("{}{path}", books.upstream)).body(body);
    for name in [header::AUTHORIZATION, header::CONTENT_TYPE] {
        if let Some(value) = parts.headers.get(&name) {
            upstream = upstream.header(name, value);
        }
    }
    if let Some(key) = parts.headers.get("idempotency-key") {
        upstream = upstream.header("idempotency-key", key);
    }
    match upstream.send().await {
        Ok(answer) => {
            let status = answer.status();
            let kind = answer.headers().get(header::CONTENT_TYPE).cloned();
            let bytes = answer.bytes().await.unwrap_or_default();
            let mut response = Response::new(Body::from(bytes));
            *response.status_mut() = status;
            if let Some(kind) = kind {
                response.headers_mut().insert(header::CONTENT_TYPE, kind);
            }
            response
        }
        Err(error) => (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    }
}

impl StripeDisputes {
    /// Starts on a free port of 127.0.0.1, in front of localstripe at `upstream`, answering
    /// requests made with `secret_key`.
    pub async fn start(upstream: &str, secret_key: &str) -> Self {
        // plain HTTP to localstripe; reqwest still wants a TLS provider chosen
        let _ = rustls::crypto::ring::default_provider().install_default();
        let books = Arc::new(Books {
            upstream: upstream.trim_end_matches('/').to_owned(),
            secret_key: secret_key.to_owned(),
            disputes: Mutex::new(HashMap::new()),
            http: reqwest::Client::new(),
        });
        let app = Router::new().route("/v1/disputes/{id}", get(dispute)).fallback(forward).with_state(books.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, books, task }
    }

    /// The address to use as Stripe's API base.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The fan's bank disputes `charge` (a Charge object as localstripe returns it): a new
    /// dispute for its whole amount, awaiting the merchant's response. Returns the dispute.
    pub fn open(&self, charge: &Value, reason: &str) -> Value {
        let id = random_id("dp");
        let dispute = json!({
            "id": id,
            "object": "dispute",
            "amount": charge["amount"],
            "balance_transactions": [],
            "charge": charge["id"],
            "created": now(),
            "currency": charge["currency"],
            "evidence_details": {"due_by": now() + 7 * 86_400, "has_evidence": false, "past_due": false, "submission_count": 0},
            "is_charge_refundable": false,
            "livemode": false,
            "metadata": {},
            "payment_intent": null,
            "reason": reason,
            "status": "needs_response",
        });
        self.books.disputes.lock().unwrap().insert(id, dispute.clone());
        dispute
    }

    /// The dispute is decided: `won` or `lost`. Returns it as it now stands.
    pub fn close(&self, id: &str, status: &str) -> Value {
        let mut disputes = self.books.disputes.lock().unwrap();
        let dispute = disputes.get_mut(id).expect("an open dispute");
        dispute["status"] = json!(status);
        dispute.clone()
    }

    /// The event Stripe sends about a dispute (`charge.dispute.created`, `…closed`), carrying
    /// the dispute as it stands.
    pub fn event(&self, id: &str, kind: &str) -> Value {
        let dispute = self.books.disputes.lock().unwrap().get(id).cloned().expect("a dispute");
        json!({
            "id": random_id("evt"),
            "object": "event",
            "api_version": "2024-06-20",
            "created": now(),
            "livemode": false,
            "pending_webhooks": 1,
            "type": kind,
            "data": {"object": dispute},
        })
    }
}
