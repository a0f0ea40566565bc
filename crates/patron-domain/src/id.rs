//! Identifiers of stored records.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A record identifier: a UUIDv7, so new rows sort by creation time and index pages stay
/// warm. Stored as its 36-character text form in both databases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Id(uuid::Uuid);

impl Id {
    /// A new, time-ordered identifier.
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }

    /// The underlying UUID.
    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl Default for Id {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The text was not a UUID.
#[derive(Debug, thiserror::Error)]
#[error("not a valid identifier")]
pub struct InvalidId;

impl FromStr for Id {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s).map(Self).map_err(|_| InvalidId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_sort_by_creation() {
        let first = Id::new();
        let second = Id::new();
        assert!(first.to_string() < second.to_string());
    }

    #[test]
    fn parses_its_own_text_form_and_rejects_garbage() {
        let id = Id::new();
        assert_eq!(id.to_string().parse::<Id>().ok(), Some(id));
        assert!("not-an-id".parse::<Id>().is_err());
    }
}
