//! Reading backups back: `list` what a target holds, `verify` a stored backup against its
//! manifest (and, for a PostgreSQL dump, that `pg_restore` can read it), and `restore` one
//! into a database, a file, a folder or a bucket — streamed, never a whole temporary copy.

use crate::config::{Backup, Config, Middleware, Source, Target, TargetKind};
use crate::manifest::{self, Manifest};
use crate::retention::parse_name;
use crate::run::target_store;
use crate::source::{Hashing, Reader, finish_child, hex, open_storage};
use async_compression::tokio::bufread::{GzipDecoder, ZstdDecoder};
use futures::TryStreamExt;
use patron_storage::{ObjectKey, StorageError};
use sha2::Digest as _;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

/// One backup stored on a target.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its object key or file name.
    pub name: String,
    /// When it was made (from its name; a `FilePath` target's file's modification time).
    pub at: OffsetDateTime,
    pub size: u64,
    /// Its manifest: `None` when there is none (made by Tergum, or before manifests).
    pub manifest: Option<Result<Manifest, String>>,
}

/// The backups one target holds for one backup, newest first.
pub async fn stored(target: &Target) -> Result<Vec<Stored>, String> {
    if let Some(TargetKind::FilePath(file_path)) = target.kind() {
        let Ok(meta) = tokio::fs::metadata(&file_path.path).await else { return Ok(Vec::new()) };
        let at = meta.modified().map(OffsetDateTime::from).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let manifest = match tokio::fs::read(format!("{}{}", file_path.path, manifest::SUFFIX)).await {
            Ok(bytes) => Some(Manifest::parse(&bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => Some(Err(error.to_string())),
        };
        return Ok(vec![Stored { name: file_path.path.clone(), at, size: meta.len(), manifest }]);
    }
    let (storage, prefix, suffix) = target_store(target)?;
    let folder = prefix.rsplit_once('/').map(|(folder, _)| folder.to_owned());
    let listed = storage.list_in(folder.as_deref()).await.map_err(|e| format!("listing: {e}"))?;
    let mut found = Vec::new();
    for object in listed {
        let Some(at) = parse_name(&prefix, &suffix, &object.key) else { continue };
        let manifest_key = ObjectKey::new(format!("{}{}", object.key, manifest::SUFFIX)).map_err(|e| e.to_string())?;
        let manifest = match storage.get(&manifest_key).await {
            Ok(bytes) => Some(Manifest::parse(&bytes)),
            Err(StorageError::NotFound(_)) => None,
            Err(error) if error.to_string().to_lowercase().contains("not found") => None,
            Err(error) => Some(Err(error.to_string())),
        };
        found.push(Stored { name: object.key, at, size: object.size, manifest });
    }
    found.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.name.cmp(&a.name)));
    Ok(found)
}

/// Opens a stored backup's bytes.
async fn open_stored(target: &Target, name: &str) -> Result<Reader, String> {
    if let Some(TargetKind::FilePath(_)) = target.kind() {
        let file = tokio::fs::File::open(name).await.map_err(|e| format!("cannot open {name}: {e}"))?;
        return Ok(Box::pin(file));
    }
    let (storage, _, _) = target_store(target)?;
    let key = ObjectKey::new(name.to_owned()).map_err(|e| e.to_string())?;
    let read = storage.read(&key, None).await.map_err(|e| format!("reading {name}: {e}"))?;
    Ok(Box::pin(tokio_util::io::StreamReader::new(read.stream.map_err(std::io::Error::other))))
}

/// Undoes the middlewares a stored backup passed through (the target's, then the backup's,
/// each in reverse order). Age needs an identity; Prefix and Suffix cannot be undone.
pub async fn undo(
    mut reader: Reader,
    backup: &Backup,
    target: &Target,
    identity: Option<&str>,
) -> Result<Reader, String> {
    for middleware in target.middlewares.iter().rev().chain(backup.middlewares.iter().rev()) {
        reader = match middleware {
            Middleware::Gzip(_) => {
                let mut decoder = GzipDecoder::new(BufReader::new(reader));
                decoder.multiple_members(true);
                Box::pin(decoder)
            }
            Middleware::Zstd(_) => Box::pin(ZstdDecoder::new(BufReader::new(reader))),
            Middleware::Age(_) => match identity {
                Some(identity) => crate::crypt::age_decrypt(reader, identity).await?,
                None => return Err("the backup is encrypted with age: give --identity FILE".to_owned()),
            },
            Middleware::SymmetricEncryption(encryption) => {
                crate::crypt::gpg_decrypt(reader, &encryption.passphrase).await?
            }
            Middleware::Prefix(_) | Middleware::Suffix(_) => {
                return Err(format!("{} cannot be undone; restore by hand", middleware.kind()));
            }
        };
    }
    Ok(reader)
}

