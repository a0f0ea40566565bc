//! `spawn_app`: patron in this process, on port 0, against a fresh database.

use patron::{Application, Roles};
use patron_settings::Settings;
pub use patron_testkit::{TestBackend, TestDatabase};
use serde_json::{Value, json};
use std::sync::Once;

/// Runs one test body on SQLite and on PostgreSQL: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($backend:ident: TestBackend) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($backend: $crate::helpers::TestBackend) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { run($crate::helpers::TestBackend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { run($crate::helpers::TestBackend::Postgres).await }
        }
    )*};
}

pub const SECRET_KEY: &str = "test-secret-key-0123456789-abcdefghijklmnop";
pub const PASSWORD: &str = "correct horse battery";

fn init_logs() {
    patron_storage::install_tls_provider();
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt().with_env_filter("info,patron=debug").with_test_writer().try_init();
        }
    });
}

/// A running patron.
pub struct TestApp {
    pub address: String,
    pub ops_port: Option<u16>,
    pub state: patron_web::AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), patron::StartupError>>>,
}

/// The settings a test app runs with: the database, a data folder inside the test's
/// temporary folder, port 0, and any overrides.
pub fn test_settings(database: &TestDatabase, overrides: &[(&str, &str)]) -> Settings {
    let data_dir = database.path().to_string_lossy().into_owned();
    let mut env: Vec<(String, String)> = vec![
        ("PATRON_LISTEN".into(), "127.0.0.1:0".into()),
        ("PATRON_DATA_DIR".into(), data_dir.clone()),
        ("PATRON_DATABASE_URL".into(), database.url.clone()),
        ("PATRON_STORAGE_URL".into(), format!("file://{data_dir}/storage")),
        ("PATRON_SECRET_KEY".into(), SECRET_KEY.into()),
    ];
    for (key, value) in overrides {
        env.retain(|(k, _)| k != key);
        env.push(((*key).to_owned(), (*value).to_owned()));
    }
    Settings::load(None, env).unwrap_or_else(|e| panic!("test settings are invalid: {e}"))
}

/// Starts patron on a new database of `backend`.
pub async fn spawn_app(backend: TestBackend) -> (TestApp, TestDatabase) {
    spawn_app_with(backend, &[]).await
}

/// Starts patron on a new database with extra settings.
pub async fn spawn_app_with(backend: TestBackend, overrides: &[(&str, &str)]) -> (TestApp, TestDatabase) {
    let database = TestDatabase::create(backend).await;
    let app = spawn_on(&database, overrides).await;
    (app, database)
}

/// Starts patron on an existing test database (for restarts and second instances). Cloud
/// mode refuses an unmigrated database, so migrations run first, as the Helm hook does.
pub async fn spawn_on(database: &TestDatabase, overrides: &[(&str, &str)]) -> TestApp {
    init_logs();
    let settings = test_settings(database, overrides);
    if database.backend == TestBackend::Postgres {
        let db = patron_store::Db::connect(&settings.database_url, 2).await.expect("connect for migrations");
        patron_store::migrate::run(&db).await.expect("migrate");
        db.close().await;
    }
    let app = Application::build(settings, Roles::ALL).await.unwrap_or_else(|e| panic!("patron did not start: {e}"));
    let port = app.port();
    let ops_port = app.ops_port();
    let state = app.state().clone();
    let (sender, receiver) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = receiver.await;
    }));
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        ops_port,
        state,
        shutdown: Some(sender),
        server: Some(server),
    }
}

/// A client that keeps cookies and does not follow redirects.
pub fn browser() -> reqwest::Client {
    patron_storage::install_tls_provider();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// The value of `name="csrf_token"` in a page.
pub fn csrf_from_page(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).map(|i| i + marker.len()).expect("page has a csrf_token field");
    html[start..].split('"').next().unwrap_or_default().to_owned()
}

