//! The server-rendered web UI. Templates and assets are compiled into the binary, so one
//! file deploys everything, and every setting is read at run time (lesson 5: no
//! configuration baked into a front-end build).

mod account;
mod admin;
mod checkout;
mod confirm;
mod creators;
mod discover;
pub(crate) mod documents;
mod links;
mod payments;
mod payouts;
mod profile;
mod studio;
mod tax_reports;

use crate::AppState;
use crate::auth::MaybeUser;
use crate::csrf::CsrfToken;
use crate::html::{APP_CSS, APP_JS, ASSET_VERSION, FAVICON, STRIPE_JS, UserView};
use crate::i18n::Lang;
use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

pub(crate) use crate::error::page_error;
pub(crate) use crate::html::{Layout, error_page, render};

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
        let user = MaybeUser::from_request_parts(parts, state).await.map_err(page_error)?;
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
    /// The pages with the most supporters.
    popular: Vec<discover::CreatorCard>,
    /// The newest pages not among them.
    newest: Vec<discover::CreatorCard>,
}

/// `GET /`: what patron is, and the creators to start with — the most supported and the newest.
async fn home(State(state): State<AppState>, page: Page) -> Response {
    let lang = page.lang();
    let list = |sort| patron_app::creators::discover(&state.app, Some(sort), None, None, 6);
    let (popular, newest) = match tokio::try_join!(list("popular"), list("newest")) {
        Ok(lists) => lists,
        Err(error) => return page_error(error),
    };
    let newest: Vec<_> =
        newest.creators.into_iter().filter(|c| !popular.creators.iter().any(|p| p.id == c.id)).collect();
    let view = HomePage {
        popular: discover::creator_cards(lang, &popular.creators),
        newest: discover::creator_cards(lang, &newest),
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

#[derive(Deserialize)]
struct LanguageQuery {
    next: Option<String>,
}

/// `GET /lang/{code}`: remembers the chosen language (in a cookie, and on the account of a
/// logged-in person, whose mails follow it) and goes back to the page.
async fn switch_language(
    State(state): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Query(query): Query<LanguageQuery>,
) -> Response {
    let Some(lang) = Lang::from_code(&code) else {
        return error_page(StatusCode::NOT_FOUND, "Not found", "patron speaks English and Czech.");
    };
    // the cookie switches the pages in any case; the account's choice (for its mails) is kept
    // when the database takes writes
    if let Some(user) = page.user.user()
        && let Err(error) = patron_app::accounts::set_locale(&state.app, user, lang.code()).await
    {
        tracing::warn!(%error, "the account's language was not saved");
    }
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
        "stripe.js" => ("text/javascript; charset=utf-8", STRIPE_JS),
        _ => return error_page(StatusCode::NOT_FOUND, "Not found", "There is no such file."),
    };
    // URLs carry the version, so a new release never meets a stale copy
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=86400")], body).into_response()
}

async fn not_found() -> Response {
    error_page(StatusCode::NOT_FOUND, "Page not found", "There is nothing at this address.")
}

/// The web UI's routes; destructive actions ask first (see [`confirm`]).
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/static/{name}", get(static_asset))
        .route("/lang/{code}", get(switch_language))
        .merge(account::router())
        .merge(profile::router())
        .merge(admin::router())
        .merge(links::router())
        .merge(payments::router())
        .merge(payouts::router())
        .merge(tax_reports::router())
        .merge(documents::router())
        .merge(discover::router())
        .merge(studio::router())
        .merge(creators::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), confirm::middleware))
}
