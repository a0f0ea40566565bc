//! Media: what an upload is (decided from its bytes, never from its name or the client's
//! word), the renditions the worker makes of it, and the jobs that process, delete and sweep
//! files. Every byte goes through the storage interface.

pub mod images;
pub mod jobs;
pub mod sniff;
pub mod video;

pub use sniff::{Sniffed, sniff};

/// Why a file could not be processed. Shown to its author, so it says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The file is not usable as what it claims to be.
    #[error("{0}")]
    Unusable(String),
    /// Storage or the database failed; worth retrying.
    #[error("{0}")]
    Transient(String),
}

impl From<patron_storage::StorageError> for ProcessError {
    fn from(error: patron_storage::StorageError) -> Self {
        ProcessError::Transient(error.to_string())
    }
}
