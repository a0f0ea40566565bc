//! Timestamps stored as integer microseconds since the Unix epoch.
//!
//! Both databases store them as `BIGINT`: it orders the same everywhere, round-trips
//! exactly, and never depends on a database's own date functions or time zone.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use std::time::Duration;

static DATETIME_LOCAL: OnceLock<::time::format_description::OwnedFormatItem> = OnceLock::new();

/// A point in time, in microseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Self::from_offset_datetime(::time::OffsetDateTime::now_utc())
    }

    /// A timestamp from microseconds since the epoch (as stored in the database).
    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    /// Microseconds since the epoch (as stored in the database).
    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// Converts from `time`'s date-time type, saturating far outside the supported range.
    pub fn from_offset_datetime(value: ::time::OffsetDateTime) -> Self {
        let micros = value.unix_timestamp_nanos() / 1_000;
        Self(micros.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
    }

    /// Converts to `time`'s date-time type in UTC.
    pub fn to_offset_datetime(self) -> ::time::OffsetDateTime {
        ::time::OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1_000)
            .unwrap_or(::time::OffsetDateTime::UNIX_EPOCH)
    }

    /// This timestamp plus a duration, saturating instead of overflowing.
    pub fn plus(self, duration: Duration) -> Self {
        let micros = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(micros))
    }

    /// This timestamp minus a duration, saturating instead of overflowing.
    pub fn minus(self, duration: Duration) -> Self {
        let micros = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
        Self(self.0.saturating_sub(micros))
    }

    /// The time elapsed from `earlier` to `self`, or zero when `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_micros(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }

    /// Parses RFC 3339 text (`2026-12-01T18:00:00Z`, `2026-12-01T19:00:00+01:00`).
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        ::time::OffsetDateTime::parse(text.trim(), &::time::format_description::well_known::Rfc3339)
            .ok()
            .map(Self::from_offset_datetime)
    }

    /// Parses an HTML `datetime-local` value (`2026-12-01T18:00`, seconds optional) given the
    /// browser's offset from UTC in minutes (east positive).
    pub fn parse_local(text: &str, utc_offset_minutes: i32) -> Option<Self> {
        let text = text.trim();
        let with_seconds = if text.len() == 16 { format!("{text}:00") } else { text.to_owned() };
        let format = DATETIME_LOCAL.get_or_init(|| {
            ::time::format_description::parse_owned::<2>("[year]-[month]-[day]T[hour]:[minute]:[second]")
                .unwrap_or_else(|_| unreachable!())
        });
        let local = ::time::PrimitiveDateTime::parse(&with_seconds, format).ok()?;
        let offset = ::time::UtcOffset::from_whole_seconds(utc_offset_minutes.checked_mul(60)?).ok()?;
        Some(Self::from_offset_datetime(local.assume_offset(offset)))
    }

    /// The value of an HTML `datetime-local` input for this time at the given offset.
    pub fn to_local_input(self, utc_offset_minutes: i32) -> String {
        let offset = ::time::UtcOffset::from_whole_seconds(utc_offset_minutes.saturating_mul(60))
            .unwrap_or(::time::UtcOffset::UTC);
        let local = self.to_offset_datetime().to_offset(offset);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            local.year(),
            u8::from(local.month()),
            local.day(),
            local.hour(),
            local.minute()
        )
    }

    /// RFC 3339 text, as used in the JSON API.
    pub fn to_rfc3339(self) -> String {
        self.to_offset_datetime().format(&::time::format_description::well_known::Rfc3339).unwrap_or_default()
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_offset_datetime_at_microsecond_precision() {
        let now = Timestamp::now();
        assert_eq!(Timestamp::from_offset_datetime(now.to_offset_datetime()), now);
    }

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        let late = Timestamp::from_micros(i64::MAX - 1);
        assert_eq!(late.plus(Duration::from_secs(10)).as_micros(), i64::MAX);
        assert_eq!(Timestamp::from_micros(5).since(Timestamp::from_micros(10)), Duration::ZERO);
    }

    #[test]
    fn parses_rfc3339_and_datetime_local() {
        let utc = Timestamp::parse_rfc3339("2026-12-01T18:00:00Z");
        assert_eq!(utc, Timestamp::parse_rfc3339("2026-12-01T19:00:00+01:00"));
        assert_eq!(Timestamp::parse_local("2026-12-01T19:00", 60), utc);
        assert_eq!(utc.map(|t| t.to_local_input(60)).as_deref(), Some("2026-12-01T19:00"));
        assert!(Timestamp::parse_rfc3339("tomorrow").is_none());
        assert!(Timestamp::parse_local("2026-13-01T19:00", 0).is_none());
    }

    #[test]
    fn formats_as_rfc3339_utc() {
        assert_eq!(Timestamp::from_micros(1_500_000).to_rfc3339(), "1970-01-01T00:00:01.5Z");
    }
}
