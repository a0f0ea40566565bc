//! Opening a backup's source as one stream of bytes. Dump tools run as child processes whose
//! passwords reach them through their environment, never the command line (which `ps` shows
//! to every user of the machine); patron's own SQLite database and storage are read in
//! process. Every source says, once its stream ended, whether the stream was complete.

use crate::config::{Source, StorageSource};
use futures::TryStreamExt;
use futures::future::BoxFuture;
use patron_settings::StorageUrl;
use patron_storage::{ObjectKey, S3Credentials, Storage, StorageError};
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use tokio::process::{Child, Command};

/// A stream of bytes flowing through a backup.
pub type Reader = Pin<Box<dyn AsyncRead + Send>>;

/// The source's bytes, and how to learn whether they were complete.
pub struct Opened {
    pub reader: Reader,
    /// Resolves once the stream has ended: `Ok` when what was read is the whole backup (a dump
    /// tool exited 0, every object was archived). Dropping it stops the producer.
    pub done: Option<BoxFuture<'static, Result<(), String>>>,
    /// The tool and its version that made the stream (`pg_dump (PostgreSQL) 15.19`).
    pub tool: String,
}

fn dump_command(program: &str) -> Command {
    let mut command = Command::new(program);
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    command
}

/// The first line `program --version` prints, or the program's name when it prints nothing.
async fn version_of(program: &str) -> String {
    let output = Command::new(program).arg("--version").stdin(Stdio::null()).kill_on_drop(true).output().await;
    match output {
        Ok(output) if output.status.success() => {
            let text = String::from_utf8_lossy(&output.stdout);
            text.lines().next().map_or_else(|| program.to_owned(), |line| line.trim().to_owned())
        }
        _ => program.to_owned(),
    }
}

/// Reads a child's error output alongside its stream, so a chatty tool never blocks on a
/// full pipe; the end is kept for the error message.
fn collect_stderr(child: &mut Child) -> Option<tokio::task::JoinHandle<String>> {
    child.stderr.take().map(|mut pipe| {
        tokio::spawn(async move {
            let mut kept = Vec::new();
            let mut buffer = [0u8; 4096];
            while let Ok(read) = pipe.read(&mut buffer).await {
                if read == 0 {
                    break;
                }
                kept.extend_from_slice(&buffer[..read]);
                if kept.len() > 16 * 1024 {
                    kept.drain(..kept.len() - 8 * 1024);
                }
            }
            String::from_utf8_lossy(&kept).into_owned()
        })
    })
}

/// Waits for a tool and turns a non-zero exit into its last lines of error output.
pub(crate) async fn finish_child(
    mut child: Child,
    stderr: Option<tokio::task::JoinHandle<String>>,
    program: &str,
) -> Result<(), String> {
    let stderr = match stderr {
        Some(task) => task.await.unwrap_or_default(),
        None => String::new(),
    };
    let status = child.wait().await.map_err(|e| format!("waiting for {program}: {e}"))?;
    if status.success() {
        return Ok(());
    }
    let tail: Vec<&str> = stderr.lines().filter(|line| !line.trim().is_empty()).rev().take(3).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!("{program} failed ({status}): {}", tail.join(" / ")))
}

async fn spawn(mut command: Command, program: &'static str) -> Result<Opened, String> {
    let tool = version_of(program).await;
    let mut child = command.spawn().map_err(|error| format!("cannot start {program}: {error}"))?;
    let stdout = child.stdout.take().ok_or_else(|| format!("{program} has no output"))?;
    let stderr = collect_stderr(&mut child);
    let done: BoxFuture<'static, Result<(), String>> = Box::pin(finish_child(child, stderr, program));
    Ok(Opened { reader: Box::pin(stdout), done: Some(done), tool })
}

