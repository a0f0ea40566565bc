//! `patron relocate`: an embedded install (SQLite + a media folder) moved to PostgreSQL and a
//! real S3 server, verified, then served from there with the same data and sessions.

use crate::process;
use serde_json::{Value, json};
use std::time::Duration;

fn psql(url: &str, sql: &str) {
    let output = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .expect("psql (postgresql-client) is needed by the relocate tests");
    assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
}

/// A fresh, empty PostgreSQL database: (its URL, the admin URL to drop it with).
fn fresh_database() -> (String, String, String) {
    let admin = patron_testkit::postgres_admin_url();
    let name = format!("relocate_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    psql(&admin, &format!("CREATE DATABASE {name}"));
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));
    (url.to_string(), admin, name)
}

fn s3(prefix: &str) -> (String, Vec<(&'static str, String)>) {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (scripts/test starts the S3 server)"))
    };
    let url = format!(
        "s3://{}/{prefix}?endpoint={}&region=us-east-1",
        var("PATRON_TEST_S3_BUCKET"),
        var("PATRON_TEST_S3_ENDPOINT")
    );
    let credentials = vec![
        ("PATRON_S3_ACCESS_KEY_ID", var("PATRON_TEST_S3_ACCESS_KEY")),
        ("PATRON_S3_SECRET_ACCESS_KEY", var("PATRON_TEST_S3_SECRET_KEY")),
    ];
    (url, credentials)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

fn owned(env: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    env.to_vec()
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Media addresses differ by backend (a local path, a presigned S3 URL): everything else of a
/// post must be equal.
fn without_addresses(mut value: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for key in ["url", "srcset", "poster", "playlist", "poster_url", "hls_url"] {
                    if map.contains_key(key) {
                        map.insert(key.to_owned(), Value::Null);
                    }
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}

/// The demo install with an uploaded photo, stopped; returns what its API showed.
struct Seeded {
    dir: tempfile::TempDir,
    reads: Vec<(String, Option<String>, Value)>,
    photo_path: String,
    image: Vec<u8>,
    fan_token: String,
}

async fn seeded_install() -> Seeded {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let mut server = blocking(move || {
        process::Server::start_with(
            &["serve", "--demo"],
            &[("PATRON_DATA_DIR", data.as_str()), ("PATRON_LISTEN", "127.0.0.1:0")],
        )
    })
    .await;
    let base = server.url("");
    let owner = process::demo_login(&base, "gordikey@demo.patron.example").await;
    process::demo_media_ready(&base).await;
    let part = reqwest::multipart::Part::bytes(crate::media::phone_photo())
        .file_name("IMG_0001.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/media?creator=gordikey"))
        .bearer_auth(&owner)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let media_id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    for _ in 0..600 {
        if process::get_json(&format!("{base}/api/v1/media/{media_id}"), Some(&owner)).await["status"] != "processing" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/creators/gordikey/posts"))
        .bearer_auth(&owner)
        .json(&json!({"kind": "photo", "title": "Na procházce", "body": "Gordíkey venku", "visibility": "supporters",
                      "status": "published", "media": [media_id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let post = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let photo_path = format!("/api/v1/creators/gordikey/posts/{post}");
    let fan_token = process::demo_login(&base, "fan3@demo.patron.example").await;
    let seen = process::get_json(&format!("{base}{photo_path}"), Some(&fan_token)).await;
    let image_url = seen["media"][0]["url"].as_str().expect("the fan sees the photo").to_owned();
    let image = reqwest::get(format!("{base}{image_url}")).await.unwrap().bytes().await.unwrap().to_vec();
    let mut reads = Vec::new();
    for (path, token) in [
        ("/api/v1/creators/gordikey".to_owned(), None),
        ("/api/v1/creators/gordikey/tiers".to_owned(), None),
        ("/api/v1/creators/gordikey/posts".to_owned(), None),
        ("/api/v1/creators/gordikey/posts".to_owned(), Some(fan_token.clone())),
        (photo_path.clone(), Some(fan_token.clone())),
        ("/api/v1/me".to_owned(), Some(fan_token.clone())),
    ] {
        let value = process::get_json(&format!("{base}{path}"), token.as_deref()).await;
        reads.push((path, token, without_addresses(value)));
    }
    server.signal("TERM");
    let status = blocking(move || server.wait(Duration::from_secs(20))).await;
    assert!(status.success());
    Seeded { dir, reads, photo_path, image, fan_token }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedded_install_moves_to_postgres_and_s3_and_serves_the_same_site_and_sessions() {
    let seeded = seeded_install().await;
    let data = seeded.dir.path().to_str().unwrap().to_owned();
    let (database, admin, name) = fresh_database();
    let prefix = format!("relocate-{}", &name[9..]);
    let (storage, credentials) = s3(&prefix);
    let mut env = owned(&credentials);
    env.push(("PATRON_DATA_DIR", data.clone()));

    let args = [
        "relocate".to_owned(),
        "--to-database".to_owned(),
        database.clone(),
        "--to-storage".to_owned(),
        storage.clone(),
    ];
    let (status, stdout, stderr) = blocking({
        let env = env.clone();
        move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            process::run(&args, &borrowed(&env))
        }
    })
    .await;
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Verified: the target holds exactly what the source holds"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("users ") && l.trim_end().ends_with("OK")), "{stdout}");
    assert!(!stdout.contains("DIFFERENT"), "{stdout}");
    // the settings to use next, without the password
    assert!(
        stdout.contains("PATRON_DATABASE_URL=postgres://") && stdout.contains(&format!("PATRON_STORAGE_URL={storage}")),
        "{stdout}"
    );
    assert!(stdout.contains("PATRON_SECRET_KEY_FILE="), "{stdout}");

    // patron on PostgreSQL and S3 serves the same site; the fan's session from before works
    let mut serve_env = credentials.clone();
    serve_env.push(("PATRON_DATA_DIR", data.clone()));
    serve_env.push(("PATRON_DATABASE_URL", database.clone()));
    serve_env.push(("PATRON_STORAGE_URL", storage.clone()));
    serve_env.push(("PATRON_SECRET_KEY_FILE", format!("{data}/secret.key")));
    serve_env.push(("PATRON_LISTEN", "127.0.0.1:0".to_owned()));
    let server = blocking(move || process::Server::start_with(&["serve"], &borrowed(&serve_env))).await;
    let base = server.url("");
    for (path, token, before) in &seeded.reads {
        let after = without_addresses(process::get_json(&format!("{base}{path}"), token.as_deref()).await);
        assert_eq!(&after, before, "{path}");
    }
    let seen = process::get_json(&format!("{base}{}", seeded.photo_path), Some(&seeded.fan_token)).await;
    let image_url = seen["media"][0]["url"].as_str().unwrap().to_owned();
    let full = if image_url.starts_with('/') { format!("{base}{image_url}") } else { image_url };
    let response = reqwest::get(&full).await.unwrap();
    assert_eq!(response.status(), 200, "{full}");
    assert_eq!(response.bytes().await.unwrap().to_vec(), seeded.image, "the photo loads from S3, byte for byte");
    drop(server);

    // the target now holds data: a second relocation into it is refused
    let args = ["relocate".to_owned(), "--to-database".to_owned(), database.clone()];
    let (status, _, stderr) = blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        process::run(&args, &borrowed(&env))
    })
    .await;
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("already holds patron data"), "{stderr}");

    let s3 = patron_storage::Storage::open(
        &patron_settings::StorageUrl::parse(&storage).unwrap(),
        &patron_storage::S3Credentials {
            access_key_id: Some(credentials[0].1.clone()),
            secret_access_key: Some(patron_settings::SecretString::new(credentials[1].1.clone())),
        },
    )
    .unwrap();
    s3.delete_all("media").await.unwrap();
    psql(&admin, &format!("DROP DATABASE {name} WITH (FORCE)"));
}

/// Killed halfway (SIGKILL), the relocation refuses to start over by accident, resumes with
/// --resume and ends verified: no row lost or doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relocation_killed_halfway_resumes_and_verifies() {
    let seeded = seeded_install().await;
    let data = seeded.dir.path().to_str().unwrap().to_owned();
    let (database, admin, name) = fresh_database();
    let env = vec![("PATRON_DATA_DIR", data.clone())];

    // one row per batch: slow enough to be stopped in the middle
    let mut child = process::patron(&["relocate", "--to-database", &database, "--batch-rows", "1"], &borrowed(&env))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let lines = blocking(move || {
        use std::io::BufRead;
        let mut seen = Vec::new();
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let done = line.contains("rows copied")
                && seen.iter().filter(|l: &&String| l.contains("rows copied")).count() >= 4;
            seen.push(line);
            if done {
                break;
            }
        }
        seen
    })
    .await;
    assert!(child.try_wait().unwrap().is_none(), "still copying when killed:\n{}", lines.join("\n"));
    child.kill().unwrap();
    child.wait().unwrap();

    let run = |extra: &'static [&'static str]| {
        let (database, env) = (database.clone(), env.clone());
        blocking(move || {
            let mut args = vec!["relocate", "--to-database", database.as_str()];
            args.extend_from_slice(extra);
            process::run(&args, &borrowed(&env))
        })
    };
    let (status, _, stderr) = run(&[]).await;
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    let (status, stdout, stderr) = run(&["--resume"]).await;
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Verified"), "{stdout}");
    psql(&admin, &format!("DROP DATABASE {name} WITH (FORCE)"));
}

/// `--live` while a client keeps writing: the first copy runs while patron serves, writes
/// then pause briefly (503 `read_only`, with Retry-After) for the last changes, and every
/// write that succeeded is on the target. The old install stays read-only until
/// `--unfreeze` (or a restart on the new settings).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_relocation_loses_no_write_while_a_client_keeps_writing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let server = blocking({
        let data = data.clone();
        move || {
            process::Server::start_with(
                &["serve", "--demo"],
                &[("PATRON_DATA_DIR", data.as_str()), ("PATRON_LISTEN", "127.0.0.1:0")],
            )
        }
    })
    .await;
    let base = server.url("");
    let owner = process::demo_login(&base, "gordikey@demo.patron.example").await;
    let post = {
        let (base, owner) = (base.clone(), owner.clone());
        move |title: String| {
            let (base, owner) = (base.clone(), owner.clone());
            async move {
                let response = reqwest::Client::new()
                .post(format!("{base}/api/v1/creators/gordikey/posts"))
                .bearer_auth(&owner)
                .json(&json!({"kind": "text", "title": title, "body": "…", "visibility": "public", "status": "published"}))
                .send()
                .await
                .unwrap();
                let status = response.status().as_u16();
                let retry_after = response.headers().get("retry-after").is_some();
                (status, retry_after, response.json::<Value>().await.unwrap_or(Value::Null))
            }
        }
    };
    let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = tokio::spawn({
        let (writing, post) = (writing.clone(), post.clone());
        async move {
            let (mut written, mut paused) = (Vec::new(), 0);
            let mut n = 0;
            while writing.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                let (status, retry_after, body) = post(format!("Zápisek {n}")).await;
                match status {
                    201 => written.push(body["id"].as_str().unwrap().to_owned()),
                    503 => {
                        assert_eq!(body["error"]["code"], "read_only", "{body}");
                        assert!(retry_after);
                        paused += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    other => panic!("{other}: {body}"),
                }
            }
            (written, paused)
        }
    });

    tokio::time::sleep(Duration::from_millis(500)).await;
    let (database, admin, name) = fresh_database();
    let env = vec![("PATRON_DATA_DIR", data.clone())];
    let (status, stdout, stderr) = blocking({
        let (database, env) = (database.clone(), env.clone());
        move || process::run(&["relocate", "--to-database", &database, "--live"], &borrowed(&env))
    })
    .await;
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("writes were paused for") && stdout.contains("Verified"), "{stdout}");
    eprintln!("{stdout}");
    assert!(stdout.contains("stays read-only"), "{stdout}");
    // the old install keeps refusing changes until it is restarted on the new settings
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(post("after".to_owned()).await.0, 503);
    writing.store(false, std::sync::atomic::Ordering::SeqCst);
    let (written, paused) = writer.await.unwrap();
    assert!(!written.is_empty() && paused > 0, "{} written, {paused} paused", written.len());

    // every write that succeeded is on the target
    let output = std::process::Command::new("psql")
        .args(["-X", "-q", "-A", "-t", &database, "-c", "SELECT id FROM posts"])
        .output()
        .unwrap();
    let on_target = String::from_utf8_lossy(&output.stdout).into_owned();
    let missing: Vec<&String> = written.iter().filter(|id| !on_target.contains(id.as_str())).collect();
    assert!(missing.is_empty(), "{} of {} writes lost: {missing:?}", missing.len(), written.len());

    // staying after all: --unfreeze resumes writes on the old database
    let (status, stdout, stderr) = blocking({
        let env = env.clone();
        move || process::run(&["relocate", "--unfreeze"], &borrowed(&env))
    })
    .await;
    assert!(status.success() && stdout.contains("writes resumed"), "{stdout}\n{stderr}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(post("again".to_owned()).await.0, 201);
    drop(server);
    psql(&admin, &format!("DROP DATABASE {name} WITH (FORCE)"));
}
