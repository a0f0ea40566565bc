//! A stand-in for GP webpay that speaks its published protocols, for tests: the HTTP payment
//! page (`/pgw/order.do`: a signed `CREATE_ORDER` in, a signed answer back to the merchant's
//! return address) and the SOAP web service (`/pay-ws/v1/PaymentService`: repeat charges on a
//! registered card, payment status, refunds, revoking a registration).
//!
//! It checks what a merchant sends the way the gateway would — the digest over the documented
//! field order, verified with the merchant's public key; the SOAP envelope, namespaces,
//! wrapper names and field order of each operation; one use per message id and payment
//! number — keeps its own books of payments, registrations, charges and refunds, and signs
//! every answer (faults too) with the gateway's key. Tests tell it to decline a card, to ask
//! for the cardholder's authentication, or to sign with a key that is not the gateway's.
//!
//! Written from the public documentation and the WSDL's structure, independently of patron's
//! own client, so that a mistake in the client is not mirrored here.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use sha1::Sha1;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const PROC: &str = "http://gpe.cz/pay/pay-ws/proc/v1";
const TYPES: &str = "http://gpe.cz/pay/pay-ws/proc/v1/type";

/// The request fields of the HTTP `CREATE_ORDER`, in the documented digest order.
const HTTP_REQUEST: [&str; 18] = [
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

/// Each web-service operation: its request wrapper, the fields it allows in WSDL order (the
/// required ones marked), its answer wrapper and its fault element.
struct Spec {
    request: &'static str,
    fields: &'static [(&'static str, bool)],
    response: &'static str,
    fault: &'static str,
}

const STATUS_FIELDS: &[(&str, bool)] =
    &[("messageId", true), ("provider", true), ("merchantNumber", true), ("paymentNumber", true)];

fn spec(operation: &str) -> Option<Spec> {
    Some(match operation {
        "processRecurringPayment" => Spec {
            request: "recurringPaymentRequest",
            fields: &[
                ("messageId", true),
                ("provider", true),
                ("merchantNumber", true),
                ("paymentNumber", true),
                ("masterPaymentNumber", true),
                ("orderNumber", false),
                ("referenceNumber", false),
                ("amount", false),
                ("currencyCode", false),
                ("captureFlag", true),
            ],
            response: "recurringPaymentResponse",
            fault: "paymentServiceException",
        },
        "getPaymentStatus" => Spec {
            request: "paymentStatusRequest",
            fields: STATUS_FIELDS,
            response: "paymentStatusResponse",
            fault: "serviceException",
        },
        "processRefund" => Spec {
            request: "refundRequest",
            fields: &[
                ("messageId", true),
                ("provider", true),
                ("merchantNumber", true),
                ("paymentNumber", true),
                ("amount", true),
            ],
            response: "refundRequestResponse",
            fault: "serviceException",
        },
        "processMasterPaymentRevoke" => Spec {
            request: "masterPaymentStatusRequest",
            fields: STATUS_FIELDS,
            response: "masterPaymentStatusResponse",
            fault: "serviceException",
        },
        _ => return None,
    })
}

/// A new RSA key pair for tests: the private key as encrypted PKCS #8 PEM (with `password`),
/// the public key as PEM.
pub fn key_pair(password: &str) -> (String, String) {
    let mut rng = rand_core::OsRng;
    let private = rsa::RsaPrivateKey::new(&mut rng, 1024).expect("an RSA key");
    let public = rsa::RsaPublicKey::from(&private);
    (
        private.to_pkcs8_encrypted_pem(&mut rng, password.as_bytes(), LineEnding::LF).expect("PEM").to_string(),
        public.to_public_key_pem(LineEnding::LF).expect("PEM"),
    )
}

/// What the bank says to repeat charges on one registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardAnswer {
    /// Charges go through.
    Pay,
    /// Refused with these return codes (`(30, 1005)`: insufficient funds).
    Decline(u32, u32),
    /// The bank wants the cardholder: PRCODE 46, SRCODE 300, with an authentication link.
    Authenticate,
}

/// A payment in the fake's books.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// Its number (`ORDERNUMBER` / `paymentNumber`).
    pub number: String,
    /// The registration it was charged on, for repeat charges.
    pub master: Option<String>,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 numeric code.
    pub currency: String,
    /// The gateway's state: 7 captured, 6 declined, 11 refunded.
    pub state: u32,
    /// Refunded so far, in minor units.
    pub refunded: i64,
}

