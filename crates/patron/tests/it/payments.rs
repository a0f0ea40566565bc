//! Payments with the sandbox gateway: subscribe, renew, fail, expire; duplicate and forged
//! answers; cancellation; the dashboard's numbers from the ledger.

use crate::both_backends;
use crate::helpers::*;
use patron_domain::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// The path and query of an absolute address (the test app's public URL has port 0).
pub(crate) fn local(url: &str) -> String {
    if url.starts_with('/') {
        return url.to_owned();
    }
    let parsed = url::Url::parse(url).unwrap();
    match parsed.query() {
        Some(query) => format!("{}?{query}", parsed.path()),
        None => parsed.path().to_owned(),
    }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub(crate) struct Shop {
    pub(crate) owner: Fan,
    pub(crate) slug: String,
    pub(crate) tier: String,
    post: String,
}

impl Shop {
    /// A page with one tier and no post.
    pub(crate) fn of(owner: Fan, slug: String, tier: String) -> Self {
        Shop { owner, slug, tier, post: String::new() }
    }
}

pub(crate) async fn shop(app: &TestApp) -> Shop {
    let owner = app.new_user("owner").await;
    let slug = app.create_creator(&owner, "Steaks").await;
    let tier = app.create_tier(&owner, &slug, "Na steaky", 9900).await;
    let post = app
        .create_post(
            &owner,
            &slug,
            json!({"title": "Bones", "body": "For supporters", "visibility": "supporters", "status": "published"}),
        )
        .await;
    Shop { owner, slug, tier, post }
}

impl TestApp {
    /// Starts a checkout for `fan`; returns (checkout id, the sandbox pay page path).
    pub(crate) async fn checkout(&self, fan: &Fan, shop: &Shop) -> (String, String) {
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/api/v1/creators/{}/checkouts", shop.slug),
                Some(&fan.token),
                Some(json!({"tier_id": shop.tier})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        (body["id"].as_str().unwrap().to_owned(), local(body["redirect_url"].as_str().unwrap()))
    }

    /// Presses a button of the sandbox pay page as a script does; returns where it sends the
    /// fan (the signed answer).
    pub(crate) async fn sandbox(&self, pay_page: &str, button: &str) -> String {
        let response = no_redirects()
            .post(self.url(&format!("{pay_page}/{button}")))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{}", response.text().await.unwrap_or_default());
        local(response.headers()["location"].to_str().unwrap())
    }

    pub(crate) async fn deliver(&self, answer: &str) -> (u16, String) {
        let response = no_redirects().get(self.url(answer)).send().await.unwrap();
        let status = response.status().as_u16();
        let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
        (status, location)
    }

    pub(crate) async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(self.state.app.db.pool()).await.unwrap()
    }

    async fn locked(&self, fan: &Fan, shop: &Shop) -> bool {
        let (status, post) = self
            .call(Method::GET, &format!("/api/v1/creators/{}/posts/{}", shop.slug, shop.post), Some(&fan.token), None)
            .await;
        assert_eq!(status, 200);
        post["locked"].as_bool().unwrap()
    }

    async fn membership(&self, fan: &Fan) -> Value {
        let (_, list) = self.call(Method::GET, "/api/v1/me/memberships", Some(&fan.token), None).await;
        list["memberships"][0].clone()
    }

    async fn revenue(&self, shop: &Shop) -> Value {
        let (status, dashboard) = self
            .call(Method::GET, &format!("/api/v1/creators/{}/dashboard", shop.slug), Some(&shop.owner.token), None)
            .await;
        assert_eq!(status, 200, "{dashboard}");
        dashboard
    }
}

fn at(value: &Value) -> Timestamp {
    Timestamp::parse_rfc3339(value.as_str().expect("a time")).expect("RFC 3339")
}

both_backends! {
    async fn a_fan_subscribes_renews_fails_and_loses_access_with_one_mail_at_each_step(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &[("PATRON_PAYMENT_SANDBOX", "true")]).await;
        let shop = shop(&app).await;
        let fan = app.new_user("fan").await;
        assert!(app.locked(&fan, &shop).await);

        let (checkout, pay_page) = app.checkout(&fan, &shop).await;
        assert!(pay_page.starts_with("/sandbox-gateway/payments/"), "{pay_page}");
        let page = reqwest::get(app.url(&pay_page)).await.unwrap().text().await.unwrap();
        assert!(page.contains("SANDBOX"), "the pay page says it is a sandbox");
        let answer = app.sandbox(&pay_page, "approve").await;
        assert!(answer.starts_with("/payments/return/sandbox?"), "{answer}");
        assert_eq!(app.deliver(&answer).await, (303, format!("/{}?payment=paid", shop.slug)));

        assert!(!app.locked(&fan, &shop).await, "a member reads the post at once");
        let (_, state) = app.call(Method::GET, &format!("/api/v1/checkouts/{checkout}"), Some(&fan.token), None).await;
        assert_eq!(state["status"], "paid");
        let membership = app.membership(&fan).await;
        assert_eq!(membership["status"], "active");
        assert_eq!(membership["price"], 9900);
        let revenue = app.revenue(&shop).await;
        assert_eq!(revenue["monthly_revenue"], json!([{"amount": 9900, "currency": "CZK", "formatted": "99\u{a0}Kč"}]));
        assert_eq!(revenue["new_this_month"], 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'email:receipt:%'").await, 1);

        // a month later the renewal goes through
        let due = at(&membership["next_charge_at"]);
        let summary = app.state.app.payments.renew_due(&app.state.app.db, due.plus(Duration::from_secs(1))).await.unwrap();
        assert_eq!(summary.renewed, 1, "{summary:?}");
        let renewed = app.membership(&fan).await;
        assert!(at(&renewed["current_period_end"]) > due);
        assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'email:receipt:%'").await, 2);
        // running the job again at the same moment charges nothing more
        let again = app.state.app.payments.renew_due(&app.state.app.db, due.plus(Duration::from_secs(1))).await.unwrap();
        assert_eq!(again.renewed, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM payments WHERE status = 'succeeded'").await, 2);

        // then the card starts declining: past due with access, retried after 1, 3 and 7 days
        let (status, _) = app
            .call(Method::POST, &format!("/sandbox-gateway/memberships/{}/card", renewed["id"].as_str().unwrap()), Some(&fan.token), Some(json!({"declines": true})))
            .await;
        assert_eq!(status, 204);
        let mut next = at(&renewed["next_charge_at"]);
        for attempt in 1..=3 {
            let summary = app.state.app.payments.renew_due(&app.state.app.db, next.plus(Duration::from_secs(1))).await.unwrap();
            assert_eq!(summary.failed, 1, "attempt {attempt}: {summary:?}");
            let past_due = app.membership(&fan).await;
            assert_eq!(past_due["status"], "past_due");
            assert!(!app.locked(&fan, &shop).await, "a past-due member keeps access during the grace period");
            let retry = at(&past_due["next_charge_at"]);
            let days = retry.since(at(&renewed["next_charge_at"])).as_secs() / 86_400;
            assert_eq!(days, [1, 3, 7][attempt - 1], "retried after 1, 3 and 7 days");
            next = retry;
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'email:payment-failed:%'").await, 3);
        let summary = app.state.app.payments.renew_due(&app.state.app.db, next.plus(Duration::from_secs(1))).await.unwrap();
        assert_eq!(summary.expired, 1, "{summary:?}");
        assert_eq!(app.membership(&fan).await["status"], "expired");
        assert!(app.locked(&fan, &shop).await, "the post is locked again");
        assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'email:membership-expired:%'").await, 1);
        let revenue = app.revenue(&shop).await;
        assert_eq!(revenue["monthly_revenue"][0]["amount"], 0, "{revenue}");
        assert_eq!(revenue["churned_this_month"], 1);
        let (_, payments) = app.call(Method::GET, "/api/v1/me/payments", Some(&fan.token), None).await;
        let statuses: Vec<&str> = payments["payments"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["failed", "failed", "failed", "failed", "succeeded", "succeeded"]);
        app.stop().await;
    }

    async fn five_concurrent_deliveries_of_one_answer_make_one_payment_one_period_one_receipt(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &[("PATRON_PAYMENT_SANDBOX", "true")]).await;
        let shop = shop(&app).await;
        let fan = app.new_user("fan").await;
        let (checkout, pay_page) = app.checkout(&fan, &shop).await;
        let answer = app.sandbox(&pay_page, "approve").await;
        let mut events = crate::events::EventStream::open(&app, &fan.token, None).await;
        let deliveries: Vec<_> = (0..5).map(|_| app.deliver(&answer)).collect();
        for (status, location) in futures::future::join_all(deliveries).await {
            assert_eq!((status, location.as_str()), (303, format!("/{}?payment=paid", shop.slug).as_str()));
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM payments").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM membership_events").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'email:receipt:%'").await, 1);
        assert_eq!(app.revenue(&shop).await["monthly_revenue"][0]["amount"], 9900);
        // the fan's open pages hear of it once
        let event = events.next("payment.succeeded", Duration::from_secs(5)).await;
        assert_eq!(event.data["checkout_id"], checkout.as_str());
        events.none("payment.succeeded", Duration::from_millis(500)).await;
        // the sandbox's own "deliver twice" button does the same
        let other = app.new_user("other").await;
        let (_, pay_page) = app.checkout(&other, &shop).await;
        let answer = app.sandbox(&pay_page, "approve-twice").await;
        assert_eq!(app.deliver(&answer).await.0, 303);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM payments").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 2);
        assert_eq!(app.revenue(&shop).await["monthly_revenue"][0]["amount"], 19800);
        app.stop().await;
    }

    async fn forged_tampered_and_declined_answers_change_nothing(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &[("PATRON_PAYMENT_SANDBOX", "true")]).await;
        let shop = shop(&app).await;
        let fan = app.new_user("fan").await;
        let (checkout, pay_page) = app.checkout(&fan, &shop).await;

        // a forged answer: the fan's own "approval" without the gateway's signature
        let forged = format!(
            "/payments/return/sandbox?OPERATION=CREATE_ORDER&ORDERNUMBER=x&MERCHANTORDER={checkout}&AMOUNT=9900&CURRENCY=CZK&PRCODE=0&SRCODE=0&RESULTTEXT=OK&TOKEN=t&DIGEST=Zm9yZ2Vk"
        );
        assert_eq!(app.deliver(&forged).await.0, 400);
        // a signed answer with one field changed
        let answer = app.sandbox(&pay_page, "approve").await;
        let tampered = answer.replace("AMOUNT=9900", "AMOUNT=100");
        assert_ne!(tampered, answer);
        assert_eq!(app.deliver(&tampered).await.0, 400);
        // a correctly signed answer for another amount than the checkout's
        let sandbox = app.state.app.payments.sandbox.clone().unwrap();
        let wrong = patron_store::payments::SandboxPayment {
            id: "sbx_wrong".into(),
            checkout_id: Some(checkout.parse().unwrap()),
            amount: 100,
            currency: "CZK".into(),
            status: "open".into(),
        };
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(sandbox.answer(&wrong, true)).finish();
        assert_eq!(app.deliver(&format!("/payments/return/sandbox?{query}")).await.0, 400, "the amount must be the checkout's");
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 0, "nothing changed");
        assert_eq!(app.count("SELECT COUNT(*) FROM payments").await, 0);
        assert!(app.locked(&fan, &shop).await);

        // the genuine answer still works afterwards
        assert_eq!(app.deliver(&answer).await, (303, format!("/{}?payment=paid", shop.slug)));

        // a declined payment changes nothing but the checkout
        let other = app.new_user("other").await;
        let (declined, pay_page) = app.checkout(&other, &shop).await;
        let answer = app.sandbox(&pay_page, "decline").await;
        assert_eq!(app.deliver(&answer).await, (303, format!("/{}?payment=declined", shop.slug)));
        let (_, state) = app.call(Method::GET, &format!("/api/v1/checkouts/{declined}"), Some(&other.token), None).await;
        assert_eq!(state["status"], "declined");
        // a correctly signed "approved" for a payment the gateway's own books hold as declined
        // is refused: the provider's state is asked, not only the message believed
        let order = pay_page.rsplit('/').next().unwrap().to_owned();
        let books = patron_store::payments::sandbox_find(app.state.app.db.pool(), &order).await.unwrap().unwrap();
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(sandbox.answer(&books, true)).finish();
        assert_eq!(app.deliver(&format!("/payments/return/sandbox?{query}")).await.0, 400);
        assert!(app.locked(&other, &shop).await);
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 1);
        // and a member cannot check out again
        let (status, _) = app
            .call(Method::POST, &format!("/api/v1/creators/{}/checkouts", shop.slug), Some(&fan.token), Some(json!({"tier_id": shop.tier})))
            .await;
        assert_eq!(status, 409);
        app.stop().await;
    }

    async fn a_cancelled_membership_runs_to_the_end_of_its_period_then_ends(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &[("PATRON_PAYMENT_SANDBOX", "true")]).await;
        let shop = shop(&app).await;
        let fan = app.new_user("fan").await;
        let (_, pay_page) = app.checkout(&fan, &shop).await;
        let answer = app.sandbox(&pay_page, "approve").await;
        app.deliver(&answer).await;
        let membership = app.membership(&fan).await;
        let id = membership["id"].as_str().unwrap();
        let (status, cancelled) = app.call(Method::POST, &format!("/api/v1/me/memberships/{id}/cancel"), Some(&fan.token), None).await;
        assert_eq!(status, 200);
        assert_eq!(cancelled["cancel_at_period_end"], true);
        assert!(!app.locked(&fan, &shop).await, "paid to the end of the period");
        let stranger = app.new_user("stranger").await;
        let (status, _) = app.call(Method::POST, &format!("/api/v1/me/memberships/{id}/cancel"), Some(&stranger.token), None).await;
        assert_eq!(status, 404, "only its member cancels it");
        // two days before the end: one reminder, however often the job runs
        let end = at(&membership["next_charge_at"]);
        for _ in 0..2 {
            app.state.app.payments.renew_due(&app.state.app.db, end.minus(Duration::from_secs(2 * 86_400))).await.unwrap();
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'email:membership-ending:%'").await, 1);
        let summary = app.state.app.payments.renew_due(&app.state.app.db, end.plus(Duration::from_secs(1))).await.unwrap();
        assert_eq!((summary.expired, summary.renewed), (1, 0));
        assert!(app.locked(&fan, &shop).await);
        assert_eq!(app.count("SELECT COUNT(*) FROM payments").await, 1, "nothing charged after a cancellation");
        let csv = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/creators/{}/payments.csv", shop.slug)))
            .bearer_auth(&shop.owner.token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.starts_with("id,created_at,kind,status,amount_minor,currency,membership_id"), "{csv}");
        assert_eq!(csv.lines().count(), 2);
        app.stop().await;
    }
}

