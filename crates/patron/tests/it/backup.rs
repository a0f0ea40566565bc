//! `patron backup validate`: a tergum.yml read strictly, without running anything.

use crate::process;

const FILE: &str = "Meta:
  SchemaVersion: 3
Backups:
  - ID: db
    Source:
      Postgres:
        Host: 127.0.0.1
        Port: 5432
        User: postgres
        Password: ${BACKUP_TEST_PASSWORD}
        Database: patron
    Targets:
      - ID: spaces
        S3:
          Endpoint: https://fra1.digitaloceanspaces.com
          BucketName: backups
          Prefix: patron/db
          Suffix: dump.zst
";

fn write(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tergum.yml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_string_lossy().into_owned();
    (dir, path)
}

#[test]
fn a_good_file_is_summarised_and_a_bad_one_refused_naming_the_key() {
    let (_dir, path) = write(FILE);
    let (status, stdout, stderr) =
        process::run(&["backup", "validate", "-c", &path, "--expand-env"], &[("BACKUP_TEST_PASSWORD", "0123")]);
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 backups, schema version 3") && stdout.contains("db: Postgres → spaces (S3)"),
        "{stdout}"
    );

    // the variable is not set: refused, naming it, instead of an empty password
    let (status, _, stderr) = process::run(&["backup", "validate", "-c", &path, "--expand-env"], &[]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("BACKUP_TEST_PASSWORD is not set"), "{stderr}");

    let (_dir, path) = write(&FILE.replace("BucketName", "Bucket"));
    let (status, _, stderr) = process::run(&["backup", "validate", "-c", &path], &[]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown field `Bucket`"), "{stderr}");

    let (status, _, stderr) = process::run(&["backup", "validate", "-c", "/no/such/tergum.yml"], &[]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot read /no/such/tergum.yml"), "{stderr}");
}

/// Runs `psql` against `url` with one command; returns its output (unaligned, tuples only).
fn psql(url: &str, sql: &str) -> String {
    let output = std::process::Command::new("psql")
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .expect("psql (postgresql-client) is needed by the backup tests");
    assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn database_url(admin: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin).unwrap();
    url.set_path(&format!("/{name}"));
    url.to_string()
}

#[test]
fn a_directory_streams_to_every_target_and_a_failing_target_fails_the_run_alone() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("media");
    std::fs::create_dir_all(source.join("photos")).unwrap();
    std::fs::write(source.join("photos/dog.jpg"), vec![7u8; 300_000]).unwrap();
    std::fs::write(source.join("notes.txt"), "Na granulkey").unwrap();
    std::fs::write(source.join("upload.tmp"), "half").unwrap();
    let out = work.path().join("out");
    let config = format!(
        "Meta: {{SchemaVersion: 3}}
Backups:
  - ID: media
    Source:
      Dir: {{Path: {source}, Excludes: ['*.tmp']}}
    Middlewares:
      - Gzip: {{}}
    Targets:
      - ID: folder
        File: {{Dir: {out}, Prefix: media, Suffix: tar.gz}}
      - ID: fixed
        FilePath: {{Path: {out}/latest.tar.gz}}
      - ID: broken
        FilePath: {{Path: {missing}/media.tar.gz}}
",
        source = source.display(),
        out = out.display(),
        missing = work.path().join("no/such/folder").display()
    );
    let (_dir, path) = write(&config);
    let (status, stdout, stderr) = process::run(&["backup", "run", "-c", &path], &[]);
    assert_eq!(status.code(), Some(1), "one target failed: the run fails\n{stdout}\n{stderr}");
    let row = |target: &str| stdout.lines().find(|line| line.contains(target)).unwrap_or_default().to_owned();
    assert!(row("File: folder").starts_with("OK") && row("File: folder").contains("Dir: media"), "{stdout}");
    assert!(row("FilePath: fixed").starts_with("OK"), "{stdout}");
    assert!(
        row("FilePath: broken").starts_with("ERROR") && row("FilePath: broken").contains("cannot create"),
        "{stdout}"
    );

    // the File target's object has Tergum's name; nothing half-written is left
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // each stored backup has its manifest beside it
    let manifests: Vec<String> = names.iter().filter(|name| name.ends_with(".manifest.json")).cloned().collect();
    names.retain(|name| !name.ends_with(".manifest.json"));
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(manifests.len(), 2, "{manifests:?}");
    let stored = names.iter().find(|name| name.starts_with("media.")).unwrap();
    assert!(patron_backup::retention::parse_name("media", "tar.gz", stored).is_some(), "{stored}");
    // both copies are the same stream, and it restores to the folder without the excluded file
    let folder = std::fs::read(out.join(stored)).unwrap();
    assert_eq!(folder, std::fs::read(out.join("latest.tar.gz")).unwrap());
    let restored = work.path().join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    let untar = std::process::Command::new("tar").arg("-xzf").arg(out.join(stored)).arg("-C").arg(&restored).status();
    assert!(untar.unwrap().success());
    assert_eq!(std::fs::read(restored.join("photos/dog.jpg")).unwrap(), vec![7u8; 300_000]);
    assert_eq!(std::fs::read_to_string(restored.join("notes.txt")).unwrap(), "Na granulkey");
    assert!(!restored.join("upload.tmp").exists());

    // the manifest describes exactly the stored bytes
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(format!("{stored}.manifest.json"))).unwrap()).unwrap();
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(&folder).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(manifest["sha256"], digest.as_str(), "{manifest}");
    assert_eq!(manifest["size"], folder.len(), "{manifest}");
    assert_eq!(manifest["source"], "Dir", "{manifest}");
    assert_eq!(manifest["middlewares"], serde_json::json!(["Gzip"]), "{manifest}");
    assert!(manifest["tool"].as_str().unwrap().contains("tar"), "{manifest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_dumped_to_s3_restores_equal_and_a_failed_dump_stores_nothing() {
    let admin = patron_testkit::postgres_admin_url();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (original, copy) = (format!("backup_src_{}", &id[..12]), format!("backup_dst_{}", &id[..12]));
    psql(&admin, &format!("CREATE DATABASE {original}"));
    psql(&admin, &format!("CREATE DATABASE {copy}"));
    let original_url = database_url(&admin, &original);
    psql(
        &original_url,
        "CREATE TABLE tiers (id int PRIMARY KEY, name text, price int); \
         INSERT INTO tiers VALUES (1, 'Na granulkey', 59), (2, 'Na steaky', 99), (3, 'Na věčná loviště', 199); \
         CREATE TABLE posts AS SELECT g AS id, md5(g::text) AS body FROM generate_series(1, 5000) g",
    );
    let parsed = url::Url::parse(&admin).unwrap();
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (scripts/test starts the S3 server)"))
    };
    let prefix = format!("backup-it-{}/db", &id[..12]);
    let config = |database: &str| {
        format!(
            "Meta: {{SchemaVersion: 3}}
Backups:
  - ID: db
    Source:
      Postgres:
        Host: {host}
        Port: {port}
        User: {user}
        Password: ${{BACKUP_TEST_PASSWORD}}
        Database: {database}
    Targets:
      - ID: s3
        S3:
          Endpoint: {endpoint}
          Region: us-east-1
          BucketName: {bucket}
          AccessKey: {key}
          SecretKey: {secret}
          Prefix: {prefix}
          Suffix: dump
",
            host = parsed.host_str().unwrap(),
            port = parsed.port().unwrap_or(5432),
            user = if parsed.username().is_empty() { "postgres" } else { parsed.username() },
            endpoint = var("PATRON_TEST_S3_ENDPOINT"),
            bucket = var("PATRON_TEST_S3_BUCKET"),
            key = var("PATRON_TEST_S3_ACCESS_KEY"),
            secret = var("PATRON_TEST_S3_SECRET_KEY"),
        )
    };
    let password = parsed.password().unwrap_or_default().to_owned();

    let (_dir, path) = write(&config(&original));
    let env = [("BACKUP_TEST_PASSWORD", password.clone())];
    let (status, stdout, stderr) = tokio::task::spawn_blocking({
        let path = path.clone();
        move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            process::run(&["backup", "run", "-c", &path, "--expand-env"], &env)
        }
    })
    .await
    .unwrap();
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.lines().any(|line| line.starts_with("OK") && line.contains("Postgres: db")), "{stdout}");
    let stored = stdout.lines().find(|line| line.starts_with("db → s3: ")).unwrap_or_default().to_owned();

    // the one object under the prefix is a custom-format dump that pg_restore reads
    let storage = patron_storage::Storage::open(
        &patron_settings::StorageUrl::S3 {
            bucket: var("PATRON_TEST_S3_BUCKET"),
            prefix: String::new(),
            endpoint: Some(url::Url::parse(&var("PATRON_TEST_S3_ENDPOINT")).unwrap()),
            region: Some("us-east-1".into()),
            path_style: true,
        },
        &patron_storage::S3Credentials {
            access_key_id: Some(var("PATRON_TEST_S3_ACCESS_KEY")),
            secret_access_key: Some(patron_settings::SecretString::new(var("PATRON_TEST_S3_SECRET_KEY"))),
        },
    )
    .unwrap();
    let mut listed = storage.list(&format!("backup-it-{}", &id[..12])).await.unwrap();
    listed.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(listed.len(), 2, "the dump and its manifest: {listed:?}");
    assert!(listed[1].key.ends_with(".dump.manifest.json"), "{listed:?}");
    let bytes = storage.get(&patron_storage::ObjectKey::new(listed[0].key.clone()).unwrap()).await.unwrap();
    // the summary names the object and the SHA-256 of exactly these bytes
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(stored, format!("db → s3: {}  {digest}", listed[0].key), "{stdout}");
    // verify reads it back, compares the digests and has pg_restore read the dump
    let run_cli = |args: Vec<String>| {
        let env = [("BACKUP_TEST_PASSWORD", password.clone())];
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            process::run(&args, &env)
        })
    };
    let cli = |command: &str, extra: &[&str]| {
        let mut args: Vec<String> =
            ["backup", command, "-c", &path, "--expand-env"].iter().map(|s| s.to_string()).collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        run_cli(args)
    };
    let (status, stdout, stderr) = cli("verify", &[]).await.unwrap();
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with("OK  db → s3") && stdout.contains("stored") && stdout.contains("pg_restore --list reads it"),
        "{stdout}"
    );
    let (status, stdout, stderr) = cli("list", &["--json"]).await.unwrap();
    assert!(status.success(), "{stdout}\n{stderr}");
    let list: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(list["stored"][0]["name"], listed[0].key.as_str(), "{list}");
    assert_eq!(list["stored"][0]["manifest"]["sha256"], digest.as_str(), "{list}");
    assert!(list["stored"][0]["manifest"]["tool"].as_str().unwrap().starts_with("pg_dump"), "{list}");

    // restore streams it into the empty database (a password would go to PGPASSWORD, not argv)
    let target = database_url(&admin, &copy);
    let (status, stdout, stderr) = cli("restore", &["--backup", "db", "--to", &target]).await.unwrap();
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("pg_restore into"), "{stdout}");
    let content = "SELECT (SELECT string_agg(id || ':' || name || ':' || price, ',' ORDER BY id) FROM tiers) \
                   || '/' || (SELECT md5(string_agg(body, ',' ORDER BY id)) FROM posts)";
    assert_eq!(psql(&database_url(&admin, &copy), content), psql(&original_url, content));

    // a dump that fails (no such database) is an error row and leaves no object behind
    let (_dir, path) = write(&config(&format!("{original}_missing")));
    let (status, stdout, _) = tokio::task::spawn_blocking(move || {
        let env = [("BACKUP_TEST_PASSWORD", password.as_str())];
        process::run(&["backup", "run", "-c", &path, "--expand-env"], &env)
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(1), "{stdout}");
    assert!(stdout.lines().any(|line| line.starts_with("ERROR") && line.contains("pg_dump")), "{stdout}");
    assert_eq!(storage.list(&format!("backup-it-{}", &id[..12])).await.unwrap().len(), 2);

    storage.delete_all(&format!("backup-it-{}", &id[..12])).await.unwrap();
    psql(&admin, &format!("DROP DATABASE {original}"));
    psql(&admin, &format!("DROP DATABASE {copy}"));
}

