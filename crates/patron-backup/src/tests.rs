use crate::config::{Config, ConfigError, Middleware, Source, TargetKind, expand_env};
use crate::retention::{Policy, object_name, parse_name, to_delete};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

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
        "Backups[0] (db).Targets[0] (s3).S3.Prefix: is empty",
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

#[test]
fn names_are_tergums_and_belong_only_to_their_own_backup() {
    let at = datetime!(2026-11-28 17:05:09 UTC);
    let name = object_name("postgres", "sql.gz", at, [0, 1, 25]);
    assert_eq!(name, "postgres.2026-11-28_17-05-09_abz.sql.gz");
    assert_eq!(parse_name("postgres", "sql.gz", &name), Some(at));
    // the slide's own name form, and a time in another offset is written in UTC
    let prague = at.to_offset(time::macros::offset!(+1));
    assert_eq!(object_name("p", "s", prague, [2, 2, 2]), "p.2026-11-28_17-05-09_ccc.s");
    for other in [
        "postgres-old.2026-11-28_17-05-09_abz.sql.gz",
        "postgres.2026-11-28_17-05-09_abz.sql.gz.manifest.json",
        "postgres.2026-11-28_17-05-09_ABZ.sql.gz",
        "postgres.2026-13-28_17-05-09_abz.sql.gz",
        "postgres.2026-11-28_17-05_abz.sql.gz",
        "postgres.2026-11-28 17-05-09_abz.sql.gz",
    ] {
        assert_eq!(parse_name("postgres", "sql.gz", other), None, "{other}");
    }
}

/// One backup a day at 02:00 UTC from 1 September to 28 November 2026.
fn daily() -> Vec<(String, OffsetDateTime)> {
    let first = datetime!(2026-09-01 02:00 UTC);
    (0..89)
        .map(|day| {
            let at = first + Duration::days(day);
            (object_name("db", "dump", at, [0, 0, 0]), at)
        })
        .collect()
}

fn kept(policy: Policy) -> Vec<String> {
    let stored = daily();
    let now = datetime!(2026-11-28 03:00 UTC);
    let deleted: Vec<String> = to_delete(&policy, &stored, now).into_iter().map(str::to_owned).collect();
    let mut kept: Vec<String> =
        stored.iter().filter(|(name, _)| !deleted.contains(name)).map(|(name, _)| name[3..13].to_owned()).collect();
    kept.sort();
    kept
}

#[test]
fn retention_keeps_exactly_what_the_policy_says_over_months_of_daily_backups() {
    assert_eq!(kept(Policy::default()).len(), 89, "no policy deletes nothing");
    let last: Vec<String> = (15..=28).map(|day| format!("2026-11-{day:02}")).collect();
    assert_eq!(kept(Policy { keep_count: 14, ..Policy::default() }), last);
    // older than 30 days: before 29 October 03:00
    let month = kept(Policy { keep_days: 30, ..Policy::default() });
    assert_eq!((month.first().unwrap().as_str(), month.len()), ("2026-10-30", 30));
    // Tergum's rules together: whichever deletes more
    assert_eq!(kept(Policy { keep_count: 40, keep_days: 7, ..Policy::default() }).len(), 7);
    // grandfather-father-son: 7 days, the newest of 4 ISO weeks (48: 23–29 Nov, 47, 46, 45)
    // and of 3 months
    let gfs = Policy { keep_daily: 7, keep_weekly: 4, keep_monthly: 3, ..Policy::default() };
    assert_eq!(
        kept(gfs),
        [
            "2026-09-30",
            "2026-10-31",
            "2026-11-08",
            "2026-11-15",
            "2026-11-22",
            "2026-11-23",
            "2026-11-24",
            "2026-11-25",
            "2026-11-26",
            "2026-11-27",
            "2026-11-28"
        ]
    );
    // GFS protects what Tergum's count would delete
    let both = kept(Policy { keep_count: 3, keep_monthly: 3, ..Policy::default() });
    assert_eq!(both, ["2026-09-30", "2026-10-31", "2026-11-26", "2026-11-27", "2026-11-28"]);
}

#[test]
fn the_newest_backup_is_never_deleted() {
    let stored = daily();
    // everything is older than a day at this "now", yet the newest stays
    let now = datetime!(2027-06-01 00:00 UTC);
    let deleted = to_delete(&Policy { keep_days: 1, ..Policy::default() }, &stored, now);
    assert_eq!(deleted.len(), 88);
    assert!(!deleted.contains(&stored[88].0.as_str()));
}

