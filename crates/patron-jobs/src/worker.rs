//! The worker: leases due jobs, runs them with a heartbeat, records the outcome, retries
//! with back-off, and on shutdown stops claiming, lets running jobs finish within the grace
//! period and gives back the leases of those it must abandon (lesson 8).

use crate::{Handler, JobContext, JobError, Registry, retry_delay};
use patron_domain::Timestamp;
use patron_store::jobs::{self, ClaimedJob};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// How a worker works.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// Jobs run at the same time.
    pub concurrency: usize,
    /// How long a claim holds a job without a heartbeat.
    pub lease: Duration,
    /// How often an idle worker looks for due jobs.
    pub poll: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self { concurrency: 4, lease: Duration::from_secs(60), poll: Duration::from_secs(1) }
    }
}

/// Runs queued jobs.
#[derive(Clone)]
pub struct Worker {
    context: Arc<JobContext>,
    registry: Arc<Registry>,
    options: WorkerOptions,
    /// Names this worker in leases (host, process and a random part).
    id: String,
}

enum Outcome {
    Succeeded,
    Failed,
    Released,
}

impl Worker {
    /// A worker with its handlers.
    pub fn new(context: JobContext, registry: Registry, options: WorkerOptions) -> Self {
        let id = format!("{}-{}", std::process::id(), patron_domain::token::random_urlsafe(6));
        Self { context: Arc::new(context), registry: Arc::new(registry), options, id }
    }

    /// The name this worker leases jobs under.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs one job to its end: heartbeat while it runs, outcome recorded, or the lease given
    /// back when `abandon` fires first.
    async fn execute(&self, job: ClaimedJob, abandon: CancellationToken) -> Outcome {
        let span = tracing::info_span!("job", job_id = %job.id, kind = %job.kind, attempt = job.attempts);
        self.execute_in_span(job, abandon).instrument(span).await
    }