#[derive(Default)]
struct Books {
    payments: BTreeMap<String, Payment>,
    /// Registrations by master number: `OK` or `CM` (revoked by the merchant).
    masters: HashMap<String, &'static str>,
    answers: HashMap<String, CardAnswer>,
    next_http: Option<(u32, u32)>,
    message_ids: HashSet<(String, String)>,
    forged: bool,
    card: (String, String),
    calls: Vec<String>,
}

struct Fake {
    merchant_number: String,
    merchant_key: VerifyingKey<Sha1>,
    gateway_key: SigningKey<Sha1>,
    forger_key: SigningKey<Sha1>,
    books: Mutex<Books>,
}

/// A running fake gateway on 127.0.0.1; it stops when dropped.
pub struct FakeGpWebpay {
    base: String,
    fake: Arc<Fake>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeGpWebpay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn signing_key(pem: &str, password: &str) -> SigningKey<Sha1> {
    let private = rsa::RsaPrivateKey::from_pkcs8_encrypted_pem(pem, password.as_bytes()).expect("the private key");
    SigningKey::<Sha1>::new(private)
}

impl FakeGpWebpay {
    /// Starts the fake for a merchant: their number and public key (to check requests), and
    /// the gateway's private key with its password (to sign answers).
    pub async fn start(merchant_number: &str, merchant_public: &str, gateway_private: &str, password: &str) -> Self {
        let merchant = rsa::RsaPublicKey::from_public_key_pem(merchant_public).expect("the merchant's public key");
        let (forger_private, _) = key_pair("forger");
        let fake = Arc::new(Fake {
            merchant_number: merchant_number.to_owned(),
            merchant_key: VerifyingKey::<Sha1>::new(merchant),
            gateway_key: signing_key(gateway_private, password),
            forger_key: signing_key(&forger_private, "forger"),
            books: Mutex::new(Books { card: ("411111******1111".to_owned(), "3012".to_owned()), ..Books::default() }),
        });
        let app = axum::Router::new()
            .route("/pgw/order.do", axum::routing::get(http_order))
            .route("/pay-ws/v1/PaymentService", axum::routing::post(web_service))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, fake, task }
    }

    /// The payment page's address (`PATRON_GPWEBPAY_URL`).
    pub fn payment_url(&self) -> String {
        format!("{}/pgw/order.do", self.base)
    }

    /// The web service's address (`PATRON_GPWEBPAY_WS_URL`).
    pub fn ws_url(&self) -> String {
        format!("{}/pay-ws/v1/PaymentService", self.base)
    }

    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.fake.books.lock().expect("the books")
    }

    /// What the bank answers to repeat charges on the registration `master`.
    pub fn answer_charges(&self, master: &str, answer: CardAnswer) {
        self.books().answers.insert(master.to_owned(), answer);
    }

    /// The next payment on the payment page is declined with these codes.
    pub fn decline_next_payment(&self, primary: u32, secondary: u32) {
        self.books().next_http = Some((primary, secondary));
    }

    /// The card people enter on the payment page from now on: its masked number and expiry
    /// (`YYMM`).
    pub fn use_card(&self, panpattern: &str, expiry: &str) {
        self.books().card = (panpattern.to_owned(), expiry.to_owned());
    }

    /// Signs answers with a key that is not the gateway's (a forger's), or stops doing so.
    pub fn forge(&self, on: bool) {
        self.books().forged = on;
    }

    /// The payments in the books: first payments and repeat charges.
    pub fn payments(&self) -> Vec<Payment> {
        self.books().payments.values().cloned().collect()
    }

    /// The repeat charges made on a registration, in order of their numbers' arrival.
    pub fn charges_on(&self, master: &str) -> Vec<Payment> {
        let books = self.books();
        let mut charges: Vec<Payment> =
            books.payments.values().filter(|p| p.master.as_deref() == Some(master)).cloned().collect();
        charges.sort_by_key(|p| books.calls.iter().position(|c| c.ends_with(&format!(":{}", p.number))));
        charges
    }

    /// Whether a registration was revoked by the merchant.
    pub fn revoked(&self, master: &str) -> bool {
        self.books().masters.get(master) == Some(&"CM")
    }

    /// The web-service operations called so far, as `operation:paymentNumber`.
    pub fn calls(&self) -> Vec<String> {
        self.books().calls.clone()
    }
}

// ---- the HTTP payment page ----