both_backends! {
    async fn a_platform_admin_refunds_a_payment_which_ends_the_membership(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &[("PATRON_PAYMENT_SANDBOX", "true")]).await;
        let shop = shop(&app).await;
        let fan = app.new_user("fan").await;
        let (_, pay_page) = app.checkout(&fan, &shop).await;
        let answer = app.sandbox(&pay_page, "approve").await;
        app.deliver(&answer).await;
        assert!(!app.locked(&fan, &shop).await);
        let admin = app.new_user("admin").await;
        let (status, _) = app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        assert_eq!(status, 403, "admins only");
        let email = patron_domain::account::Email::parse(&admin.email).unwrap();
        patron_store::users::set_platform_admin(app.state.app.db.pool(), &email, true).await.unwrap();
        let (_, list) = app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        let payment = list["payments"][0]["id"].as_str().unwrap().to_owned();
        // from the admin page: the payment is listed with a refund button
        let browser = browser();
        app.web_login(&browser, &admin.email, PASSWORD).await;
        let html = browser.get(app.url("/admin/payments")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(&format!("data-payment-id=\"{payment}\"")) && html.contains("refund-payment"), "{html}");
        let csrf = csrf_from_page(&html);
        // the first post asks, and refunds nothing
        let refund = app.url(&format!("/admin/payments/{payment}/refund"));
        let asked = browser.post(&refund).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
        assert_eq!(asked.status(), 200);
        let asked = asked.text().await.unwrap();
        assert!(asked.contains("data-testid=\"confirm-page\"") && asked.contains("name=\"confirmed\" value=\"yes\""), "{asked}");
        let (_, list) = app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        assert_eq!(list["payments"][0]["status"], "succeeded", "nothing happens before the confirmation");
        let response =
            browser.post(&refund).form(&[("csrf_token", csrf.as_str()), ("confirmed", "yes")]).send().await.unwrap();
        assert_eq!(response.status(), 303);
        let (_, list) = app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        assert_eq!(list["payments"][0]["status"], "refunded");
        let (status, _) = app.call(Method::POST, &format!("/api/v1/admin/payments/{payment}/refund"), Some(&admin.token), None).await;
        assert_eq!(status, 409, "once");
        assert!(app.locked(&fan, &shop).await, "a refund ends the membership");
        let revenue = app.revenue(&shop).await;
        assert_eq!((revenue["monthly_revenue"][0]["amount"].as_i64(), revenue["churned_this_month"].as_i64()), (Some(0), Some(1)));
        let membership = app.membership(&fan).await;
        let (_, history) = app
            .call(Method::GET, &format!("/api/v1/admin/memberships/{}/history", membership["id"].as_str().unwrap()), Some(&admin.token), None)
            .await;
        let kinds: Vec<&str> = history.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["created", "refunded"]);
        let audit = patron_store::audit::entries(app.state.app.db.pool(), 5).await.unwrap();
        assert_eq!(audit[0].1, "payment.refund");
        app.stop().await;
    }

    async fn a_chargeback_the_gateway_reported_elsewhere_is_recorded_by_an_admin(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &[("PATRON_PAYMENT_SANDBOX", "true")]).await;
        let shop = shop(&app).await;
        let fan = app.new_user("fan").await;
        let (_, pay_page) = app.checkout(&fan, &shop).await;
        app.deliver(&app.sandbox(&pay_page, "approve").await).await;
        let admin = app.new_user("admin").await;
        let email = patron_domain::account::Email::parse(&admin.email).unwrap();
        patron_store::users::set_platform_admin(app.state.app.db.pool(), &email, true).await.unwrap();
        let (_, list) = app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        let path = format!("/api/v1/admin/payments/{}/dispute", list["payments"][0]["id"].as_str().unwrap());

        let (status, body) = app.call(Method::POST, &path, Some(&fan.token), Some(json!({"status": "lost"}))).await;
        assert_eq!(status, 403, "admins only: {body}");
        let (status, body) = app.call(Method::POST, &path, Some(&admin.token), Some(json!({"status": "maybe"}))).await;
        assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (422, Some("status")), "{body}");
        let (status, body) = app.call(Method::POST, &path, Some(&admin.token), Some(json!({"status": "open"}))).await;
        assert_eq!((status, body["dispute"].as_str()), (200, Some("open")), "{body}");
        assert!(!app.locked(&fan, &shop).await, "an open dispute takes nothing yet");
        let (status, _) = app.call(Method::POST, &path.replace("/dispute", "/refund"), Some(&admin.token), None).await;
        assert_eq!(status, 409, "a disputed payment is not refunded as well");

        for _ in 0..2 {
            let (status, body) = app.call(Method::POST, &path, Some(&admin.token), Some(json!({"status": "lost"}))).await;
            assert_eq!((status, body["dispute"].as_str()), (200, Some("lost")), "{body}");
        }
        assert!(app.locked(&fan, &shop).await, "a lost dispute ends the membership");
        let revenue = app.revenue(&shop).await;
        assert_eq!(revenue["monthly_revenue"][0]["amount"].as_i64(), Some(0), "MRR down");
        let membership = app.membership(&fan).await;
        let (_, history) = app
            .call(Method::GET, &format!("/api/v1/admin/memberships/{}/history", membership["id"].as_str().unwrap()), Some(&admin.token), None)
            .await;
        let kinds: Vec<&str> = history.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["created", "disputed", "dispute_lost"], "each step once");
        let audit = patron_store::audit::entries(app.state.app.db.pool(), 5).await.unwrap();
        assert_eq!(audit[0].1, "payment.dispute");
        app.stop().await;
    }
}