/// The backups and targets a command applies to.
pub fn selected<'a>(
    config: &'a Config,
    backup: Option<&str>,
    target: Option<&str>,
) -> Result<Vec<(&'a Backup, &'a Target)>, String> {
    let mut out = Vec::new();
    for b in &config.backups {
        if backup.is_some_and(|id| id != b.id) {
            continue;
        }
        for t in &b.targets {
            if target.is_none_or(|id| id == t.id) {
                out.push((b, t));
            }
        }
    }
    if out.is_empty() {
        return Err(match (backup, target) {
            (Some(b), Some(t)) => format!("there is no backup {b:?} with a target {t:?}"),
            (Some(b), None) => format!("there is no backup {b:?}"),
            (None, Some(t)) => format!("no backup has a target {t:?}"),
            (None, None) => "there is no backup".to_owned(),
        });
    }
    Ok(out)
}

/// The outcome of verifying one stored backup.
#[derive(Debug, Clone)]
pub struct Verified {
    pub backup_id: String,
    pub target_id: String,
    pub name: String,
    /// What was checked, or what is wrong.
    pub result: Result<String, String>,
}

/// Checks stored backups: the newest of each selected backup and target, or the one `name`d.
pub async fn verify(
    config: &Config,
    backup: Option<&str>,
    target: Option<&str>,
    name: Option<&str>,
    identity: Option<&str>,
) -> Result<Vec<Verified>, String> {
    let mut out = Vec::new();
    for (b, t) in selected(config, backup, target)? {
        let verified = |name: &str, result| Verified {
            backup_id: b.id.clone(),
            target_id: t.id.clone(),
            name: name.to_owned(),
            result,
        };
        let found = match stored(t).await {
            Ok(found) => found,
            Err(error) => {
                out.push(verified("", Err(error)));
                continue;
            }
        };
        let chosen = match name {
            Some(name) => found.into_iter().find(|s| s.name == name),
            None => found.into_iter().next(),
        };
        let Some(chosen) = chosen else {
            out.push(verified(name.unwrap_or(""), Err("no such backup is stored".to_owned())));
            continue;
        };
        let result = verify_one(b, t, &chosen, identity).await;
        out.push(verified(&chosen.name, result));
    }
    Ok(out)
}

type Digest = Arc<Mutex<(sha2::Sha256, u64)>>;

fn digest_of(state: &Digest) -> (String, u64) {
    match state.lock() {
        Ok(state) => (hex(&state.0.clone().finalize()), state.1),
        Err(_) => (String::new(), 0),
    }
}

