//! Logs to stdout — JSON for collectors or pretty for people — and, when an OTLP endpoint
//! is configured, traces exported over OTLP/HTTP. Shipping logs is the platform's job
//! (lesson 10: never one HTTP request per log line).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use patron_settings::{LogFormat, Settings};
use std::io::IsTerminal;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keeps the trace exporter alive; [`Telemetry::shutdown`] flushes spans still buffered.
pub struct Telemetry {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes and stops trace export.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "flushing traces failed");
        }
    }
}

/// The OTLP/HTTP traces URL for a configured endpoint: a bare base URL gets `/v1/traces`,
/// as `OTEL_EXPORTER_OTLP_ENDPOINT` does.
pub fn traces_url(endpoint: &url::Url) -> String {
    let text = endpoint.as_str().trim_end_matches('/');
    if endpoint.path().trim_matches('/').is_empty() { format!("{text}/v1/traces") } else { text.to_owned() }
}

/// Installs the global subscriber. Call once, after the settings are valid.
pub fn init(settings: &Settings) -> Result<Telemetry, String> {
    let format = settings.log_format.unwrap_or(if std::io::stdout().is_terminal() {
        LogFormat::Pretty
    } else {
        LogFormat::Json
    });
    let filter = EnvFilter::try_new(&settings.log_level).map_err(|e| format!("PATRON_LOG_LEVEL: {e}"))?;
    let fmt_layer = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stdout)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::stdout().is_terminal())
            .with_writer(std::io::stdout)
            .boxed(),
    };

    let (otel_layer, provider) = match &settings.otlp_endpoint {
        Some(endpoint) => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(traces_url(endpoint))
                .with_timeout(std::time::Duration::from_secs(5))
                .build()
                .map_err(|e| format!("PATRON_OTLP_ENDPOINT: cannot set up trace export: {e}"))?;
            let resource = opentelemetry_sdk::Resource::builder()
                .with_service_name("patron")
                .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
                .build();
            let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(resource)
                .build();
            let tracer = provider.tracer("patron");
            (Some(tracing_opentelemetry::layer().with_tracer(tracer)), Some(provider))
        }
        None => (None, None),
    };

    tracing_subscriber::registry()
        .with(filter)
        .with(fmt_layer)
        .with(otel_layer)
        .try_init()
        .map_err(|e| format!("logging is already set up: {e}"))?;
    // a panic is logged like everything else: structured, on stdout, inside its request's span
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|m| (*m).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(panic.message = %message, panic.location = %location, "panic");
    }));
    Ok(Telemetry { provider })
}
