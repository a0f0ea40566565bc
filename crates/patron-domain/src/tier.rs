//! What a valid tier is.

use crate::ValidationError;
use crate::money::Currency;

/// A tier as submitted, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct TierDraft {
    /// Name.
    pub name: String,
    /// Description (Markdown).
    pub description: String,
    /// Benefits, one per entry; blank entries are dropped.
    pub benefits: Vec<String>,
    /// Monthly price in minor units.
    pub monthly_price: i64,
    /// Yearly price in minor units, if offered.
    pub yearly_price: Option<i64>,
    /// ISO 4217 code (CZK when empty).
    pub currency: String,
    /// Member cap, if any.
    pub member_cap: Option<i64>,
}

/// A checked tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidTier {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Benefits.
    pub benefits: Vec<String>,
    /// Monthly price in minor units.
    pub monthly_price: i64,
    /// Yearly price in minor units.
    pub yearly_price: Option<i64>,
    /// Currency.
    pub currency: Currency,
    /// Member cap.
    pub member_cap: Option<i64>,
}

/// The highest price patron accepts, in minor units (a million CZK).
pub const MAX_PRICE: i64 = 100_000_000;

/// Checks a tier; lists every problem.
pub fn validate(draft: TierDraft) -> Result<ValidTier, Vec<ValidationError>> {
    let mut errors = Vec::new();
    let name = draft.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 60 {
        errors.push(ValidationError::new("name", "must be 1 to 60 characters long"));
    }
    let description = draft.description.trim().to_owned();
    if description.chars().count() > 2000 {
        errors.push(ValidationError::new("description", "must be at most 2000 characters long"));
    }
    let benefits: Vec<String> = draft.benefits.iter().map(|b| b.trim().to_owned()).filter(|b| !b.is_empty()).collect();
    if benefits.len() > 20 || benefits.iter().any(|b| b.chars().count() > 200) {
        errors.push(ValidationError::new("benefits", "at most 20 benefits of at most 200 characters each"));
    }
    if !(0..=MAX_PRICE).contains(&draft.monthly_price) {
        errors.push(ValidationError::new("monthly_price", "must be between 0 and 100000000 minor units"));
    }
    if let Some(yearly) = draft.yearly_price
        && !(0..=MAX_PRICE).contains(&yearly)
    {
        errors.push(ValidationError::new("yearly_price", "must be between 0 and 100000000 minor units"));
    }
    let currency = if draft.currency.trim().is_empty() {
        Some(Currency::CZK)
    } else {
        Currency::parse(&draft.currency).map_err(|e| errors.push(e)).ok()
    };
    if let Some(cap) = draft.member_cap
        && !(1..=10_000_000).contains(&cap)
    {
        errors.push(ValidationError::new("member_cap", "must be between 1 and 10000000"));
    }
    match currency {
        Some(currency) if errors.is_empty() => Ok(ValidTier {
            name,
            description,
            benefits,
            monthly_price: draft.monthly_price,
            yearly_price: draft.yearly_price,
            currency,
            member_cap: draft.member_cap,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> TierDraft {
        TierDraft { name: "Na steaky".into(), monthly_price: 9900, ..TierDraft::default() }
    }

    #[test]
    fn a_plain_tier_defaults_to_czk() {
        let tier = validate(draft()).map_err(|e| format!("{e:?}"));
        assert_eq!(tier.map(|t| (t.currency.code(), t.monthly_price)), Ok(("CZK", 9900)));
    }

    #[test]
    fn every_problem_is_named() {
        let bad = TierDraft {
            name: " ".into(),
            monthly_price: -1,
            yearly_price: Some(MAX_PRICE + 1),
            currency: "XXX".into(),
            member_cap: Some(0),
            ..TierDraft::default()
        };
        let fields: Vec<&str> = validate(bad).err().unwrap_or_default().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "monthly_price", "yearly_price", "currency", "member_cap"]);
    }
}
