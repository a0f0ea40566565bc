use crate::config::{Config, ConfigError, Middleware, Source, TargetKind, expand_env};

/// The example from the Pickey.cz talk's slide, with its credentials from the environment.
const TALK: &str = "Meta:
  SchemaVersion: 3
Backups:
    - ID: example-postgres-server
      Source:
        PostgresServer:
          Host: 127.0.0.1
          Port: 5432
          User: postgres
          Password: $PG_PASSWORD
          Database: postgres
      Targets:
        - ID: s3
          S3:
            AccessKey: ${S3_ACCESS_KEY}
            SecretKey: ${S3_SECRET_KEY}
            Region: eu-central-1
            BucketName: backups
            Prefix: postgres
            Suffix: html.zip
";

fn env(name: &str) -> Option<String> {
    match name {
        "PG_PASSWORD" => Some("0123".to_owned()),
        "S3_ACCESS_KEY" => Some("AKIA123".to_owned()),
        "S3_SECRET_KEY" => Some("s3cr$t".to_owned()),
        _ => None,
    }
}

fn problems(text: &str) -> String {
    match Config::parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn the_talks_example_is_refused_only_for_the_key_tergum_never_had() {
    // the slide's PostgresServer has a Database, which Tergum's PostgresServer does not know
    // (it silently ignored it); patron names it
    let expanded = expand_env(TALK, env).unwrap();
    let message = problems(&expanded);
    assert!(message.contains("Database"), "{message}");
    // without that line it reads, values intact: a password of digits stays text
    let fixed = expanded.replace("          Database: postgres\n", "");
    let config = Config::parse(&fixed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.backups.len(), 1);
    let backup = &config.backups[0];
    assert_eq!(backup.id, "example-postgres-server");
    let Source::PostgresServer(source) = &backup.source else { panic!("{:?}", backup.source) };
    assert_eq!(source.password, "0123");
    assert_eq!(source.port.as_deref(), Some("5432"));
    let Some(TargetKind::S3(s3)) = backup.targets[0].kind() else { panic!("not S3") };
    assert_eq!((s3.access_key.as_str(), s3.secret_key.as_str()), ("AKIA123", "s3cr$t"));
    assert_eq!((s3.bucket_name.as_str(), s3.prefix.as_str(), s3.suffix.as_str()), ("backups", "postgres", "html.zip"));
}

#[test]
fn a_full_file_with_every_supported_kind_reads() {
    let text = r#"
Meta:
  SchemaVersion: 3
Settings:
  ExtraName: pickey-all
Backups:
  - ID: db-prod
    SleepBefore: 5
    Source:
      Postgres:
        Host: db.internal
        Port: "25060"
        User: doadmin
        Password: "secret"
        Database: pickey
        SSLMode: require
        PgdumpExtraArgs: ["--no-owner"]
    Middlewares:
      - Gzip: {}
      - SymmetricEncryption:
          Passphrase: long passphrase
    Targets:
      - ID: spaces
        S3:
          AccessKey: a
          SecretKey: b
          Endpoint: https://fra1.digitaloceanspaces.com
          BucketName: backups
          Prefix: pickey
          Suffix: sql.gz.gpg
          UploadRetries: 3
          Retention:
            KeepCount: 14
            KeepDays: 30
      - ID: local
        File:
          Dir: /backups
          Prefix: pickey
          Suffix: sql.gz.gpg
  - ID: media
    Source:
      Dir:
        Path: /data/storage
        Excludes: ["*.tmp"]
    Targets:
      - ID: one-file
        FilePath:
          Path: /backups/media.tar
  - ID: mysql
    Source:
      Mysql: {Host: mariadb, User: root, Database: shop}
    Targets: [{ID: t, File: {Dir: /b}}]
  - ID: mysql-all
    Source:
      MysqlServer: {Host: mariadb, Port: 3306, User: root}
    Targets: [{ID: t, File: {Dir: /b}}]
  - ID: cache
    Source:
      Redis: {Host: redis, Port: 6379}
    Targets: [{ID: t, File: {Dir: /b}}]
  - ID: key
    Source:
      SingleFile: {Path: /etc/patron/key}
    Targets: [{ID: t, File: {Dir: /b}}]
Notification:
  Backend:
    Email:
      SmtpHost: smtp.example.com
      SmtpPort: 587
      Username: tergum
      Password: p
      From: tergum@example.com
  Targets:
    - Email:
        Emails: [monitoring@example.com]
        SendOK: true
    - SlackWebhook:
        URLs: [https://hooks.slack.com/services/x]
Telemetry:
  Disable: true
"#;
    let config = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.settings.extra_name, "pickey-all");
    assert_eq!(config.backups.len(), 6);
    let kinds: Vec<&str> = config.backups.iter().map(|b| b.source.kind()).collect();
    assert_eq!(kinds, ["Postgres", "Dir", "Mysql", "MysqlServer", "Redis", "SingleFile"]);
    let db = &config.backups[0];
    assert!(matches!(db.middlewares[..], [Middleware::Gzip(_), Middleware::SymmetricEncryption(_)]));
    let Some(TargetKind::S3(s3)) = db.targets[0].kind() else { panic!("not S3") };
    assert_eq!(s3.retention.as_ref().map(|r| (r.keep_count, r.keep_days)), Some((14, 30)));
    let notification = config.notification.as_ref().unwrap();
    assert_eq!(notification.backend.email.as_ref().unwrap().smtp_port.as_deref(), Some("587"));
    assert!(notification.targets[0].email.as_ref().unwrap().send_ok);
}

#[test]
fn an_unknown_key_is_an_error_naming_it() {
    let text =
        TALK.replace("          Database: postgres\n", "").replace("Region: eu-central-1", "Regoin: eu-central-1");
    let message = problems(&expand_env(&text, env).unwrap());
    assert!(message.contains("Regoin"), "{message}");
    let message = problems("Meta: {SchemaVersion: 3}\nBackupz: []\n");
    assert!(message.contains("Backupz"), "{message}");
    // a Tergum source kind patron does not back up is named too
    let message = problems(
        "Meta: {SchemaVersion: 3}\nBackups:\n  - ID: x\n    Source: {Mongo: {Host: m}}\n    Targets: [{ID: t, File: {Dir: /b}}]\n",
    );
    assert!(message.contains("Mongo"), "{message}");
}

#[test]
fn values_that_cannot_work_are_listed_each_with_its_place() {
    let text = r#"
Meta: {SchemaVersion: 2}
Backups:
  - ID: db
    Source: {Postgres: {Host: "", User: u, Database: d, Port: "99999", SSLMode: sometimes}}
    Targets:
      - {ID: s3, S3: {BucketName: b, AccessKey: only-half}}
      - {ID: s3, File: {Dir: /b}, FilePath: {Path: /c}}
  - ID: db
    Source: {Dir: {Path: /x}}
    Targets: []
Notification:
  Targets:
    - Email: {Emails: [a@example.com]}
"#;
    let message = problems(text);
    for expected in [
        "Meta.SchemaVersion: 2 is not supported",
        "Backups[0] (db).Source.Postgres.Host: is empty",
        "Backups[0] (db).Source.Postgres.Port: \"99999\" is not a port",
        "Backups[0] (db).Source.Postgres.SSLMode: \"sometimes\" is not one of",
        "Backups[0] (db).Targets[0] (s3).S3: give Region (AWS) or Endpoint",
        "Backups[0] (db).Targets[0] (s3).S3: give both AccessKey and SecretKey",
        "Backups[0] (db).Targets[1] (s3).ID: another target of this backup has the same ID",
        "Backups[0] (db).Targets[1] (s3): give exactly one of S3, File or FilePath",
        "Backups[1] (db).ID: another backup has the same ID",
        "Backups[1] (db).Targets: there is no target",
        "Notification.Targets[0].Email: needs Notification.Backend.Email",
    ] {
        assert!(message.contains(expected), "missing {expected:?} in:\n{message}");
    }
}

#[test]
fn environment_expansion_refuses_a_missing_variable_and_keeps_a_lone_dollar() {
    let lookup = |name: &str| (name == "SET").then(|| "v".to_owned());
    assert_eq!(expand_env("a: $SET ${SET}x $ 5$ $1 cost$", lookup).unwrap(), "a: v vx $ 5$ $1 cost$");
    match expand_env("one: 1\ntwo: ${NOT_SET}\n", lookup) {
        Err(ConfigError::MissingVariable { name, line }) => assert_eq!((name.as_str(), line), ("NOT_SET", 2)),
        other => panic!("{other:?}"),
    }
    assert_eq!(expand_env("unterminated ${SET", lookup).unwrap(), "unterminated ${SET");
}
