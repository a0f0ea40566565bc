//! Rendering pages: the layout around every page, templates with their status, and error
//! pages. Knows nothing of requests or errors of its own, so every module may use it.

use crate::i18n::Lang;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Changes whenever the stylesheet changes, so browsers may cache it for long.
pub(crate) const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");
pub(crate) const APP_CSS: &str = include_str!("../static/app.css");
pub(crate) const FAVICON: &str = include_str!("../static/favicon.svg");
pub(crate) const APP_JS: &str = include_str!("../static/app.js");
pub(crate) const STRIPE_JS: &str = include_str!("../static/stripe.js");

/// What the layout shows around every page.
pub(crate) struct Layout {
    pub csrf_token: String,
    pub asset_version: &'static str,
    pub current_user: Option<UserView>,
    pub lang: Lang,
    /// The page's path and query, for the language switcher to come back to.
    pub path: String,
}

impl Layout {
    pub(crate) fn anonymous() -> Self {
        Self {
            csrf_token: String::new(),
            asset_version: ASSET_VERSION,
            current_user: None,
            lang: Lang::current(),
            path: "/".to_owned(),
        }
    }

    /// The text for `key` in the page's language.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.lang.t(key)
    }

    /// The text for `key` with `{}` replaced.
    pub fn t1(&self, key: &str, value: &str) -> String {
        self.lang.t1(key, value)
    }

    /// The text for `key` with two `{}` replaced.
    pub fn t2(&self, key: &str, first: &str, second: &str) -> String {
        self.lang.t2(key, first, second)
    }

    /// The counted text `key` for `n` (`1 vote`, `5 hlasů`).
    pub fn plural(&self, key: &str, n: impl std::borrow::Borrow<i64>) -> String {
        self.lang.plural(key, u64::try_from(*n.borrow()).unwrap_or(0))
    }

    /// The languages of the switcher.
    pub fn languages(&self) -> [Lang; 2] {
        Lang::ALL
    }
}

/// The signed-in user as the layout shows them.
pub(crate) struct UserView {
    pub display_name: String,
    pub is_admin: bool,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    heading: &'a str,
    message: &'a str,
}

/// Renders a template with a status; pages are never cached by shared caches.
pub(crate) fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, axum::response::Html(html)).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            response
        }
        Err(error) => {
            // a bare 500: `error::fill_error_bodies` gives it patron's error page
            tracing::error!(%error, "rendering a page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `text` made safe as one query parameter's value (`/a?b=c` → `%2Fa%3Fb%3Dc`).
pub(crate) fn encode_component(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// An HTML error page in the request's language (`heading` and `message` are given in English
/// or already translated).
pub fn error_page(status: StatusCode, heading: &str, message: &str) -> Response {
    let layout = Layout::anonymous();
    let heading = crate::i18n::translate(layout.lang, heading);
    let message = crate::i18n::translate(layout.lang, message);
    render(status, &ErrorPage { layout, heading: &heading, message: &message })
}

/// A payment's state in words: paid, failed or refunded, and its chargeback when there is one.
pub fn payment_state(lang: Lang, status: &str, dispute: Option<&str>) -> String {
    let status = match status {
        "succeeded" | "failed" | "refunded" => lang.t(&format!("payment_status.{status}")).to_owned(),
        other => other.to_owned(),
    };
    match dispute {
        Some(dispute @ ("open" | "won" | "lost")) => format!("{status}; {}", lang.t(&format!("dispute.{dispute}"))),
        _ => status,
    }
}

/// What a payment was for, in words.
pub fn payment_kind(lang: Lang, kind: &str) -> String {
    match kind {
        "initial" | "renewal" | "upgrade" | "duplicate" => lang.t(&format!("payment_kind.{kind}")).to_owned(),
        other => other.to_owned(),
    }
}