both_backends! {
    async fn an_upgrade_costs_the_prorated_difference_now_and_a_downgrade_waits_for_the_next_period(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &[("PATRON_PAYMENT_SANDBOX", "true")]).await;
        let shop = shop(&app).await;
        let top = app.create_tier(&shop.owner, &shop.slug, "Na věčná loviště", 19900).await;
        let top_post = app
            .create_post(&shop.owner, &shop.slug, json!({"title": "Forest", "visibility": "tier", "min_tier_id": top, "status": "published"}))
            .await;
        let fan = app.new_user("fan").await;
        let (_, pay_page) = app.checkout(&fan, &shop).await;
        let answer = app.sandbox(&pay_page, "approve").await;
        app.deliver(&answer).await;
        let path = format!("/api/v1/creators/{}/posts/{top_post}", shop.slug);
        let top_locked = || app.call(Method::GET, &path, Some(&fan.token), None);
        assert!(top_locked().await.1["locked"].as_bool().unwrap());
        let id = app.membership(&fan).await["id"].as_str().unwrap().to_owned();

        let (status, up) = app.call(Method::POST, &format!("/api/v1/me/memberships/{id}/change"), Some(&fan.token), Some(json!({"tier_id": top}))).await;
        assert_eq!(status, 200, "{up}");
        assert_eq!(up["change"], "upgraded");
        let charged = up["charged"].as_i64().unwrap();
        assert!((9_990..=10_000).contains(&charged), "the difference for (almost) the whole period: {charged}");
        assert_eq!(top_locked().await.1["locked"], false, "the higher tier unlocks at once");
        assert_eq!(app.revenue(&shop).await["monthly_revenue"][0]["amount"], 19900);

        let (_, down) = app.call(Method::POST, &format!("/api/v1/me/memberships/{id}/change"), Some(&fan.token), Some(json!({"tier_id": shop.tier}))).await;
        assert_eq!(down["change"], "downgrade_scheduled");
        assert_eq!(down["membership"]["tier_id"], top.as_str(), "the fan keeps what they paid for");
        assert_eq!(top_locked().await.1["locked"], false);
        let due = at(&down["membership"]["next_charge_at"]);
        let summary = app.state.app.payments.renew_due(&app.state.app.db, due.plus(Duration::from_secs(1))).await.unwrap();
        assert_eq!(summary.renewed, 1);
        let after = app.membership(&fan).await;
        assert_eq!((after["tier_id"].as_str(), after["price"].as_i64()), (Some(shop.tier.as_str()), Some(9900)));
        assert_eq!(top_locked().await.1["locked"], true, "the lower tier from the next period");
        assert!(!app.locked(&fan, &shop).await);
        assert_eq!(app.revenue(&shop).await["monthly_revenue"][0]["amount"], 9900);
        let (_, payments) = app.call(Method::GET, "/api/v1/me/payments", Some(&fan.token), None).await;
        let amounts: Vec<i64> = payments["payments"].as_array().unwrap().iter().map(|p| p["amount"].as_i64().unwrap()).collect();
        assert_eq!(amounts, [9900, charged, 9900], "renewal at the new price, the upgrade, the first payment");
        app.stop().await;
    }
}

