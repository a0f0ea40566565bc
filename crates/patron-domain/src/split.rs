//! Dividing money: the platform's fee and a page's revenue split among its team.
//!
//! Percentages are kept as basis points (hundredths of a percent: 12.5 % is 1 250), so a share
//! "with two decimals" is an integer and nothing is ever a float. A split hands out every
//! minor unit: each part is its exact share rounded down, and the minor units left over go one
//! each to the largest remainders (Hamilton's method) — so the parts add up to the whole,
//! always.

use crate::ValidationError;

/// One hundred percent, in basis points.
pub const WHOLE: u32 = 10_000;

/// A percentage with at most two decimals, from 0 to 100, as basis points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percent(u32);

impl Percent {
    /// Zero percent.
    pub const ZERO: Percent = Percent(0);

    /// From basis points (1 250 is 12.5 %); more than 10 000 is refused.
    pub fn from_basis_points(points: u32) -> Option<Self> {
        (points <= WHOLE).then_some(Self(points))
    }

    /// Reads what a person types: `10`, `12.5`, `33.33`, `7,5` (a Czech decimal comma), with
    /// an optional `%`. `field` names the setting or form field in the error.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, ValidationError> {
        let invalid = || ValidationError::new(field, "must be a percentage from 0 to 100 with at most two decimals");
        let text = text.trim().trim_end_matches('%').trim().replace(',', ".");
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        if whole.is_empty() || whole.len() > 3 || fraction.len() > 2 {
            return Err(invalid());
        }
        if !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let whole: u32 = whole.parse().map_err(|_| invalid())?;
        let fraction: u32 =
            if fraction.is_empty() { 0 } else { format!("{fraction:0<2}").parse().map_err(|_| invalid())? };
        Self::from_basis_points(whole * 100 + fraction).ok_or_else(invalid)
    }

    /// Basis points.
    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// For people: `10`, `12.5`, `33.33` (without the `%`).
    pub fn to_text(self) -> String {
        let (whole, fraction) = (self.0 / 100, self.0 % 100);
        match fraction {
            0 => whole.to_string(),
            f if f % 10 == 0 => format!("{whole}.{}", f / 10),
            f => format!("{whole}.{f:02}"),
        }
    }

    /// This percentage of `amount` (minor units), rounded half up to a minor unit: the
    /// platform's fee on a payment.
    pub fn of(self, amount: i64) -> i64 {
        let exact = i128::from(amount) * i128::from(self.0);
        let whole = i128::from(WHOLE);
        let rounded = if exact >= 0 { (exact + whole / 2) / whole } else { -((-exact + whole / 2) / whole) };
        rounded as i64
    }
}

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} %", self.to_text())
    }
}

/// How a page's revenue is divided among its team: each payee's percentage, together 100 %.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shares<K> {
    parts: Vec<(K, Percent)>,
}

impl<K: Clone + PartialEq> Shares<K> {
    /// Everything to one payee (a page without a split: its owner).
    pub fn single(payee: K) -> Self {
        Self { parts: vec![(payee, Percent(WHOLE))] }
    }

    /// The owner's team: the given members' shares, and what is left of 100 % to `owner` (added
    /// to the owner's own share when they are among the members). Refused when the shares
    /// exceed 100 % or a payee is named twice.
    pub fn with_rest_to(owner: K, mut members: Vec<(K, Percent)>) -> Result<Self, ValidationError> {
        check_distinct(&members)?;
        let given: u32 = members.iter().map(|(_, p)| p.0).sum();
        if given > WHOLE {
            return Err(ValidationError::new("shares", "the shares add up to more than 100 %"));
        }
        let rest = WHOLE - given;
        let mut parts: Vec<(K, Percent)> = Vec::with_capacity(members.len() + 1);
        match members.iter_mut().find(|(payee, _)| *payee == owner) {
            Some((_, share)) => share.0 += rest,
            None => parts.push((owner, Percent(rest))),
        }
        parts.extend(members);
        parts.retain(|(_, p)| p.0 > 0);
        Ok(Self { parts })
    }

