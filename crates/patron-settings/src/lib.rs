//! patron's settings: one typed struct, loaded once from defaults, an optional TOML file and
//! `PATRON_*` environment variables (later sources win), and checked before anything starts.
//!
//! Every problem is collected, not just the first, and each message names the setting the
//! way the operator wrote it (`PATRON_LISTEN` or `listen (in patron.toml)`) and the form it
//! expects. Secrets are [`SecretString`]s and [`SecretUrl`]s, which never print.
//!
//! The talk's team lost payment signatures to a Helm value that silently turned into a float
//! (lesson 4): values that are text stay text — a number in the TOML file where text is
//! expected is an error, not a conversion.

mod checks;
mod parse;
mod raw;
mod secret;
mod values;

pub use secret::{SecretString, SecretUrl, redact_url};
pub use values::cron;
pub use values::{CacheUrl, DatabaseUrl, ListenAddr, LogFormat, StorageUrl};

use raw::RawValues;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a setting holds, which decides how TOML values are accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text: only TOML strings are accepted.
    Text,
    /// A whole number: TOML integers or strings of digits.
    Number,
    /// A duration such as `25s` or `15m`: TOML strings, or integers meaning seconds.
    Duration,
    /// A size such as `1MiB`: TOML strings, or integers meaning bytes.
    Size,
    /// A list: a TOML array of strings, or comma-separated text.
    List,
}

/// One setting: its name, what it holds and whether it is secret. The table of all of them
/// ([`DEFINITIONS`]) drives parsing and unknown-key detection.
#[derive(Clone, Copy, Debug)]
pub struct Definition {
    /// The key in the TOML file; the environment variable is `PATRON_` + this in upper case.
    pub key: &'static str,
    /// What the value holds.
    pub kind: Kind,
    /// Whether the value is a secret (never printed; `PATRON_…_FILE` may point to a file).
    pub secret: bool,
}

impl Definition {
    /// The environment variable name (`PATRON_LISTEN`).
    pub fn env_name(&self) -> String {
        format!("PATRON_{}", self.key.to_ascii_uppercase())
    }
}

macro_rules! definitions {
    ($($key:literal, $kind:ident, $secret:literal;)*) => {
        /// Every setting patron reads. Defaults live in [`Settings::load`]; the README's
        /// settings table documents them all (a test keeps it complete).
        pub const DEFINITIONS: &[Definition] = &[
            $(Definition { key: $key, kind: Kind::$kind, secret: $secret },)*
        ];
    };
}

definitions! {
    "data_dir", Text, false;
    "listen", Text, false;
    "public_url", Text, false;
    "database_url", Text, true;
    "database_max_connections", Number, false;
    "storage_url", Text, false;
    "s3_access_key_id", Text, false;
    "s3_secret_access_key", Text, true;
    "media_url_ttl", Duration, false;
    "upload_max_image", Size, false;
    "upload_max_video", Size, false;
    "upload_max_audio", Size, false;
    "upload_max_document", Size, false;
    "uploads_per_hour", Number, false;
    "image_max_pixels", Number, false;
    "ffmpeg", Text, false;
    "cache_url", Text, true;
    "smtp_url", Text, true;
    "mail_from", Text, false;
    "smtp_timeout", Duration, false;
    "secret_key", Text, true;
    "log_format", Text, false;
    "log_level", Text, false;
    "trusted_proxies", List, false;
    "metrics_listen", Text, false;
    "otlp_endpoint", Text, false;
    "shutdown_grace", Duration, false;
    "shutdown_delay", Duration, false;
    "request_timeout", Duration, false;
    "body_limit", Size, false;
    "session_ttl", Duration, false;
    "login_max_attempts_per_account", Number, false;
    "login_max_attempts_per_ip", Number, false;
    "login_window", Duration, false;
    "max_tiers", Number, false;
    "worker_concurrency", Number, false;
    "job_lease", Duration, false;
    "schedule_session_cleanup", Text, false;
    "schedule_job_cleanup", Text, false;
    "schedule_digest", Text, false;
    "schedule_media_cleanup", Text, false;
    "schedule_membership_renewal", Text, false;
    "schedule_payouts", Text, false;
    "payment_sandbox", Text, false;
    "renewal_retries", List, false;
    "platform_fee", Text, false;
    "payout_iban", Text, false;
    "payout_name", Text, false;
    "payout_hold", Duration, false;
    "payout_minimum", List, false;
    "seller_name", Text, false;
    "seller_address", Text, false;
    "seller_country", Text, false;
    "seller_vat_id", Text, false;
    "seller_oss", Text, false;
    "seller_series", Text, false;
    "vies_url", Text, false;
    "vies_timeout", Duration, false;
    "czk_rates_url", Text, false;
    "eur_rates_url", Text, false;
    "geoip_db", Text, false;
    "gpwebpay_merchant_number", Text, false;
    "gpwebpay_url", Text, false;
    "gpwebpay_private_key", Text, true;
    "gpwebpay_private_key_password", Text, true;
    "gpwebpay_public_key", Text, false;
    "gpwebpay_ws_url", Text, false;
    "gpwebpay_provider", Text, false;
    "stripe_secret_key", Text, true;
    "stripe_webhook_secret", Text, true;
    "stripe_publishable_key", Text, false;
    "stripe_api_base", Text, false;
    "stripe_js_url", Text, false;
}

