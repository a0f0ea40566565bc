use super::*;

fn load_env(env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    Settings::from_env_map(env)
}

fn problems(env: &[(&str, &str)]) -> String {
    match load_env(env) {
        Ok(_) => panic!("expected {env:?} to be refused"),
        Err(error) => error.to_string(),
    }
}

fn config_file(contents: &str) -> tempfile_like::TempFile {
    tempfile_like::TempFile::with_contents(contents)
}

/// A tiny temp-file helper so this crate needs no test dependencies.
mod tempfile_like {
    use std::path::{Path, PathBuf};

    pub struct TempFile(PathBuf);

    impl TempFile {
        pub fn with_contents(contents: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "patron-settings-{}-{}.toml",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or_default()
            ));
            let mut file = std::fs::File::create(&path).unwrap_or_else(|e| panic!("temp file: {e}"));
            std::io::Write::write_all(&mut file, contents.as_bytes()).unwrap_or_else(|e| panic!("write: {e}"));
            Self(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[test]
fn defaults_describe_an_embedded_install_in_the_data_folder() {
    let settings = load_env(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.mode(), Mode::Embedded);
    assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(settings.public_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(settings.database_url, DatabaseUrl::Sqlite { path: PathBuf::from("./data/patron.db") });
    assert_eq!(settings.storage_url, StorageUrl::File { root: PathBuf::from("./data/storage") });
    assert_eq!(settings.cache_url, CacheUrl::Memory);
    assert_eq!(settings.shutdown_grace, Duration::from_secs(25));
    assert!(settings.secret_key.is_none());
    assert!(!settings.is_https());
}

#[test]
fn listen_that_is_not_host_port_is_named_with_the_expected_form() {
    let message = problems(&[("PATRON_LISTEN", "abc")]);
    assert!(message.contains(r#"PATRON_LISTEN: "abc" is not host:port"#), "{message}");
    for bad in ["127.0.0.1", ":8080", "host:99999", "a b:80", "[nope]:80"] {
        assert!(problems(&[("PATRON_LISTEN", bad)]).starts_with("PATRON_LISTEN"), "{bad}");
    }
    for good in ["0.0.0.0:8080", "[::]:80", "localhost:0", "patron-web.default.svc:8080"] {
        assert!(load_env(&[("PATRON_LISTEN", good)]).is_ok(), "{good}");
    }
}

#[test]
fn unknown_url_schemes_are_refused_for_every_backend() {
    assert!(problems(&[("PATRON_DATABASE_URL", "mysql://root@localhost/patron")]).contains("unknown scheme \"mysql\""));
    assert!(problems(&[("PATRON_STORAGE_URL", "ftp://files")]).contains("PATRON_STORAGE_URL: unknown scheme \"ftp\""));
    assert!(problems(&[("PATRON_CACHE_URL", "memcached://x")]).contains("PATRON_CACHE_URL"));
    assert!(problems(&[("PATRON_SMTP_URL", "http://mail")]).contains("PATRON_SMTP_URL"));
    assert!(problems(&[("PATRON_DATABASE_URL", "sqlite::memory:")]).contains("in-memory"));
}

#[test]
fn smtp_urls_take_only_a_known_tls_option() {
    for good in
        ["smtp://mailpit:1025?tls=none", "smtp://relay:25?tls=opportunistic", "smtp://u:p@mail:587?tls=required"]
    {
        assert!(load_env(&[("PATRON_SMTP_URL", good)]).is_ok(), "{good}");
    }
    let message = problems(&[("PATRON_SMTP_URL", "smtp://mail:587?tls=off")]);
    assert!(message.contains("PATRON_SMTP_URL") && message.contains("required, opportunistic or none"), "{message}");
    let message = problems(&[("PATRON_SMTP_URL", "smtps://mail:465?tls=none")]);
    assert!(message.contains("smtps:// always uses TLS"), "{message}");
    let message = problems(&[("PATRON_SMTP_URL", "smtp://mail:587?starttls=never")]);
    assert!(message.contains("unknown option \"starttls\""), "{message}");
}

#[test]
fn cloud_mode_requires_a_secret_key_and_never_prints_the_database_password() {
    let message = problems(&[("PATRON_DATABASE_URL", "postgres://app:hunter2pass@db:5432/patron")]);
    assert!(message.contains("PATRON_SECRET_KEY: is required"), "{message}");
    assert!(!message.contains("hunter2pass"), "{message}");

    let key = "k".repeat(40);
    let settings =
        load_env(&[("PATRON_DATABASE_URL", "postgres://app:hunter2pass@db:5432/patron"), ("PATRON_SECRET_KEY", &key)])
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.mode(), Mode::Cloud);
    let printed = format!("{settings:?}");
    assert!(!printed.contains("hunter2pass") && !printed.contains(&key), "{printed}");
}

#[test]
fn short_secret_key_is_refused_without_echoing_it() {
    let message = problems(&[("PATRON_SECRET_KEY", "tooshort-secret")]);
    assert!(message.contains("PATRON_SECRET_KEY: is too short"), "{message}");
    assert!(!message.contains("tooshort-secret"), "{message}");
}

#[test]
fn secrets_can_come_from_mounted_files() {
    let file = config_file(&format!("{}\n", "s".repeat(48)));
    let path = file.path().to_string_lossy().into_owned();
    let settings = load_env(&[("PATRON_SECRET_KEY_FILE", &path)]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.secret_key.map(|k| k.expose().to_owned()), Some("s".repeat(48)));
    assert!(problems(&[("PATRON_SECRET_KEY_FILE", "/nonexistent/secret")]).contains("PATRON_SECRET_KEY_FILE"));
}

#[test]
fn every_problem_is_reported_at_once() {
    let message = problems(&[
        ("PATRON_LISTEN", "abc"),
        ("PATRON_SHUTDOWN_GRACE", "soon"),
        ("PATRON_DATABASE_MAX_CONNECTIONS", "0"),
        ("PATRON_TRUSTED_PROXIES", "10.0.0.0/8, not-an-ip"),
        ("PATRON_LOG_FORMAT", "xml"),
        ("PATRON_BODY_LIMIT", "lots"),
    ]);
    for key in [
        "PATRON_LISTEN",
        "PATRON_SHUTDOWN_GRACE",
        "PATRON_DATABASE_MAX_CONNECTIONS",
        "PATRON_TRUSTED_PROXIES",
        "PATRON_LOG_FORMAT",
        "PATRON_BODY_LIMIT",
    ] {
        assert!(message.contains(key), "{key} missing from:\n{message}");
    }
}

#[test]
fn environment_overrides_the_file_which_overrides_defaults() {
    let file = config_file("listen = \"127.0.0.1:9000\"\nshutdown_grace = \"40s\"\nlogin_window = 60\n");
    let env = [("PATRON_LISTEN".to_owned(), "127.0.0.1:9100".to_owned())];
    let settings = Settings::load(Some(file.path()), env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.listen.to_string(), "127.0.0.1:9100");
    assert_eq!(settings.shutdown_grace, Duration::from_secs(40));
    assert_eq!(settings.login_window, Duration::from_secs(60));
}

#[test]
fn unknown_keys_in_the_file_are_errors_that_name_the_key() {
    let file = config_file("listen = \"127.0.0.1:9000\"\nlisten_port = 8080\n");
    let error = Settings::load(Some(file.path()), []).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("unknown setting \"listen_port\""), "{error}");
}

#[test]
fn numbers_where_text_is_expected_are_refused_not_converted() {
    // lesson 4: a value that is text must not silently become a number
    let file = config_file("public_url = 12345678\n");
    let error = Settings::load(Some(file.path()), []).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("public_url") && error.contains("must be a string"), "{error}");
}

#[test]
fn broken_toml_and_missing_files_are_reported() {
    let file = config_file("listen = \n");
    let error = Settings::load(Some(file.path()), []).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("is not valid TOML"), "{error}");
    let missing = Settings::load(Some(Path::new("/nonexistent/patron.toml")), []).err();
    assert!(missing.is_some_and(|e| e.to_string().contains("cannot be read")));
}

#[test]
fn unknown_patron_variables_are_warned_about_with_a_suggestion() {
    let settings = load_env(&[("PATRON_LISTN", "127.0.0.1:1")]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.warnings.len(), 1);
    assert!(settings.warnings[0].contains("did you mean PATRON_LISTEN"), "{:?}", settings.warnings);
}

#[test]
fn https_public_url_turns_on_secure_cookies() {
    let settings = load_env(&[("PATRON_PUBLIC_URL", "https://members.example.com/")]).unwrap_or_else(|e| panic!("{e}"));
    assert!(settings.is_https());
    assert!(problems(&[("PATRON_PUBLIC_URL", "members.example.com")]).contains("PATRON_PUBLIC_URL"));
}

#[test]
fn trusted_proxies_accept_addresses_and_ranges() {
    let settings =
        load_env(&[("PATRON_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.10,::1")]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.trusted_proxies.len(), 3);
}

#[test]
fn sizes_and_durations_have_units() {
    let settings =
        load_env(&[("PATRON_BODY_LIMIT", "2MiB"), ("PATRON_SESSION_TTL", "7d")]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.body_limit, 2 * 1024 * 1024);
    assert_eq!(settings.session_ttl, Duration::from_secs(7 * 24 * 3600));
}

#[test]
fn metrics_listener_must_differ_from_the_main_one() {
    let message = problems(&[("PATRON_LISTEN", "127.0.0.1:9000"), ("PATRON_METRICS_LISTEN", "127.0.0.1:9000")]);
    assert!(message.contains("PATRON_METRICS_LISTEN: must differ"), "{message}");
}

#[test]
fn the_readme_documents_every_setting() {
    let readme = include_str!("../../../README.md");
    for definition in DEFINITIONS {
        let name = definition.env_name();
        assert!(readme.contains(&format!("`{name}`")), "README.md does not document {name}");
    }
}

#[test]
fn schedules_have_defaults_can_be_disabled_and_must_be_cron() {
    let settings = load_env(&[("PATRON_SCHEDULE_JOB_CLEANUP", " ")]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.schedules["session-cleanup"].as_deref(), Some("17 * * * *"));
    assert_eq!(settings.schedules["job-cleanup"], None, "blank disables");
    let message = problems(&[("PATRON_SCHEDULE_SESSION_CLEANUP", "every hour")]);
    assert!(message.contains("PATRON_SCHEDULE_SESSION_CLEANUP: \"every hour\" is not a cron expression"), "{message}");
}

#[test]
fn payouts_need_a_checked_account_a_hold_and_minimums_that_are_not_negative() {
    let settings = load_env(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(settings.payouts.debtor.is_none(), "no payouts until the platform's account is given");
    assert_eq!(settings.payouts.hold, Duration::from_secs(7 * 86_400));
    assert_eq!(settings.payouts.minimum_of("CZK"), 50_000);
    assert_eq!(settings.schedules["payouts"].as_deref(), Some("0 6 1 * *"));
    let settings = load_env(&[
        ("PATRON_PAYOUT_IBAN", "19-2000145399/0800"),
        ("PATRON_PAYOUT_NAME", "Platforma s.r.o."),
        ("PATRON_PAYOUT_MINIMUM", "100 CZK, 5.50 EUR"),
        ("PATRON_PAYOUT_HOLD", "14d"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let (name, iban) = settings.payouts.debtor.clone().unwrap_or_else(|| panic!("the account is read"));
    assert_eq!((name.as_str(), iban.as_str()), ("Platforma s.r.o.", "CZ6508000000192000145399"));
    assert_eq!((settings.payouts.minimum_of("EUR"), settings.payouts.minimum_of("USD")), (550, 0));
    assert_eq!(settings.payouts.hold, Duration::from_secs(14 * 86_400));

    let message = problems(&[("PATRON_PAYOUT_MINIMUM", "-100 CZK")]);
    assert!(message.contains("PATRON_PAYOUT_MINIMUM") && message.contains("negative"), "{message}");
    let message = problems(&[("PATRON_PAYOUT_IBAN", "CZ66 0800 0000 1920 0014 5399"), ("PATRON_PAYOUT_NAME", "P")]);
    assert!(message.contains("PATRON_PAYOUT_IBAN") && message.contains("check digits"), "{message}");
    let message = problems(&[("PATRON_PAYOUT_IBAN", "CZ65 0800 0000 1920 0014 5399")]);
    assert!(message.contains("PATRON_PAYOUT_NAME") && message.contains("both or neither"), "{message}");
}

#[test]
fn the_seller_is_an_eu_business_with_its_own_vat_id_or_none() {
    let settings = load_env(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((settings.seller.country.as_str(), settings.seller.series.as_str()), ("CZ", "P"));
    assert!(settings.seller.vat_id.is_none() && !settings.seller.oss, "not VAT-registered until told");
    let settings = load_env(&[
        ("PATRON_SELLER_NAME", "Platforma s.r.o."),
        ("PATRON_SELLER_ADDRESS", "Na Příkopě 1, 110 00 Praha 1"),
        ("PATRON_SELLER_VAT_ID", "cz 123 456 78"),
        ("PATRON_SELLER_OSS", "true"),
        ("PATRON_SELLER_SERIES", "PL"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.seller.vat_id.as_ref().map(|id| id.as_str()), Some("CZ12345678"));
    assert!(settings.seller.oss);
    assert_eq!(settings.seller.name.as_deref(), Some("Platforma s.r.o."));

    let message = problems(&[("PATRON_SELLER_COUNTRY", "US")]);
    assert!(message.contains("PATRON_SELLER_COUNTRY") && message.contains("EU member state"), "{message}");
    let message = problems(&[("PATRON_SELLER_VAT_ID", "DE123456789")]);
    assert!(message.contains("PATRON_SELLER_VAT_ID") && message.contains("of DE"), "{message}");
    let message = problems(&[("PATRON_SELLER_OSS", "yes")]);
    assert!(message.contains("PATRON_SELLER_OSS") && message.contains("VAT registration"), "{message}");
    let message = problems(&[("PATRON_SELLER_SERIES", "p-1")]);
    assert!(message.contains("PATRON_SELLER_SERIES"), "{message}");
}
