//! Logs go to stdout with the request id on every line of a request; traces go out over OTLP
//! when configured (lessons 9 and 10).

use crate::helpers::*;
use crate::process::Server;
use axum::body::Bytes;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_log_line_of_a_request_carries_its_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut server =
        Server::start(&[("PATRON_DATA_DIR", dir.path().to_str().unwrap()), ("PATRON_LISTEN", "127.0.0.1:0")]);
    let request_id = format!("log-check-{}", uuid::Uuid::new_v4().simple());
    let response = reqwest::Client::new()
        .post(server.url("/api/v1/auth/register"))
        .header("x-request-id", &request_id)
        .json(&serde_json::json!({"email": unique_email("logs"), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    server.signal("TERM");
    server.wait(Duration::from_secs(10));

    // the lines this request wrote, found by what they say, not by the id being checked
    let lines: Vec<serde_json::Value> =
        server.output().lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
    let of_request: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| {
            let message = line["fields"]["message"].as_str().unwrap_or_default();
            let route = line["span"]["route"].as_str().unwrap_or_default();
            message == "account registered" || message == "session opened" || route == "/api/v1/auth/register"
        })
        .collect();
    let messages: Vec<&str> = of_request.iter().filter_map(|l| l["fields"]["message"].as_str()).collect();
    for expected in ["account registered", "session opened", "request finished"] {
        assert!(messages.contains(&expected), "no {expected:?} line: {messages:?}");
    }
    for line in of_request {
        assert_eq!(line["span"]["request_id"], request_id.as_str(), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_are_exported_over_otlp_with_the_request_id() {
    let received: Arc<Mutex<Vec<Bytes>>> = Arc::default();
    let collector = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post({
            let received = received.clone();
            move |body: Bytes| async move {
                received.lock().unwrap().push(body);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, collector).await });

    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&[
        ("PATRON_DATA_DIR", dir.path().to_str().unwrap()),
        ("PATRON_LISTEN", "127.0.0.1:0"),
        ("PATRON_OTLP_ENDPOINT", &endpoint),
    ]);
    let request_id = format!("trace-check-{}", uuid::Uuid::new_v4().simple());
    let response =
        reqwest::Client::new().get(server.url("/api/v1/me")).header("x-request-id", &request_id).send().await.unwrap();
    assert_eq!(response.status(), 401);
    server.signal("TERM");
    assert_eq!(server.wait(Duration::from_secs(15)).code(), Some(0));

    let bodies = received.lock().unwrap().concat();
    assert!(!bodies.is_empty(), "no spans reached the collector:\n{}", server.output());
    assert!(contains(&bodies, &request_id), "the request id is not on the exported span");
    assert!(contains(&bodies, "GET /api/v1/me"), "spans are named by route");
    assert!(contains(&bodies, "patron"), "the service name is set");
}
