//! Tax documents: an invoice issued with every payment and a credit note with every refund,
//! numbered without gaps even when payments arrive at once, with the VAT of the day.

use crate::both_backends;
use crate::helpers::*;
use crate::payments::shop;
use reqwest::Method;
use serde_json::Value;

const SELLER: [(&str, &str); 5] = [
    ("PATRON_PAYMENT_SANDBOX", "true"),
    ("PATRON_SELLER_NAME", "Platforma s.r.o."),
    ("PATRON_SELLER_ADDRESS", "Na Příkopě 1, 110 00 Praha 1"),
    ("PATRON_SELLER_VAT_ID", "CZ12345678"),
    ("PATRON_SELLER_OSS", "true"),
];

async fn documents(app: &TestApp, fan: &Fan) -> Vec<Value> {
    let (status, body) = app.call(Method::GET, "/api/v1/me/tax-documents", Some(&fan.token), None).await;
    assert_eq!(status, 200, "{body}");
    body["documents"].as_array().unwrap().clone()
}

async fn browser_for(app: &TestApp, user: &Fan) -> reqwest::Client {
    let client = browser();
    app.web_login(&client, &user.email, PASSWORD).await;
    client
}

fn year() -> String {
    patron_domain::Timestamp::now().to_rfc3339().chars().take(4).collect()
}

both_backends! {
    async fn a_payment_gets_an_invoice_with_the_vat_of_the_day_and_a_refund_a_credit_note(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &SELLER).await;
        let shop = shop(&app).await;
        let fan = app.new_user("fan").await;
        let (_, pay_page) = app.checkout(&fan, &shop).await;
        app.deliver(&app.sandbox(&pay_page, "approve").await).await;

        let list = documents(&app, &fan).await;
        assert_eq!(list.len(), 1, "{list:?}");
        let invoice = &list[0];
        assert_eq!(invoice["kind"], "invoice");
        assert_eq!(invoice["number"], format!("P{}-000001", year()));
        assert_eq!((invoice["total"].as_i64(), invoice["net"].as_i64(), invoice["vat"].as_i64()), (Some(9_900), Some(8_182), Some(1_718)));
        assert_eq!((invoice["vat_rate"].as_str(), invoice["scheme"].as_str()), (Some("21"), Some("domestic")));
        assert_eq!((invoice["seller_vat_id"].as_str(), invoice["tier_name"].as_str()), (Some("CZ12345678"), Some("Na steaky")));
        assert!(invoice["period_end"].is_string());
        let receipt: String = sqlx::query_scalar("SELECT payload FROM jobs WHERE idempotency_key LIKE 'email:receipt:%'")
            .fetch_one(app.state.app.db.pool())
            .await
            .unwrap();
        let link = format!("/account/documents/{}", invoice["id"].as_str().unwrap());
        assert!(receipt.contains(invoice["number"].as_str().unwrap()) && receipt.contains(&link), "the receipt names its invoice: {receipt}");
        let path = format!("/api/v1/me/tax-documents/{}", invoice["id"].as_str().unwrap());
        let stranger = app.new_user("stranger").await;
        assert_eq!(app.call(Method::GET, &path, Some(&stranger.token), None).await.0, 404, "the buyer's only");
        assert_eq!(app.call(Method::GET, &path, Some(&fan.token), None).await.0, 200);

        let admin = app.new_user("admin").await;
        let email = patron_domain::account::Email::parse(&admin.email).unwrap();
        patron_store::users::set_platform_admin(app.state.app.db.pool(), &email, true).await.unwrap();
        let (_, payments) = app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        let refund = format!("/api/v1/admin/payments/{}/refund", payments["payments"][0]["id"].as_str().unwrap());
        assert_eq!(app.call(Method::POST, &refund, Some(&admin.token), None).await.0, 200);
        let list = documents(&app, &fan).await;
        let note = list.iter().find(|d| d["kind"] == "credit_note").unwrap();
        assert_eq!(note["number"], format!("P{}-000002", year()));
        assert_eq!(note["refers_to"], invoice["id"]);
        assert_eq!((note["total"].as_i64(), note["net"].as_i64(), note["vat"].as_i64()), (Some(-9_900), Some(-8_182), Some(-1_718)));

        // on the web, in the fan's language, printable
        let browser = browser();
        app.web_login(&browser, &fan.email, PASSWORD).await;
        let get = |path: String| browser.get(app.url(&path)).header("accept-language", "cs").send();
        let html = get("/account/documents".to_owned()).await.unwrap().text().await.unwrap();
        assert_eq!(html.matches("data-testid=\"document-row\"").count(), 2, "{html}");
        let html = get(format!("/account/documents/{}", invoice["id"].as_str().unwrap())).await.unwrap().text().await.unwrap();
        assert!(html.contains("Faktura – daňový doklad") && html.contains(invoice["number"].as_str().unwrap()), "{html}");
        assert!(html.contains("DIČ: CZ12345678") && html.contains("Platforma s.r.o."), "{html}");
        assert!(html.contains("data-testid=\"vat\">17.18\u{a0}Kč") && html.contains("data-testid=\"total\"><strong>99\u{a0}Kč"), "{html}");
        let html = get(format!("/account/documents/{}", note["id"].as_str().unwrap())).await.unwrap().text().await.unwrap();
        assert!(html.contains("Opravný daňový doklad") && html.contains("data-testid=\"refers-to\""), "{html}");
        let other = browser_for(&app, &stranger).await;
        let response = other.get(app.url(&format!("/account/documents/{}", invoice["id"].as_str().unwrap()))).send().await.unwrap();
        assert_eq!(response.status(), 404, "the buyer's only");
        app.stop().await;
    }
}

