//! Stripe webhooks: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256>[,v1=…]` over
//! `"<t>.<raw body>"` with the endpoint's signing secret, accepted only within a tolerance of
//! the current time (replays of old deliveries are refused). Several `v1` entries appear
//! while a secret is being rolled; any one matching is enough.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a delivery's timestamp may be from now, by default (Stripe's own libraries use
/// five minutes).
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a webhook delivery is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    /// No usable `Stripe-Signature` header.
    #[error("the Stripe-Signature header is missing or malformed")]
    Header,
    /// No `v1` signature matches.
    #[error("no signature matches")]
    Signature,
    /// The timestamp is outside the tolerance.
    #[error("the delivery is {0} s away from now")]
    Stale(i64),
}

fn expected(secret: &str, timestamp: i64, payload: &[u8]) -> Vec<u8> {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(), // HMAC takes keys of any length
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac.finalize().into_bytes().to_vec()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// Verifies a delivery's `Stripe-Signature` header against its raw body at time `now` (Unix
/// seconds).
pub fn verify_webhook(
    payload: &[u8],
    header: &str,
    secret: &str,
    now: i64,
    tolerance: i64,
) -> Result<(), WebhookError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.extend(unhex(value)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::Header)?;
    if signatures.is_empty() {
        return Err(WebhookError::Header);
    }
    let want = expected(secret, timestamp, payload);
    if !signatures.iter().any(|given| bool::from(given.as_slice().ct_eq(&want))) {
        return Err(WebhookError::Signature);
    }
    let age = (now - timestamp).abs();
    if age > tolerance {
        return Err(WebhookError::Stale(age));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(secret: &str, t: i64, payload: &[u8]) -> String {
        let hex: String = expected(secret, t, payload).iter().map(|b| format!("{b:02x}")).collect();
        format!("t={t},v1={hex}")
    }

    #[test]
    fn deliveries_verify_only_unchanged_signed_with_the_secret_and_fresh() {
        let body = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
        let secret = "whsec_test_secret";
        let now = 1_800_000_000;
        let good = header(secret, now - 10, body);
        assert_eq!(verify_webhook(body, &good, secret, now, DEFAULT_TOLERANCE_SECS), Ok(()));
        assert_eq!(
            verify_webhook(
                br#"{"id":"evt_1","type":"checkout.session.expired"}"#,
                &good,
                secret,
                now,
                DEFAULT_TOLERANCE_SECS
            ),
            Err(WebhookError::Signature)
        );
        assert_eq!(
            verify_webhook(body, &good, "whsec_other", now, DEFAULT_TOLERANCE_SECS),
            Err(WebhookError::Signature)
        );
        assert_eq!(
            verify_webhook(body, &good, secret, now + 600, DEFAULT_TOLERANCE_SECS),
            Err(WebhookError::Stale(610))
        );
        // a roll of secrets: two v1 entries, one of them right
        let rolled = format!("{},v1={}", header("whsec_old", now, body), &good[good.find("v1=").unwrap_or(0) + 3..]);
        let rolled = rolled.replacen(&format!("t={now}"), &format!("t={}", now - 10), 1);
        assert_eq!(verify_webhook(body, &rolled, secret, now, DEFAULT_TOLERANCE_SECS), Ok(()));
        for broken in ["", "v1=abcd", &format!("t={now}"), "t=x,v1=zz"] {
            assert_eq!(
                verify_webhook(body, broken, secret, now, DEFAULT_TOLERANCE_SECS),
                Err(WebhookError::Header),
                "{broken}"
            );
        }
    }
}
