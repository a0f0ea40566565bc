//! E-mail end to end against an SMTP sink: who gets a new-post mail, one-click unsubscribe,
//! invitations, the outbox without SMTP — and the guarantees: a job run twice sends once;
//! a worker killed with SIGKILL mid-send leaves exactly one mail; two instances fire each
//! scheduled tick once.

use crate::both_backends;
use crate::helpers::*;
use crate::process::Server;
use patron_jobs::{Handler, JobContext, JobError};
use patron_mail::jobs::{EmailJob, SendEmail};
use patron_mail::{Mailer, Template};
use patron_testkit::smtp::{Answer, Received, SmtpSink};
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn recipients(mails: &[Received], subject_part: &str) -> Vec<String> {
    let mut to: Vec<String> = mails
        .iter()
        .filter(|m| m.header("Subject").is_some_and(|s| s.contains(subject_part)))
        .flat_map(|m| m.to.clone())
        .collect();
    to.sort();
    to
}

both_backends! {
    async fn a_new_post_is_mailed_once_to_each_entitled_follower_and_unsubscribe_works(backend: TestBackend) {
        let sink = SmtpSink::start().await;
        let (app, database) = spawn_app_with(backend, &[("PATRON_SMTP_URL", &sink.url())]).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Gordikey").await;
        let low = app.create_tier(&owner, &slug, "Granules", 5900).await;
        let high = app.create_tier(&owner, &slug, "Steaks", 9900).await;
        let steak_fan = app.new_user("steak").await;
        let granule_fan = app.new_user("granule").await;
        let follower = app.new_user("follower").await;
        let quitter = app.new_user("quitter").await;
        let stranger = app.new_user("stranger").await;
        app.grant_membership(&steak_fan, &slug, &high, "active", None).await;
        app.grant_membership(&quitter, &slug, &high, "active", None).await;
        app.grant_membership(&granule_fan, &slug, &low, "active", None).await;
        let (status, _) = app.call(Method::POST, &format!("/api/v1/creators/{slug}/follow"), Some(&follower.token), None).await;
        assert!(status == 200 || status == 204, "follow: {status}");

        // a post for the higher tier: only its members
        let post = app
            .create_post(&owner, &slug, json!({"title": "Steak day", "body": "The **best** day", "visibility": "tier", "min_tier_id": high, "status": "published"}))
            .await;
        let mails = sink.wait_for(WAIT, "two new-post mails", |m| recipients(m, "Steak day").len() >= 2).await;
        let mut expected = vec![steak_fan.email.clone(), quitter.email.clone()];
        expected.sort();
        assert_eq!(recipients(&mails, "Steak day"), expected);
        let mail = mails
            .iter()
            .find(|m| m.to == [quitter.email.clone()] && m.header("Subject").is_some_and(|s| s.contains("Steak day")))
            .unwrap();
        assert!(mail.decoded().contains(&format!("/{slug}/posts/{post}")), "the mail links the post: {}", mail.decoded());
        assert!(mail.header("Message-ID").is_some());
        assert_eq!(mail.header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
        let one_click = mail.header("List-Unsubscribe").unwrap();
        let one_click = one_click.trim_start_matches('<').trim_end_matches('>').to_owned();
        assert!(one_click.starts_with(&app.state.app.settings.public_url.as_str().trim_end_matches('/').to_owned()), "{one_click}");

        // one click, the way a mail provider does it: no session, just the address
        let path = one_click.split_once("/api/").map(|(_, rest)| format!("/api/{rest}")).unwrap();
        let response = reqwest::Client::new()
            .post(app.url(&path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        // a forged token does nothing
        let forged = format!("{}x", path.trim_end_matches('/'));
        let response = reqwest::Client::new().post(app.url(&forged)).send().await.unwrap();
        assert_eq!(response.status(), 404);

        // a public post: every follower (supporters follow too), but not the one who left
        let public = app
            .create_post(&owner, &slug, json!({"title": "Open house", "body": "Hi", "visibility": "public", "status": "published"}))
            .await;
        let mails = sink.wait_for(WAIT, "three public-post mails", |m| recipients(m, "Open house").len() >= 3).await;
        let mut expected = vec![steak_fan.email.clone(), granule_fan.email.clone(), follower.email.clone()];
        expected.sort();
        assert_eq!(recipients(&mails, "Open house"), expected);

        // editing the post sends nothing more; neither does the stranger ever get anything
        let (status, body) = app
            .call(
                Method::PUT,
                &format!("/api/v1/creators/{slug}/posts/{public}"),
                Some(&owner.token),
                Some(json!({"title": "Open house", "body": "Hi again", "visibility": "public", "status": "published"})),
            )
            .await;
        assert!(status == 200 || status == 204, "{status} {body}");
        tokio::time::sleep(Duration::from_secs(3)).await;
        // (every new account also got its address-confirmation mail)
        let mails: Vec<Received> = sink
            .received()
            .into_iter()
            .filter(|m| m.header("Subject").is_some_and(|s| !s.contains("Confirm your e-mail address")))
            .collect();
        assert_eq!(mails.len(), 5, "two + three mails, nothing more: {mails:?}");
        assert!(mails.iter().all(|m| m.to != [stranger.email.clone()] && m.to != [owner.email.clone()]));
        app.stop().await;
        database.drop_database().await;
    }

    async fn an_invitation_is_mailed_and_without_smtp_kept_in_the_outbox(backend: TestBackend) {
        let sink = SmtpSink::start().await;
        let (app, database) = spawn_app_with(backend, &[("PATRON_SMTP_URL", &sink.url())]).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Gordikey").await;
        let invitee = unique_email("helper");
        let (status, body) = app
            .call(Method::POST, &format!("/api/v1/creators/{slug}/invitations"), Some(&owner.token), Some(json!({"email": invitee})))
            .await;
        assert_eq!(status, 201, "{body}");
        let link = body["link"].as_str().unwrap().to_owned();
        let mails = sink.wait_for(WAIT, "the invitation", |m| m.iter().any(|m| m.to == [invitee.clone()])).await;
        let invitation = mails.iter().find(|m| m.to == [invitee.clone()]).unwrap();
        assert!(invitation.decoded().contains(&link), "the mail carries the link: {}", invitation.decoded());
        assert!(invitation.header("List-Unsubscribe").is_none(), "an invitation is not a newsletter");
        // the metrics tell: two mails sent by two successful jobs; a job queued for later
        // shows in the queue gauges
        let later = patron_store::jobs::NewJob {
            kind: "send-email".into(),
            payload: "{}".into(),
            run_at: patron_domain::Timestamp::now().plus(Duration::from_secs(3600)),
            max_attempts: 1,
            idempotency_key: None,
        };
        patron_store::jobs::enqueue(app.state.app.db.pool(), &later).await.unwrap();
        let deadline = tokio::time::Instant::now() + WAIT;
        let metrics = loop {
            let text = reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap();
            if text.contains(r#"patron_job_runs_total{kind="send-email",outcome="succeeded"} 2"#) {
                break text;
            }
            assert!(tokio::time::Instant::now() < deadline, "{text}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        // the owner's address confirmation and the invitation
        assert!(metrics.contains(r#"patron_emails_total{outcome="sent"} 2"#), "{metrics}");
        assert!(metrics.contains(r#"patron_jobs{kind="send-email",status="pending"} 1"#), "{metrics}");
        assert!(metrics.contains("patron_job_duration_seconds_count{kind=\"send-email\"} 2"), "{metrics}");
        app.stop().await;
        database.drop_database().await;

        // embedded mode without SMTP: the outbox
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Gordikey").await;
        let (status, _) = app
            .call(Method::POST, &format!("/api/v1/creators/{slug}/invitations"), Some(&owner.token), Some(json!({"email": invitee})))
            .await;
        assert_eq!(status, 201);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let outbox = patron_store::mail::outbox(app.state.app.db.pool(), 10).await.unwrap();
            if let Some(mail) = outbox.iter().find(|m| m.recipient == invitee) {
                assert_eq!(mail.recipient, invitee);
                assert!(mail.html_body.contains("<html") && mail.text_body.contains("/invitations/"));
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "no mail reached the outbox");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        app.stop().await;
        database.drop_database().await;
    }

    async fn the_same_mail_job_run_twice_at_once_or_in_turn_sends_one_mail(backend: TestBackend) {
        let sink = SmtpSink::start().await;
        // no worker in this app: the test runs the handler itself
        let (app, database) = spawn_app_with(backend, &[("PATRON_SMTP_URL", &sink.url()), ("PATRON_SMTP_TIMEOUT", "3s")]).await;
        let context = JobContext { db: app.state.app.db.clone(), settings: app.state.app.settings.clone(), bus: app.state.app.bus.clone(),
            metrics: patron_jobs::JobMetrics::default(),
        };
        let mailer = Mailer::from_settings(&context.settings, context.db.clone()).unwrap();
        let handler = Arc::new(SendEmail::new(mailer, app.state.app.secret_key.clone()));
        let payload = |key: &str| {
            patron_jobs::payload::encode(1, &EmailJob {
                key: key.to_owned(),
                to: "fan@example.com".to_owned(),
                locale: "cs".to_owned(),
                template: Template::TeamInvitation { creator_name: "Gordikey".into(), inviter_name: "Owner".into() },
                link: patron_mail::Link::Plain { url: "https://x.example/i".into() },
                unsubscribe: None,
            })
            .unwrap()
        };

        // the first run is still talking to the server (its lease ran out) when a second starts
        sink.script(&[Answer::AcceptAfter(Duration::from_millis(1500))]);
        let first = {
            let (handler, context, payload) = (handler.clone(), context.clone(), payload("twice"));
            tokio::spawn(async move { handler.run(&context, &payload).await })
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        let second = handler.run(&context, &payload("twice")).await;
        assert!(matches!(second, Err(JobError::Later(..))), "the second run waits: {second:?}");
        first.await.unwrap().unwrap();
        handler.run(&context, &payload("twice")).await.unwrap();
        assert_eq!(sink.received().len(), 1);

        // refused for good: a dead letter, and the key is free for a later, corrected attempt
        sink.script(&[Answer::Refuse]);
        let refused = handler.run(&context, &payload("refused")).await;
        assert!(matches!(refused, Err(JobError::Permanent(_))), "{refused:?}");
        assert!(!patron_store::jobs::effect_done(app.state.app.db.pool(), "email:refused").await.unwrap());
        handler.run(&context, &payload("refused")).await.unwrap();
        assert_eq!(sink.received().len(), 2);
        assert!(patron_store::jobs::effect_done(app.state.app.db.pool(), "email:refused").await.unwrap());
        app.stop().await;
        database.drop_database().await;
    }
}

/// The environment of a worker or server process on `database`.
fn process_env<'a>(
    database: &'a TestDatabase,
    dir: &'a tempfile::TempDir,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut env = vec![
        ("PATRON_DATABASE_URL", database.url.as_str()),
        ("PATRON_SECRET_KEY", SECRET_KEY),
        ("PATRON_DATA_DIR", dir.path().to_str().unwrap()),
        ("PATRON_LISTEN", "127.0.0.1:0"),
        ("PATRON_LOG_LEVEL", "info"),
    ];
    env.extend_from_slice(extra);
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_send_leaves_exactly_one_mail() {
    let database = TestDatabase::create(TestBackend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let env = process_env(
        &database,
        &dir,
        &[("PATRON_SMTP_URL", url.as_str()), ("PATRON_SMTP_TIMEOUT", "2s"), ("PATRON_JOB_LEASE", "3s")],
    );
    let (status, _, stderr) = crate::process::run(&["migrate"], &env);
    assert!(status.success(), "{stderr}");

    // the server will take the mail's data and never answer: the worker is mid-send
    sink.script(&[Answer::Hold]);
    let mut first = Server::start_with(&["serve", "--roles", "worker"], &env);
    let settings = test_settings(&database, &[]);
    let db = patron_store::Db::connect(&settings.database_url, 2).await.unwrap();
    let mail = EmailJob {
        key: "kill-9".to_owned(),
        to: "fan@example.com".to_owned(),
        locale: "en".to_owned(),
        template: Template::TeamInvitation { creator_name: "Gordikey".into(), inviter_name: "Owner".into() },
        link: patron_mail::Link::Plain { url: "https://x.example/i".into() },
        unsubscribe: None,
    };
    patron_mail::jobs::enqueue_email(db.pool(), &mail).await.unwrap().expect("enqueued");
    let deadline = tokio::time::Instant::now() + WAIT;
    while sink.data_count() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the worker never sent:\n{}", first.output());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.signal("KILL");
    first.wait(Duration::from_secs(10));

    let second = Server::start_with(&["serve", "--roles", "worker"], &env);
    let mails = sink.wait_for(Duration::from_secs(60), "the mail from the second worker", |m| !m.is_empty()).await;
    assert_eq!(mails[0].to, ["fan@example.com"]);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sink.received().len(), 1, "exactly one mail:\n{}", second.output());
    assert_eq!(sink.data_count(), 2, "the first attempt really was in flight");
    let succeeded = patron_store::jobs::list(&db, "succeeded", 10).await.unwrap();
    assert_eq!(succeeded.len(), 1);
    drop(second);
    db.close().await;
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_fire_each_scheduled_tick_once() {
    let database = TestDatabase::create(TestBackend::Postgres).await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let schedule = [("PATRON_SCHEDULE_SESSION_CLEANUP", "*/2 * * * * *"), ("PATRON_SCHEDULE_JOB_CLEANUP", "")];
    let env_a = process_env(&database, &dir_a, &schedule);
    let env_b = process_env(&database, &dir_b, &schedule);
    let (status, _, stderr) = crate::process::run(&["migrate"], &env_a);
    assert!(status.success(), "{stderr}");
    let a = Server::start(&env_a);
    let b = Server::start(&env_b);
    tokio::time::sleep(Duration::from_secs(9)).await;

    // every "scheduled job started" line of both processes, by tick
    let mut fired: BTreeMap<String, Vec<char>> = BTreeMap::new();
    for (name, server) in [('a', &a), ('b', &b)] {
        for line in server.output().lines() {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            if value["fields"]["message"] == "scheduled job started" && value["fields"]["job"] == "session-cleanup" {
                fired.entry(value["fields"]["tick"].as_str().unwrap().to_owned()).or_default().push(name);
            }
        }
    }
    assert!(fired.len() >= 3, "ticks every two seconds for nine seconds: {fired:?}");
    for (tick, instances) in &fired {
        assert_eq!(instances.len(), 1, "tick {tick} fired on {instances:?}");
    }
    drop((a, b));
    database.drop_database().await;
}

both_backends! {
    async fn preferences_choose_the_mail_and_the_weekly_digest_lists_what_each_may_read(backend: TestBackend) {
        let sink = SmtpSink::start().await;
        let (app, database) = spawn_app_with(backend, &[("PATRON_SMTP_URL", &sink.url())]).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Gordikey").await;
        let tier = app.create_tier(&owner, &slug, "Steaks", 9900).await;
        let member = app.new_user("member").await;
        let follower = app.new_user("follower").await;
        app.grant_membership(&member, &slug, &tier, "active", None).await;
        let (status, _) = app.call(Method::POST, &format!("/api/v1/creators/{slug}/follow"), Some(&follower.token), None).await;
        assert!(status == 200 || status == 204);

        let (status, prefs) = app.call(Method::GET, "/api/v1/me/email-preferences", Some(&member.token), None).await;
        assert_eq!(status, 200);
        assert_eq!(prefs, json!({"digest": false, "new_posts": true}));
        for fan in [&member, &follower] {
            let (status, prefs) = app.call(Method::PUT, "/api/v1/me/email-preferences", Some(&fan.token), Some(json!({"digest": true}))).await;
            assert_eq!((status, prefs), (200, json!({"digest": true, "new_posts": true})));
        }
        let (status, _) = app.call(Method::PUT, "/api/v1/me/email-preferences", Some(&member.token), Some(json!({"bogus": true}))).await;
        assert_eq!(status, 422);
        // the follower turns new-post mails off on the account page (an unchecked box is off)
        let client = browser();
        assert_eq!(app.web_login(&client, &follower.email, PASSWORD).await.status(), 303);
        let token = app.csrf_token(&client, "/account").await;
        let saved = client
            .post(app.url("/account/email-preferences"))
            .form(&[("csrf_token", token.as_str()), ("digest", "on")])
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), 303);
        let (_, prefs) = app.call(Method::GET, "/api/v1/me/email-preferences", Some(&follower.token), None).await;
        assert_eq!(prefs, json!({"digest": true, "new_posts": false}));

        app.create_post(&owner, &slug, json!({"title": "Open walk", "body": "Hi", "visibility": "public", "status": "published"})).await;
        app.create_post(&owner, &slug, json!({"title": "Steak secrets", "body": "Shh", "visibility": "tier", "min_tier_id": tier, "status": "published"}))
            .await;
        // new-post mails: both to the member, none to the follower who turned them off
        let mails = sink.wait_for(WAIT, "the member's new-post mails", |m| recipients(m, "Gordikey: ").len() >= 2).await;
        assert!(recipients(&mails, "Gordikey: ").iter().all(|to| *to == member.email));

        let context = JobContext {
            db: app.state.app.db.clone(),
            settings: app.state.app.settings.clone(),
            bus: app.state.app.bus.clone(),
            metrics: patron_jobs::JobMetrics::default(),
        };
        let scheduler = patron_jobs::Scheduler::new(context)
            .with_tasks(vec![Arc::new(patron_mail::digest::WeeklyDigest) as Arc<dyn patron_jobs::ScheduledTask>]);
        let ran = scheduler.run_now("digest").await.expect("a digest job").unwrap();
        assert!(matches!(&ran, patron_jobs::RunNow::Done(summary) if summary.starts_with("2 digests")), "{ran:?}");
        let mails = sink.wait_for(WAIT, "two digests", |m| recipients(m, "Your week on patron").len() >= 2).await;
        let digest = |to: &str| mails.iter().find(|m| m.to == [to.to_owned()] && m.header("Subject").is_some_and(|s| s.contains("Your week"))).unwrap().decoded();
        let member_digest = digest(&member.email);
        assert!(member_digest.contains("Open walk") && member_digest.contains("Steak secrets"), "{member_digest}");
        let follower_digest = digest(&follower.email);
        assert!(follower_digest.contains("Open walk") && !follower_digest.contains("Steak secrets"), "{follower_digest}");
        assert!(follower_digest.contains("/unsubscribe/"), "a digest can be stopped from the mail");

        // the same day again: nothing more
        let again = scheduler.run_now("digest").await.expect("a digest job").unwrap();
        assert!(matches!(&again, patron_jobs::RunNow::Done(summary) if summary.starts_with("0 digests")), "{again:?}");
        app.stop().await;
        database.drop_database().await;
    }
}
