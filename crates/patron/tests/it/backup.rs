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
