//! Exchange rates as the tax rules use them, and the calendar quarters of the OSS return.
//!
//! A rate is kept as an integer: millionths of a unit, which holds every rate the Czech
//! National Bank (three decimals per an amount of 1 to 1000 units) and the European Central
//! Bank (up to four decimals) publish exactly. Converting rounds half up to the minor unit.

use time::{Date, Month};

const SCALE: i128 = 1_000_000;

/// How many units of one currency one unit of another is worth, in millionths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rate(i64);

fn divide_half_up(numerator: i128, denominator: i128) -> i64 {
    if denominator == 0 {
        return 0;
    }
    let half = denominator / 2;
    let quotient = if numerator >= 0 { (numerator + half) / denominator } else { -((-numerator + half) / denominator) };
    i64::try_from(quotient).unwrap_or(if quotient > 0 { i64::MAX } else { i64::MIN })
}

impl Rate {
    /// A rate from its millionths (as stored).
    pub fn from_micros(micros: i64) -> Option<Self> {
        (micros > 0).then_some(Self(micros))
    }

    /// The millionths (as stored).
    pub fn micros(self) -> i64 {
        self.0
    }

    /// Reads a published rate, `25.125` or `25,125`, quoted for `amount` units (the Czech
    /// National Bank quotes some currencies per 100): the worth of one unit.
    pub fn parse(text: &str, amount: i64) -> Option<Self> {
        let text = text.trim().replace(',', ".");
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        if whole.is_empty() && fraction.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
            || fraction.len() > 6
            || whole.len() > 9
            || amount <= 0
        {
            return None;
        }
        let whole: i128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        let fraction_value: i128 = if fraction.is_empty() { 0 } else { fraction.parse().ok()? };
        let micros = whole * SCALE + fraction_value * 10_i128.pow(6 - u32::try_from(fraction.len()).ok()?);
        Self::from_micros(divide_half_up(micros, i128::from(amount)))
    }

    /// The rate as a decimal, trailing zeros dropped: `25.125`.
    pub fn to_text(self) -> String {
        let whole = self.0 / 1_000_000;
        let fraction = self.0 % 1_000_000;
        if fraction == 0 {
            return whole.to_string();
        }
        format!("{whole}.{fraction:06}").trim_end_matches('0').to_owned()
    }

    /// `minor` units of the base currency in the quote currency (both with two decimals):
    /// multiplied by the rate, rounded half up.
    pub fn multiply(self, minor: i64) -> i64 {
        divide_half_up(i128::from(minor) * i128::from(self.0), SCALE)
    }

    /// `minor` units of the quote currency in the base currency: divided by the rate, rounded
    /// half up (a CZK amount in EUR at the ECB's CZK-per-EUR rate).
    pub fn divide(self, minor: i64) -> i64 {
        divide_half_up(i128::from(minor) * SCALE, i128::from(self.0))
    }
}

/// A calendar quarter, the period of an OSS return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quarter {
    /// The year.
    pub year: i32,
    /// 1 to 4.
    pub number: u8,
}

impl Quarter {
    /// Reads `2026-Q4`, naming `field` when it is not a quarter.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, crate::ValidationError> {
        let wrong = || crate::ValidationError::new(field, "is not a quarter: a year and Q1 to Q4, e.g. 2026-Q4");
        let (year, number) = text.trim().split_once(['-', ' ']).ok_or_else(wrong)?;
        let year: i32 = year.parse().map_err(|_| wrong())?;
        let number: u8 = number.trim().strip_prefix(['Q', 'q']).ok_or_else(wrong)?.parse().map_err(|_| wrong())?;
        if !(2000..=9999).contains(&year) || !(1..=4).contains(&number) {
            return Err(wrong());
        }
        Ok(Self { year, number })
    }

    /// The quarter a day falls in.
    pub fn of(day: Date) -> Self {
        Self { year: day.year(), number: (u8::from(day.month()) - 1) / 3 + 1 }
    }

    /// Its first day.
    pub fn first_day(self) -> Date {
        let month = Month::try_from((self.number - 1) * 3 + 1).unwrap_or(Month::January);
        Date::from_calendar_date(self.year, month, 1).unwrap_or(Date::MIN)
    }

    /// Its last day.
    pub fn last_day(self) -> Date {
        let month = Month::try_from(self.number * 3).unwrap_or(Month::December);
        Date::from_calendar_date(self.year, month, month.length(self.year)).unwrap_or(Date::MAX)
    }

    /// `2026-Q4`.
    pub fn to_text(self) -> String {
        format!("{}-Q{}", self.year, self.number)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn published_rates_are_read_exactly() {
        assert_eq!(Rate::parse("25,125", 1).unwrap().micros(), 25_125_000);
        assert_eq!(Rate::parse("25.125", 1).unwrap().to_text(), "25.125");
        assert_eq!(Rate::parse("6.432", 100).unwrap().to_text(), "0.06432", "quoted per 100 units");
        assert_eq!(Rate::parse("1.0472", 1).unwrap().to_text(), "1.0472");
        assert_eq!(Rate::parse("24", 1).unwrap().to_text(), "24");
        for wrong in ["", "abc", "1.2.3", "-1", "0", "1.1234567", "1e3"] {
            assert_eq!(Rate::parse(wrong, 1), None, "{wrong}");
        }
        assert_eq!(Rate::parse("1", 0), None);
    }

    #[test]
    fn conversions_round_half_up_to_the_minor_unit() {
        let czk_per_eur = Rate::parse("25.125", 1).unwrap();
        assert_eq!(czk_per_eur.multiply(1_581), 39_723, "15.81 EUR = 397.22625 CZK");
        assert_eq!(czk_per_eur.divide(9_900), 394, "99 CZK = 3.9403 EUR");
        assert_eq!(czk_per_eur.divide(-9_900), -394, "a credit note mirrors");
        assert_eq!(Rate::parse("2", 1).unwrap().divide(1), 1, "0.005 rounds up");
    }

    #[test]
    fn quarters_are_read_and_bounded() {
        let q4 = Quarter::parse("quarter", "2026-Q4").unwrap();
        assert_eq!((q4.first_day().to_string(), q4.last_day().to_string()), ("2026-10-01".into(), "2026-12-31".into()));
        let q1 = Quarter::parse("quarter", "2028-q1").unwrap();
        assert_eq!(q1.last_day().to_string(), "2028-03-31");
        assert_eq!(Quarter::of(Date::from_calendar_date(2026, Month::August, 9).unwrap()).to_text(), "2026-Q3");
        for wrong in ["2026", "2026-Q5", "2026-Q0", "Q4-2026", "26-Q4", ""] {
            assert_eq!(Quarter::parse("quarter", wrong).unwrap_err().field, "quarter", "{wrong}");
        }
    }
}
