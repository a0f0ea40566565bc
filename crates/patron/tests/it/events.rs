//! Live events over Server-Sent Events: an event caused on one instance reaches a client of
//! another — through Redis, and through PostgreSQL alone — and a reconnecting client gets
//! what it missed. And Redis going away mid-run costs nothing but sharing.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// The Redis the suite shares (scripts/test sets it; a missing one fails the tests).
fn redis_url() -> String {
    std::env::var("PATRON_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A client reading `/api/v1/events`.
pub(crate) struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

/// One event as received.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) data: Value,
}

impl EventStream {
    pub(crate) async fn open(app: &TestApp, token: &str, last_event_id: Option<&str>) -> Self {
        let mut request = reqwest::Client::new().get(app.url("/api/v1/events")).bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        Self { response, buffer: String::new() }
    }

    /// The next event of `kind` (others are skipped), or a panic after `limit`.
    pub(crate) async fn next(&mut self, kind: &str, limit: Duration) -> Received {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("id:") {
                        id = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("event:") {
                        event = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim());
                    }
                }
                if event == kind {
                    return Received { id, kind: event, data: serde_json::from_str(&data).unwrap() };
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("no {kind} event within {limit:?}"))
                .unwrap()
                .unwrap_or_else(|| panic!("the stream ended before a {kind} event"));
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Asserts that no event of `kind` arrives within `wait`.
    pub(crate) async fn none(&mut self, kind: &str, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            assert!(!self.buffer.contains(&format!("event: {kind}\n")), "unexpected {kind}: {}", self.buffer);
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return,
                Ok(chunk) => self.buffer.push_str(&String::from_utf8_lossy(&chunk.unwrap().unwrap_or_default())),
            }
        }
    }
}

