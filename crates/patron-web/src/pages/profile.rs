//! `/account/settings`: a person changes their own name, e-mail address (moved once the new
//! address is confirmed; the old one is told) and password (their other sessions end), or
//! erases the account (asked first; see `patron_app::profile`).

use super::{Layout, Page, render};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::PageForm;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use patron_app::accounts::profile;
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/account/settings", get(settings_page))
        .route("/account/name", post(rename))
        .route("/account/email", post(change_email))
        .route("/account/password", post(change_password))
        .route("/account/delete", post(erase))
}

#[derive(Template)]
#[template(path = "account_settings.html")]
struct SettingsPage {
    layout: Layout,
    display_name: String,
    email: String,
    /// What was just saved (a catalogue key).
    saved: Option<&'static str>,
    /// The form that failed, and why.
    error: Option<(&'static str, String)>,
}

impl SettingsPage {
    /// The error of `form`, if it is the one that failed.
    fn error_of(&self, form: &str) -> Option<&str> {
        self.error.as_ref().filter(|(which, _)| *which == form).map(|(_, message)| message.as_str())
    }
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

fn login_first() -> Response {
    Redirect::to("/login?next=/account/settings").into_response()
}

async fn settings_page(page: Page, Query(query): Query<SavedQuery>) -> Response {
    let saved = match query.saved.as_deref() {
        Some("name") => Some("settings.saved_name"),
        Some("email") => Some("settings.saved_email"),
        Some("password") => Some("settings.saved_password"),
        _ => None,
    };
    view(page, StatusCode::OK, saved, None)
}

fn view(
    page: Page,
    status: StatusCode,
    saved: Option<&'static str>,
    error: Option<(&'static str, ApiError)>,
) -> Response {
    let Some(current) = page.user.0.as_ref() else { return login_first() };
    let (display_name, email) = (current.user.display_name.clone(), current.user.email.clone());
    let status = error.as_ref().map(|(_, e)| e.status()).unwrap_or(status);
    let error = error.map(|(form, error)| (form, error.message().to_owned()));
    render(status, &SettingsPage { layout: page.layout, display_name, email, saved, error })
}

#[derive(Deserialize)]
struct NameForm {
    #[serde(default)]
    display_name: String,
}

async fn rename(State(state): State<AppState>, page: Page, PageForm(form): PageForm<NameForm>) -> Response {
    let Some(current) = page.user.0.as_ref() else { return login_first() };
    match profile::rename(&state.app, &current.user, &form.display_name).await {
        Ok(()) => Redirect::to("/account/settings?saved=name").into_response(),
        Err(error) => view(page, StatusCode::OK, None, Some(("name", error.into()))),
    }
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

async fn change_email(State(state): State<AppState>, page: Page, PageForm(form): PageForm<EmailForm>) -> Response {
    let Some(current) = page.user.0.as_ref() else { return login_first() };
    match profile::request_email_change(&state.app, &current.user, &form.email, &form.current_password).await {
        Ok(()) => Redirect::to("/account/settings?saved=email").into_response(),
        Err(error) => view(page, StatusCode::OK, None, Some(("email", error.into()))),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
}

async fn change_password(
    State(state): State<AppState>,
    page: Page,
    PageForm(form): PageForm<PasswordForm>,
) -> Response {
    let Some(current) = page.user.0.as_ref() else { return login_first() };
    let changed = profile::change_password(
        &state.app,
        &current.user,
        &current.session.id,
        &form.current_password,
        &form.password,
    )
    .await;
    match changed {
        Ok(_) => Redirect::to("/account/settings?saved=password").into_response(),
        Err(error) => view(page, StatusCode::OK, None, Some(("password", error.into()))),
    }
}

#[derive(Deserialize)]
struct EraseForm {
    #[serde(default)]
    current_password: String,
}

/// `POST /account/delete` (asked first by `confirm`): erases the account and logs out.
async fn erase(State(state): State<AppState>, page: Page, PageForm(form): PageForm<EraseForm>) -> Response {
    let Some(current) = page.user.0.as_ref() else { return login_first() };
    match profile::erase(&state.app, &current.user, &form.current_password).await {
        Ok(()) => {
            let mut response = Redirect::to("/login?erased=1").into_response();
            response.headers_mut().append(header::SET_COOKIE, crate::auth::clear_session_cookie(&state));
            response
        }
        Err(error) => view(page, StatusCode::OK, None, Some(("delete", error.into()))),
    }
}
