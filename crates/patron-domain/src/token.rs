//! Random secret tokens (sessions, API tokens, e-mail links) and their stored digests.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A random 256-bit secret handed to a client once. Only its SHA-256 digest is stored, so a
/// leaked database does not leak usable sessions.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// A new random token (43 URL-safe characters).
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Wraps a token received from a client. Returns `None` for text that cannot be a token
    /// (wrong length or alphabet), so lookups never run for garbage.
    pub fn parse(text: &str) -> Option<Self> {
        let plausible = text.len() == 43 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        plausible.then(|| Self(text.to_owned()))
    }

    /// The token text to give to the client.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The digest under which the token is stored (hex SHA-256).
    pub fn digest(&self) -> String {
        digest_hex(self.0.as_bytes())
    }
}

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(…)")
    }
}

/// Lower-case hex SHA-256 of the bytes.
pub fn digest_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    out
}

/// Fills the buffer from the operating system's random source.
///
/// # Panics
/// When the operating system has no random source, which leaves nothing safe to do.
pub fn fill_random(buffer: &mut [u8]) {
    #[allow(clippy::expect_used)]
    getrandom::fill(buffer).expect("the operating system's random source is unavailable");
}

/// `len` random bytes encoded as URL-safe base64 without padding.
pub fn random_urlsafe(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    fill_random(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_back_and_differ() {
        let a = SecretToken::generate();
        let b = SecretToken::generate();
        assert_ne!(a, b);
        assert_eq!(SecretToken::parse(a.expose()), Some(a.clone()));
        assert_eq!(a.digest().len(), 64);
        assert_ne!(a.digest(), a.expose());
    }

    #[test]
    fn garbage_is_not_a_token() {
        assert!(SecretToken::parse("short").is_none());
        assert!(SecretToken::parse(&"!".repeat(43)).is_none());
    }

    #[test]
    fn debug_output_hides_the_token() {
        let token = SecretToken::generate();
        assert!(!format!("{token:?}").contains(token.expose()));
    }
}
