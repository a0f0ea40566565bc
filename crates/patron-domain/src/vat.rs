//! EU VAT on memberships: the rate of the fan's country on the day of the supply, and the VAT
//! part of a VAT-inclusive price.
//!
//! Prices are what the fan pays (VAT included, as consumers in the EU expect). The VAT part is
//! computed from that amount — `gross × rate / (100 % + rate)` — and rounded half up to the
//! minor unit; the net amount is the rest, so net + VAT is always exactly what was paid.
//!
//! The rates are data, not code: `data/vat-rates.json`, a dated table from the maintained
//! dataset ibericode/vat-rates (MIT; see `data/README.md`). A rate applies from the day its
//! entry took effect until the next entry's day. Memberships are electronically supplied
//! services, taxed at the standard rate.

use crate::split::Percent;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use time::Date;

/// The member states of the EU (ISO 3166 codes; Greece is `GR` here and `EL` in VAT IDs).
pub const EU_MEMBER_STATES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// Whether `country` (ISO 3166 alpha-2) is an EU member state.
pub fn in_eu(country: &str) -> bool {
    EU_MEMBER_STATES.contains(&country)
}

/// The prefix of a member state's VAT IDs: its ISO code, except Greece (`EL`).
pub fn vat_prefix(country: &str) -> &str {
    if country == "GR" { "EL" } else { country }
}

/// A VAT identification number in its compact form (`CZ12345678`): an EU member state's prefix
/// and 2 to 13 letters and digits. Whether it exists is for VIES to say.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VatId(String);

impl VatId {
    /// Reads a VAT ID as people write it (`CZ 123 456 78`, `de123456789`), refusing what no EU
    /// VAT ID looks like, naming `field`.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, crate::ValidationError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-'))
            .collect::<String>()
            .to_ascii_uppercase();
        let wrong = || {
            crate::ValidationError::new(field, "is not an EU VAT ID: a country prefix and its number, e.g. CZ12345678")
        };
        if compact.len() < 4 || compact.len() > 15 || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(wrong());
        }
        let prefix = &compact[..2];
        if !EU_MEMBER_STATES.iter().any(|country| vat_prefix(country) == prefix) {
            return Err(wrong());
        }
        Ok(Self(compact))
    }

    /// The compact form, `CZ12345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The member state (ISO code: `GR` for an `EL` ID).
    pub fn country(&self) -> &str {
        match &self.0[..2] {
            "EL" => "GR",
            other => other,
        }
    }
}

/// Standard VAT rates by country and the day each took effect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VatRates {
    /// Per country, newest first: (effective from, standard rate).
    by_country: BTreeMap<String, Vec<(Date, Percent)>>,
}

/// The table patron ships.
static EMBEDDED: LazyLock<VatRates> = LazyLock::new(|| {
    // the file is tested to read; should it not, no rate is known and documents say so
    VatRates::from_json(include_str!("../data/vat-rates.json")).unwrap_or_default()
});

#[derive(serde::Deserialize)]
struct Dataset {
    items: BTreeMap<String, Vec<Period>>,
}

#[derive(serde::Deserialize)]
struct Period {
    effective_from: String,
    rates: BTreeMap<String, f64>,
}

fn date(text: &str) -> Option<Date> {
    let mut parts = text.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

impl VatRates {
    /// The rates patron ships (`data/vat-rates.json`).
    pub fn embedded() -> &'static VatRates {
        &EMBEDDED
    }

    /// Reads a table in the dataset's format: `{"items": {"CZ": [{"effective_from":
    /// "2024-01-01", "rates": {"standard": 21, …}}, …]}}`.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let dataset: Dataset =
            serde_json::from_str(text).map_err(|e| format!("the VAT rate table does not read: {e}"))?;
        let mut by_country = BTreeMap::new();
        for (country, periods) in dataset.items {
            let mut rates = Vec::with_capacity(periods.len());
            for period in periods {
                let from = date(&period.effective_from)
                    .ok_or_else(|| format!("{country}: {:?} is not a date", period.effective_from))?;
                let standard = *period.rates.get("standard").ok_or_else(|| format!("{country}: no standard rate"))?;
                let points = (standard * 100.0).round();
                if !(0.0..=10_000.0).contains(&points) {
                    return Err(format!("{country}: {standard} is not a rate"));
                }
                // checked just above: 0 to 10 000 basis points
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let rate = Percent::from_basis_points(points as u32)
                    .ok_or_else(|| format!("{country}: {standard} is not a rate"))?;
                rates.push((from, rate));
            }
            rates.sort_by_key(|(from, _)| std::cmp::Reverse(*from));
            by_country.insert(country, rates);
        }
        Ok(Self { by_country })
    }

    /// The standard rate of `country` on `day`, when the table knows the country.
    pub fn standard(&self, country: &str, day: Date) -> Option<Percent> {
        self.by_country.get(country)?.iter().find(|(from, _)| *from <= day).map(|(_, rate)| *rate)
    }

    /// The countries the table knows.
    pub fn countries(&self) -> impl Iterator<Item = &str> {
        self.by_country.keys().map(String::as_str)
    }
}

