//! The rules of patron that do not depend on any I/O: what a valid account, creator page,
//! tier and post are, who may see what, how money, identifiers, tokens and timestamps look,
//! how passwords are hashed.
//!
//! Every other crate depends on this one; it depends on nothing of ours.

pub mod account;
pub mod bank;
pub mod books;
pub mod card;
pub mod civil;
pub mod creator;
pub mod document;
pub mod entitlement;
pub mod exchange;
pub mod id;
pub mod markdown;
pub mod membership;
pub mod money;
pub mod post;
pub mod residence;
pub mod split;
pub mod tier;
pub mod time;
pub mod token;
pub mod vat;

pub use account::{DisplayName, Email, Password, PasswordHash, ValidationError};
pub use id::Id;
pub use time::Timestamp;
pub use token::SecretToken;