/// Downloads one backup, compares its digests with the manifest, undoes its middlewares and
/// (for a PostgreSQL dump) has `pg_restore --list` read it.
async fn verify_one(
    backup: &Backup,
    target: &Target,
    stored: &Stored,
    identity: Option<&str>,
) -> Result<String, String> {
    let manifest = match &stored.manifest {
        Some(Ok(manifest)) => Some(manifest),
        Some(Err(error)) => return Err(format!("its manifest cannot be read: {error}")),
        None => None,
    };
    let (reader, stored_digest) = Hashing::new(open_stored(target, &stored.name).await?);
    let encrypted_without_key = identity.is_none()
        && backup.middlewares.iter().chain(&target.middlewares).any(|m| matches!(m, Middleware::Age(_)));
    if encrypted_without_key {
        // only the stored bytes can be checked without the identity
        let mut reader = reader;
        tokio::io::copy(&mut reader, &mut tokio::io::sink()).await.map_err(|e| format!("reading: {e}"))?;
        return compare_stored(manifest, &stored_digest)
            .map(|checked| format!("{checked}; age-encrypted, give --identity to check the contents"));
    }
    let (plain, plain_digest) = Hashing::new(undo(Box::pin(reader), backup, target, identity).await?);
    let mut plain: Reader = Box::pin(plain);
    let mut checks = Vec::new();
    if matches!(backup.source, Source::Postgres(_)) {
        let mut command = Command::new("pg_restore");
        command.arg("--list").stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
        let mut child = command.spawn().map_err(|e| format!("cannot start pg_restore: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("pg_restore has no input")?;
        let stderr = child.stderr.take().map(|mut pipe| {
            tokio::spawn(async move {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text).await;
                text
            })
        });
        let copied = copy_until_closed(&mut plain, &mut stdin).await;
        drop(stdin);
        finish_child(child, stderr, "pg_restore --list").await?;
        copied?;
        checks.push("pg_restore --list reads it".to_owned());
    } else {
        tokio::io::copy(&mut plain, &mut tokio::io::sink())
            .await
            .map_err(|e| format!("it does not read back (damaged, or not what the configuration says): {e}"))?;
    }
    checks.insert(0, compare_stored(manifest, &stored_digest)?);
    let (plain_sha256, plain_size) = digest_of(&plain_digest);
    if let Some(manifest) = manifest {
        if manifest.plain_sha256 != plain_sha256 || manifest.plain_size != plain_size {
            return Err(format!(
                "its contents differ from the manifest: {plain_size} bytes with SHA-256 {plain_sha256}, the manifest says {} bytes with {}",
                manifest.plain_size, manifest.plain_sha256
            ));
        }
        checks.push(format!("contents {plain_size} bytes match"));
    }
    Ok(checks.join("; "))
}

/// Copies a stream into a tool's input; when the tool stops reading (it has what it needs),
/// the rest is still read, so the digests cover the whole backup.
async fn copy_until_closed(reader: &mut Reader, writer: &mut tokio::process::ChildStdin) -> Result<(), String> {
    let mut buffer = vec![0u8; 256 * 1024];
    let mut open = true;
    loop {
        let read = reader.read(&mut buffer).await.map_err(|e| format!("reading: {e}"))?;
        if read == 0 {
            return Ok(());
        }
        if open && writer.write_all(&buffer[..read]).await.is_err() {
            open = false;
        }
    }
}

fn compare_stored(manifest: Option<&Manifest>, digest: &Digest) -> Result<String, String> {
    let (sha256, size) = digest_of(digest);
    match manifest {
        None => Ok(format!("no manifest: {size} bytes, SHA-256 {sha256} (nothing to compare with)")),
        Some(manifest) if manifest.sha256 == sha256 && manifest.size == size => {
            Ok(format!("stored {size} bytes match"))
        }
        Some(manifest) => Err(format!(
            "the stored bytes differ from the manifest: {size} bytes with SHA-256 {sha256}, the manifest says {} bytes with {}",
            manifest.size, manifest.sha256
        )),
    }
}

/// What `restore` did.
#[derive(Debug, Clone)]
pub struct Restored {
    pub name: String,
    pub into: String,
    pub plain_size: u64,
    pub detail: String,
}

/// Streams one stored backup (the newest unless `name` is given) back into `to`: a database
/// URL for database sources, a file for SQLite, a single file or Redis, a folder for a
/// directory, a storage URL for a bucket. Nothing that already holds data is overwritten.
pub async fn restore(
    config: &Config,
    backup_id: &str,
    target_id: Option<&str>,
    name: Option<&str>,
    to: &str,
    identity: Option<&str>,
) -> Result<Restored, String> {
    let (backup, target) =
        selected(config, Some(backup_id), target_id)?.into_iter().next().ok_or("nothing selected")?;
    let found = stored(target).await?;
    let chosen = match name {
        Some(name) => found
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| format!("{name} is not stored on {}", target.id))?,
        None => found.into_iter().next().ok_or_else(|| format!("{} holds no backup of {}", target.id, backup.id))?,
    };
    let manifest = match &chosen.manifest {
        Some(Ok(manifest)) => Some(manifest.clone()),
        Some(Err(error)) => return Err(format!("the manifest of {} cannot be read: {error}", chosen.name)),
        None => None,
    };
    let (reader, stored_digest) = Hashing::new(open_stored(target, &chosen.name).await?);
    let (plain, plain_digest) = Hashing::new(undo(Box::pin(reader), backup, target, identity).await?);
    let plain: Reader = Box::pin(plain);
    let expected = Expected { manifest, stored: stored_digest, plain: plain_digest };
    let detail = restore_into(&backup.source, to, plain, &expected).await?;
    Ok(Restored { name: chosen.name, into: to.to_owned(), plain_size: digest_of(&expected.plain).1, detail })
}

