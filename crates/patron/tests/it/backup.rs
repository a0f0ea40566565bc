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
