//! `patron probe URL`: a synthetic check of the paths people use — the home page, a creator
//! page, logging in, a post — against a running patron from the outside, as a Kubernetes
//! CronJob or an uptime service runs it. It prints one line per step with its time and exits
//! non-zero when any step failed.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use url::Url;

/// What to probe, from the command line and the environment.
#[derive(Debug)]
pub struct Options {
    /// The site's public address.
    pub base: Url,
    /// The creator page to check; the newest public page when unset.
    pub creator: Option<String>,
    /// The probe account's e-mail address (`--email` or `PATRON_PROBE_EMAIL`).
    pub email: Option<String>,
    /// Its password, only from `PATRON_PROBE_PASSWORD` (never on the command line, where `ps`
    /// would show it).
    pub password: Option<String>,
    /// Longest time one request may take.
    pub timeout: Duration,
}

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed,
    /// Not run: what it needs is not configured (the log-in without a probe account).
    Skipped,
}

/// One checked path.
#[derive(Debug, Clone)]
pub struct Step {
    pub name: &'static str,
    pub outcome: Outcome,
    pub elapsed: Duration,
    /// The requests made and their statuses, or why the step failed.
    pub detail: String,
}

/// The whole run.
#[derive(Debug)]
pub struct Report {
    pub base: Url,
    pub steps: Vec<Step>,
    pub elapsed: Duration,
}

impl Report {
    /// Whether every step that ran passed.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|step| step.outcome != Outcome::Failed)
    }

    /// The table printed on a terminal or into a CronJob's log.
    pub fn table(&self) -> String {
        let mut out = format!("patron probe {}\n", self.base);
        out.push_str(&format!("{:<14} {:<7} {:>9}  {}\n", "STEP", "RESULT", "TIME", "DETAIL"));
        for step in &self.steps {
            let result = match step.outcome {
                Outcome::Ok => "ok",
                Outcome::Failed => "FAILED",
                Outcome::Skipped => "skipped",
            };
            out.push_str(&format!(
                "{:<14} {:<7} {:>6} ms  {}\n",
                step.name,
                result,
                step.elapsed.as_millis(),
                step.detail
            ));
        }
        let failed = self.steps.iter().filter(|step| step.outcome == Outcome::Failed).count();
        let ran = self.steps.iter().filter(|step| step.outcome != Outcome::Skipped).count();
        if failed == 0 {
            out.push_str(&format!("all {ran} checks passed in {} ms\n", self.elapsed.as_millis()));
        } else {
            out.push_str(&format!("{failed} of {ran} checks FAILED ({} ms)\n", self.elapsed.as_millis()));
        }
        out
    }

    /// The same as JSON, for tools.
    pub fn json(&self) -> Value {
        json!({
            "url": self.base.as_str(),
            "ok": self.passed(),
            "elapsed_ms": self.elapsed.as_millis() as u64,
            "steps": self.steps.iter().map(|step| json!({
                "name": step.name,
                "outcome": match step.outcome {
                    Outcome::Ok => "ok",
                    Outcome::Failed => "failed",
                    Outcome::Skipped => "skipped",
                },
                "elapsed_ms": step.elapsed.as_millis() as u64,
                "detail": step.detail,
            })).collect::<Vec<_>>(),
        })
    }
}

/// A request's result as one step's text: `GET /path → 200`.
struct Call {
    status: Option<StatusCode>,
    body: Option<Value>,
    line: String,
}

struct Prober {
    client: Client,
    base: Url,
}

impl Prober {
    fn address(&self, path: &str) -> Result<Url, String> {
        self.base.join(path.trim_start_matches('/')).map_err(|error| format!("{path}: {error}"))
    }

    async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Call {
        let url = match self.address(path) {
            Ok(url) => url,
            Err(error) => return Call { status: None, body: None, line: error },
        };
        let mut request = self.client.request(method.clone(), url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                let json = response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|value| value.to_str().ok())
                    .is_some_and(|value| value.starts_with("application/json"));
                let body = if json && method != Method::HEAD { response.json::<Value>().await.ok() } else { None };
                Call { status: Some(status), body, line: format!("{method} {path} → {}", status.as_u16()) }
            }
            Err(error) => {
                let reason = if error.is_timeout() {
                    "timed out".to_owned()
                } else if error.is_connect() {
                    "cannot connect".to_owned()
                } else {
                    error.to_string()
                };
                Call { status: None, body: None, line: format!("{method} {path}: {reason}") }
            }
        }
    }

    /// One request that must answer `wanted`.
    async fn status(&self, method: Method, path: &str, wanted: StatusCode) -> Result<String, String> {
        let call = self.call(method, path, None, None).await;
        expect(&call, wanted).map(|()| call.line)
    }

    /// The creator page `slug` names, or the newest public one (then `slug` is set to it).
    async fn creator_page(&self, slug: &mut Option<String>) -> Result<String, String> {
        let mut lines = Vec::new();
        if slug.is_none() {
            let call = self.call(Method::GET, "/api/v1/creators", None, None).await;
            expect(&call, StatusCode::OK)?;
            *slug = call
                .body
                .as_ref()
                .and_then(|body| body["creators"].get(0))
                .and_then(|creator| creator["slug"].as_str())
                .map(str::to_owned);
            if slug.is_none() {
                return Err(format!("{}, but no creator page to probe (pass --creator)", call.line));
            }
            lines.push(call.line);
        }
        let path = format!("/{}", slug.as_deref().unwrap_or_default());
        let call = self.call(Method::GET, &path, None, None).await;
        expect(&call, StatusCode::OK)?;
        lines.push(call.line);
        Ok(lines.join(", "))
    }

    /// The newest post of the creator page `slug`, as a page and, logged in, through the API.
    async fn post_page(&self, slug: &str, token: Option<&str>) -> Result<String, String> {
        let list = self.call(Method::GET, &format!("/api/v1/creators/{slug}/posts"), token, None).await;
        expect(&list, StatusCode::OK)?;
        let Some(post) = list.body.as_ref().and_then(|body| body["posts"].get(0)).and_then(|post| post["id"].as_str())
        else {
            return Err(format!("{}, but the page has no post to probe", list.line));
        };
        let page = self.call(Method::GET, &format!("/{slug}/posts/{post}"), None, None).await;
        expect(&page, StatusCode::OK)?;
        let mut lines = vec![list.line, page.line];
        if token.is_some() {
            let api = self.call(Method::GET, &format!("/api/v1/creators/{slug}/posts/{post}"), token, None).await;
            expect(&api, StatusCode::OK)?;
            lines.push(api.line);
        }
        Ok(lines.join(", "))
    }
}