#[test]
fn run_applies_the_retention_to_this_backups_objects_only_and_prune_does_it_alone() {
    let work = tempfile::tempdir().unwrap();
    let key = work.path().join("secret.key");
    std::fs::write(&key, "k".repeat(40)).unwrap();
    let out = work.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // another backup's object whose name starts the same, and an old one of ours
    std::fs::write(out.join("key-old.2020-01-01_00-00-00_abc.bin"), "other").unwrap();
    std::fs::write(out.join("key.2020-01-01_00-00-00_abc.bin"), "ours, old").unwrap();
    let config = |keep: u32| {
        format!(
            "Meta: {{SchemaVersion: 3}}
Backups:
  - ID: key
    Source: {{SingleFile: {{Path: {key}}}}}
    Targets:
      - ID: folder
        File: {{Dir: {out}, Prefix: key, Suffix: bin, Retention: {{KeepCount: {keep}}}}}
",
            key = key.display(),
            out = out.display()
        )
    };
    let ours = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("key.") && !name.ends_with(".manifest.json"))
            .collect();
        names.sort();
        names
    };
    let (_dir, path) = write(&config(2));
    for run in 1..=3 {
        let (status, stdout, stderr) = process::run(&["backup", "run", "-c", &path], &[]);
        assert!(status.success(), "{stdout}\n{stderr}");
        assert!(stdout.contains("RETENTION") && stdout.contains("key → folder: deleted"), "{stdout}");
        assert!(ours().len() <= 2, "run {run}: {:?}", ours());
    }
    let kept = ours();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(!kept.contains(&"key.2020-01-01_00-00-00_abc.bin".to_owned()), "the oldest went first");
    assert!(out.join("key-old.2020-01-01_00-00-00_abc.bin").exists(), "another backup's object stays");
    for name in &kept {
        assert_eq!(std::fs::read_to_string(out.join(name)).unwrap(), "k".repeat(40));
    }
    // the deleted backups' manifests went with them
    let manifests = std::fs::read_dir(&out)
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().file_name().to_string_lossy().ends_with(".manifest.json"))
        .count();
    assert_eq!(manifests, 2);

    // prune alone, with a stricter policy: only the newest stays
    let (_dir, path) = write(&config(1));
    let (status, stdout, stderr) = process::run(&["backup", "prune", "-c", &path], &[]);
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("key → folder: deleted 1, kept 1"), "{stdout}");
    assert_eq!(ours(), kept[1..]);
}

