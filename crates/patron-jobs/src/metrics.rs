//! Metrics of background work: job runs by kind and outcome, their durations, scheduled
//! runs, and mails. Registered into the server's `/metrics` registry by the binary; queue
//! depth and the oldest job's age are read from the database at scrape time (they describe
//! the queue, which every replica shares).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    kind: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScheduleLabels {
    job: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

type DurationFamily = Family<KindLabels, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    // 5 ms … ~80 s
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.005, 2.0, 15))
}

/// The counters and histograms of background work. Cheap to clone; clones share values.
#[derive(Clone)]
pub struct JobMetrics {
    runs: Family<RunLabels, Counter>,
    durations: DurationFamily,
    scheduled: Family<ScheduleLabels, Counter>,
    mails: Family<OutcomeLabels, Counter>,
}

impl Default for JobMetrics {
    fn default() -> Self {
        Self {
            runs: Family::default(),
            durations: Family::new_with_constructor(duration_histogram),
            scheduled: Family::default(),
            mails: Family::default(),
        }
    }
}

impl std::fmt::Debug for JobMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobMetrics")
    }
}

impl JobMetrics {
    /// Adds the metrics to a registry (prefixed `patron_` by it).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "job_runs",
            "Job runs by kind and outcome (succeeded, retried, dead, released)",
            self.runs.clone(),
        );
        registry.register("job_duration_seconds", "How long job runs took, by kind", self.durations.clone());
        registry.register(
            "scheduled_job_runs",
            "Runs of scheduled jobs fired by this instance, by job and outcome (ok, failed)",
            self.scheduled.clone(),
        );
        registry.register(
            "emails",
            "E-mails by outcome (sent, failed, already_sent, unsubscribed)",
            self.mails.clone(),
        );
    }

    /// Records a finished job run.
    pub fn job_run(&self, kind: &str, outcome: &'static str, seconds: f64) {
        self.runs.get_or_create(&RunLabels { kind: kind.to_owned(), outcome }).inc();
        self.durations.get_or_create(&KindLabels { kind: kind.to_owned() }).observe(seconds);
    }

    /// Records a run of a scheduled job.
    pub fn scheduled_run(&self, job: &'static str, ok: bool) {
        self.scheduled.get_or_create(&ScheduleLabels { job, outcome: if ok { "ok" } else { "failed" } }).inc();
    }

    /// Records what became of a mail.
    pub fn mail(&self, outcome: &'static str) {
        self.mails.get_or_create(&OutcomeLabels { outcome }).inc();
    }
}