/// A VAT-inclusive amount taken apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VatAmounts {
    /// What was paid (minor units).
    pub gross: i64,
    /// Without VAT.
    pub net: i64,
    /// The VAT in it.
    pub vat: i64,
    /// The rate applied.
    pub rate: Percent,
}

/// The VAT part of a VAT-inclusive amount at `rate`, rounded half up to the minor unit (away
/// from zero for a negative amount, a credit note); the net amount is the rest.
pub fn from_gross(gross: i64, rate: Percent) -> VatAmounts {
    let points = i128::from(rate.basis_points());
    let numerator = i128::from(gross) * points;
    let denominator = 10_000 + points;
    let half = denominator / 2;
    let vat = if numerator >= 0 { (numerator + half) / denominator } else { -((-numerator + half) / denominator) };
    // |vat| ≤ |gross|, so it fits
    let vat = i64::try_from(vat).unwrap_or(0);
    VatAmounts { gross, net: gross - vat, vat, rate }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(text: &str) -> Date {
        date(text).unwrap()
    }

    #[test]
    fn the_shipped_table_reads_and_knows_every_member_state() {
        let rates = VatRates::embedded();
        for country in EU_MEMBER_STATES {
            assert!(rates.standard(country, day("2026-12-07")).is_some(), "{country}");
        }
        let on = |country: &str| rates.standard(country, day("2026-12-07")).unwrap().to_text();
        assert_eq!([on("CZ"), on("SK"), on("DE"), on("AT"), on("FI")], ["21", "23", "19", "20", "25.5"]);
        assert!(!in_eu("GB") && in_eu("CZ"));
    }

    #[test]
    fn a_rate_change_applies_from_its_day_only() {
        let rates = VatRates::embedded();
        // Slovakia raised its standard rate from 20 % to 23 % on 1 January 2025
        assert_eq!(rates.standard("SK", day("2024-12-31")).unwrap().to_text(), "20");
        assert_eq!(rates.standard("SK", day("2025-01-01")).unwrap().to_text(), "23");
        let table = VatRates::from_json(
            r#"{"items": {"XX": [{"effective_from": "2026-07-01", "rates": {"standard": 22.5}},
                                {"effective_from": "0000-01-01", "rates": {"standard": 20}}]}}"#,
        )
        .unwrap();
        assert_eq!(table.standard("XX", day("2026-06-30")).unwrap().basis_points(), 2_000);
        assert_eq!(table.standard("XX", day("2026-07-01")).unwrap().basis_points(), 2_250);
        assert_eq!(table.standard("YY", day("2026-07-01")), None);
        assert!(
            VatRates::from_json(r#"{"items": {"XX": [{"effective_from": "soon", "rates": {"standard": 20}}]}}"#)
                .is_err()
        );
        assert!(
            VatRates::from_json(r#"{"items": {"XX": [{"effective_from": "2026-01-01", "rates": {"standard": 120}}]}}"#)
                .is_err()
        );
    }

    #[test]
    fn the_vat_in_99_kc_is_rounded_to_the_haler_and_adds_up() {
        let rate = |text: &str| Percent::parse("rate", text).unwrap();
        let czech = from_gross(9_900, rate("21"));
        assert_eq!((czech.net, czech.vat), (8_182, 1_718), "9900 × 21/121 = 1718.18");
        let slovak = from_gross(9_900, rate("23"));
        assert_eq!((slovak.net, slovak.vat), (8_049, 1_851), "9900 × 23/123 = 1851.22");
        let german = from_gross(9_900, rate("19"));
        assert_eq!((german.net, german.vat), (8_319, 1_581), "9900 × 19/119 = 1580.67");
        let austrian = from_gross(9_900, rate("20"));
        assert_eq!((austrian.net, austrian.vat), (8_250, 1_650), "exactly");
        let half = from_gross(121, rate("10"));
        assert_eq!(half.vat, 11, "121 × 10/110 = 11");
        assert_eq!(from_gross(-9_900, rate("21")).vat, -1_718, "a credit note mirrors its document");
        assert_eq!(from_gross(9_900, Percent::ZERO).vat, 0);
    }

    #[test]
    fn vat_ids_are_read_as_people_write_them() {
        let id = VatId::parse("vat_id", "cz 123 456 78").unwrap();
        assert_eq!((id.as_str(), id.country()), ("CZ12345678", "CZ"));
        assert_eq!(VatId::parse("vat_id", "EL123456789").unwrap().country(), "GR");
        for wrong in ["12345678", "GB123456789", "CZ", "CZ12345678901234", "CZ123_45"] {
            assert_eq!(VatId::parse("vat_id", wrong).map_err(|e| e.field), Err("vat_id"), "{wrong}");
        }
    }

    proptest! {
        #[test]
        fn net_and_vat_always_add_up_to_what_was_paid(gross in -10_000_000_i64..10_000_000, points in 0_u32..=10_000) {
            let amounts = from_gross(gross, Percent::from_basis_points(points).unwrap());
            prop_assert_eq!(amounts.net + amounts.vat, gross);
            prop_assert!(amounts.vat.abs() <= gross.abs());
            prop_assert_eq!(amounts.vat.signum() * gross.signum() >= 0, true);
        }
    }
}
