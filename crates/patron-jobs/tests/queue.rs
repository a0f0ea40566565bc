//! The queue, the worker and the scheduler against real databases: every test on SQLite and
//! PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use patron_domain::Timestamp;
use patron_jobs::{Handler, JobContext, JobError, JobFuture, Registry, RunNow, Scheduler, Worker, WorkerOptions};
use patron_store::jobs::{self, NewJob};
use patron_store::{Db, migrate};
use patron_testkit::{TestBackend, TestDatabase};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

async fn context(database: &TestDatabase, extra: &[(&str, &str)]) -> JobContext {
    let mut env = vec![
        ("PATRON_DATABASE_URL", database.url.as_str()),
        ("PATRON_SECRET_KEY", "a-test-secret-key-that-is-long-enough-1234"),
    ];
    env.extend_from_slice(extra);
    let settings = patron_settings::Settings::from_env_map(&env).unwrap();
    let db = Db::connect(&settings.database_url, 8).await.unwrap();
    migrate::run(&db).await.unwrap();
    JobContext { db, settings: Arc::new(settings), bus: patron_events::Bus::local(), metrics: Default::default() }
}

macro_rules! on_both_backends {
    ($($name:ident($database:ident) $body:block)*) => {$(
        mod $name {
            use super::*;
            async fn run($database: &TestDatabase) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(&TestDatabase::create(TestBackend::Sqlite).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let database = TestDatabase::create(TestBackend::Postgres).await;
                run(&database).await;
                database.drop_database().await;
            }
        }
    )*};
}

fn job(kind: &str, key: Option<&str>) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        payload: "{\"v\":1}".to_owned(),
        run_at: Timestamp::now(),
        max_attempts: 3,
        idempotency_key: key.map(str::to_owned),
    }
}

/// Counts runs; fails while `failures` is above zero; sleeps `pause` per run.
#[derive(Clone, Default)]
struct Counting {
    runs: Arc<AtomicUsize>,
    failures: Arc<AtomicUsize>,
    pause: Duration,
    permanent: bool,
}

impl Handler for Counting {
    fn kind(&self) -> &'static str {
        "count"
    }

    fn run<'a>(&'a self, _: &'a JobContext, _: &'a str) -> JobFuture<'a> {
        Box::pin(async move {
            tokio::time::sleep(self.pause).await;
            self.runs.fetch_add(1, Ordering::SeqCst);
            if self.failures.load(Ordering::SeqCst) > 0 {
                self.failures.fetch_sub(1, Ordering::SeqCst);
                return Err(if self.permanent {
                    JobError::Permanent("broken".into())
                } else {
                    JobError::Retry("try later".into())
                });
            }
            Ok(())
        })
    }
}

async fn statuses(db: &Db) -> Vec<String> {
    let mut all = Vec::new();
    for status in ["pending", "running", "succeeded", "dead"] {
        for row in jobs::list(db, status, 100).await.unwrap() {
            all.push(row.status);
        }
    }
    all
}

