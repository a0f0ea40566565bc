//! One error type for the HTTP layer, mapped once to a status code and a stable machine code.
//! JSON clients get `{"error": {"code", "message"}}`; pages render the same error as HTML.
//! The use cases' errors ([`AppError`]) become HTTP here, in one table.

use crate::i18n::Lang;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use patron_app::AppError;
use patron_domain::ValidationError;
use serde::Serialize;
use utoipa::ToSchema;

/// The error document every failing API call returns.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code (`invalid_credentials`, `validation_failed`, …).
    #[schema(example = "validation_failed")]
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
    /// Per-field problems, for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// One invalid input field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The field name as sent.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

/// An error that ends a request.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Vec<FieldError>,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    /// An error with the given status, code and message.
    /// The message is given in English and speaks the request's language.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        let message = crate::i18n::translate(Lang::current(), &message.into());
        Self { status, code, message, fields: Vec::new(), retry_after_secs: None }
    }

    /// 400: the request cannot be understood.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: no valid session or token.
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "Log in first: this needs a session or an API token.")
    }

    /// 403: authenticated but not allowed.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 404.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "There is nothing here.")
    }

    /// 409: conflicts with existing data.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 422: well-formed input that breaks the rules, with the fields named.
    pub fn validation(errors: Vec<ValidationError>) -> Self {
        let lang = Lang::current();
        let message =
            errors.iter().map(|e| crate::i18n::field_problem(lang, e.field, &e.message)).collect::<Vec<_>>().join("; ");
        let mut error = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", message);
        error.fields = errors
            .into_iter()
            .map(|e| FieldError { field: e.field, message: crate::i18n::translate(lang, &e.message) })
            .collect();
        error
    }

    /// 413.
    pub fn payload_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "The request body is too large.")
    }

    /// 429, with `Retry-After`.
    pub fn rate_limited(retry_after: std::time::Duration) -> Self {
        let seconds = retry_after.as_secs().max(1);
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("Too many attempts. Try again in {seconds} seconds."),
        );
        error.retry_after_secs = Some(seconds);
        error
    }

    /// 503, with `Retry-After`: changes are paused while the install moves (a live relocation).
    pub fn read_only() -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "read_only",
            "Changes are paused for a moment while patron moves to a new database; reading works. Try again shortly.",
        );
        error.retry_after_secs = Some(30);
        error
    }

    /// 500 for a failure that is not the client's fault. The cause is logged with the
    /// request id; the client sees only that something failed.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side. It has been logged; please try again.",
        )
    }

    /// 503: a dependency is unavailable.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The service is temporarily unavailable; try again shortly.",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The invalid fields, for validation errors.
    pub fn fields(&self) -> &[FieldError] {
        &self.fields
    }

    pub(crate) fn retry_after_header(&self, response: &mut Response) {
        if let Some(seconds) = self.retry_after_secs
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail { code: self.code, message: self.message.clone(), fields: self.fields.clone() },
        };
        let mut response = (self.status, Json(body)).into_response();
        self.retry_after_header(&mut response);
        response
    }
}

/// The one table from what went wrong in a use case to HTTP.
impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        let with = |status: StatusCode, problem: patron_app::Problem| Self::new(status, problem.code, problem.message);
        match error {
            AppError::NotFound(problem) => with(StatusCode::NOT_FOUND, problem),
            AppError::Unauthenticated(problem) => with(StatusCode::UNAUTHORIZED, problem),
            AppError::Forbidden(problem) => with(StatusCode::FORBIDDEN, problem),
            AppError::Conflict(problem) => with(StatusCode::CONFLICT, problem),
            AppError::Invalid(errors) => Self::validation(errors),
            AppError::Malformed(problem) => with(StatusCode::BAD_REQUEST, problem),
            AppError::TooLarge(problem) => with(StatusCode::PAYLOAD_TOO_LARGE, problem),
            AppError::Unsupported(problem) => with(StatusCode::UNSUPPORTED_MEDIA_TYPE, problem),
            AppError::Stalled(problem) => with(StatusCode::REQUEST_TIMEOUT, problem),
            AppError::RateLimited { retry_after } => Self::rate_limited(retry_after),
            AppError::Declined(reason) => Self::new(
                StatusCode::PAYMENT_REQUIRED,
                "payment_declined",
                format!("The payment was declined: {reason}"),
            ),
            AppError::Unavailable { problem, cause } => {
                tracing::warn!(error = %cause, "dependency unavailable");
                with(StatusCode::SERVICE_UNAVAILABLE, problem)
            }
            AppError::Internal(cause) => Self::internal(cause),
        }
    }
}

impl From<patron_store::StoreError> for ApiError {
    fn from(error: patron_store::StoreError) -> Self {
        AppError::from(error).into()
    }
}

/// An error rendered as an HTML page, with `Retry-After` when it has one.
pub(crate) fn page_error(error: impl Into<ApiError>) -> Response {
    let error: ApiError = error.into();
    let heading = match error.status() {
        StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        status if status.is_server_error() => "Something went wrong",
        _ => "This did not work",
    };
    let mut response = crate::html::error_page(error.status(), heading, error.message());
    error.retry_after_header(&mut response);
    response
}

/// Gives error responses that the framework produces without a body — 405 from routing,
/// 503 from the request timeout, 413 from body limits — patron's error shape: JSON under
/// `/api/`, an HTML page elsewhere. Headers such as `Allow` are kept.
pub async fn fill_error_bodies(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    // patron's own errors are JSON or HTML; no body or a plain-text one comes from the
    // framework (routing, body limits, extractor rejections)
    let from_framework = match response.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(value) => value.to_str().is_ok_and(|v| v.starts_with("text/plain")),
    };
    if !(status.is_client_error() || status.is_server_error()) || !from_framework {
        return response;
    }
    let (code, title, message) = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", "Not allowed", "This address does not accept that kind of request.")
        }
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "Too much data", "The request body is too large."),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => (
            "unavailable",
            "Temporarily unavailable",
            "The request took too long or the service is busy; please try again.",
        ),
        StatusCode::NOT_FOUND => ("not_found", "Not found", "There is nothing here."),
        status if status.is_client_error() => ("bad_request", "This did not work", "The request was malformed."),
        _ => ("error", "Something went wrong", "The request could not be completed."),
    };
    let (parts, _) = response.into_parts();
    let mut filled = if is_api {
        ApiError::new(status, code, message).into_response()
    } else {
        crate::html::error_page(status, title, message)
    };
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            filled.headers_mut().insert(name, value.clone());
        }
    }
    filled
}
