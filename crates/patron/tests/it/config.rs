//! Bad configuration stops patron before it binds a port, naming the setting (lesson 4);
//! `patron migrate` and `patron check` behave as operators and Helm hooks need.

use crate::helpers::*;
use crate::process::{Server, run};

fn data_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn an_invalid_listen_address_stops_patron_with_exit_code_2_naming_the_setting() {
    let dir = data_dir();
    let (status, _, stderr) =
        run(&["serve"], &[("PATRON_LISTEN", "abc"), ("PATRON_DATA_DIR", dir.path().to_str().unwrap())]);
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains(r#"PATRON_LISTEN: "abc" is not host:port"#), "{stderr}");
    assert!(!dir.path().join("patron.db").exists(), "nothing was started");
}

#[test]
fn an_unknown_key_in_the_settings_file_is_refused_by_name() {
    let dir = data_dir();
    let file = dir.path().join("patron.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:0\"\nsmtp_host = \"mail.example.com\"\n").unwrap();
    let (status, _, stderr) = run(&["serve", "--config", file.to_str().unwrap()], &[]);
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("unknown setting \"smtp_host\""), "{stderr}");
}

#[test]
fn every_class_of_setting_error_is_reported_together() {
    let dir = data_dir();
    let file = dir.path().join("patron.toml");
    std::fs::write(&file, "public_url = 8080\n").unwrap();
    let (status, _, stderr) = run(
        &["check", "--config", file.to_str().unwrap()],
        &[
            ("PATRON_DATABASE_URL", "mysql://root:pw@localhost/patron"),
            ("PATRON_STORAGE_URL", "ftp://files"),
            ("PATRON_SHUTDOWN_GRACE", "a while"),
            ("PATRON_LOG_FORMAT", "xml"),
        ],
    );
    assert_eq!(status.code(), Some(2));
    for needle in [
        "public_url",
        "must be a string",
        "PATRON_DATABASE_URL",
        "PATRON_STORAGE_URL",
        "PATRON_SHUTDOWN_GRACE",
        "PATRON_LOG_FORMAT",
    ] {
        assert!(stderr.contains(needle), "{needle} missing:\n{stderr}");
    }
    assert!(!stderr.contains(":pw@"), "passwords are never printed:\n{stderr}");
}

#[test]
fn cloud_mode_without_a_secret_key_is_refused() {
    let (status, _, stderr) =
        run(&["serve"], &[("PATRON_DATABASE_URL", "postgres://patron:hunter2@db.internal/patron")]);
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("PATRON_SECRET_KEY: is required"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn check_passes_on_a_fresh_embedded_install_one_line_per_check() {
    let dir = data_dir();
    let (status, stdout, stderr) = run(&["check"], &[("PATRON_DATA_DIR", dir.path().to_str().unwrap())]);
    assert!(status.success(), "{stdout}{stderr}");
    for check in ["settings", "secret key", "database", "storage", "cache", "smtp"] {
        assert!(stdout.lines().any(|l| l.starts_with(check)), "no line for {check}:\n{stdout}");
    }
}

#[test]
fn check_names_an_unreachable_database_and_exits_with_its_code() {
    let (status, stdout, _) = run(
        &["check"],
        &[("PATRON_DATABASE_URL", "postgres://patron:hunter2@127.0.0.1:1/patron"), ("PATRON_SECRET_KEY", SECRET_KEY)],
    );
    assert_eq!(status.code(), Some(3));
    let line = stdout.lines().find(|l| l.starts_with("database")).unwrap_or_default();
    assert!(line.contains("FAILED") && line.contains("127.0.0.1:1"), "{stdout}");
    assert!(!stdout.contains("hunter2"));
}

#[tokio::test]
async fn cloud_mode_refuses_an_unmigrated_database_until_patron_migrate_ran() {
    let database = TestDatabase::create(TestBackend::Postgres).await;
    let data = data_dir();
    let env = [
        ("PATRON_DATABASE_URL", database.url.as_str()),
        ("PATRON_SECRET_KEY", SECRET_KEY),
        ("PATRON_LISTEN", "127.0.0.1:0"),
        ("PATRON_DATA_DIR", data.path().to_str().unwrap()),
    ];
    let (status, _, stderr) = run(&["serve"], &env);
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("run `patron migrate`"), "{stderr}");

    // two migration jobs at once (say, two Helm releases racing) both succeed, applying once
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| run(&["migrate"], &env));
        let b = scope.spawn(|| run(&["migrate"], &env));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(a.0.success() && b.0.success(), "{a:?}\n{b:?}");
    let (status, stdout, _) = run(&["check"], &env);
    assert!(status.success(), "{stdout}");

    let server = Server::start(&env);
    assert_eq!(reqwest::get(server.url("/readyz")).await.unwrap().status(), 200);
    drop(server);
    database.drop_database().await;
}

#[test]
fn run_job_runs_a_scheduled_job_once_and_jobs_list_shows_it() {
    let dir = data_dir();
    let env = [("PATRON_DATA_DIR", dir.path().to_str().unwrap()), ("PATRON_SCHEDULE_JOB_CLEANUP", "")];
    let (status, stdout, stderr) = run(&["run-job", "session-cleanup"], &env);
    assert!(status.success(), "{stderr}");
    // the JSON log lines share stdout; the command's own output is plain text
    assert!(stdout.lines().any(|l| l == "session-cleanup: deleted 0 expired sessions"), "{stdout}");

    let (status, stdout, _) = run(&["jobs", "list"], &env);
    assert!(status.success());
    let line = stdout.lines().find(|l| l.starts_with("session-cleanup")).unwrap_or_default();
    assert!(line.contains("17 * * * *") && line.contains("ok") && !line.contains("never"), "{stdout}");
    let disabled = stdout.lines().find(|l| l.starts_with("job-cleanup")).unwrap_or_default();
    assert!(disabled.contains("disabled") && disabled.contains("never"), "{stdout}");

    let (status, _, stderr) = run(&["run-job", "make-coffee"], &env);
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("session-cleanup, job-cleanup"), "{stderr}");
}

#[test]
fn an_invalid_cron_expression_is_refused_by_name() {
    let (status, _, stderr) = run(&["serve"], &[("PATRON_SCHEDULE_SESSION_CLEANUP", "hourly")]);
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("PATRON_SCHEDULE_SESSION_CLEANUP: \"hourly\" is not a cron expression"), "{stderr}");
}
