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

/// The year documents issued now are numbered in: the seller's (Prague's) calendar year.
fn year() -> String {
    patron_domain::document::supply_day(patron_domain::Timestamp::now(), "CZ").year().to_string()
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
        assert!(html.contains("data-testid=\"vat\">17,18\u{a0}Kč") && html.contains("data-testid=\"total\"><strong>99\u{a0}Kč"), "{html}");
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

async fn checkout_as(app: &TestApp, fan: &Fan, shop: &crate::payments::Shop, billing: Value) -> (u16, Value) {
    let mut body = serde_json::json!({"tier_id": shop.tier});
    body.as_object_mut().unwrap().extend(billing.as_object().unwrap().clone());
    app.call(Method::POST, &format!("/api/v1/creators/{}/checkouts", shop.slug), Some(&fan.token), Some(body)).await
}

async fn buy(app: &TestApp, fan: &Fan, shop: &crate::payments::Shop, billing: Value) -> Value {
    let (status, body) = checkout_as(app, fan, shop, billing).await;
    assert_eq!(status, 201, "{body}");
    let pay_page = crate::payments::local(body["redirect_url"].as_str().unwrap());
    app.deliver(&app.sandbox(&pay_page, "approve").await).await;
    let list = documents(app, fan).await;
    assert_eq!(list.len(), 1, "{list:?}");
    list[0].clone()
}

both_backends! {
    async fn fans_pay_the_vat_of_the_country_they_live_in(backend: TestBackend) {
        let mut settings = SELLER.to_vec();
        settings.push(("PATRON_LOGIN_MAX_ATTEMPTS_PER_IP", "100"));
        let (app, _db) = spawn_app_with(backend, &settings).await;
        let shop = shop(&app).await;
        let mut seen = Vec::new();
        for country in ["CZ", "SK", "DE", "AT"] {
            let fan = app.new_user(&format!("fan-{country}")).await;
            let invoice = buy(&app, &fan, &shop, serde_json::json!({"country": country.to_lowercase()})).await;
            assert_eq!(invoice["net"].as_i64().unwrap() + invoice["vat"].as_i64().unwrap(), 9_900, "{invoice}");
            assert_eq!((invoice["total"].as_i64(), invoice["buyer_country"].as_str()), (Some(9_900), Some(country)));
            assert_eq!(invoice["evidence"], "single", "the stated country, nothing against it");
            seen.push((country, invoice["vat_rate"].as_str().unwrap().to_owned(), invoice["vat"].as_i64().unwrap(), invoice["scheme"].as_str().unwrap().to_owned()));
        }
        assert_eq!(
            seen,
            [
                ("CZ", "21".to_owned(), 1_718, "domestic".to_owned()),
                ("SK", "23".to_owned(), 1_851, "oss".to_owned()),
                ("DE", "19".to_owned(), 1_581, "oss".to_owned()),
                ("AT", "20".to_owned(), 1_650, "oss".to_owned()),
            ]
        );
        // no country stated: the seller's, and the document says nothing supported it
        let quiet = app.new_user("quiet").await;
        let invoice = buy(&app, &quiet, &shop, serde_json::json!({})).await;
        assert_eq!((invoice["buyer_country"].as_str(), invoice["evidence"].as_str()), (Some("CZ"), Some("none")));
        // outside the EU: no EU VAT
        let far = app.new_user("far").await;
        let invoice = buy(&app, &far, &shop, serde_json::json!({"country": "US"})).await;
        assert_eq!((invoice["scheme"].as_str(), invoice["vat"].as_i64()), (Some("outside_eu"), Some(0)));
        // a country that cannot be billed is named, and nothing is started
        let wrong = app.new_user("wrong").await;
        let (status, body) = checkout_as(&app, &wrong, &shop, serde_json::json!({"country": "Atlantis"})).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["fields"][0]["field"], "country", "{body}");
        assert_eq!(app.count("SELECT COUNT(*) FROM checkouts").await, 6);
        app.stop().await;
    }
}

