//! The command line: `patron serve | migrate | check | run-job | jobs | probe | backup | relocate | admin`.

use crate::app::{Application, Roles, StartupError, shutdown_signal};
use clap::{Parser, Subcommand};
use patron_settings::Settings;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "patron",
    version,
    about = "A creator-membership platform: one binary, from one small server to Kubernetes."
)]
struct Cli {
    /// A TOML settings file (or PATRON_CONFIG). PATRON_* environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web UI and the JSON API; by default also run the worker and the scheduler.
    Serve {
        /// Which roles this process runs: a comma-separated subset of web, worker, scheduler.
        #[arg(long, default_value = "web,worker,scheduler", value_parser = Roles::parse)]
        roles: Roles,
        /// On an empty database, first seed the demo creator Gordíkey with tiers, posts and
        /// demo fans, and print their logins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Validate the settings and reach every configured backing service.
    Check,
    /// Run one scheduled job once and exit (a Kubernetes CronJob runs this).
    RunJob {
        /// The job's name, as `patron jobs list` shows it.
        name: String,
    },
    /// Background jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Check a running patron from the outside: the home page, a creator page, logging in
    /// and a post, with their times; exits 1 when any of them failed.
    Probe {
        /// The site's address, e.g. https://patron.example.com
        url: String,
        /// The creator page to check (default: the newest public page).
        #[arg(long, value_name = "SLUG")]
        creator: Option<String>,
        /// The probe account's e-mail address (or PATRON_PROBE_EMAIL); its password comes only
        /// from PATRON_PROBE_PASSWORD. Without an account the log-in step is skipped.
        #[arg(long, value_name = "ADDRESS")]
        email: Option<String>,
        /// Longest time one request may take, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 10)]
        timeout: u64,
        /// Print the result as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Move this install's embedded SQLite database and its media folder to PostgreSQL and
    /// S3: copied, resumable, verified table by table and object by object; prints the
    /// settings to use from then on. Exits 1 when anything differs.
    Relocate {
        /// The PostgreSQL database to move to: postgres://user:password@host:5432/database.
        #[arg(long, value_name = "URL")]
        to_database: Option<String>,
        /// The storage to move the media to: s3://bucket/prefix?endpoint=…&region=… (credentials
        /// from PATRON_S3_ACCESS_KEY_ID / PATRON_S3_SECRET_ACCESS_KEY or the AWS environment).
        #[arg(long, value_name = "URL")]
        to_storage: Option<String>,
        /// Continue a relocation that was interrupted (Ctrl-C, a killed process, a lost connection).
        #[arg(long)]
        resume: bool,
        /// Rows per batch; each batch commits with its checkpoint.
        #[arg(long, value_name = "ROWS", default_value_t = 500)]
        batch_rows: usize,
        /// Objects copied at the same time.
        #[arg(long, value_name = "N", default_value_t = 4)]
        parallel: usize,
        /// Copy while patron keeps serving; then pause its writes (patron answers changes with
        /// 503 and claims no jobs) only while the last changes are copied and verified. patron
        /// stays read-only on the old database until it is restarted with the new settings.
        #[arg(long)]
        live: bool,
        /// Resume writes on the current database after a live relocation (to stay on it).
        #[arg(long, conflicts_with_all = ["to_database", "to_storage", "resume", "live"])]
        unfreeze: bool,
    },
    /// Declarative backups, configured by a tergum.yml (schema version 3).
    Backup {
        #[command(subcommand)]
        command: crate::backup::BackupCommand,
    },
    /// Platform admins: who may inspect jobs (and later refunds and moderation).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Make the account with this e-mail address a platform admin.
    Grant {
        /// The account's e-mail address.
        email: String,
    },
    /// Take platform admin rights away from the account with this e-mail address.
    Revoke {
        /// The account's e-mail address.
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// Every scheduled job: its schedule, last run and result; and the queue's state.
    List,
}

fn exit(code: u8) -> ExitCode {
    ExitCode::from(code)
}

fn load_settings(config: Option<PathBuf>) -> Result<Settings, ExitCode> {
    let config = config.or_else(|| std::env::var_os("PATRON_CONFIG").filter(|v| !v.is_empty()).map(PathBuf::from));
    Settings::load(config.as_deref(), std::env::vars()).map_err(|error| {
        eprintln!("patron: the settings are invalid:");
        for problem in &error.problems {
            eprintln!("  {problem}");
        }
        exit(2)
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|error| {
        eprintln!("patron: cannot start the async runtime: {error}");
        exit(1)
    })
}

fn report(error: &StartupError) -> ExitCode {
    tracing::error!(%error, "patron cannot start");
    eprintln!("patron: {error}");
    exit(error.exit_code())
}

/// Parses the command line and runs the command; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // the probe runs outside patron (an uptime service, a CronJob): it needs no settings
    if let Command::Probe { url, creator, email, timeout, json } = cli.command {
        return probe(url, creator, email, timeout, json);
    }
    // backups are configured by their own file, not by patron's settings
    if let Command::Backup { command } = cli.command {
        return crate::backup::main(command);
    }
    let settings = match load_settings(cli.config) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match cli.command {
        Command::Check => runtime.block_on(async {
            match crate::check::run(&settings).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => exit(error.exit_code()),
            }
        }),
        Command::RunJob { name } => runtime.block_on(async {
            let telemetry = match crate::telemetry::init(&settings) {
                Ok(telemetry) => telemetry,
                Err(message) => {
                    eprintln!("patron: {message}");
                    return exit(2);
                }
            };
            let code = run_job(settings, &name).await;
            telemetry.shutdown();
            code
        }),
        Command::Jobs { command: JobsCommand::List } => runtime.block_on(list_jobs(settings)),
        Command::Admin { command } => runtime.block_on(async {
            let (email, admin) = match &command {
                AdminCommand::Grant { email } => (email, true),
                AdminCommand::Revoke { email } => (email, false),
            };
            set_admin(settings, email, admin).await
        }),
        Command::Migrate => runtime.block_on(async {
            let telemetry = match crate::telemetry::init(&settings) {
                Ok(telemetry) => telemetry,
                Err(message) => {
                    eprintln!("patron: {message}");
                    return exit(2);
                }
            };
            let code = migrate(&settings).await;
            telemetry.shutdown();
            code
        }),
        Command::Relocate { unfreeze: true, .. } => runtime.block_on(async {
            match crate::relocate::unfreeze(&settings).await {
                Ok(true) => {
                    println!("writes resumed on {}", settings.database_url.redacted());
                    ExitCode::SUCCESS
                }
                Ok(false) => {
                    println!("{} was not read-only", settings.database_url.redacted());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("patron relocate: {error}");
                    ExitCode::from(error.exit_code())
                }
            }
        }),
        Command::Relocate { to_database, to_storage, resume, batch_rows, parallel, live, unfreeze: false } => runtime
            .block_on(async {
                let options = crate::relocate::Options { to_database, to_storage, resume, batch_rows, parallel, live };
                match crate::relocate::run(&settings, &options).await {
                    Ok(report) => {
                        print!("{}", crate::relocate::summary(&report, &settings, &options));
                        if report.verified() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
                    }
                    Err(error) => {
                        eprintln!("patron relocate: {error}");
                        ExitCode::from(error.exit_code())
                    }
                }
            }),
        Command::Probe { .. } | Command::Backup { .. } => {
            unreachable!("patron probe and patron backup return before settings are loaded")
        }
        Command::Serve { roles, demo } => runtime.block_on(async {
            let telemetry = match crate::telemetry::init(&settings) {
                Ok(telemetry) => telemetry,
                Err(message) => {
                    eprintln!("patron: {message}");
                    return exit(2);
                }
            };
            for warning in &settings.warnings {
                tracing::warn!("{warning}");
            }
            let shutdown = shutdown_signal();
            let code = match Application::build(settings, roles).await {
                Ok(app) if demo && !seed_demo(&app).await => ExitCode::FAILURE,
                Ok(app) => match app.run_until_stopped(shutdown).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(error) => report(&error),
                },
                Err(error) => report(&error),
            };
            telemetry.shutdown();
            code
        }),
    }
}

fn probe(url: String, creator: Option<String>, email: Option<String>, timeout: u64, json: bool) -> ExitCode {
    let base = match url::Url::parse(&url) {
        Ok(base) if matches!(base.scheme(), "http" | "https") => base,
        _ => {
            eprintln!("patron probe: {url:?} is not an http:// or https:// address");
            return ExitCode::from(2);
        }
    };
    if timeout == 0 {
        eprintln!("patron probe: --timeout must be at least 1 second");
        return ExitCode::from(2);
    }
    let non_empty = |value: String| (!value.is_empty()).then_some(value);
    let options = crate::probe::Options {
        base,
        creator,
        email: email.or_else(|| std::env::var("PATRON_PROBE_EMAIL").ok()).and_then(non_empty),
        password: std::env::var("PATRON_PROBE_PASSWORD").ok().and_then(non_empty),
        timeout: std::time::Duration::from_secs(timeout),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let report = runtime.block_on(crate::probe::run(options));
    if json {
        println!("{}", report.json());
    } else {
        print!("{}", report.table());
    }
    if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

async fn migrate(settings: &Settings) -> ExitCode {
    let redacted = settings.database_url.redacted();
    let db = match patron_store::Db::connect(&settings.database_url, 2).await {
        Ok(db) => db,
        Err(error) => return report(&StartupError::Database(format!("cannot connect to {redacted}: {error}"))),
    };
    let result = patron_store::migrate::run(&db).await;
    db.close().await;
    match result {
        Ok(applied) if applied.is_empty() => {
            println!("{redacted} is up to date ({} migrations)", patron_store::migrate::MIGRATIONS.len());
            ExitCode::SUCCESS
        }
        Ok(applied) => {
            for migration in applied {
                println!("applied {:04} {}", migration.version, migration.name);
            }
            ExitCode::SUCCESS
        }
        Err(error) => report(&StartupError::Database(error.to_string())),
    }
}

/// Seeds the demo data and prints the logins; false when seeding failed.
async fn seed_demo(app: &Application) -> bool {
    let app = &app.state().app;
    match crate::demo::seed(app).await {
        Ok(Some(logins)) => {
            let base = app.settings.public_url.as_str().trim_end_matches('/');
            println!("\nDemo data is ready: open {base}/gordikey");
            println!("Every demo account's password is {:?}:", crate::demo::PASSWORD);
            for login in logins {
                println!("  {:<30} {}", login.role, login.email);
            }
            println!();
            true
        }
        Ok(None) => {
            tracing::info!("the database already holds data; the demo was not seeded");
            true
        }
        Err(error) => {
            tracing::error!(%error, "seeding the demo failed");
            eprintln!("patron: seeding the demo failed: {error}");
            false
        }
    }
}

async fn job_context(settings: Settings) -> Result<patron_jobs::JobContext, ExitCode> {
    match crate::app::open_database(&settings).await {
        Ok(db) => Ok(patron_jobs::JobContext {
            db,
            settings: std::sync::Arc::new(settings),
            bus: patron_events::Bus::local(),
            metrics: patron_jobs::JobMetrics::default(),
        }),
        Err(error) => Err(report(&error)),
    }
}

/// What the scheduled jobs need besides the database: the storage and the payment providers.
fn background_parts(settings: &Settings) -> Result<(patron_storage::Storage, patron_payments::Payments), ExitCode> {
    let storage = patron_storage::Storage::from_settings(settings)
        .map_err(|error| report(&StartupError::Storage(error.to_string())))?;
    let secret_key = crate::app::resolve_secret_key(settings).map_err(|error| report(&error))?;
    let payments = patron_payments::Payments::from_settings(settings, &secret_key)
        .map_err(|error| report(&StartupError::Settings(error.to_string())))?;
    Ok((storage, payments))
}

async fn run_job(settings: Settings, name: &str) -> ExitCode {
    let context = match job_context(settings).await {
        Ok(context) => context,
        Err(code) => return code,
    };
    let (storage, payments) = match background_parts(&context.settings) {
        Ok(parts) => parts,
        Err(code) => return code,
    };
    let scheduler = crate::jobs::scheduler(context, &storage, &payments);
    match scheduler.run_now(name).await {
        None => {
            let names: Vec<&str> = scheduler.jobs().iter().map(|(name, _)| *name).collect();
            eprintln!("patron: there is no scheduled job {name:?}; the jobs are: {}", names.join(", "));
            exit(2)
        }
        Some(Ok(patron_jobs::RunNow::Done(summary))) => {
            println!("{name}: {summary}");
            ExitCode::SUCCESS
        }
        Some(Ok(patron_jobs::RunNow::AlreadyRunning)) => {
            // an overlapping run (a slow previous CronJob, the embedded scheduler) is not a failure
            println!("{name}: already running elsewhere; nothing to do");
            ExitCode::SUCCESS
        }
        Some(Err(error)) => {
            eprintln!("patron: {name} failed: {error}");
            exit(1)
        }
    }
}

async fn list_jobs(settings: Settings) -> ExitCode {
    let context = match job_context(settings).await {
        Ok(context) => context,
        Err(code) => return code,
    };
    let runs = match patron_store::schedule::all(&context.db).await {
        Ok(runs) => runs,
        Err(error) => return report(&StartupError::Database(error.to_string())),
    };
    let (storage, payments) = match background_parts(&context.settings) {
        Ok(parts) => parts,
        Err(code) => return code,
    };
    let scheduler = crate::jobs::scheduler(context.clone(), &storage, &payments);
    println!("{:<18} {:<16} {:<22} {:<8} DETAIL", "JOB", "SCHEDULE (UTC)", "LAST RUN", "RESULT");
    for (name, expression) in scheduler.jobs() {
        let run = runs.iter().find(|r| r.name == name);
        let last = run.and_then(|r| r.last_started_at).map(|t| t.to_rfc3339().chars().take(19).collect::<String>());
        let running = run.is_some_and(|r| r.locked_by.is_some());
        println!(
            "{:<18} {:<16} {:<22} {:<8} {}",
            name,
            expression.unwrap_or("disabled"),
            last.unwrap_or_else(|| "never".to_owned()),
            if running { "running" } else { run.and_then(|r| r.last_result.as_deref()).unwrap_or("-") },
            run.and_then(|r| r.last_error.as_deref()).unwrap_or(""),
        );
    }
    match patron_store::jobs::stats(&context.db).await {
        Ok(stats) if !stats.is_empty() => {
            println!("\n{:<24} {:<10} {:>8}", "QUEUED KIND", "STATUS", "JOBS");
            for row in stats {
                println!("{:<24} {:<10} {:>8}", row.kind, row.status, row.count);
            }
        }
        Ok(_) => println!("\nthe job queue is empty"),
        Err(error) => return report(&StartupError::Database(error.to_string())),
    }
    ExitCode::SUCCESS
}

async fn set_admin(settings: Settings, email: &str, admin: bool) -> ExitCode {
    let email = match patron_domain::Email::parse(email) {
        Ok(email) => email,
        Err(error) => {
            eprintln!("patron: {email:?}: {}", error.message);
            return exit(2);
        }
    };
    let db = match crate::app::open_database(&settings).await {
        Ok(db) => db,
        Err(error) => return report(&error),
    };
    let changed = patron_store::users::set_platform_admin(db.pool(), &email, admin).await;
    db.close().await;
    match changed {
        Ok(true) if admin => {
            println!("{} is now a platform admin", email.as_str());
            ExitCode::SUCCESS
        }
        Ok(true) => {
            println!("{} is no longer a platform admin", email.as_str());
            ExitCode::SUCCESS
        }
        Ok(false) => {
            eprintln!("patron: there is no account with the address {}", email.as_str());
            exit(1)
        }
        Err(error) => report(&StartupError::Database(error.to_string())),
    }
}