/// Times `check` as one step.
async fn step<F>(steps: &mut Vec<Step>, name: &'static str, check: F)
where
    F: Future<Output = Result<String, String>>,
{
    let started = Instant::now();
    let (outcome, detail) = match check.await {
        Ok(detail) => (Outcome::Ok, detail),
        Err(detail) => (Outcome::Failed, detail),
    };
    steps.push(Step { name, outcome, elapsed: started.elapsed(), detail });
}

fn expect(call: &Call, wanted: StatusCode) -> Result<(), String> {
    match call.status {
        Some(status) if status == wanted => Ok(()),
        Some(_) => Err(format!("{} (expected {})", call.line, wanted.as_u16())),
        None => Err(call.line.clone()),
    }
}

/// Runs every step against `options.base`.
pub async fn run(options: Options) -> Report {
    patron_storage::install_tls_provider();
    let started = Instant::now();
    let mut steps = Vec::new();
    let client = match Client::builder()
        .timeout(options.timeout)
        .user_agent(concat!("patron-probe/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            steps.push(Step {
                name: "client",
                outcome: Outcome::Failed,
                elapsed: Duration::ZERO,
                detail: format!("cannot build an HTTP client: {error}"),
            });
            return Report { base: options.base, steps, elapsed: started.elapsed() };
        }
    };
    let mut base = options.base.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    let prober = Prober { client, base };

    step(&mut steps, "liveness", prober.status(Method::HEAD, "/healthz", StatusCode::OK)).await;
    step(&mut steps, "home", prober.status(Method::GET, "/", StatusCode::OK)).await;
    let mut slug = options.creator.clone();
    step(&mut steps, "creator page", prober.creator_page(&mut slug)).await;
    let mut token = None;
    log_in(&mut steps, &prober, &options, &mut token).await;
    if let Some(slug) = slug.as_deref() {
        step(&mut steps, "post page", prober.post_page(slug, token.as_deref())).await;
    } else {
        steps.push(Step {
            name: "post page",
            outcome: Outcome::Failed,
            elapsed: Duration::ZERO,
            detail: "no creator page to take a post from".to_owned(),
        });
    }
    if let Some(token) = token.as_deref() {
        // the probe's token is ended each time, so runs every minute leave no sessions behind
        step(&mut steps, "log out", async {
            let call = prober.call(Method::POST, "/api/v1/auth/logout", Some(token), None).await;
            expect(&call, StatusCode::NO_CONTENT).map(|()| call.line)
        })
        .await;
    }

    Report { base: options.base, steps, elapsed: started.elapsed() }
}

/// The log-in step with the probe account, when one is configured; sets `token` when the
/// site issued one.
async fn log_in(steps: &mut Vec<Step>, prober: &Prober, options: &Options, token: &mut Option<String>) {
    match (&options.email, &options.password) {
        (Some(email), Some(password)) => {
            step(steps, "log in", async {
                let body = json!({"email": email, "password": password, "token_name": "patron probe"});
                let call = prober.call(Method::POST, "/api/v1/auth/login", None, Some(body)).await;
                expect(&call, StatusCode::OK)?;
                let Some(issued) = call.body.as_ref().and_then(|body| body["token"].as_str()) else {
                    return Err(format!("{}, but the answer holds no token", call.line));
                };
                *token = Some(issued.to_owned());
                let me = prober.call(Method::GET, "/api/v1/me", token.as_deref(), None).await;
                expect(&me, StatusCode::OK)?;
                Ok(format!("{}, {}", call.line, me.line))
            })
            .await;
        }
        (None, None) => steps.push(Step {
            name: "log in",
            outcome: Outcome::Skipped,
            elapsed: Duration::ZERO,
            detail: "no probe account (--email or PATRON_PROBE_EMAIL, and PATRON_PROBE_PASSWORD)".to_owned(),
        }),
        (Some(_), None) => steps.push(Step {
            name: "log in",
            outcome: Outcome::Failed,
            elapsed: Duration::ZERO,
            detail: "an e-mail address but no PATRON_PROBE_PASSWORD".to_owned(),
        }),
        (None, Some(_)) => steps.push(Step {
            name: "log in",
            outcome: Outcome::Failed,
            elapsed: Duration::ZERO,
            detail: "PATRON_PROBE_PASSWORD but no e-mail address (--email or PATRON_PROBE_EMAIL)".to_owned(),
        }),
    }
}
