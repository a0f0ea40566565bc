//! Stored backups' names and which of them a retention policy keeps.
//!
//! Names are Tergum's: `<Prefix>.<UTC %Y-%m-%d_%H-%M-%S>_<three letters a–z>.<Suffix>`, so a
//! bucket Tergum filled is pruned by patron and the other way round. Unlike Tergum, a stored
//! object belongs to a backup only when its whole name has that form — a raw prefix match
//! would let the policy of `db` delete the objects of `db-old`.

use std::collections::HashSet;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// A stored backup's object name for `at`: `<prefix>.<UTC time>_<letters>.<suffix>`, with
/// `letters` three lower-case ASCII letters that keep two backups of the same second apart.
pub fn object_name(prefix: &str, suffix: &str, at: OffsetDateTime, letters: [u8; 3]) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let letters: String = letters.iter().map(|b| char::from(b'a' + b % 26)).collect();
    format!(
        "{prefix}.{:04}-{:02}-{:02}_{:02}-{:02}-{:02}_{letters}.{suffix}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The time in a name [`object_name`] made with this prefix and suffix; `None` for any other
/// name, including one that merely starts with the prefix.
pub fn parse_name(prefix: &str, suffix: &str, name: &str) -> Option<OffsetDateTime> {
    let middle = name.strip_prefix(prefix)?.strip_prefix('.')?.strip_suffix(suffix)?.strip_suffix('.')?;
    // 2026-11-28_17-05-09_abc
    let bytes = middle.as_bytes();
    if bytes.len() != 23 || bytes[19] != b'_' || !bytes[20..].iter().all(u8::is_ascii_lowercase) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let text = middle.get(range)?;
        if text.bytes().all(|b| b.is_ascii_digit()) { text.parse().ok() } else { None }
    };
    if bytes[4] != b'-' || bytes[7] != b'-' || bytes[10] != b'_' || bytes[13] != b'-' || bytes[16] != b'-' {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(number(5..7)?).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(number(0..4)?).ok()?, month, u8::try_from(number(8..10)?).ok()?).ok()?;
    let clock = Time::from_hms(
        u8::try_from(number(11..13)?).ok()?,
        u8::try_from(number(14..16)?).ok()?,
        u8::try_from(number(17..19)?).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, clock).assume_utc())
}

/// What to keep of one backup's stored objects on one target. Zero means the rule is off.
///
/// `keep_count` and `keep_days` are Tergum's: an object beyond the newest `keep_count`, or
/// older than `keep_days`, may go. patron's grandfather-father-son rules then protect the newest
/// object of each of the last `keep_daily` days, `keep_weekly` ISO weeks and `keep_monthly`
/// months that have one. With only those rules set, everything they do not protect goes. The
/// newest object is never deleted, whatever the rules say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub keep_count: u32,
    pub keep_days: u32,
    pub keep_daily: u32,
    pub keep_weekly: u32,
    pub keep_monthly: u32,
}

impl Policy {
    /// Whether the policy deletes anything at all.
    pub fn is_set(&self) -> bool {
        *self != Policy::default()
    }
}

/// The names of `stored` (name and time, any order) that `policy` deletes at `now`.
pub fn to_delete<'a>(policy: &Policy, stored: &'a [(String, OffsetDateTime)], now: OffsetDateTime) -> Vec<&'a str> {
    if !policy.is_set() || stored.is_empty() {
        return Vec::new();
    }
    let mut newest_first: Vec<&(String, OffsetDateTime)> = stored.iter().collect();
    newest_first.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| b.0.cmp(&a.0)));

    let tergum_rules = policy.keep_count > 0 || policy.keep_days > 0;
    let candidate = |index: usize, at: OffsetDateTime| -> bool {
        if !tergum_rules {
            return true;
        }
        let beyond_count = policy.keep_count > 0 && index >= policy.keep_count as usize;
        let too_old = policy.keep_days > 0 && now - at > time::Duration::days(i64::from(policy.keep_days));
        beyond_count || too_old
    };

    let mut protected: HashSet<&str> = HashSet::new();
    protected.insert(newest_first[0].0.as_str());
    protect_newest_per(&newest_first, policy.keep_daily, |at| (at.year(), u32::from(at.ordinal())), &mut protected);
    protect_newest_per(
        &newest_first,
        policy.keep_weekly,
        |at| {
            let (year, week, _) = at.to_iso_week_date();
            (year, u32::from(week))
        },
        &mut protected,
    );
    protect_newest_per(
        &newest_first,
        policy.keep_monthly,
        |at| (at.year(), u32::from(u8::from(at.month()))),
        &mut protected,
    );

    newest_first
        .iter()
        .enumerate()
        .filter(|(index, (name, at))| candidate(*index, *at) && !protected.contains(name.as_str()))
        .map(|(_, (name, _))| name.as_str())
        .collect()
}

/// Protects the newest object of each of the `periods` most recent periods that have one.
fn protect_newest_per<'a>(
    newest_first: &[&'a (String, OffsetDateTime)],
    periods: u32,
    period_of: impl Fn(OffsetDateTime) -> (i32, u32),
    protected: &mut HashSet<&'a str>,
) {
    let mut seen = HashSet::new();
    for (name, at) in newest_first {
        if seen.len() >= periods as usize {
            break;
        }
        if seen.insert(period_of(at.to_offset(time::UtcOffset::UTC))) {
            protected.insert(name.as_str());
        }
    }
}