/// The scheduled jobs: name, setting key of its cron expression, default expression.
pub const SCHEDULES: &[(&str, &str, &str)] = &[
    ("session-cleanup", "schedule_session_cleanup", "17 * * * *"),
    ("job-cleanup", "schedule_job_cleanup", "43 3 * * *"),
    ("digest", "schedule_digest", "0 7 * * 1"),
    ("media-cleanup", "schedule_media_cleanup", "23 4 * * *"),
    ("membership-renewal", "schedule_membership_renewal", "*/10 * * * *"),
    ("payouts", "schedule_payouts", "0 6 1 * *"),
];

/// Where a value came from; error messages name it the way the operator wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// An environment variable.
    Env(String),
    /// A file named by a `PATRON_…_FILE` environment variable.
    EnvFile(String),
    /// A key in the TOML file.
    File { key: String, path: PathBuf },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Env(name) => f.write_str(name),
            Origin::EnvFile(name) => write!(f, "{name} (file contents)"),
            Origin::File { key, path } => write!(f, "{key} (in {})", path.display()),
        }
    }
}

/// The settings could not be loaded; every problem found is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// One line per problem, each naming the setting.
    pub problems: Vec<String>,
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            f.write_str(problem)?;
        }
        Ok(())
    }
}

impl std::error::Error for SettingsError {}

/// Which of the two deployment shapes the settings describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One machine: SQLite in the data folder, migrations on start, generated secret key.
    Embedded,
    /// Cloud: PostgreSQL; migrations by `patron migrate`; the secret key must be given.
    Cloud,
}