/// What a restore read, and the manifest it must match when there is one.
struct Expected {
    manifest: Option<Manifest>,
    /// The stored bytes read.
    stored: Digest,
    /// The bytes after the middlewares were undone.
    plain: Digest,
}

impl Expected {
    /// Whether the stored bytes and the contents match the manifest.
    fn checked(&self) -> Result<(), String> {
        compare_stored(self.manifest.as_ref(), &self.stored)?;
        if let Some(manifest) = &self.manifest {
            let (sha256, size) = digest_of(&self.plain);
            if manifest.plain_sha256 != sha256 || manifest.plain_size != size {
                return Err(format!("the restored contents differ from the manifest ({size} bytes, SHA-256 {sha256})"));
            }
        }
        Ok(())
    }
}

/// Streams the contents into what `to` names, as the source's kind requires; returns what it
/// was restored into.
async fn restore_into(source: &Source, to: &str, plain: Reader, expected: &Expected) -> Result<String, String> {
    Ok(match source {
        Source::Postgres(_) => {
            let (url, password) = split_password(to, &["postgres", "postgresql"])?;
            let mut command = Command::new("pg_restore");
            command
                .args(["--no-owner", "--no-privileges", "--exit-on-error", "--no-password"])
                .arg(format!("--dbname={url}"));
            into_tool(command, "pg_restore", password.map(|p| ("PGPASSWORD", p)), plain).await?;
            expected.checked()?;
            format!("pg_restore into {}", shown_url(&url))
        }
        Source::PostgresServer(_) => {
            let (url, password) = split_password(to, &["postgres", "postgresql"])?;
            let mut command = Command::new("psql");
            command.args(["--no-psqlrc", "--quiet", "--no-password"]).arg(format!("--dbname={url}"));
            into_tool(command, "psql", password.map(|p| ("PGPASSWORD", p)), plain).await?;
            expected.checked()?;
            format!("psql into {}", shown_url(&url))
        }
        Source::Mysql(_) | Source::MysqlServer(_) => into_mysql(to, plain, expected).await?,
        Source::Sqlite(_) => {
            let path = crate::source::sqlite_path(to);
            into_file(&path, plain, |partial| Box::pin(sqlite_integrity(partial)), || expected.checked()).await?;
            format!("SQLite database {} (integrity_check ok)", path.display())
        }
        Source::SingleFile(_) | Source::Redis(_) => {
            let path = std::path::PathBuf::from(to);
            into_file(&path, plain, |_| Box::pin(async { Ok(()) }), || expected.checked()).await?;
            format!("file {}", path.display())
        }
        Source::Dir(_) => into_folder(to, plain, expected).await?,
        Source::Storage(source) => {
            let (access_key, secret_key) = storage_credentials(source, to);
            let storage = open_storage(to, &access_key, &secret_key)?;
            let (written, skipped) = unarchive(plain, storage).await?;
            expected.checked()?;
            format!("{written} objects written, {skipped} already there with the same size, into {to}")
        }
    })
}

