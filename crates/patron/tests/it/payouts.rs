//! Money to creators, a simulated month: a hundred payments across three tiers, the platform's
//! fee and a 50/30/20 split, a refund and a lost dispute, bank accounts, the payouts job after
//! the hold, the bank file validated against the pain.001.001.03 schema, and the bank's answer.

use crate::both_backends;
use crate::earnings::join_team;
use crate::helpers::*;
use patron_domain::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

const PRICES: [i64; 3] = [5_900, 9_900, 19_900];

/// The test's own arithmetic: 10 % to the platform, the rest 50/30/20 (exact for these prices).
fn parts(amount: i64) -> [i64; 3] {
    let rest = amount - amount / 10;
    assert_eq!(rest % 10, 0, "the prices divide exactly");
    [rest / 2, rest * 3 / 10, rest / 5]
}

/// Validates a bank file with the pain.001.001.03 schema (scripts/pain001-validate).
fn validate_pain001(xml: &str) {
    let dir = std::env::temp_dir().join(format!("patron-pain001-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("batch.xml");
    std::fs::write(&file, xml).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pain001-validate");
    let output = std::process::Command::new(script).arg(&file).output().expect("scripts/pain001-validate runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "the payout file is not valid pain.001.001.03:\n{}\n{}\n{xml}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The text of the only `<tag>` inside `within`.
fn element<'a>(within: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}");
    let start = within.find(&open).unwrap_or_else(|| panic!("no <{tag}> in {within}"));
    let after = &within[start..];
    let content = &after[after.find('>').unwrap() + 1..];
    &content[..content.find(&format!("</{tag}>")).unwrap()]
}

async fn earnings_of(app: &TestApp, owner: &Fan, slug: &str) -> HashMap<String, Value> {
    let (status, body) =
        app.call(Method::GET, &format!("/api/v1/creators/{slug}/earnings"), Some(&owner.token), None).await;
    assert_eq!(status, 200, "{body}");
    body["members"].as_array().unwrap().iter().map(|m| (m["user_id"].as_str().unwrap().to_owned(), m.clone())).collect()
}

/// Waits until the `gateway-fee` jobs have posted `count` fees.
async fn wait_for_gateway_fees(app: &TestApp, count: i64) {
    for _ in 0..200 {
        if app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'gateway_fee'").await >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the gateway-fee jobs did not post {count} fees in 10 s");
}

async fn posting_sum(app: &TestApp, account: &str) -> i64 {
    let sql =
        format!("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger_postings WHERE account = '{account}'");
    app.count(&sql).await
}

both_backends! {
    async fn a_month_of_payments_is_split_to_the_haler_and_paid_out_as_a_valid_bank_file(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &[
            ("PATRON_PAYMENT_SANDBOX", "true"),
            ("PATRON_PLATFORM_FEE", "10"),
            ("PATRON_PAYOUT_IBAN", "CZ65 0800 0000 1920 0014 5399"),
            ("PATRON_PAYOUT_NAME", "Platforma s.r.o."),
            ("PATRON_PAYOUT_MINIMUM", "100 CZK"),
            ("PATRON_PAYOUT_HOLD", "7d"),
            // a hundred fans sign up from one address
            ("PATRON_LOGIN_MAX_ATTEMPTS_PER_IP", "1000"),
        ]).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Gordíkey").await;
        let mut tiers = Vec::new();
        for (name, price) in ["Na granulkey", "Na steaky", "Na hračky"].iter().zip(PRICES) {
            tiers.push(app.create_tier(&owner, &slug, name, price).await);
        }
        let (jana, petr) = (app.new_user("jana").await, app.new_user("petr").await);
        join_team(&app, &owner, &slug, &jana).await;
        join_team(&app, &owner, &slug, &petr).await;
        let shares = json!({"shares": [{"user_id": jana.id, "percent": "30"}, {"user_id": petr.id, "percent": "20"}]});
        let (status, body) = app.call(Method::PUT, &format!("/api/v1/creators/{slug}/shares"), Some(&owner.token), Some(shares)).await;
        assert_eq!(status, 200, "{body}");

        // a hundred fans pay for a tier each: 59, 99 or 199 Kč
        let mut paid = 0;
        for i in 0..100 {
            let fan = app.new_user("fan").await;
            let (status, body) = app
                .call(Method::POST, &format!("/api/v1/creators/{slug}/checkouts"), Some(&fan.token), Some(json!({"tier_id": tiers[i % 3]})))
                .await;
            assert_eq!(status, 201, "{body}");
            let pay_page = body["redirect_url"].as_str().unwrap().to_owned();
            let pay_page = if pay_page.starts_with('/') { pay_page } else { url::Url::parse(&pay_page).unwrap().path().to_owned() };
            app.deliver(&app.sandbox(&pay_page, "approve").await).await;
            paid += PRICES[i % 3];
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'payment'").await, 100);

        // one payment refunded, one lost in a dispute: their postings undone, split included
        let admin = app.new_user("admin").await;
        let email = patron_domain::account::Email::parse(&admin.email).unwrap();
        patron_store::users::set_platform_admin(app.state.app.db.pool(), &email, true).await.unwrap();
        let (_, list) = app.call(Method::GET, "/api/v1/admin/payments", Some(&admin.token), None).await;
        let payments = list["payments"].as_array().unwrap();
        let (refunded, disputed) = (&payments[0], &payments[1]);
        let path = |p: &Value, what: &str| format!("/api/v1/admin/payments/{}/{what}", p["id"].as_str().unwrap());
        let (status, body) = app.call(Method::POST, &path(refunded, "refund"), Some(&admin.token), None).await;
        assert_eq!(status, 200, "{body}");
        for step in ["open", "lost"] {
            let (status, body) = app.call(Method::POST, &path(disputed, "dispute"), Some(&admin.token), Some(json!({"status": step}))).await;
            assert_eq!(status, 200, "{body}");
        }
        let undone = [refunded["amount"].as_i64().unwrap(), disputed["amount"].as_i64().unwrap()];
        let kept = paid - undone.iter().sum::<i64>();

        // every balance exact to the haléř: each kept payment's parts, added up by the test
        let mut expected = [0_i64; 3];
        let mut fees = 0;
        for i in 0..100 {
            for (total, part) in expected.iter_mut().zip(parts(PRICES[i % 3])) {
                *total += part;
            }
            fees += PRICES[i % 3] / 10;
        }
        for amount in undone {
            for (total, part) in expected.iter_mut().zip(parts(amount)) {
                *total -= part;
            }
            fees -= amount / 10;
        }
        assert_eq!(expected.iter().sum::<i64>() + fees, kept, "the parts add up to what was paid");
        assert_eq!(app.count("SELECT COUNT(*) FROM (SELECT entry_id FROM ledger_postings GROUP BY entry_id HAVING SUM(amount) <> 0) t").await, 0);
        assert_eq!(posting_sum(&app, "platform_fees").await, -fees);
        // the sandbox reports its 1.5 % on every payment, refunded or not; a job posts it
        let gateway: i64 = (0..100).map(|i| (PRICES[i % 3] * 150 + 5_000) / 10_000).sum();
        wait_for_gateway_fees(&app, 100).await;
        assert_eq!(posting_sum(&app, "gateway_fees").await, gateway);
        assert_eq!(posting_sum(&app, "clearing").await, kept - gateway);
        let members = [&owner, &jana, &petr];
        let earnings = earnings_of(&app, &owner, &slug).await;
        for (member, want) in members.iter().zip(expected) {
            let row = &earnings[&member.id];
            assert_eq!(row["balance"].as_i64(), Some(want), "{row}");
            assert_eq!((row["available"].as_i64(), row["pending"].as_i64()), (Some(0), Some(want)), "held for 7 days: {row}");
        }

        // bank accounts: private, checked, bad input changes nothing
        let account = "/api/v1/me/bank-account";
        for (body, field) in [
            (json!({"holder": "Jana", "iban": "CZ66 0800 0000 1920 0014 5399"}), "iban"),
            (json!({"holder": "Jana", "iban": "19-2000145398/0800"}), "iban"),
            (json!({"holder": " ", "iban": "CZ79 0800 0000 0020 0014 5399"}), "holder"),
        ] {
            let (status, answer) = app.call(Method::PUT, account, Some(&jana.token), Some(body)).await;
            assert_eq!((status, answer["error"]["fields"][0]["field"].as_str()), (422, Some(field)), "{answer}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM payee_accounts").await, 0, "nothing changed");
        let (status, mine) = app.call(Method::PUT, account, Some(&owner.token), Some(json!({"holder": "Gordíkey s.r.o.", "iban": "19-2000145399/0800"}))).await;
        assert_eq!((status, mine["iban"].as_str()), (200, Some("CZ65 0800 0000 1920 0014 5399")), "a Czech account becomes its IBAN");
        let (status, _) = app.call(Method::PUT, account, Some(&jana.token), Some(json!({"holder": "Jana Nováková", "iban": "CZ79 0800 0000 0020 0014 5399"}))).await;
        assert_eq!(status, 200);
        let (status, _) = app.call(Method::GET, account, Some(&petr.token), None).await;
        assert_eq!(status, 404, "petr gives none");
        let theirs = format!("/api/v1/admin/users/{}/bank-account", jana.id);
        let (status, _) = app.call(Method::GET, &theirs, Some(&petr.token), None).await;
        assert_eq!(status, 403, "private");
        let (status, seen) = app.call(Method::GET, &theirs, Some(&admin.token), None).await;
        assert_eq!((status, seen["holder"].as_str()), (200, Some("Jana Nováková")));
        let audit = patron_store::audit::entries(app.state.app.db.pool(), 1).await.unwrap();
        assert_eq!((audit[0].1.as_str(), audit[0].2.clone()), ("bank_account.view", format!("user:{}", jana.id)), "an admin's look is logged");

        // today the hold keeps everything back
        let (status, run) = app.call(Method::POST, "/api/v1/admin/payouts/run", Some(&admin.token), None).await;
        assert_eq!((status, run["payouts"].as_i64()), (200, Some(0)), "{run}");

        // eight days on, the payouts job pays who gave an account and tells who did not
        let later = Timestamp::now().plus(Duration::from_secs(8 * 86_400));
        let run = app.state.app.payments.pay_out(&app.state.app.db, later).await.unwrap();
        assert_eq!((run.payouts, run.without_account, run.batches.len()), (2, 1, 1), "{run:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'email:payout-needs-account:%'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'email:payout-statement:%'").await, 2);
        let (_, batches) = app.call(Method::GET, "/api/v1/admin/payouts", Some(&admin.token), None).await;
        let batch = &batches["batches"][0];
        assert_eq!((batch["currency"].as_str(), batch["total"].as_i64(), batch["count"].as_i64()), (Some("CZK"), Some(expected[0] + expected[1]), Some(2)), "{batch}");
        let batch_id = batch["id"].as_str().unwrap().to_owned();
        let (status, detail) = app.call(Method::GET, &format!("/api/v1/admin/payouts/{batch_id}"), Some(&admin.token), None).await;
        assert_eq!(status, 200, "{detail}");
        let items = detail["payouts"].as_array().unwrap();
        let item_of = |user: &Fan| items.iter().find(|p| p["user_id"] == user.id.as_str()).unwrap().clone();
        assert_eq!(item_of(&owner)["amount"].as_i64(), Some(expected[0]));
        assert_eq!(item_of(&jana)["amount"].as_i64(), Some(expected[1]));

        // the bank file: valid pain.001.001.03, one transfer per payee, the control sum the total
        let (status, _) = app.call(Method::GET, &format!("/api/v1/admin/payouts/{batch_id}/file"), Some(&jana.token), None).await;
        assert_eq!(status, 403);
        let response = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/admin/payouts/{batch_id}/file")))
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-disposition"].to_str().unwrap().contains(".xml"));
        let xml = response.text().await.unwrap();
        validate_pain001(&xml);
        let decimal = |minor: i64| format!("{}.{:02}", minor / 100, minor % 100);
        assert_eq!(element(&xml, "NbOfTxs"), "2");
        assert_eq!(element(&xml, "CtrlSum"), decimal(expected[0] + expected[1]));
        assert_eq!(element(element(&xml, "DbtrAcct"), "IBAN"), "CZ6508000000192000145399");
        let transfers: Vec<&str> = xml.split("<CdtTrfTxInf>").skip(1).collect();
        assert_eq!(transfers.len(), 2);
        for (iban, amount, holder) in [
            ("CZ6508000000192000145399", expected[0], "Gordíkey s.r.o."),
            ("CZ7908000000002000145399", expected[1], "Jana Nováková"),
        ] {
            let transfer = transfers.iter().find(|t| element(t, "IBAN") == iban).unwrap_or_else(|| panic!("no transfer to {iban}"));
            assert_eq!(element(transfer, "InstdAmt"), decimal(amount));
            assert_eq!(element(element(transfer, "Cdtr"), "Nm"), holder);
        }

        // the bank refuses jana's transfer; the rest is sent
        let failed = format!("/api/v1/admin/payouts/{batch_id}/payouts/{}/failed", item_of(&jana)["id"].as_str().unwrap());
        let (status, body) = app.call(Method::POST, &failed, Some(&admin.token), Some(json!({"reason": " "}))).await;
        assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (422, Some("reason")), "{body}");
        let (status, body) = app.call(Method::POST, &failed, Some(&admin.token), Some(json!({"reason": "account closed"}))).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("failed")), "{body}");
        let sent = format!("/api/v1/admin/payouts/{batch_id}/sent");
        let (status, body) = app.call(Method::POST, &sent, Some(&admin.token), None).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("sent")), "{body}");
        let (status, _) = app.call(Method::POST, &sent, Some(&admin.token), None).await;
        assert_eq!(status, 409, "once");

        let earnings = earnings_of(&app, &owner, &slug).await;
        let owner_row = &earnings[&owner.id];
        assert_eq!((owner_row["balance"].as_i64(), owner_row["paid_out"].as_i64()), (Some(0), Some(expected[0])), "{owner_row}");
        let jana_row = &earnings[&jana.id];
        assert_eq!((jana_row["balance"].as_i64(), jana_row["paid_out"].as_i64()), (Some(expected[1]), Some(0)), "her money is hers again");
        assert_eq!(posting_sum(&app, "in_transit").await, 0);
        assert_eq!(posting_sum(&app, "clearing").await, kept - gateway - expected[0], "what the bank paid left");
        let (status, books) = app.call(Method::GET, "/api/v1/admin/books", Some(&admin.token), None).await;
        assert_eq!(status, 200, "{books}");
        let czk = &books[0];
        let field = |name: &str| czk[name].as_i64().unwrap();
        assert_eq!(
            [field("held"), field("disputed"), field("gateway_fees"), field("platform_fees"), field("owed_to_creators"), field("in_transit")],
            [kept - gateway - expected[0], 0, gateway, fees, expected[1] + expected[2], 0],
            "{books}"
        );
        assert_eq!(app.call(Method::GET, "/api/v1/admin/books", Some(&jana.token), None).await.0, 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM (SELECT entry_id FROM ledger_postings GROUP BY entry_id HAVING SUM(amount) <> 0) t").await, 0);

        // the next run pays jana again and nobody twice
        let run = app.state.app.payments.pay_out(&app.state.app.db, later).await.unwrap();
        assert_eq!((run.payouts, run.without_account), (1, 1), "{run:?}");
        let (_, batches) = app.call(Method::GET, "/api/v1/admin/payouts", Some(&admin.token), None).await;
        assert_eq!(batches["batches"][0]["total"].as_i64(), Some(expected[1]));
        assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'email:payout-needs-account:%'").await, 1, "one notice a day");
        app.stop().await;
    }
}

