//! Tax documents: which VAT a payment carries, and how documents are numbered.
//!
//! A membership is an electronically supplied service. Sold to a consumer, it is taxed where
//! the consumer is (Directive 2006/112/EC, Art. 58): at the seller's own rate for buyers in
//! the seller's country, at the buyer's country's rate through the One-Stop Shop for other
//! member states (or at the seller's own rate when the seller does not use OSS, under the
//! €10 000 threshold of Art. 59c), and with no EU VAT for buyers outside the EU. Sold to a
//! business with a VAT ID of another member state, the buyer accounts for the VAT (reverse
//! charge, Art. 196). A seller not registered for VAT charges none, and says so.

use crate::split::Percent;
use crate::vat::{self, VatAmounts, VatRates};
use time::Date;

/// How a document is taxed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// The seller is not registered for VAT: no VAT, and the document says so.
    NotRegistered,
    /// At the seller's country's rate (a buyer there, or a seller without OSS).
    Domestic,
    /// At the buyer's member state's rate, declared through the One-Stop Shop.
    Oss,
    /// A business in another member state accounts for the VAT itself.
    ReverseCharge,
    /// A buyer outside the EU: no EU VAT.
    OutsideEu,
}

impl Scheme {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::NotRegistered => "not_registered",
            Scheme::Domestic => "domestic",
            Scheme::Oss => "oss",
            Scheme::ReverseCharge => "reverse_charge",
            Scheme::OutsideEu => "outside_eu",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "not_registered" => Scheme::NotRegistered,
            "domestic" => Scheme::Domestic,
            "oss" => Scheme::Oss,
            "reverse_charge" => Scheme::ReverseCharge,
            "outside_eu" => Scheme::OutsideEu,
            _ => return None,
        })
    }
}

/// The seller, as far as the tax goes.
#[derive(Clone, Copy, Debug)]
pub struct Seller<'a> {
    /// Its member state.
    pub country: &'a str,
    /// Whether it is registered for VAT.
    pub registered: bool,
    /// Whether it declares other member states' VAT through the One-Stop Shop.
    pub oss: bool,
}

/// The buyer, as far as the tax goes.
#[derive(Clone, Copy, Debug)]
pub struct Buyer<'a> {
    /// Where they are (ISO code).
    pub country: &'a str,
    /// A business's VAT ID that VIES confirmed; `None` for a consumer (or an ID not confirmed).
    pub confirmed_vat_id: Option<&'a vat::VatId>,
}

/// What a payment's document carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taxation {
    /// How it is taxed.
    pub scheme: Scheme,
    /// The amounts: what was paid, without VAT, the VAT, the rate.
    pub amounts: VatAmounts,
}

/// The VAT of a payment of `gross` (VAT included) supplied on `day`. `None` when the rate of a
/// country that owes VAT is unknown (the table lacks it): the caller must not guess.
pub fn taxation(seller: Seller<'_>, buyer: Buyer<'_>, gross: i64, day: Date, rates: &VatRates) -> Option<Taxation> {
    let none = |scheme| Some(Taxation { scheme, amounts: vat::from_gross(gross, Percent::ZERO) });
    if !seller.registered {
        return none(Scheme::NotRegistered);
    }
    if !vat::in_eu(buyer.country) {
        return none(Scheme::OutsideEu);
    }
    if buyer.country != seller.country
        && let Some(id) = buyer.confirmed_vat_id
        && id.country() == buyer.country
    {
        return none(Scheme::ReverseCharge);
    }
    let (scheme, country) = if buyer.country != seller.country && seller.oss {
        (Scheme::Oss, buyer.country)
    } else {
        (Scheme::Domestic, seller.country)
    };
    let rate = rates.standard(country, day)?;
    Some(Taxation { scheme, amounts: vat::from_gross(gross, rate) })
}

/// The calendar day `at` falls on in a member state's civil time — the day of a supply, whose
/// VAT rate, exchange rate and quarter count: the state's standard offset from UTC (Western,
/// Central or Eastern European time; mainland time for Portugal and Spain), an hour more in
/// summer time, which the EU starts and ends at the same instant everywhere (01:00 UTC on the
/// last Sundays of March and October, Directive 2000/84/EC).
pub fn supply_day(at: crate::Timestamp, country: &str) -> Date {
    crate::civil::local(at, country).date()
}

