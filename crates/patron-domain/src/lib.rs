//! The rules of patron that do not depend on any I/O: what a valid account is, how
//! identifiers, tokens and timestamps look, how passwords are hashed.
//!
//! Every other crate depends on this one; it depends on nothing of ours.

pub mod account;
pub mod id;
pub mod time;
pub mod token;

pub use account::{DisplayName, Email, Password, PasswordHash, ValidationError};
pub use id::Id;
pub use time::Timestamp;
pub use token::SecretToken;
