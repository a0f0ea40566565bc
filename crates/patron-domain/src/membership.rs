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
