//! patron as a separate process: for what only a real process shows — exit codes, messages
//! on stderr, signals.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BINARY: &str = env!("CARGO_BIN_EXE_patron");

/// A `patron` command with a clean environment: no inherited `PATRON_*` settings, JSON logs.
pub fn patron(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BINARY);
    command.args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("PATRON_") {
            command.env_remove(key);
        }
    }
    command.env("PATRON_LOG_FORMAT", "json");
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Runs a command that should finish by itself; returns (status, stdout, stderr).
pub fn run(args: &[&str], env: &[(&str, &str)]) -> (ExitStatus, String, String) {
    let mut child = patron(args, env).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn patron");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(_status) = child.try_wait().expect("wait") {
            let output = child.wait_with_output().expect("output");
            return (
                output.status,
                String::from_utf8_lossy(&output.stdout).into_owned(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("patron {args:?} did not finish within 60s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running `patron serve`.
pub struct Server {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    pub port: u16,
    pub ops_port: Option<u16>,
}

fn collect(stream: impl std::io::Read + Send + 'static, lines: Arc<Mutex<Vec<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            lines.lock().unwrap().push(line);
        }
    });
}

fn port_of(address: &str) -> Option<u16> {
    address.rsplit(':').next()?.parse().ok()
}

impl Server {
    /// Starts `patron serve` and waits until it logs that it is ready.
    pub fn start(env: &[(&str, &str)]) -> Self {
        Self::start_with(&["serve"], env)
    }

    /// Starts patron with these arguments and waits until it logs that it is ready.
    pub fn start_with(args: &[&str], env: &[(&str, &str)]) -> Self {
        // the test's own HTTP clients share patron's rustls build, which needs a provider
        patron_storage::install_tls_provider();
        let mut child = patron(args, env).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
        let lines = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().unwrap(), lines.clone());
        collect(child.stderr.take().unwrap(), lines.clone());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = lines.lock().unwrap().iter().find_map(|line| {
                let value: Value = serde_json::from_str(line).ok()?;
                (value["fields"]["message"] == "patron is ready").then_some(value)
            });
            if let Some(ready) = ready {
                let port = port_of(ready["fields"]["address"].as_str().unwrap()).unwrap();
                let ops_port = ready["fields"]["ops_address"].as_str().and_then(port_of);
                return Self { child, lines, port, ops_port };
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("patron exited ({status}) before it was ready:\n{}", lines.lock().unwrap().join("\n"));
            }
            assert!(Instant::now() < deadline, "patron was not ready within 30s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").args(["-s", signal, &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit; panics after `limit`.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("patron did not exit within {limit:?}:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn output(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Logs in to a running patron as a demo account; returns its API token.
pub async fn demo_login(base: &str, email: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": patron::demo::PASSWORD}))
        .send()
        .await
        .expect("log in");
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.expect("a JSON answer")["token"].as_str().expect("a token").to_owned()
}

/// Waits until the demo's photo and video posts are shown: their files, made when the demo is
/// seeded, are processed by the worker first.
pub async fn demo_media_ready(base: &str) {
    for _ in 0..600 {
        let posts = get_json(&format!("{base}/api/v1/creators/gordikey/posts"), None).await;
        let kinds: Vec<&str> =
            posts["posts"].as_array().expect("posts").iter().filter_map(|p| p["kind"].as_str()).collect();
        if kinds.contains(&"photo") && kinds.contains(&"video") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the demo's photo and video posts were not processed within a minute");
}

/// `value` with the signatures of signed media addresses cut off (another install signs with
/// another key; the addresses are the same).
pub fn without_signatures(mut value: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::String(text) if text.contains("signature=") => {
                let path = text.split('?').next().unwrap_or_default().to_owned();
                *text = path;
            }
            Value::Object(map) => map.values_mut().for_each(strip),
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}

/// GETs JSON from a running patron, with a bearer token when given; asserts 200.
pub async fn get_json(url: &str, token: Option<&str>) -> Value {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.expect("a JSON answer")
}
