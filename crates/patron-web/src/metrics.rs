//! Prometheus metrics: requests by matched route and status, latency, pool gauges, build info,
//! the job queue, open event streams (and background work's metrics, registered by the binary).
//! Labels use the route template (`/api/v1/me`), never the raw path, so their number stays
//! small whatever clients request.

use patron_settings::Settings;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    kind: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    database: &'static str,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The metrics of one running server.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    durations: HistogramFamily,
    in_flight: Gauge,
    event_streams: Gauge,
    statements: HistogramFamily,
    pool: Family<PoolLabels, Gauge>,
    queue: Family<QueueLabels, Gauge>,
    queue_age: Family<KindLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
}

fn statement_histogram() -> Histogram {
    Histogram::new([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 50.0])
}

fn latency_histogram() -> Histogram {
    // 1 ms … ~16 s
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    /// Registers every metric, and whatever `more` adds (background work's metrics).
    pub fn new(settings: &Settings, more: impl FnOnce(&mut Registry)) -> Self {
        let mut registry = Registry::with_prefix("patron");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by method, matched route and status", requests.clone());
        let durations: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and matched route",
            durations.clone(),
        );
        let statements: HistogramFamily = Family::new_with_constructor(statement_histogram);
        registry.register(
            "http_request_db_statements",
            "Database statements per HTTP request by method and matched route",
            statements.clone(),
        );
        let in_flight = Gauge::default();
        registry.register("http_requests_in_flight", "HTTP requests being served", in_flight.clone());
        let event_streams = Gauge::default();
        registry.register("event_streams", "Open Server-Sent Events streams (/api/v1/events)", event_streams.clone());
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register("db_pool_connections", "Database pool connections by state (open, idle, max)", pool.clone());
        let build = Family::<BuildLabels, Gauge>::default();
        let database = match settings.mode() {
            patron_settings::Mode::Embedded => "sqlite",
            patron_settings::Mode::Cloud => "postgres",
        };
        build.get_or_create(&BuildLabels { version: env!("CARGO_PKG_VERSION"), database }).set(1);
        registry.register("build_info", "Build and backend information (always 1)", build);
        let queue = Family::<QueueLabels, Gauge>::default();
        registry.register("jobs", "Jobs in the queue by kind and status (pending, running, dead)", queue.clone());
        let queue_age = Family::<KindLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        registry.register(
            "job_oldest_due_age_seconds",
            "How long the oldest due pending job of each kind has waited",
            queue_age.clone(),
        );
        more(&mut registry);
        Self {
            registry: Arc::new(registry),
            requests,
            durations,
            in_flight,
            event_streams,
            statements,
            pool,
            queue,
            queue_age,
        }
    }

    /// Records one finished request.
    pub fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64, db_statements: u32) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status: status.to_string(),
            })
            .inc();
        let labels = RouteLabels { method: method.to_owned(), route: route.to_owned() };
        self.durations.get_or_create(&labels).observe(seconds);
        self.statements.get_or_create(&labels).observe(f64::from(db_statements));
    }

    /// Counts a request as in flight until the guard drops.
    pub fn track_in_flight(&self) -> InFlightGuard {
        self.in_flight.inc();
        InFlightGuard(self.in_flight.clone())
    }

    /// Counts an open event stream until the guard drops.
    pub fn track_event_stream(&self) -> InFlightGuard {
        self.event_streams.inc();
        InFlightGuard(self.event_streams.clone())
    }

    /// Sets the queue gauges from the database's counts (read at scrape time).
    pub fn set_queue(&self, stats: &[patron_store::jobs::QueueStats], now: patron_domain::Timestamp) {
        // kinds that left the queue must not keep their last value
        self.queue.clear();
        self.queue_age.clear();
        for row in stats {
            self.queue
                .get_or_create(&QueueLabels { kind: row.kind.clone(), status: row.status.clone() })
                .set(row.count);
            if row.status == "pending"
                && let Some(oldest) = row.oldest_run_at.filter(|at| *at <= now)
            {
                let waited = (now.as_micros() - oldest.as_micros()) as f64 / 1e6;
                self.queue_age.get_or_create(&KindLabels { kind: row.kind.clone() }).set(waited);
            }
        }
    }

    /// Renders the Prometheus text exposition (format 0.0.4), with pool gauges read now.
    pub fn render(&self, pool: patron_store::PoolStats) -> Result<String, std::fmt::Error> {
        self.pool.get_or_create(&PoolLabels { state: "open" }).set(i64::from(pool.open));
        self.pool.get_or_create(&PoolLabels { state: "idle" }).set(i64::from(pool.idle));
        self.pool.get_or_create(&PoolLabels { state: "max" }).set(i64::from(pool.max));
        let mut text = String::with_capacity(4096);
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Decrements the in-flight gauge when a request ends, however it ends.
pub struct InFlightGuard(Gauge);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;
