//! Money as integer minor units of an ISO 4217 currency: never floats.

use serde::{Deserialize, Serialize};

/// A currency patron accepts, with its number of minor-unit digits and how people write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
    symbol: &'static str,
    symbol_after: bool,
}

/// The currencies the payment gateways patron speaks to settle in.
const CURRENCIES: &[Currency] = &[
    Currency { code: "CZK", exponent: 2, symbol: "Kč", symbol_after: true },
    Currency { code: "EUR", exponent: 2, symbol: "€", symbol_after: true },
    Currency { code: "USD", exponent: 2, symbol: "$", symbol_after: false },
    Currency { code: "GBP", exponent: 2, symbol: "£", symbol_after: false },
    Currency { code: "PLN", exponent: 2, symbol: "zł", symbol_after: true },
    Currency { code: "HUF", exponent: 2, symbol: "Ft", symbol_after: true },
    Currency { code: "CHF", exponent: 2, symbol: "CHF", symbol_after: false },
    Currency { code: "SEK", exponent: 2, symbol: "kr", symbol_after: true },
    Currency { code: "NOK", exponent: 2, symbol: "kr", symbol_after: true },
    Currency { code: "DKK", exponent: 2, symbol: "kr", symbol_after: true },
];

impl Currency {
    /// The default currency (the talk's platform is Czech).
    pub const CZK: Currency = CURRENCIES[0];
    /// The euro, the currency of SEPA payouts.
    pub const EUR: Currency = CURRENCIES[1];

    /// Looks up an ISO 4217 code (case-insensitive).
    pub fn parse(code: &str) -> Result<Self, crate::ValidationError> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES.iter().find(|c| c.code == upper).copied().ok_or_else(|| {
            let known: Vec<&str> = CURRENCIES.iter().map(|c| c.code).collect();
            crate::ValidationError::new("currency", format!("must be one of {}", known.join(", ")))
        })
    }

    /// The ISO code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Minor-unit digits (2 for CZK: 59 CZK is 5900).
    pub fn exponent(&self) -> u8 {
        self.exponent
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// An amount in minor units of a currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (haléře, cents).
    pub minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// An amount.
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Formats for people: `59 Kč`, `€4.50`… Whole amounts drop the minor digits.
    pub fn display(&self) -> String {
        self.display_in("en")
    }

    /// Formats for a reader of `locale` (`en`, `cs`): Czech writes a decimal comma and every
    /// symbol after the number (`39,99 Kč`, `4,50 €`); English keeps the currency's own
    /// convention (`39.99 Kč`, `€4.50`).
    pub fn display_in(&self, locale: &str) -> String {
        let czech = crate::account::locale(locale) == "cs";
        let scale = 10_i64.pow(u32::from(self.currency.exponent));
        let whole = self.minor / scale;
        let fraction = (self.minor % scale).abs();
        let number = if fraction == 0 {
            group_thousands(whole)
        } else {
            let point = if czech { ',' } else { '.' };
            let width = usize::from(self.currency.exponent);
            let sign = if self.minor < 0 && whole == 0 { "-" } else { "" };
            format!("{sign}{}{point}{fraction:0width$}", group_thousands(whole))
        };
        if self.currency.symbol_after || czech {
            format!("{number}\u{a0}{}", self.currency.symbol)
        } else {
            format!("{}{number}", self.currency.symbol)
        }
    }
}

impl Money {
    /// Reads an amount as people write it, with its currency: `500 CZK`, `CZK 500`, `20.50 EUR`.
    /// A negative amount, a currency patron does not know or more decimals than the currency
    /// has are refused, naming `field`.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, crate::ValidationError> {
        let wrong = || {
            crate::ValidationError::new(field, format!("{text:?} is not an amount with its currency (e.g. 500 CZK)"))
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        let [first, second] = words.as_slice() else { return Err(wrong()) };
        let (number, code) = if first.chars().next().is_some_and(|c| c.is_ascii_digit() || c == '-') {
            (*first, *second)
        } else {
            (*second, *first)
        };
        let currency = Currency::parse(code).map_err(|e| crate::ValidationError::new(field, e.message))?;
        if number.starts_with('-') {
            return Err(crate::ValidationError::new(field, format!("{text:?} is negative: an amount is 0 or more")));
        }
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let digits = usize::from(currency.exponent);
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
            || fraction.len() > digits
        {
            return Err(wrong());
        }
        let scale = 10_i64.pow(u32::from(currency.exponent));
        let whole: i64 = whole.parse().map_err(|_| wrong())?;
        let fraction: i64 =
            if fraction.is_empty() { 0 } else { format!("{fraction:0<digits$}").parse().map_err(|_| wrong())? };
        let minor = whole.checked_mul(scale).and_then(|w| w.checked_add(fraction)).ok_or_else(wrong)?;
        Ok(Self { minor, currency })
    }

