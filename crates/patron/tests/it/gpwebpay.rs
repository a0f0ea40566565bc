//! GP webpay with its web service, against the protocol-faithful stand-in in the test kit: a
//! first payment that registers the card, repeat charges by the scheduler, declines and
//! dunning, a bank that wants the cardholder, forged answers, a refund and the registration
//! revoked when the membership ends.

use crate::both_backends;
use crate::helpers::*;
use patron_domain::Timestamp;
use patron_testkit::gpwebpay::{CardAnswer, FakeGpWebpay, key_pair};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const MERCHANT: &str = "1234567890";

struct Gateway {
    fake: FakeGpWebpay,
    settings: Vec<(&'static str, String)>,
}

async fn gateway() -> Gateway {
    let (merchant_private, merchant_public) = key_pair("merchant pw");
    let (gateway_private, gateway_public) = key_pair("gateway pw");
    let fake = FakeGpWebpay::start(MERCHANT, &merchant_public, &gateway_private, "gateway pw").await;
    let settings = vec![
        ("PATRON_GPWEBPAY_MERCHANT_NUMBER", MERCHANT.to_owned()),
        ("PATRON_GPWEBPAY_PRIVATE_KEY", merchant_private),
        ("PATRON_GPWEBPAY_PRIVATE_KEY_PASSWORD", "merchant pw".to_owned()),
        ("PATRON_GPWEBPAY_PUBLIC_KEY", gateway_public),
        ("PATRON_GPWEBPAY_URL", fake.payment_url()),
        ("PATRON_GPWEBPAY_WS_URL", fake.ws_url()),
        ("PATRON_GPWEBPAY_PROVIDER", "0880".to_owned()),
    ];
    Gateway { fake, settings }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The path and query of an address (the test app's public URL has port 0).
fn local(url: &str) -> String {
    let parsed = url::Url::parse(url).unwrap();
    format!("{}?{}", parsed.path(), parsed.query().unwrap_or_default())
}

/// Pays at the stand-in's payment page where `redirect_url` sends the fan and brings its
/// signed answer back to patron; returns patron's status and where it sends the fan.
async fn pay(app: &TestApp, redirect_url: &str) -> (u16, String) {
    let at_gateway = no_redirects().get(redirect_url).send().await.unwrap();
    assert_eq!(at_gateway.status(), 303, "{}", at_gateway.text().await.unwrap_or_default());
    let answer = local(at_gateway.headers()["location"].to_str().unwrap());
    assert!(answer.starts_with("/payments/return/gpwebpay?"), "{answer}");
    let back = no_redirects().get(app.url(&answer)).send().await.unwrap();
    let location = back.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (back.status().as_u16(), location)
}

async fn membership(app: &TestApp, fan: &Fan) -> Value {
    let (_, list) = app.call(Method::GET, "/api/v1/me/memberships", Some(&fan.token), None).await;
    list["memberships"][0].clone()
}

fn at(value: &Value) -> Timestamp {
    Timestamp::parse_rfc3339(value.as_str().expect("a time")).expect("RFC 3339")
}

async fn mails(app: &TestApp, like: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE '{like}'")))
        .fetch_one(app.state.app.db.pool())
        .await
        .unwrap()
}

/// Runs the renewal job as the scheduler would at `now`.
async fn renew_at(app: &TestApp, now: Timestamp) -> patron_payments::RenewalSummary {
    app.state.app.payments.renew_due(&app.state.app.db, now).await.unwrap()
}

/// A page with a tier at 99 CZK, a fan who joined it through the gateway, and the number of the
/// registration (the first payment's order number).
async fn joined(app: &TestApp, gateway: &Gateway) -> (Fan, String, String) {
    let owner = app.new_user("owner").await;
    let slug = app.create_creator(&owner, "Steaks").await;
    let tier = app.create_tier(&owner, &slug, "Na steaky", 9900).await;
    let fan = app.new_user("fan").await;
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/v1/creators/{slug}/checkouts"),
            Some(&fan.token),
            Some(json!({"tier_id": tier})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let redirect = body["redirect_url"].as_str().unwrap().to_owned();
    let request: std::collections::BTreeMap<String, String> =
        url::Url::parse(&redirect).unwrap().query_pairs().into_owned().collect();
    assert_eq!(request.get("USERPARAM1").map(String::as_str), Some("R"), "the first payment registers the card");
    assert_eq!(pay(app, &redirect).await, (303, format!("/{slug}?payment=paid")));
    let master = request["ORDERNUMBER"].clone();
    assert!(gateway.fake.payments().iter().any(|p| p.number == master && p.state == 7));
    (fan, slug, master)
}

both_backends! {
    async fn renewals_are_repeat_charges_on_the_registered_card_with_dunning_and_a_bank_that_wants_the_fan(backend: TestBackend) {
        let gateway = gateway().await;
        let settings: Vec<(&str, &str)> = gateway.settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (app, _db) = spawn_app_with(backend, &settings).await;
        let (fan, _, master) = joined(&app, &gateway).await;
        let first = membership(&app, &fan).await;
        assert_eq!((first["status"].as_str(), first["cancel_at_period_end"].as_bool()), (Some("active"), Some(false)), "it renews");
        assert_eq!(first["card"], json!({"brand": "visa", "last4": "1111", "exp_month": 12, "exp_year": 2030}));

        // three renewals, each a repeat charge on the registration, a month apart
        for n in 1..=3 {
            let due = at(&membership(&app, &fan).await["current_period_end"]);
            let summary = renew_at(&app, due.plus(Duration::from_secs(60))).await;
            assert_eq!(summary.renewed, 1, "renewal {n}: {summary:?}");
            let charges = gateway.fake.charges_on(&master);
            assert_eq!(charges.len(), n);
            assert_eq!((charges[n - 1].amount, charges[n - 1].currency.as_str(), charges[n - 1].state), (9900, "203", 7));
        }
        let after_three = membership(&app, &fan).await;
        assert!(at(&after_three["current_period_end"]) > at(&first["current_period_end"]).plus(Duration::from_secs(80 * 86_400)));
        assert_eq!(mails(&app, "email:receipt:%").await, 4, "a receipt for the first payment and each renewal");

        // a forged answer is refused: the renewal waits, nothing is recorded
        gateway.fake.forge(true);
        let due = at(&after_three["current_period_end"]);
        let summary = renew_at(&app, due.plus(Duration::from_secs(60))).await;
        assert_eq!((summary.renewed, summary.failed, summary.errors), (0, 0, 1), "{summary:?}");
        assert_eq!(membership(&app, &fan).await["current_period_end"], after_three["current_period_end"], "a forged answer changes nothing");
        gateway.fake.forge(false);
        // the charge behind the forged answer did happen at the gateway: the next run finds it
        // by its payment number instead of charging the card twice
        let summary = renew_at(&app, due.plus(Duration::from_secs(120))).await;
        assert_eq!(summary.renewed, 1, "{summary:?}");
        assert_eq!(gateway.fake.charges_on(&master).len(), 4, "charged once, not twice");

        // the card is declined: past due with retries, the fan keeps access meanwhile
        gateway.fake.answer_charges(&master, CardAnswer::Decline(30, 1005));
        let due = at(&membership(&app, &fan).await["current_period_end"]);
        let summary = renew_at(&app, due.plus(Duration::from_secs(60))).await;
        assert_eq!(summary.failed, 1, "{summary:?}");
        let past_due = membership(&app, &fan).await;
        assert_eq!(past_due["status"], "past_due");
        assert_eq!(mails(&app, "email:payment-failed:%").await, 1);

        // at the retry the bank wants the cardholder: the fan is mailed a link to pay
        gateway.fake.answer_charges(&master, CardAnswer::Authenticate);
        let retry = at(&past_due["next_charge_at"]);
        let summary = renew_at(&app, retry.plus(Duration::from_secs(60))).await;
        assert_eq!(summary.failed, 1, "{summary:?}");
        assert_eq!(mails(&app, "email:payment-authenticate:%").await, 1);
        let membership_id = past_due["id"].as_str().unwrap().to_owned();
        let payload: String = sqlx::query_scalar("SELECT payload FROM jobs WHERE idempotency_key LIKE 'email:payment-authenticate:%'")
            .fetch_one(app.state.app.db.pool())
            .await
            .unwrap();
        assert!(payload.contains(&format!("/payments/renew/{membership_id}")), "the mail links to paying it: {payload}");

        // the fan sees the amount, pays with a new card, and the membership recovers on it
        gateway.fake.use_card("522222******4444", "3105");
        let (status, started) = app.call(Method::POST, &format!("/api/v1/me/memberships/{membership_id}/pay"), Some(&fan.token), None).await;
        assert_eq!(status, 201, "{started}");
        assert_eq!(started["amount"], 9900);
        let redirect = started["redirect_url"].as_str().unwrap().to_owned();
        let new_master: String = url::Url::parse(&redirect).unwrap().query_pairs().find(|(k, _)| k == "ORDERNUMBER").unwrap().1.into_owned();
        let (status, _) = pay(&app, &redirect).await;
        assert_eq!(status, 303);
        let recovered = membership(&app, &fan).await;
        assert_eq!(recovered["status"], "active");
        assert_eq!(recovered["card"]["last4"], "4444");
        assert!(at(&recovered["current_period_end"]) > due, "the next period started");
        let (status, again) = app.call(Method::POST, &format!("/api/v1/me/memberships/{membership_id}/pay"), Some(&fan.token), None).await;
        assert_eq!(status, 409, "nothing is due any more: {again}");

        // the next renewal charges the new registration
        let summary = renew_at(&app, at(&recovered["current_period_end"]).plus(Duration::from_secs(60))).await;
        assert_eq!(summary.renewed, 1, "{summary:?}");
        assert_eq!(gateway.fake.charges_on(&new_master).len(), 1);
        app.stop().await;
    }

    async fn an_admin_refund_goes_through_the_gateway_and_the_registration_is_revoked(backend: TestBackend) {
        let gateway = gateway().await;
        let settings: Vec<(&str, &str)> = gateway.settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (app, _db) = spawn_app_with(backend, &settings).await;
        let (fan, slug, master) = joined(&app, &gateway).await;
        let admin = app.new_user("admin").await;
        let email = patron_domain::account::Email::parse(&admin.email).unwrap();
        patron_store::users::set_platform_admin(app.state.app.db.pool(), &email, true).await.unwrap();
        let (_, list) = app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        let payment = list["payments"][0]["id"].as_str().unwrap().to_owned();
        let (status, refunded) =
            app.call(Method::POST, &format!("/api/v1/admin/payments/{payment}/refund"), Some(&admin.token), None).await;
        assert_eq!(status, 200, "{refunded}");
        let at_gateway = gateway.fake.payments().into_iter().find(|p| p.number == master).unwrap();
        assert_eq!((at_gateway.state, at_gateway.refunded), (11, 9900), "refunded at the gateway");
        assert!(gateway.fake.revoked(&master), "a membership that ended for good revokes its registration");
        assert_eq!(membership(&app, &fan).await["status"], "expired");
        let (status, _) = app.call(Method::GET, &format!("/api/v1/creators/{slug}"), Some(&fan.token), None).await;
        assert_eq!(status, 200);
        app.stop().await;
    }

    async fn a_first_payment_answer_signed_by_someone_else_is_refused(backend: TestBackend) {
        let gateway = gateway().await;
        let settings: Vec<(&str, &str)> = gateway.settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (app, _db) = spawn_app_with(backend, &settings).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Steaks").await;
        let tier = app.create_tier(&owner, &slug, "Na steaky", 9900).await;
        let fan = app.new_user("fan").await;
        let (_, body) = app
            .call(Method::POST, &format!("/api/v1/creators/{slug}/checkouts"), Some(&fan.token), Some(json!({"tier_id": tier})))
            .await;
        gateway.fake.forge(true);
        let (status, _) = pay(&app, body["redirect_url"].as_str().unwrap()).await;
        assert_eq!(status, 400, "a forged answer is refused");
        assert!(membership(&app, &fan).await.is_null(), "and starts nothing");
        app.stop().await;
    }
}
