//! `patron backup run | validate | list | verify | restore | prune`: the command line of
//! [`patron_backup`]. Backups are configured by their own file (Tergum's tergum.yml), not by
//! patron's settings, so none of these needs a database or a data folder.
//!
//! Exit codes: 0 when everything asked for succeeded, 1 when any backup, target, check,
//! retention, notification or metrics push failed, 2 when the configuration or the command
//! line cannot be used.

use clap::{Args, Subcommand};
use patron_backup::run::{Pruned, Row};
use patron_backup::{Config, restore};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ConfigFile {
    /// The configuration (Tergum's tergum.yml, read strictly).
    #[arg(short = 'c', long = "file", value_name = "FILE")]
    file: PathBuf,
    /// Replace $NAME and ${NAME} with environment variables first (an unset one is an error).
    #[arg(long)]
    expand_env: bool,
}

#[derive(Debug, Args)]
pub struct Pick {
    /// Only this backup (its ID).
    #[arg(long, value_name = "ID")]
    backup: Option<String>,
    /// Only this target (its ID).
    #[arg(long, value_name = "ID")]
    target: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Run every backup of the configuration: each source streamed through its middlewares to
    /// all its targets at once, a manifest beside each stored backup, then each target's
    /// retention, the notifications and the metrics. Prints Tergum's summary table; exits 1
    /// when any backup or target failed (the others still run).
    Run {
        #[command(flatten)]
        config: ConfigFile,
        /// Shown in the notifications' subject, as Tergum's --extra-name (overrides Settings.ExtraName).
        #[arg(long, value_name = "NAME")]
        extra_name: Option<String>,
        /// Print the report as JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Read and check a configuration without running anything: unknown keys and values that
    /// cannot work are errors naming their place.
    Validate {
        #[command(flatten)]
        config: ConfigFile,
    },
    /// Show the backups each target holds, newest first, with their manifests.
    List {
        #[command(flatten)]
        config: ConfigFile,
        #[command(flatten)]
        pick: Pick,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Download stored backups (the newest of each target, or --name) and check them: the
    /// stored bytes and the contents against the manifest's SHA-256, and that pg_restore reads
    /// a PostgreSQL dump.
    Verify {
        #[command(flatten)]
        config: ConfigFile,
        #[command(flatten)]
        pick: Pick,
        /// This stored backup (an object key or file name from `list`) instead of the newest.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// An age identity file, for backups encrypted with Age.
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Stream a stored backup back: into a database (a postgres:// or mysql:// URL), a new
    /// file (SQLite, a single file, Redis), an empty folder (Dir) or a storage URL (Storage;
    /// objects already there with the same size are skipped). The digests are checked against
    /// the manifest on the way; an existing file is never replaced.
    Restore {
        #[command(flatten)]
        config: ConfigFile,
        /// The backup to restore (its ID).
        #[arg(long, value_name = "ID")]
        backup: String,
        /// The target to read it from (its ID); the backup's first target when not given.
        #[arg(long, value_name = "ID")]
        target: Option<String>,
        /// This stored backup (from `list`) instead of the newest.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Where to restore into.
        #[arg(long, value_name = "DESTINATION")]
        to: String,
        /// An age identity file, for backups encrypted with Age.
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
    },
    /// Make an age key pair for the Age middleware: the identity file (secret: keep it away
    /// from the backups, it is what `verify` and `restore` need) is written to FILE, created
    /// with mode 0600 and never overwritten; the public key for `Age.Recipients` is printed.
    Keygen {
        /// Where to write the identity file.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
    /// Apply each target's Retention now: delete the backups it no longer keeps (only objects
    /// whose whole name is that backup's, with their manifests; never the newest).
    Prune {
        #[command(flatten)]
        config: ConfigFile,
    },
}

/// Runs a `patron backup` command.
pub fn main(command: BackupCommand) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("patron: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    patron_storage::install_tls_provider();
    match command {
        BackupCommand::Validate { config } => validate(&config),
        BackupCommand::Keygen { output } => keygen(&output),
        BackupCommand::Run { config, extra_name, json } => {
            let Some(mut loaded) = load(&config) else { return ExitCode::from(2) };
            if let Some(extra_name) = extra_name {
                loaded.settings.extra_name = extra_name;
            }
            runtime.block_on(run(&loaded, json))
        }
        BackupCommand::Prune { config } => {
            let Some(loaded) = load(&config) else { return ExitCode::from(2) };
            let pruned =
                runtime.block_on(patron_backup::run::prune(&loaded, time::OffsetDateTime::now_utc(), |_, _| true));
            print!("{}", retention_lines(&pruned));
            code(pruned.iter().all(|p| p.result.is_ok()))
        }
        BackupCommand::List { config, pick, json } => {
            let Some(loaded) = load(&config) else { return ExitCode::from(2) };
            runtime.block_on(list(&loaded, &pick, json))
        }
        BackupCommand::Verify { config, pick, name, identity, json } => {
            let Some(loaded) = load(&config) else { return ExitCode::from(2) };
            let Ok(identity) = read_identity(identity.as_deref()) else { return ExitCode::from(2) };
            let checked = runtime.block_on(restore::verify(
                &loaded,
                pick.backup.as_deref(),
                pick.target.as_deref(),
                name.as_deref(),
                identity.as_deref(),
            ));
            let checked = match checked {
                Ok(checked) => checked,
                Err(error) => {
                    eprintln!("patron backup verify: {error}");
                    return ExitCode::from(2);
                }
            };
            if json {
                let rows: Vec<Value> = checked
                    .iter()
                    .map(|v| {
                        json!({"backup": v.backup_id, "target": v.target_id, "name": v.name, "ok": v.result.is_ok(),
                               "detail": match &v.result { Ok(d) | Err(d) => d }})
                    })
                    .collect();
                println!("{}", json!({"ok": checked.iter().all(|v| v.result.is_ok()), "verified": rows}));
            } else {
                for v in &checked {
                    let (state, detail) = match &v.result {
                        Ok(detail) => ("OK", detail),
                        Err(error) => ("FAILED", error),
                    };
                    println!("{state}  {} → {}  {}  {detail}", v.backup_id, v.target_id, v.name);
                }
            }
            code(checked.iter().all(|v| v.result.is_ok()))
        }
        BackupCommand::Restore { config, backup, target, name, to, identity } => {
            let Some(loaded) = load(&config) else { return ExitCode::from(2) };
            let Ok(identity) = read_identity(identity.as_deref()) else { return ExitCode::from(2) };
            let restored = runtime.block_on(restore::restore(
                &loaded,
                &backup,
                target.as_deref(),
                name.as_deref(),
                &to,
                identity.as_deref(),
            ));
            match restored {
                Ok(restored) => {
                    println!("restored {} ({} bytes): {}", restored.name, restored.plain_size, restored.detail);
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("patron backup restore: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn keygen(output: &Path) -> ExitCode {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let (identity, recipient) = patron_backup::crypt::age_keygen();
    let file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(output);
    let written = file.and_then(|mut file| file.write_all(identity.as_bytes()).and_then(|()| file.sync_all()));
    match written {
        Ok(()) => {
            eprintln!(
                "patron backup: wrote the identity to {} (keep it secret and apart from the backups)",
                output.display()
            );
            println!("{recipient}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("patron backup keygen: cannot create {}: {error}", output.display());
            ExitCode::from(2)
        }
    }
}

fn code(ok: bool) -> ExitCode {
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// The text of an age identity file, if one is given.
fn read_identity(path: Option<&Path>) -> Result<Option<String>, ()> {
    let Some(path) = path else { return Ok(None) };
    std::fs::read_to_string(path).map(Some).map_err(|error| {
        eprintln!("patron backup: cannot read the identity file {}: {error}", path.display());
    })
}

/// Reads and checks a backup configuration, or says on stderr why it cannot be used.
fn load(args: &ConfigFile) -> Option<Config> {
    let shown = args.file.display();
    let text = match std::fs::read_to_string(&args.file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("patron backup: cannot read {shown}: {error}");
            return None;
        }
    };
    let parsed = if args.expand_env {
        patron_backup::expand_env(&text, |name| std::env::var(name).ok()).and_then(|text| Config::parse(&text))
    } else {
        Config::parse(&text)
    };
    match parsed {
        Ok(config) => Some(config),
        Err(error) => {
            eprintln!("patron backup: {shown} cannot be used:");
            for line in error.to_string().lines() {
                eprintln!("  {line}");
            }
            None
        }
    }
}

fn validate(args: &ConfigFile) -> ExitCode {
    let Some(config) = load(args) else { return ExitCode::from(2) };
    println!(
        "{}: {} backups, schema version {}",
        args.file.display(),
        config.backups.len(),
        config.meta.schema_version
    );
    for backup in &config.backups {
        let targets: Vec<String> = backup
            .targets
            .iter()
            .map(|target| format!("{} ({})", target.id, target.kind().map_or("?", |kind| kind.name())))
            .collect();
        println!("  {}: {} → {}", backup.id, backup.source.kind(), targets.join(", "));
    }
    ExitCode::SUCCESS
}

/// Backs up, applies retention where the upload succeeded, notifies, publishes metrics.
async fn run(config: &Config, as_json: bool) -> ExitCode {
    let rows = patron_backup::run::run(config).await;
    let succeeded = |backup: &str, target: &str| {
        rows.iter().any(|row| row.ok() && row.backup_id == backup && row.target_id == target)
    };
    let pruned = patron_backup::run::prune(config, time::OffsetDateTime::now_utc(), succeeded).await;
    let notified = patron_backup::notify::send(config, &rows).await;
    let published = match &config.metrics {
        Some(metrics) => {
            patron_backup::metrics::publish(
                metrics,
                &rows,
                time::OffsetDateTime::now_utc(),
                config.settings.stall_timeout(),
            )
            .await
        }
        None => Vec::new(),
    };
    let ok = rows.iter().all(Row::ok)
        && pruned.iter().all(|p| p.result.is_ok())
        && notified.is_empty()
        && published.is_empty();
    if as_json {
        println!("{}", report_json(&rows, &pruned, &notified, &published, ok));
    } else {
        print!("{}", patron_backup::run::table(&rows));
        print!("{}", retention_lines(&pruned));
        for problem in notified.iter().chain(&published) {
            println!("ERROR {problem}");
        }
    }
    code(ok)
}

fn retention_lines(pruned: &[Pruned]) -> String {
    let mut out = String::new();
    if !pruned.is_empty() {
        out.push_str("\nRETENTION\n");
    }
    for target in pruned {
        match &target.result {
            Ok(deleted) => out.push_str(&format!(
                "{} → {}: deleted {}, kept {}\n",
                target.backup_id,
                target.target_id,
                deleted.len(),
                target.kept
            )),
            Err(error) => out.push_str(&format!("{} → {}: ERROR {error}\n", target.backup_id, target.target_id)),
        }
    }
    out
}

fn report_json(rows: &[Row], pruned: &[Pruned], notified: &[String], published: &[String], ok: bool) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "ok": row.ok(),
                "backup": row.backup_id,
                "source": row.source_kind,
                "target": row.target_id,
                "target_kind": row.target_kind,
                "stored_as": row.stored_as,
                "size": row.size,
                "sha256": row.sha256,
                "backup_seconds": row.backup_time.as_secs_f64(),
                "upload_seconds": row.upload_time.as_secs_f64(),
                "total_seconds": row.total.as_secs_f64(),
                "error": row.error,
            })
        })
        .collect();
    let retention: Vec<Value> = pruned
        .iter()
        .map(|p| match &p.result {
            Ok(deleted) => json!({"backup": p.backup_id, "target": p.target_id, "deleted": deleted, "kept": p.kept}),
            Err(error) => json!({"backup": p.backup_id, "target": p.target_id, "error": error}),
        })
        .collect();
    json!({"ok": ok, "backups": rows, "retention": retention, "notification_errors": notified, "metrics_errors": published})
}

async fn list(config: &Config, pick: &Pick, as_json: bool) -> ExitCode {
    let selected = match restore::selected(config, pick.backup.as_deref(), pick.target.as_deref()) {
        Ok(selected) => selected,
        Err(error) => {
            eprintln!("patron backup list: {error}");
            return ExitCode::from(2);
        }
    };
    let mut ok = true;
    let mut listed = Vec::new();
    for (backup, target) in selected {
        let found = restore::stored(target).await;
        if !as_json {
            println!("{} → {}", backup.id, target.id);
        }
        match found {
            Ok(found) => {
                for stored in found {
                    let at = stored.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
                    let manifest = match &stored.manifest {
                        Some(Ok(m)) => {
                            json!({"created": m.created, "source": m.source, "source_detail": m.source_detail,
                            "tool": m.tool, "middlewares": m.middlewares, "sha256": m.sha256, "plain_size": m.plain_size,
                            "plain_sha256": m.plain_sha256, "duration_seconds": m.duration_seconds})
                        }
                        Some(Err(error)) => json!({"error": error}),
                        None => Value::Null,
                    };
                    if as_json {
                        listed.push(json!({"backup": backup.id, "target": target.id, "name": stored.name, "at": at,
                            "size": stored.size, "manifest": manifest}));
                    } else {
                        let about = match &stored.manifest {
                            Some(Ok(m)) => format!(
                                "{} via {} [{}], sha256 {}…, {:.0}s",
                                m.source,
                                m.tool,
                                m.middlewares.join(", "),
                                m.sha256.get(..12).unwrap_or_default(),
                                m.duration_seconds
                            ),
                            Some(Err(error)) => format!("manifest unreadable: {error}"),
                            None => "no manifest".to_owned(),
                        };
                        println!("  {}  {at}  {} bytes  {about}", stored.name, stored.size);
                    }
                }
            }
            Err(error) => {
                ok = false;
                if as_json {
                    listed.push(json!({"backup": backup.id, "target": target.id, "error": error}));
                } else {
                    println!("  ERROR {error}");
                }
            }
        }
    }
    if as_json {
        println!("{}", json!({"ok": ok, "stored": listed}));
    }
    code(ok)
}
