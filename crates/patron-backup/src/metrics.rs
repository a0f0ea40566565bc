//! The run's Prometheus metrics: a textfile for node-exporter, a Pushgateway, or both. Each
//! backup gets its last run, its last success, whether it succeeded (every target took it),
//! how long it took, how big it was, and whether each of its targets took it — enough for an
//! alert such as `time() - patron_backup_last_success_timestamp_seconds > 26 * 3600`.
//!
//! The last success only ever moves forward: a failed run must not hide when the last good
//! backup was made, so the textfile carries the previous value over and the Pushgateway is
//! sent a POST that leaves the stored value in place.

use crate::config::Metrics;
use crate::run::Row;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;
use time::OffsetDateTime;

const LAST_RUN: &str = "patron_backup_last_run_timestamp_seconds";
const LAST_SUCCESS: &str = "patron_backup_last_success_timestamp_seconds";
const SUCCESS: &str = "patron_backup_success";
const DURATION: &str = "patron_backup_duration_seconds";
const SIZE: &str = "patron_backup_size_bytes";
const TARGET_SUCCESS: &str = "patron_backup_target_success";

/// The `job` label when `Metrics.Job` is empty.
pub const DEFAULT_JOB: &str = "patron-backup";

/// One backup's figures from one run: what [`render`] writes.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupOutcome {
    /// The backup's ID (the `backup` label).
    pub backup: String,
    /// When the run ended, in Unix seconds.
    pub last_run: i64,
    /// When the backup last succeeded, in Unix seconds; `None` leaves the metric out (a failed
    /// backup that never succeeded, or a Pushgateway POST that keeps the stored value).
    pub last_success: Option<i64>,
    /// Whether every target took the backup.
    pub success: bool,
    /// How long the backup took (its slowest target).
    pub duration: Duration,
    /// The size stored (the largest of its targets').
    pub size: u64,
    /// Each target's ID and whether it took the backup.
    pub targets: Vec<(String, bool)>,
}

/// Groups `rows` by backup, in the order the backups ran; a backup succeeded when all its
/// rows are OK, and then its last success is `now`.
pub fn outcomes(rows: &[Row], now: OffsetDateTime) -> Vec<BackupOutcome> {
    let now = now.unix_timestamp();
    let mut out: Vec<BackupOutcome> = Vec::new();
    for row in rows {
        let index = match out.iter().position(|outcome| outcome.backup == row.backup_id) {
            Some(index) => index,
            None => {
                out.push(BackupOutcome {
                    backup: row.backup_id.clone(),
                    last_run: now,
                    last_success: Some(now),
                    success: true,
                    duration: Duration::ZERO,
                    size: 0,
                    targets: Vec::new(),
                });
                out.len() - 1
            }
        };
        let outcome = &mut out[index];
        if !row.ok() {
            outcome.success = false;
            outcome.last_success = None;
        }
        outcome.duration = outcome.duration.max(row.total);
        outcome.size = outcome.size.max(row.size);
        outcome.targets.push((row.target_id.clone(), row.ok()));
    }
    out
}

