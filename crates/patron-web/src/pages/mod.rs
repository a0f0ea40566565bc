//! The server-rendered web UI. Templates and assets are compiled into the binary, so one
//! file deploys everything, and every setting is read at run time (lesson 5: no
//! configuration baked into a front-end build).

mod account;

use crate::AppState;
use crate::auth::MaybeUser;
use crate::csrf::CsrfToken;
use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Changes whenever the stylesheet changes, so browsers may cache it for long.
const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");
const APP_CSS: &str = include_str!("../../static/app.css");
const FAVICON: &str = include_str!("../../static/favicon.svg");

/// What the layout shows around every page.
pub(crate) struct Layout {
    pub csrf_token: String,
    pub asset_version: &'static str,
    pub current_user: Option<UserView>,
}

impl Layout {
    pub(crate) fn new(csrf: Option<&CsrfToken>, user: &MaybeUser) -> Self {
        Self {
            csrf_token: csrf.map(|t| t.0.clone()).unwrap_or_default(),
            asset_version: ASSET_VERSION,
            current_user: user.0.as_ref().map(|c| UserView { display_name: c.user.display_name.clone() }),
        }
    }

    fn anonymous() -> Self {
        Self { csrf_token: String::new(), asset_version: ASSET_VERSION, current_user: None }
    }
}

/// The signed-in user as the layout shows them.
pub(crate) struct UserView {
    pub display_name: String,
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

async fn home(user: MaybeUser, csrf: Option<axum::Extension<CsrfToken>>) -> Response {
    let layout = Layout::new(csrf.as_ref().map(|e| &e.0), &user);
    render(StatusCode::OK, &HomePage { layout })
}

async fn static_asset(Path(name): Path<String>) -> Response {
    let (content_type, body) = match name.as_str() {
        "app.css" => ("text/css; charset=utf-8", APP_CSS),
        "favicon.svg" => ("image/svg+xml", FAVICON),
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
        .merge(account::router())
        .fallback(not_found)
}
