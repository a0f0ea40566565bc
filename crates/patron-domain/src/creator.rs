//! Creator pages and the teams that run them.

use crate::ValidationError;
use serde::{Deserialize, Serialize};

/// The part of a creator page's address after the site (`/gordikey`): 3–40 lower-case ASCII
/// letters, digits and inner hyphens, and not a word patron's own pages use.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

/// Addresses patron uses or may use for its own pages.
const RESERVED: &[&str] = &[
    "about",
    "account",
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "c",
    "creator",
    "creators",
    "dashboard",
    "discover",
    "explore",
    "favicon.ico",
    "feed",
    "feeds",
    "healthz",
    "help",
    "home",
    "invitations",
    "login",
    "logout",
    "logout-everywhere",
    "media",
    "me",
    "metrics",
    "new",
    "notifications",
    "pay",
    "posts",
    "privacy",
    "readyz",
    "register",
    "robots.txt",
    "rss",
    "sandbox-gateway",
    "search",
    "settings",
    "static",
    "studio",
    "support",
    "terms",
    "webhooks",
    "www",
];

impl Slug {
    /// Validates a slug (lower-casing it first).
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let slug = input.trim().to_ascii_lowercase();
        let invalid = |message: &str| Err(ValidationError::new("slug", message.to_owned()));
        if slug.len() < 3 || slug.len() > 40 {
            return invalid("must be 3 to 40 characters long");
        }
        if !slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return invalid("may contain only letters a–z, digits and hyphens");
        }
        if slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
            return invalid("must not start or end with a hyphen or contain two in a row");
        }
        if RESERVED.contains(&slug.as_str()) {
            return invalid("is reserved; choose another address");
        }
        Ok(Self(slug))
    }

    /// A slug suggestion from a display name: `Gordíkey` → `gordikey`.
    pub fn suggest(name: &str) -> String {
        let mut slug = String::new();
        for c in name.chars().flat_map(fold_diacritics) {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        slug.trim_end_matches('-').chars().take(40).collect()
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Folds the Czech and other common Latin letters with diacritics to ASCII.
fn fold_diacritics(c: char) -> Option<char> {
    const FROM: &str = "áäàâãåčçďéěëèêíïìîľĺňñóöòôõřŕšśťúůüùûýÿžźżłÁÄÀÂÃÅČÇĎÉĚËÈÊÍÏÌÎĽĹŇÑÓÖÒÔÕŘŔŠŚŤÚŮÜÙÛÝŸŽŹŻŁ";
    const TO: &str = "aaaaaaccdeeeeeiiiillnnooooorrsstuuuuuyyzzzlAAAAAACCDEEEEEIIIILLNNOOOOORRSSTUUUUUYYZZZL";
    match FROM.chars().position(|from| from == c) {
        Some(index) => TO.chars().nth(index),
        None => Some(c),
    }
}

/// Text for matching names: lower case, without diacritics, single spaces.
pub fn fold_for_search(text: &str) -> String {
    let folded: String = text.chars().flat_map(fold_diacritics).flat_map(char::to_lowercase).collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A creator page's name: 1–80 characters.
pub fn validate_creator_name(input: &str) -> Result<String, ValidationError> {
    let name = input.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ValidationError::new("name", "must be 1 to 80 characters long"));
    }
    if name.chars().any(char::is_control) {
        return Err(ValidationError::new("name", "must not contain control characters"));
    }
    Ok(name.to_owned())
}

/// A creator page's bio: at most 5 000 characters of Markdown.
pub fn validate_bio(input: &str) -> Result<String, ValidationError> {
    let bio = input.trim();
    if bio.chars().count() > 5000 {
        return Err(ValidationError::new("bio", "must be at most 5000 characters long"));
    }
    Ok(bio.to_owned())
}

/// A member's role in a creator's team.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    /// Everything: page settings, tiers, team, posts, deletion.
    Owner,
    /// Writes and publishes posts, moderates comments.
    Contributor,
}

impl TeamRole {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Owner => "owner",
            TeamRole::Contributor => "contributor",
        }
    }

    /// From stored text.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "owner" => Some(TeamRole::Owner),
            "contributor" => Some(TeamRole::Contributor),
            _ => None,
        }
    }

    /// Whether the role may change the page, its tiers and its team.
    pub fn can_manage_page(self) -> bool {
        self == TeamRole::Owner
    }

    /// Whether the role may write, publish and delete posts and moderate comments.
    pub fn can_publish(self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_plain_lowercase_addresses() {
        assert_eq!(Slug::parse(" Gordikey ").map(|s| s.as_str().to_owned()), Ok("gordikey".to_owned()));
        for bad in ["ab", "-dog", "dog-", "do--g", "dög", "with space", "admin", "login", &"a".repeat(41)] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn search_text_ignores_case_and_diacritics() {
        assert_eq!(fold_for_search("  Žluťoučký   KŮŇ "), "zlutoucky kun");
    }

    #[test]
    fn slug_suggestions_fold_czech_letters() {
        assert_eq!(Slug::suggest("Gordíkey"), "gordikey");
        assert_eq!(Slug::suggest("Žluťoučký kůň & spol."), "zlutoucky-kun-spol");
    }
}