    async fn execute_in_span(&self, job: ClaimedJob, abandon: CancellationToken) -> Outcome {
        let db = &self.context.db;
        let Some(handler) = self.registry.get(&job.kind) else {
            tracing::error!("no handler for this job kind; it becomes a dead letter");
            let _ = jobs::fail(db, job.id, &self.id, &format!("no handler for kind {:?}", job.kind), None).await;
            return Outcome::Failed;
        };
        let started = std::time::Instant::now();
        let result = {
            let work = run_with_heartbeat(&*handler, &self.context, &job, &self.id, self.options.lease);
            tokio::select! {
                result = work => Some(result),
                () = abandon.cancelled() => None,
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        let metrics = &self.context.metrics;
        match result {
            None => {
                tracing::warn!("stopping: the job did not finish within the grace period; its lease is given back");
                let _ = jobs::release(db, job.id, &self.id).await;
                metrics.job_run(&job.kind, "released", seconds);
                Outcome::Released
            }
            Some(Ok(())) => {
                match jobs::succeed(db, job.id, &self.id).await {
                    Ok(true) => tracing::info!(duration_ms = started.elapsed().as_millis() as u64, "job succeeded"),
                    Ok(false) => {
                        tracing::warn!("job finished after its lease was lost; another worker may have run it too")
                    }
                    Err(error) => tracing::error!(%error, "recording success failed; the job will run again"),
                }
                metrics.job_run(&job.kind, "succeeded", seconds);
                Outcome::Succeeded
            }
            Some(Err(error)) => {
                let retry_at = match &error {
                    JobError::Retry(_) if job.attempts < job.max_attempts => {
                        Some(Timestamp::now().plus(retry_delay(job.attempts)))
                    }
                    JobError::Later(delay, _) if job.attempts < job.max_attempts => Some(Timestamp::now().plus(*delay)),
                    _ => None,
                };
                match retry_at {
                    Some(at) => tracing::warn!(%error, retry_at = %at, "job failed; it will be retried"),
                    None => tracing::error!(%error, "job failed for good; it is now a dead letter"),
                }
                metrics.job_run(&job.kind, if retry_at.is_some() { "retried" } else { "dead" }, seconds);
                let _ = jobs::fail(db, job.id, &self.id, &error.to_string(), retry_at).await;
                Outcome::Failed
            }
        }
    }

    /// Claims and runs due jobs one after another until none is due; returns how many ran.
    /// For tests and one-off runs.
    pub async fn run_pending(&self) -> Result<usize, patron_store::StoreError> {
        let mut ran = 0;
        loop {
            jobs::requeue_expired(&self.context.db, Timestamp::now()).await?;
            let claimed = jobs::claim(&self.context.db, &self.id, self.options.lease, 1, Timestamp::now()).await?;
            let Some(job) = claimed.into_iter().next() else { return Ok(ran) };
            self.execute(job, CancellationToken::new()).await;
            ran += 1;
        }
    }

    /// Runs until `stop` fires, then drains: no new claims, running jobs get `grace` to
    /// finish, and the rest are released for another worker.
    pub async fn run(self, stop: CancellationToken, grace: Duration) {
        let permits = Arc::new(Semaphore::new(self.options.concurrency.max(1)));
        let abandon = CancellationToken::new();
        let mut running: JoinSet<Outcome> = JoinSet::new();
        tracing::info!(worker = %self.id, concurrency = self.options.concurrency, "worker started");
        while !stop.is_cancelled() {
            while running.try_join_next().is_some() {}
            let free = permits.available_permits();
            // while writes are paused (a live relocation) nothing new is claimed
            let claimed = if free == 0 || self.context.db.is_read_only() {
                Vec::new()
            } else {
                let db = &self.context.db;
                let now = Timestamp::now();
                if let Err(error) = jobs::requeue_expired(db, now).await {
                    tracing::warn!(%error, "cannot reach the queue");
                }
                jobs::claim(db, &self.id, self.options.lease, i64::try_from(free).unwrap_or(1), now)
                    .await
                    .unwrap_or_else(|error| {
                        tracing::warn!(%error, "cannot claim jobs");
                        Vec::new()
                    })
            };
            let idle = claimed.is_empty();
            for job in claimed {
                let Ok(permit) = permits.clone().acquire_owned().await else { break };
                let worker = self.clone();
                let abandon = abandon.clone();
                running.spawn(async move {
                    let outcome = worker.execute(job, abandon).await;
                    drop(permit);
                    outcome
                });
            }
            if idle {
                tokio::select! {
                    () = tokio::time::sleep(self.options.poll) => {}
                    () = stop.cancelled() => {}
                    Some(_) = running.join_next(), if !running.is_empty() => {}
                }
            }
        }
        tracing::info!(running = running.len(), "worker stopping: no new jobs; letting running ones finish");
        let drained = tokio::time::timeout(grace, async { while running.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            abandon.cancel();
            let mut released = 0;
            while let Some(outcome) = running.join_next().await {
                if matches!(outcome, Ok(Outcome::Released)) {
                    released += 1;
                }
            }
            tracing::warn!(released, "worker stopped; unfinished jobs were given back");
        } else {
            tracing::info!("worker stopped; every running job finished");
        }
    }
}

/// Runs a handler while extending the job's lease every third of it.
async fn run_with_heartbeat(
    handler: &dyn Handler,
    context: &JobContext,
    job: &ClaimedJob,
    worker: &str,
    lease: Duration,
) -> Result<(), JobError> {
    let work = handler.run(context, &job.payload);
    tokio::pin!(work);
    let mut beat = tokio::time::interval(lease / 3);
    beat.tick().await;
    loop {
        tokio::select! {
            result = &mut work => return result,
            _ = beat.tick() => {
                match jobs::heartbeat(&context.db, job.id, worker, Timestamp::now().plus(lease)).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!("the job's lease was lost while it ran"),
                    Err(error) => tracing::warn!(%error, "heartbeat failed"),
                }
            }
        }
    }
}
