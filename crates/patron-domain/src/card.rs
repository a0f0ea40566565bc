//! The card a membership's renewals charge, as a provider reports it: brand, last four digits
//! and expiry — never the number.

use crate::Timestamp;

/// A card on file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    /// `visa`, `mastercard`, … as the provider names it (`card` when unknown).
    pub brand: String,
    /// The last four digits.
    pub last4: String,
    /// The year it expires (four digits).
    pub exp_year: u16,
    /// The month it expires (1–12); it works until that month's end.
    pub exp_month: u8,
    /// The country that issued it, when the provider tells (evidence of where the fan is).
    pub country: Option<String>,
}

impl Card {
    /// The expiry as stored: `YYYY-MM`.
    pub fn expiry(&self) -> String {
        format!("{:04}-{:02}", self.exp_year, self.exp_month)
    }

    /// A card from its stored parts; `None` when they are incomplete or malformed.
    pub fn from_stored(brand: Option<String>, last4: Option<String>, expiry: Option<&str>) -> Option<Self> {
        let (year, month) = expiry?.split_once('-')?;
        let card = Card {
            brand: brand?,
            last4: last4?,
            exp_year: year.parse().ok()?,
            exp_month: month.parse().ok()?,
            country: None,
        };
        (1..=12).contains(&card.exp_month).then_some(card)
    }

    /// Whether the card stops working before `at`: it is valid through the last day of its
    /// expiry month (UTC).
    pub fn expires_before(&self, at: Timestamp) -> bool {
        let date = at.to_offset_datetime().date();
        let charged = (date.year(), u8::from(date.month()));
        charged > (i32::from(self.exp_year), self.exp_month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(expiry: &str) -> Card {
        Card::from_stored(Some("visa".into()), Some("4242".into()), Some(expiry)).expect("a card")
    }

    #[test]
    fn a_card_works_through_the_end_of_its_expiry_month() {
        let visa = card("2027-03");
        assert_eq!(visa.expiry(), "2027-03");
        let at = |text: &str| Timestamp::parse_rfc3339(text).expect("a time");
        assert!(!visa.expires_before(at("2027-03-31T23:59:00Z")));
        assert!(visa.expires_before(at("2027-04-01T00:00:00Z")));
        assert!(visa.expires_before(at("2028-01-15T00:00:00Z")));
        assert!(!visa.expires_before(at("2026-12-15T00:00:00Z")));
    }

    #[test]
    fn incomplete_or_malformed_stored_cards_are_none() {
        assert_eq!(Card::from_stored(Some("visa".into()), Some("4242".into()), None), None);
        assert_eq!(Card::from_stored(Some("visa".into()), Some("4242".into()), Some("2027-13")), None);
        assert_eq!(Card::from_stored(None, Some("4242".into()), Some("2027-01")), None);
    }
}