both_backends! {
    async fn a_business_abroad_confirmed_by_vies_is_reverse_charged_and_one_vies_does_not_answer_for_pays_vat(backend: TestBackend) {
        let vies = patron_testkit::vies::FakeVies::start().await;
        vies.register_business("DE123456789", "Beispiel GmbH");
        let url = vies.url();
        let rates = patron_testkit::rates::FakeRates::start().await;
        let quarter = patron_domain::exchange::Quarter::of(patron_domain::document::supply_day(patron_domain::Timestamp::now(), "CZ"));
        rates.set_ecb_day(&quarter.last_day().to_string(), &[("CZK", "25.125")]);
        let eur_url = rates.eur_url();
        let mut settings = SELLER.to_vec();
        settings.extend([("PATRON_VIES_URL", url.as_str()), ("PATRON_VIES_TIMEOUT", "500ms"), ("PATRON_EUR_RATES_URL", eur_url.as_str()), ("PATRON_LOGIN_MAX_ATTEMPTS_PER_IP", "100")]);
        let (app, _db) = spawn_app_with(backend, &settings).await;
        let shop = shop(&app).await;

        let company = app.new_user("company").await;
        let business = serde_json::json!({"country": "DE", "company_name": "Beispiel GmbH", "vat_id": "de 123 456 789"});
        let invoice = buy(&app, &company, &shop, business).await;
        assert_eq!((invoice["scheme"].as_str(), invoice["vat"].as_i64(), invoice["net"].as_i64()), (Some("reverse_charge"), Some(0), Some(9_900)));
        assert_eq!((invoice["buyer_vat_id"].as_str(), invoice["buyer_company"].as_str()), (Some("DE123456789"), Some("Beispiel GmbH")));
        assert_eq!(invoice["vat_id_status"], "confirmed");
        // a business at home pays VAT whatever VIES says: it is not asked
        let czech = app.new_user("czech").await;
        let home = buy(&app, &czech, &shop, serde_json::json!({"country": "CZ", "company_name": "Firma s.r.o.", "vat_id": "CZ87654321"})).await;
        assert_eq!((home["scheme"].as_str(), home["vat"].as_i64(), home["buyer_vat_id"].as_str()), (Some("domestic"), Some(1_718), Some("CZ87654321")));
        assert_eq!(vies.asked(), ["DE123456789"]);
        let client = browser_for(&app, &company).await;
        let html = client.get(app.url(&format!("/account/documents/{}", invoice["id"].as_str().unwrap()))).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Beispiel GmbH") && html.contains("DE123456789") && html.contains("Reverse charge"), "{html}");

        // refused by VIES: the fan is told, nothing is started
        let unknown = app.new_user("unknown").await;
        let claim = serde_json::json!({"country": "DE", "company_name": "Nicht GmbH", "vat_id": "DE999999999"});
        let (status, body) = checkout_as(&app, &unknown, &shop, claim).await;
        assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (422, Some("vat_id")), "{body}");
        let elsewhere = serde_json::json!({"country": "AT", "company_name": "Beispiel GmbH", "vat_id": "DE123456789"});
        let (status, body) = checkout_as(&app, &unknown, &shop, elsewhere).await;
        assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (422, Some("vat_id")), "an ID of another country: {body}");

        // VIES too slow: VAT is charged, and the ID is asked again later
        vies.register_business("DE111111111", "Langsam GmbH");
        vies.set_delay(std::time::Duration::from_secs(3));
        let slow = app.new_user("slow").await;
        let started = std::time::Instant::now();
        let invoice = buy(&app, &slow, &shop, serde_json::json!({"country": "DE", "company_name": "Langsam GmbH", "vat_id": "DE111111111"})).await;
        assert!(started.elapsed() < std::time::Duration::from_secs(3), "the checkout did not wait for VIES");
        assert_eq!((invoice["scheme"].as_str(), invoice["vat"].as_i64()), (Some("oss"), Some(1_581)));
        assert_eq!(invoice["vat_id_status"], "unverified", "flagged for a re-check");
        let profile: String = sqlx::query_scalar("SELECT id FROM billing_profiles WHERE vat_id = 'DE111111111'")
            .fetch_one(app.state.app.db.pool())
            .await
            .unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'vat-id-check'").await, 1);
        let admin = make_admin(&app).await;
        let (status, report) = oss_report(&app, &admin, &quarter.to_text()).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["flagged"].as_array().unwrap().len(), 1, "{report}");
        assert_eq!((report["flagged"][0]["number"].as_str(), report["flagged"][0]["reason"].as_str()), (invoice["number"].as_str(), Some("unverified")));
        assert_eq!(report["flagged"][0]["evidence"], "DE/-/-");
        vies.set_delay(std::time::Duration::ZERO);
        let answer = app.state.app.payments.recheck_vat_id(&app.state.app.db, profile.parse().unwrap()).await.unwrap();
        assert_eq!(answer, Some(patron_payments::ViesAnswer::Valid));
        let status: String = sqlx::query_scalar("SELECT vat_id_status FROM billing_profiles WHERE vat_id = 'DE111111111'")
            .fetch_one(app.state.app.db.pool())
            .await
            .unwrap();
        assert_eq!(status, "confirmed", "the membership's next payments are reverse-charged");
        app.stop().await;
    }
}