    /// Exactly these shares, which must add up to 100 %, each payee once.
    pub fn exact(mut parts: Vec<(K, Percent)>) -> Result<Self, ValidationError> {
        check_distinct(&parts)?;
        if parts.iter().map(|(_, p)| p.0).sum::<u32>() != WHOLE {
            return Err(ValidationError::new("shares", "the shares must add up to 100 %"));
        }
        parts.retain(|(_, p)| p.0 > 0);
        Ok(Self { parts })
    }

    /// The payees and their percentages (no zero shares).
    pub fn parts(&self) -> &[(K, Percent)] {
        &self.parts
    }

    /// Divides `amount` minor units (negative for money going back) among the payees: parts
    /// in the shares' order that add up to `amount` exactly.
    pub fn split(&self, amount: i64) -> Vec<(K, i64)> {
        let weights: Vec<u32> = self.parts.iter().map(|(_, p)| p.0).collect();
        self.parts.iter().map(|(k, _)| k.clone()).zip(largest_remainder(amount, &weights)).collect()
    }
}

fn check_distinct<K: PartialEq>(parts: &[(K, Percent)]) -> Result<(), ValidationError> {
    for (index, (payee, _)) in parts.iter().enumerate() {
        if parts[..index].iter().any(|(other, _)| other == payee) {
            return Err(ValidationError::new("shares", "a team member has two shares"));
        }
    }
    Ok(())
}

