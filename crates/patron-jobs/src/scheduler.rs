//! The scheduler: named recurring jobs with cron expressions from the settings. Each tick
//! fires once however many instances run (a lease per job in the database), a missed tick is
//! caught up once, and `patron run-job NAME` runs a job by hand under the same lease — so a
//! Kubernetes CronJob and the embedded scheduler can never run one job twice at the same time
//! (lesson 11).

use crate::{JobContext, JobError};
use chrono::{DateTime, Utc};
use croner::Cron;
use patron_domain::Timestamp;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The future a scheduled task returns: a one-line summary of what it did.
pub type TaskFuture<'a> = Pin<Box<dyn Future<Output = Result<String, JobError>> + Send + 'a>>;

/// A recurring job.
pub trait ScheduledTask: Send + Sync {
    /// Its name (`session-cleanup`).
    fn name(&self) -> &'static str;
    /// Does the work once; idempotent.
    fn run<'a>(&'a self, context: &'a JobContext) -> TaskFuture<'a>;
}

/// Deletes sessions that expired.
struct SessionCleanup;

impl ScheduledTask for SessionCleanup {
    fn name(&self) -> &'static str {
        "session-cleanup"
    }

    fn run<'a>(&'a self, context: &'a JobContext) -> TaskFuture<'a> {
        Box::pin(async move {
            let deleted = patron_store::sessions::delete_expired(context.db.pool(), Timestamp::now()).await?;
            Ok(format!("deleted {deleted} expired sessions"))
        })
    }
}

/// Deletes succeeded jobs older than a week.
struct JobCleanup;

impl ScheduledTask for JobCleanup {
    fn name(&self) -> &'static str {
        "job-cleanup"
    }

    fn run<'a>(&'a self, context: &'a JobContext) -> TaskFuture<'a> {
        Box::pin(async move {
            let before = Timestamp::now().minus(Duration::from_secs(7 * 24 * 3600));
            let deleted = patron_store::jobs::purge_succeeded(&context.db, before).await?;
            Ok(format!("deleted {deleted} succeeded jobs older than 7 days"))
        })
    }
}

struct Entry {
    task: Arc<dyn ScheduledTask>,
    expression: Option<String>,
    cron: Option<Cron>,
    /// The latest tick this instance asked the database about, and when: a tick another
    /// instance took (or that waits for a running one) is asked about again only every few
    /// seconds, so checking every second costs nothing between ticks.
    asked: std::sync::Mutex<Option<(Timestamp, std::time::Instant)>>,
}

/// How often an instance asks again about a tick it could not take.
const ASK_AGAIN: Duration = Duration::from_secs(5);

/// How a manual run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunNow {
    /// It ran; the summary.
    Done(String),
    /// Another run holds the lease: nothing was done.
    AlreadyRunning,
}

/// The scheduler of one instance.
pub struct Scheduler {
    context: Arc<JobContext>,
    entries: Vec<Entry>,
    id: String,
    lease: Duration,
}

fn to_chrono(at: Timestamp) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(at.as_micros()).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn from_chrono(at: DateTime<Utc>) -> Timestamp {
    Timestamp::from_micros(at.timestamp_micros())
}

impl Scheduler {
    /// The scheduler with patron's built-in jobs and their cron expressions from the settings.
    pub fn new(context: JobContext) -> Self {
        let tasks: Vec<Arc<dyn ScheduledTask>> = vec![Arc::new(SessionCleanup), Arc::new(JobCleanup)];
        let entries = tasks
            .into_iter()
            .map(|task| {
                let expression = context.settings.schedules.get(task.name()).cloned().flatten();
                // the settings validated the expression; a failure here disables the job
                let cron = expression.as_deref().and_then(|e| patron_settings::cron(e).ok());
                Entry { task, expression, cron, asked: std::sync::Mutex::new(None) }
            })
            .collect();
        let id = format!("{}-{}", std::process::id(), patron_domain::token::random_urlsafe(6));
        Self { context: Arc::new(context), entries, id, lease: Duration::from_secs(15 * 60) }
    }

