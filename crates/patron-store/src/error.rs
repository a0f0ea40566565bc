/// A database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or the statement failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A stored value could not be read back into its type.
    #[error("stored value is invalid: {0}")]
    Corrupt(String),
    /// The schema does not match what this build expects.
    #[error("{0}")]
    Schema(String),
}

impl StoreError {
    /// Whether the database is out of reach (rather than a statement being wrong): trying
    /// again later may work.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)))
    }

    /// Whether the error is a unique-constraint violation (the same on both backends).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}
