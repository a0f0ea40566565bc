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
        let scale = 10_i64.pow(u32::from(self.currency.exponent));
        let whole = self.minor / scale;
        let fraction = (self.minor % scale).abs();
        let number = if fraction == 0 {
            group_thousands(whole)
        } else {
            format!("{}.{:0width$}", group_thousands(whole), fraction, width = usize::from(self.currency.exponent))
        };
        if self.currency.symbol_after {
            format!("{number}\u{a0}{}", self.currency.symbol)
        } else {
            format!("{}{number}", self.currency.symbol)
        }
    }
}

/// Formats minor units of the currency `code` for people (`99 Kč`); a code this build does not
/// know shows as `9900 XYZ` rather than under another currency's symbol.
pub fn format_minor(minor: i64, code: &str) -> String {
    match Currency::parse(code) {
        Ok(currency) => Money::new(minor, currency).display(),
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