async fn http_order(State(fake): State<Arc<Fake>>, Query(request): Query<BTreeMap<String, String>>) -> Response {
    let field = |name: &str| request.get(name).cloned().unwrap_or_default();
    let text: Vec<&str> = HTTP_REQUEST.iter().filter_map(|name| request.get(*name).map(String::as_str)).collect();
    if !fake.verify(&text.join("|"), &field("DIGEST")) || field("MERCHANTNUMBER") != fake.merchant_number {
        return (StatusCode::BAD_REQUEST, "the request's DIGEST does not verify").into_response();
    }
    let (Ok(amount), number) = (field("AMOUNT").parse::<i64>(), field("ORDERNUMBER")) else {
        return (StatusCode::BAD_REQUEST, "AMOUNT").into_response();
    };
    let mut books = fake.books.lock().expect("the books");
    if books.payments.contains_key(&number) {
        return (StatusCode::BAD_REQUEST, "duplicate ORDERNUMBER (PRCODE 14)").into_response();
    }
    let (primary, secondary) = books.next_http.take().unwrap_or((0, 0));
    let paid = primary == 0;
    let payment = Payment {
        number: number.clone(),
        master: None,
        amount,
        currency: field("CURRENCY"),
        state: if paid { 7 } else { 6 },
        refunded: 0,
    };
    books.payments.insert(number.clone(), payment);
    if paid && field("USERPARAM1") == "R" {
        books.masters.insert(number.clone(), "OK");
    }
    let (panpattern, expiry) = books.card.clone();
    let forged = books.forged;
    drop(books);
    let mut answer: Vec<(&str, String)> = vec![
        ("OPERATION", "CREATE_ORDER".to_owned()),
        ("ORDERNUMBER", number),
        ("MD", field("MD")),
        ("PRCODE", primary.to_string()),
        ("SRCODE", secondary.to_string()),
        ("RESULTTEXT", if paid { "OK".to_owned() } else { "Declined".to_owned() }),
    ];
    if paid {
        answer.push(("EXPIRY", expiry));
        answer.push(("PANPATTERN", panpattern));
    }
    // the answer's digest follows the documented order of its fields
    let order = ["OPERATION", "ORDERNUMBER", "MD", "PRCODE", "SRCODE", "RESULTTEXT", "EXPIRY", "PANPATTERN"];
    let text: Vec<&str> =
        order.iter().filter_map(|name| answer.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())).collect();
    let text = text.join("|");
    let digest = fake.sign(&text, forged);
    let digest1 = fake.sign(&format!("{text}|{}", fake.merchant_number), forged);
    answer.push(("DIGEST", digest));
    answer.push(("DIGEST1", digest1));
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(answer).finish();
    Redirect::to(&format!("{}?{query}", field("URL"))).into_response()
}

// ---- the web service ----

/// A request as read from its envelope: the operation, its wrapper and the wrapper's fields.
struct Request {
    operation: String,
    wrapper: String,
    fields: Vec<(String, String)>,
}

fn name_of(resolved: &ResolveResult, local: &[u8]) -> (String, String) {
    let namespace = match resolved {
        ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
        _ => String::new(),
    };
    (namespace, String::from_utf8_lossy(local).into_owned())
}