/// A label value as the text format wants it: backslash, double quote and newline escaped.
fn escape(value: &str) -> String {
    value.replace('\\', r"\\").replace('"', r#"\""#).replace('\n', r"\n")
}

/// A family's samples: the labels (`backup="…"`) and the value.
type Samples = Vec<(String, String)>;

/// The outcomes in Prometheus's text format (0.0.4), each family with its `# HELP` and
/// `# TYPE` lines and all its samples together; a family without samples is left out.
pub fn render(outcomes: &[BackupOutcome]) -> String {
    let label = |outcome: &BackupOutcome| format!("backup=\"{}\"", escape(&outcome.backup));
    let flag = |yes: bool| if yes { "1".to_owned() } else { "0".to_owned() };
    let families: [(&str, &str, Samples); 6] = [
        (
            LAST_RUN,
            "When the backup last ran, in Unix seconds.",
            outcomes.iter().map(|o| (label(o), o.last_run.to_string())).collect(),
        ),
        (
            LAST_SUCCESS,
            "When the backup last reached every target, in Unix seconds.",
            outcomes.iter().filter_map(|o| o.last_success.map(|at| (label(o), at.to_string()))).collect(),
        ),
        (
            SUCCESS,
            "Whether the backup's last run reached every target (1) or not (0).",
            outcomes.iter().map(|o| (label(o), flag(o.success))).collect(),
        ),
        (
            DURATION,
            "How long the backup's last run took, in seconds.",
            outcomes.iter().map(|o| (label(o), o.duration.as_secs_f64().to_string())).collect(),
        ),
        (
            SIZE,
            "How many bytes the backup's last run stored (the largest of its targets).",
            outcomes.iter().map(|o| (label(o), o.size.to_string())).collect(),
        ),
        (
            TARGET_SUCCESS,
            "Whether the target took the backup's last run (1) or not (0).",
            outcomes
                .iter()
                .flat_map(|o| {
                    o.targets
                        .iter()
                        .map(move |(target, ok)| (format!("{},target=\"{}\"", label(o), escape(target)), flag(*ok)))
                })
                .collect(),
        ),
    ];
    let mut out = String::new();
    for (name, help, samples) in families {
        if samples.is_empty() {
            continue;
        }
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
        for (labels, value) in samples {
            out.push_str(&format!("{name}{{{labels}}} {value}\n"));
        }
    }
    out
}

/// Publishes the metrics of a run ended at `now` where `metrics` says: the textfile, the
/// Pushgateway, or both. `timeout` bounds each request to the Pushgateway (pass
/// `Settings::stall_timeout()`). Returns one line per problem; empty when all went well.
pub async fn publish(metrics: &Metrics, rows: &[Row], now: OffsetDateTime, timeout: Duration) -> Vec<String> {
    let outcomes = outcomes(rows, now);
    let mut problems = Vec::new();
    if !metrics.textfile.is_empty()
        && let Err(error) = write_textfile(Path::new(&metrics.textfile), outcomes.clone()).await
    {
        problems.push(format!("Metrics.Textfile ({}): {error}", metrics.textfile));
    }
    if !metrics.pushgateway_url.is_empty() {
        let job = if metrics.job.is_empty() { DEFAULT_JOB } else { metrics.job.as_str() };
        let labels: Vec<(&str, &str)> = metrics.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        problems.extend(push(&metrics.pushgateway_url, job, &labels, &outcomes, timeout).await);
    }
    problems
}

/// Writes the textfile atomically (node-exporter must never read half a file), keeping the
/// previous last success of each backup that failed this time.
async fn write_textfile(path: &Path, mut outcomes: Vec<BackupOutcome>) -> Result<(), String> {
    let previous = match tokio::fs::read_to_string(path).await {
        Ok(text) => last_successes(&text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
        // without the old values a failed backup would lose its last success: better no new file
        Err(error) => return Err(format!("cannot read the previous file: {error}")),
    };
    for outcome in &mut outcomes {
        if outcome.last_success.is_none() {
            outcome.last_success = previous.get(&outcome.backup).copied();
        }
    }
    let text = render(&outcomes);

    let name = path.file_name().ok_or("is not a file name")?.to_string_lossy().into_owned();
    // same directory, so the rename is atomic; not `*.prom`, so the collector skips it
    let partial = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = async {
        tokio::fs::write(&partial, &text).await?;
        tokio::fs::File::open(&partial).await?.sync_all().await?;
        tokio::fs::rename(&partial, path).await
    }
    .await;
    if let Err(error) = written {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(format!("cannot write it: {error}"));
    }
    Ok(())
}

/// One line of the text format: `name{label="value",…} value`.
#[derive(Debug, PartialEq)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: String,
}

/// Reads one sample line; `None` for comments, blank lines and anything malformed.
fn parse_sample(line: &str) -> Option<Sample> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let name_end = line.find(['{', ' '])?;
    let name = line[..name_end].to_owned();
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(after) = rest.strip_prefix('{') {
        rest = after;
        loop {
            rest = rest.trim_start_matches(',');
            if let Some(after) = rest.strip_prefix('}') {
                rest = after;
                break;
            }
            let (key, after) = rest.split_once("=\"")?;
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next()? {
                    (at, '"') => break at,
                    (_, '\\') => match chars.next()?.1 {
                        'n' => value.push('\n'),
                        other => value.push(other),
                    },
                    (_, other) => value.push(other),
                }
            };
            labels.push((key.to_owned(), value));
            rest = &after[end + 1..];
        }
    }
    let value = rest.strip_prefix(' ')?.split_whitespace().next()?.to_owned();
    Some(Sample { name, labels, value })
}

/// The last success of each backup in a previous textfile.
fn last_successes(text: &str) -> HashMap<String, i64> {
    text.lines()
        .filter_map(parse_sample)
        .filter(|sample| sample.name == LAST_SUCCESS)
        .filter_map(|sample| {
            let backup = sample.labels.into_iter().find(|(key, _)| key == "backup")?.1;
            let at = sample.value.parse::<f64>().ok().filter(|at| at.is_finite())?;
            Some((backup, at as i64))
        })
        .collect()
}