both_backends! {
    async fn the_join_form_offers_the_country_the_browser_suggests_and_bills_the_one_chosen(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &SELLER).await;
        let shop = shop(&app).await;
        let fan = app.new_user("fan").await;
        let client = browser_for(&app, &fan).await;
        let page = |language: &'static str| {
            // the checkout summary asks for the billing details
            client.get(app.url(&format!("/{}/join?tier_id={}", shop.slug, shop.tier))).header("accept-language", language).send()
        };
        let html = page("de-AT,de;q=0.9").await.unwrap().text().await.unwrap();
        assert!(html.contains("<option value=\"AT\" selected>Rakousko</option>") || html.contains("<option value=\"AT\" selected>Austria</option>"), "{html}");
        let html = page("cs").await.unwrap().text().await.unwrap();
        assert!(html.contains("<option value=\"CZ\" selected>"), "{html}");
        assert!(html.find("value=\"CZ\"").unwrap() < html.find("value=\"DK\"").unwrap(), "Česko before Dánsko in Czech");
        let token = csrf_from_page(&html);
        let response = client
            .post(app.url(&format!("/{}/join", shop.slug)))
            .form(&[("csrf_token", token.as_str()), ("tier_id", shop.tier.as_str()), ("country", "SK"), ("company_name", ""), ("vat_id", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        let pay_page = crate::payments::local(response.headers()["location"].to_str().unwrap());
        app.deliver(&app.sandbox(&pay_page, "approve").await).await;
        let list = documents(&app, &fan).await;
        assert_eq!((list[0]["buyer_country"].as_str(), list[0]["vat_rate"].as_str()), (Some("SK"), Some("23")));
        app.stop().await;
    }
}

async fn oss_report(app: &TestApp, admin: &Fan, quarter: &str) -> (u16, Value) {
    app.call(Method::GET, &format!("/api/v1/admin/reports/oss?quarter={quarter}"), Some(&admin.token), None).await
}

async fn make_admin(app: &TestApp) -> Fan {
    let admin = app.new_user("admin").await;
    let email = patron_domain::account::Email::parse(&admin.email).unwrap();
    patron_store::users::set_platform_admin(app.state.app.db.pool(), &email, true).await.unwrap();
    admin
}

both_backends! {
    async fn the_oss_return_is_the_sum_of_the_quarters_documents_per_country_and_rate_in_euro(backend: TestBackend) {
        let rates = patron_testkit::rates::FakeRates::start().await;
        let today = patron_domain::document::supply_day(patron_domain::Timestamp::now(), "CZ");
        let quarter = patron_domain::exchange::Quarter::of(today);
        rates.set_ecb_day(&quarter.last_day().to_string(), &[("CZK", "25.125")]);
        let (czk_url, eur_url) = (rates.czk_url(), rates.eur_url());
        let mut settings = SELLER.to_vec();
        settings.extend([("PATRON_CZK_RATES_URL", czk_url.as_str()), ("PATRON_EUR_RATES_URL", eur_url.as_str()), ("PATRON_LOGIN_MAX_ATTEMPTS_PER_IP", "100")]);
        let (app, _db) = spawn_app_with(backend, &settings).await;
        let shop = shop(&app).await;
        for country in ["SK", "DE", "DE", "AT", "CZ"] {
            let fan = app.new_user(&format!("fan-{country}")).await;
            buy(&app, &fan, &shop, serde_json::json!({"country": country})).await;
        }
        let admin = make_admin(&app).await;
        // one German payment refunded: its credit note lowers the quarter
        let (_, payments) = app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        let german: String = sqlx::query_scalar("SELECT payment_id FROM tax_documents WHERE buyer_country = 'DE' ORDER BY number LIMIT 1")
            .fetch_one(app.state.app.db.pool())
            .await
            .unwrap();
        assert!(payments["payments"].as_array().unwrap().iter().any(|p| p["id"] == german.as_str()));
        let refund = format!("/api/v1/admin/payments/{german}/refund");
        assert_eq!(app.call(Method::POST, &refund, Some(&admin.token), None).await.0, 200);

        // the books owe the tax authority the documents' VAT, and the team is split the rest
        let vat: i64 = sqlx::query_scalar("SELECT CAST(SUM(vat) AS BIGINT) FROM tax_documents")
            .fetch_one(app.state.app.db.pool())
            .await
            .unwrap();
        let (_, books) = app.call(Method::GET, "/api/v1/admin/books", Some(&admin.token), None).await;
        let czk = books.as_array().unwrap().iter().find(|b| b["currency"] == "CZK").unwrap();
        assert_eq!(czk["vat_owed"].as_i64(), Some(vat), "{books}");
        assert_eq!(vat, 1_851 + 1_581 + 1_650 + 1_718, "four payments' VAT, the refunded one's given back");
        let value = |field: &str| czk[field].as_i64().unwrap();
        assert_eq!(
            value("held") + value("disputed") + value("gateway_fees"),
            value("platform_fees") + value("owed_to_creators") + value("in_transit") + value("vat_owed"),
            "the books balance: {books}"
        );
        assert_eq!(value("owed_to_creators"), 8_049 + 8_319 + 8_250 + 8_182, "the team is owed the prices without VAT");

        let (status, report) = oss_report(&app, &admin, &quarter.to_text()).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["rate_day"], quarter.last_day().to_string());
        // every line is the sum of its documents
        let sums: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT buyer_country, rate_bp, CAST(SUM(net) AS BIGINT), CAST(SUM(vat) AS BIGINT), CAST(COUNT(*) AS BIGINT) \
             FROM tax_documents WHERE scheme = 'oss' GROUP BY buyer_country, rate_bp ORDER BY buyer_country",
        )
        .fetch_all(app.state.app.db.pool())
        .await
        .unwrap();
        let lines: Vec<(String, i64, i64, i64)> = report["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["country"].as_str().unwrap().to_owned(), l["taxable"].as_i64().unwrap(), l["vat"].as_i64().unwrap(), l["documents"].as_i64().unwrap()))
            .collect();
        assert_eq!(lines, sums.iter().map(|(c, _, net, vat, n)| (c.clone(), *net, *vat, *n)).collect::<Vec<_>>());
        assert_eq!(lines, [("AT".to_owned(), 8_250, 1_650, 1), ("DE".to_owned(), 8_319, 1_581, 3), ("SK".to_owned(), 8_049, 1_851, 1)]);
        let german_line = &report["lines"][1];
        assert_eq!((german_line["rate"].as_str(), german_line["eur_rate"].as_str()), (Some("19"), Some("25.125")));
        assert_eq!((german_line["taxable_eur"].as_i64(), german_line["vat_eur"].as_i64()), (Some(331), Some(63)), "83.19 / 25.125 and 15.81 / 25.125");
        let total: i64 = report["lines"].as_array().unwrap().iter().map(|l| l["vat_eur"].as_i64().unwrap()).sum();
        assert_eq!(report["total_vat_eur"].as_i64(), Some(total));
        assert_eq!(report["domestic"][0]["rate"], "21");
        assert_eq!((report["domestic"][0]["taxable"].as_i64(), report["domestic"][0]["vat"].as_i64()), (Some(8_182), Some(1_718)));

        let (status, _) = app.call(Method::GET, &format!("/api/v1/admin/reports/oss.csv?quarter={}", quarter.to_text()), Some(&admin.token), None).await;
        assert_eq!(status, 200);
        let csv = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/admin/reports/oss.csv?quarter={}", quarter.to_text())))
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.contains(&format!("{},oss,DE,19,CZK,83.19,15.81,25.125,3.31,0.63,3", quarter.to_text())), "{csv}");
        assert!(csv.contains(&format!("{},domestic,CZ,21,CZK,81.82,17.18,,,,1", quarter.to_text())), "{csv}");
        let client = browser_for(&app, &admin).await;
        let html = client.get(app.url(&format!("/admin/reports/oss?quarter={}", quarter.to_text()))).send().await.unwrap().text().await.unwrap();
        assert_eq!(html.matches("data-testid=\"oss-line\"").count(), 3, "{html}");

        // not for fans, and a quarter must be one
        let fan = app.new_user("nosy").await;
        assert_eq!(oss_report(&app, &fan, &quarter.to_text()).await.0, 403);
        let (status, body) = oss_report(&app, &admin, "2026-Q5").await;
        assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (422, Some("quarter")), "{body}");
        app.stop().await;
    }
}