on_both_backends! {
    a_job_enqueued_in_a_rolled_back_transaction_never_exists(database) {
        let context = context(database, &[]).await;
        let mut transaction = context.db.begin_write().await.unwrap();
        jobs::enqueue(&mut *transaction, &job("count", None)).await.unwrap();
        transaction.rollback().await.unwrap();
        assert!(statuses(&context.db).await.is_empty());

        let mut transaction = context.db.begin_write().await.unwrap();
        jobs::enqueue(&mut *transaction, &job("count", None)).await.unwrap();
        transaction.commit().await.unwrap();
        assert_eq!(statuses(&context.db).await, ["pending"]);
    }

    an_idempotency_key_enqueues_once(database) {
        let context = context(database, &[]).await;
        assert!(jobs::enqueue(context.db.pool(), &job("count", Some("mail:1"))).await.unwrap().is_some());
        assert!(jobs::enqueue(context.db.pool(), &job("count", Some("mail:1"))).await.unwrap().is_none());
        assert_eq!(statuses(&context.db).await.len(), 1);
    }

    concurrent_claims_take_every_job_exactly_once(database) {
        let context = context(database, &[]).await;
        for _ in 0..31 {
            jobs::enqueue(context.db.pool(), &job("count", None)).await.unwrap();
        }
        let claimers: Vec<_> = (0..4)
            .map(|n| {
                let db = context.db.clone();
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    loop {
                        let claimed = jobs::claim(&db, &format!("worker-{n}"), Duration::from_secs(60), 3, Timestamp::now()).await.unwrap();
                        if claimed.is_empty() {
                            return mine;
                        }
                        mine.extend(claimed.into_iter().map(|j| j.id));
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for claimer in claimers {
            all.extend(claimer.await.unwrap());
        }
        let count = all.len();
        all.sort();
        all.dedup();
        assert_eq!((count, all.len()), (31, 31), "every job claimed, none twice");
    }

    an_expired_lease_makes_the_job_claimable_again(database) {
        let context = context(database, &[]).await;
        jobs::enqueue(context.db.pool(), &job("count", None)).await.unwrap();
        let first = jobs::claim(&context.db, "crashed", Duration::from_millis(50), 1, Timestamp::now()).await.unwrap();
        assert_eq!(first.len(), 1);
        assert!(jobs::claim(&context.db, "other", Duration::from_secs(60), 1, Timestamp::now()).await.unwrap().is_empty(), "leased");
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(jobs::requeue_expired(&context.db, Timestamp::now()).await.unwrap(), 1);
        let second = jobs::claim(&context.db, "other", Duration::from_secs(60), 1, Timestamp::now()).await.unwrap();
        assert_eq!(second[0].id, first[0].id);
        assert_eq!(second[0].attempts, 2);
        assert!(!jobs::succeed(&context.db, first[0].id, "crashed").await.unwrap(), "the old lease holder cannot finish it");
        assert!(jobs::succeed(&context.db, first[0].id, "other").await.unwrap());
    }

    failing_jobs_back_off_then_become_dead_letters_that_can_be_retried(database) {
        let context = context(database, &[]).await;
        let handler = Counting { failures: Arc::new(AtomicUsize::new(10)), ..Counting::default() };
        let worker = Worker::new(context.clone(), Registry::new().with(handler.clone()), WorkerOptions::default());
        let id = jobs::enqueue(context.db.pool(), &job("count", None)).await.unwrap().unwrap();
        assert_eq!(worker.run_pending().await.unwrap(), 1);
        let pending = jobs::list(&context.db, "pending", 10).await.unwrap();
        assert_eq!(pending[0].attempts, 1);
        assert!(pending[0].run_at > Timestamp::now(), "the retry waits");
        assert_eq!(pending[0].last_error.as_deref(), Some("try later"));
        assert_eq!(worker.run_pending().await.unwrap(), 0, "not due yet");

        // make it due twice more: the third failure is the last attempt
        for _ in 0..2 {
            set_due(&context.db, id).await;
            worker.run_pending().await.unwrap();
        }
        assert_eq!(statuses(&context.db).await, ["dead"]);
        handler.failures.store(0, Ordering::SeqCst);
        assert!(jobs::retry_dead(&context.db, id).await.unwrap());
        assert_eq!(worker.run_pending().await.unwrap(), 1);
        assert_eq!(statuses(&context.db).await, ["succeeded"]);
        assert_eq!(handler.runs.load(Ordering::SeqCst), 4);
    }

    permanent_failures_and_unknown_kinds_go_straight_to_the_dead_letters(database) {
        let context = context(database, &[]).await;
        let handler = Counting { failures: Arc::new(AtomicUsize::new(1)), permanent: true, ..Counting::default() };
        let worker = Worker::new(context.clone(), Registry::new().with(handler), WorkerOptions::default());
        jobs::enqueue(context.db.pool(), &job("count", None)).await.unwrap();
        jobs::enqueue(context.db.pool(), &job("no-such-kind", None)).await.unwrap();
        worker.run_pending().await.unwrap();
        assert_eq!(statuses(&context.db).await, ["dead", "dead"]);
    }

    a_stopping_worker_finishes_short_jobs_and_gives_back_long_ones(database) {
        let context = context(database, &[]).await;
        let quick = Counting { pause: Duration::from_millis(200), ..Counting::default() };
        let worker = Worker::new(context.clone(), Registry::new().with(quick.clone()), WorkerOptions { poll: Duration::from_millis(20), ..WorkerOptions::default() });
        jobs::enqueue(context.db.pool(), &job("count", None)).await.unwrap();
        let stop = CancellationToken::new();
        let running = tokio::spawn(worker.run(stop.clone(), Duration::from_secs(5)));
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.cancel();
        running.await.unwrap();
        assert_eq!(quick.runs.load(Ordering::SeqCst), 1, "the running job finished during the grace period");
        assert_eq!(statuses(&context.db).await, ["succeeded"]);

        let slow = Counting { pause: Duration::from_secs(30), ..Counting::default() };
        let worker = Worker::new(context.clone(), Registry::new().with(slow), WorkerOptions { poll: Duration::from_millis(20), ..WorkerOptions::default() });
        jobs::enqueue(context.db.pool(), &job("count", None)).await.unwrap();
        let stop = CancellationToken::new();
        let running = tokio::spawn(worker.run(stop.clone(), Duration::from_millis(200)));
        tokio::time::sleep(Duration::from_millis(150)).await;
        stop.cancel();
        running.await.unwrap();
        let pending = jobs::list(&context.db, "pending", 10).await.unwrap();
        assert_eq!(pending.len(), 1, "given back, not stuck until its lease runs out");
        assert_eq!(pending[0].attempts, 0, "an abandoned run does not count as an attempt");
        assert!(!jobs::claim(&context.db, "next", Duration::from_secs(60), 1, Timestamp::now()).await.unwrap().is_empty(), "claimable at once");
    }

    each_scheduled_tick_fires_once_however_many_instances_run(database) {
        let context = context(database, &[("PATRON_SCHEDULE_JOB_CLEANUP", "")]).await;
        let one = Scheduler::new(context.clone());
        let two = Scheduler::new(context.clone());
        assert_eq!(one.jobs(), [("session-cleanup", Some("17 * * * *")), ("job-cleanup", None)]);

        let now = Timestamp::now();
        let (a, b) = tokio::join!(one.tick(now), two.tick(now));
        assert_eq!(a.len() + b.len(), 1, "one instance ran the tick: {a:?} {b:?}");
        assert!(one.tick(now).await.is_empty() && two.tick(now).await.is_empty(), "the same tick does not fire again");
        let next_hour = now.plus(Duration::from_secs(3600));
        let (a, b) = tokio::join!(one.tick(next_hour), two.tick(next_hour));
        assert_eq!(a.len() + b.len(), 1, "the next tick fires once");

        let runs = patron_store::schedule::all(&context.db).await.unwrap();
        assert_eq!(runs[0].name, "session-cleanup");
        assert_eq!(runs[0].last_result.as_deref(), Some("ok"));
        assert!(runs[0].last_error.as_deref().unwrap().starts_with("deleted 0 expired sessions"));

        assert_eq!(one.run_now("session-cleanup").await, Some(Ok(RunNow::Done("deleted 0 expired sessions".into()))));
        assert_eq!(one.run_now("no-such-job").await, None);
        // a run in progress elsewhere holds the lease
        assert!(patron_store::schedule::try_start(&context.db, "session-cleanup", None, "elsewhere", Duration::from_secs(60), Timestamp::now()).await.unwrap());
        assert_eq!(two.run_now("session-cleanup").await, Some(Ok(RunNow::AlreadyRunning)));
    }
}

/// Makes a job due now: a test-only shortcut past the back-off (nothing in patron moves
/// `run_at` back).
async fn set_due(db: &Db, id: patron_domain::Id) {
    sqlx::query("UPDATE jobs SET run_at = $1 WHERE id = $2")
        .bind(Timestamp::now().as_micros())
        .bind(id.to_string())
        .execute(db.pool())
        .await
        .unwrap();
}
