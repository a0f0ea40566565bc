//! The one place that builds patron from its settings: opens the database, storage and
//! cache, checks the schema, binds the listeners, and runs until told to stop.

use patron_cache::Cache;
use patron_settings::{Mode, SecretString, Settings};
use patron_storage::Storage;
use patron_store::{Db, migrate};
use patron_web::{AppState, Parts};
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// What a `serve` process does (`--roles web,worker,scheduler`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roles {
    /// Serve the web UI and the JSON API.
    pub web: bool,
    /// Run background jobs.
    pub worker: bool,
    /// Fire scheduled jobs.
    pub scheduler: bool,
}

impl Roles {
    /// Every role: what `patron serve` runs by default on one machine.
    pub const ALL: Roles = Roles { web: true, worker: true, scheduler: true };

    /// Parses a comma-separated list such as `web,worker`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut roles = Roles { web: false, worker: false, scheduler: false };
        for role in text.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            match role {
                "web" => roles.web = true,
                "worker" => roles.worker = true,
                "scheduler" => roles.scheduler = true,
                other => return Err(format!("unknown role {other:?}; expected a list of web, worker, scheduler")),
            }
        }
        if roles == (Roles { web: false, worker: false, scheduler: false }) {
            return Err("no role given; expected a list of web, worker, scheduler".to_owned());
        }
        Ok(roles)
    }

    /// The roles as a list, for logs.
    pub fn names(&self) -> Vec<&'static str> {
        [(self.web, "web"), (self.worker, "worker"), (self.scheduler, "scheduler")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect()
    }
}

/// Why patron could not start. Each class has its own exit code, so scripts and
/// orchestrators can tell a bad setting from an unreachable dependency.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A setting is invalid (exit code 2).
    #[error("{0}")]
    Settings(String),
    /// The database is unreachable, or its schema is not what this build needs (exit code 3).
    #[error("database: {0}")]
    Database(String),
    /// Object storage is unusable (exit code 4).
    #[error("storage: {0}")]
    Storage(String),
    /// The cache is unusable (exit code 5).
    #[error("cache: {0}")]
    Cache(String),
    /// A listener could not be bound, or the server failed (exit code 1).
    #[error("{0}")]
    Server(String),
}

impl StartupError {
    /// The process exit code for this class of failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            StartupError::Server(_) => 1,
            StartupError::Settings(_) => 2,
            StartupError::Database(_) => 3,
            StartupError::Storage(_) => 4,
            StartupError::Cache(_) => 5,
        }
    }
}

/// Reads the secret key from the data folder, creating it on first start (embedded mode).
/// Cloud mode never gets here: there the key is a required setting, identical on every
/// replica.
pub fn resolve_secret_key(settings: &Settings) -> Result<SecretString, StartupError> {
    if let Some(key) = &settings.secret_key {
        return Ok(key.clone());
    }
    if settings.mode() == Mode::Cloud {
        return Err(StartupError::Settings("PATRON_SECRET_KEY: is required with postgres://".to_owned()));
    }
    let path = settings.data_dir.join("secret.key");
    read_or_create_key(&path).map_err(|e| {
        StartupError::Settings(format!(
            "PATRON_SECRET_KEY is unset and {} cannot be used: {e}; set PATRON_SECRET_KEY or fix PATRON_DATA_DIR",
            path.display()
        ))
    })
}

fn read_or_create_key(path: &Path) -> std::io::Result<SecretString> {
    use std::io::Write as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    if !path.exists() {
        // Written in full to a temporary file, then linked into place: a crash or a second
        // process starting at the same moment never sees a half-written key.
        let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary)?;
        file.write_all(patron_domain::token::random_urlsafe(48).as_bytes())?;
        file.sync_all()?;
        let linked = std::fs::hard_link(&temporary, path);
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => tracing::info!(path = %path.display(), "generated a secret key"),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
    }
    let key = std::fs::read_to_string(path)?.trim().to_owned();
    if key.chars().count() < 32 {
        return Err(std::io::Error::other("the stored key is shorter than 32 characters"));
    }
    Ok(SecretString::new(key))
}

/// Opens the database. In embedded mode pending migrations are applied; in cloud mode a
/// database that needs migrations is refused (a Helm hook runs `patron migrate` first, so
/// replicas never race to change the schema).
pub async fn open_database(settings: &Settings) -> Result<Db, StartupError> {
    let redacted = settings.database_url.redacted();
    let db = Db::connect(&settings.database_url, settings.database_max_connections)
        .await
        .map_err(|e| StartupError::Database(format!("cannot connect to {redacted}: {e}")))?;
    let status = migrate::status(&db).await.map_err(|e| StartupError::Database(e.to_string()))?;
    if !status.modified.is_empty() {
        return Err(StartupError::Database(format!(
            "migrations {:?} were changed after they were applied; this build does not match the database",
            status.modified
        )));
    }
    if !status.unknown.is_empty() {
        tracing::info!(versions = ?status.unknown, "the database has migrations newer than this build");
    }
    if !status.pending.is_empty() {
        match settings.mode() {
            Mode::Embedded => {
                let applied = migrate::run(&db).await.map_err(|e| StartupError::Database(e.to_string()))?;
                tracing::info!(count = applied.len(), "applied migrations");
            }
            Mode::Cloud => {
                let names: Vec<String> = status.pending.iter().map(|m| format!("{} {}", m.version, m.name)).collect();
                return Err(StartupError::Database(format!(
                    "{redacted} needs {} migration(s) ({}); run `patron migrate` first (the Helm chart runs it as a hook)",
                    names.len(),
                    names.join(", ")
                )));
            }
        }
    }
    Ok(db)
}