both_backends! {
    async fn a_document_in_euro_states_its_vat_in_czech_crowns_at_the_cnb_rate_and_an_unregistered_seller_has_no_oss_return(backend: TestBackend) {
        let rates = patron_testkit::rates::FakeRates::start().await;
        let czk_url = rates.czk_url();
        let mut settings = SELLER.to_vec();
        settings.push(("PATRON_CZK_RATES_URL", czk_url.as_str()));
        let (app, _db) = spawn_app_with(backend, &settings).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Euro").await;
        let (status, tier) = app
            .call(Method::POST, &format!("/api/v1/creators/{slug}/tiers"), Some(&owner.token), Some(serde_json::json!({"name": "Euro", "monthly_price": 500, "currency": "EUR"})))
            .await;
        assert_eq!(status, 201, "{tier}");
        let shop = crate::payments::Shop::of(owner, slug, tier["id"].as_str().unwrap().to_owned());
        let fan = app.new_user("fan").await;
        let invoice = buy(&app, &fan, &shop, serde_json::json!({"country": "DE"})).await;
        assert_eq!((invoice["currency"].as_str(), invoice["vat"].as_i64()), (Some("EUR"), Some(80)), "5 EUR × 19/119 = 0.80");
        assert_eq!(invoice["vat_czk"].as_i64(), Some(2_010), "0.80 EUR × 25.125");
        assert!(invoice["czk_rate"].as_str().unwrap().starts_with("25.125 CZK/EUR"), "{invoice}");
        assert_eq!(rates.reads("cnb"), 1);
        app.stop().await;

        let (app, _db) = spawn_app_with(backend, &[("PATRON_PAYMENT_SANDBOX", "true")]).await;
        let admin = make_admin(&app).await;
        let (status, body) = oss_report(&app, &admin, "2026-Q4").await;
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("not_vat_registered")), "{body}");
        app.stop().await;
    }
}