/// All of patron's settings, typed and validated.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Folder for the embedded database, local storage and the generated secret key.
    pub data_dir: PathBuf,
    /// Where the web server listens.
    pub listen: ListenAddr,
    /// The URL people use to reach patron, without a trailing slash.
    pub public_url: url::Url,
    /// The database.
    pub database_url: DatabaseUrl,
    /// Connection pool size.
    pub database_max_connections: u32,
    /// Object storage.
    pub storage_url: StorageUrl,
    /// The access key for an `s3://` storage; `None` uses the AWS variables or the instance's
    /// role.
    pub s3_access_key_id: Option<String>,
    /// The secret for `s3_access_key_id`.
    pub s3_secret_access_key: Option<SecretString>,
    /// Media limits and tools.
    pub media: MediaSettings,
    /// Whether the built-in sandbox payment gateway is offered (on by default in embedded
    /// mode, off unless enabled in cloud mode).
    pub payment_sandbox: bool,
    /// After a failed renewal charge, when to try again (counted from when it was due); once
    /// they are used up the membership expires.
    pub renewal_retries: Vec<Duration>,
    /// The platform's share of every payment (0 by default: a self-hosted page keeps
    /// everything); a platform admin may set another for one page.
    pub platform_fee: patron_domain::split::Percent,
    /// How and when creators' balances are paid out.
    pub payouts: PayoutSettings,
    /// Who sells the memberships, for tax documents (`PATRON_SELLER_*`).
    pub seller: SellerSettings,
    /// Where VAT IDs are checked and exchange rates read (`PATRON_VIES_*`, `PATRON_*_RATES_URL`).
    pub tax: TaxSettings,
    /// The GP webpay merchant number: digits kept as text, never a number (a 19-digit value
    /// would lose digits as a float — the talk's lost signatures, lesson 4).
    pub gpwebpay_merchant_number: Option<String>,
    /// GP webpay, when all of its settings are given.
    pub gpwebpay: Option<GpWebpaySettings>,
    /// Stripe, when its keys are given.
    pub stripe: Option<StripeSettings>,
    /// Cache.
    pub cache_url: CacheUrl,
    /// Outgoing mail server; `None` writes e-mails to the log and the outbox table.
    pub smtp_url: Option<SecretUrl>,
    /// The sender of patron's mails (`patron <noreply@example.com>`).
    pub mail_from: String,
    /// How long one SMTP step may take; a whole send gets twice this.
    pub smtp_timeout: Duration,
    /// The key that signs tokens; `None` in embedded mode means "generate into the data folder".
    pub secret_key: Option<SecretString>,
    /// Log format; `None` picks pretty on a terminal and JSON otherwise.
    pub log_format: Option<LogFormat>,
    /// Log filter directives.
    pub log_level: String,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A separate listener for the operations endpoints.
    pub metrics_listen: Option<ListenAddr>,
    /// Where traces are exported over OTLP/HTTP.
    pub otlp_endpoint: Option<url::Url>,
    /// How long in-flight requests may finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// How long to keep accepting connections, while not ready, after a shutdown signal.
    pub shutdown_delay: Duration,
    /// Longest time one request may take.
    pub request_timeout: Duration,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Lifetime of an unused session or API token.
    pub session_ttl: Duration,
    /// Failed log-ins allowed per account within `login_window`.
    pub login_max_attempts_per_account: u32,
    /// Log-in attempts allowed per client IP within `login_window`.
    pub login_max_attempts_per_ip: u32,
    /// The window of the log-in rate limits.
    pub login_window: Duration,
    /// The most active (not archived) tiers a creator may have.
    pub max_tiers: u32,
    /// Jobs one worker runs at the same time.
    pub worker_concurrency: u32,
    /// How long a worker's claim on a job holds without a heartbeat (it beats every third
    /// of this): how soon another worker takes over the jobs of one that died.
    pub job_lease: Duration,
    /// Cron expression (minute hour day month weekday, UTC, optionally seconds first) of each
    /// scheduled job by name;
    /// `None` when disabled with a blank value.
    pub schedules: BTreeMap<&'static str, Option<String>>,
    /// Things worth telling the operator that do not stop the start (e.g. unknown variables).
    pub warnings: Vec<String>,
}

/// GP webpay's settings.
#[derive(Clone, Debug)]
pub struct GpWebpaySettings {
    /// The gateway's payment address.
    pub url: url::Url,
    /// The merchant number, as text.
    pub merchant_number: String,
    /// The merchant's private key (encrypted PKCS #8 PEM).
    pub private_key: SecretString,
    /// Its password.
    pub private_key_password: SecretString,
    /// The gateway's public key (PEM).
    pub public_key: String,
    /// The web service for repeat charges, status queries, refunds and revoking registered
    /// cards; without it memberships paid here run one period.
    pub ws: Option<GpWebpayWs>,
}

/// The seller on tax documents: the platform's operator (`PATRON_SELLER_*`).
#[derive(Clone, Debug)]
pub struct SellerSettings {
    /// Legal name; `None` until the operator sets it.
    pub name: Option<String>,
    /// Address, as one line per comma.
    pub address: Option<String>,
    /// Where the seller is established (an EU member state, ISO code).
    pub country: String,
    /// The seller's VAT ID; `None`: not registered for VAT, documents carry no VAT.
    pub vat_id: Option<patron_domain::vat::VatId>,
    /// Whether VAT on sales to consumers in other member states is declared through the
    /// One-Stop Shop (the rate of the fan's country applies); otherwise the seller's own.
    pub oss: bool,
    /// The prefix of document numbers (`P` makes `P2026-000001`).
    pub series: String,
}

/// The services tax documents rely on.
#[derive(Clone, Debug)]
pub struct TaxSettings {
    /// The VIES REST API (`…/check-vat-number` is posted to under it).
    pub vies_url: url::Url,
    /// How long a checkout waits for VIES before charging VAT and checking the ID later.
    pub vies_timeout: Duration,
    /// The Czech National Bank's daily rates (`?date=DD.MM.YYYY` is added): the VAT of a
    /// document in another currency is also stated in CZK.
    pub czk_rates_url: url::Url,
    /// The European Central Bank's reference rates of the last 90 days: the OSS return is in
    /// EUR at the rate of the quarter's last day.
    pub eur_rates_url: url::Url,
    /// A MaxMind-format country database: the IP address's country is a piece of evidence of
    /// where a buyer is. `None`: not looked up.
    pub geoip_db: Option<PathBuf>,
}

