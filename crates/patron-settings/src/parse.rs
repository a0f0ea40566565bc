//! Typing the raw values into [`Settings`]: each setting is read in a fixed order and every
//! problem is recorded, so one run reports all of them in that order.

use crate::raw::RawValues;
use crate::values::{self, CacheUrl, DatabaseUrl, ListenAddr, LogFormat, StorageUrl};
use crate::{
    GpWebpaySettings, GpWebpayWs, MediaSettings, Mode, Origin, PayoutSettings, SCHEDULES, SecretString, SellerSettings,
    Settings, StripeSettings, TaxSettings,
};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

impl Settings {
    /// Types every raw value, in the order its problems are reported in, then checks the rules
    /// between settings.
    pub(crate) fn from_raw(raw: &RawValues, warnings: Vec<String>, problems: &mut Vec<String>) -> Self {
        let mut p = Parser { raw, problems };

        let data_dir = p.get("data_dir").map(|(v, _)| PathBuf::from(v)).unwrap_or_else(|| PathBuf::from("./data"));
        let listen = p.parse("listen", ListenAddr::parse).unwrap_or_else(ListenAddr::default_listen);
        let public_url = match p.parse("public_url", values::parse_public_url) {
            Some(url) => url,
            None => listen.default_public_url(),
        };
        let database_url = p
            .parse("database_url", DatabaseUrl::parse)
            .unwrap_or_else(|| DatabaseUrl::Sqlite { path: data_dir.join("patron.db") });
        let database_max_connections = p.number("database_max_connections", 1, 1000).unwrap_or(10);
        let storage_url = p
            .parse("storage_url", StorageUrl::parse)
            .unwrap_or_else(|| StorageUrl::File { root: data_dir.join("storage") });
        let s3_access_key_id = p.parse("s3_access_key_id", |v| Ok(v.to_owned())).filter(|v| !v.is_empty());
        let s3_secret_access_key =
            p.parse("s3_secret_access_key", |v| Ok(SecretString::new(v))).filter(|v| !v.expose().is_empty());
        let media = p.media();
        let payment_sandbox = p.payment_sandbox();
        let renewal_retries = p.renewal_retries();
        let platform_fee = p
            .parse("platform_fee", |value| {
                patron_domain::split::Percent::parse("platform_fee", value).map_err(|_| {
                    format!("{value:?} is not a percentage from 0 to 100 with at most two decimals (e.g. 10 or 12.5)")
                })
            })
            .unwrap_or_default();
        let payouts = p.payouts();
        let seller = p.seller();
        let tax = p.tax();
        let (gpwebpay_merchant_number, gpwebpay) = p.gpwebpay();
        let stripe = p.stripe();
        let cache_url = p.parse("cache_url", CacheUrl::parse).unwrap_or(CacheUrl::Memory);
        let smtp_url = p.parse("smtp_url", values::parse_smtp_url);
        let mail_from = p.mail_from(&public_url);
        let secret_key = p.secret_key();
        let log_format = p.parse("log_format", LogFormat::parse);
        let log_level = p.log_level();
        let trusted_proxies = p.parse("trusted_proxies", values::parse_proxies).unwrap_or_default();
        let metrics_listen = p.parse("metrics_listen", ListenAddr::parse);
        let otlp_endpoint = p.parse("otlp_endpoint", values::parse_http_url);
        let shutdown_grace = p.duration("shutdown_grace").unwrap_or(Duration::from_secs(25));
        let shutdown_delay = p.duration("shutdown_delay").unwrap_or(Duration::ZERO);
        let request_timeout = p.duration("request_timeout").unwrap_or(Duration::from_secs(30));
        let body_limit = p.size("body_limit").unwrap_or(1024 * 1024);
        let session_ttl = p.duration("session_ttl").unwrap_or(Duration::from_secs(30 * 24 * 3600));
        let login_max_attempts_per_account = p.number("login_max_attempts_per_account", 1, 1_000_000).unwrap_or(5);
        let login_max_attempts_per_ip = p.number("login_max_attempts_per_ip", 1, 1_000_000).unwrap_or(50);
        let login_window = p.duration("login_window").unwrap_or(Duration::from_secs(15 * 60));
        let max_tiers = p.number("max_tiers", 1, 100).unwrap_or(10);
        let worker_concurrency = p.number("worker_concurrency", 1, 256).unwrap_or(4);
        let job_lease = p.duration("job_lease").unwrap_or(Duration::from_secs(60));
        let smtp_timeout = p.duration("smtp_timeout").unwrap_or(Duration::from_secs(30));
        let schedules = p.schedules();

        let settings = Settings {
            data_dir,
            listen,
            public_url,
            database_url,
            database_max_connections,
            storage_url,
            s3_access_key_id,
            s3_secret_access_key,
            media,
            payment_sandbox: false,
            renewal_retries,
            platform_fee,
            payouts,
            seller,
            tax,
            gpwebpay_merchant_number,
            gpwebpay,
            stripe,
            cache_url,
            smtp_url,
            mail_from,
            smtp_timeout,
            secret_key,
            log_format,
            log_level,
            trusted_proxies,
            metrics_listen,
            otlp_endpoint,
            shutdown_grace,
            shutdown_delay,
            request_timeout,
            body_limit,
            session_ttl,
            login_max_attempts_per_account,
            login_max_attempts_per_ip,
            login_window,
            max_tiers,
            worker_concurrency,
            job_lease,
            schedules,
            warnings,
        };
        let mut settings = settings;
        settings.payment_sandbox = payment_sandbox.unwrap_or(settings.mode() == Mode::Embedded);
        settings.cross_check(raw, problems);
        settings
    }
}