both_backends! {
    async fn a_second_checkout_paid_by_a_member_is_kept_as_a_duplicate_to_refund(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &[("PATRON_PAYMENT_SANDBOX", "true")]).await;
        let shop = shop(&app).await;
        let fan = app.new_user("fan").await;
        // two checkouts started before either is paid (two tabs)
        let (_, first) = app.checkout(&fan, &shop).await;
        let (second_checkout, second) = app.checkout(&fan, &shop).await;
        let answer = app.sandbox(&first, "approve").await;
        app.deliver(&answer).await;
        let answer = app.sandbox(&second, "approve").await;
        assert_eq!(app.deliver(&answer).await, (303, format!("/{}?payment=paid", shop.slug)));
        assert_eq!(app.count("SELECT COUNT(*) FROM memberships").await, 1, "one membership");
        let (_, state) = app.call(Method::GET, &format!("/api/v1/checkouts/{second_checkout}"), Some(&fan.token), None).await;
        assert_eq!(state["status"], "paid", "the money is on record, not lost");
        let admin = app.new_user("admin").await;
        let email = patron_domain::account::Email::parse(&admin.email).unwrap();
        patron_store::users::set_platform_admin(app.state.app.db.pool(), &email, true).await.unwrap();
        let (_, list) = app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        let duplicate = list["payments"].as_array().unwrap().iter().find(|p| p["kind"] == "duplicate").expect("a duplicate payment").clone();
        assert!(duplicate["failure"].as_str().unwrap().contains("refund"));
        let (status, _) = app
            .call(Method::POST, &format!("/api/v1/admin/payments/{}/refund", duplicate["id"].as_str().unwrap()), Some(&admin.token), None)
            .await;
        assert_eq!(status, 200);
        assert!(!app.locked(&fan, &shop).await, "refunding the duplicate leaves the membership alone");
        assert_eq!(app.revenue(&shop).await["monthly_revenue"][0]["amount"], 9900);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_cloud_mode_the_sandbox_is_off_unless_enabled() {
    let (app, _db) = spawn_app(TestBackend::Postgres).await;
    let shop = shop(&app).await;
    let fan = app.new_user("fan").await;
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/v1/creators/{}/checkouts", shop.slug),
            Some(&fan.token),
            Some(json!({"tier_id": shop.tier})),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (503, Some("payments_unavailable")));
    assert_eq!(reqwest::get(app.url("/sandbox-gateway/payments/sbx_1")).await.unwrap().status(), 404);
    app.stop().await;
}