    /// Adds scheduled jobs defined elsewhere (each needs its `PATRON_SCHEDULE_*` setting in
    /// `patron_settings::SCHEDULES`).
    pub fn with_tasks(mut self, tasks: Vec<Arc<dyn ScheduledTask>>) -> Self {
        for task in tasks {
            let expression = self.context.settings.schedules.get(task.name()).cloned().flatten();
            let cron = expression.as_deref().and_then(|e| patron_settings::cron(e).ok());
            self.entries.push(Entry { task, expression, cron, asked: std::sync::Mutex::new(None) });
        }
        self
    }

    /// Every job: its name and its cron expression (`None` when disabled).
    pub fn jobs(&self) -> Vec<(&'static str, Option<&str>)> {
        self.entries.iter().map(|e| (e.task.name(), e.expression.as_deref())).collect()
    }

    async fn run_entry(&self, entry: &Entry, tick: Option<Timestamp>) -> Result<String, String> {
        let name = entry.task.name();
        tracing::info!(job = name, tick = %tick.map(|t| t.to_rfc3339()).unwrap_or_else(|| "now".to_owned()), "scheduled job started");
        let result = entry.task.run(&self.context).await.map_err(|e| e.to_string());
        let (ok, detail) = match &result {
            Ok(summary) => (true, summary.as_str()),
            Err(error) => (false, error.as_str()),
        };
        self.context.metrics.scheduled_run(name, ok);
        if let Err(error) = patron_store::schedule::finish(&self.context.db, name, &self.id, ok, detail).await {
            tracing::warn!(job = name, %error, "recording the end of a scheduled job failed");
        }
        match &result {
            Ok(summary) => tracing::info!(job = name, summary = %summary, "scheduled job finished"),
            Err(error) => tracing::error!(job = name, %error, "scheduled job failed"),
        }
        result
    }

    /// Fires every job whose latest tick at or before `now` has not fired yet; returns the
    /// names this instance ran. Each job runs in isolation: one failing does not stop others.
    pub async fn tick(&self, now: Timestamp) -> Vec<&'static str> {
        let mut fired = Vec::new();
        // writes are paused (a live relocation): the missed ticks fire once it is over
        if self.context.db.is_read_only() {
            return fired;
        }
        for entry in &self.entries {
            let Some(cron) = &entry.cron else { continue };
            let Ok(due) = cron.find_previous_occurrence(&to_chrono(now), true) else { continue };
            let tick = from_chrono(due);
            {
                let mut asked = entry.asked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if asked.is_some_and(|(at, when)| at == tick && when.elapsed() < ASK_AGAIN) {
                    continue;
                }
                *asked = Some((tick, std::time::Instant::now()));
            }
            match patron_store::schedule::try_start(
                &self.context.db,
                entry.task.name(),
                Some(tick),
                &self.id,
                self.lease,
                now,
            )
            .await
            {
                Ok(true) => {
                    let _ = self.run_entry(entry, Some(tick)).await;
                    fired.push(entry.task.name());
                }
                Ok(false) => {}
                Err(error) => tracing::warn!(job = entry.task.name(), %error, "cannot reach the schedule"),
            }
        }
        fired
    }

    /// Runs one job now, outside its schedule (`patron run-job NAME`); `None` for an unknown
    /// name. Safe when another run overlaps: only one holds the lease.
    pub async fn run_now(&self, name: &str) -> Option<Result<RunNow, String>> {
        let entry = self.entries.iter().find(|e| e.task.name() == name)?;
        let started =
            patron_store::schedule::try_start(&self.context.db, name, None, &self.id, self.lease, Timestamp::now())
                .await;
        Some(match started {
            Ok(true) => self.run_entry(entry, None).await.map(RunNow::Done),
            Ok(false) => Ok(RunNow::AlreadyRunning),
            Err(error) => Err(error.to_string()),
        })
    }

    /// Ticks every second until `stop` fires.
    pub async fn run(self, stop: CancellationToken) {
        tracing::info!(jobs = ?self.jobs(), "scheduler started");
        while !stop.is_cancelled() {
            self.tick(Timestamp::now()).await;
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                () = stop.cancelled() => {}
            }
        }
        tracing::info!("scheduler stopped");
    }
}
