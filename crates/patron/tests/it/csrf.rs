//! Cookie-authenticated requests that change state need the CSRF token.

use crate::both_backends;
use crate::helpers::*;

both_backends! {
    async fn a_forged_form_post_is_refused_and_changes_nothing(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let browser = browser();
        app.web_register(&browser, &unique_email("csrf")).await;

        // what another site's auto-submitting form would send: the cookie, but no token
        let forged = browser.post(app.url("/logout-everywhere")).form(&[("x", "1")]).send().await.unwrap();
        assert_eq!(forged.status(), 403);
        assert!(forged.text().await.unwrap().contains("This form has expired"));
        let wrong = browser.post(app.url("/logout")).form(&[("csrf_token", "guessed")]).send().await.unwrap();
        assert_eq!(wrong.status(), 403);
        assert_eq!(browser.get(app.url("/account")).send().await.unwrap().status(), 200, "still logged in");
        app.stop().await;
        database.drop_database().await;
    }

    async fn cookie_authenticated_api_calls_need_the_csrf_header(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let browser = browser();
        app.web_register(&browser, &unique_email("csrf-api")).await;

        let without = browser.post(app.url("/api/v1/auth/logout")).send().await.unwrap();
        assert_eq!(without.status(), 403);
        let body: serde_json::Value = without.json().await.unwrap();
        assert_eq!(body["error"]["code"], "csrf_failed");

        let token = app.csrf_token(&browser, "/account").await;
        let with = browser.post(app.url("/api/v1/auth/logout")).header("x-csrf-token", token).send().await.unwrap();
        assert_eq!(with.status(), 204);
        app.stop().await;
        database.drop_database().await;
    }

    async fn a_login_form_from_another_site_is_refused(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let email = unique_email("login-csrf");
        app.register_fan(&email).await;
        // no visitor cookie and no token: a cross-site form cannot log a victim into our site
        let response = reqwest::Client::new()
            .post(app.url("/login"))
            .form(&[("email", email.as_str()), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        app.stop().await;
        database.drop_database().await;
    }
}

both_backends! {
    async fn a_token_for_one_session_does_not_work_for_another(backend: TestBackend) {
    let (app, database) = spawn_app(backend).await;
    let alice = browser();
    let mallory = browser();
    app.web_register(&alice, &unique_email("alice")).await;
    app.web_register(&mallory, &unique_email("mallory")).await;
    let mallorys_token = app.csrf_token(&mallory, "/account").await;
    let attack = alice.post(app.url("/logout")).form(&[("csrf_token", mallorys_token.as_str())]).send().await.unwrap();
    assert_eq!(attack.status(), 403);
    app.stop().await;
    database.drop_database().await;
}
}
