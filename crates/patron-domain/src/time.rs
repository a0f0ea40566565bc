//! Timestamps stored as integer microseconds since the Unix epoch.
//!
//! Both databases store them as `BIGINT`: it orders the same everywhere, round-trips
//! exactly, and never depends on a database's own date functions or time zone.

use serde::{Deserialize, Serialize};
use std::time::Duration;

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
    fn formats_as_rfc3339_utc() {
        assert_eq!(Timestamp::from_micros(1_500_000).to_rfc3339(), "1970-01-01T00:00:01.5Z");
    }
}
