//! Stripe against localstripe, a stateful fake of Stripe's API that `scripts/test` starts: the
//! payment page's steps (saving the card as Stripe.js does, then patron charging it), the
//! webhook, off-session renewals, a declining card and a new one, a bank that wants the fan,
//! a refund, repeated and reordered deliveries of Stripe's events.

use crate::both_backends;
use crate::helpers::*;
use patron_domain::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const PUBLISHABLE: &str = "pk_test_patron";
const SECRET: &str = "sk_test_patron";
const VISA: &str = "4242424242424242";
/// Attaches, then every charge on it is declined.
const DECLINES: &str = "4000000000000341";
/// The bank wants its holder to authenticate.
const AUTHENTICATES: &str = "4000002500003155";

fn base() -> String {
    std::env::var("PATRON_TEST_STRIPE_API_BASE").unwrap_or_else(|_| {
        panic!("PATRON_TEST_STRIPE_API_BASE is not set: run the suite with scripts/test, which starts localstripe")
    })
}

struct Shop {
    app: TestApp,
    _database: TestDatabase,
    webhook_secret: String,
    slug: String,
    tier: String,
    owner: Fan,
}

/// patron with Stripe (localstripe) as its only provider; with `webhook`, localstripe delivers
/// its events to patron.
async fn shop(backend: TestBackend, webhook: bool) -> Shop {
    shop_at(backend, webhook, &base()).await
}

/// The same, with patron calling Stripe's API at `api`.
async fn shop_at(backend: TestBackend, webhook: bool, api: &str) -> Shop {
    let webhook_secret = format!("whsec_{}", uuid::Uuid::new_v4().simple());
    let js = format!("{}/js.stripe.com/v3/", base());
    let settings = [
        ("PATRON_PAYMENT_SANDBOX", "false"),
        ("PATRON_STRIPE_SECRET_KEY", SECRET),
        ("PATRON_STRIPE_PUBLISHABLE_KEY", PUBLISHABLE),
        ("PATRON_STRIPE_WEBHOOK_SECRET", webhook_secret.as_str()),
        ("PATRON_STRIPE_API_BASE", api),
        ("PATRON_STRIPE_JS_URL", js.as_str()),
    ];
    let (app, database) = spawn_app_with(backend, &settings).await;
    if webhook {
        let events = ["payment_intent.succeeded", "payment_intent.payment_failed"];
        let mut form: Vec<(&str, String)> =
            vec![("url", app.url("/payments/webhooks/stripe")), ("secret", webhook_secret.clone())];
        form.extend(events.iter().map(|e| ("events[]", (*e).to_owned())));
        let registered = reqwest::Client::new()
            .post(format!("{}/_config/webhooks/{}", base(), uuid::Uuid::new_v4().simple()))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(registered.status().is_success());
    }
    let owner = app.new_user("owner").await;
    let slug = app.create_creator(&owner, "Steaks").await;
    let tier = app.create_tier(&owner, &slug, "Na steaky", 9900).await;
    Shop { app, _database: database, webhook_secret, slug, tier, owner }
}

/// A call to localstripe with the secret key.
async fn stripe(method: Method, path: &str, form: &[(&str, &str)]) -> Value {
    let request = reqwest::Client::new().request(method, format!("{}{path}", base())).basic_auth(SECRET, Some(""));
    let response = request.form(form).send().await.unwrap();
    response.json().await.unwrap()
}