#[test]
fn a_retention_with_no_rule_or_a_negative_one_is_refused() {
    let base = "Meta: {SchemaVersion: 3}\nBackups:\n  - ID: x\n    Source: {SingleFile: {Path: /k}}\n    Targets:\n";
    let message = problems(&format!("{base}      - {{ID: t, File: {{Dir: /b, Retention: {{}}}}}}\n"));
    assert!(message.contains("File.Retention: give at least one of"), "{message}");
    let message = problems(&format!("{base}      - {{ID: t, File: {{Dir: /b, Retention: {{KeepDaily: -1}}}}}}\n"));
    assert!(message.contains("must be between 0 and 1000000"), "{message}");
    let config = Config::parse(&format!("{base}      - {{ID: t, File: {{Dir: /b, Retention: {{KeepWeekly: 4}}}}}}\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    let Some(TargetKind::File(file)) = config.backups[0].targets[0].kind() else { panic!("not File") };
    assert_eq!(file.retention.as_ref().and_then(|r| r.policy()), Some(Policy { keep_weekly: 4, ..Policy::default() }));
}

#[test]
fn patrons_additions_read_and_their_bad_values_are_named() {
    let good = r#"
Meta: {SchemaVersion: 3}
Settings: {StallTimeout: 60, BackupTimeout: 3600}
Backups:
  - ID: db
    Source: {Sqlite: {Path: /data/patron.db}}
    Middlewares: [{Zstd: {Level: 19}}, {Age: {Recipients: [age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq]}}]
    Targets: [{ID: disk, File: {Dir: /b, Prefix: db, Suffix: db.zst.age}}]
  - ID: media
    Source: {Storage: {URL: "s3://media/prod?endpoint=http://127.0.0.1:8333"}}
    Targets: [{ID: disk, Middlewares: [{Gzip: {}}], FilePath: {Path: /b/media.tar.gz}}]
Metrics: {PushgatewayURL: "http://pg:9091", Labels: {namespace: patron}}
"#;
    let config = Config::parse(good).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.settings.stall_timeout(), std::time::Duration::from_secs(60));
    assert_eq!(config.settings.backup_timeout(), std::time::Duration::from_secs(3600));
    assert!(matches!(config.backups[0].source, Source::Sqlite(_)));
    assert!(matches!(config.backups[0].middlewares[0], Middleware::Zstd(_)));
    assert!(matches!(config.backups[1].targets[0].middlewares[0], Middleware::Gzip(_)));
    assert_eq!(config.metrics.as_ref().unwrap().labels["namespace"], "patron");

    let bad = r#"
Meta: {SchemaVersion: 3}
Settings: {StallTimeout: 0}
Backups:
  - ID: db
    Source: {Storage: {URL: "ftp://media", AccessKey: half}}
    Middlewares: [{Zstd: {Level: 30}}, {Age: {Recipients: [ssh-ed25519 AAAA]}}]
    Targets: [{ID: disk, File: {Dir: /b}}]
Metrics: {Labels: {job: x}}
"#;
    let message = problems(bad);
    for expected in [
        "Settings.StallTimeout: must be at least 1 second",
        "Backups[0] (db).Source.Storage.URL: unknown scheme",
        "Backups[0] (db).Source.Storage: give both AccessKey and SecretKey",
        "Backups[0] (db).Middlewares[0].Zstd.Level: must be between 1 and 22",
        "Backups[0] (db).Middlewares[1].Age.Recipients: \"ssh-ed25519 AAAA\" is not an age public key",
        "Metrics: give Textfile, PushgatewayURL or both",
        "Metrics.Labels: \"job\" is not a label name",
    ] {
        assert!(message.contains(expected), "missing {expected:?} in:\n{message}");
    }
}

#[test]
fn comment_lines_are_not_expanded() {
    let lookup = |name: &str| (name == "SET").then(|| "v".to_owned());
    let text = "# needs ${NOT_SET} set\n  # and $ALSO_NOT\nkey: $SET # trailing ${SET}\n";
    assert_eq!(expand_env(text, lookup).unwrap(), "# needs ${NOT_SET} set\n  # and $ALSO_NOT\nkey: v # trailing v\n");
}