/// Opens the database without changing it, for `patron check`: reports the schema state
/// and fails in cloud mode when migrations are pending.
pub async fn open_database_for_check(settings: &Settings) -> Result<(Db, String), StartupError> {
    let redacted = settings.database_url.redacted();
    let db = Db::connect(&settings.database_url, 2)
        .await
        .map_err(|e| StartupError::Database(format!("cannot connect to {redacted}: {e}")))?;
    let status = migrate::status(&db).await.map_err(|e| StartupError::Database(format!("{redacted}: {e}")))?;
    if !status.modified.is_empty() {
        return Err(StartupError::Database(format!(
            "{redacted}: migrations {:?} were changed after they were applied",
            status.modified
        )));
    }
    let pending = status.pending.len();
    if pending > 0 && settings.mode() == Mode::Cloud {
        return Err(StartupError::Database(format!("{redacted} needs {pending} migration(s); run `patron migrate`")));
    }
    let note = if pending > 0 { format!(", {pending} pending (applied on start)") } else { String::new() };
    Ok((db, format!("{redacted}: reachable, {} migration(s) applied{note}", status.applied.len())))
}

/// A built, not yet running patron.
pub struct Application {
    state: AppState,
    roles: Roles,
    /// The job handlers, when this process runs the worker.
    registry: Option<patron_jobs::Registry>,
    job_metrics: patron_jobs::JobMetrics,
    listener: TcpListener,
    ops_listener: Option<TcpListener>,
}

async fn bind(address: &str, setting: &str) -> Result<TcpListener, StartupError> {
    TcpListener::bind(address)
        .await
        .map_err(|e| StartupError::Server(format!("{setting}: cannot listen on {address}: {e}")))
}

impl Application {
    /// Builds everything from settings; nothing is served until [`Application::run_until_stopped`].
    pub async fn build(settings: Settings, roles: Roles) -> Result<Self, StartupError> {
        patron_storage::install_tls_provider();
        let secret_key = resolve_secret_key(&settings)?;
        let db = open_database(&settings).await?;
        let storage = Storage::from_settings(&settings).map_err(|e| StartupError::Storage(e.to_string()))?;
        let cache = Cache::open(&settings.cache_url).map_err(|e| StartupError::Cache(e.to_string()))?;
        let listener = bind(&settings.listen.to_string(), "PATRON_LISTEN").await?;
        let ops_listener = match &settings.metrics_listen {
            Some(address) => Some(bind(&address.to_string(), "PATRON_METRICS_LISTEN").await?),
            None => None,
        };
        let bus = patron_events::Bus::start(&settings, &db, &cache);
        let job_metrics = patron_jobs::JobMetrics::default();
        let metrics = patron_web::Metrics::new(&settings, |registry| job_metrics.register(registry));
        let payments = patron_payments::Payments::from_settings(&settings, &secret_key)
            .map_err(|e| StartupError::Settings(e.to_string()))?;
        let app = patron_app::App::new(Arc::new(settings), db, storage, cache, bus, payments, secret_key);
        let state = AppState::new(app, metrics);
        let registry = if roles.worker {
            let app = &state.app;
            let context = patron_jobs::JobContext {
                db: app.db.clone(),
                settings: app.settings.clone(),
                bus: app.bus.clone(),
                metrics: job_metrics.clone(),
            };
            let registry = crate::jobs::registry(&context, &app.secret_key, &app.storage, &app.payments)
                .map_err(|e| StartupError::Settings(e.to_string()))?;
            Some(registry)
        } else {
            None
        };
        Ok(Self { state, roles, registry, job_metrics, listener, ops_listener })
    }

    /// The port the main listener is bound to (useful with port 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// The port of the separate operations listener, if configured.
    pub fn ops_port(&self) -> Option<u16> {
        self.ops_listener.as_ref().and_then(|l| l.local_addr().ok()).map(|a| a.port())
    }