/// A label value the Pushgateway cannot take as a plain path segment (a `/` would split it,
/// an empty one vanishes, `.` and `..` are path steps) goes as URL-safe base64.
fn needs_base64(value: &str) -> bool {
    value.is_empty() || value.contains('/') || value == "." || value == ".."
}

/// The group's address: `<base>/metrics/job/<job>/backup/<id>`, each value percent-encoded,
/// or `<label>@base64/<value>` where a plain segment cannot carry it.
fn group_url(base: &str, job: &str, backup: &str, labels: &[(&str, &str)]) -> Result<url::Url, String> {
    use base64::Engine as _;
    let mut url = url::Url::parse(base).map_err(|_| "is not a valid address".to_owned())?;
    url.set_query(None);
    url.set_fragment(None);
    {
        let mut segments = url.path_segments_mut().map_err(|()| "cannot take a path".to_owned())?;
        segments.pop_if_empty().push("metrics");
        for &(label, value) in [("job", job), ("backup", backup)].iter().chain(labels) {
            if needs_base64(value) {
                let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value);
                // the Pushgateway writes an empty value as `=`
                let encoded = if encoded.is_empty() { "=".to_owned() } else { encoded };
                segments.push(&format!("{label}@base64")).push(&encoded);
            } else {
                segments.push(label).push(value);
            }
        }
    }
    Ok(url)
}