/// Payouts to creators (`PATRON_PAYOUT_*`).
#[derive(Clone, Debug)]
pub struct PayoutSettings {
    /// The platform's account the payouts are sent from, and its holder's name: the debtor of
    /// the bank files. Without it no payouts are made.
    pub debtor: Option<(String, patron_domain::bank::Iban)>,
    /// How long earnings wait before they can be paid out, so refunds and disputes can still
    /// come back.
    pub hold: Duration,
    /// The smallest payout per currency; a currency not listed has no minimum.
    pub minimum: Vec<patron_domain::money::Money>,
}

impl PayoutSettings {
    /// The smallest payout in `currency`, in minor units.
    pub fn minimum_of(&self, currency: &str) -> i64 {
        self.minimum.iter().find(|m| m.currency.code() == currency).map_or(0, |m| m.minor)
    }
}

/// Stripe's settings.
#[derive(Clone, Debug)]
pub struct StripeSettings {
    /// The secret key (`sk_live_…`, `sk_test_…`, or a restricted `rk_…`).
    pub secret_key: SecretString,
    /// The signing secret of the webhook endpoint (`whsec_…`).
    pub webhook_secret: SecretString,
    /// The publishable key Stripe.js runs with (`pk_…`).
    pub publishable_key: String,
    /// Stripe's API (`https://api.stripe.com`; a Stripe-compatible test server elsewhere).
    pub api_base: url::Url,
    /// Where Stripe.js is loaded from (`https://js.stripe.com/v3/`, as Stripe's terms require).
    pub js_url: url::Url,
}

/// GP webpay's web service (`PATRON_GPWEBPAY_WS_URL`, `PATRON_GPWEBPAY_PROVIDER`).
#[derive(Clone, Debug)]
pub struct GpWebpayWs {
    /// The service's address (`…/pay-ws/v1/PaymentService`).
    pub url: url::Url,
    /// The acquirer's four-digit code from the merchant's contract (`0100`, `0300`, `0880`…),
    /// as text.
    pub provider: String,
}

/// Limits and tools for uploaded media.
#[derive(Clone, Debug)]
pub struct MediaSettings {
    /// How long a signed URL for gated or private media stays valid.
    pub url_ttl: Duration,
    /// Largest image upload, in bytes.
    pub max_image: u64,
    /// Largest video upload, in bytes.
    pub max_video: u64,
    /// Largest audio upload, in bytes.
    pub max_audio: u64,
    /// Largest document (PDF) upload, in bytes.
    pub max_document: u64,
    /// Uploads one user may start per hour.
    pub uploads_per_hour: u32,
    /// Largest image, in pixels, that is decoded (a decompression-bomb limit).
    pub image_max_pixels: u64,
    /// The ffmpeg program for video; `None` plays videos as uploaded.
    pub ffmpeg: Option<PathBuf>,
}

impl Settings {
    /// Loads settings from the optional TOML file at `config_file` and the given environment
    /// (pass `std::env::vars()` in production).
    pub fn load(
        config_file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, SettingsError> {
        let env: BTreeMap<String, String> = env.into_iter().collect();
        let mut problems = Vec::new();
        let mut raw = RawValues::default();

        if let Some(path) = config_file {
            raw.read_file(path, &mut problems);
        }
        let warnings = raw.read_env(&env, &mut problems);
        let settings = Self::from_raw(&raw, warnings, &mut problems);
        if problems.is_empty() { Ok(settings) } else { Err(SettingsError { problems }) }
    }

    /// Loads settings from the environment only, with everything else at its default.
    pub fn from_env_map(env: &[(&str, &str)]) -> Result<Self, SettingsError> {
        Self::load(None, env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    /// Embedded or cloud, decided by the database URL.
    pub fn mode(&self) -> Mode {
        match self.database_url {
            DatabaseUrl::Sqlite { .. } => Mode::Embedded,
            DatabaseUrl::Postgres(_) => Mode::Cloud,
        }
    }

    /// Whether cookies must carry the `Secure` attribute.
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

#[cfg(test)]
mod tests;