both_backends! {
    async fn payees_and_admins_use_the_pages_without_javascript_and_statements_add_up(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &[
            ("PATRON_PAYMENT_SANDBOX", "true"),
            ("PATRON_PLATFORM_FEE", "10"),
            ("PATRON_PAYOUT_IBAN", "CZ65 0800 0000 1920 0014 5399"),
            ("PATRON_PAYOUT_NAME", "Platforma s.r.o."),
            ("PATRON_PAYOUT_MINIMUM", "1 CZK"),
            ("PATRON_PAYOUT_HOLD", "0s"),
        ]).await;
        let shop = crate::payments::shop(&app).await;
        let fan = app.new_user("fan").await;
        let (_, pay_page) = app.checkout(&fan, &shop).await;
        app.deliver(&app.sandbox(&pay_page, "approve").await).await;

        // the owner's bank account from the page, in Czech: a typo is named, then saved
        let owner = browser();
        app.web_login(&owner, &shop.owner.email, PASSWORD).await;
        let get = |client: &reqwest::Client, path: &str| client.get(app.url(path)).header("accept-language", "cs").send();
        let html = get(&owner, "/account/payouts").await.unwrap().text().await.unwrap();
        assert!(html.contains("data-testid=\"no-bank-account\""), "{html}");
        let csrf = csrf_from_page(&html);
        let form = |iban: &'static str| vec![("csrf_token", csrf.clone()), ("holder", "Pavel Steak".to_owned()), ("iban", iban.to_owned())];
        let response = owner.post(app.url("/account/payouts/bank-account")).header("accept-language", "cs").form(&form("19-2000145398/0800")).send().await.unwrap();
        assert_eq!(response.status(), 422);
        let html = response.text().await.unwrap();
        assert!(html.contains("data-testid=\"iban-error\"") && html.contains("Číslo účtu nesedí"), "{html}");
        assert!(html.contains("value=\"19-2000145398/0800\""), "what was typed stays: {html}");
        let response = owner.post(app.url("/account/payouts/bank-account")).form(&form("19-2000145399/0800")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.text().await.unwrap().contains("CZ65 0800 0000 1920 0014 5399"));

        // the admin sees what is due, and nothing moves without the box ticked
        let admin_user = app.new_user("admin").await;
        let email = patron_domain::account::Email::parse(&admin_user.email).unwrap();
        patron_store::users::set_platform_admin(app.state.app.db.pool(), &email, true).await.unwrap();
        let admin = browser();
        app.web_login(&admin, &admin_user.email, PASSWORD).await;
        let html = get(&admin, "/admin/payouts").await.unwrap().text().await.unwrap();
        assert!(html.contains("Výplaty: 1, celkem 89,10\u{a0}Kč"), "{html}");
        let csrf = csrf_from_page(&html);
        let response = admin.post(app.url("/admin/payouts/run")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
        assert_eq!(response.status(), 422, "not confirmed");
        assert_eq!(app.count("SELECT COUNT(*) FROM payouts").await, 0);
        let response = admin.post(app.url("/admin/payouts/run")).form(&[("csrf_token", csrf.as_str()), ("confirm", "yes")]).send().await.unwrap();
        assert_eq!(response.status(), 303);
        let batch: String = sqlx::query_scalar("SELECT id FROM payout_batches").fetch_one(app.state.app.db.pool()).await.unwrap();
        let html = get(&admin, &format!("/admin/payouts/{batch}")).await.unwrap().text().await.unwrap();
        assert!(html.contains("CZ65 0800 0000 1920 0014 5399") && html.contains("Pavel Steak"), "{html}");
        let sent = format!("/admin/payouts/{batch}/sent");
        let response = admin.post(app.url(&sent)).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
        assert_eq!(response.status(), 422, "not confirmed");
        let response = admin.post(app.url(&sent)).form(&[("csrf_token", csrf.as_str()), ("confirm", "yes")]).send().await.unwrap();
        assert_eq!(response.status(), 303);
        let html = get(&admin, &format!("/admin/payouts/{batch}")).await.unwrap().text().await.unwrap();
        assert!(html.contains("data-testid=\"batch-sent\""), "{html}");
        let file = get(&admin, &format!("/admin/payouts/{batch}/file")).await.unwrap().text().await.unwrap();
        validate_pain001(&file);

        // the owner's page and payouts, and the month's statement: the payment and the payout
        let html = get(&owner, "/account/payouts").await.unwrap().text().await.unwrap();
        assert!(html.contains("data-testid=\"my-payouts\"") && html.contains("odesláno"), "{html}");
        let html = get(&owner, &format!("/studio/{}/earnings", shop.slug)).await.unwrap().text().await.unwrap();
        assert!(html.contains("data-testid=\"paid-out\">89,10"), "{html}");
        let month: String = Timestamp::now().to_rfc3339().chars().take(7).collect();
        let statement = format!("/api/v1/creators/{}/statement.csv?month={month}", shop.slug);
        let csv = get(&owner, &statement).await.unwrap().text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "posted_at,kind,payment_id,member,currency,payment_minor,platform_fee_minor,part_minor");
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(lines[1].contains("\"payment\"") && lines[1].ends_with(",9900,990,8910"), "{csv}");
        assert!(lines[2].contains("\"payout\"") && lines[2].ends_with(",0,0,-8910"), "{csv}");
        let (status, body) = app.call(Method::GET, &format!("/api/v1/creators/{}/statement.csv?month=2026-13", shop.slug), Some(&shop.owner.token), None).await;
        assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (422, Some("month")), "{body}");
        let (status, _) = app.call(Method::GET, &statement, Some(&fan.token), None).await;
        assert_eq!(status, 403, "the team's only");
        app.stop().await;
    }
}

#[test]
fn a_sepa_file_in_euro_validates_with_names_in_the_sepa_characters() {
    use patron_payments::payouts::pain001::{Batch, Debtor, Transfer, render};
    let transfers = [
        Transfer {
            id: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            amount: 123_456,
            creditor: "Tomáš Dvořák & <syn>",
            iban: "SK3112000000198742637541",
            remittance: "Výplata výdělků 2026-11",
        },
        Transfer { id: "b", amount: 5, creditor: "Eva", iban: "DE89370400440532013000", remittance: "Payout" },
    ];
    let xml = render(&Batch {
        id: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c",
        currency: patron_domain::money::Currency::EUR,
        created: "2026-12-01T06:00:00",
        execution_date: "2026-12-01",
        debtor: Debtor { name: "Platforma s.r.o.", iban: "CZ6508000000192000145399" },
        transfers: &transfers,
    });
    validate_pain001(&xml);
    assert_eq!(element(&xml, "CtrlSum"), "1234.61");
    assert!(xml.contains("<Nm>Tomas Dvorak syn</Nm>"), "{xml}");
}