fn s3_env(prefix: &str) -> Vec<(&'static str, String)> {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set (scripts/test starts the S3 server)"))
    };
    vec![
        ("BACKUP_S3_ENDPOINT", var("PATRON_TEST_S3_ENDPOINT")),
        ("BACKUP_S3_BUCKET", var("PATRON_TEST_S3_BUCKET")),
        ("BACKUP_S3_ACCESS_KEY", var("PATRON_TEST_S3_ACCESS_KEY")),
        ("BACKUP_S3_SECRET_KEY", var("PATRON_TEST_S3_SECRET_KEY")),
        ("BACKUP_S3_PREFIX", prefix.to_owned()),
    ]
}

/// Runs the patron binary off the async runtime's threads.
async fn patron_cli(args: Vec<String>, env: Vec<(&'static str, String)>) -> (std::process::ExitStatus, String, String) {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        process::run(&args, &env)
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The acceptance drill: the demo install, serving writes, is backed up with the example file
/// to a real S3 server; restored into an empty data folder it shows the same creator, posts
/// and image, and its accounts still log in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_install_backed_up_while_serving_writes_restores_into_an_empty_install() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/backup.yml").to_owned();
    let live = tempfile::tempdir().unwrap();
    let live_dir = live.path().to_str().unwrap().to_owned();
    let server = tokio::task::spawn_blocking({
        let dir = live_dir.clone();
        move || {
            process::Server::start_with(
                &["serve", "--demo"],
                &[("PATRON_DATA_DIR", dir.as_str()), ("PATRON_LISTEN", "127.0.0.1:0")],
            )
        }
    })
    .await
    .unwrap();
    let base = server.url("");
    let owner = process::demo_login(&base, "gordikey@demo.patron.example").await;
    process::demo_media_ready(&base).await;

    // a photo post, processed by the worker
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
    let media_id = response.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    for _ in 0..600 {
        let media = process::get_json(&format!("{base}/api/v1/media/{media_id}"), Some(&owner)).await;
        if media["status"] != "processing" {
            assert_eq!(media["status"], "ready", "{media}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let create = {
        let (base, owner) = (base.clone(), owner.clone());
        move |post: serde_json::Value| {
            let (base, owner) = (base.clone(), owner.clone());
            async move {
                let response = reqwest::Client::new()
                    .post(format!("{base}/api/v1/creators/gordikey/posts"))
                    .bearer_auth(&owner)
                    .json(&post)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                response.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
            }
        }
    };
    let photo_post = create(serde_json::json!({"kind": "photo", "title": "Na procházce", "body": "Gordíkey venku",
        "visibility": "public", "status": "published", "media": [media_id]}))
    .await;
    let post_path = format!("/api/v1/creators/gordikey/posts/{photo_post}");
    let before = process::get_json(&format!("{base}{post_path}"), None).await;
    let image_url = before["media"][0]["url"].as_str().unwrap().to_owned();
    let image = reqwest::get(format!("{base}{image_url}")).await.unwrap().bytes().await.unwrap();
    let posts_before = process::get_json(&format!("{base}/api/v1/creators/gordikey/posts"), Some(&owner)).await;

    // the creator keeps writing while the backup runs
    let writing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = tokio::spawn({
        let writing = writing.clone();
        let create = create.clone();
        async move {
            let mut written = 0;
            while writing.load(std::sync::atomic::Ordering::SeqCst) {
                create(serde_json::json!({"kind": "text", "title": format!("Zápisek {written}"), "body": "…",
                    "visibility": "public", "status": "published"}))
                .await;
                written += 1;
            }
            written
        }
    });
    let prefix = format!("backup-demo-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let mut env = s3_env(&prefix);
    env.push(("PATRON_DATA_DIR", live_dir.clone()));
    let (status, stdout, stderr) =
        patron_cli(args(&["backup", "run", "-c", &example, "--expand-env"]), env.clone()).await;
    writing.store(false, std::sync::atomic::Ordering::SeqCst);
    let written = writer.await.unwrap();
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(written > 0, "posts were written during the backup");
    let row = |id: &str| stdout.lines().find(|line| line.contains(&format!(": {id} "))).unwrap_or_default().to_owned();
    assert!(row("database").starts_with("OK") && row("database").contains("Sqlite: database"), "{stdout}");
    assert!(row("media").starts_with("OK") && row("media").contains("Storage: media"), "{stdout}");

    // both verify against their manifests
    let (status, stdout, stderr) =
        patron_cli(args(&["backup", "verify", "-c", &example, "--expand-env"]), env.clone()).await;
    assert!(status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout.lines().filter(|line| line.starts_with("OK")).count(), 2, "{stdout}");

    // restored into an empty data folder
    let empty = tempfile::tempdir().unwrap();
    let restored_dir = empty.path().to_str().unwrap().to_owned();
    let database = format!("{restored_dir}/patron.db");
    let storage = format!("file://{restored_dir}/storage");
    for (backup, to) in [("database", database.as_str()), ("media", storage.as_str())] {
        let (status, stdout, stderr) = patron_cli(
            args(&["backup", "restore", "-c", &example, "--expand-env", "--backup", backup, "--to", to]),
            env.clone(),
        )
        .await;
        assert!(status.success(), "{backup}: {stdout}\n{stderr}");
    }
    // an existing database is never overwritten
    let (status, _, stderr) = patron_cli(
        args(&["backup", "restore", "-c", &example, "--expand-env", "--backup", "database", "--to", &database]),
        env.clone(),
    )
    .await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("exists"), "{stderr}");

    let restored = tokio::task::spawn_blocking({
        let dir = restored_dir.clone();
        move || {
            process::Server::start_with(
                &["serve"],
                &[("PATRON_DATA_DIR", dir.as_str()), ("PATRON_LISTEN", "127.0.0.1:0")],
            )
        }
    })
    .await
    .unwrap();
    let restored_base = restored.url("");
    // the same creator and tiers
    for path in ["/api/v1/creators/gordikey", "/api/v1/creators/gordikey/tiers"] {
        assert_eq!(
            process::get_json(&format!("{restored_base}{path}"), None).await,
            process::get_json(&format!("{base}{path}"), None).await,
            "{path}"
        );
    }
    // the same photo post, and its image loads with the same bytes
    assert_eq!(process::get_json(&format!("{restored_base}{post_path}"), None).await, before);
    let response = reqwest::get(format!("{restored_base}{image_url}")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(response.bytes().await.unwrap(), image);
    // the posts are those of one moment during the backup: all from before it, and each one
    // identical to the live install's
    let owner_again = process::demo_login(&restored_base, "gordikey@demo.patron.example").await;
    let restored_posts =
        process::get_json(&format!("{restored_base}/api/v1/creators/gordikey/posts"), Some(&owner_again)).await;
    let restored_posts = restored_posts["posts"].as_array().unwrap();
    let ids = |posts: &[serde_json::Value]| -> Vec<String> {
        posts.iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect()
    };
    let before_ids = ids(posts_before["posts"].as_array().unwrap());
    let restored_ids = ids(restored_posts);
    assert!(before_ids.iter().all(|id| restored_ids.contains(id)), "every post from before the backup is there");
    for post in restored_posts {
        let path = format!("/api/v1/creators/gordikey/posts/{}", post["id"].as_str().unwrap());
        assert_eq!(
            process::without_signatures(process::get_json(&format!("{restored_base}{path}"), Some(&owner_again)).await),
            process::without_signatures(process::get_json(&format!("{base}{path}"), Some(&owner)).await)
        );
    }
    drop(restored);
    drop(server);

    // tidy the bucket
    let storage = patron_backup::source::open_storage(
        &format!("s3://{}/{prefix}?endpoint={}", env[1].1, env[0].1),
        &env[2].1,
        &env[3].1,
    )
    .unwrap();
    storage.delete_all("database").await.unwrap();
    storage.delete_all("media").await.unwrap();
}

fn file_tree(root: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let name = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                found.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

/// Encrypted backups (age to a public key on one target, Tergum's gpg passphrase on another)
/// restore with their keys, verify reads what it can without the identity, and a corrupted
/// byte in a stored backup is caught.
#[test]
fn encrypted_backups_restore_with_their_keys_and_verify_catches_a_corrupted_byte() {
    let work = tempfile::tempdir().unwrap();
    let source = work.path().join("documents");
    std::fs::create_dir_all(source.join("contracts")).unwrap();
    let pseudo_random: Vec<u8> = (0..400_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(source.join("contracts/2026.pdf"), &pseudo_random).unwrap();
    std::fs::write(source.join("readme.txt"), "Smlouvy s podporovateli").unwrap();
    let identity = work.path().join("backup.agekey");
    let (status, recipient, stderr) = process::run(&["backup", "keygen", "-o", identity.to_str().unwrap()], &[]);
    assert!(status.success(), "{stderr}");
    let recipient = recipient.trim().to_owned();
    assert!(recipient.starts_with("age1"), "{recipient}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&identity).unwrap().permissions().mode() & 0o777, 0o600);
    let (status, _, stderr) = process::run(&["backup", "keygen", "-o", identity.to_str().unwrap()], &[]);
    assert_eq!(status.code(), Some(2), "an identity is never overwritten: {stderr}");

    let out = work.path().join("out");
    let config = format!(
        "Meta: {{SchemaVersion: 3}}
Backups:
  - ID: documents
    Source: {{Dir: {{Path: {source}}}}}
    Middlewares: [{{Zstd: {{Level: 9}}}}]
    Targets:
      - ID: plain
        File: {{Dir: {out}/plain, Prefix: documents, Suffix: tar.zst}}
      - ID: sealed
        Middlewares: [{{Age: {{Recipients: [{recipient}]}}}}]
        File: {{Dir: {out}/sealed, Prefix: documents, Suffix: tar.zst.age}}
  - ID: legacy
    Source: {{SingleFile: {{Path: {source}/contracts/2026.pdf}}}}
    Middlewares: [{{Gzip: {{}}}}, {{SymmetricEncryption: {{Passphrase: ${{BACKUP_TEST_PASSPHRASE}}}}}}]
    Targets:
      - ID: folder
        File: {{Dir: {out}/legacy, Prefix: contract, Suffix: gz.gpg}}
",
        source = source.display(),
        out = out.display(),
    );
    let (_dir, path) = write(&config);
    let env = [("BACKUP_TEST_PASSPHRASE", "kost-pro-Gordíkeyho")];
    let cli = |extra: &[&str]| {
        let mut args = vec!["backup", extra[0], "-c", path.as_str(), "--expand-env"];
        args.extend_from_slice(&extra[1..]);
        process::run(&args, &env)
    };
    let (status, stdout, stderr) = cli(&["run"]);
    assert!(status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout.lines().filter(|line| line.starts_with("OK")).count(), 3, "{stdout}");
    // nothing readable is stored: not the passphrase's file, not the age file
    let sealed = file_tree(&out.join("sealed"));
    let stored = sealed.iter().find(|(name, _)| name.ends_with(".age")).unwrap();
    assert!(stored.1.starts_with(b"age-encryption.org/v1"), "an age file");
    assert!(!stored.1.windows(10).any(|w| w == &pseudo_random[1000..1010]));

    // without the identity, verify checks the stored bytes of the sealed copy and all of the others
    let (status, stdout, stderr) = cli(&["verify"]);
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.lines().any(|l| l.starts_with("OK  documents → sealed") && l.contains("--identity")), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("OK  legacy → folder") && l.contains("contents")), "{stdout}");
    let (status, stdout, _) =
        cli(&["verify", "--backup", "documents", "--target", "sealed", "--identity", identity.to_str().unwrap()]);
    assert!(status.success() && stdout.contains("contents"), "{stdout}");

    // restores: the sealed copy with the identity (and not without), the gpg one with the passphrase
    let restored = work.path().join("restored");
    let (status, _, stderr) =
        cli(&["restore", "--backup", "documents", "--target", "sealed", "--to", restored.to_str().unwrap()]);
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("--identity"), "{stderr}");
    let (status, stdout, stderr) = cli(&[
        "restore",
        "--backup",
        "documents",
        "--target",
        "sealed",
        "--to",
        restored.to_str().unwrap(),
        "--identity",
        identity.to_str().unwrap(),
    ]);
    assert!(status.success(), "{stdout}\n{stderr}");
    assert_eq!(file_tree(&restored), file_tree(&source));
    let contract = work.path().join("contract.pdf");
    let (status, stdout, stderr) = cli(&["restore", "--backup", "legacy", "--to", contract.to_str().unwrap()]);
    assert!(status.success(), "{stdout}\n{stderr}");
    assert_eq!(std::fs::read(&contract).unwrap(), pseudo_random);

    // one flipped byte in the middle of the plain copy: verify fails, naming the difference
    let plain = file_tree(&out.join("plain"));
    let (name, mut bytes) = plain.into_iter().find(|(name, _)| name.ends_with(".tar.zst")).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(out.join("plain").join(&name), &bytes).unwrap();
    let (status, stdout, _) = cli(&["verify", "--backup", "documents", "--target", "plain"]);
    assert_eq!(status.code(), Some(1), "{stdout}");
    // (zstd's own checksum may notice first, or the digest)
    assert!(stdout.starts_with("FAILED  documents → plain"), "{stdout}");
    assert!(stdout.contains("differ") || stdout.contains("corruption"), "{stdout}");
    // and restore refuses it rather than restoring something else
    let (status, _, stderr) = cli(&[
        "restore",
        "--backup",
        "documents",
        "--target",
        "plain",
        "--to",
        work.path().join("again").to_str().unwrap(),
    ]);
    assert_eq!(status.code(), Some(1), "{stderr}");
}

/// A bucket prefix (patron's media on S3) is archived object by object and restored into
/// another prefix; restoring again writes nothing that is already there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_prefix_restores_object_by_object_and_again_only_what_is_missing() {
    let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let env = s3_env(&format!("backup-bucket-{id}"));
    let (endpoint, bucket, key, secret) = (&env[0].1, &env[1].1, &env[2].1, &env[3].1);
    let url = |prefix: &str| format!("s3://{bucket}/backup-bucket-{id}/{prefix}?endpoint={endpoint}&region=us-east-1");
    let media = patron_backup::source::open_storage(&url("media"), key, secret).unwrap();
    let mut objects = Vec::new();
    for (index, size) in [0usize, 1, 5 * 1024 * 1024 + 7, 70_000].into_iter().enumerate() {
        let name = format!("media/0192-{index}/{}.jpg", "long-name-".repeat(index * 4));
        let body: Vec<u8> = (0..size).map(|i| (i * 31 + index) as u8).collect();
        media
            .put(&patron_storage::ObjectKey::new(name.clone()).unwrap(), body.clone().into(), "image/jpeg")
            .await
            .unwrap();
        objects.push((name, body));
    }
    let out = tempfile::tempdir().unwrap();
    let config = format!(
        "Meta: {{SchemaVersion: 3}}
Backups:
  - ID: media
    Source:
      Storage: {{URL: '{source}', AccessKey: $BACKUP_S3_ACCESS_KEY, SecretKey: $BACKUP_S3_SECRET_KEY}}
    Targets:
      - ID: disk
        File: {{Dir: {out}, Prefix: media, Suffix: tar}}
",
        source = url("media"),
        out = out.path().display()
    );
    let (_dir, path) = write(&config);
    let (status, stdout, stderr) = patron_cli(args(&["backup", "run", "-c", &path, "--expand-env"]), env.clone()).await;
    assert!(status.success(), "{stdout}\n{stderr}");

    let mut restore_env = env.clone();
    restore_env.push(("PATRON_S3_ACCESS_KEY_ID", key.clone()));
    restore_env.push(("PATRON_S3_SECRET_ACCESS_KEY", secret.clone()));
    let copy = url("copy");
    let restore = args(&["backup", "restore", "-c", &path, "--expand-env", "--backup", "media", "--to", &copy]);
    let (status, stdout, stderr) = patron_cli(restore.clone(), restore_env.clone()).await;
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("4 objects written, 0 already there"), "{stdout}");
    let copied = patron_backup::source::open_storage(&copy, key, secret).unwrap();
    for (name, body) in &objects {
        let got = copied.get(&patron_storage::ObjectKey::new(name.clone()).unwrap()).await.unwrap();
        assert!(got.as_ref() == body.as_slice(), "{name}");
    }
    assert_eq!(copied.list_in(None).await.unwrap().len(), objects.len());
    // one object lost in the copy: a second restore writes only that one
    copied.delete(&patron_storage::ObjectKey::new(objects[2].0.clone()).unwrap()).await.unwrap();
    let (status, stdout, stderr) = patron_cli(restore, restore_env).await;
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 objects written, 3 already there"), "{stdout}");

    media.delete_all("media").await.unwrap();
    copied.delete_all("media").await.unwrap();
}

/// A source that stops producing (a server that accepts and never answers) fails after
/// Settings.StallTimeout instead of hanging the CronJob until its deadline.
#[test]
fn a_source_that_stalls_fails_after_the_stall_timeout() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let (connection, _) = silent.accept().unwrap();
        std::thread::sleep(std::time::Duration::from_secs(8));
        drop(connection);
    });
    let out = tempfile::tempdir().unwrap();
    let config = format!(
        "Meta: {{SchemaVersion: 3}}
Settings: {{StallTimeout: 2}}
Backups:
  - ID: cache
    Source: {{Redis: {{Host: 127.0.0.1, Port: {port}}}}}
    Targets:
      - ID: disk
        File: {{Dir: {out}, Prefix: cache, Suffix: rdb}}
",
        out = out.path().display()
    );
    let (_dir, path) = write(&config);
    let started = std::time::Instant::now();
    let (status, stdout, stderr) = process::run(&["backup", "run", "-c", &path], &[]);
    assert_eq!(status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(7), "{:?}", started.elapsed());
    assert!(stdout.contains("StallTimeout"), "{stdout}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "nothing is left behind");
    held.join().unwrap();
}

