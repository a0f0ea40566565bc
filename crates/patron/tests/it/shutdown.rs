//! Graceful shutdown (lesson 8): on SIGTERM readiness fails at once, the listener closes,
//! in-flight requests finish, and the process exits 0 within the grace period.

use crate::both_backends;
use crate::helpers::*;
use crate::process::Server;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn start(dir: &tempfile::TempDir, extra: &[(&str, &str)]) -> Server {
    let mut env = vec![
        ("PATRON_DATA_DIR", dir.path().to_str().unwrap()),
        ("PATRON_LISTEN", "127.0.0.1:0"),
        ("PATRON_METRICS_LISTEN", "127.0.0.1:0"),
        ("PATRON_SHUTDOWN_GRACE", "10s"),
    ];
    env.extend_from_slice(extra);
    Server::start(&env)
}

both_backends! {
    async fn a_slow_request_in_flight_at_sigterm_completes_while_new_connections_are_refused(backend: TestBackend) {
    let database = TestDatabase::create(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = vec![("PATRON_DATABASE_URL", database.url.as_str()), ("PATRON_SECRET_KEY", SECRET_KEY)];
    if backend == TestBackend::Postgres {
        let (status, _, stderr) = crate::process::run(&["migrate"], &env);
        assert!(status.success(), "{stderr}");
    }
    env.push(("PATRON_LOG_LEVEL", "info"));
    let mut server = start(&dir, &env);
    let email = unique_email("slow");
    let registered = reqwest::Client::new()
        .post(server.url("/api/v1/auth/register"))
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);

    // a client on a slow network: the log-in body trickles in over three seconds
    let body = serde_json::json!({"email": email, "password": PASSWORD}).to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut slow = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        slow,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(500));

    server.signal("TERM");
    let signalled = Instant::now();
    let ops = format!("http://127.0.0.1:{}", server.ops_port.unwrap());
    let readiness = loop {
        let response = reqwest::get(format!("{ops}/readyz")).await.unwrap();
        if response.status() == 503 || signalled.elapsed() > Duration::from_secs(2) {
            break response;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(readiness.status(), 503, "readiness fails as soon as the drain starts");
    assert_eq!(readiness.json::<serde_json::Value>().await.unwrap()["status"], "draining");

    let refused = loop {
        match TcpStream::connect(("127.0.0.1", server.port)) {
            Err(error) => break error,
            Ok(_) if signalled.elapsed() < Duration::from_secs(2) => std::thread::sleep(Duration::from_millis(20)),
            Ok(_) => panic!("the listener still accepts new connections 2s after SIGTERM"),
        }
    };
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);

    std::thread::sleep(Duration::from_secs(3).saturating_sub(started.elapsed()));
    slow.write_all(rest.as_bytes()).unwrap();
    let mut response = String::new();
    slow.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "the in-flight request did not complete:\n{response}");
    assert!(response.contains("\"token\""), "{response}");

    let status = server.wait(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{}", server.output());
    assert!(signalled.elapsed() < Duration::from_secs(10), "exited within the grace period");
    drop(server);
    database.drop_database().await;
}
}

#[test]
fn sigint_stops_an_idle_server_at_once_with_exit_code_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(&dir, &[]);
    server.signal("INT");
    let status = server.wait(Duration::from_secs(5));
    assert_eq!(status.code(), Some(0), "{}", server.output());
}

#[test]
fn a_request_still_running_when_the_grace_period_ends_is_cut_off_and_patron_exits() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(&dir, &[("PATRON_SHUTDOWN_GRACE", "1s")]);
    let mut stuck = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        stuck,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let signalled = Instant::now();
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(5));
    assert_eq!(status.code(), Some(0));
    assert!(signalled.elapsed() < Duration::from_secs(3), "the grace period bounds the drain");
    assert!(server.output().contains("cut off"), "{}", server.output());
}