both_backends! {
    async fn a_seller_not_registered_for_vat_issues_documents_without_vat(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &[("PATRON_PAYMENT_SANDBOX", "true")]).await;
        let shop = shop(&app).await;
        let fan = app.new_user("fan").await;
        let (_, pay_page) = app.checkout(&fan, &shop).await;
        app.deliver(&app.sandbox(&pay_page, "approve").await).await;
        let list = documents(&app, &fan).await;
        let invoice = &list[0];
        assert_eq!((invoice["vat"].as_i64(), invoice["net"].as_i64()), (Some(0), Some(9_900)));
        assert_eq!((invoice["scheme"].as_str(), invoice["vat_rate"].as_str()), (Some("not_registered"), Some("0")));
        assert!(invoice["seller_vat_id"].is_null());
        let client = browser_for(&app, &fan).await;
        let html = client
            .get(app.url(&format!("/account/documents/{}", invoice["id"].as_str().unwrap())))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("The seller is not registered for VAT."), "{html}");
        app.stop().await;
    }
}

both_backends! {
    async fn ten_payments_at_once_take_ten_numbers_without_a_gap(backend: TestBackend) {
        let mut settings = SELLER.to_vec();
        settings.push(("PATRON_LOGIN_MAX_ATTEMPTS_PER_IP", "100"));
        let (app, _db) = spawn_app_with(backend, &settings).await;
        let shop = shop(&app).await;
        let mut answers = Vec::new();
        for _ in 0..10 {
            let fan = app.new_user("fan").await;
            let (_, pay_page) = app.checkout(&fan, &shop).await;
            answers.push(app.sandbox(&pay_page, "approve").await);
        }
        let delivered = futures::future::join_all(answers.iter().map(|answer| app.deliver(answer))).await;
        assert!(delivered.iter().all(|(status, _)| *status == 303), "{delivered:?}");
        let mut numbers: Vec<i64> = sqlx::query_scalar("SELECT number FROM tax_documents")
            .fetch_all(app.state.app.db.pool())
            .await
            .unwrap();
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=10).collect::<Vec<i64>>());
        app.stop().await;
    }
}