/// The text of a PDF's first page, as a PDF reader extracts it.
fn pdf_text(bytes: &[u8]) -> String {
    let pdf = lopdf::Document::load_mem(bytes).expect("a PDF that parses");
    let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
    assert_eq!(pages.len(), 1, "one page");
    pdf.extract_text(&pages).expect("its text")
}

both_backends! {
    async fn the_invoice_and_the_credit_note_are_pdfs_with_their_number_total_and_vat(backend: TestBackend) {
        let mut settings = SELLER.to_vec();
        settings.push(("PATRON_LOGIN_MAX_ATTEMPTS_PER_IP", "100"));
        let (app, _db) = spawn_app_with(backend, &settings).await;
        let shop = shop(&app).await;
        let fan = app.new_user("fan").await;
        let invoice = buy(&app, &fan, &shop, serde_json::json!({"country": "SK"})).await;
        let client = browser_for(&app, &fan).await;
        let pdf_of = |id: &str, language: &'static str| {
            client.get(app.url(&format!("/account/documents/{id}/pdf"))).header("accept-language", language).send()
        };
        let response = pdf_of(invoice["id"].as_str().unwrap(), "cs").await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let number = invoice["number"].as_str().unwrap();
        assert_eq!(response.headers()["content-disposition"], format!("attachment; filename=\"{number}.pdf\"").as_str());
        let text = pdf_text(&response.bytes().await.unwrap());
        for expected in [number, "99\u{a0}Kč", "18,51\u{a0}Kč", "80,49\u{a0}Kč", "23 %", "Platforma s.r.o.", "DIČ: CZ12345678", "Slovensko"] {
            assert!(text.contains(expected), "{expected:?} in the PDF's text: {text}");
        }
        assert!(text.contains("Faktura") && text.contains("daňový doklad"), "in the fan's language: {text}");
        let api = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/me/tax-documents/{}/pdf", invoice["id"].as_str().unwrap())))
            .bearer_auth(&fan.token)
            .header("accept-language", "en")
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 200);
        let text = pdf_text(&api.bytes().await.unwrap());
        assert!(text.contains("Invoice") && text.contains(number) && text.contains("Slovakia"), "{text}");

        let admin = make_admin(&app).await;
        let refund = format!("/api/v1/admin/payments/{}/refund", invoice["payment_id"].as_str().unwrap());
        assert_eq!(app.call(Method::POST, &refund, Some(&admin.token), None).await.0, 200);
        let list = documents(&app, &fan).await;
        let note = list.iter().find(|d| d["kind"] == "credit_note").unwrap();
        let text = pdf_text(&pdf_of(note["id"].as_str().unwrap(), "en").await.unwrap().bytes().await.unwrap());
        for expected in ["Credit note", note["number"].as_str().unwrap(), number, "-99\u{a0}Kč", "-18.51\u{a0}Kč"] {
            assert!(text.contains(expected), "{expected:?} in the credit note's text: {text}");
        }
        let stranger = app.new_user("stranger").await;
        let other = browser_for(&app, &stranger).await;
        let response = other.get(app.url(&format!("/account/documents/{}/pdf", invoice["id"].as_str().unwrap()))).send().await.unwrap();
        assert_eq!(response.status(), 404, "the buyer's only");
        app.stop().await;
    }
}

