//! Bank accounts payouts go to: an IBAN checked by its country's length and its mod-97 check
//! digits (ISO 13616), or a Czech domestic account number (`prefix-number/bank`) checked by
//! the Czech National Bank's weighted mod-11 rule and converted to its IBAN.

use crate::ValidationError;

/// IBAN lengths of the countries in the SEPA scheme, where patron's payout files go.
const LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GI", 23),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IS", 26),
    ("IT", 27),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("VA", 22),
];

/// A checked IBAN, kept in its electronic form (no spaces, upper case).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Iban(String);

/// The remainder of a string of digits and letters (A = 10 … Z = 35) divided by 97, read
/// piecewise so any length fits.
fn mod97(text: &str) -> Option<u32> {
    let mut remainder: u32 = 0;
    for c in text.chars() {
        let value = c.to_digit(36)?;
        remainder = if value < 10 { (remainder * 10 + value) % 97 } else { (remainder * 100 + value) % 97 };
    }
    Some(remainder)
}

impl Iban {
    /// Reads an IBAN as people write it (`CZ65 0800 0000 1920 0014 5399`), checking its
    /// country, length and check digits; or a Czech domestic account number
    /// (`19-2000145399/0800`), converted.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, ValidationError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        if compact.contains('/') {
            return czech_account(field, &compact);
        }
        let wrong = |why: &str| ValidationError::new(field, why.to_owned());
        if !compact.chars().all(|c| c.is_ascii_alphanumeric()) || compact.len() < 5 {
            return Err(wrong(
                "is not an IBAN (e.g. CZ65 0800 0000 1920 0014 5399) or a Czech account (19-2000145399/0800)",
            ));
        }
        let country = &compact[..2];
        let Some((_, length)) = LENGTHS.iter().find(|(code, _)| *code == country) else {
            return Err(wrong("is not the IBAN of a country in the SEPA scheme"));
        };
        if compact.len() != *length {
            return Err(ValidationError::new(field, format!("an IBAN of {country} has {length} characters")));
        }
        if !compact[2..4].chars().all(|c| c.is_ascii_digit()) {
            return Err(wrong("is not an IBAN: the third and fourth characters are its check digits"));
        }
        let rearranged = format!("{}{}", &compact[4..], &compact[..4]);
        if mod97(&rearranged) != Some(1) {
            return Err(wrong("has a typo: its check digits do not match (IBAN checksum)"));
        }
        Ok(Self(compact))
    }

    /// The electronic form, `CZ6508000000192000145399`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country code.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    /// The paper form, in groups of four: `CZ65 0800 0000 1920 0014 5399`.
    pub fn grouped(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        chars.chunks(4).map(|chunk| chunk.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
    }

    /// The last four characters, for lists that must not show the whole number.
    pub fn last4(&self) -> &str {
        &self.0[self.0.len().saturating_sub(4)..]
    }
}

/// The Czech National Bank's check of an account number part: the digits, right-aligned under
/// the weights, sum to a multiple of 11.
fn czech_check(digits: &str, weights: &[u32]) -> bool {
    let padded = format!("{digits:0>width$}", width = weights.len());
    padded.chars().zip(weights).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum::<u32>() % 11 == 0
}

fn czech_account(field: &'static str, text: &str) -> Result<Iban, ValidationError> {
    let wrong = |why: &str| ValidationError::new(field, why.to_owned());
    let (account, bank) = text.split_once('/').ok_or_else(|| wrong("is not a Czech account number"))?;
    let (prefix, number) = account.split_once('-').unwrap_or(("", account));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if bank.len() != 4 || !digits(bank) {
        return Err(wrong("a Czech account number ends with the bank's four-digit code (/0800)"));
    }
    if prefix.len() > 6 || !digits(prefix) || number.len() < 2 || number.len() > 10 || !digits(number) {
        return Err(wrong("a Czech account number is [prefix-]number/bank, up to 6 and 10 digits"));
    }
    if number.chars().all(|c| c == '0') {
        return Err(wrong("is not a Czech account number"));
    }
    if !czech_check(prefix, &[10, 5, 8, 4, 2, 1]) || !czech_check(number, &[6, 3, 7, 9, 10, 5, 8, 4, 2, 1]) {
        return Err(wrong("has a typo: the account number's check digit does not match"));
    }
    let bban = format!("{bank}{prefix:0>6}{number:0>10}");
    let check = 98 - mod97(&format!("{bban}CZ00")).ok_or_else(|| wrong("is not a Czech account number"))?;
    Iban::parse(field, &format!("CZ{check:02}{bban}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ibans_are_checked_by_country_length_and_check_digits() {
        let iban = Iban::parse("iban", "cz65 0800 0000 1920 0014 5399").unwrap();
        assert_eq!(iban.as_str(), "CZ6508000000192000145399");
        assert_eq!(iban.grouped(), "CZ65 0800 0000 1920 0014 5399");
        assert_eq!(iban.last4(), "5399");
        assert_eq!(Iban::parse("iban", "DE89 3704 0044 0532 0130 00").unwrap().country(), "DE");
        assert_eq!(Iban::parse("iban", "SK31 1200 0000 1987 4263 7541").unwrap().country(), "SK");
        for (bad, why) in [
            ("CZ66 0800 0000 1920 0014 5399", "check digits"),
            ("CZ65 0800 0000 1920 0014 539", "24 characters"),
            ("US64 SVBK US6S 3300 9673 86", "SEPA"),
            ("CZ6508000000192000145399!", "is not an IBAN"),
            ("", "is not an IBAN"),
        ] {
            let error = Iban::parse("iban", bad).unwrap_err();
            assert_eq!(error.field, "iban");
            assert!(error.message.contains(why), "{bad:?}: {}", error.message);
        }
    }

    #[test]
    fn czech_account_numbers_are_checked_and_become_ibans() {
        assert_eq!(Iban::parse("iban", "19-2000145399/0800").unwrap().as_str(), "CZ6508000000192000145399");
        // without a prefix
        let iban = Iban::parse("iban", "2000145399/0800").unwrap();
        assert!(iban.as_str().starts_with("CZ") && iban.as_str().ends_with("08000000002000145399"), "{iban:?}");
        for (bad, why) in [
            ("19-2000145398/0800", "check digit"),
            ("18-2000145399/0800", "check digit"),
            ("19-2000145399/080", "four-digit"),
            ("1234567-2000145399/0800", "up to 6"),
            ("0/0800", "up to 6 and 10"),
        ] {
            let error = Iban::parse("iban", bad).unwrap_err();
            assert!(error.message.contains(why), "{bad:?}: {}", error.message);
        }
    }
}