/// A document's number as printed: the series, the year and a gap-free count within them,
/// `P2026-000042`.
pub fn number(series: &str, year: i32, count: i64) -> String {
    format!("{series}{year}-{count:06}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day() -> Date {
        Date::from_calendar_date(2026, time::Month::December, 7).unwrap()
    }

    fn tax(seller: Seller<'_>, country: &str, id: Option<&vat::VatId>) -> Taxation {
        let buyer = Buyer { country, confirmed_vat_id: id };
        taxation(seller, buyer, 9_900, day(), VatRates::embedded()).unwrap()
    }

    const CZECH_OSS: Seller<'static> = Seller { country: "CZ", registered: true, oss: true };

    #[test]
    fn consumers_pay_their_own_countrys_rate_through_oss() {
        let rates: Vec<(Scheme, String, i64)> = ["CZ", "SK", "DE", "AT"]
            .iter()
            .map(|c| {
                let t = tax(CZECH_OSS, c, None);
                (t.scheme, t.amounts.rate.to_text(), t.amounts.net + t.amounts.vat)
            })
            .collect();
        assert_eq!(
            rates,
            [
                (Scheme::Domestic, "21".to_owned(), 9_900),
                (Scheme::Oss, "23".to_owned(), 9_900),
                (Scheme::Oss, "19".to_owned(), 9_900),
                (Scheme::Oss, "20".to_owned(), 9_900),
            ]
        );
        let without_oss = Seller { oss: false, ..CZECH_OSS };
        assert_eq!(tax(without_oss, "DE", None).amounts.rate.to_text(), "21", "the seller's own rate");
    }

    #[test]
    fn businesses_abroad_reverse_charge_and_others_pay_no_eu_vat() {
        let german = vat::VatId::parse("vat_id", "DE123456789").unwrap();
        let reverse = tax(CZECH_OSS, "DE", Some(&german));
        assert_eq!((reverse.scheme, reverse.amounts.vat, reverse.amounts.net), (Scheme::ReverseCharge, 0, 9_900));
        let czech = vat::VatId::parse("vat_id", "CZ12345678").unwrap();
        assert_eq!(tax(CZECH_OSS, "CZ", Some(&czech)).scheme, Scheme::Domestic, "a business at home pays VAT");
        assert_eq!(tax(CZECH_OSS, "DE", Some(&czech)).scheme, Scheme::Oss, "an ID of another country proves nothing");
        assert_eq!(tax(CZECH_OSS, "US", None).scheme, Scheme::OutsideEu);
        let unregistered = Seller { country: "CZ", registered: false, oss: false };
        let none = tax(unregistered, "DE", None);
        assert_eq!((none.scheme, none.amounts.vat), (Scheme::NotRegistered, 0));
        let unknown =
            taxation(CZECH_OSS, Buyer { country: "SK", confirmed_vat_id: None }, 100, day(), &VatRates::default());
        assert_eq!(unknown, None, "no rate, no guess");
    }

    #[test]
    fn the_day_of_a_supply_is_the_sellers_calendar_day() {
        let at = |text: &str| crate::Timestamp::parse_rfc3339(text).unwrap();
        let day = |text: &str, country: &str| supply_day(at(text), country).to_string();
        assert_eq!(day("2026-12-31T22:59:59Z", "CZ"), "2026-12-31");
        assert_eq!(
            day("2026-12-31T23:00:00Z", "CZ"),
            "2027-01-01",
            "Prague's midnight in winter: a new year, a new quarter"
        );
        assert_eq!(day("2026-12-31T23:30:00Z", "PT"), "2026-12-31", "Lisbon is on UTC in winter");
        assert_eq!(day("2026-12-31T22:30:00Z", "FI"), "2027-01-01", "Helsinki is two hours ahead");
        assert_eq!(day("2026-06-30T22:30:00Z", "CZ"), "2026-07-01", "summer time: two hours ahead");
        assert_eq!(day("2026-06-30T21:30:00Z", "CZ"), "2026-06-30");
        // 2026's summer time: 29 March 01:00 UTC to 25 October 01:00 UTC
        assert_eq!(day("2026-03-29T00:30:00Z", "CZ"), "2026-03-29");
        assert_eq!(day("2026-03-28T23:30:00Z", "CZ"), "2026-03-29", "still winter: +1");
        assert_eq!(day("2026-10-24T22:30:00Z", "CZ"), "2026-10-25", "still summer: +2");
        assert_eq!(day("2026-10-25T22:30:00Z", "CZ"), "2026-10-25", "winter again: +1");
    }

    #[test]
    fn numbers_hold_the_series_year_and_count() {
        assert_eq!(number("P", 2026, 42), "P2026-000042");
        for scheme in [Scheme::NotRegistered, Scheme::Domestic, Scheme::Oss, Scheme::ReverseCharge, Scheme::OutsideEu] {
            assert_eq!(Scheme::parse(scheme.as_str()), Some(scheme));
        }
    }
}