both_backends! {
    async fn the_studio_lists_its_pages_documents_and_a_fan_gets_a_statement_of_the_year(backend: TestBackend) {
        let mut settings = SELLER.to_vec();
        settings.push(("PATRON_LOGIN_MAX_ATTEMPTS_PER_IP", "100"));
        let (app, _db) = spawn_app_with(backend, &settings).await;
        let steaks = shop(&app).await;
        let other_owner = app.new_user("baker").await;
        let bakery_slug = app.create_creator(&other_owner, "Bakery").await;
        let bakery_tier = app.create_tier(&other_owner, &bakery_slug, "Rohlík", 9_900).await;
        let bakery = crate::payments::Shop::of(other_owner, bakery_slug, bakery_tier);
        let fan = app.new_user("fan").await;
        let first = buy(&app, &fan, &steaks, serde_json::json!({"country": "SK"})).await;
        let (status, body) = checkout_as(&app, &fan, &bakery, serde_json::json!({"country": "SK"})).await;
        assert_eq!(status, 201, "{body}");
        let pay_page = crate::payments::local(body["redirect_url"].as_str().unwrap());
        app.deliver(&app.sandbox(&pay_page, "approve").await).await;

        // the page's team sees its page's documents only; a fan none
        let path = format!("/api/v1/creators/{}/tax-documents", steaks.slug);
        let (status, list) = app.call(Method::GET, &path, Some(&steaks.owner.token), None).await;
        assert_eq!(status, 200, "{list}");
        let numbers: Vec<&str> = list["documents"].as_array().unwrap().iter().map(|d| d["number"].as_str().unwrap()).collect();
        assert_eq!(numbers, [first["number"].as_str().unwrap()]);
        assert_eq!(app.call(Method::GET, &path, Some(&fan.token), None).await.0, 403);
        let owner = browser_for(&app, &steaks.owner).await;
        let html = owner.get(app.url(&format!("/studio/{}/documents", steaks.slug))).send().await.unwrap().text().await.unwrap();
        assert_eq!(html.matches("data-testid=\"studio-document-row\"").count(), 1, "{html}");
        assert!(html.contains("18.51\u{a0}Kč") && html.contains("Test Fan"), "{html}");

        // the fan's year: both payments, one statement, as a page and a PDF
        let client = browser_for(&app, &fan).await;
        let year = year();
        let html = client.get(app.url("/account/documents")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(&format!("href=\"/account/documents/year/{year}\"")), "{html}");
        let html = client.get(app.url(&format!("/account/documents/year/{year}"))).send().await.unwrap().text().await.unwrap();
        assert_eq!(html.matches("data-testid=\"year-row\"").count(), 2, "{html}");
        assert!(html.contains("198\u{a0}Kč") && html.contains("37.02\u{a0}Kč"), "the year's total and VAT: {html}");
        let response = client.get(app.url(&format!("/account/documents/year/{year}/pdf"))).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let text = pdf_text(&response.bytes().await.unwrap());
        let all: Vec<String> = documents(&app, &fan).await.iter().map(|d| d["number"].as_str().unwrap().to_owned()).collect();
        for expected in [all[0].as_str(), all[1].as_str(), "198\u{a0}Kč", "37.02\u{a0}Kč", "Bakery"] {
            assert!(text.contains(expected), "{expected:?} in the statement: {text}");
        }
        let response = client.get(app.url("/account/documents/year/soon")).send().await.unwrap();
        assert_eq!(response.status(), 422, "a year that is none is named");
        app.stop().await;
    }
}