/// An e-mail address unique to this test run.
pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", uuid::Uuid::new_v4().simple())
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server stopped cleanly");
        }
    }

    /// `POST /api/v1/auth/register`; returns the response.
    pub async fn api_register(&self, email: &str, password: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url("/api/v1/auth/register"))
            .json(&json!({"email": email, "password": password, "display_name": "Test Fan"}))
            .send()
            .await
            .expect("request")
    }

    /// Registers through the API and returns the bearer token.
    pub async fn register_fan(&self, email: &str) -> String {
        let response = self.api_register(email, PASSWORD).await;
        assert_eq!(response.status(), 201, "registration failed");
        let body: Value = response.json().await.expect("json");
        body["token"].as_str().expect("token").to_owned()
    }

    /// `POST /api/v1/auth/login` from a fresh client.
    pub async fn api_login(&self, email: &str, password: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("request")
    }

    /// `GET /api/v1/me` with a bearer token.
    pub async fn me(&self, token: &str) -> reqwest::Response {
        reqwest::Client::new().get(self.url("/api/v1/me")).bearer_auth(token).send().await.expect("request")
    }

    /// Opens `path` in `client` and returns the page's CSRF token.
    pub async fn csrf_token(&self, client: &reqwest::Client, path: &str) -> String {
        let html = client.get(self.url(path)).send().await.expect("request").text().await.expect("body");
        csrf_from_page(&html)
    }

    /// Registers through the web form in `client`, which ends up logged in.
    pub async fn web_register(&self, client: &reqwest::Client, email: &str) -> reqwest::Response {
        let token = self.csrf_token(client, "/register").await;
        client
            .post(self.url("/register"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", email),
                ("display_name", "Web Fan"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .expect("request")
    }

    /// Logs in through the web form in `client`.
    pub async fn web_login(&self, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
        let token = self.csrf_token(client, "/login").await;
        client
            .post(self.url("/login"))
            .form(&[("csrf_token", token.as_str()), ("email", email), ("password", password)])
            .send()
            .await
            .expect("request")
    }
}

/// A registered user of a test: their API token and id.
#[derive(Clone, Debug)]
pub struct Fan {
    pub token: String,
    pub id: String,
    pub email: String,
}

impl TestApp {
    /// Registers a user through the API.
    pub async fn new_user(&self, prefix: &str) -> Fan {
        let email = unique_email(prefix);
        let response = self.api_register(&email, PASSWORD).await;
        assert_eq!(response.status(), 201, "registration failed");
        let body: Value = response.json().await.expect("json");
        Fan {
            token: body["token"].as_str().unwrap().to_owned(),
            id: body["user"]["id"].as_str().unwrap().to_owned(),
            email,
        }
    }

    /// An authenticated JSON request.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = reqwest::Client::new().request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates a creator page owned by `owner`; returns its slug.
    pub async fn create_creator(&self, owner: &Fan, name: &str) -> String {
        let slug = format!("c-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/v1/creators",
                Some(&owner.token),
                Some(json!({"slug": slug, "name": name, "bio": "About **us**"})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        slug
    }

    /// Adds a tier; returns its id.
    pub async fn create_tier(&self, owner: &Fan, slug: &str, name: &str, monthly_price: i64) -> String {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/creators/{slug}/tiers"),
                Some(&owner.token),
                Some(json!({"name": name, "monthly_price": monthly_price, "benefits": ["A thank-you"]})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Writes a post; returns its id.
    pub async fn create_post(&self, author: &Fan, slug: &str, post: Value) -> String {
        let (status, body) = self
            .call(reqwest::Method::POST, &format!("/api/v1/creators/{slug}/posts"), Some(&author.token), Some(post))
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Gives `fan` a membership of `slug` at `tier_id` directly in the database — payments
    /// arrive with their own issue; the public API has no way to do this.
    pub async fn grant_membership(
        &self,
        fan: &Fan,
        slug: &str,
        tier_id: &str,
        status: &str,
        grace: Option<std::time::Duration>,
    ) {
        use patron_domain::Timestamp;
        let db = &self.state.app.db;
        let creator = patron_store::creators::find_by_slug(db.pool(), slug).await.unwrap().expect("creator");
        let status = patron_domain::membership::MembershipStatus::parse(status).expect("status");
        let now = Timestamp::now();
        let new = patron_store::memberships::NewMembership {
            user_id: fan.id.parse().unwrap(),
            creator_id: creator.id,
            tier_id: tier_id.parse().unwrap(),
            status,
            price: 9900,
            currency: "CZK".into(),
            billing_interval: "month",
            period: Some((now, now.plus(std::time::Duration::from_secs(30 * 24 * 3600)))),
            grace_until: grace.map(|g| now.plus(g)),
        };
        let mut transaction = db.begin_write().await.unwrap();
        patron_store::memberships::insert(&mut transaction, &new).await.unwrap();
        transaction.commit().await.unwrap();
    }
}
