//! Log-in attempts are limited per account and (failed ones) per client address; the address comes from
//! `X-Forwarded-For` only when the peer is a trusted proxy (lesson 12).

use crate::both_backends;
use crate::helpers::*;

both_backends! {
    async fn failed_logins_lock_the_account_for_the_window(backend: TestBackend) {
        let (app, database) = spawn_app_with(backend, &[("PATRON_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT", "3")]).await;
        let email = unique_email("locked");
        app.register_fan(&email).await;
        for _ in 0..3 {
            assert_eq!(app.api_login(&email, "wrong password").await.status(), 401);
        }
        let limited = app.api_login(&email, PASSWORD).await;
        assert_eq!(limited.status(), 429, "even the right password waits for the window");
        let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry_after > 0 && retry_after <= 15 * 60);
        let body: serde_json::Value = limited.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limited");
        app.stop().await;
        database.drop_database().await;
    }

    async fn a_forged_forwarded_for_from_an_untrusted_peer_does_not_bypass_the_ip_limit(backend: TestBackend) {
        let (app, database) = spawn_app_with(backend, &[("PATRON_LOGIN_MAX_ATTEMPTS_PER_IP", "4")]).await;
        let client = reqwest::Client::new();
        let mut statuses = Vec::new();
        for attempt in 0..6 {
            // a different account and a different claimed address each time
            let response = client
                .post(app.url("/api/v1/auth/login"))
                .header("x-forwarded-for", format!("198.51.100.{attempt}"))
                .json(&serde_json::json!({"email": unique_email("spray"), "password": "guess"}))
                .send()
                .await
                .unwrap();
            statuses.push(response.status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 401, 401, 429, 429]);
        app.stop().await;
        database.drop_database().await;
    }
}

both_backends! {
    async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(backend: TestBackend) {
    let (app, database) = spawn_app_with(
        backend,
        &[("PATRON_LOGIN_MAX_ATTEMPTS_PER_IP", "2"), ("PATRON_TRUSTED_PROXIES", "127.0.0.1/32")],
    )
    .await;
    let client = reqwest::Client::new();
    let attempt = |client_ip: &'static str| {
        let request = client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", client_ip)
            .json(&serde_json::json!({"email": unique_email("proxied"), "password": "guess"}));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(attempt("203.0.113.1").await, 401);
    assert_eq!(attempt("203.0.113.1").await, 401);
    assert_eq!(attempt("203.0.113.1").await, 429, "the forwarded client is limited");
    assert_eq!(attempt("203.0.113.2").await, 401, "another client behind the same proxy is not");
    app.stop().await;
    database.drop_database().await;
}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_parallel_guesses_cannot_exceed_the_account_limit() {
    let (app, database) = spawn_app_with(TestBackend::Sqlite, &[("PATRON_LOGIN_MAX_ATTEMPTS_PER_ACCOUNT", "5")]).await;
    let email = unique_email("burst");
    app.register_fan(&email).await;
    let guesses: Vec<_> = (0..15)
        .map(|n| {
            let url = app.url("/api/v1/auth/login");
            let body = serde_json::json!({"email": email, "password": format!("guess {n}")});
            tokio::spawn(
                async move { reqwest::Client::new().post(url).json(&body).send().await.unwrap().status().as_u16() },
            )
        })
        .collect();
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 10, "{statuses:?}");
    app.stop().await;
    database.drop_database().await;
}

#[tokio::test]
async fn ipv4_clients_of_a_dual_stack_listener_do_not_share_one_bucket() {
    let (app, database) =
        spawn_app_with(TestBackend::Sqlite, &[("PATRON_LISTEN", "[::]:0"), ("PATRON_LOGIN_MAX_ATTEMPTS_PER_IP", "2")])
            .await;
    let url = app.url("/api/v1/auth/login");
    // connections from different IPv4 source addresses to the IPv6 wildcard listener
    let attempt = |source: &'static str| {
        let client =
            reqwest::Client::builder().local_address(source.parse::<std::net::IpAddr>().unwrap()).build().unwrap();
        let request = client.post(&url).json(&serde_json::json!({"email": unique_email("v4"), "password": "guess"}));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(attempt("127.0.0.1").await, 401);
    assert_eq!(attempt("127.0.0.1").await, 401);
    assert_eq!(attempt("127.0.0.1").await, 429);
    assert_eq!(attempt("127.0.0.2").await, 401, "another IPv4 client has its own limit");
    app.stop().await;
    database.drop_database().await;
}

#[tokio::test]
async fn an_office_behind_one_address_is_limited_by_its_failures_not_its_log_ins() {
    let (app, database) = spawn_app_with(TestBackend::Sqlite, &[("PATRON_LOGIN_MAX_ATTEMPTS_PER_IP", "3")]).await;
    let email = unique_email("office");
    app.register_fan(&email).await;
    for _ in 0..8 {
        assert_eq!(app.api_login(&email, PASSWORD).await.status(), 200, "colleagues logging in are not counted");
    }
    for _ in 0..3 {
        assert_eq!(app.api_login(&unique_email("typo"), "wrong").await.status(), 401);
    }
    assert_eq!(app.api_login(&unique_email("typo"), "wrong").await.status(), 429, "the fourth failure is one too many");
    app.stop().await;
    database.drop_database().await;
}
