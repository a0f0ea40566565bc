//! Reading and writing patron's cookies.

use crate::AppState;
use axum::http::{HeaderMap, HeaderValue, header};

/// The value of cookie `name` in the request, if present.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
}

/// A `Set-Cookie` value with patron's attributes: HttpOnly, SameSite=Lax, Path=/, and Secure
/// when the public URL is https.
pub(crate) fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: Option<u64>) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(seconds) = max_age_secs {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    if state.cookies.secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("patron_invalid=1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_cookie_among_several_headers() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; patron_session=abc"));
        headers.append(header::COOKIE, HeaderValue::from_static("other=2"));
        assert_eq!(read_cookie(&headers, "patron_session"), Some("abc"));
        assert_eq!(read_cookie(&headers, "other"), Some("2"));
        assert_eq!(read_cookie(&headers, "missing"), None);
    }
}