/// Runs one statement with the `mariadb`/`mysql` client; returns its output (tab-separated, no headers).
fn mysql(url: &url::Url, database: Option<&str>, sql: &str) -> String {
    let mut command = std::process::Command::new("mysql");
    command.args(["--batch", "--skip-column-names", "--host", url.host_str().unwrap(), "--user", url.username()]);
    command.args(["--port", &url.port().unwrap_or(3306).to_string()]);
    if let Some(password) = url.password() {
        command.env("MYSQL_PWD", password);
    }
    if let Some(database) = database {
        command.arg(database);
    }
    let output = command.args(["-e", sql]).output().expect("the mysql client (mariadb-client) is needed");
    assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The MySQL/MariaDB drill, where a server is present (CI sets PATRON_TEST_MYSQL_URL; the
/// machine it runs on has MariaDB): mysqldump → gzip → a folder → restored into a new
/// database → the same rows.
#[test]
fn a_mysql_database_restores_equal_where_a_server_is_present() {
    let Ok(server) = std::env::var("PATRON_TEST_MYSQL_URL") else {
        eprintln!("PATRON_TEST_MYSQL_URL is not set: no MySQL/MariaDB to run the drill against");
        return;
    };
    let server = url::Url::parse(&server).unwrap();
    let id = &uuid::Uuid::new_v4().simple().to_string()[..12];
    let (original, copy) = (format!("backup_src_{id}"), format!("backup_dst_{id}"));
    mysql(&server, None, &format!("CREATE DATABASE {original}; CREATE DATABASE {copy}"));
    mysql(
        &server,
        Some(&original),
        "CREATE TABLE tiers (id INT PRIMARY KEY, name VARCHAR(100), price INT) CHARACTER SET utf8mb4; \
         INSERT INTO tiers VALUES (1, 'Na granulkey', 59), (2, 'Na steaky', 99), (3, 'Na věčná loviště', 199); \
         CREATE TABLE posts (id INT PRIMARY KEY, body TEXT); \
         INSERT INTO posts SELECT seq, MD5(seq) FROM seq_1_to_3000",
    );
    let out = tempfile::tempdir().unwrap();
    let config = format!(
        "Meta: {{SchemaVersion: 3}}
Backups:
  - ID: shop
    Source:
      Mysql: {{Host: {host}, Port: {port}, User: {user}, Password: '{password}', Database: {original}}}
    Middlewares: [{{Gzip: {{}}}}]
    Targets:
      - ID: disk
        File: {{Dir: {out}, Prefix: shop, Suffix: sql.gz}}
",
        host = server.host_str().unwrap(),
        port = server.port().unwrap_or(3306),
        user = server.username(),
        password = server.password().unwrap_or_default(),
        out = out.path().display()
    );
    let (_dir, path) = write(&config);
    let (status, stdout, stderr) = process::run(&["backup", "run", "-c", &path], &[]);
    assert!(status.success(), "{stdout}\n{stderr}");
    let (status, stdout, stderr) = process::run(&["backup", "verify", "-c", &path], &[]);
    assert!(status.success(), "{stdout}\n{stderr}");
    let mut to = server.clone();
    to.set_path(&format!("/{copy}"));
    let (status, stdout, stderr) =
        process::run(&["backup", "restore", "-c", &path, "--backup", "shop", "--to", to.as_str()], &[]);
    assert!(status.success(), "{stdout}\n{stderr}");
    let content = "SET SESSION group_concat_max_len = 1000000; SELECT (SELECT GROUP_CONCAT(id, ':', name, ':', price ORDER BY id) FROM tiers), \
                   (SELECT MD5(GROUP_CONCAT(body ORDER BY id SEPARATOR ',')) FROM posts), (SELECT COUNT(*) FROM posts)";
    let expected = mysql(&server, Some(&original), content);
    assert!(expected.contains("Na věčná loviště") && expected.contains("3000"), "{expected}");
    assert_eq!(mysql(&server, Some(&copy), content), expected);
    mysql(&server, None, &format!("DROP DATABASE {original}; DROP DATABASE {copy}"));
}

/// The backup files shipped with patron are valid: examples/backup.yml and the chart's
/// production example (its `backup.config`).
#[test]
fn the_shipped_example_configurations_validate() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let values = std::fs::read_to_string(format!("{root}/deploy/helm/examples/values-production.yaml")).unwrap();
    // the block scalar under `backup:` → `config: |`, indented by four spaces
    let after = &values[values.find("\nbackup:\n").expect("a backup section")..];
    let block = &after[after.find("  config: |\n").expect("backup.config") + "  config: |\n".len()..];
    let config: String = block
        .lines()
        .take_while(|line| line.is_empty() || line.starts_with("    "))
        .map(|line| format!("{}\n", line.get(4..).unwrap_or_default()))
        .collect();
    let (_dir, path) = write(&config);
    let variables = [
        "PGHOST",
        "PGUSER",
        "PGPASSWORD",
        "BACKUP_S3_ACCESS_KEY",
        "BACKUP_S3_SECRET_KEY",
        "MEDIA_S3_ACCESS_KEY",
        "MEDIA_S3_SECRET_KEY",
        "SMTP_USERNAME",
        "SMTP_PASSWORD",
    ];
    let env: Vec<(&str, &str)> = variables.iter().map(|name| (*name, "x")).collect();
    let (status, stdout, stderr) = process::run(&["backup", "validate", "-c", &path, "--expand-env"], &env);
    assert!(status.success(), "{config}\n{stdout}\n{stderr}");
    assert!(stdout.contains("patron-postgres: Postgres → spaces (S3)"), "{stdout}");
    assert!(stdout.contains("patron-media: Storage → spaces (S3)"), "{stdout}");

    let example = format!("{root}/examples/backup.yml");
    let env = [
        ("PATRON_DATA_DIR", "/var/lib/patron"),
        ("BACKUP_S3_ENDPOINT", "https://fra1.digitaloceanspaces.com"),
        ("BACKUP_S3_BUCKET", "backups"),
        ("BACKUP_S3_PREFIX", "patron"),
        ("BACKUP_S3_ACCESS_KEY", "x"),
        ("BACKUP_S3_SECRET_KEY", "y"),
    ];
    let (status, stdout, stderr) = process::run(&["backup", "validate", "-c", &example, "--expand-env"], &env);
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("database: Sqlite → s3 (S3)") && stdout.contains("media: Storage → s3 (S3)"), "{stdout}");
}

