//! A stand-in for VIES, the EU's VAT ID register, speaking its REST API: `POST
//! /check-vat-number` with `{"countryCode": "DE", "vatNumber": "123456789"}` answers
//! `{"countryCode", "vatNumber", "requestDate", "valid", "name", "address", …}` from its own
//! register. A request without both fields, or with a country VIES does not serve, is refused
//! with the error list VIES sends (`INVALID_INPUT`). A test can make a member state's system
//! "down" (`MS_UNAVAILABLE`, as VIES reports it) or slow (the answer comes after a delay, for
//! the client's timeout).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Register {
    /// Registered IDs (prefix and number, `DE123456789`) and the business's name.
    businesses: BTreeMap<String, String>,
    /// Member states whose system is down.
    down: BTreeSet<String>,
    /// How long answers take.
    delay: Duration,
    /// Every ID asked about, in order.
    asked: Vec<String>,
}

/// The running fake on 127.0.0.1; stopped when dropped.
pub struct FakeVies {
    base: String,
    register: Arc<Mutex<Register>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeVies {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const PREFIXES: [&str; 28] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
];

fn error_list(status: StatusCode, error: &str) -> Response {
    (status, axum::Json(json!({"actionSucceed": false, "errorWrappers": [{"error": error}]}))).into_response()
}

async fn check(State(register): State<Arc<Mutex<Register>>>, body: String) -> Response {
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return error_list(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    };
    let field = |name: &str| request.get(name).and_then(Value::as_str).map(str::to_owned);
    let (Some(country), Some(number)) = (field("countryCode"), field("vatNumber")) else {
        return error_list(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    };
    if !PREFIXES.contains(&country.as_str()) || number.is_empty() {
        return error_list(StatusCode::BAD_REQUEST, "INVALID_INPUT");
    }
    let (delay, down, name) = {
        let mut register = register.lock().expect("the register");
        register.asked.push(format!("{country}{number}"));
        let name = register.businesses.get(&format!("{country}{number}")).cloned();
        (register.delay, register.down.contains(&country), name)
    };
    tokio::time::sleep(delay).await;
    if down {
        return error_list(StatusCode::OK, "MS_UNAVAILABLE");
    }
    let day = time::OffsetDateTime::now_utc().date();
    axum::Json(json!({
        "countryCode": country,
        "vatNumber": number,
        "requestDate": format!("{day}T00:00:00.000Z"),
        "valid": name.is_some(),
        "requestIdentifier": "",
        "name": name.clone().unwrap_or_else(|| "---".to_owned()),
        "address": if name.is_some() { "Musterstraße 1\n10115 Berlin" } else { "---" },
        "traderName": "---",
        "traderStreet": "---",
        "traderPostalCode": "---",
        "traderCity": "---",
        "traderCompanyType": "---",
        "traderNameMatch": "NOT_PROCESSED",
        "traderStreetMatch": "NOT_PROCESSED",
        "traderPostalCodeMatch": "NOT_PROCESSED",
        "traderCityMatch": "NOT_PROCESSED",
        "traderCompanyTypeMatch": "NOT_PROCESSED",
    }))
    .into_response()
}

impl FakeVies {
    /// Starts the fake with an empty register.
    pub async fn start() -> Self {
        let register = Arc::new(Mutex::new(Register::default()));
        let app =
            axum::Router::new().route("/check-vat-number", axum::routing::post(check)).with_state(register.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, register, task }
    }

    /// The API's address (`PATRON_VIES_URL`).
    pub fn url(&self) -> String {
        self.base.clone()
    }

    fn register(&self) -> std::sync::MutexGuard<'_, Register> {
        self.register.lock().expect("the register")
    }

    /// Registers a business's VAT ID (compact, with its prefix: `DE123456789`).
    pub fn register_business(&self, vat_id: &str, name: &str) {
        self.register().businesses.insert(vat_id.to_owned(), name.to_owned());
    }

    /// Makes a member state's system (by VAT prefix) down, or up again.
    pub fn set_down(&self, prefix: &str, down: bool) {
        let mut register = self.register();
        if down {
            register.down.insert(prefix.to_owned());
        } else {
            register.down.remove(prefix);
        }
    }

    /// Makes every answer take `delay`.
    pub fn set_delay(&self, delay: Duration) {
        self.register().delay = delay;
    }

    /// The IDs asked about, in order.
    pub fn asked(&self) -> Vec<String> {
        self.register().asked.clone()
    }
}
