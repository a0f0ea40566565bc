//! Registering, logging in and out, through the API and the web UI.

use crate::both_backends;
use crate::helpers::*;
use serde_json::{Value, json};

both_backends! {
    async fn fan_registers_through_the_api_and_sees_their_account(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let email = unique_email("Fan");
        let response = app.api_register(&email, PASSWORD).await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["user"]["email"], email.to_lowercase(), "addresses are normalised");

        let me: Value = app.me(body["token"].as_str().unwrap()).await.json().await.unwrap();
        assert_eq!(me["email"], email.to_lowercase());
        assert_eq!(me["display_name"], "Test Fan");
        assert_eq!(me["email_verified"], false);
        app.stop().await;
        database.drop_database().await;
    }

    async fn registering_an_address_twice_is_a_conflict(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let email = unique_email("twice");
        app.register_fan(&email).await;
        let again = app.api_register(&email.to_uppercase(), "another password").await;
        assert_eq!(again.status(), 409);
        let body: Value = again.json().await.unwrap();
        assert_eq!(body["error"]["code"], "email_taken");
        app.stop().await;
        database.drop_database().await;
    }

    async fn invalid_registration_names_every_bad_field(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let response = app.api_register("not-an-address", "short").await;
        assert_eq!(response.status(), 422);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "validation_failed");
        let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["email", "password"]);
        app.stop().await;
        database.drop_database().await;
    }

    async fn malformed_requests_get_clear_client_errors(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let client = reqwest::Client::new();
        let url = app.url("/api/v1/auth/login");

        let syntax = client.post(&url).header("content-type", "application/json").body("{not json").send().await.unwrap();
        assert_eq!(syntax.status(), 400);
        assert_eq!(syntax.json::<Value>().await.unwrap()["error"]["code"], "malformed_json");

        let shape = client.post(&url).json(&json!({"email": 42})).send().await.unwrap();
        assert_eq!(shape.status(), 422);
        assert_eq!(shape.json::<Value>().await.unwrap()["error"]["code"], "invalid_body");

        let media = client.post(&url).body(r#"{"email":"a@b.cz","password":"x"}"#).send().await.unwrap();
        assert_eq!(media.status(), 415);

        // its own client: the server answers 413 without reading the rest and closes the
        // connection, which a pooled connection's next request would run into
        let huge = reqwest::Client::new().post(&url).json(&json!({"email": "a@b.cz", "password": "x".repeat(2 * 1024 * 1024)})).send().await.unwrap();
        assert_eq!(huge.status(), 413);
        assert_eq!(huge.json::<Value>().await.unwrap()["error"]["code"], "payload_too_large");

        let unknown = client.get(app.url("/api/v1/no-such-thing")).send().await.unwrap();
        assert_eq!(unknown.status(), 404);
        assert_eq!(unknown.json::<Value>().await.unwrap()["error"]["code"], "not_found");

        let page = client.get(app.url("/no-such-page")).send().await.unwrap();
        assert_eq!(page.status(), 404);
        assert!(page.text().await.unwrap().contains("Page not found"));

        let garbage_token = client.get(app.url("/api/v1/me")).header("authorization", "Bearer nonsense").send().await.unwrap();
        assert_eq!(garbage_token.status(), 401);
        assert_eq!(garbage_token.json::<Value>().await.unwrap()["error"]["code"], "invalid_token");
        app.stop().await;
        database.drop_database().await;
    }

    async fn wrong_password_is_refused_and_the_right_one_accepted(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let email = unique_email("login");
        app.register_fan(&email).await;

        let wrong = app.api_login(&email, "not my password").await;
        assert_eq!(wrong.status(), 401);
        assert_eq!(wrong.json::<Value>().await.unwrap()["error"]["code"], "invalid_credentials");
        let unknown = app.api_login(&unique_email("nobody"), PASSWORD).await;
        assert_eq!(unknown.status(), 401, "unknown accounts look exactly like wrong passwords");

        let right = app.api_login(&email, PASSWORD).await;
        assert_eq!(right.status(), 200);
        let token = right.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        assert_eq!(app.me(&token).await.status(), 200);
        app.stop().await;
        database.drop_database().await;
    }

    async fn logging_out_revokes_only_the_token_used(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let email = unique_email("logout");
        let first = app.register_fan(&email).await;
        let second = app.api_login(&email, PASSWORD).await.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();

        let logout = reqwest::Client::new().post(app.url("/api/v1/auth/logout")).bearer_auth(&first).send().await.unwrap();
        assert_eq!(logout.status(), 204);
        assert_eq!(app.me(&first).await.status(), 401);
        assert_eq!(app.me(&second).await.status(), 200);
        app.stop().await;
        database.drop_database().await;
    }

    async fn logging_out_everywhere_ends_every_session_and_token(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let email = unique_email("everywhere");
        let browser = browser();
        assert_eq!(app.web_register(&browser, &email).await.status(), 303);
        let phone = app.api_login(&email, PASSWORD).await.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        let tablet = app.api_login(&email, PASSWORD).await.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();

        let sessions: Value = reqwest::Client::new().get(app.url("/api/v1/me/sessions")).bearer_auth(&phone).send().await.unwrap().json().await.unwrap();
        assert_eq!(sessions.as_array().unwrap().len(), 3);

        let everywhere = reqwest::Client::new().post(app.url("/api/v1/auth/logout-everywhere")).bearer_auth(&phone).send().await.unwrap();
        assert_eq!(everywhere.status(), 204);
        assert_eq!(app.me(&phone).await.status(), 401);
        assert_eq!(app.me(&tablet).await.status(), 401);
        let page = browser.get(app.url("/account")).send().await.unwrap();
        assert_eq!(page.status(), 303, "the browser session ended too");
        app.stop().await;
        database.drop_database().await;
    }

    async fn a_person_registers_logs_out_and_logs_in_with_the_web_ui(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let email = unique_email("web");
        let browser = browser();

        let home = browser.get(app.url("/")).send().await.unwrap();
        assert_eq!(home.status(), 200);
        assert!(home.text().await.unwrap().contains("Create an account"));

        let registered = app.web_register(&browser, &email).await;
        assert_eq!(registered.status(), 303);
        assert_eq!(registered.headers()["location"], "/account");
        let cookie = registered.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("patron_session="), "{cookie}");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain http must not set Secure: {cookie}");

        let account = browser.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
        assert!(account.contains(&email.to_lowercase()) && account.contains("Web Fan"));

        let token = csrf_from_page(&account);
        let logged_out = browser.post(app.url("/logout")).form(&[("csrf_token", token.as_str())]).send().await.unwrap();
        assert_eq!(logged_out.status(), 303);
        assert_eq!(browser.get(app.url("/account")).send().await.unwrap().status(), 303, "logged out");

        let wrong = app.web_login(&browser, &email, "wrong password").await;
        assert_eq!(wrong.status(), 401);
        assert!(wrong.text().await.unwrap().contains("Wrong e-mail address or password"));

        let logged_in = app.web_login(&browser, &email, PASSWORD).await;
        assert_eq!(logged_in.status(), 303);
        assert_eq!(browser.get(app.url("/account")).send().await.unwrap().status(), 200);
        app.stop().await;
        database.drop_database().await;
    }

    async fn web_form_errors_keep_what_was_typed_except_the_password(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let browser = browser();
        let token = app.csrf_token(&browser, "/register").await;
        let response = browser
            .post(app.url("/register"))
            .form(&[("csrf_token", token.as_str()), ("email", "fan@example"), ("display_name", "Kept Name"), ("password", "secretpw1")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        let html = response.text().await.unwrap();
        assert!(html.contains("value=\"fan@example\"") && html.contains("value=\"Kept Name\""));
        assert!(!html.contains("secretpw1"));
        app.stop().await;
        database.drop_database().await;
    }
}

both_backends! {
    async fn cookies_are_secure_when_the_public_url_is_https(backend: TestBackend) {
    let (app, database) =
        spawn_app_with(backend, &[("PATRON_PUBLIC_URL", "https://members.example.com")]).await;
    let browser = browser();
    let page = browser.get(app.url("/register")).send().await.unwrap();
    let csrf_cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(csrf_cookie.starts_with("__Host-patron_csrf=") && csrf_cookie.contains("Secure"), "{csrf_cookie}");
    let token = csrf_from_page(&page.text().await.unwrap());
    let response = browser
        .post(app.url("/register"))
        .header("cookie", csrf_cookie.split(';').next().unwrap())
        .form(&[("csrf_token", token.as_str()), ("email", unique_email("tls").as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-patron_session=") && cookie.contains("; Secure"), "{cookie}");
    app.stop().await;
    database.drop_database().await;
}
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let (app, database) = spawn_app(TestBackend::Sqlite).await;
    let document: Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/logout-everywhere",
        "/api/v1/me",
        "/api/v1/me/sessions",
    ] {
        assert!(document["paths"][path].is_object(), "{path} is not documented");
    }
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
    assert!(document["components"]["schemas"]["ErrorBody"].is_object());
    app.stop().await;
    database.drop_database().await;
}

both_backends! {
    async fn a_user_can_end_one_of_their_sessions_but_not_someone_elses(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let client = reqwest::Client::new();
        let mine = app.register_fan(&unique_email("mine")).await;
        let theirs = app.register_fan(&unique_email("theirs")).await;
        let their_sessions: Value =
            client.get(app.url("/api/v1/me/sessions")).bearer_auth(&theirs).send().await.unwrap().json().await.unwrap();
        let their_id = their_sessions[0]["id"].as_str().unwrap().to_owned();

        let refused = client.delete(app.url(&format!("/api/v1/me/sessions/{their_id}"))).bearer_auth(&mine).send().await.unwrap();
        assert_eq!(refused.status(), 404);
        assert_eq!(app.me(&theirs).await.status(), 200);

        let ended = client.delete(app.url(&format!("/api/v1/me/sessions/{their_id}"))).bearer_auth(&theirs).send().await.unwrap();
        assert_eq!(ended.status(), 204);
        assert_eq!(app.me(&theirs).await.status(), 401);
        app.stop().await;
        database.drop_database().await;
    }
}

#[tokio::test]
async fn errors_made_by_the_framework_have_the_api_shape_too() {
    let (app, database) = spawn_app(TestBackend::Sqlite).await;
    let client = reqwest::Client::new();
    let wrong_method = client.get(app.url("/api/v1/auth/login")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert!(wrong_method.headers().contains_key("allow"));
    assert_eq!(wrong_method.json::<Value>().await.unwrap()["error"]["code"], "method_not_allowed");
    let page = client.request(reqwest::Method::OPTIONS, app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), 405);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let root = client.get(app.url("/api/v1/")).send().await.unwrap();
    assert_eq!(root.status(), 404);
    assert_eq!(root.json::<Value>().await.unwrap()["error"]["code"], "not_found");
    app.stop().await;
    database.drop_database().await;
}

#[tokio::test]
async fn after_log_in_only_same_site_addresses_are_followed() {
    let (app, database) = spawn_app(TestBackend::Sqlite).await;
    let email = unique_email("redirect");
    app.register_fan(&email).await;
    for next in ["//evil.example/", "/\t/evil.example", "https://evil.example/"] {
        let browser = browser();
        let token = app.csrf_token(&browser, "/login").await;
        let response = browser
            .post(app.url("/login"))
            .form(&[("csrf_token", token.as_str()), ("email", email.as_str()), ("password", PASSWORD), ("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], "/account", "{next:?}");
    }
    app.stop().await;
    database.drop_database().await;
}
