//! A person's own account and page from the web (the studio's tier order, without
//! JavaScript): the language they signed up in (their mails speak
//! it), their name, a new e-mail address (moved once confirmed, the old one told), a new
//! password (other sessions end) and erasing the account (asked first); API errors in the
//! request's language.

use crate::both_backends;
use crate::helpers::*;
use patron_testkit::smtp::{Received, SmtpSink};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// The newest mail to `to` containing `text`, decoded.
async fn mail_to(sink: &SmtpSink, to: &str, text: &str) -> String {
    let mails = sink
        .wait_for(WAIT, &format!("a mail to {to} with {text}"), |mails: &[Received]| {
            mails.iter().any(|m| m.to == [to.to_owned()] && m.decoded().contains(text))
        })
        .await;
    mails.iter().rev().find(|m| m.to == [to.to_owned()] && m.decoded().contains(text)).unwrap().decoded()
}

/// A fresh API token of `email`.
async fn token(app: &TestApp, email: &str, password: &str) -> String {
    let response = app.api_login(email, password).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// The `/verify-email/…` link in a mail.
fn link(text: &str) -> String {
    let start = text.find("/verify-email/").unwrap();
    text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || "/-_".contains(*c)).collect()
}

both_backends! {
    async fn a_person_signs_up_in_czech_changes_name_address_and_password_and_erases_the_account(backend: TestBackend) {
        let sink = SmtpSink::start().await;
        let (app, database) = spawn_app_with(backend, &[("PATRON_SMTP_URL", &sink.url())]).await;
        let web = browser();
        let email = unique_email("cesky");
        // signed up in the Czech interface: the account, and so its mails, speak Czech
        let html = web.get(app.url("/register")).header("accept-language", "cs").send().await.unwrap().text().await.unwrap();
        let csrf = csrf_from_page(&html);
        let form = [("csrf_token", csrf.as_str()), ("email", email.as_str()), ("password", PASSWORD), ("display_name", "Jana")];
        let response = web.post(app.url("/register")).header("accept-language", "cs").form(&form).send().await.unwrap();
        assert_eq!(response.status(), 303);
        let confirmation = mail_to(&sink, &email, "/verify-email/").await;
        assert!(confirmation.contains("Potvrďte, že je tato adresa vaše"), "{confirmation}");
        let api = token(&app, &email, PASSWORD).await;
        let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&api), None).await;
        assert_eq!(me["locale"], "cs");

        let settings = web.get(app.url("/account/settings")).send().await.unwrap().text().await.unwrap();
        let csrf = csrf_from_page(&settings);
        // the name
        let renamed = web.post(app.url("/account/name")).form(&[("csrf_token", csrf.as_str()), ("display_name", "Jana Nováková")]).send().await.unwrap();
        assert_eq!(renamed.headers()["location"], "/account/settings?saved=name");
        let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&api), None).await;
        assert_eq!(me["display_name"], "Jana Nováková");

        // the password: the wrong current one changes nothing; the right one ends the other sessions
        let wrong = [("csrf_token", csrf.as_str()), ("current_password", "not it"), ("password", "a new long password")];
        let html = web.post(app.url("/account/password")).header("accept-language", "cs").form(&wrong).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("data-testid=\"password-error\"") && html.contains("Současné heslo: není vaše současné heslo"), "{html}");
        assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&api), None).await.0, 200);
        let right = [("csrf_token", csrf.as_str()), ("current_password", PASSWORD), ("password", "a new long password")];
        let changed = web.post(app.url("/account/password")).form(&right).send().await.unwrap();
        assert_eq!(changed.headers()["location"], "/account/settings?saved=password");
        assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&api), None).await.0, 401, "the other session ended");
        assert_eq!(web.get(app.url("/account")).send().await.unwrap().status(), 200, "this one stays");
        let api = token(&app, &email, "a new long password").await;

        // the address: moved only once the new one is confirmed, and the old one is told
        let new_email = unique_email("nova");
        let asked = web
            .post(app.url("/account/email"))
            .form(&[("csrf_token", csrf.as_str()), ("email", new_email.as_str()), ("current_password", "a new long password")])
            .send()
            .await
            .unwrap();
        assert_eq!(asked.headers()["location"], "/account/settings?saved=email");
        let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&api), None).await;
        assert_eq!(me["email"], email.as_str(), "nothing moves before the new address is confirmed");
        let mail = mail_to(&sink, &new_email, "/verify-email/").await;
        assert!(mail.contains("Potvrďte svou novou e-mailovou adresu") || mail.contains("Potvrdit novou adresu"), "{mail}");
        assert_eq!(reqwest::get(app.url(&link(&mail))).await.unwrap().status(), 200);
        let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&api), None).await;
        assert_eq!((me["email"].as_str(), me["email_verified"].as_bool()), (Some(new_email.as_str()), Some(true)));
        let told = mail_to(&sink, &email, &new_email).await;
        assert!(told.contains("Vaše e-mailová adresa byla změněna") || told.contains("teď používá adresu"), "{told}");
        // the sign-up's confirmation link of the old address does not move it back
        assert_eq!(reqwest::get(app.url(&link(&confirmation))).await.unwrap().status(), 404);

        // erasing asks first, then leaves nothing that names the person
        let form = [("csrf_token", csrf.as_str()), ("current_password", "a new long password")];
        let asked = web.post(app.url("/account/delete")).form(&form).send().await.unwrap();
        assert_eq!(asked.status(), 200);
        let asked = asked.text().await.unwrap();
        assert!(asked.contains("data-testid=\"confirm-page\""), "{asked}");
        assert!(!asked.contains("a new long password"), "the password is asked again, not written into the page");
        assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&api), None).await.0, 200, "nothing happened yet");
        let confirmed = [("csrf_token", csrf.as_str()), ("current_password", "a new long password"), ("confirmed", "yes")];
        let erased = web.post(app.url("/account/delete")).form(&confirmed).send().await.unwrap();
        assert_eq!(erased.headers()["location"], "/login?erased=1");
        assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&api), None).await.0, 401);
        let login = json!({"email": new_email, "password": "a new long password"});
        let response = reqwest::Client::new().post(app.url("/api/v1/auth/login")).header("accept-language", "cs").json(&login).send().await.unwrap();
        assert_eq!(response.status(), 401);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_credentials", "the stable code stays");
        assert_eq!(body["error"]["message"], "Špatný e-mail nebo heslo.", "the message speaks the request's language");
        let names: Vec<String> = patron_store::users::find_by_email(app.state.app.db.pool(), &patron_domain::Email::parse(&new_email).unwrap())
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.display_name)
            .collect();
        assert!(names.is_empty(), "the address is gone: {names:?}");
        app.stop().await;
        database.drop_database().await;
    }

    async fn an_owner_reorders_tiers_in_the_studio_and_the_ladder_follows(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Gordíkey").await;
        app.create_tier(&owner, &slug, "Na granulkey", 5900).await;
        app.create_tier(&owner, &slug, "Na steaky", 9900).await;
        let late = app.create_tier(&owner, &slug, "Na kosti", 4900).await;
        let names = || async {
            let (_, tiers) = app.call(Method::GET, &format!("/api/v1/creators/{slug}/tiers"), None, None).await;
            tiers.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(names().await, ["Na granulkey", "Na steaky", "Na kosti"]);
        let web = browser();
        app.web_login(&web, &owner.email, PASSWORD).await;
        let html = web.get(app.url(&format!("/studio/{slug}"))).send().await.unwrap().text().await.unwrap();
        assert_eq!(html.matches("data-testid=\"tier-up\"").count(), 2, "all but the first move up");
        let csrf = csrf_from_page(&html);
        let up = |tier: String| {
            web.post(app.url(&format!("/studio/{slug}/tiers/{tier}/move"))).form(&[("csrf_token", csrf.clone()), ("direction", "up".to_owned())]).send()
        };
        // the new, cheaper tier moves to the bottom of the ladder in two steps
        assert_eq!(up(late.clone()).await.unwrap().status(), 303);
        assert_eq!(names().await, ["Na granulkey", "Na kosti", "Na steaky"]);
        assert_eq!(up(late.clone()).await.unwrap().status(), 303);
        assert_eq!(names().await, ["Na kosti", "Na granulkey", "Na steaky"]);
        // the first stays first
        assert_eq!(up(late).await.unwrap().status(), 303);
        assert_eq!(names().await, ["Na kosti", "Na granulkey", "Na steaky"]);
        app.stop().await;
        database.drop_database().await;
    }
}
