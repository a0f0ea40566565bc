//! Memberships: a fan's paid support of a creator at one tier, and whether it entitles them
//! to supporters-only content right now.

use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a membership is in its life.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    /// Checkout started, first payment not confirmed: no access.
    Pending,
    /// Paid for the current period (it may be set to end at the period's end).
    Active,
    /// A renewal failed; access continues until the grace period ends.
    PastDue,
    /// Ended: cancelled and run out, renewals failed past the grace period, or refunded.
    Expired,
}

impl MembershipStatus {
    /// Every status, for exhaustive tests.
    pub const ALL: [MembershipStatus; 4] =
        [MembershipStatus::Pending, MembershipStatus::Active, MembershipStatus::PastDue, MembershipStatus::Expired];

    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            MembershipStatus::Pending => "pending",
            MembershipStatus::Active => "active",
            MembershipStatus::PastDue => "past_due",
            MembershipStatus::Expired => "expired",
        }
    }

    /// From stored text.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// What entitlement needs to know about a viewer's membership of one creator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MembershipFacts {
    /// The status.
    pub status: MembershipStatus,
    /// The rank of the membership's tier within the creator's tiers (higher unlocks more).
    pub tier_rank: i64,
    /// Until when a past-due membership keeps access.
    pub grace_until: Option<Timestamp>,
}

impl MembershipFacts {
    /// Whether the membership gives access now: active, or past due within its grace period.
    pub fn entitles(&self, now: Timestamp) -> bool {
        match self.status {
            MembershipStatus::Active => true,
            MembershipStatus::PastDue => self.grace_until.is_some_and(|until| now < until),
            MembershipStatus::Pending | MembershipStatus::Expired => false,
        }
    }
}

/// How often a membership is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BillingInterval {
    /// Every calendar month.
    Month,
    /// Every calendar year.
    Year,
}

impl BillingInterval {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            BillingInterval::Month => "month",
            BillingInterval::Year => "year",
        }
    }

    /// From stored or submitted text.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "month" => Some(BillingInterval::Month),
            "year" => Some(BillingInterval::Year),
            _ => None,
        }
    }

    /// The end of a period that starts at `start`: the same day and time one calendar month
    /// (or year) later, on the month's last day when it has no such day (31 January → 28 or 29
    /// February).
    pub fn period_end(self, start: Timestamp) -> Timestamp {
        let months = match self {
            BillingInterval::Month => 1,
            BillingInterval::Year => 12,
        };
        add_months(start, months)
    }

    /// The monthly recurring revenue of a price paid at this interval, in minor units (a
    /// yearly price counts a twelfth a month, rounded down: integers only).
    pub fn monthly(self, price: i64) -> i64 {
        match self {
            BillingInterval::Month => price,
            BillingInterval::Year => price / 12,
        }
    }
}

/// `start` plus whole calendar months, clamping the day to the target month's length.
pub fn add_months(start: Timestamp, months: u32) -> Timestamp {
    let at = start.to_offset_datetime();
    let total = i64::from(at.year()) * 12 + i64::from(u8::from(at.month())) - 1 + i64::from(months);
    let year = i32::try_from(total.div_euclid(12)).unwrap_or(9999);
    let month =
        ::time::Month::try_from(u8::try_from(total.rem_euclid(12) + 1).unwrap_or(1)).unwrap_or(::time::Month::January);
    let day = at.day().min(month.length(year));
    match ::time::Date::from_calendar_date(year, month, day) {
        Ok(date) => Timestamp::from_offset_datetime(at.replace_date(date)),
        Err(_) => start,
    }
}

/// What happens after a renewal charge fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Past due: try again at this time; access continues until then.
    RetryAt(Timestamp),
    /// Out of retries: the membership expires.
    Expire,
}

/// After the `failures`-th failed charge (1 for the first) of a period that was due at `due`:
/// retry `delays[failures - 1]` after `due`, or expire when the delays are used up. With the
/// default delays (1, 3 and 7 days) a fan has four charges and a week of grace.
pub fn after_failure(due: Timestamp, failures: u32, delays: &[std::time::Duration]) -> AfterFailure {
    match delays.get(failures.saturating_sub(1) as usize) {
        Some(delay) => AfterFailure::RetryAt(due.plus(*delay)),
        None => AfterFailure::Expire,
    }
}

#[cfg(test)]
mod billing_tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn periods_are_calendar_months() {
        let month = BillingInterval::Month;
        assert_eq!(month.period_end(at("2026-01-15T10:00:00Z")), at("2026-02-15T10:00:00Z"));
        assert_eq!(month.period_end(at("2026-01-31T10:00:00Z")), at("2026-02-28T10:00:00Z"));
        assert_eq!(month.period_end(at("2028-01-31T10:00:00Z")), at("2028-02-29T10:00:00Z"), "leap year");
        assert_eq!(month.period_end(at("2026-12-31T23:59:59Z")), at("2027-01-31T23:59:59Z"));
        assert_eq!(BillingInterval::Year.period_end(at("2028-02-29T00:00:00Z")), at("2029-02-28T00:00:00Z"));
        assert_eq!(month.monthly(9_900), 9_900);
        assert_eq!(BillingInterval::Year.monthly(99_000), 8_250);
        assert_eq!(BillingInterval::Year.monthly(100), 8, "rounded down, never a fraction");
    }

    #[test]
    fn failed_renewals_retry_after_one_three_and_seven_days_then_expire() {
        let day = std::time::Duration::from_secs(24 * 3600);
        let delays = [day, 3 * day, 7 * day];
        let due = at("2026-03-01T00:00:00Z");
        assert_eq!(after_failure(due, 1, &delays), AfterFailure::RetryAt(at("2026-03-02T00:00:00Z")));
        assert_eq!(after_failure(due, 2, &delays), AfterFailure::RetryAt(at("2026-03-04T00:00:00Z")));
        assert_eq!(after_failure(due, 3, &delays), AfterFailure::RetryAt(at("2026-03-08T00:00:00Z")));
        assert_eq!(after_failure(due, 4, &delays), AfterFailure::Expire);
        assert_eq!(after_failure(due, 1, &[]), AfterFailure::Expire, "no retries configured");
    }
}