/// Starts the source. `compressed_later`: a middleware compresses the stream, so pg_dump's
/// own compression is turned off (unless its extra arguments choose one) rather than
/// compressing twice.
pub async fn open(source: &Source, compressed_later: bool) -> Result<Opened, String> {
    match source {
        Source::Postgres(s) => {
            let mut command = dump_command("pg_dump");
            command.args(["--format=custom", "--no-password"]).args(["--host", &s.host, "--username", &s.user]);
            let chooses = s.pgdump_extra_args.iter().any(|arg| arg.starts_with("--compress") || arg.starts_with("-Z"));
            if compressed_later && !chooses {
                command.arg("--compress=0");
            }
            command.args(["--port", s.port.as_deref().unwrap_or("5432")]);
            command.args(&s.pgdump_extra_args).arg("--dbname").arg(&s.database);
            command.env("PGPASSWORD", &s.password);
            if !s.ssl_mode.is_empty() {
                command.env("PGSSLMODE", &s.ssl_mode);
            }
            spawn(command, "pg_dump").await
        }
        Source::PostgresServer(s) => {
            let mut command = dump_command("pg_dumpall");
            command.arg("--no-password").args(["--host", &s.host, "--username", &s.user]);
            command.args(["--port", s.port.as_deref().unwrap_or("5432")]).args(&s.pgdumpall_extra_args);
            command.env("PGPASSWORD", &s.password);
            if !s.ssl_mode.is_empty() {
                command.env("PGSSLMODE", &s.ssl_mode);
            }
            spawn(command, "pg_dumpall").await
        }
        Source::Mysql(s) => {
            let mut command = dump_command("mysqldump");
            command.args(["--single-transaction", "--routines", "--host", &s.host, "--user", &s.user]);
            command.args(["--port", s.port.as_deref().unwrap_or("3306")]).args(&s.mysqldump_extra_args);
            command.arg(&s.database).env("MYSQL_PWD", &s.password);
            spawn(command, "mysqldump").await
        }
        Source::MysqlServer(s) => {
            let mut command = dump_command("mysqldump");
            command.args(["--single-transaction", "--routines", "--all-databases", "--host", &s.host]);
            command.args(["--user", &s.user, "--port", s.port.as_deref().unwrap_or("3306")]);
            command.args(&s.mysqldump_extra_args).env("MYSQL_PWD", &s.password);
            spawn(command, "mysqldump").await
        }
        Source::Dir(s) => {
            if !tokio::fs::metadata(&s.path).await.is_ok_and(|m| m.is_dir()) {
                return Err(format!("{} is not a directory", s.path));
            }
            let mut command = dump_command("tar");
            command.arg("--create").arg("--file=-").arg("--directory").arg(&s.path);
            for exclude in &s.excludes {
                command.arg(format!("--exclude={exclude}"));
            }
            if s.ignore_failed_read {
                command.arg("--ignore-failed-read");
            }
            command.arg(".");
            spawn(command, "tar").await
        }
        Source::SingleFile(s) => {
            let file =
                tokio::fs::File::open(&s.path).await.map_err(|error| format!("cannot open {}: {error}", s.path))?;
            Ok(Opened { reader: Box::pin(file), done: None, tool: String::new() })
        }
        Source::Redis(s) => {
            let mut command = dump_command("redis-cli");
            command.args(["-h", &s.host, "-p", s.port.as_deref().unwrap_or("6379"), "--rdb", "-"]);
            spawn(command, "redis-cli").await
        }
        Source::Sqlite(s) => sqlite_snapshot(&s.path).await,
        Source::Storage(s) => storage_archive(s).await,
    }
}

/// The database file a `Sqlite.Path` names (a plain path or a `sqlite://` URL).
pub fn sqlite_path(path: &str) -> std::path::PathBuf {
    let path = path.strip_prefix("sqlite://").or_else(|| path.strip_prefix("sqlite:")).unwrap_or(path);
    std::path::PathBuf::from(path.split('?').next().unwrap_or(path))
}

/// A consistent copy of a live SQLite database: `VACUUM INTO` a file beside it (one read
/// transaction, so writers carry on and the copy is one moment's state), streamed from there;
/// the copy's name is removed as soon as it is open, so nothing is left behind whatever happens.
async fn sqlite_snapshot(path: &str) -> Result<Opened, String> {
    use sqlx::ConnectOptions;
    use sqlx::sqlite::SqliteConnectOptions;
    let path = sqlite_path(path);
    if !tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_file()) {
        return Err(format!("{} is not an SQLite database file", path.display()));
    }
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let mut letters = [0u8; 8];
    let _ = getrandom::fill(&mut letters);
    let name: String = letters.iter().map(|b| char::from(b'a' + b % 26)).collect();
    let copy = folder.join(format!(".patron-backup-{name}.db"));
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(false)
        .busy_timeout(std::time::Duration::from_secs(30));
    let mut connection = options.connect().await.map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let version: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(&mut connection)
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let target = copy.to_str().ok_or_else(|| format!("{} is not valid UTF-8", copy.display()))?;
    let vacuum = sqlx::query("VACUUM INTO ?").bind(target).execute(&mut connection).await;
    drop(connection);
    if let Err(error) = vacuum {
        let _ = tokio::fs::remove_file(&copy).await;
        return Err(format!("copying {}: {error}", path.display()));
    }
    let file = tokio::fs::File::open(&copy).await.map_err(|e| format!("cannot open {}: {e}", copy.display()));
    let _ = tokio::fs::remove_file(&copy).await;
    Ok(Opened { reader: Box::pin(file?), done: None, tool: format!("SQLite {version} (VACUUM INTO)") })
}