/// Typed reads of raw values that record problems instead of failing fast.
struct Parser<'a> {
    raw: &'a RawValues,
    problems: &'a mut Vec<String>,
}

impl Parser<'_> {
    fn get(&self, key: &str) -> Option<(String, Origin)> {
        self.raw.get(key).cloned()
    }

    fn secret(key: &str) -> bool {
        RawValues::definition(key).is_some_and(|d| d.secret)
    }

    /// Parses the value of `key` with `parse`, whose error says what was expected.
    fn parse<T>(&mut self, key: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let (value, origin) = self.get(key)?;
        match parse(value.trim()) {
            Ok(parsed) => Some(parsed),
            Err(expected) => {
                let message = if Self::secret(key) {
                    // never echo a secret value, not even a broken one
                    format!("{origin}: {}", expected.replace(value.trim(), "[redacted]"))
                } else {
                    format!("{origin}: {expected}")
                };
                self.problems.push(message);
                None
            }
        }
    }

    fn number(&mut self, key: &str, min: u32, max: u32) -> Option<u32> {
        self.parse(key, |value| match value.parse::<u32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(format!("{value:?} is not a whole number from {min} to {max}")),
        })
    }

    fn duration(&mut self, key: &str) -> Option<Duration> {
        self.parse(key, values::parse_duration)
    }

    fn size(&mut self, key: &str) -> Option<usize> {
        self.parse(key, values::parse_size)
    }
}