/// Divides `amount` in proportion to `weights` (any non-negative integers, not all zero):
/// rounded-down parts, then the units left over one each to the largest remainders, the
/// earlier weight first on a tie. A negative amount is split as its magnitude, negated, so a
/// reversal mirrors its original exactly. All weights zero gives all parts zero but the first,
/// which gets everything.
pub fn largest_remainder(amount: i64, weights: &[u32]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let total: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    let magnitude = i128::from(amount).abs();
    let sign: i128 = if amount < 0 { -1 } else { 1 };
    if total == 0 {
        let mut parts = vec![0; weights.len()];
        parts[0] = amount;
        return parts;
    }
    let mut parts: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let exact = magnitude * i128::from(*weight);
        parts.push(exact / total);
        remainders.push((exact % total, index));
    }
    let left = magnitude - parts.iter().sum::<i128>();
    // largest remainder first; on a tie the earlier payee (a stable order, not chance)
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in remainders.iter().take(left as usize) {
        parts[*index] += 1;
    }
    parts.into_iter().map(|p| (p * sign) as i64).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pct(text: &str) -> Percent {
        Percent::parse("share", text).unwrap()
    }

    #[test]
    fn percentages_are_read_as_people_type_them_and_refused_otherwise() {
        assert_eq!(pct("10").basis_points(), 1_000);
        assert_eq!(pct("12.5 %").basis_points(), 1_250);
        assert_eq!(pct("33,33").basis_points(), 3_333);
        assert_eq!(pct("100").basis_points(), 10_000);
        assert_eq!(pct("0.05").basis_points(), 5);
        for bad in ["", "-1", "100.01", "101", "1.234", "ten", "1e2", ".5", "1 0", "5..0"] {
            let error = Percent::parse("share", bad).err();
            assert_eq!(error.map(|e| e.field), Some("share"), "{bad:?} must be refused");
        }
        assert_eq!(pct("12.5").to_text(), "12.5");
        assert_eq!(pct("33.33").to_text(), "33.33");
        assert_eq!(pct("7").to_string(), "7 %");
    }

    #[test]
    fn a_fee_is_rounded_half_up_to_the_minor_unit() {
        assert_eq!(pct("10").of(9_900), 990);
        assert_eq!(pct("10").of(5_905), 591);
        assert_eq!(pct("10").of(5_904), 590);
        assert_eq!(pct("10").of(-5_905), -591, "a reversal mirrors the fee");
        assert_eq!(Percent::ZERO.of(19_900), 0);
    }

    #[test]
    fn a_split_hands_out_every_minor_unit_to_the_largest_remainders() {
        let shares = Shares::exact(vec![("a", pct("50")), ("b", pct("30")), ("c", pct("20"))]).unwrap();
        assert_eq!(shares.split(8_911), vec![("a", 4_456), ("b", 2_673), ("c", 1_782)]);
        let thirds = Shares::exact(vec![("a", pct("33.34")), ("b", pct("33.33")), ("c", pct("33.33"))]).unwrap();
        assert_eq!(thirds.split(100), vec![("a", 34), ("b", 33), ("c", 33)]);
        assert_eq!(thirds.split(-100), vec![("a", -34), ("b", -33), ("c", -33)]);
        assert_eq!(thirds.split(1), vec![("a", 1), ("b", 0), ("c", 0)]);
    }

    #[test]
    fn the_owner_gets_the_rest_and_bad_share_sets_are_refused() {
        let shares = Shares::with_rest_to("owner", vec![("b", pct("30")), ("c", pct("20"))]).unwrap();
        assert_eq!(shares.parts(), &[("owner", pct("50")), ("b", pct("30")), ("c", pct("20"))]);
        let all_given = Shares::with_rest_to("owner", vec![("b", pct("100"))]).unwrap();
        assert_eq!(all_given.parts(), &[("b", pct("100"))]);
        let owner_named = Shares::with_rest_to("owner", vec![("owner", pct("10")), ("b", pct("30"))]).unwrap();
        assert_eq!(owner_named.parts(), &[("owner", pct("70")), ("b", pct("30"))]);
        assert!(Shares::with_rest_to("owner", vec![("b", pct("60")), ("c", pct("50"))]).is_err());
        assert!(Shares::with_rest_to("owner", vec![("b", pct("10")), ("b", pct("10"))]).is_err());
        assert!(Shares::exact(vec![("a", pct("50")), ("b", pct("49.99"))]).is_err());
        assert_eq!(Shares::single("a").split(5_900), vec![("a", 5_900)]);
    }

    proptest! {
        #[test]
        fn split_parts_are_never_negative_and_add_up_to_the_amount(
            amount in 0i64..=10_000_000_000,
            weights in proptest::collection::vec(0u32..=10_000, 1..12),
        ) {
            let parts = largest_remainder(amount, &weights);
            prop_assert_eq!(parts.len(), weights.len());
            prop_assert!(parts.iter().all(|p| *p >= 0));
            prop_assert_eq!(parts.iter().sum::<i64>(), amount);
            let negative = largest_remainder(-amount, &weights);
            prop_assert_eq!(negative, parts.iter().map(|p| -p).collect::<Vec<_>>());
        }

        #[test]
        fn a_valid_share_set_splits_any_amount_exactly(
            amount in 0i64..=1_000_000_000,
            given in proptest::collection::vec(0u32..=2_500, 0..4),
        ) {
            let members: Vec<(usize, Percent)> =
                given.iter().enumerate().map(|(i, p)| (i + 1, Percent::from_basis_points(*p).unwrap())).collect();
            let shares = Shares::with_rest_to(0usize, members).unwrap();
            let parts = shares.split(amount);
            prop_assert!(parts.iter().all(|(_, p)| *p >= 0));
            prop_assert_eq!(parts.iter().map(|(_, p)| p).sum::<i64>(), amount);
            // no part is more than one minor unit away from its exact share
            for ((_, part), (_, percent)) in parts.iter().zip(shares.parts()) {
                let exact = i128::from(amount) * i128::from(percent.basis_points());
                let floor = exact / i128::from(WHOLE);
                prop_assert!(i128::from(*part) == floor || i128::from(*part) == floor + 1);
            }
        }
    }
}