/// What Stripe.js's `confirmCardSetup` does with the card typed into the card field.
async fn save_card(client_secret: &str, number: &str) -> Value {
    let setup = client_secret.split("_secret_").next().unwrap();
    let body = json!({
        "key": PUBLISHABLE,
        "client_secret": client_secret,
        "payment_method_data": {"type": "card", "card": {"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"}},
    });
    let response = reqwest::Client::new()
        .post(format!("{}/v1/setup_intents/{setup}/confirm", base()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let mut saved: Value = response.json().await.unwrap();
    if saved["status"] == "requires_action" {
        // the bank's check when the card is saved, which Stripe.js shows and the fan completes
        let again = json!({"key": PUBLISHABLE, "client_secret": client_secret});
        let url = format!("{}/v1/setup_intents/{setup}/confirm", base());
        saved = reqwest::Client::new().post(url).json(&again).send().await.unwrap().json().await.unwrap();
    }
    assert_eq!(saved["status"], "succeeded", "{saved}");
    saved
}

/// What Stripe.js's `confirmCardPayment` does when the fan completes their bank's check.
async fn authenticate(client_secret: &str) {
    let intent = client_secret.split("_secret_").next().unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/v1/payment_intents/{intent}/_authenticate?success=true", base()))
        .json(&json!({"key": PUBLISHABLE, "client_secret": client_secret}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap_or_default());
}

impl Shop {
    /// Starts a checkout; returns its id and the SetupIntent's client secret for the card field.
    async fn checkout(&self, fan: &Fan) -> (String, String) {
        let (status, body) = self
            .app
            .call(
                Method::POST,
                &format!("/api/v1/creators/{}/checkouts", self.slug),
                Some(&fan.token),
                Some(json!({"tier_id": self.tier})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_str().unwrap().to_owned();
        assert!(body["redirect_url"].as_str().unwrap().ends_with(&format!("/payments/stripe/{id}")), "{body}");
        let (status, setup) =
            self.app.call(Method::GET, &format!("/api/v1/checkouts/{id}/stripe"), Some(&fan.token), None).await;
        assert_eq!(status, 200, "{setup}");
        assert_eq!(setup["publishable_key"], PUBLISHABLE);
        (id, setup["client_secret"].as_str().unwrap().to_owned())
    }

    async fn pay(&self, fan: &Fan, checkout: &str) -> Value {
        let (status, step) = self
            .app
            .call(Method::POST, &format!("/api/v1/checkouts/{checkout}/stripe/pay"), Some(&fan.token), None)
            .await;
        assert_eq!(status, 200, "{step}");
        step
    }

    async fn membership(&self, fan: &Fan) -> Value {
        let (_, list) = self.app.call(Method::GET, "/api/v1/me/memberships", Some(&fan.token), None).await;
        list["memberships"][0].clone()
    }

    /// Changes a membership's card as the account page does.
    async fn change_card(&self, fan: &Fan, membership: &str, number: &str) {
        let (status, setup) = self
            .app
            .call(Method::POST, &format!("/api/v1/me/memberships/{membership}/card/setup"), Some(&fan.token), None)
            .await;
        assert_eq!(status, 200, "{setup}");
        let saved = save_card(setup["client_secret"].as_str().unwrap(), number).await;
        let (status, body) = self
            .app
            .call(
                Method::POST,
                &format!("/api/v1/me/memberships/{membership}/card"),
                Some(&fan.token),
                Some(json!({"setup_intent": saved["id"]})),
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }

    async fn renew_at(&self, now: Timestamp) -> patron_payments::RenewalSummary {
        self.app.state.app.payments.renew_due(&self.app.state.app.db, now).await.unwrap()
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(self.app.state.app.db.pool()).await.unwrap()
    }

    /// Delivers an event signed with the endpoint's secret, as Stripe does.
    async fn deliver(&self, event: &Value) -> u16 {
        let body = serde_json::to_vec(event).unwrap();
        let at = Timestamp::now().as_micros() / 1_000_000;
        let mac = {
            use hmac::{Hmac, Mac};
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(self.webhook_secret.as_bytes()).unwrap();
            mac.update(format!("{at}.").as_bytes());
            mac.update(&body);
            mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        let response = reqwest::Client::new()
            .post(self.app.url("/payments/webhooks/stripe"))
            .header("content-type", "application/json")
            .header("stripe-signature", format!("t={at},v1={mac}"))
            .body(body)
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    }
}

fn at(value: &Value) -> Timestamp {
    Timestamp::parse_rfc3339(value.as_str().expect("a time")).expect("RFC 3339")
}

/// Waits until `check` holds (webhooks arrive about a second after the call that caused them).
async fn until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

/// The PaymentIntents of a customer at localstripe (it cannot filter them itself).
async fn intents_of(customer: &str) -> Vec<Value> {
    let list = stripe(Method::GET, "/v1/payment_intents?limit=100", &[]).await;
    list["data"].as_array().unwrap().iter().filter(|pi| pi["customer"] == customer).cloned().collect()
}

both_backends! {
    async fn a_fan_joins_renews_off_session_fails_changes_the_card_recovers_and_is_refunded(backend: TestBackend) {
        let shop = shop(backend, true).await;
        let fan = shop.app.new_user("fan").await;
        let (checkout, secret) = shop.checkout(&fan).await;
        save_card(&secret, VISA).await;
        let step = shop.pay(&fan, &checkout).await;
        assert_eq!(step["status"], "paid", "{step}");
        assert_eq!(step["next"], format!("/{}?payment=paid", shop.slug));
        let joined = shop.membership(&fan).await;
        assert_eq!((joined["status"].as_str(), joined["provider"].as_str()), (Some("active"), Some("stripe")));
        assert_eq!(joined["card"]["last4"], "4242");
        let customer: String = sqlx::query_scalar("SELECT customer_id FROM provider_customers")
            .fetch_one(shop.app.state.app.db.pool())
            .await
            .unwrap();
        // localstripe's webhook for the first payment comes a moment later and changes nothing
        until("the first event is handled", || async { shop.count("SELECT COUNT(*) FROM provider_events").await >= 1 }).await;
        assert_eq!(shop.count("SELECT COUNT(*) FROM payments").await, 1);

        // three renewals: off-session charges visible at Stripe
        for n in 1..=3 {
            let due = at(&shop.membership(&fan).await["current_period_end"]);
            let summary = shop.renew_at(due.plus(Duration::from_secs(60))).await;
            assert_eq!(summary.renewed, 1, "renewal {n}: {summary:?}");
        }
        let charged: Vec<Value> = intents_of(&customer).await.into_iter().filter(|pi| pi["status"] == "succeeded").collect();
        assert_eq!(charged.len(), 4, "the first payment and three renewals");
        assert!(charged.iter().filter(|pi| pi["metadata"]["patron_charge"].is_string()).all(|pi| pi["amount"] == 9900));

        // the fan's card starts declining: past due, with a retry
        let membership_id = joined["id"].as_str().unwrap().to_owned();
        shop.change_card(&fan, &membership_id, DECLINES).await;
        let due = at(&shop.membership(&fan).await["current_period_end"]);
        let summary = shop.renew_at(due.plus(Duration::from_secs(60))).await;
        assert_eq!(summary.failed, 1, "{summary:?}");
        let past_due = shop.membership(&fan).await;
        assert_eq!(past_due["status"], "past_due");

        // the fan changes the card; the next retry succeeds and the membership recovers
        shop.change_card(&fan, &membership_id, VISA).await;
        assert_eq!(shop.membership(&fan).await["card"]["last4"], "4242");
        let summary = shop.renew_at(at(&past_due["next_charge_at"]).plus(Duration::from_secs(60))).await;
        assert_eq!(summary.renewed, 1, "{summary:?}");
        let recovered = shop.membership(&fan).await;
        assert_eq!(recovered["status"], "active");
        let owner_token = shop.owner.token.clone();
        let (_, history) = shop.app.call(Method::GET, &format!("/api/v1/creators/{}/dashboard", shop.slug), Some(&owner_token), None).await;
        assert_eq!(history["monthly_revenue"][0]["amount"], 9900);

        // an admin refunds the last payment: it reaches Stripe, once, and the membership ends
        let admin = shop.app.new_user("admin").await;
        let email = patron_domain::account::Email::parse(&admin.email).unwrap();
        patron_store::users::set_platform_admin(shop.app.state.app.db.pool(), &email, true).await.unwrap();
        let (_, list) = shop.app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        let last = list["payments"].as_array().unwrap().iter().find(|p| p["status"] == "succeeded").unwrap().clone();
        let path = format!("/api/v1/admin/payments/{}/refund", last["id"].as_str().unwrap());
        let (status, _) = shop.app.call(Method::POST, &path, Some(&admin.token), None).await;
        assert_eq!(status, 200);
        let (status, _) = shop.app.call(Method::POST, &path, Some(&admin.token), None).await;
        assert_eq!(status, 409, "once");
        let intent = last["provider_payment_id"].as_str().unwrap();
        let refunds = stripe(Method::GET, &format!("/v1/refunds?payment_intent={intent}"), &[]).await;
        assert_eq!(refunds["data"].as_array().unwrap().len(), 1, "one refund at Stripe: {refunds}");
        assert_eq!(refunds["data"][0]["amount"], 9900);
        assert_eq!(shop.membership(&fan).await["status"], "expired");
        shop.app.stop().await;
    }

    async fn a_bank_that_wants_the_fan_then_the_webhook_starts_the_membership(backend: TestBackend) {
        let shop = shop(backend, true).await;
        let fan = shop.app.new_user("fan").await;
        let (checkout, secret) = shop.checkout(&fan).await;
        save_card(&secret, AUTHENTICATES).await;
        let step = shop.pay(&fan, &checkout).await;
        assert_eq!(step["status"], "authenticate", "{step}");
        assert!(shop.membership(&fan).await.is_null(), "nothing is paid yet");
        // the fan completes their bank's check in Stripe's window; the page's redirect is not
        // needed: Stripe's webhook tells patron
        authenticate(step["client_secret"].as_str().unwrap()).await;
        until("the webhook starts the membership", || async { shop.membership(&fan).await["status"] == "active" }).await;
        assert_eq!(shop.count("SELECT COUNT(*) FROM payments").await, 1);
        // what the page then asks finds it paid, and changes nothing
        let (status, looked) = shop
            .app
            .call(Method::POST, &format!("/api/v1/checkouts/{checkout}/stripe/look"), Some(&fan.token), Some(json!({"payment_intent": step["payment_intent"]})))
            .await;
        assert_eq!((status, looked["status"].as_str()), (200, Some("paid")), "{looked}");
        assert_eq!(shop.count("SELECT COUNT(*) FROM payments").await, 1);

        // a renewal on this card needs the fan again: past due, and a mail with the link to pay
        let due = at(&shop.membership(&fan).await["current_period_end"]);
        let summary = shop.renew_at(due.plus(Duration::from_secs(60))).await;
        assert_eq!(summary.failed, 1, "{summary:?}");
        assert_eq!(shop.count("SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'email:payment-authenticate:%'").await, 1);
        shop.app.stop().await;
    }

    async fn a_dispute_reaches_the_ledger_and_a_lost_one_ends_the_membership(backend: TestBackend) {
        // localstripe has no disputes: a server in front of it keeps them, in Stripe's shape
        let desk = patron_testkit::stripe_disputes::StripeDisputes::start(&base(), SECRET).await;
        let shop = shop_at(backend, false, desk.url()).await;
        let fan = shop.app.new_user("fan").await;
        let (checkout, secret) = shop.checkout(&fan).await;
        save_card(&secret, VISA).await;
        assert_eq!(shop.pay(&fan, &checkout).await["status"], "paid");
        let owner_token = shop.owner.token.clone();
        let revenue = || async {
            let (_, dashboard) = shop.app.call(Method::GET, &format!("/api/v1/creators/{}/dashboard", shop.slug), Some(&owner_token), None).await;
            dashboard["monthly_revenue"].as_array().unwrap().iter().map(|r| r["amount"].as_i64().unwrap()).sum::<i64>()
        };
        assert_eq!(revenue().await, 9900);

        let admin = shop.app.new_user("admin").await;
        let email = patron_domain::account::Email::parse(&admin.email).unwrap();
        patron_store::users::set_platform_admin(shop.app.state.app.db.pool(), &email, true).await.unwrap();
        let (_, list) = shop.app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        let payment = list["payments"][0].clone();
        let intent = stripe(Method::GET, &format!("/v1/payment_intents/{}", payment["provider_payment_id"].as_str().unwrap()), &[]).await;
        let dispute = desk.open(&intent["latest_charge"], "fraudulent");
        let id = dispute["id"].as_str().unwrap();

        // the bank opens it: three deliveries at once make one ledger entry
        let created = desk.event(id, "charge.dispute.created");
        let statuses = futures::future::join_all((0..3).map(|_| shop.deliver(&created))).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        assert_eq!(shop.count("SELECT COUNT(*) FROM membership_events WHERE kind = 'disputed'").await, 1);
        let (_, list) = shop.app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        assert_eq!(list["payments"][0]["dispute"], "open");
        assert_eq!(shop.membership(&fan).await["status"], "active", "open, it takes nothing yet");
        let path = format!("/api/v1/admin/payments/{}/refund", payment["id"].as_str().unwrap());
        let (status, refused) = shop.app.call(Method::POST, &path, Some(&admin.token), None).await;
        assert_eq!(status, 409, "a disputed payment is not refunded as well: {refused}");
        // the admin page shows it
        let browser = browser();
        shop.app.web_login(&browser, &admin.email, PASSWORD).await;
        let html = browser.get(shop.app.url("/admin/payments")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("data-testid=\"disputed\"") && html.contains("disputed by the fan&#39;s bank"), "{html}");
        assert!(!html.contains("refund-payment"), "no refund button on a disputed payment");

        // lost: the membership ends and the revenue goes with it, once
        desk.close(id, "lost");
        let closed = desk.event(id, "charge.dispute.closed");
        let statuses = futures::future::join_all((0..3).map(|_| shop.deliver(&closed))).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        assert_eq!(shop.membership(&fan).await["status"], "expired");
        assert_eq!(shop.count("SELECT COUNT(*) FROM membership_events WHERE kind = 'dispute_lost'").await, 1);
        assert_eq!(revenue().await, 0, "MRR down");
        // a late copy of the first event changes nothing: Stripe's dispute now says lost
        let late = desk.event(id, "charge.dispute.created");
        assert_eq!(shop.deliver(&late).await, 200);
        assert_eq!(shop.count("SELECT COUNT(*) FROM membership_events WHERE kind LIKE 'dispute%'").await, 2);
        let (_, list) = shop.app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        assert_eq!(list["payments"][0]["dispute"], "lost");
        shop.app.stop().await;
    }

    async fn repeated_and_reordered_deliveries_of_stripes_events_make_one_effect(backend: TestBackend) {
        // no webhook registered at localstripe: the test delivers the events itself
        let shop = shop(backend, false).await;
        let fan = shop.app.new_user("fan").await;
        let (checkout, secret) = shop.checkout(&fan).await;
        save_card(&secret, AUTHENTICATES).await;
        let step = shop.pay(&fan, &checkout).await;
        authenticate(step["client_secret"].as_str().unwrap()).await;
        assert!(shop.membership(&fan).await.is_null(), "patron learns it from the events");

        // the events about this payment, newest first (the reverse of their order)
        let intent = step["payment_intent"].as_str().unwrap();
        let listed = stripe(Method::GET, "/v1/events?limit=100", &[]).await;
        let mut events: Vec<Value> = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["data"]["object"]["id"] == intent || e["data"]["object"]["payment_intent"] == intent)
            .cloned()
            .collect();
        assert!(!events.is_empty());
        events.reverse();
        // an event patron does not act on is acknowledged
        let unknown = json!({"id": format!("evt_{}", uuid::Uuid::new_v4().simple()), "object": "event", "type": "customer.tax_id.created", "data": {"object": {"id": "txi_1"}}});
        events.insert(0, unknown);
        for event in &events {
            // five deliveries of each at once
            let deliveries = (0..5).map(|_| shop.deliver(event));
            let statuses = futures::future::join_all(deliveries).await;
            assert!(statuses.iter().all(|s| *s == 200), "{statuses:?} for {}", event["type"]);
        }
        assert_eq!(shop.membership(&fan).await["status"], "active");
        assert_eq!(shop.count("SELECT COUNT(*) FROM payments").await, 1, "one payment");
        assert_eq!(shop.count("SELECT COUNT(*) FROM membership_events").await, 1, "one ledger entry");
        assert_eq!(shop.count("SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'email:receipt:%'").await, 1, "one receipt");
        // Stripe's fee is looked up on the charge's balance transaction (the test server's is 0)
        let mut fee_job = String::new();
        for _ in 0..200 {
            fee_job = sqlx::query_scalar("SELECT status FROM jobs WHERE kind = 'gateway-fee'")
                .fetch_one(shop.app.state.app.db.pool())
                .await
                .unwrap();
            if fee_job == "succeeded" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(fee_job, "succeeded", "the fee lookup reached Stripe's balance transaction");

        // a forged delivery is refused and changes nothing
        let mut forged = events[1].clone();
        forged["id"] = json!("evt_forged");
        let body = serde_json::to_vec(&forged).unwrap();
        let response = reqwest::Client::new()
            .post(shop.app.url("/payments/webhooks/stripe"))
            .header("content-type", "application/json")
            .header("stripe-signature", format!("t={},v1={}", Timestamp::now().as_micros() / 1_000_000, "00".repeat(32)))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        shop.app.stop().await;
    }
}

#[test]
fn patron_check_reports_whether_stripe_accepts_the_secret_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let api = base();
    let with_key = |key: &'static str| {
        [
            ("PATRON_DATA_DIR", data),
            ("PATRON_STRIPE_SECRET_KEY", key),
            ("PATRON_STRIPE_PUBLISHABLE_KEY", PUBLISHABLE),
            ("PATRON_STRIPE_WEBHOOK_SECRET", "whsec_check"),
            ("PATRON_STRIPE_API_BASE", api.as_str()),
        ]
    };
    let (status, stdout, stderr) = crate::process::run(&["check"], &with_key(SECRET));
    assert!(status.success(), "{status:?}: {stdout}{stderr}");
    let line = stdout.lines().find(|l| l.starts_with("stripe")).unwrap_or_default();
    assert!(line.contains("ok") && line.contains("accepts the secret key"), "{stdout}");

    // a key Stripe does not know is refused (localstripe takes only `sk_` keys, so a restricted
    // `rk_` key stands in for one)
    let (status, stdout, _) = crate::process::run(&["check"], &with_key("rk_test_unknown"));
    assert_eq!(status.code(), Some(2), "{stdout}");
    let line = stdout.lines().find(|l| l.starts_with("stripe")).unwrap_or_default();
    assert!(line.contains("FAILED") && line.contains("PATRON_STRIPE_SECRET_KEY"), "{stdout}");
    assert!(!stdout.contains("rk_test_unknown"), "the key is never printed: {stdout}");
}