/// Two instances on one PostgreSQL database, with extra settings; a fan following a creator
/// and a stranger, all created through instance B.
async fn across_instances(overrides: &[(&str, &str)], bus: &str) {
    let database = TestDatabase::create(TestBackend::Postgres).await;
    let a = spawn_on(&database, overrides).await;
    let b = spawn_on(&database, overrides).await;
    assert_eq!(a.state.app.bus.describe(), bus);
    let owner = b.new_user("owner").await;
    let slug = b.create_creator(&owner, "Gordikey").await;
    let fan = b.new_user("fan").await;
    let stranger = b.new_user("stranger").await;
    let (status, _) = b.call(Method::POST, &format!("/api/v1/creators/{slug}/follow"), Some(&fan.token), None).await;
    assert!(status == 200 || status == 204);

    let mut fan_stream = EventStream::open(&a, &fan.token, None).await;
    let mut stranger_stream = EventStream::open(&a, &stranger.token, None).await;
    let post = b
        .create_post(
            &owner,
            &slug,
            json!({"title": "Across", "body": "Hi", "visibility": "public", "status": "published"}),
        )
        .await;
    let event = fan_stream.next("post.published", Duration::from_secs(20)).await;
    assert_eq!(event.data["post_id"], post.as_str());
    assert_eq!(event.data["creator_slug"], slug.as_str());
    assert_eq!(event.data["title"], "Across");
    stranger_stream.none("post.published", Duration::from_secs(2)).await;

    // a poll's results, voted on B, reach the open page on A (this event is published by B's
    // web process itself, so only the shared bus can carry it to A)
    let poll = b
        .create_post(
            &owner,
            &slug,
            json!({"title": "Which?", "kind": "poll", "visibility": "public", "status": "published",
                   "poll_options": ["Left", "Right"], "poll_results": "always"}),
        )
        .await;
    let (status, body) =
        b.call(Method::GET, &format!("/api/v1/creators/{slug}/posts/{poll}"), Some(&fan.token), None).await;
    assert_eq!(status, 200, "{body}");
    let option = body["poll"]["options"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = b
        .call(
            Method::POST,
            &format!("/api/v1/creators/{slug}/posts/{poll}/votes"),
            Some(&fan.token),
            Some(json!({"option_ids": [option]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let event = fan_stream.next("poll.results", Duration::from_secs(20)).await;
    assert_eq!(event.data["post_id"], poll.as_str());

    drop((fan_stream, stranger_stream));
    a.stop().await;
    b.stop().await;
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_caused_on_one_instance_reaches_a_client_of_another_through_postgres() {
    across_instances(&[], "PostgreSQL LISTEN/NOTIFY").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_caused_on_one_instance_reaches_a_client_of_another_through_redis() {
    let url = redis_url();
    let redis = redis::Client::open(url.as_str()).unwrap();
    let mut connection = redis
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("no Redis at {url} (PATRON_TEST_REDIS_URL): {e}"));
    let pong: String = redis::cmd("PING").query_async(&mut connection).await.unwrap();
    assert_eq!(pong, "PONG");
    across_instances(&[("PATRON_CACHE_URL", &url)], "Redis pub/sub").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_reaches_its_addressee_and_a_reconnecting_client_gets_what_it_missed() {
    let (app, database) = spawn_app(TestBackend::Sqlite).await;
    let owner = app.new_user("owner").await;
    let slug = app.create_creator(&owner, "Gordikey").await;
    let fan = app.new_user("fan").await;
    let post = app
        .create_post(
            &owner,
            &slug,
            json!({"title": "Talk", "body": "Hi", "visibility": "public", "status": "published"}),
        )
        .await;
    let (status, comment) = app
        .call(
            Method::POST,
            &format!("/api/v1/creators/{slug}/posts/{post}/comments"),
            Some(&fan.token),
            Some(json!({"body": "First"})),
        )
        .await;
    assert_eq!(status, 201, "{comment}");

    let mut stream = EventStream::open(&app, &fan.token, None).await;
    let reply = |body: &'static str| {
        let path = format!("/api/v1/creators/{slug}/posts/{post}/comments");
        let parent = comment["id"].as_str().unwrap().to_owned();
        let app = &app;
        let token = owner.token.clone();
        async move {
            let (status, body) =
                app.call(Method::POST, &path, Some(&token), Some(json!({"body": body, "parent_id": parent}))).await;
            assert_eq!(status, 201, "{body}");
        }
    };
    reply("One").await;
    let first = stream.next("comment.reply", Duration::from_secs(10)).await;
    assert_eq!(first.kind, "comment.reply");
    assert_eq!(first.data["post_id"], post.as_str());
    drop(stream);

    // two replies while the client is away; it comes back with the last id it saw
    reply("Two").await;
    reply("Three").await;
    let mut again = EventStream::open(&app, &fan.token, Some(&first.id)).await;
    let second = again.next("comment.reply", Duration::from_secs(5)).await;
    let third = again.next("comment.reply", Duration::from_secs(5)).await;
    assert!(second.id > first.id && third.id > second.id, "in order, none repeated");
    app.stop().await;
    database.drop_database().await;
}

/// A Redis server of this test alone, so it can be stopped.
struct OwnRedis {
    child: std::process::Child,
    port: u16,
}

impl OwnRedis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server must be installed (.ci/run installs it)");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_redis_stops_requests_keep_succeeding_and_jobs_still_run() {
    let mut redis = OwnRedis::start();
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let (app, database) = spawn_app_with(TestBackend::Postgres, &[("PATRON_CACHE_URL", &url)]).await;
    let owner = app.new_user("owner").await;
    let slug = app.create_creator(&owner, "Gordikey").await;
    let response = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(response.status(), 200);
    // the log-in counter lives in Redis while it runs
    assert_eq!(app.api_login(&owner.email, PASSWORD).await.status(), 200);

    redis.stop();
    for _ in 0..3 {
        assert_eq!(app.api_login(&owner.email, PASSWORD).await.status(), 200, "log-in works without Redis");
    }
    let page = reqwest::get(app.url(&format!("/{slug}"))).await.unwrap();
    assert_eq!(page.status(), 200);
    let (status, _) = app.call(Method::GET, "/api/v1/me", Some(&owner.token), None).await;
    assert_eq!(status, 200, "sessions come from the database");
    let ready = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200, "a missing cache does not take the instance out of service");
    let body: Value = ready.json().await.unwrap();
    assert_ne!(body["checks"]["cache"], "ok", "but it is reported");
    assert_eq!(body["status"], "degraded");
    // rate limits still hold, counted in this process
    for _ in 0..12 {
        let _ = app.api_login(&owner.email, "wrong password").await;
    }
    assert_eq!(app.api_login(&owner.email, "wrong password").await.status(), 429);

    // a job enqueued now still runs: the queue is in the database
    let invitee = unique_email("helper");
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/creators/{slug}/invitations"),
            Some(&owner.token),
            Some(json!({"email": invitee})),
        )
        .await;
    assert_eq!(status, 201);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while patron_store::mail::outbox(app.state.app.db.pool(), 10).await.unwrap().iter().all(|m| m.recipient != invitee)
    {
        assert!(tokio::time::Instant::now() < deadline, "the invitation was not sent without Redis");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
    database.drop_database().await;
}