/// What an upgrade costs now: the price difference for the part of the period that is left,
/// rounded down to a minor unit (integers only). Zero when nothing is left or nothing costs
/// more.
pub fn prorated(old_price: i64, new_price: i64, period_start: Timestamp, period_end: Timestamp, now: Timestamp) -> i64 {
    let total = i128::from(period_end.as_micros() - period_start.as_micros());
    let left = i128::from(period_end.as_micros() - now.as_micros()).clamp(0, total.max(0));
    let difference = i128::from(new_price - old_price);
    if total <= 0 || difference <= 0 {
        return 0;
    }
    i64::try_from(difference * left / total).unwrap_or(0)
}

#[cfg(test)]
mod proration_tests {
    use super::*;

    #[test]
    fn upgrades_cost_the_difference_for_what_is_left_of_the_period() {
        let start = Timestamp::from_micros(0);
        let end = Timestamp::from_micros(30 * 86_400 * 1_000_000);
        let half = Timestamp::from_micros(15 * 86_400 * 1_000_000);
        assert_eq!(prorated(5_900, 9_900, start, end, half), 2_000);
        assert_eq!(prorated(5_900, 9_900, start, end, start), 4_000);
        assert_eq!(prorated(5_900, 9_900, start, end, end), 0);
        assert_eq!(prorated(9_900, 5_900, start, end, half), 0, "a downgrade costs nothing now");
        assert_eq!(prorated(100, 101, start, end, Timestamp::from_micros(1)), 0, "rounded down");
    }
}

/// What happens to a membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipEvent {
    /// A payment for a period went through (the first, a renewal, or a retry).
    Paid,
    /// A renewal charge failed and will be tried again.
    ChargeFailed,
    /// A renewal charge failed for the last time.
    ChargeFailedFinally,
    /// The period of a cancelled membership ran out.
    PeriodEndedCancelled,
    /// A platform admin refunded a payment.
    Refunded,
}

/// A change the lifecycle does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a {from:?} membership cannot take {event:?}")]
pub struct InvalidTransition {
    /// The status it was in.
    pub from: MembershipStatus,
    /// What was to happen.
    pub event: MembershipEvent,
}

impl MembershipStatus {
    /// The lifecycle: pending → active → past_due → active | expired; a cancelled membership
    /// expires at the end of its period; a refund ends a live membership. Expired is final (a
    /// fan who comes back gets a new membership).
    pub fn after(self, event: MembershipEvent) -> Result<MembershipStatus, InvalidTransition> {
        use MembershipEvent as E;
        use MembershipStatus as S;
        match (self, event) {
            (S::Pending | S::Active | S::PastDue, E::Paid) => Ok(S::Active),
            (S::Active | S::PastDue, E::ChargeFailed) => Ok(S::PastDue),
            (S::Active | S::PastDue, E::ChargeFailedFinally) => Ok(S::Expired),
            (S::Active | S::PastDue, E::PeriodEndedCancelled) => Ok(S::Expired),
            (S::Active | S::PastDue, E::Refunded) => Ok(S::Expired),
            (from, event) => Err(InvalidTransition { from, event }),
        }
    }
}

#[cfg(test)]
mod lifecycle_tests {
    use super::*;

    #[test]
    fn the_lifecycle_allows_exactly_its_transitions() {
        use MembershipEvent as E;
        use MembershipStatus as S;
        let events = [E::Paid, E::ChargeFailed, E::ChargeFailedFinally, E::PeriodEndedCancelled, E::Refunded];
        let mut allowed = Vec::new();
        for from in MembershipStatus::ALL {
            for event in events {
                if let Ok(to) = from.after(event) {
                    allowed.push((from, event, to));
                }
            }
        }
        assert_eq!(
            allowed,
            [
                (S::Pending, E::Paid, S::Active),
                (S::Active, E::Paid, S::Active),
                (S::Active, E::ChargeFailed, S::PastDue),
                (S::Active, E::ChargeFailedFinally, S::Expired),
                (S::Active, E::PeriodEndedCancelled, S::Expired),
                (S::Active, E::Refunded, S::Expired),
                (S::PastDue, E::Paid, S::Active),
                (S::PastDue, E::ChargeFailed, S::PastDue),
                (S::PastDue, E::ChargeFailedFinally, S::Expired),
                (S::PastDue, E::PeriodEndedCancelled, S::Expired),
                (S::PastDue, E::Refunded, S::Expired),
            ]
        );
        assert_eq!(
            S::Expired.after(E::Paid),
            Err(InvalidTransition { from: S::Expired, event: E::Paid }),
            "expired is final"
        );
        assert!(S::Pending.after(E::ChargeFailed).is_err());
    }
}