#[test]
fn a_nineteen_digit_merchant_number_arrives_as_the_same_text() {
    let number = "1234567890123456789";
    let from_env = patron_settings::Settings::from_env_map(&[("PATRON_GPWEBPAY_MERCHANT_NUMBER", number)]).unwrap();
    assert_eq!(from_env.gpwebpay_merchant_number.as_deref(), Some(number));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("patron.toml");
    std::fs::write(&file, format!("gpwebpay_merchant_number = \"{number}\"\n")).unwrap();
    let from_file = patron_settings::Settings::load(Some(&file), Vec::<(String, String)>::new()).unwrap();
    assert_eq!(from_file.gpwebpay_merchant_number.as_deref(), Some(number));
    // unquoted, TOML reads a number: refused with a hint instead of silently rounded
    std::fs::write(&file, format!("gpwebpay_merchant_number = {number}\n")).unwrap();
    let error = patron_settings::Settings::load(Some(&file), Vec::<(String, String)>::new()).unwrap_err().to_string();
    assert!(error.contains("gpwebpay_merchant_number"), "{error}");
    let error = patron_settings::Settings::from_env_map(&[("PATRON_GPWEBPAY_MERCHANT_NUMBER", "12e3")])
        .unwrap_err()
        .to_string();
    assert!(error.contains("digits"), "{error}");
    // half a configuration is refused, and keys that cannot be read stop the start
    let error =
        patron_settings::Settings::from_env_map(&[("PATRON_GPWEBPAY_PRIVATE_KEY", "x")]).unwrap_err().to_string();
    assert!(error.contains("set all of"), "{error}");
    let settings = patron_settings::Settings::from_env_map(&[
        ("PATRON_GPWEBPAY_MERCHANT_NUMBER", number),
        (
            "PATRON_GPWEBPAY_PRIVATE_KEY",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\njunk\n-----END ENCRYPTED PRIVATE KEY-----",
        ),
        ("PATRON_GPWEBPAY_PRIVATE_KEY_PASSWORD", "pw"),
        ("PATRON_GPWEBPAY_PUBLIC_KEY", "junk"),
    ])
    .unwrap();
    let secret = patron_settings::SecretString::new("a-secret-key-of-at-least-32-characters!");
    let error = patron_payments::Payments::from_settings(&settings, &secret)
        .err()
        .expect("unusable keys are refused")
        .to_string();
    assert!(error.contains("private key"), "{error}");
    assert!(!error.contains("junk"), "no key material in the message: {error}");
}

