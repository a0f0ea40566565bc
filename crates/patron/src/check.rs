//! `patron check`: validates settings and reaches every configured backing service, one line
//! per check, stopping at the first failing class with its exit code.

use crate::app::{StartupError, resolve_secret_key};
use patron_settings::{Mode, Settings};
use std::time::Duration;

/// One check's outcome line.
fn line(name: &str, outcome: &str, detail: &str) {
    println!("{name:<11} {outcome:<7} {detail}");
}

fn fail(name: &str, error: StartupError) -> Result<(), StartupError> {
    line(name, "FAILED", &error.to_string());
    Err(error)
}

async fn reach_tcp(host: &str, port: u16) -> Result<(), String> {
    match tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(format!("cannot connect to {host}:{port}: {error}")),
        Err(_) => Err(format!("no answer from {host}:{port} within 5s")),
    }
}

/// Whether Stripe accepts the secret key: a refused key is a setting error, an unreachable API
/// an outage.
async fn check_stripe(stripe: &patron_payments::stripe::Stripe) -> Result<(), StartupError> {
    use patron_payments::stripe::api::ApiError;
    match stripe.check().await {
        Ok(()) => {
            line("stripe", "ok", &format!("{} accepts the secret key", stripe.api_base()));
            Ok(())
        }
        Err(error @ ApiError::Refused { .. }) => {
            fail("stripe", StartupError::Settings(format!("PATRON_STRIPE_SECRET_KEY: {error}")))
        }
        Err(error) => fail("stripe", StartupError::Server(format!("PATRON_STRIPE_API_BASE: {error}"))),
    }
}

/// Runs every check; returns the first failure.
pub async fn run(settings: &Settings) -> Result<(), StartupError> {
    let mode = match settings.mode() {
        Mode::Embedded => "embedded mode",
        Mode::Cloud => "cloud mode",
    };
    line("settings", "ok", &format!("{mode}; listen {}; public URL {}", settings.listen, settings.public_url));
    for warning in &settings.warnings {
        line("settings", "warning", warning);
    }

    let secret_key = match resolve_secret_key(settings) {
        Ok(key) => {
            if settings.secret_key.is_some() {
                line("secret key", "ok", "from PATRON_SECRET_KEY");
            } else {
                line("secret key", "ok", &format!("kept in {}", settings.data_dir.join("secret.key").display()));
            }
            key
        }
        Err(error) => return fail("secret key", error),
    };
    let payments = match patron_payments::Payments::from_settings(settings, &secret_key) {
        Ok(payments) => payments,
        Err(error) => return fail("payments", StartupError::Settings(error.to_string())),
    };
    match payments.default_provider() {
        Some(provider) => line("payments", "ok", &format!("new checkouts go to {provider}")),
        None => line("payments", "skipped", "no payment provider is enabled: fans cannot join tiers"),
    }
    if let Some(stripe) = &payments.stripe {
        check_stripe(stripe).await?;
    }

    let db = match crate::app::open_database_for_check(settings).await {
        Ok((db, detail)) => {
            line("database", "ok", &detail);
            db
        }
        Err(error) => return fail("database", error),
    };
    db.close().await;

    match patron_storage::Storage::from_settings(settings) {
        Ok(storage) => match storage.check_round_trip().await {
            Ok(()) => line("storage", "ok", &format!("{}: wrote, read and deleted a probe object", storage.describe())),
            Err(error) => return fail("storage", StartupError::Storage(format!("{}: {error}", storage.describe()))),
        },
        Err(error) => return fail("storage", StartupError::Storage(error.to_string())),
    }

    match patron_cache::Cache::open(&settings.cache_url) {
        Ok(cache) => match cache.ping().await {
            Ok(()) => line("cache", "ok", &cache.describe()),
            Err(error) => return fail("cache", StartupError::Cache(error.to_string())),
        },
        Err(error) => return fail("cache", StartupError::Cache(error.to_string())),
    }

    match &settings.smtp_url {
        Some(url) => {
            let host = url.expose().host_str().unwrap_or_default().to_owned();
            let port = url.expose().port().unwrap_or_else(|| patron_mail::default_port(url.expose()));
            match reach_tcp(&host, port).await {
                Ok(()) => line("smtp", "ok", &format!("{} answers", url.redacted())),
                Err(error) => return fail("smtp", StartupError::Server(format!("PATRON_SMTP_URL: {error}"))),
            }
        }
        None => {
            line("smtp", "skipped", "PATRON_SMTP_URL is not set: e-mails are written to the log and the outbox table")
        }
    }

    match &settings.otlp_endpoint {
        Some(url) => {
            let host = url.host_str().unwrap_or_default().to_owned();
            let port = url.port_or_known_default().unwrap_or(4318);
            match reach_tcp(&host, port).await {
                Ok(()) => line("otlp", "ok", &format!("{url} answers")),
                Err(error) => return fail("otlp", StartupError::Server(format!("PATRON_OTLP_ENDPOINT: {error}"))),
            }
        }
        None => line("otlp", "skipped", "PATRON_OTLP_ENDPOINT is not set: traces are not exported"),
    }
    Ok(())
}
