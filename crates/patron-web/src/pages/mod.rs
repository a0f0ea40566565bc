//! The server-rendered web UI. Templates and assets are compiled into the binary, so one
//! file deploys everything, and every setting is read at run time (lesson 5: no
//! configuration baked into a front-end build).

mod account;
mod admin;
mod creators;
mod discover;
mod links;
mod payments;
mod studio;

use crate::AppState;
use crate::auth::MaybeUser;
use crate::csrf::CsrfToken;
use crate::i18n::Lang;
use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

/// Changes whenever the stylesheet changes, so browsers may cache it for long.
const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");
const APP_CSS: &str = include_str!("../../static/app.css");
const FAVICON: &str = include_str!("../../static/favicon.svg");
const APP_JS: &str = include_str!("../../static/app.js");

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
    fn anonymous() -> Self {
        Self {
            csrf_token: String::new(),
            asset_version: ASSET_VERSION,
            current_user: None,
            lang: Lang::En,
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

/// Everything a page handler needs about the request: who is looking, in which language,
/// with which CSRF token.
pub(crate) struct Page {
    pub user: MaybeUser,
    pub layout: Layout,
}

impl Page {
    /// The page's language.
    pub fn lang(&self) -> Lang {
        self.layout.lang
    }
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = MaybeUser::from_request_parts(parts, state).await.map_err(|e| page_error(&e))?;
        let lang = Lang::negotiate(&parts.headers);
        let layout = Layout {
            csrf_token: parts.extensions.get::<CsrfToken>().map(|t| t.0.clone()).unwrap_or_default(),
            asset_version: ASSET_VERSION,
            current_user: user
                .0
                .as_ref()
                .map(|c| UserView { display_name: c.user.display_name.clone(), is_admin: c.user.is_platform_admin }),
            lang,
            path: parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".to_owned()),
        };
        Ok(Page { user, layout })
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
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
        Err(error) => crate::error::ApiError::internal(format!("rendering a page: {error}")).into_response(),
    }
}

/// An [`crate::error::ApiError`] rendered as an HTML page.
pub(crate) fn page_error(error: &crate::error::ApiError) -> Response {
    let heading = match error.status() {
        StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        status if status.is_server_error() => "Something went wrong",
        _ => "This did not work",
    };
    let mut response = error_page(error.status(), heading, error.message());
    error.retry_after_header(&mut response);
    response
}

/// An HTML error page.
pub fn error_page(status: StatusCode, heading: &str, message: &str) -> Response {
    render(status, &ErrorPage { layout: Layout::anonymous(), heading, message })
}

async fn home(page: Page) -> Response {
    render(StatusCode::OK, &HomePage { layout: page.layout })
}

#[derive(Deserialize)]
struct LanguageQuery {
    next: Option<String>,
}

/// `GET /lang/{code}`: remembers the chosen language and goes back to the page.
async fn switch_language(Path(code): Path<String>, Query(query): Query<LanguageQuery>) -> Response {
    let Some(lang) = Lang::from_code(&code) else {
        return error_page(StatusCode::NOT_FOUND, "Not found", "patron speaks English and Czech.");
    };
    let next = account::safe_next(query.next.as_deref(), "/");
    let cookie = format!("{}={}; Path=/; Max-Age=31536000; SameSite=Lax", crate::i18n::COOKIE, lang.code());
    let mut response = axum::response::Redirect::to(&next).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

async fn static_asset(Path(name): Path<String>) -> Response {
    let (content_type, body) = match name.as_str() {
        "app.css" => ("text/css; charset=utf-8", APP_CSS),
        "favicon.svg" => ("image/svg+xml", FAVICON),
        "app.js" => ("text/javascript; charset=utf-8", APP_JS),
        _ => return error_page(StatusCode::NOT_FOUND, "Not found", "There is no such file."),
    };
    // URLs carry the version, so a new release never meets a stale copy
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=86400")], body).into_response()
}

async fn not_found() -> Response {
    error_page(StatusCode::NOT_FOUND, "Page not found", "There is nothing at this address.")
}

/// The web UI's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/static/{name}", get(static_asset))
        .route("/lang/{code}", get(switch_language))
        .merge(account::router())
        .merge(admin::router())
        .merge(links::router())
        .merge(payments::router())
        .merge(discover::router())
        .merge(studio::router())
        .merge(creators::router())
        .fallback(not_found)
}
