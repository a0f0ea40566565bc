//! Platform admins and the job queue: who may look, what they see, retry and discard of dead
//! letters, and `patron admin grant|revoke`.

use crate::both_backends;
use crate::helpers::*;
use reqwest::Method;
use std::time::Duration;

both_backends! {
    async fn admins_inspect_the_queue_and_retry_or_discard_dead_jobs(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let admin = app.new_user("admin").await;
        let fan = app.new_user("fan").await;
        let (status, _) = app.call(Method::GET, "/api/v1/admin/jobs", None, None).await;
        assert_eq!(status, 401);
        let (status, body) = app.call(Method::GET, "/api/v1/admin/jobs", Some(&fan.token), None).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("not_an_admin")));

        // the command an operator runs
        let mut env = vec![("PATRON_DATABASE_URL", database.url.as_str()), ("PATRON_SECRET_KEY", SECRET_KEY)];
        let data_dir = database.path().to_string_lossy().into_owned();
        env.push(("PATRON_DATA_DIR", &data_dir));
        let (status, stdout, stderr) = crate::process::run(&["admin", "grant", &admin.email], &env);
        assert!(status.success(), "{stderr}");
        assert!(stdout.contains("is now a platform admin"), "{stdout}");
        let (status, _, stderr) = crate::process::run(&["admin", "grant", "nobody@example.com"], &env);
        assert_eq!(status.code(), Some(1));
        assert!(stderr.contains("no account"), "{stderr}");

        // a job no handler knows dies at once
        let job = patron_store::jobs::NewJob {
            kind: "no-such-kind".into(),
            payload: "{}".into(),
            run_at: patron_domain::Timestamp::now(),
            max_attempts: 3,
            idempotency_key: None,
        };
        let job_id = patron_store::jobs::enqueue(app.state.app.db.pool(), &job).await.unwrap().unwrap().to_string();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let listed = loop {
            let (status, body) = app.call(Method::GET, "/api/v1/admin/jobs?status=dead", Some(&admin.token), None).await;
            assert_eq!(status, 200, "{body}");
            // the counts and the list are two statements: the job may die between them
            let counted = body["queue"]
                .as_array()
                .unwrap()
                .iter()
                .any(|q| q["kind"] == "no-such-kind" && q["status"] == "dead" && q["count"] == 1);
            if counted && body["jobs"].as_array().unwrap().iter().any(|j| j["id"] == job_id.as_str()) {
                break body;
            }
            assert!(tokio::time::Instant::now() < deadline, "the job never died: {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let dead = listed["jobs"].as_array().unwrap().iter().find(|j| j["id"] == job_id.as_str()).unwrap();
        assert!(dead["last_error"].as_str().unwrap().contains("no handler"), "{dead}");
        assert!(listed["queue"].as_array().unwrap().iter().any(|q| q["kind"] == "no-such-kind" && q["status"] == "dead" && q["count"] == 1));
        let (status, _) = app.call(Method::GET, "/api/v1/admin/jobs?status=bogus", Some(&admin.token), None).await;
        assert_eq!(status, 400);

        // the page shows it too, with the admin link in the navigation
        let client = browser();
        assert_eq!(app.web_login(&client, &admin.email, PASSWORD).await.status(), 303);
        let html = client.get(app.url("/admin/jobs")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(&job_id) && html.contains("nav-admin"), "{html}");
        let fan_client = browser();
        assert_eq!(app.web_login(&fan_client, &fan.email, PASSWORD).await.status(), 303);
        assert_eq!(fan_client.get(app.url("/admin/jobs")).send().await.unwrap().status(), 403);

        // retry: back in the queue with fresh attempts (and, with no handler, dead again)
        let (status, _) = app.call(Method::POST, &format!("/api/v1/admin/jobs/{job_id}/retry"), Some(&admin.token), None).await;
        assert_eq!(status, 204);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let rows = patron_store::jobs::list(&app.state.app.db, "dead", 10).await.unwrap();
            if rows.iter().any(|r| r.id.to_string() == job_id && r.attempts == 1) {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the retried job did not run again");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // discard through the page's form
        let token = csrf_from_page(&client.get(app.url("/admin/jobs")).send().await.unwrap().text().await.unwrap());
        let response = client
            .post(app.url(&format!("/admin/jobs/{job_id}/discard")))
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        assert!(patron_store::jobs::list(&app.state.app.db, "dead", 10).await.unwrap().is_empty());
        let (status, _) = app.call(Method::DELETE, &format!("/api/v1/admin/jobs/{job_id}"), Some(&admin.token), None).await;
        assert_eq!(status, 404, "gone already");
        // both actions are in the audit log, newest first, with who did them
        let audit = patron_store::audit::entries(app.state.app.db.pool(), 10).await.unwrap();
        let actions: Vec<&str> = audit.iter().map(|entry| entry.1.as_str()).collect();
        assert_eq!(actions, ["job.discard", "job.retry"]);
        assert!(audit.iter().all(|entry| entry.0.map(|a| a.to_string()).as_deref() == Some(admin.id.as_str())));

        // and revoke
        let (status, _, stderr) = crate::process::run(&["admin", "revoke", &admin.email], &env);
        assert!(status.success(), "{stderr}");
        let (status, _) = app.call(Method::GET, "/api/v1/admin/jobs", Some(&admin.token), None).await;
        assert_eq!(status, 403);
        app.stop().await;
        database.drop_database().await;
    }
}
