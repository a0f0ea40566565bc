//! Extractors that turn malformed input into patron's error shape instead of axum's text.

use crate::error::ApiError;
use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// A JSON request body. Malformed JSON is a 400, JSON of the wrong shape a 422, a missing
/// `Content-Type: application/json` a 415 and an oversized body a 413 — all in the API's
/// error shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(error) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", error.body_text())
        }
        JsonRejection::JsonSyntaxError(error) => ApiError::bad_request("malformed_json", error.body_text()),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON with `Content-Type: application/json`.",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(),
        other => ApiError::bad_request("invalid_body", other.body_text()),
    }
}

/// A URL-encoded form body for pages; malformed forms render an error page.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageForm<T>(pub T);

impl<T, S> FromRequest<S> for PageForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(request, state).await {
            Ok(axum::Form(value)) => Ok(PageForm(value)),
            Err(rejection) => Err(form_rejection(rejection)),
        }
    }
}

fn form_rejection(rejection: FormRejection) -> Response {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return crate::html::error_page(status, "Too much data", "The form sent more data than patron accepts.");
    }
    tracing::info!(%status, reason = %rejection.body_text(), "form rejected");
    crate::html::error_page(
        StatusCode::BAD_REQUEST,
        "The form could not be read",
        "Some fields were missing or malformed. Go back, reload the page and try again.",
    )
    .into_response()
}