both_backends! {
    async fn the_ip_addresss_country_is_evidence_and_a_disagreement_is_flagged(backend: TestBackend) {
        let database = tempfile::NamedTempFile::new().unwrap();
        let bytes = patron_testkit::geoip::country_database(&[(std::net::Ipv4Addr::new(127, 0, 0, 0), 8, "AT")]);
        std::fs::write(database.path(), bytes).unwrap();
        let path = database.path().display().to_string();
        let mut settings = SELLER.to_vec();
        settings.extend([("PATRON_GEOIP_DB", path.as_str()), ("PATRON_LOGIN_MAX_ATTEMPTS_PER_IP", "100")]);
        let (app, _db) = spawn_app_with(backend, &settings).await;
        let shop = shop(&app).await;
        let austrian = app.new_user("austrian").await;
        let invoice = buy(&app, &austrian, &shop, serde_json::json!({"country": "AT"})).await;
        assert_eq!((invoice["evidence"].as_str(), invoice["vat_rate"].as_str()), (Some("agreed"), Some("20")), "{invoice}");
        let german = app.new_user("german").await;
        let invoice = buy(&app, &german, &shop, serde_json::json!({"country": "DE"})).await;
        assert_eq!((invoice["evidence"].as_str(), invoice["buyer_country"].as_str()), (Some("conflict"), Some("DE")), "one piece against the statement: flagged, the statement stands: {invoice}");
        let quiet = app.new_user("quiet").await;
        let invoice = buy(&app, &quiet, &shop, serde_json::json!({})).await;
        assert_eq!((invoice["evidence"].as_str(), invoice["buyer_country"].as_str()), (Some("single"), Some("AT")), "{invoice}");
        app.stop().await;
    }
}