/// Pushes each backup's group: a success replaces the group (PUT); a failure POSTs every
/// metric but the last success, so the Pushgateway keeps the one stored before.
async fn push(
    base: &str,
    job: &str,
    labels: &[(&str, &str)],
    outcomes: &[BackupOutcome],
    timeout: Duration,
) -> Vec<String> {
    // the address may carry credentials (`https://user:password@…`): only its host is shown
    let host = url::Url::parse(base).ok().and_then(|url| url.host_str().map(str::to_owned)).unwrap_or_default();
    let at = format!("Metrics.PushgatewayURL ({host})");
    patron_storage::install_tls_provider();
    let client = match reqwest::Client::builder().timeout(timeout).build() {
        Ok(client) => client,
        Err(error) => return vec![format!("{at}: {}", crate::notify::describe(&error))],
    };
    let mut problems = Vec::new();
    for outcome in outcomes {
        let url = match group_url(base, job, &outcome.backup, labels) {
            Ok(url) => url,
            Err(error) => {
                problems.push(format!("{at}: {error}"));
                break;
            }
        };
        let (request, body) = if outcome.success {
            (client.put(url), render(std::slice::from_ref(outcome)))
        } else {
            let kept = BackupOutcome { last_success: None, ..outcome.clone() };
            (client.post(url), render(&[kept]))
        };
        let sent = request
            .header(reqwest::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => problems.push(format!(
                "{at}: backup {:?}: the Pushgateway answered {}",
                outcome.backup,
                response.status()
            )),
            Err(error) => {
                problems.push(format!("{at}: backup {:?}: {}", outcome.backup, crate::notify::describe(&error)))
            }
        }
    }
    problems
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::notify::tests::{HttpServer, row};
    use time::macros::datetime;

    const FIRST: OffsetDateTime = datetime!(2025-01-02 03:00:00 UTC);
    const SECOND: OffsetDateTime = datetime!(2025-01-03 03:00:00 UTC);

    fn samples(text: &str) -> Vec<Sample> {
        let mut out = Vec::new();
        for line in text.lines() {
            if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
                continue;
            }
            out.push(parse_sample(line).unwrap_or_else(|| panic!("not `name{{labels}} value`: {line:?}\n{text}")));
        }
        out
    }

    /// The value of `name` for the sample whose labels are exactly `labels`.
    fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<String> {
        samples(text)
            .into_iter()
            .find(|s| {
                s.name == name
                    && s.labels.len() == labels.len()
                    && s.labels.iter().zip(labels).all(|((k, v), (key, val))| k == key && v == val)
            })
            .map(|s| s.value)
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("patron-backup-metrics-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn textfile_only(path: &Path) -> Metrics {
        Metrics {
            textfile: path.to_string_lossy().into_owned(),
            pushgateway_url: String::new(),
            job: String::new(),
            labels: Default::default(),
        }
    }

    #[test]
    fn a_backup_succeeds_only_when_every_target_took_it() {
        let rows = [
            row("db", "s3", None),
            row("db", "local", Some("disk full")),
            row("media", "s3", None),
            Row { size: 7, total: Duration::from_millis(1500), ..row("media", "local", None) },
        ];
        let outcomes = outcomes(&rows, FIRST);
        assert_eq!(outcomes.len(), 2);
        let (db, media) = (&outcomes[0], &outcomes[1]);
        assert_eq!((db.backup.as_str(), db.success, db.last_success), ("db", false, None));
        assert_eq!(db.targets, [("s3".to_owned(), true), ("local".to_owned(), false)]);
        assert_eq!((media.success, media.last_success), (true, Some(FIRST.unix_timestamp())));
        assert_eq!(media.size, 30_093_312, "the largest of its targets");
        assert_eq!(media.duration, Duration::from_secs(15), "the slowest of its targets");
    }

    #[test]
    fn the_text_has_help_and_type_and_every_line_parses() {
        let rows = [row("db", "s3", None), row("we\"ird\\id\nx", "s3 \"eu\"", Some("refused"))];
        let text = render(&outcomes(&rows, FIRST));

        for name in [LAST_RUN, LAST_SUCCESS, SUCCESS, DURATION, SIZE, TARGET_SUCCESS] {
            assert!(text.contains(&format!("# HELP {name} ")), "no HELP for {name}:\n{text}");
            assert!(text.contains(&format!("# TYPE {name} gauge\n")), "no TYPE for {name}:\n{text}");
        }
        let first = FIRST.unix_timestamp().to_string();
        assert_eq!(value(&text, LAST_RUN, &[("backup", "db")]), Some(first.clone()));
        assert_eq!(value(&text, LAST_SUCCESS, &[("backup", "db")]), Some(first.clone()));
        assert_eq!(value(&text, SUCCESS, &[("backup", "db")]), Some("1".to_owned()));
        assert_eq!(value(&text, DURATION, &[("backup", "db")]), Some("15".to_owned()));
        assert_eq!(value(&text, SIZE, &[("backup", "db")]), Some("30093312".to_owned()));
        assert_eq!(value(&text, TARGET_SUCCESS, &[("backup", "db"), ("target", "s3")]), Some("1".to_owned()));

        // the odd ID is escaped on the page and reads back intact
        assert!(text.contains(r#"{backup="we\"ird\\id\nx",target="s3 \"eu\""} 0"#), "{text}");
        let odd = "we\"ird\\id\nx";
        assert_eq!(value(&text, SUCCESS, &[("backup", odd)]), Some("0".to_owned()));
        assert_eq!(value(&text, LAST_SUCCESS, &[("backup", odd)]), None, "it never succeeded");
        assert_eq!(value(&text, TARGET_SUCCESS, &[("backup", odd), ("target", "s3 \"eu\"")]), Some("0".to_owned()));
        // each family's samples are together, after its HELP and TYPE
        let names: Vec<String> = samples(&text).into_iter().map(|s| s.name).collect();
        let mut seen: Vec<&String> = names.iter().collect();
        seen.dedup();
        assert_eq!(seen.len(), 6, "{names:?}");
    }

    #[tokio::test]
    async fn a_failed_run_keeps_the_earlier_last_success_in_the_textfile() {
        let dir = temp_dir("keeps");
        let path = dir.join("backup.prom");
        let metrics = textfile_only(&path);

        let first = [row("db", "s3", None), row("media", "s3", None)];
        assert!(publish(&metrics, &first, FIRST, Duration::from_secs(5)).await.is_empty());
        let second = [row("db", "s3", Some("refused")), row("media", "s3", None)];
        assert!(publish(&metrics, &second, SECOND, Duration::from_secs(5)).await.is_empty());

        let text = std::fs::read_to_string(&path).unwrap();
        let (first, second) = (FIRST.unix_timestamp().to_string(), SECOND.unix_timestamp().to_string());
        assert_eq!(value(&text, LAST_RUN, &[("backup", "db")]), Some(second.clone()));
        assert_eq!(value(&text, SUCCESS, &[("backup", "db")]), Some("0".to_owned()));
        assert_eq!(value(&text, LAST_SUCCESS, &[("backup", "db")]), Some(first), "{text}");
        assert_eq!(value(&text, LAST_SUCCESS, &[("backup", "media")]), Some(second));
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(files, ["backup.prom"], "no temporary file is left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_textfile_in_a_missing_directory_is_a_problem() {
        let dir = temp_dir("missing");
        let path = dir.join("absent").join("backup.prom");
        let problems = publish(&textfile_only(&path), &[row("db", "s3", None)], FIRST, Duration::from_secs(5)).await;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("Metrics.Textfile ("), "{}", problems[0]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn group_addresses_are_encoded_as_the_pushgateway_reads_them() {
        let url = |base: &str, job: &str, backup: &str| group_url(base, job, backup, &[]).unwrap().to_string();
        assert_eq!(url("http://pg:9091", "patron-backup", "db"), "http://pg:9091/metrics/job/patron-backup/backup/db");
        assert_eq!(url("http://pg:9091/", "j", "a b%c?"), "http://pg:9091/metrics/job/j/backup/a%20b%25c%3F");
        assert_eq!(url("http://pg/proxy/", "j", "db"), "http://pg/proxy/metrics/job/j/backup/db");
        // "a/b" in URL-safe base64, and the empty value as `=`
        assert_eq!(url("http://pg:9091", "j", "a/b"), "http://pg:9091/metrics/job/j/backup@base64/YS9i");
        assert_eq!(url("http://pg:9091", "j", ""), "http://pg:9091/metrics/job/j/backup@base64/=");
        assert_eq!(
            url("http://pg:9091", "nightly/eu", ".."),
            "http://pg:9091/metrics/job@base64/bmlnaHRseS9ldQ/backup@base64/Li4"
        );
    }

    #[tokio::test]
    async fn a_success_replaces_the_group_and_a_failure_keeps_the_last_success() {
        let server = HttpServer::start(&[]).await;
        let metrics = Metrics {
            textfile: String::new(),
            pushgateway_url: server.base.clone(),
            job: String::new(),
            labels: Default::default(),
        };
        let rows = [row("db", "s3", None), row("media/eu", "s3", Some("refused"))];

        let problems = publish(&metrics, &rows, FIRST, Duration::from_secs(5)).await;

        assert!(problems.is_empty(), "{problems:?}");
        let requests = server.requests();
        assert_eq!(requests.len(), 2, "one group per backup");
        let (db, media) = (&requests[0], &requests[1]);
        assert_eq!((db.method.as_str(), db.path.as_str()), ("PUT", "/metrics/job/patron-backup/backup/db"));
        assert!(db.header("Content-Type").unwrap().starts_with("text/plain; version=0.0.4"));
        assert_eq!(value(&db.body, LAST_SUCCESS, &[("backup", "db")]), Some(FIRST.unix_timestamp().to_string()));
        assert_eq!(value(&db.body, SUCCESS, &[("backup", "db")]), Some("1".to_owned()));
        assert!(!db.body.contains("media"), "a group holds its own backup only:\n{}", db.body);

        assert_eq!(
            (media.method.as_str(), media.path.as_str()),
            ("POST", "/metrics/job/patron-backup/backup@base64/bWVkaWEvZXU")
        );
        assert!(!media.body.contains(LAST_SUCCESS), "a POST must leave the stored last success:\n{}", media.body);
        assert_eq!(value(&media.body, SUCCESS, &[("backup", "media/eu")]), Some("0".to_owned()));
        assert_eq!(value(&media.body, LAST_RUN, &[("backup", "media/eu")]), Some(FIRST.unix_timestamp().to_string()));
        assert_eq!(
            value(&media.body, TARGET_SUCCESS, &[("backup", "media/eu"), ("target", "s3")]),
            Some("0".to_owned())
        );
    }

    #[tokio::test]
    async fn a_pushgateway_answering_500_is_a_problem_without_its_address() {
        let server = HttpServer::start(&[500]).await;
        let base = server.base.replace("http://", "http://pusher:s3cret@") + "/private-prefix";
        let labels = [("namespace".to_owned(), "patron".to_owned())].into_iter().collect();
        let metrics = Metrics { textfile: String::new(), pushgateway_url: base, job: "nightly".to_owned(), labels };

        let problems = publish(&metrics, &[row("db", "s3", None)], FIRST, Duration::from_secs(5)).await;

        assert_eq!(problems.len(), 1, "{problems:?}");
        let line = &problems[0];
        assert!(line.starts_with("Metrics.PushgatewayURL (127.0.0.1): backup \"db\""), "{line}");
        assert!(line.contains("500"), "{line}");
        assert!(!line.contains("s3cret") && !line.contains("private-prefix"), "the address leaked: {line}");
        let requests = server.requests();
        assert_eq!(requests[0].path, "/private-prefix/metrics/job/nightly/backup/db/namespace/patron");
        assert!(requests[0].header("Authorization").is_some_and(|value| value.starts_with("Basic ")));
    }
}