    /// The amount as a plain decimal number, as bank files write it: `1234.50`.
    pub fn decimal(&self) -> String {
        let scale = 10_i64.pow(u32::from(self.currency.exponent));
        let sign = if self.minor < 0 { "-" } else { "" };
        let (whole, fraction) =
            (self.minor.unsigned_abs() / scale.unsigned_abs(), self.minor.unsigned_abs() % scale.unsigned_abs());
        format!("{sign}{whole}.{fraction:0width$}", width = usize::from(self.currency.exponent))
    }
}

/// Formats minor units of the currency `code` for people (`99 Kč`); a code this build does not
/// know shows as `9900 XYZ` rather than under another currency's symbol.
pub fn format_minor(minor: i64, code: &str) -> String {
    format_minor_in(minor, code, "en")
}

/// [`format_minor`] for a reader of `locale` (see [`Money::display_in`]).
pub fn format_minor_in(minor: i64, code: &str, locale: &str) -> String {
    match Currency::parse(code) {
        Ok(currency) => Money::new(minor, currency).display_in(locale),
        Err(_) => format!("{minor} {code}"),
    }
}

fn group_thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(digit);
    }
    if value < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_print_the_way_people_write_them() {
        assert_eq!(Money::new(5900, Currency::CZK).display(), "59\u{a0}Kč");
        assert_eq!(Money::new(1_990_000, Currency::CZK).display(), "19\u{a0}900\u{a0}Kč");
        let usd = Currency::parse("usd").map_err(|e| e.to_string());
        assert_eq!(usd.map(|c| Money::new(450, c).display()), Ok("$4.50".to_owned()));
        assert_eq!(format_minor_in(3999, "CZK", "cs"), "39,99\u{a0}Kč");
        assert_eq!(format_minor_in(3999, "CZK", "en"), "39.99\u{a0}Kč");
        assert_eq!(format_minor_in(450, "EUR", "cs"), "4,50\u{a0}€");
        assert_eq!(format_minor_in(-50, "EUR", "en"), "-0.50\u{a0}€");
        assert_eq!(format_minor_in(123_456_789, "CZK", "cs-CZ"), "1\u{a0}234\u{a0}567,89\u{a0}Kč");
    }

    #[test]
    fn amounts_with_their_currency_are_read_and_written_for_banks() {
        let read =
            |text: &str| Money::parse("minimum", text).map(|m| (m.minor, m.currency.code())).map_err(|e| e.message);
        assert_eq!(read("500 CZK"), Ok((50_000, "CZK")));
        assert_eq!(read("EUR 20.5"), Ok((2_050, "EUR")));
        assert!(read("-5 CZK").is_err_and(|m| m.contains("negative")));
        assert!(read("5.555 CZK").is_err());
        assert!(read("500").is_err());
        assert!(read("500 XYZ").is_err());
        assert_eq!(Money::new(123_450, Currency::CZK).decimal(), "1234.50");
        assert_eq!(Money::new(5, Currency::CZK).decimal(), "0.05");
    }

    #[test]
    fn unknown_currencies_are_refused() {
        assert!(Currency::parse("XYZ").is_err());
        assert!(serde_json::from_str::<Currency>("\"BTC\"").is_err());
        assert_eq!(serde_json::from_str::<Currency>("\"eur\"").ok().map(|c| c.code()), Some("EUR"));
    }
}

#[cfg(test)]
mod format_tests {
    use super::format_minor;

    #[test]
    fn amounts_show_in_their_currency_and_unknown_codes_stay_plain() {
        assert_eq!(format_minor(9_900, "CZK"), "99\u{a0}Kč");
        assert_eq!(format_minor(9_900, "XYZ"), "9900 XYZ", "never another currency's symbol");
    }
}