/// A MySQL or MariaDB dump fed to `mysql`, connected to the server and database `to` names
/// (`mysql://user:password@host:3306/database`).
async fn into_mysql(to: &str, plain: Reader, expected: &Expected) -> Result<String, String> {
    let parsed = url::Url::parse(to)
        .ok()
        .filter(|u| matches!(u.scheme(), "mysql" | "mariadb"))
        .ok_or_else(|| format!("--to {to:?}: expected mysql://user:password@host:3306/database"))?;
    let mut command = Command::new("mysql");
    command
        .args(["--host", parsed.host_str().unwrap_or("127.0.0.1")])
        .args(["--port", &parsed.port().unwrap_or(3306).to_string()]);
    if !parsed.username().is_empty() {
        command.args(["--user", parsed.username()]);
    }
    let database = parsed.path().trim_start_matches('/').to_owned();
    if !database.is_empty() {
        command.arg(&database);
    }
    let password = parsed.password().map(percent_decode);
    into_tool(command, "mysql", password.map(|p| ("MYSQL_PWD", p)), plain).await?;
    expected.checked()?;
    Ok(format!("mysql into {}:{}/{database}", parsed.host_str().unwrap_or_default(), parsed.port().unwrap_or(3306)))
}

/// A directory's tar stream extracted into the folder `to`, which must be empty.
async fn into_folder(to: &str, plain: Reader, expected: &Expected) -> Result<String, String> {
    let folder = std::path::PathBuf::from(to);
    tokio::fs::create_dir_all(&folder).await.map_err(|e| format!("cannot create {to}: {e}"))?;
    let mut entries = tokio::fs::read_dir(&folder).await.map_err(|e| format!("cannot read {to}: {e}"))?;
    if entries.next_entry().await.map_err(|e| e.to_string())?.is_some() {
        return Err(format!("{to} is not empty; restore into an empty folder"));
    }
    let mut command = Command::new("tar");
    command.args(["--extract", "--file=-", "--no-same-owner", "--directory"]).arg(&folder);
    into_tool(command, "tar", None, plain).await?;
    expected.checked()?;
    Ok(format!("folder {to}"))
}

/// Credentials for writing into a bucket: patron's S3 variables, else the source's own keys
/// when restoring into the same bucket, else the AWS environment.
fn storage_credentials(source: &crate::config::StorageSource, to: &str) -> (String, String) {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (env("PATRON_S3_ACCESS_KEY_ID"), env("PATRON_S3_SECRET_ACCESS_KEY")) {
        (Some(key), Some(secret)) => (key, secret),
        _ if to == source.url => (source.access_key.clone(), source.secret_key.clone()),
        _ => (String::new(), String::new()),
    }
}

/// A URL's password as written before percent-encoding.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// A database URL without its password, and the password (which goes to the tool's
/// environment, never its command line).
fn split_password(to: &str, schemes: &[&str]) -> Result<(String, Option<String>), String> {
    let mut url = url::Url::parse(to)
        .ok()
        .filter(|u| schemes.contains(&u.scheme()))
        .ok_or_else(|| format!("--to: expected {}://user:password@host:5432/database", schemes[0]))?;
    let password = url.password().map(percent_decode);
    let _ = url.set_password(None);
    Ok((url.to_string(), password))
}

fn shown_url(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| format!("{}:{}{}", u.host_str().unwrap_or_default(), u.port().unwrap_or(5432), u.path()))
        .unwrap_or_default()
}

/// Feeds the plain stream to a tool's input and waits for it to succeed.
async fn into_tool(
    mut command: Command,
    program: &str,
    secret: Option<(&str, String)>,
    mut plain: Reader,
) -> Result<(), String> {
    command.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
    if let Some((name, value)) = secret {
        command.env(name, value);
    }
    let mut child = command.spawn().map_err(|e| format!("cannot start {program}: {e}"))?;
    let mut stdin = child.stdin.take().ok_or_else(|| format!("{program} has no input"))?;
    let stderr = child.stderr.take().map(|mut pipe| {
        tokio::spawn(async move {
            let mut kept = Vec::new();
            let _ = pipe.read_to_end(&mut kept).await;
            String::from_utf8_lossy(&kept[kept.len().saturating_sub(8192)..]).into_owned()
        })
    });
    let copied = tokio::io::copy(&mut plain, &mut stdin).await;
    drop(stdin);
    let finished = finish_child(child, stderr, program).await;
    // the tool's own complaint explains a broken pipe better than the pipe does
    finished?;
    copied.map_err(|e| format!("feeding {program}: {e}"))?;
    Ok(())
}

type Check = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>>;