/// Reads `Envelope/Body/{operation}/{wrapper}/{field}*`, checking every namespace.
fn read_request(body: &str) -> Result<Request, String> {
    let mut reader = NsReader::from_str(body);
    let mut path: Vec<(String, String)> = Vec::new();
    let mut request = Request { operation: String::new(), wrapper: String::new(), fields: Vec::new() };
    let mut text = String::new();
    loop {
        let (resolved, event) = reader.read_resolved_event().map_err(|e| e.to_string())?;
        match event {
            Event::Start(start) => {
                let name = name_of(&resolved, start.local_name().as_ref());
                let expected = match path.len() {
                    0 => (SOAP, Some("Envelope")),
                    1 => (SOAP, None),
                    2 | 3 => (PROC, None),
                    4 => (TYPES, None),
                    _ => return Err("nested deeper than any operation's fields".to_owned()),
                };
                if name.0 != expected.0 || expected.1.is_some_and(|n| n != name.1) {
                    return Err(format!("{{{}}}{} is not expected here", name.0, name.1));
                }
                match path.len() {
                    2 => request.operation = name.1.clone(),
                    3 => request.wrapper = name.1.clone(),
                    _ => {}
                }
                text.clear();
                path.push(name);
            }
            Event::Empty(start) => {
                let name = name_of(&resolved, start.local_name().as_ref());
                if path.len() == 4 {
                    return Err(format!("the empty field {} would count in the digest as ''", name.1));
                }
            }
            Event::Text(content) => text.push_str(&content.xml10_content().map_err(|e| e.to_string())?),
            Event::GeneralRef(reference) => match reference.resolve_char_ref().map_err(|e| e.to_string())? {
                Some(character) => text.push(character),
                None => text.push_str(
                    &quick_xml::escape::unescape(&format!("&{};", reference.decode().map_err(|e| e.to_string())?))
                        .map_err(|e| e.to_string())?,
                ),
            },
            Event::End(_) => {
                let closed = path.pop().ok_or("unbalanced")?;
                if path.len() == 4 {
                    request.fields.push((closed.1, std::mem::take(&mut text)));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(request)
}

struct Answer {
    status: StatusCode,
    body: String,
}

impl Fake {
    fn verify(&self, text: &str, signature: &str) -> bool {
        let Ok(bytes) = STANDARD.decode(signature.trim()) else { return false };
        let Ok(signature) = Signature::try_from(bytes.as_slice()) else { return false };
        self.merchant_key.verify(text.as_bytes(), &signature).is_ok()
    }

    fn sign(&self, text: &str, forged: bool) -> String {
        let key = if forged { &self.forger_key } else { &self.gateway_key };
        STANDARD.encode(key.sign(text.as_bytes()).to_bytes())
    }

    fn answer(&self, operation: &str, spec: &Spec, fields: &[(&str, String)], forged: bool) -> Answer {
        let digest: Vec<&str> = fields.iter().map(|(_, v)| v.as_str()).collect();
        let signature = self.sign(&digest.join("|"), forged);
        let inner: String = fields
            .iter()
            .map(|(k, v)| format!("<ns3:{k}>{}</ns3:{k}>", quick_xml::escape::escape(v.as_str())))
            .collect();
        Answer {
            status: StatusCode::OK,
            body: format!(
                "<soapenv:Envelope xmlns:soapenv=\"{SOAP}\"><soapenv:Body><ns4:{operation}Response xmlns:ns4=\"{PROC}\" \
                 xmlns:ns3=\"{TYPES}\" xmlns=\"http://gpe.cz/gpwebpay/additionalInfo/response\"><ns4:{wrapper}>{inner}\
                 <ns3:signature>{signature}</ns3:signature></ns4:{wrapper}></ns4:{operation}Response></soapenv:Body>\
                 </soapenv:Envelope>",
                wrapper = spec.response
            ),
        }
    }

    fn fault(&self, spec: &Spec, message_id: &str, codes: (u32, u32), link: Option<&str>, forged: bool) -> Answer {
        let mut digest = format!("{message_id}|{}|{}", codes.0, codes.1);
        if let Some(link) = link {
            digest.push('|');
            digest.push_str(link);
        }
        let signature = self.sign(&digest, forged);
        let link =
            link.map(|l| format!("<axis2ns7:authenticationLink>{l}</axis2ns7:authenticationLink>")).unwrap_or_default();
        Answer {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            body: format!(
                "<soapenv:Envelope xmlns:soapenv=\"{SOAP}\"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server\
                 </faultcode><faultstring>refused</faultstring><detail><axis2ns6:{fault} xmlns:axis2ns6=\"{PROC}\" \
                 xmlns:axis2ns7=\"{TYPES}\"><axis2ns7:messageId>{message_id}</axis2ns7:messageId><axis2ns7:primaryReturnCode>\
                 {}</axis2ns7:primaryReturnCode><axis2ns7:secondaryReturnCode>{}</axis2ns7:secondaryReturnCode>\
                 <axis2ns7:signature>{signature}</axis2ns7:signature>{link}</axis2ns6:{fault}></detail></soapenv:Fault>\
                 </soapenv:Body></soapenv:Envelope>",
                codes.0,
                codes.1,
                fault = spec.fault
            ),
        }
    }
}

/// The fields of a request checked against the operation's WSDL order: known names, in
/// order, each at most once, the required ones present.
fn check_order(spec: &Spec, fields: &[(String, String)]) -> Result<(), String> {
    let mut position = 0;
    for (name, _) in fields.iter().filter(|(name, _)| name != "signature") {
        let found = spec.fields[position..].iter().position(|(known, _)| known == name);
        let Some(offset) = found else { return Err(format!("{name} is unknown or out of order")) };
        if spec.fields[position..position + offset].iter().any(|(_, required)| *required) {
            return Err(format!("a required field before {name} is missing"));
        }
        position += offset + 1;
    }
    if spec.fields[position..].iter().any(|(_, required)| *required) {
        return Err("a required field is missing".to_owned());
    }
    if fields.last().map(|(name, _)| name.as_str()) != Some("signature") {
        return Err("the signature must come last".to_owned());
    }
    Ok(())
}

async fn web_service(State(fake): State<Arc<Fake>>, body: String) -> Response {
    let answer = serve(&fake, &body);
    (answer.status, [("content-type", "text/xml; charset=UTF-8")], answer.body).into_response()
}

fn serve(fake: &Fake, body: &str) -> Answer {
    let bad = |why: String| Answer { status: StatusCode::BAD_REQUEST, body: why };
    let request = match read_request(body) {
        Ok(request) => request,
        Err(why) => return bad(format!("invalid message format (PRCODE 7): {why}")),
    };
    let Some(spec) = spec(&request.operation) else { return bad(format!("unknown operation {}", request.operation)) };
    if request.wrapper != spec.request {
        return bad(format!("{} takes {}, not {}", request.operation, spec.request, request.wrapper));
    }
    if let Err(why) = check_order(&spec, &request.fields) {
        return bad(format!("invalid message format (PRCODE 7): {why}"));
    }
    let value = |name: &str| request.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let message_id = value("messageId");
    let signed: Vec<&str> = request.fields.iter().filter(|(k, _)| k != "signature").map(|(_, v)| v.as_str()).collect();
    let mut books = fake.books.lock().expect("the books");
    let forged = books.forged;
    if !fake.verify(&signed.join("|"), &value("signature")) || value("merchantNumber") != fake.merchant_number {
        return fake.fault(&spec, &message_id, (31, 0), None, forged);
    }
    if !books.message_ids.insert((request.operation.clone(), message_id.clone())) {
        return fake.fault(&spec, &message_id, (80, 0), None, forged);
    }
    let number = value("paymentNumber");
    books.calls.push(format!("{}:{number}", request.operation));
    let outcome = match request.operation.as_str() {
        "processRecurringPayment" => {
            recurring(&mut books, &number, &value("masterPaymentNumber"), &value("amount"), &value("currencyCode"))
        }
        "getPaymentStatus" => match books.payments.get(&number) {
            Some(payment) => Ok(vec![("state", payment.state.to_string())]),
            None => Err((15, 1, None)),
        },
        "processRefund" => refund(&mut books, &number, &value("amount")),
        _ => match books.masters.get_mut(&number) {
            Some(status) => {
                *status = "CM";
                Ok(vec![("status", "CM".to_owned())])
            }
            None => Err((15, 1, None)),
        },
    };
    drop(books);
    match outcome {
        Ok(fields) => {
            let mut all = vec![("messageId", message_id)];
            all.extend(fields);
            fake.answer(&request.operation, &spec, &all, forged)
        }
        Err((primary, secondary, link)) => {
            fake.fault(&spec, &message_id, (primary, secondary), link.as_deref(), forged)
        }
    }
}

type Outcome = Result<Vec<(&'static str, String)>, (u32, u32, Option<String>)>;

fn recurring(books: &mut Books, number: &str, master: &str, amount: &str, currency: &str) -> Outcome {
    match books.masters.get(master) {
        None => return Err((15, 89, None)),
        Some(&"CM") => return Err((34, 0, None)),
        Some(_) => {}
    }
    if books.payments.contains_key(number) {
        return Err((14, 1, None));
    }
    let registration = books.payments.get(master).cloned().ok_or((15, 89, None))?;
    let answer = books.answers.get(master).copied().unwrap_or(CardAnswer::Pay);
    let amount = if amount.is_empty() { registration.amount } else { amount.parse().map_err(|_| (3, 6, None))? };
    let currency = if currency.is_empty() { registration.currency } else { currency.to_owned() };
    let state = if answer == CardAnswer::Pay { 7 } else { 6 };
    let payment =
        Payment { number: number.to_owned(), master: Some(master.to_owned()), amount, currency, state, refunded: 0 };
    books.payments.insert(number.to_owned(), payment);
    match answer {
        CardAnswer::Pay => Ok(vec![("authCode", "123456".to_owned())]),
        CardAnswer::Decline(primary, secondary) => Err((primary, secondary, None)),
        CardAnswer::Authenticate => Err((46, 300, Some(format!("https://gateway.invalid/pgw/pay/{number}")))),
    }
}

fn refund(books: &mut Books, number: &str, amount: &str) -> Outcome {
    let Some(payment) = books.payments.get_mut(number) else { return Err((15, 1, None)) };
    let amount: i64 = amount.parse().map_err(|_| (3, 6, None))?;
    if !matches!(payment.state, 7 | 8 | 11) {
        return Err((20, 1, None));
    }
    if payment.refunded + amount > payment.amount {
        return Err((18, 0, None));
    }
    payment.refunded += amount;
    payment.state = 11;
    Ok(vec![("state", "11".to_owned()), ("status", "REFUNDED".to_owned())])
}