/// After a run with a failed target: the summary mail goes out with Tergum's subject, the
/// JSON report says what failed, and the metrics textfile records the failure while keeping
/// the last success from the run before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_is_mailed_reported_as_json_and_recorded_in_the_metrics() {
    let sink = patron_testkit::smtp::SmtpSink::start().await;
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("settings.json");
    std::fs::write(&file, "{\"tiers\": 3}").unwrap();
    let metrics = work.path().join("patron_backup.prom");
    let config = |broken: bool| {
        format!(
            "Meta: {{SchemaVersion: 3}}
Settings: {{ExtraName: pickey-all}}
Backups:
  - ID: settings
    Source: {{SingleFile: {{Path: {file}}}}}
    Targets:
      - ID: disk
        FilePath: {{Path: {out}/settings.json}}
      - ID: offsite
        FilePath: {{Path: {offsite}/settings.json}}
Notification:
  Backend:
    Email: {{SmtpHost: 127.0.0.1, SmtpPort: {port}, From: backups@example.com}}
  Targets:
    - Email: {{Emails: [ops@example.com], SendOK: false}}
Metrics: {{Textfile: {metrics}}}
",
            file = file.display(),
            out = work.path().display(),
            offsite =
                if broken { "/no/such/folder".to_owned() } else { work.path().join("offsite").display().to_string() },
            port = sink.port(),
            metrics = metrics.display(),
        )
    };
    std::fs::create_dir_all(work.path().join("offsite")).unwrap();
    let (_ok_dir, ok_path) = write(&config(false));
    let (status, stdout, stderr) = patron_cli(args(&["backup", "run", "-c", &ok_path]), vec![]).await;
    assert!(status.success(), "{stdout}\n{stderr}");
    assert!(sink.received().is_empty(), "an OK run without SendOK mails no one");
    let sample = |text: &str, name: &str| -> String {
        let prefix = format!("{name}{{backup=\"settings\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .to_owned()
    };
    let first = std::fs::read_to_string(&metrics).unwrap();
    assert_eq!(sample(&first, "patron_backup_success"), "1");
    let last_success = sample(&first, "patron_backup_last_success_timestamp_seconds");

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_bad_dir, bad_path) = write(&config(true));
    let (status, stdout, stderr) = patron_cli(args(&["backup", "run", "-c", &bad_path, "--json"]), vec![]).await;
    assert_eq!(status.code(), Some(1), "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["ok"], false);
    let rows = report["backups"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().any(|r| r["target"] == "disk" && r["ok"] == true && r["size"] == 12));
    assert!(rows.iter().any(|r| r["target"] == "offsite"
        && r["ok"] == false
        && r["error"].as_str().unwrap().contains("cannot create")));

    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].header("Subject").as_deref(), Some("[tergum][pickey-all] Backup Summary -- ERR"));
    let body = mails[0].decoded();
    assert!(body.contains("SUCCESS") && body.contains("FilePath: offsite") && body.contains("cannot create"), "{body}");

    let second = std::fs::read_to_string(&metrics).unwrap();
    assert_eq!(sample(&second, "patron_backup_success"), "0");
    assert_eq!(sample(&second, "patron_backup_last_success_timestamp_seconds"), last_success, "{second}");
    assert!(sample(&second, "patron_backup_last_run_timestamp_seconds") > last_success);
}
