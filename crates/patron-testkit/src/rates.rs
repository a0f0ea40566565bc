//! Fixed exchange rates served the way the central banks publish them: the Czech National
//! Bank's `daily.txt?date=DD.MM.YYYY` (English format, the requested day in its first line)
//! and the European Central Bank's `eurofxref-hist-90d.xml` (a `<Cube time>` for each of the
//! last 90 days, weekends included, so any recent day has its rate). The rates are the same
//! every day unless a test sets a day of its own.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Table {
    /// CZK for one unit of the currency, as the CNB prints it (`25.125`).
    cnb: BTreeMap<String, String>,
    /// Units of the currency for one euro, as the ECB prints it.
    ecb: BTreeMap<String, String>,
    /// ECB rates for particular days (`2026-12-31`), over the default ones.
    ecb_days: BTreeMap<String, BTreeMap<String, String>>,
    /// How many times each file was read.
    reads: BTreeMap<&'static str, usize>,
}

/// The running server on 127.0.0.1; stopped when dropped.
pub struct FakeRates {
    base: String,
    table: Arc<Mutex<Table>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeRates {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn month_name(month: time::Month) -> &'static str {
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        [usize::from(u8::from(month)) - 1]
}

async fn cnb(State(table): State<Arc<Mutex<Table>>>, Query(query): Query<HashMap<String, String>>) -> Response {
    let Some(date) = query.get("date") else {
        return (StatusCode::BAD_REQUEST, "date=DD.MM.YYYY is required").into_response();
    };
    let parts: Vec<&str> = date.split('.').collect();
    let day = match parts.as_slice() {
        [d, m, y] => match (d.parse::<u8>(), m.parse::<u8>(), y.parse::<i32>()) {
            (Ok(d), Ok(m), Ok(y)) => {
                time::Month::try_from(m).ok().and_then(|m| time::Date::from_calendar_date(y, m, d).ok())
            }
            _ => None,
        },
        _ => None,
    };
    let Some(day) = day else {
        return (StatusCode::BAD_REQUEST, "date=DD.MM.YYYY is required").into_response();
    };
    let mut table = table.lock().expect("the table");
    *table.reads.entry("cnb").or_default() += 1;
    let mut text =
        format!("{:02} {} {} #1\nCountry|Currency|Amount|Code|Rate\n", day.day(), month_name(day.month()), day.year());
    for (code, rate) in &table.cnb {
        text.push_str(&format!("Somewhere|money|1|{code}|{rate}\n"));
    }
    text.into_response()
}

async fn ecb(State(table): State<Arc<Mutex<Table>>>) -> Response {
    let mut table = table.lock().expect("the table");
    *table.reads.entry("ecb").or_default() += 1;
    let today = time::OffsetDateTime::now_utc().date();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" \
         xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n<gesmes:subject>Reference rates</gesmes:subject>\n<Cube>\n",
    );
    let mut days: Vec<String> =
        (0..90).filter_map(|back| today.checked_sub(time::Duration::days(back))).map(|d| d.to_string()).collect();
    days.extend(table.ecb_days.keys().cloned());
    days.sort_unstable_by(|a, b| b.cmp(a));
    days.dedup();
    for day in days {
        xml.push_str(&format!("<Cube time=\"{day}\">"));
        let rates = table.ecb_days.get(&day).unwrap_or(&table.ecb);
        for (code, rate) in rates {
            xml.push_str(&format!("<Cube currency=\"{code}\" rate=\"{rate}\"/>"));
        }
        xml.push_str("</Cube>\n");
    }
    xml.push_str("</Cube>\n</gesmes:Envelope>\n");
    ([(axum::http::header::CONTENT_TYPE, "text/xml")], xml).into_response()
}

impl FakeRates {
    /// Starts the server with `CZK` at 25.125 per euro in both banks' tables (and the CNB's
    /// euro, so EUR documents get their CZK figure).
    pub async fn start() -> Self {
        let mut table = Table::default();
        table.cnb.insert("EUR".to_owned(), "25.125".to_owned());
        table.ecb.insert("CZK".to_owned(), "25.125".to_owned());
        let table = Arc::new(Mutex::new(table));
        let app = axum::Router::new()
            .route("/cnb/daily.txt", axum::routing::get(cnb))
            .route("/ecb/eurofxref-hist-90d.xml", axum::routing::get(ecb))
            .with_state(table.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, table, task }
    }

    /// `PATRON_CZK_RATES_URL`.
    pub fn czk_url(&self) -> String {
        format!("{}/cnb/daily.txt", self.base)
    }

    /// `PATRON_EUR_RATES_URL`.
    pub fn eur_url(&self) -> String {
        format!("{}/ecb/eurofxref-hist-90d.xml", self.base)
    }

    /// Sets the ECB's rates of one day (`2026-12-31`).
    pub fn set_ecb_day(&self, day: &str, rates: &[(&str, &str)]) {
        let rates = rates.iter().map(|(c, r)| ((*c).to_owned(), (*r).to_owned())).collect();
        self.table.lock().expect("the table").ecb_days.insert(day.to_owned(), rates);
    }

    /// How many times a file was read (`cnb`, `ecb`).
    pub fn reads(&self, file: &str) -> usize {
        self.table.lock().expect("the table").reads.get(file).copied().unwrap_or(0)
    }
}