    /// The shared state (for tests).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then drains: `/readyz` turns 503 at once, the
    /// listener closes after `PATRON_SHUTDOWN_DELAY`, and in-flight requests get
    /// `PATRON_SHUTDOWN_GRACE` to finish (lesson 8).
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), StartupError> {
        let Application { state, roles, registry, job_metrics, listener, ops_listener } = self;
        let app = state.app.clone();
        let settings = app.settings.clone();
        let parts = Parts { web: roles.web, metrics: ops_listener.is_none() };
        let router = patron_web::router(state.clone(), parts);
        let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
        let ops_address = ops_listener.as_ref().and_then(|l| l.local_addr().ok()).map(|a| a.to_string());

        let stop_accepting = CancellationToken::new();
        let main_server = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(stop_accepting.clone().cancelled_owned());
        let mut main_task = tokio::spawn(async move { main_server.await });

        let stop_ops = CancellationToken::new();
        let ops_task = ops_listener.map(|listener| {
            let router = patron_web::ops_router(state.clone());
            let server = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(stop_ops.clone().cancelled_owned());
            tokio::spawn(async move { server.await })
        });

        // background work in this process: the worker and the scheduler, when their roles are on
        let stop_background = CancellationToken::new();
        let context = patron_jobs::JobContext {
            db: app.db.clone(),
            settings: settings.clone(),
            bus: app.bus.clone(),
            metrics: job_metrics,
        };
        let mut background = tokio::task::JoinSet::new();
        // the install's flags (read-only during a live relocation), read every second
        let _ = app.db.refresh_flags().await;
        background.spawn(watch_flags(app.db.clone(), stop_background.clone()));
        if let Some(registry) = registry {
            let options = patron_jobs::WorkerOptions {
                concurrency: usize::try_from(settings.worker_concurrency).unwrap_or(4),
                lease: settings.job_lease,
                ..patron_jobs::WorkerOptions::default()
            };
            let worker = patron_jobs::Worker::new(context.clone(), registry, options);
            background.spawn(worker.run(stop_background.clone(), settings.shutdown_grace));
        }
        if roles.scheduler {
            background.spawn(crate::jobs::scheduler(context, &app.storage, &app.payments).run(stop_background.clone()));
        }

        tracing::info!(
            %address,
            ops_address = ops_address.as_deref().unwrap_or("(main listener)"),
            public_url = %settings.public_url,
            roles = ?roles.names(),
            database = %settings.database_url.redacted(),
            storage = %app.storage.describe(),
            "patron is ready"
        );

        tokio::select! {
            () = shutdown => {}
            result = &mut main_task => {
                stop_ops.cancel();
                stop_background.cancel();
                return match result {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(error)) => Err(StartupError::Server(format!("the server failed: {error}"))),
                    Err(error) => Err(StartupError::Server(format!("the server task failed: {error}"))),
                };
            }
        }

        tracing::info!(grace = ?settings.shutdown_grace, "shutting down: not ready any more, draining requests");
        state.start_draining();
        // the worker stops claiming now and gets the same grace for its running jobs
        stop_background.cancel();
        if !settings.shutdown_delay.is_zero() {
            tokio::time::sleep(settings.shutdown_delay).await;
        }
        stop_accepting.cancel();
        match tokio::time::timeout(settings.shutdown_grace, &mut main_task).await {
            Ok(_) => tracing::info!("all requests finished"),
            Err(_) => {
                main_task.abort();
                tracing::warn!("the grace period ended with requests still running; they were cut off");
            }
        }
        let _ = tokio::time::timeout(settings.shutdown_grace + Duration::from_secs(1), async {
            while background.join_next().await.is_some() {}
        })
        .await;
        stop_ops.cancel();
        if let Some(task) = ops_task {
            let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), app.db.close()).await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// A future that completes on SIGTERM or SIGINT (Ctrl-C). The handlers are installed when
/// this is called, so a signal that arrives while patron is still starting (say, during
/// migrations) is not lost: the start finishes and the drain follows at once.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    #[cfg(unix)]
    let interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
    async move {
        #[cfg(unix)]
        match (terminate, interrupt) {
            (Ok(mut terminate), Ok(mut interrupt)) => {
                tokio::select! {
                    _ = terminate.recv() => tracing::info!("received SIGTERM"),
                    _ = interrupt.recv() => tracing::info!("received SIGINT"),
                }
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "cannot listen for signals; stop patron with SIGKILL");
                std::future::pending::<()>().await;
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("received Ctrl-C");
        }
    }
}

/// Re-reads the install's flags every second until `stop`, so every process of the install
/// notices within a second when writes are paused or resumed.
async fn watch_flags(db: patron_store::Db, stop: CancellationToken) {
    let mut was_read_only = db.is_read_only();
    while !stop.is_cancelled() {
        match db.refresh_flags().await {
            Ok(read_only) if read_only != was_read_only => {
                was_read_only = read_only;
                if read_only {
                    tracing::warn!("the install is read-only: changes are refused and no jobs are claimed");
                } else {
                    tracing::info!("the install is writable again");
                }
            }
            Ok(_) => {}
            Err(error) => tracing::debug!(%error, "cannot read the install's flags"),
        }
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            () = stop.cancelled() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_subsets_and_refuse_unknown_ones() {
        assert_eq!(Roles::parse("web,worker,scheduler"), Ok(Roles::ALL));
        assert_eq!(Roles::parse(" web "), Ok(Roles { web: true, worker: false, scheduler: false }));
        assert!(Roles::parse("web,cron").is_err());
        assert!(Roles::parse("").is_err());
    }
}
