//! Civil time: the wall clock of an EU member state, and dates and times written for a
//! reader — Czech readers see Prague's time (`8. 12. 2026 18:00`), English readers UTC
//! (`8 Dec 2026 17:00 UTC`).

use crate::Timestamp;
use time::{Date, OffsetDateTime};

/// The wall-clock time of `at` in a member state (`CZ`, `DE`…): the state's standard offset
/// from UTC (Western, Central or Eastern European time; mainland time for Portugal and
/// Spain), an hour more in summer time, which the EU starts and ends at the same instant
/// everywhere (01:00 UTC on the last Sundays of March and October, Directive 2000/84/EC).
pub fn local(at: Timestamp, country: &str) -> OffsetDateTime {
    let utc = at.to_offset_datetime();
    let standard: i64 = match country {
        "PT" | "IE" => 0,
        "BG" | "CY" | "EE" | "FI" | "GR" | "LT" | "LV" | "RO" => 2,
        _ => 1,
    };
    let last_sunday = |month: time::Month| {
        let last = Date::from_calendar_date(utc.year(), month, month.length(utc.year())).unwrap_or(Date::MIN);
        last - time::Duration::days(i64::from(last.weekday().number_days_from_sunday()))
    };
    let switch = |month| last_sunday(month).with_hms(1, 0, 0).map(time::PrimitiveDateTime::assume_utc);
    let summer = match (switch(time::Month::March), switch(time::Month::October)) {
        (Ok(start), Ok(end)) => utc >= start && utc < end,
        _ => false,
    };
    let hours = standard + i64::from(summer);
    let offset = time::UtcOffset::from_hms(hours as i8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    utc.to_offset(offset)
}

/// The reader's clock: Prague's for Czech, UTC for English.
fn clock(at: Timestamp, locale: &str) -> (OffsetDateTime, bool) {
    match crate::account::locale(locale) {
        "cs" => (local(at, "CZ"), true),
        _ => (at.to_offset_datetime(), false),
    }
}

/// The day of `at` as a reader of `locale` writes it: `8. 12. 2026`, `8 Dec 2026`.
pub fn date_text(at: Timestamp, locale: &str) -> String {
    let (t, czech) = clock(at, locale);
    if czech {
        format!("{}. {}. {}", t.day(), u8::from(t.month()), t.year())
    } else {
        format!("{} {} {}", t.day(), t.month().to_string().get(..3).unwrap_or(""), t.year())
    }
}

/// The day and time of `at` for a reader of `locale`: `8. 12. 2026 18:00`,
/// `8 Dec 2026 17:00 UTC`.
pub fn date_time_text(at: Timestamp, locale: &str) -> String {
    let (t, czech) = clock(at, locale);
    let zone = if czech { "" } else { " UTC" };
    format!("{} {:02}:{:02}{zone}", date_text(at, locale), t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn czech_readers_see_prague_time_and_english_readers_utc() {
        let winter = Timestamp::parse_rfc3339("2026-12-07T23:30:00Z").expect("time");
        assert_eq!(date_text(winter, "cs"), "8. 12. 2026");
        assert_eq!(date_text(winter, "en"), "7 Dec 2026");
        assert_eq!(date_time_text(winter, "cs"), "8. 12. 2026 00:30");
        assert_eq!(date_time_text(winter, "en"), "7 Dec 2026 23:30 UTC");
        let summer = Timestamp::parse_rfc3339("2026-07-01T16:00:00Z").expect("time");
        assert_eq!(date_time_text(summer, "cs-CZ"), "1. 7. 2026 18:00");
    }
}
