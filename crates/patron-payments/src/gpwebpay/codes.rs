//! What GP webpay's return codes (PRCODE / SRCODE) mean for a charge: the card's bank said no,
//! the bank wants the cardholder, try again later, or a mistake on our side.

/// How a refused operation is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The bank or the gateway refused the card: the membership's dunning goes on.
    Declined,
    /// The bank wants the cardholder to confirm the payment (strong customer authentication).
    NeedsAuthentication,
    /// A technical problem on the way to the bank: try again later, without counting it
    /// against the fan.
    RetryLater,
    /// The payment number exists already: an earlier attempt may have gone through, so its
    /// status decides.
    Duplicate,
    /// Not the fan's doing: a setting, a key or patron itself. Logged; tried again later.
    Mistake,
}

/// The class of a refusal.
pub fn classify(primary: u32, secondary: u32) -> Class {
    match (primary, secondary) {
        (30, 1004) | (26, _) | (1000, _) => Class::RetryLater,
        (30, _) | (28, _) | (32..=34, _) | (37..=40, _) | (83, _) | (85, _) => Class::Declined,
        (46, _) | (86, _) => Class::NeedsAuthentication,
        (14, _) => Class::Duplicate,
        _ => Class::Mistake,
    }
}

/// A short English description of a refusal, for the payment's record and the logs.
pub fn describe(primary: u32, secondary: u32) -> String {
    let what = match (primary, secondary) {
        (30, 1001) => "card blocked",
        (30, 1002) => "do not honour",
        (30, 1003) => "card problem (expired, wrong number or limit)",
        (30, 1004) => "technical problem at the card's bank",
        (30, 1005) => "insufficient funds or limit reached",
        (30, 1012) | (37, _) => "blacklisted card",
        (30, 1013) | (39, _) => "too many attempts with this card",
        (30, _) => "declined by the card's bank",
        (26, _) => "the authorisation centre cannot be reached",
        (28, _) => "declined in 3-D Secure",
        (32, _) => "expired card",
        (33, _) => "the registration payment was not authorised",
        (34, _) => "the registration is not valid for repeat payments",
        (38, _) => "card not supported",
        (40, _) => "declined by fraud detection",
        (46, _) | (86, _) => "the card's bank requires the cardholder to authenticate",
        (83, _) => "cancelled by the card's bank",
        (85, _) => "declined by the merchant's rules",
        (14, _) => "duplicate payment number",
        (15, _) => "no such payment",
        (18, _) => "more than the payment would be refunded",
        (20, _) => "the payment is not in a state for this operation",
        (25, _) => "operation not allowed for this merchant",
        (31, _) => "wrong digest: check the keys",
        (80, _) => "duplicate message id",
        (1000, _) => "technical problem at the gateway",
        _ => "refused by the gateway",
    };
    format!("{what} (PRCODE {primary}, SRCODE {secondary})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_fall_into_what_patron_does_next() {
        assert_eq!(classify(30, 1005), Class::Declined, "insufficient funds");
        assert_eq!(classify(30, 1001), Class::Declined);
        assert_eq!(classify(34, 0), Class::Declined, "registration no longer valid");
        assert_eq!(classify(46, 300), Class::NeedsAuthentication);
        assert_eq!(classify(30, 1004), Class::RetryLater, "the issuer's technical problem");
        assert_eq!(classify(1000, 0), Class::RetryLater);
        assert_eq!(classify(14, 1), Class::Duplicate);
        assert_eq!(classify(31, 0), Class::Mistake, "our keys");
        assert_eq!(classify(15, 89), Class::Mistake);
        assert_eq!(describe(30, 1005), "insufficient funds or limit reached (PRCODE 30, SRCODE 1005)");
    }
}