/// The storage a `Storage` source (or a restore into one) names.
pub fn open_storage(url: &str, access_key: &str, secret_key: &str) -> Result<Storage, String> {
    let parsed = StorageUrl::parse(url)?;
    let credentials = S3Credentials {
        access_key_id: (!access_key.is_empty()).then(|| access_key.to_owned()),
        secret_access_key: (!secret_key.is_empty()).then(|| patron_settings::SecretString::new(secret_key.to_owned())),
    };
    Storage::open(&parsed, &credentials).map_err(|e| e.to_string())
}

/// Every object of a bucket or prefix as a tar archive, written object by object while it is
/// read (an object deleted meanwhile is left out). Keys become the entries' paths; long keys
/// use GNU long names.
async fn storage_archive(source: &StorageSource) -> Result<Opened, String> {
    let storage = open_storage(&source.url, &source.access_key, &source.secret_key)?;
    let mut objects = storage.list_in(None).await.map_err(|e| format!("listing {}: {e}", storage.describe()))?;
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    let (writer, reader) = tokio::io::duplex(256 * 1024);
    let handle = tokio::runtime::Handle::current();
    let task = tokio::task::spawn_blocking(move || -> Result<(), String> {
        let mut builder = tar::Builder::new(tokio_util::io::SyncIoBridge::new_with_handle(writer, handle.clone()));
        for object in objects {
            let key = ObjectKey::new(object.key.clone()).map_err(|e| e.to_string())?;
            let read = match handle.block_on(storage.read(&key, None)) {
                Ok(read) => read,
                Err(StorageError::NotFound(_)) => continue,
                Err(error) => return Err(format!("reading {}: {error}", object.key)),
            };
            let mut header = tar::Header::new_gnu();
            header.set_size(read.size);
            header.set_mode(0o644);
            header.set_mtime(u64::try_from(object.modified).unwrap_or(0));
            header.set_entry_type(tar::EntryType::Regular);
            let body = tokio_util::io::StreamReader::new(read.stream.map_err(std::io::Error::other));
            let body = tokio_util::io::SyncIoBridge::new_with_handle(body, handle.clone());
            builder
                .append_data(&mut header, &object.key, body)
                .map_err(|e| format!("archiving {}: {e}", object.key))?;
        }
        builder.finish().map_err(|e| format!("ending the archive: {e}"))?;
        let mut bridge = builder.into_inner().map_err(|e| format!("ending the archive: {e}"))?;
        bridge.shutdown().map_err(|e| format!("ending the archive: {e}"))
    });
    let done: BoxFuture<'static, Result<(), String>> =
        Box::pin(async move { task.await.map_err(|e| format!("the archive's task failed: {e}"))? });
    Ok(Opened { reader: Box::pin(reader), done: Some(done), tool: "tar (object by object)".to_owned() })
}

/// A reader that counts and hashes what passes through it (the plain stream, before any
/// middleware), for the manifest.
pub struct Hashing {
    inner: Reader,
    state: std::sync::Arc<std::sync::Mutex<(sha2::Sha256, u64)>>,
}

impl Hashing {
    pub fn new(inner: Reader) -> (Self, std::sync::Arc<std::sync::Mutex<(sha2::Sha256, u64)>>) {
        use sha2::Digest;
        let state = std::sync::Arc::new(std::sync::Mutex::new((sha2::Sha256::new(), 0)));
        (Hashing { inner, state: state.clone() }, state)
    }
}

impl AsyncRead for Hashing {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        use sha2::Digest;
        let before = buf.filled().len();
        let polled = self.inner.as_mut().poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            let fresh = &buf.filled()[before..];
            if let Ok(mut state) = self.state.lock() {
                state.0.update(fresh);
                state.1 += fresh.len() as u64;
            }
        }
        polled
    }
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
