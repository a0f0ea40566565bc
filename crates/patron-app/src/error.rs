//! Why a use case did not happen — in words of the domain, not of HTTP. Each adapter maps the
//! kinds once: the JSON API to status codes (`patron-web`'s `error.rs`), the CLI to messages.

use patron_domain::ValidationError;
use std::time::Duration;

/// A stable machine code (`post_not_found`, `slug_taken`, …) and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Stable, for programs: clients branch on it.
    pub code: &'static str,
    /// For people.
    pub message: String,
}

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// It does not exist, or not for this actor.
    #[error("{}", .0.message)]
    NotFound(Problem),
    /// Nobody is logged in, or the credentials or the token are not valid.
    #[error("{}", .0.message)]
    Unauthenticated(Problem),
    /// The actor is known but may not do this.
    #[error("{}", .0.message)]
    Forbidden(Problem),
    /// It conflicts with how things are (taken, already done, full).
    #[error("{}", .0.message)]
    Conflict(Problem),
    /// Well-formed input that breaks the rules, field by field.
    #[error("{}", join(.0))]
    Invalid(Vec<ValidationError>),
    /// Input that cannot be read at all (an unknown cursor, sort order or interval).
    #[error("{}", .0.message)]
    Malformed(Problem),
    /// An upload larger than allowed.
    #[error("{}", .0.message)]
    TooLarge(Problem),
    /// An upload of a kind not accepted.
    #[error("{}", .0.message)]
    Unsupported(Problem),
    /// The client stopped sending an upload.
    #[error("{}", .0.message)]
    Stalled(Problem),
    /// Too many attempts; the next one is allowed after this long.
    #[error("too many attempts; try again in {} seconds", .retry_after.as_secs().max(1))]
    RateLimited {
        /// When trying again makes sense.
        retry_after: Duration,
    },
    /// A payment was declined by the provider.
    #[error("the payment was declined: {0}")]
    Declined(String),
    /// Something this depends on (the database, storage, cache, a payment provider) does not
    /// answer; trying again later may work.
    #[error("{}: {cause}", .problem.message)]
    Unavailable {
        /// What the actor is told.
        problem: Problem,
        /// What is logged.
        cause: String,
    },
    /// A failure that is not the actor's fault; the cause is for the log only.
    #[error("{0}")]
    Internal(String),
}

fn join(errors: &[ValidationError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

fn problem(code: &'static str, message: impl Into<String>) -> Problem {
    Problem { code, message: message.into() }
}

impl AppError {
    /// Not found, with its own code.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::NotFound(problem(code, message))
    }

    /// Plainly not found.
    pub fn nothing_here() -> Self {
        Self::not_found("not_found", "There is nothing here.")
    }

    /// Nobody is logged in.
    pub fn log_in_first() -> Self {
        Self::Unauthenticated(problem("unauthenticated", "Log in first: this needs a session or an API token."))
    }

    /// Not allowed.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::Forbidden(problem(code, message))
    }

    /// In conflict with the state of things.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict(problem(code, message))
    }

    /// One invalid field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![ValidationError::new(field, message)])
    }

    /// Unreadable input.
    pub fn malformed(code: &'static str, message: impl Into<String>) -> Self {
        Self::Malformed(problem(code, message))
    }

    /// A dependency failed; the actor is told to try again, the cause is logged.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        Self::Unavailable {
            problem: problem("unavailable", "The service is temporarily unavailable; try again shortly."),
            cause: cause.to_string(),
        }
    }

    /// An unexpected failure.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }
}

impl From<patron_store::StoreError> for AppError {
    fn from(error: patron_store::StoreError) -> Self {
        if error.is_unavailable() { Self::unavailable(error) } else { Self::Internal(error.to_string()) }
    }
}

impl From<patron_cache::CacheError> for AppError {
    fn from(error: patron_cache::CacheError) -> Self {
        Self::unavailable(error)
    }
}

impl From<patron_payments::PaymentError> for AppError {
    fn from(error: patron_payments::PaymentError) -> Self {
        use patron_payments::PaymentError;
        match error {
            PaymentError::BadSignature
            | PaymentError::Malformed(_)
            | PaymentError::UnknownCheckout
            | PaymentError::AmountMismatch { .. } => Self::malformed("payment_answer_refused", error.to_string()),
            PaymentError::UnknownProvider(_) => Self::nothing_here(),
            PaymentError::Store(error) => error.into(),
            PaymentError::Provider(message) => Self::unavailable(message),
            PaymentError::Declined(reason) => Self::Declined(reason),
            PaymentError::NotChangeable(why) => Self::conflict("not_changeable", why),
        }
    }
}
