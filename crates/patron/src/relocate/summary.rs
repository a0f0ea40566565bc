//! The summary printed at the end: what was copied and verified, and what to run next.

use super::{ObjectReport, Options, Report};
use patron_settings::{DatabaseUrl, Settings, StorageUrl};
use std::time::Duration;

fn rate(amount: f64, time: Duration) -> f64 {
    amount / time.as_secs_f64().max(0.001)
}

/// The summary: one line per table, the objects, the throughput, and what to run next.
pub fn summary(report: &Report, settings: &Settings, options: &Options) -> String {
    let mut out = String::new();
    if !report.tables.is_empty() {
        tables(report, &mut out);
    }
    if let Some(objects) = &report.objects {
        objects_lines(report, objects, &mut out);
    }
    if let Some((paused, changed)) = report.frozen {
        out.push_str(&format!(
            "writes were paused for {:.1}s ({changed} tables changed while the first copy ran)\n",
            paused.as_secs_f64()
        ));
    }
    if !report.verified() {
        out.push_str("\nNOT VERIFIED: the target differs from the source (above). Run again with --resume.\n");
        return out;
    }
    out.push_str("\nVerified: the target holds exactly what the source holds.\n");
    if report.frozen.is_some() {
        out.push_str(
            "patron on the old database stays read-only: restart it with the settings below \
             (or `patron relocate --unfreeze` to stay where it is).\n",
        );
    }
    next_settings(settings, options, &mut out);
    out
}

/// One line per table, then the database's throughput.
fn tables(report: &Report, out: &mut String) {
    let width = report.tables.iter().map(|t| t.name.len()).max().unwrap_or(5).max(5);
    out.push_str(&format!(
        "{:<width$}  {:>11}  {:>11}  {:>11}  CHECK\n",
        "TABLE", "COPIED", "SOURCE ROWS", "TARGET ROWS"
    ));
    for table in &report.tables {
        let check = if table.checksums_match { "OK" } else { "DIFFERENT" };
        out.push_str(&format!(
            "{:<width$}  {:>11}  {:>11}  {:>11}  {check}\n",
            table.name, table.copied, table.source_rows, table.target_rows
        ));
    }
    out.push_str(&format!(
        "database: {} rows copied in {:.1}s ({:.0} rows/s)\n",
        report.rows_copied,
        report.database_time.as_secs_f64(),
        rate(report.rows_copied as f64, report.database_time)
    ));
}

/// The objects' counts and throughput, then the first keys that differ.
fn objects_lines(report: &Report, objects: &ObjectReport, out: &mut String) {
    out.push_str(&format!(
        "objects: {} copied ({:.1} MiB), {} already there, {} of {} on the target, {} different; {:.1}s ({:.1} MiB/s)\n",
        objects.copied,
        objects.bytes as f64 / 1_048_576.0,
        objects.skipped,
        objects.target_objects,
        objects.source_objects,
        objects.differing.len(),
        report.objects_time.as_secs_f64(),
        rate(objects.bytes as f64 / 1_048_576.0, report.objects_time)
    ));
    for key in objects.differing.iter().take(20) {
        out.push_str(&format!("  different or missing: {key}\n"));
    }
}

/// The settings to run patron with from now on, as environment variables and as the Helm
/// chart's values.
fn next_settings(settings: &Settings, options: &Options, out: &mut String) {
    out.push_str("\nFrom now on, run patron with:\n");
    let mut env = Vec::new();
    if let Some(url) = &options.to_database
        && let Ok(parsed) = DatabaseUrl::parse(url)
    {
        env.push(format!("PATRON_DATABASE_URL={}", parsed.redacted()));
        let key = settings.data_dir.join("secret.key");
        if settings.secret_key.is_none() {
            env.push(format!(
                "PATRON_SECRET_KEY_FILE={}   (the same key keeps sessions and signed links valid; required with PostgreSQL)",
                key.display()
            ));
        } else {
            env.push("PATRON_SECRET_KEY=(unchanged)".to_owned());
        }
    }
    if let Some(url) = &options.to_storage
        && let Ok(parsed) = StorageUrl::parse(url)
    {
        env.push(format!("PATRON_STORAGE_URL={url}"));
        if matches!(parsed, StorageUrl::S3 { .. }) {
            env.push("PATRON_S3_ACCESS_KEY_ID, PATRON_S3_SECRET_ACCESS_KEY=(as for this run)".to_owned());
        }
    }
    for line in &env {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str("\nor in the Helm chart's values (deploy/helm/patron):\n");
    if options.to_database.is_some() {
        out.push_str("  secrets:\n    databaseUrl: {existingSecret: patron-secrets, key: database-url}\n");
        out.push_str(
            "    secretKey: {existingSecret: patron-secrets, key: secret-key}   # the content of secret.key\n",
        );
    }
    if let Some(url) = &options.to_storage {
        out.push_str(&format!("  config:\n    storageUrl: {url:?}\n"));
    }
}
