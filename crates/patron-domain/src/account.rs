//! What a valid account is: e-mail address, password and display name rules, and password
//! hashing with Argon2id.

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, PasswordHash as ParsedHash};

/// One input field that breaks a rule, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The input field's name as the client sent it (`email`, `password`, …).
    pub field: &'static str,
    /// What is wrong and what is expected.
    pub message: String,
}

impl ValidationError {
    /// A new error for `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

/// The language an account reads patron in, as stored (`en`, `cs`): Czech for codes such as
/// `cs`, `cs-CZ` and Slovak (`sk`), English otherwise.
pub fn locale(code: &str) -> &'static str {
    let primary = code.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
    match primary.as_str() {
        "cs" | "sk" => "cs",
        _ => "en",
    }
}

/// A syntactically valid e-mail address, trimmed and lower-cased so that one mailbox maps to
/// one account however it is typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// The longest address SMTP can carry (RFC 5321: 254 octets in a path).
    pub const MAX_LEN: usize = 254;

    /// Validates and normalises an address.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let invalid = |why: &str| ValidationError::new("email", why.to_owned());
        let address = input.trim().to_lowercase();
        if address.is_empty() {
            return Err(invalid("is required"));
        }
        if address.len() > Self::MAX_LEN {
            return Err(invalid("is longer than 254 characters"));
        }
        if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("must not contain spaces"));
        }
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Err(invalid("is not an e-mail address (name@example.com)"));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid("is not an e-mail address (name@example.com)"));
        }
        Ok(Self(address))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`, used as a default display name.
    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or(&self.0)
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password that meets the policy. Never printed.
pub struct Password(String);

impl Password {
    /// Shortest accepted password, in characters (NIST SP 800-63B).
    pub const MIN_CHARS: usize = 8;
    /// Longest accepted password, in bytes: a generous bound that keeps hashing cheap.
    pub const MAX_BYTES: usize = 1024;

    /// Checks a new password against the policy.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        if input.chars().count() < Self::MIN_CHARS {
            return Err(ValidationError::new("password", "must be at least 8 characters long"));
        }
        if input.len() > Self::MAX_BYTES {
            return Err(ValidationError::new("password", "must be at most 1024 bytes long"));
        }
        if input.trim().is_empty() {
            return Err(ValidationError::new("password", "must not be only spaces"));
        }
        Ok(Self(input.to_owned()))
    }

    /// The password text, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// The name shown for a user: trimmed, 1–80 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Longest accepted name, in characters.
    pub const MAX_CHARS: usize = 80;

    /// Validates a display name.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let name = input.trim();
        if name.is_empty() {
            return Err(ValidationError::new("display_name", "is required"));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new("display_name", "must be at most 80 characters long"));
        }
        if name.chars().any(char::is_control) {
            return Err(ValidationError::new("display_name", "must not contain control characters"));
        }
        Ok(Self(name.to_owned()))
    }

    /// A display name derived from an e-mail address, for sign-ups that give none.
    pub fn from_email(email: &Email) -> Self {
        let local: String = email.local_part().chars().take(Self::MAX_CHARS).collect();
        Self(local)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An Argon2id password hash in PHC string form (`$argon2id$v=19$m=19456,t=2,p=1$…`).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Hashes a password with Argon2id at the OWASP-recommended cost (19 MiB, 2 passes).
    /// CPU-bound for tens of milliseconds: call it off the async executor.
    pub fn hash(password: &Password) -> Self {
        let mut salt = [0u8; 16];
        crate::token::fill_random(&mut salt);
        let salt = SaltString::encode_b64(&salt).unwrap_or_else(|_| unreachable_salt());
        let hash = Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default();
        Self(hash)
    }

    /// Wraps a hash read from the database.
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string to store.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is the password this hash was made from. Constant-time in the
    /// candidate; a malformed stored hash never verifies.
    pub fn verify(&self, candidate: &str) -> bool {
        match ParsedHash::new(&self.0) {
            Ok(parsed) => Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        }
    }

    /// Spends the same effort as a real verification, for log-in attempts on unknown
    /// accounts, so response times do not reveal which addresses are registered.
    pub fn verify_against_dummy(candidate: &str) {
        static DUMMY: std::sync::OnceLock<PasswordHash> = std::sync::OnceLock::new();
        let dummy = DUMMY.get_or_init(|| PasswordHash::hash(&Password("an unguessable dummy password".to_owned())));
        let _ = dummy.verify(candidate);
    }
}

fn unreachable_salt() -> SaltString {
    // 16 random bytes always encode to a valid salt; this only satisfies the type checker.
    SaltString::from_b64("c2FsdHNhbHRzYWx0c2FsdA").unwrap_or_else(|_| unreachable_salt())
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lowercased() {
        let email = Email::parse("  Fan@Example.CZ ").map(|e| e.as_str().to_owned());
        assert_eq!(email.as_deref(), Ok("fan@example.cz"));
    }

    #[test]
    fn malformed_emails_are_rejected_with_the_field_named() {
        for bad in ["", "no-at-sign", "@example.com", "a@b", "a@.com", "a b@example.com", "a@ex..com"] {
            let error = Email::parse(bad).err();
            assert_eq!(error.map(|e| e.field), Some("email"), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn password_policy_bounds_length() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("        ").is_err());
        assert!(Password::parse(&"x".repeat(2000)).is_err());
        assert!(Password::parse("long enough").is_ok());
    }

    #[test]
    fn display_name_rules() {
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"a".repeat(81)).is_err());
        assert!(DisplayName::parse("bell\u{7}").is_err());
        assert_eq!(DisplayName::parse(" Gordíkey ").map(|n| n.as_str().to_owned()).as_deref(), Ok("Gordíkey"));
    }

    #[test]
    fn argon2id_hash_verifies_only_the_right_password() {
        let password = Password::parse("correct horse battery").map_err(|e| e.to_string());
        let hash = PasswordHash::hash(&password.unwrap_or_else(|e| panic!("{e}")));
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(hash.verify("correct horse battery"));
        assert!(!hash.verify("wrong horse battery"));
        assert!(!PasswordHash::from_stored("garbage".into()).verify("anything"));
    }
}