/// The steps of [`Settings::from_raw`] that read a group of settings or take more than a line.
impl Parser<'_> {
    /// Upload limits and the video tool.
    fn media(&mut self) -> MediaSettings {
        MediaSettings {
            url_ttl: self.duration("media_url_ttl").unwrap_or(Duration::from_secs(300)),
            max_image: self.size("upload_max_image").unwrap_or(25 << 20) as u64,
            max_video: self.size("upload_max_video").unwrap_or(4 << 30) as u64,
            max_audio: self.size("upload_max_audio").unwrap_or(1 << 30) as u64,
            max_document: self.size("upload_max_document").unwrap_or(25 << 20) as u64,
            uploads_per_hour: self.number("uploads_per_hour", 1, 1_000_000).unwrap_or(120),
            image_max_pixels: u64::from(
                self.number("image_max_pixels", 1_000_000, 1_000_000_000).unwrap_or(50_000_000),
            ),
            ffmpeg: match self.get("ffmpeg") {
                Some((value, _)) if value.trim().is_empty() => None,
                Some((value, _)) => Some(PathBuf::from(value.trim())),
                None => values::find_program("ffmpeg"),
            },
        }
    }

    /// Whether the sandbox gateway was switched on or off; `None` (not given, or blank) leaves
    /// it to the mode.
    fn payment_sandbox(&mut self) -> Option<bool> {
        self.parse("payment_sandbox", |value| match value.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Ok(Some(true)),
            "false" | "off" | "no" | "0" => Ok(Some(false)),
            "" => Ok(None),
            _ => Err(format!("{value:?} is not true or false")),
        })
        .flatten()
    }

    /// When failed renewal charges are tried again: one, three and seven days by default.
    fn renewal_retries(&mut self) -> Vec<Duration> {
        self.parse("renewal_retries", |value| {
            value.split(',').map(str::trim).filter(|d| !d.is_empty()).map(values::parse_duration).collect()
        })
        .unwrap_or_else(|| {
            vec![Duration::from_secs(86_400), Duration::from_secs(3 * 86_400), Duration::from_secs(7 * 86_400)]
        })
    }

    /// Payouts: the platform's account (an IBAN and its holder, both or neither), the hold and
    /// the minimum per currency.
    fn payouts(&mut self) -> PayoutSettings {
        let iban = self.parse("payout_iban", |value| {
            patron_domain::bank::Iban::parse("payout_iban", value).map_err(|e| format!("{value:?} {}", e.message))
        });
        let name = self.parse("payout_name", |value| {
            let name = value.trim();
            if name.is_empty() || name.chars().count() > 70 || name.chars().any(char::is_control) {
                Err(format!("{value:?} is not an account holder's name (1 to 70 characters)"))
            } else {
                Ok(name.to_owned())
            }
        });
        let debtor = match (name, iban) {
            (Some(name), Some(iban)) => Some((name, iban)),
            (None, None) => None,
            _ => {
                if self.get("payout_iban").is_some() != self.get("payout_name").is_some() {
                    self.problems.push(format!(
                        "{} and {}: set both or neither (the platform's account payouts are sent from)",
                        self.raw.origin_name("payout_iban"),
                        self.raw.origin_name("payout_name")
                    ));
                }
                None
            }
        };
        let hold = self.duration("payout_hold").unwrap_or(Duration::from_secs(7 * 86_400));
        let minimum = self
            .parse("payout_minimum", |value| {
                let mut amounts: Vec<patron_domain::money::Money> = Vec::new();
                for item in value.split(',').map(str::trim).filter(|d| !d.is_empty()) {
                    let amount = patron_domain::money::Money::parse("payout_minimum", item).map_err(|e| e.message)?;
                    if amounts.iter().any(|a| a.currency == amount.currency) {
                        return Err(format!("names {} twice", amount.currency.code()));
                    }
                    amounts.push(amount);
                }
                Ok(amounts)
            })
            .unwrap_or_else(|| {
                vec![
                    patron_domain::money::Money::new(50_000, patron_domain::money::Currency::CZK),
                    patron_domain::money::Money::new(2_000, patron_domain::money::Currency::EUR),
                ]
            });
        PayoutSettings { debtor, hold, minimum }
    }

    /// The seller on tax documents: an EU country (CZ by default), a VAT ID of that country or
    /// none (not registered), OSS only with a VAT ID, a series prefix of capitals and digits.
    fn seller(&mut self) -> SellerSettings {
        let text = |p: &mut Self, key: &str, max: usize| {
            p.parse(key, |value| {
                if value.chars().count() > max || value.chars().any(char::is_control) {
                    Err(format!("{value:?} is too long (at most {max} characters) or holds control characters"))
                } else {
                    Ok(value.to_owned())
                }
            })
            .filter(|v| !v.is_empty())
        };
        let name = text(self, "seller_name", 200);
        let address = text(self, "seller_address", 500);
        let country = self
            .parse("seller_country", |value| {
                let code = value.to_ascii_uppercase();
                if patron_domain::vat::in_eu(&code) {
                    Ok(code)
                } else {
                    Err(format!("{value:?} is not an EU member state's code (CZ, SK, DE…)"))
                }
            })
            .unwrap_or_else(|| "CZ".to_owned());
        let vat_id = self
            .parse("seller_vat_id", |value| {
                if value.is_empty() {
                    return Ok(None);
                }
                patron_domain::vat::VatId::parse("seller_vat_id", value)
                    .map(Some)
                    .map_err(|e| format!("{value:?} {}", e.message))
            })
            .flatten();
        if let Some(id) = &vat_id
            && id.country() != country
        {
            self.problems.push(format!(
                "{}: {} is a VAT ID of {}, but {} is {country}",
                self.raw.origin_name("seller_vat_id"),
                id.as_str(),
                id.country(),
                self.raw.origin_name("seller_country")
            ));
        }
        let oss = self
            .parse("seller_oss", |value| match value.to_ascii_lowercase().as_str() {
                "true" | "on" | "yes" | "1" => Ok(true),
                "false" | "off" | "no" | "0" | "" => Ok(false),
                _ => Err(format!("{value:?} is not true or false")),
            })
            .unwrap_or(false);
        if oss && vat_id.is_none() {
            self.problems.push(format!(
                "{}: the One-Stop Shop needs a VAT registration; set {} too",
                self.raw.origin_name("seller_oss"),
                self.raw.origin_name("seller_vat_id")
            ));
        }
        let series = self
            .parse("seller_series", |value| {
                if (1..=10).contains(&value.len())
                    && value.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                {
                    Ok(value.to_owned())
                } else {
                    Err(format!("{value:?} is not a series prefix: 1 to 10 capital letters and digits"))
                }
            })
            .unwrap_or_else(|| "P".to_owned());
        SellerSettings { name, address, country, vat_id, oss, series }
    }

    /// The VIES endpoint and its timeout, and the exchange rates' sources.
    fn tax(&mut self) -> TaxSettings {
        let url = |p: &mut Self, key: &str, default: &str| {
            p.parse(key, values::parse_http_url)
                .unwrap_or_else(|| url::Url::parse(default).unwrap_or_else(|_| unreachable!()))
        };
        let vies_url = url(self, "vies_url", "https://ec.europa.eu/taxation_customs/vies/rest-api");
        let vies_timeout = self.duration("vies_timeout").unwrap_or(Duration::from_secs(5));
        let czk_rates_url = url(
            self,
            "czk_rates_url",
            "https://www.cnb.cz/en/financial-markets/foreign-exchange-market/central-bank-exchange-rate-fixing/\
             central-bank-exchange-rate-fixing/daily.txt",
        );
        let eur_rates_url =
            url(self, "eur_rates_url", "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml");
        let geoip_db = self.parse("geoip_db", |value| Ok(PathBuf::from(value))).filter(|p| !p.as_os_str().is_empty());
        TaxSettings { vies_url, vies_timeout, czk_rates_url, eur_rates_url, geoip_db }
    }

    /// The merchant number, and GP webpay when all of its settings are given: some but not all
    /// of them is a problem, not a silently disabled gateway.
    fn gpwebpay(&mut self) -> (Option<String>, Option<GpWebpaySettings>) {
        let gpwebpay_merchant_number = self.parse("gpwebpay_merchant_number", |value| {
            if !value.is_empty() && value.len() <= 32 && value.bytes().all(|b| b.is_ascii_digit()) {
                Ok(value.to_owned())
            } else {
                Err(format!("{value:?} is not a merchant number: digits only, as text"))
            }
        });
        let gpwebpay_url = self.parse("gpwebpay_url", values::parse_http_url);
        let gpwebpay_private_key = self.parse("gpwebpay_private_key", |v| Ok(SecretString::new(v)));
        let gpwebpay_private_key_password = self.parse("gpwebpay_private_key_password", |v| Ok(SecretString::new(v)));
        let gpwebpay_public_key = self.parse("gpwebpay_public_key", |v| Ok(v.to_owned()));
        let ws = self.gpwebpay_ws();
        let gpwebpay = match (
            &gpwebpay_merchant_number,
            gpwebpay_private_key,
            gpwebpay_private_key_password,
            gpwebpay_public_key,
        ) {
            (Some(number), Some(key), Some(password), Some(public_key)) => Some(GpWebpaySettings {
                url: gpwebpay_url.unwrap_or_else(|| {
                    url::Url::parse("https://3dsecure.gpwebpay.com/pgw/order.do").unwrap_or_else(|_| unreachable!())
                }),
                merchant_number: number.clone(),
                private_key: key,
                private_key_password: password,
                public_key,
                ws,
            }),
            (_, None, None, None) => {
                if ws.is_some() {
                    self.problems.push(
                        "PATRON_GPWEBPAY_WS_URL: the web service needs GP webpay itself: set PATRON_GPWEBPAY_MERCHANT_NUMBER, PRIVATE_KEY, PRIVATE_KEY_PASSWORD and PUBLIC_KEY too"
                            .to_owned(),
                    );
                }
                None
            }
            _ => {
                self.problems.push(
                    "PATRON_GPWEBPAY_*: set all of MERCHANT_NUMBER, PRIVATE_KEY, PRIVATE_KEY_PASSWORD and PUBLIC_KEY, or none"
                        .to_owned(),
                );
                None
            }
        };
        (gpwebpay_merchant_number, gpwebpay)
    }

    /// Stripe, when its secret key is given: then the webhook secret and the publishable key
    /// are required too (a half-configured Stripe is a problem, not a silently missing one).
    fn stripe(&mut self) -> Option<StripeSettings> {
        let key = |prefixes: &'static [&'static str], example: &'static str| {
            move |value: &str| {
                if prefixes.iter().any(|p| value.starts_with(p)) && value.len() > 8 {
                    Ok(value.to_owned())
                } else {
                    Err(format!("is not a Stripe key of this kind; expected e.g. {example}"))
                }
            }
        };
        let secret = self.parse("stripe_secret_key", key(&["sk_", "rk_"], "sk_live_…"));
        let webhook = self.parse("stripe_webhook_secret", key(&["whsec_"], "whsec_…"));
        let publishable = self.parse("stripe_publishable_key", key(&["pk_"], "pk_live_…"));
        let api_base = self.parse("stripe_api_base", values::parse_http_url);
        let js_url = self.parse("stripe_js_url", values::parse_http_url);
        let default_url = |text: &str| url::Url::parse(text).unwrap_or_else(|_| unreachable!());
        match (secret, webhook, publishable) {
            (Some(secret), Some(webhook), Some(publishable)) => Some(StripeSettings {
                secret_key: SecretString::new(&secret),
                webhook_secret: SecretString::new(&webhook),
                publishable_key: publishable,
                api_base: api_base.unwrap_or_else(|| default_url("https://api.stripe.com")),
                js_url: js_url.unwrap_or_else(|| default_url("https://js.stripe.com/v3/")),
            }),
            (None, None, None) => None,
            _ => {
                self.problems.push(
                    "PATRON_STRIPE_*: set all of SECRET_KEY, WEBHOOK_SECRET and PUBLISHABLE_KEY, or none".to_owned(),
                );
                None
            }
        }
    }

    /// GP webpay's web service: its address and the acquirer's code, both or neither.
    fn gpwebpay_ws(&mut self) -> Option<GpWebpayWs> {
        let url = self.parse("gpwebpay_ws_url", values::parse_http_url);
        let provider = self.parse("gpwebpay_provider", |value| {
            if value.len() == 4 && value.bytes().all(|b| b.is_ascii_digit()) {
                Ok(value.to_owned())
            } else {
                Err(format!("{value:?} is not an acquirer code: four digits from the contract, such as 0100, as text"))
            }
        });
        match (url, provider) {
            (Some(url), Some(provider)) => Some(GpWebpayWs { url, provider }),
            (None, None) => None,
            (Some(_), None) => {
                self.problems.push(
                    "PATRON_GPWEBPAY_PROVIDER: is required with PATRON_GPWEBPAY_WS_URL (the acquirer's four-digit code from the contract)"
                        .to_owned(),
                );
                None
            }
            (None, Some(_)) => {
                self.problems.push("PATRON_GPWEBPAY_WS_URL: is required with PATRON_GPWEBPAY_PROVIDER".to_owned());
                None
            }
        }
    }

    /// The sender; by default at the public URL's domain, when it has a dot.
    fn mail_from(&mut self, public_url: &url::Url) -> String {
        self.parse("mail_from", values::parse_mailbox).unwrap_or_else(|| {
            format!(
                "patron <noreply@{}>",
                public_url.host_str().filter(|h| h.contains('.')).unwrap_or("patron.invalid")
            )
        })
    }

    /// The key that signs tokens; a short one is refused without echoing it.
    fn secret_key(&mut self) -> Option<SecretString> {
        self.parse("secret_key", |value| {
            if value.chars().count() < 32 {
                Err("is too short: use at least 32 random characters (e.g. `openssl rand -base64 48`)".to_owned())
            } else {
                Ok(SecretString::new(value))
            }
        })
    }

    /// Log filter directives, refused here when the subscriber could not read them.
    fn log_level(&mut self) -> String {
        self.parse("log_level", |value| {
            tracing_subscriber::EnvFilter::try_new(value)
                .map(|_| value.to_owned())
                .map_err(|e| format!("{value:?} is not a log filter ({e}); e.g. info or patron=debug,sqlx=warn"))
        })
        .unwrap_or_else(|| "info".to_owned())
    }

    /// Each scheduled job's cron expression: its default when not given, none when blank.
    fn schedules(&mut self) -> BTreeMap<&'static str, Option<String>> {
        let mut schedules = BTreeMap::new();
        for (name, key, default) in SCHEDULES {
            let expression = match self.get(key) {
                Some((value, _)) if value.trim().is_empty() => None,
                Some(_) => self.parse(key, values::parse_cron).map(Some).unwrap_or(None),
                None => Some((*default).to_owned()),
            };
            schedules.insert(*name, expression);
        }
        schedules
    }
}
