//! Cross-site request forgery protection for cookie-authenticated, state-changing requests.
//!
//! The token is an HMAC, under the secret key, of what identifies the browser: its session
//! (the digest of the session cookie) or, before log-in, a random visitor cookie. Another site
//! can make a browser send our cookies, but cannot read them or compute the token. Requests
//! with `Authorization: Bearer` need no token (browsers never add that header by themselves),
//! and neither do API requests without a session cookie (they carry no ambient authority).

use crate::AppState;
use crate::auth::{has_authorization, session_cookie_token};
use crate::cookies::{read_cookie, set_cookie};
use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The CSRF token for this request's browser: put it in forms as `csrf_token`, or send it as
/// the `X-CSRF-Token` header.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// The header JavaScript clients send the token in.
pub const HEADER: &str = "x-csrf-token";
/// The form field pages send the token in.
pub const FORM_FIELD: &str = "csrf_token";

fn sign(state: &AppState, binding: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(state.app.secret_key.expose().as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(), // HMAC accepts keys of any length; never reached
    };
    mac.update(b"patron-csrf\0");
    mac.update(binding.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/json"))
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("multipart/form-data"))
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
}

fn reject(request_path: &str) -> Response {
    if request_path.starts_with("/api/") {
        ApiError::forbidden(
            "csrf_failed",
            "Missing or wrong CSRF token: send the X-CSRF-Token header with cookie-authenticated requests.",
        )
        .into_response()
    } else {
        crate::html::error_page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "The form was too old or came from another site, so nothing was changed. Go back, reload the page and try again. (Cookies must be enabled.)",
        )
    }
}

/// Checks the token on state-changing requests and provides [`CsrfToken`] to handlers.
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE);
    let session = session_cookie_token(&state, &parts.headers);
    let visitor = read_cookie(&parts.headers, state.cookies.csrf)
        .filter(|v| v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .map(str::to_owned);
    let mut new_visitor_cookie = None;
    let binding = match (&session, &visitor) {
        (Some(token), _) => format!("session:{}", token.digest()),
        (None, Some(visitor)) => format!("visitor:{visitor}"),
        // Pages hand out a visitor cookie so anonymous forms (log in, register) are protected
        // too; API clients without cookies get none.
        (None, None) if !parts.uri.path().starts_with("/api/") => {
            let fresh = patron_domain::token::random_urlsafe(32);
            let binding = format!("visitor:{fresh}");
            new_visitor_cookie = Some(fresh);
            binding
        }
        (None, None) => String::new(),
    };
    let expected = if binding.is_empty() { String::new() } else { sign(&state, &binding) };

    let mut body = body;
    // Without our cookies a request carries no ambient authority, except a page form, which
    // could log a victim into someone else's account (login CSRF).
    let is_api = parts.uri.path().starts_with("/api/");
    let needs_check =
        !safe && !has_authorization(&parts.headers) && (session.is_some() || (!is_api && !is_json(&parts.headers)));
    if needs_check {
        let mut supplied = parts.headers.get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        if supplied.is_none() && is_form(&parts.headers) {
            let bytes = match axum::body::to_bytes(body, state.app.settings.body_limit).await {
                Ok(bytes) => bytes,
                Err(_) if parts.uri.path().starts_with("/api/") => {
                    return ApiError::payload_too_large().into_response();
                }
                Err(_) => return crate::error::page_error(ApiError::payload_too_large()),
            };
            supplied = url::form_urlencoded::parse(&bytes)
                .find(|(key, _)| key == FORM_FIELD)
                .map(|(_, value)| value.into_owned());
            body = Body::from(bytes);
        }
        if supplied.is_none() && is_multipart(&parts.headers) {
            // a file upload is streamed: its body cannot be read for the token first, so a
            // page's upload form carries it in its action address (same-origin Referer only)
            supplied = url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
                .find(|(key, _)| key == FORM_FIELD)
                .map(|(_, value)| value.into_owned());
        }
        let valid = !expected.is_empty()
            && supplied.is_some_and(|token| bool::from(token.as_bytes().ct_eq(expected.as_bytes())));
        if !valid {
            tracing::info!(path = %parts.uri.path(), "request refused: missing or wrong CSRF token");
            return reject(parts.uri.path());
        }
    }

    parts.extensions.insert(CsrfToken(expected));
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if let Some(fresh) = new_visitor_cookie.filter(|_| safe) {
        response.headers_mut().append(header::SET_COOKIE, set_cookie(&state, state.cookies.csrf, &fresh, None));
    }
    response
}
