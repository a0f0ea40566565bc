//! `patron probe URL`: the synthetic check of the critical paths, run as a separate process
//! against a served patron, as a CronJob or an uptime service runs it.

use crate::helpers::{PASSWORD, spawn_app};
use crate::process;
use serde_json::{Value, json};

/// Runs `patron probe` with these arguments and environment off the test's runtime threads.
async fn probe(args: Vec<String>, env: Vec<(&'static str, String)>) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || {
        let mut all = vec!["probe"];
        all.extend(args.iter().map(String::as_str));
        let env: Vec<(&str, &str)> = env.iter().map(|(key, value)| (*key, value.as_str())).collect();
        let (status, stdout, stderr) = process::run(&all, &env);
        (status.code().unwrap_or(-1), stdout, stderr)
    })
    .await
    .unwrap()
}

crate::both_backends! {
    async fn passes_every_step_of_a_working_site_and_names_the_step_that_fails(backend: TestBackend) {
        let (app, _db) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Probed").await;
        app.create_post(&owner, &slug, json!({"title": "Hello", "visibility": "public", "status": "published"})).await;
        let prober = app.new_user("probe").await;

        // with a probe account: every step, JSON for tools
        let env = vec![("PATRON_PROBE_EMAIL", prober.email.clone()), ("PATRON_PROBE_PASSWORD", PASSWORD.to_owned())];
        let (code, stdout, stderr) = probe(vec![app.url("/"), "--json".into()], env.clone()).await;
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        let report: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(report["ok"], true);
        let steps: Vec<(&str, &str)> = report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|step| (step["name"].as_str().unwrap(), step["outcome"].as_str().unwrap()))
            .collect();
        assert_eq!(
            steps,
            [
                ("liveness", "ok"),
                ("home", "ok"),
                ("creator page", "ok"),
                ("log in", "ok"),
                ("post page", "ok"),
                ("log out", "ok")
            ]
        );
        // it found the only creator page by itself, and left no session of the probe behind
        assert!(report["steps"][2]["detail"].as_str().unwrap().contains(&format!("GET /{slug} → 200")), "{report}");
        let (status, sessions) =
            app.call(reqwest::Method::GET, "/api/v1/me/sessions", Some(&prober.token), None).await;
        assert_eq!(status, 200, "{sessions}");
        assert_eq!(sessions.as_array().map(Vec::len), Some(1), "{sessions}");

        // a wrong password fails the log-in step; the table says which step and why
        let env = vec![("PATRON_PROBE_EMAIL", prober.email.clone()), ("PATRON_PROBE_PASSWORD", "wrong password".into())];
        let (code, stdout, _) = probe(vec![app.url(""), "--creator".into(), slug.clone()], env).await;
        assert_eq!(code, 1, "{stdout}");
        let line = stdout.lines().find(|line| line.starts_with("log in")).unwrap();
        assert!(line.contains("FAILED") && line.contains("POST /api/v1/auth/login → 401"), "{stdout}");
        assert!(stdout.contains("1 of 5 checks FAILED"), "{stdout}");

        // an unknown creator page fails, and so does its post step
        let (code, stdout, _) = probe(vec![app.url("/"), "--creator".into(), "no-such-page".into()], vec![]).await;
        assert_eq!(code, 1, "{stdout}");
        assert!(stdout.lines().any(|line| line.starts_with("creator page") && line.contains("→ 404")), "{stdout}");
        assert!(stdout.lines().any(|line| line.starts_with("log in") && line.contains("skipped")), "{stdout}");

        let address = app.url("/");
        app.stop().await;
        // a site that is down fails at once, naming the connection
        let (code, stdout, _) = probe(vec![address, "--timeout".into(), "2".into()], vec![]).await;
        assert_eq!(code, 1, "{stdout}");
        assert!(stdout.lines().any(|line| line.starts_with("home") && line.contains("cannot connect")), "{stdout}");
    }
}

#[tokio::test]
async fn refuses_an_address_that_is_not_http() {
    let (code, _, stderr) = probe(vec!["ftp://example.com".into()], vec![]).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("not an http:// or https:// address"), "{stderr}");
}
