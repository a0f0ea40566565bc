//! Operations endpoints: liveness, readiness, metrics, request ids.

use crate::both_backends;
use crate::helpers::*;
use serde_json::Value;

both_backends! {
    async fn healthz_answers_get_and_head_with_a_request_id(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let client = reqwest::Client::new();
        let get = client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(get.status(), 200);
        assert!(!get.headers()["x-request-id"].is_empty());
        let head = client.head(app.url("/healthz")).send().await.unwrap();
        assert_eq!(head.status(), 200, "uptime checks use HEAD (lesson 14)");
        app.stop().await;
        database.drop_database().await;
    }

    async fn readyz_reports_each_dependency(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let response = reqwest::get(app.url("/readyz")).await.unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ready");
        for check in ["database", "migrations", "storage", "cache"] {
            assert_eq!(body["checks"][check], "ok", "{check}");
        }
        app.stop().await;
        database.drop_database().await;
    }

    async fn metrics_count_requests_by_route_template_and_status(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let client = reqwest::Client::new();
        let token = app.register_fan(&unique_email("metrics")).await;
        client.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
        client.get(app.url("/api/v1/me")).send().await.unwrap();
        client.delete(app.url("/api/v1/me/sessions/some-id-that-must-not-become-a-label")).bearer_auth(&token).send().await.unwrap();
        client.get(app.url("/definitely/unknown/path")).send().await.unwrap();

        let response = client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
        let text = response.text().await.unwrap();
        for expected in [
            r#"patron_http_requests_total{method="GET",route="/api/v1/me",status="200"} 1"#,
            r#"patron_http_requests_total{method="GET",route="/api/v1/me",status="401"} 1"#,
            r#"patron_http_requests_total{method="POST",route="/api/v1/auth/register",status="201"} 1"#,
            r#"route="/api/v1/me/sessions/{id}",status="404""#,
            r#"route="unmatched",status="404""#,
            "patron_http_request_duration_seconds_bucket{",
            r#"patron_db_pool_connections{state="max"}"#,
            // one statement for the token lookup, none for the anonymous request
            r#"patron_http_request_db_statements_sum{method="GET",route="/api/v1/me"} 1.0"#,
            r#"patron_http_request_db_statements_count{method="GET",route="/api/v1/me"} 2"#,
            "patron_build_info{",
        ] {
            assert!(text.contains(expected), "missing {expected} in\n{text}");
        }
        assert!(!text.contains("some-id-that-must-not-become-a-label"), "raw paths must not become labels");
        assert_valid_exposition(&text);
        app.stop().await;
        database.drop_database().await;
    }
}

/// Checks the exposition with Prometheus's own `promtool` (CI installs it).
fn assert_valid_exposition(text: &str) {
    use std::io::Write as _;
    let Ok(mut child) = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "promtool is required in CI (.ci/run installs it)");
        eprintln!("promtool is not installed: exposition checked by the assertions above only");
        return;
    };
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "promtool check metrics failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn request_ids_are_accepted_from_clients_or_generated() {
    let (app, database) = spawn_app(TestBackend::Sqlite).await;
    let client = reqwest::Client::new();
    let echoed = client.get(app.url("/")).header("x-request-id", "req-123.abc").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "req-123.abc");
    let unsafe_id = client.get(app.url("/")).header("x-request-id", "a b").send().await.unwrap();
    let replaced = unsafe_id.headers()["x-request-id"].to_str().unwrap();
    assert!(replaced != "a b" && replaced.len() == 36, "{replaced}");
    let error = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert!(error.headers().contains_key("x-request-id"), "errors carry the id too");
    app.stop().await;
    database.drop_database().await;
}

both_backends! {
    async fn metrics_move_to_their_own_listener_when_configured(backend: TestBackend) {
    let (app, database) = spawn_app_with(backend, &[("PATRON_METRICS_LISTEN", "127.0.0.1:0")]).await;
    let ops = format!("http://127.0.0.1:{}", app.ops_port.expect("ops listener"));
    assert_eq!(reqwest::get(app.url("/metrics")).await.unwrap().status(), 404, "not on the public listener");
    assert_eq!(reqwest::get(format!("{ops}/metrics")).await.unwrap().status(), 200);
    assert_eq!(reqwest::get(format!("{ops}/readyz")).await.unwrap().status(), 200);
    assert_eq!(reqwest::get(format!("{ops}/healthz")).await.unwrap().status(), 200);
    assert_eq!(reqwest::get(format!("{ops}/")).await.unwrap().status(), 404, "no web UI on the ops listener");
    app.stop().await;
    database.drop_database().await;
}
}

#[tokio::test]
async fn readyz_fails_when_the_database_goes_away() {
    let (app, database) = spawn_app(TestBackend::Postgres).await;
    assert_eq!(reqwest::get(app.url("/readyz")).await.unwrap().status(), 200);
    let name = database.url.rsplit('/').next().unwrap().to_owned();
    let admin = patron_testkit::postgres_admin_url();
    let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name} WITH (FORCE)")))
        .execute(&mut connection)
        .await
        .unwrap();

    let response = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_ne!(body["checks"]["database"], "ok");
    assert_eq!(
        reqwest::get(app.url("/healthz")).await.unwrap().status(),
        200,
        "liveness does not depend on the database"
    );
    app.stop().await;
}