/// Writes the plain stream to a new file: under a temporary name, checked, then renamed. An
/// existing file is never replaced.
async fn into_file(
    path: &std::path::Path,
    mut plain: Reader,
    check: impl FnOnce(std::path::PathBuf) -> Check,
    digests: impl FnOnce() -> Result<(), String>,
) -> Result<(), String> {
    if tokio::fs::metadata(path).await.is_ok() {
        return Err(format!("{} exists; restore into a new file", path.display()));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(parent).await.map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let written = async {
        let mut file =
            tokio::fs::File::create(&partial).await.map_err(|e| format!("cannot create {}: {e}", partial.display()))?;
        tokio::io::copy(&mut plain, &mut file).await.map_err(|e| format!("writing {}: {e}", partial.display()))?;
        file.sync_all().await.map_err(|e| e.to_string())?;
        drop(file);
        digests()?;
        check(partial.clone()).await
    }
    .await;
    if let Err(error) = written {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(error);
    }
    tokio::fs::rename(&partial, path).await.map_err(|e| format!("renaming to {}: {e}", path.display()))
}

async fn sqlite_integrity(path: std::path::PathBuf) -> Result<(), String> {
    use sqlx::ConnectOptions;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(false).read_only(true);
    let mut connection =
        options.connect().await.map_err(|e| format!("the restored file is not an SQLite database: {e}"))?;
    let result: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut connection)
        .await
        .map_err(|e| format!("the restored database cannot be read: {e}"))?;
    if result == "ok" { Ok(()) } else { Err(format!("the restored database is damaged: {result}")) }
}

/// Writes every file of a tar stream into a storage as an object named by its path; an
/// object already there with the same size is left as it is (so a restore can be re-run).
async fn unarchive(plain: Reader, storage: patron_storage::Storage) -> Result<(u64, u64), String> {
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || -> Result<(u64, u64), String> {
        let mut bridge = tokio_util::io::SyncIoBridge::new_with_handle(plain, handle.clone());
        let (mut written, mut skipped) = (0u64, 0u64);
        {
            let mut archive = tar::Archive::new(&mut bridge);
            for entry in archive.entries().map_err(|e| format!("reading the archive: {e}"))? {
                let mut entry = entry.map_err(|e| format!("reading the archive: {e}"))?;
                if entry.header().entry_type() != tar::EntryType::Regular {
                    continue;
                }
                let path = entry.path().map_err(|e| format!("an entry's name: {e}"))?.to_string_lossy().into_owned();
                let key =
                    ObjectKey::new(path.trim_start_matches("./").to_owned()).map_err(|e| format!("{path}: {e}"))?;
                let size = entry.size();
                if handle.block_on(storage.size(&key)).map_err(|e| format!("{path}: {e}"))? == Some(size) {
                    std::io::copy(&mut entry, &mut std::io::sink()).map_err(|e| format!("reading {path}: {e}"))?;
                    skipped += 1;
                    continue;
                }
                let mut upload = handle
                    .block_on(storage.upload(&key, "application/octet-stream"))
                    .map_err(|e| format!("{path}: {e}"))?;
                let mut buffer = vec![0u8; 256 * 1024];
                let copied = (|| -> Result<(), String> {
                    loop {
                        let read =
                            std::io::Read::read(&mut entry, &mut buffer).map_err(|e| format!("reading {path}: {e}"))?;
                        if read == 0 {
                            return Ok(());
                        }
                        handle.block_on(upload.write(&buffer[..read])).map_err(|e| format!("writing {path}: {e}"))?;
                    }
                })();
                match copied {
                    Ok(()) => handle.block_on(upload.finish()).map_err(|e| format!("completing {path}: {e}"))?,
                    Err(error) => {
                        let _ = handle.block_on(upload.abort());
                        return Err(error);
                    }
                }
                written += 1;
            }
        }
        // the rest of the stream (the archive's end blocks), so the digests cover all of it
        std::io::copy(&mut bridge, &mut std::io::sink()).map_err(|e| format!("reading the archive's end: {e}"))?;
        Ok((written, skipped))
    })
    .await
    .map_err(|e| format!("the restore's task failed: {e}"))?
}