fn rsa_pair(password: &str) -> (String, String) {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let mut rng = rand_core::OsRng;
    let private = rsa::RsaPrivateKey::new(&mut rng, 1024).unwrap();
    let public = rsa::RsaPublicKey::from(&private);
    (
        private.to_pkcs8_encrypted_pem(&mut rng, password.as_bytes(), LineEnding::LF).unwrap().to_string(),
        public.to_public_key_pem(LineEnding::LF).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gp_webpay_takes_a_first_payment_from_a_signed_redirect_to_a_verified_answer() {
    use patron_payments::gpwebpay::{Keys, REQUEST_FIELDS, RESPONSE_FIELDS, digest_input};
    let (merchant_private, merchant_public) = rsa_pair("merchant pw");
    let (gateway_private, gateway_public) = rsa_pair("gateway pw");
    let number = "1234567890123456789";
    let settings = [
        ("PATRON_GPWEBPAY_MERCHANT_NUMBER", number),
        ("PATRON_GPWEBPAY_PRIVATE_KEY", merchant_private.as_str()),
        ("PATRON_GPWEBPAY_PRIVATE_KEY_PASSWORD", "merchant pw"),
        ("PATRON_GPWEBPAY_PUBLIC_KEY", gateway_public.as_str()),
        ("PATRON_GPWEBPAY_URL", "https://test.3dsecure.gpwebpay.com/pgw/order.do"),
    ];
    let (app, _db) = spawn_app_with(TestBackend::Sqlite, &settings).await;
    let shop = shop(&app).await;
    let fan = app.new_user("fan").await;
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/v1/creators/{}/checkouts", shop.slug),
            Some(&fan.token),
            Some(json!({"tier_id": shop.tier})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let checkout = body["id"].as_str().unwrap().to_owned();
    let redirect = url::Url::parse(body["redirect_url"].as_str().unwrap()).unwrap();
    assert_eq!(redirect.host_str(), Some("test.3dsecure.gpwebpay.com"), "the fan goes to the gateway");
    let request: std::collections::BTreeMap<String, String> = redirect.query_pairs().into_owned().collect();
    assert_eq!(request["MERCHANTNUMBER"], number, "the merchant number arrives digit for digit");
    assert_eq!((request["AMOUNT"].as_str(), request["CURRENCY"].as_str()), ("9900", "203"));
    assert!(request["URL"].ends_with("/payments/return/gpwebpay"));
    assert_eq!(request["MD"], checkout);
    // the gateway checks the request with the merchant's public key
    let gateway = Keys::from_pem(&gateway_private, "gateway pw", &merchant_public).unwrap();
    assert!(gateway.verify_signature(&digest_input(&request, &REQUEST_FIELDS), &request["DIGEST"]));

    // and answers, signed with its own key
    let mut answer: std::collections::BTreeMap<String, String> = [
        ("OPERATION", "CREATE_ORDER"),
        ("ORDERNUMBER", request["ORDERNUMBER"].as_str()),
        ("MD", checkout.as_str()),
        ("PRCODE", "0"),
        ("SRCODE", "0"),
        ("RESULTTEXT", "OK"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let text = digest_input(&answer, &RESPONSE_FIELDS);
    answer.insert("DIGEST".into(), gateway.sign(&text));
    answer.insert("DIGEST1".into(), gateway.sign(&format!("{text}|{number}")));
    let query = |fields: &std::collections::BTreeMap<String, String>| {
        format!(
            "/payments/return/gpwebpay?{}",
            url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
        )
    };
    let mut tampered = answer.clone();
    tampered.insert("MD".into(), uuid::Uuid::now_v7().to_string());
    assert_eq!(app.deliver(&query(&tampered)).await.0, 400, "a changed field breaks the signature");
    let mut other_merchant = answer.clone();
    other_merchant.insert("DIGEST1".into(), gateway.sign(&format!("{text}|123456789012345678")));
    assert_eq!(app.deliver(&query(&other_merchant)).await.0, 400, "DIGEST1 binds the answer to our merchant number");
    assert!(app.locked(&fan, &shop).await);

    assert_eq!(app.deliver(&query(&answer)).await, (303, format!("/{}?payment=paid", shop.slug)));
    assert!(!app.locked(&fan, &shop).await, "paid through GP webpay: a member at once");
    let membership = app.membership(&fan).await;
    assert_eq!(
        (membership["provider"].as_str(), membership["cancel_at_period_end"].as_bool()),
        (Some("gpwebpay"), Some(true)),
        "without repeat charges yet, it runs one period"
    );
    assert_eq!(app.deliver(&query(&answer)).await.0, 303, "a second delivery changes nothing");
    assert_eq!(app.count("SELECT COUNT(*) FROM payments").await, 1);
    app.stop().await;
}

both_backends! {
    async fn every_payment_is_posted_with_its_fee_and_split_and_undone_exactly(backend: TestBackend) {
        let (app, _db) =
            spawn_app_with(backend, &[("PATRON_PAYMENT_SANDBOX", "true"), ("PATRON_PLATFORM_FEE", "10")]).await;
        let shop = shop(&app).await;
        let pool = app.state.app.db.pool();
        let creator: String = sqlx::query_scalar("SELECT id FROM creators WHERE slug = $1")
            .bind(&shop.slug)
            .fetch_one(pool)
            .await
            .unwrap();
        let (b, c) = (app.new_user("b").await, app.new_user("c").await);
        crate::earnings::join_team(&app, &shop.owner, &shop.slug, &b).await;
        crate::earnings::join_team(&app, &shop.owner, &shop.slug, &c).await;
        let pay = |fan: Fan| {
            let (app, shop) = (&app, &shop);
            async move {
                let (_, pay_page) = app.checkout(&fan, shop).await;
                app.deliver(&app.sandbox(&pay_page, "approve").await).await;
            }
        };
        let balances = || async {
            let all = patron_store::books::balances(pool, "", None).await.unwrap();
            let of = |code: String| all.iter().find(|b| b.account == code).map_or(0, |b| b.amount);
            let payee = |user: &Fan| of(format!("payee:{creator}:{}", user.id));
            (
                // the gateway's fee (posted by a job, whenever it runs) moves money from
                // clearing to gateway_fees: together they are what the fans paid
                of("clearing".into()) + of("gateway_fees".into()),
                of("platform_fees".into()),
                payee(&shop.owner),
                payee(&b),
                payee(&c),
                of("disputes".into()),
            )
        };

        // before any split, the owner's team is the owner
        pay(app.new_user("fan1").await).await;
        assert_eq!(balances().await, (9_900, -990, -8_910, 0, 0, 0));
        // a split applies to later payments only
        {
            let mut connection = pool.acquire().await.unwrap();
            let parts = [(b.id.parse().unwrap(), 3_000), (c.id.parse().unwrap(), 2_000)];
            let (creator_id, owner_id) = (creator.parse().unwrap(), shop.owner.id.parse().unwrap());
            patron_store::books::set_split(&mut connection, creator_id, owner_id, &parts).await.unwrap();
        }
        pay(app.new_user("fan2").await).await;
        pay(app.new_user("fan3").await).await;
        assert_eq!(balances().await, (29_700, -2_970, -8_910 - 2 * 4_455, -2 * 2_673, -2 * 1_782, 0));

        // a refund and a lost dispute undo exactly their payments' postings, split included
        let admin = app.new_user("admin").await;
        let email = patron_domain::account::Email::parse(&admin.email).unwrap();
        patron_store::users::set_platform_admin(pool, &email, true).await.unwrap();
        let (_, list) = app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        let ids: Vec<String> =
            list["payments"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
        let (status, _) = app
            .call(Method::POST, &format!("/api/v1/admin/payments/{}/refund", ids[0]), Some(&admin.token), None)
            .await;
        assert_eq!(status, 200);
        let dispute = format!("/api/v1/admin/payments/{}/dispute", ids[1]);
        let (status, _) = app.call(Method::POST, &dispute, Some(&admin.token), Some(json!({"status": "open"}))).await;
        assert_eq!(status, 200);
        assert_eq!(
            balances().await,
            (9_900, -1_980, -8_910 - 4_455, -2_673, -1_782, 9_900),
            "the bank holds the disputed money"
        );
        let (status, _) = app.call(Method::POST, &dispute, Some(&admin.token), Some(json!({"status": "lost"}))).await;
        assert_eq!(status, 200);
        assert_eq!(balances().await, (9_900, -990, -8_910, 0, 0, 0));
        assert_eq!(patron_store::books::unbalanced_entries(pool).await.unwrap(), 0, "every entry sums to zero");
        assert_eq!(
            // the gateways' fees are posted by a job whenever it runs: not counted here
            app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind <> 'gateway_fee'").await,
            6,
            "3 payments, a refund, a dispute opened and lost"
        );
        app.stop().await;
    }
}
