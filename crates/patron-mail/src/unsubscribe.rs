//! Unsubscribe links. A token names a user and a mail category and is signed with the
//! secret key, so the link works without logging in and cannot be forged or changed to
//! unsubscribe someone else. Tokens do not expire: a link in an old mail still works.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use patron_domain::Id;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The category of mails about new posts of followed creators (on unless turned off).
pub const NEW_POSTS: &str = "new_posts";
/// The category of the weekly digest (off unless turned on).
pub const DIGEST: &str = "digest";

/// The categories a user can choose, with their defaults.
pub const CATEGORIES: &[(&str, bool)] = &[(NEW_POSTS, true), (DIGEST, false)];

/// A category's default, `None` for an unknown category.
pub fn default_for(category: &str) -> Option<bool> {
    CATEGORIES.iter().find(|(name, _)| *name == category).map(|(_, on)| *on)
}

fn signature(secret_key: &str, payload: &str) -> Vec<u8> {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(), // HMAC accepts keys of any length; never reached
    };
    mac.update(b"patron-unsubscribe\0");
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The token for `user_id` and `category`.
pub fn token(secret_key: &str, user_id: Id, category: &str) -> String {
    let payload = format!("{user_id}:{category}");
    format!("{}.{}", URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(signature(secret_key, &payload)))
}

/// The user and category a token names, if its signature holds.
pub fn verify(secret_key: &str, token: &str) -> Option<(Id, String)> {
    let (payload, signature_part) = token.split_once('.')?;
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    let supplied = URL_SAFE_NO_PAD.decode(signature_part).ok()?;
    let expected = signature(secret_key, &payload);
    if expected.is_empty() || !bool::from(expected.ct_eq(&supplied)) {
        return None;
    }
    let (user, category) = payload.split_once(':')?;
    let (category, _) = CATEGORIES.iter().find(|(name, _)| *name == category)?;
    Some((user.parse::<Id>().ok()?, (*category).to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_token_names_its_user_and_cannot_be_forged_or_altered() {
        let user = Id::new();
        let token = token(KEY, user, NEW_POSTS);
        assert_eq!(verify(KEY, &token), Some((user, NEW_POSTS.to_owned())));
        assert_eq!(verify("another key of at least thirty-two chars", &token), None);
        let other = super::token(KEY, Id::new(), NEW_POSTS);
        let (payload, _) = other.split_once('.').unwrap_or_default();
        let (_, signature) = token.split_once('.').unwrap_or_default();
        assert_eq!(verify(KEY, &format!("{payload}.{signature}")), None, "another user's payload with this signature");
        for bad in ["", ".", "abc", "abc.def", "%%%.%%%", &token[..token.len() - 2]] {
            assert_eq!(verify(KEY, bad), None, "{bad:?}");
        }
    }
}
