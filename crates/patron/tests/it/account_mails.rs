//! The account mails end to end against an SMTP sink: address confirmation on sign-up,
//! password reset (which ends every session), and sign-in by link — which a mail scanner
//! opening the link cannot use up.

use crate::both_backends;
use crate::helpers::*;
use patron_testkit::smtp::{Received, SmtpSink};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// The link `path` (e.g. `/sign-in/`) in the newest mail to `to`.
async fn link_in_mail(sink: &SmtpSink, to: &str, path: &str) -> String {
    let mails = sink
        .wait_for(WAIT, &format!("a mail to {to} with {path}"), |mails: &[Received]| {
            mails.iter().any(|m| m.to == [to.to_owned()] && m.decoded().contains(path))
        })
        .await;
    let text = mails.iter().rev().find(|m| m.to == [to.to_owned()] && m.decoded().contains(path)).unwrap().decoded();
    let start = text.find(path).unwrap() + path.len();
    let token: String =
        text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    assert_eq!(token.len(), 43, "{text}");
    format!("{path}{token}")
}

both_backends! {
    async fn a_mail_catcher_without_tls_is_reached_when_the_url_says_tls_none(backend: TestBackend) {
        let sink = SmtpSink::start().await;
        let url = format!("{}?tls=none", sink.url());
        let (app, database) = spawn_app_with(backend, &[("PATRON_SMTP_URL", &url)]).await;
        let fan = app.new_user("fan").await;
        link_in_mail(&sink, &fan.email, "/verify-email/").await;
        app.stop().await;
        database.drop_database().await;
    }

    async fn a_new_account_confirms_its_address_with_the_mailed_link(backend: TestBackend) {
        let sink = SmtpSink::start().await;
        let (app, database) = spawn_app_with(backend, &[("PATRON_SMTP_URL", &sink.url())]).await;
        let fan = app.new_user("fan").await;
        let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&fan.token), None).await;
        assert_eq!(me["email_verified"], false);
        let link = link_in_mail(&sink, &fan.email, "/verify-email/").await;
        let page = reqwest::get(app.url(&link)).await.unwrap();
        assert_eq!(page.status(), 200);
        let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&fan.token), None).await;
        assert_eq!(me["email_verified"], true);
        assert_eq!(reqwest::get(app.url(&link)).await.unwrap().status(), 404, "a link works once");
        let (status, _) = app.call(Method::POST, "/api/v1/me/verification-email", Some(&fan.token), None).await;
        assert_eq!(status, 409, "nothing to confirm any more");
        app.stop().await;
        database.drop_database().await;
    }

    async fn a_password_reset_sets_a_new_password_and_ends_every_session(backend: TestBackend) {
        let sink = SmtpSink::start().await;
        let (app, database) = spawn_app_with(backend, &[("PATRON_SMTP_URL", &sink.url())]).await;
        let fan = app.new_user("fan").await;
        // no account: the same answer, and no mail
        let (status, _) = app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "nobody@example.com"}))).await;
        assert_eq!(status, 202);
        let (status, _) = app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "not an address"}))).await;
        assert_eq!(status, 422);
        let (status, _) = app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": fan.email}))).await;
        assert_eq!(status, 202);
        let link = link_in_mail(&sink, &fan.email, "/reset-password/").await;
        assert!(sink.received().iter().all(|m| m.to != ["nobody@example.com"]));

        // the page's form, in a browser
        let client = browser();
        let html = client.get(app.url(&link)).send().await.unwrap().text().await.unwrap();
        let token = csrf_from_page(&html);
        let short = client.post(app.url(&link)).form(&[("csrf_token", token.as_str()), ("password", "short")]).send().await.unwrap();
        assert_eq!(short.status(), 422, "a weak password is refused and the link still works");
        let done = client
            .post(app.url(&link))
            .form(&[("csrf_token", token.as_str()), ("password", "a brand new passphrase")])
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 200);
        let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&fan.token), None).await;
        assert_eq!(status, 401, "the old session ended");
        assert_eq!(app.api_login(&fan.email, PASSWORD).await.status(), 401);
        assert_eq!(app.api_login(&fan.email, "a brand new passphrase").await.status(), 200);
        let again = client.get(app.url(&link)).send().await.unwrap();
        assert_eq!(again.status(), 404, "a link works once");
        app.stop().await;
        database.drop_database().await;
    }

    async fn a_sign_in_link_survives_scanners_and_works_once(backend: TestBackend) {
        let sink = SmtpSink::start().await;
        let (app, database) = spawn_app_with(backend, &[("PATRON_SMTP_URL", &sink.url())]).await;
        let fan = app.new_user("fan").await;
        let (status, _) = app.call(Method::POST, "/api/v1/auth/sign-in-link", None, Some(json!({"email": fan.email}))).await;
        assert_eq!(status, 202);
        let link = link_in_mail(&sink, &fan.email, "/sign-in/").await;

        // a mail scanner opens the link: nothing is used up
        for _ in 0..3 {
            let scanned = reqwest::get(app.url(&link)).await.unwrap();
            assert_eq!(scanned.status(), 200);
        }
        let client = browser();
        let html = client.get(app.url(&link)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("confirm-sign-in"));
        let token = csrf_from_page(&html);
        let signed_in = client.post(app.url(&link)).form(&[("csrf_token", token.as_str())]).send().await.unwrap();
        assert_eq!(signed_in.status(), 303);
        let account = client.get(app.url("/account")).send().await.unwrap();
        assert_eq!(account.status(), 200);
        let html = account.text().await.unwrap();
        assert!(html.contains(&fan.email));
        // the session has its own CSRF token now
        let token = csrf_from_page(&html);
        let reused = client.post(app.url(&link)).form(&[("csrf_token", token.as_str())]).send().await.unwrap();
        assert_eq!(reused.status(), 404, "a link works once");

        // apps confirm through the API and get a bearer token
        let (status, _) = app.call(Method::POST, "/api/v1/auth/sign-in-link", None, Some(json!({"email": fan.email}))).await;
        assert_eq!(status, 202);
        let deadline = tokio::time::Instant::now() + WAIT;
        let second = loop {
            let links: Vec<String> = sink
                .received()
                .iter()
                .filter_map(|m| {
                    let text = m.decoded();
                    let start = text.find("/sign-in/")? + "/sign-in/".len();
                    Some(text[start..start + 43].to_owned())
                })
                .collect();
            if let Some(token) = links.iter().find(|t| !link.ends_with(t.as_str())) {
                break token.clone();
            }
            assert!(tokio::time::Instant::now() < deadline, "no second sign-in mail");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let (status, body) = app.call(Method::POST, "/api/v1/auth/sign-in-link/confirm", None, Some(json!({"token": second}))).await;
        assert_eq!(status, 200, "{body}");
        let (status, me) = app.call(Method::GET, "/api/v1/me", Some(body["token"].as_str().unwrap()), None).await;
        assert_eq!((status, me["email_verified"].as_bool()), (200, Some(true)), "a used sign-in link proves the address");
        let (status, _) = app.call(Method::POST, "/api/v1/auth/sign-in-link/confirm", None, Some(json!({"token": "x".repeat(43)}))).await;
        assert_eq!(status, 404);
        app.stop().await;
        database.drop_database().await;
    }
}
