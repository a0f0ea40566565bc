//! The pages mailed links lead to, and the forms that send them: confirming an address,
//! resetting a password, signing in by link. A sign-in link opens a page with a button; only
//! the button's POST signs in, so mail scanners that open every link use nothing up.

use super::{Layout, Page, page_error, render};
use crate::AppState;
use crate::auth::session_cookie;
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::extract::PageForm;
use crate::i18n::Lang;
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use patron_app::AppError;
use patron_app::accounts;
use patron_app::sessions::{self, SessionKind};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/verify-email/{token}", get(verify_email))
        .route("/account/verification-email", post(resend_verification))
        .route("/forgot-password", get(forgot_form).post(forgot_submit))
        .route("/reset-password/{token}", get(reset_form).post(reset_submit))
        .route("/sign-in-link", get(sign_in_link_form).post(sign_in_link_submit))
        .route("/sign-in/{token}", get(sign_in_page).post(sign_in_submit))
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    layout: Layout,
    heading: &'static str,
    message: &'static str,
}

fn notice(status: StatusCode, layout: Layout, heading: &'static str, message: &'static str) -> Response {
    let lang = layout.lang;
    render(status, &NoticePage { layout, heading: lang.t(heading), message: lang.t(message) })
}

fn link_gone(layout: Layout) -> Response {
    notice(StatusCode::NOT_FOUND, layout, "links.gone", "links.gone_text")
}

async fn verify_email(State(state): State<AppState>, page: Page, Path(token): Path<String>) -> Response {
    match accounts::verify_email(&state.app, &token).await {
        Ok(()) => notice(StatusCode::OK, page.layout, "links.verified", "links.verified_text"),
        Err(AppError::NotFound(_)) => link_gone(page.layout),
        Err(error) => page_error(error),
    }
}

async fn resend_verification(State(state): State<AppState>, page: Page) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return Redirect::to("/login?next=/account").into_response();
    };
    match accounts::send_verification(&state.app, &user.user).await {
        Ok(()) => notice(StatusCode::OK, page.layout, "links.verification_sent", "links.check_inbox"),
        Err(error) => page_error(error),
    }
}

#[derive(Template)]
#[template(path = "email_form.html")]
struct EmailFormPage {
    layout: Layout,
    heading: &'static str,
    intro: &'static str,
    action: &'static str,
    submit: &'static str,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
}

fn email_form(layout: Layout, forgot: bool, email: String, error: Option<String>) -> EmailFormPage {
    let lang: Lang = layout.lang;
    let (heading, intro, action, submit) = if forgot {
        ("links.forgot", "links.forgot_intro", "/forgot-password", "links.send_reset")
    } else {
        ("links.sign_in_link", "links.sign_in_link_intro", "/sign-in-link", "links.send_sign_in")
    };
    EmailFormPage {
        heading: lang.t(heading),
        intro: lang.t(intro),
        action,
        submit: lang.t(submit),
        email,
        error,
        layout,
    }
}

async fn forgot_form(page: Page) -> Response {
    render(StatusCode::OK, &email_form(page.layout, true, String::new(), None))
}

async fn sign_in_link_form(page: Page) -> Response {
    render(StatusCode::OK, &email_form(page.layout, false, String::new(), None))
}

async fn email_submit(
    state: AppState,
    page: Page,
    ip: Option<Extension<ClientIp>>,
    form: EmailForm,
    forgot: bool,
) -> Response {
    let ip = ip.map(|e| e.0.0);
    let sent = if forgot {
        accounts::request_password_reset(&state.app, &form.email, ip).await
    } else {
        accounts::request_sign_in_link(&state.app, &form.email, ip).await
    };
    match sent {
        Ok(()) => notice(StatusCode::OK, page.layout, "links.sent", "links.sent_text"),
        Err(AppError::Invalid(_)) => {
            let message = page.lang().t("links.bad_email").to_owned();
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &email_form(page.layout, forgot, form.email.trim().to_owned(), Some(message)),
            )
        }
        Err(error) => page_error(error),
    }
}

async fn forgot_submit(
    State(state): State<AppState>,
    page: Page,
    ip: Option<Extension<ClientIp>>,
    PageForm(form): PageForm<EmailForm>,
) -> Response {
    email_submit(state, page, ip, form, true).await
}

async fn sign_in_link_submit(
    State(state): State<AppState>,
    page: Page,
    ip: Option<Extension<ClientIp>>,
    PageForm(form): PageForm<EmailForm>,
) -> Response {
    email_submit(state, page, ip, form, false).await
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPage {
    layout: Layout,
    token: String,
    error: Option<String>,
}

async fn reset_form(State(state): State<AppState>, page: Page, Path(token): Path<String>) -> Response {
    match accounts::password_reset_is_open(&state.app, &token).await {
        Ok(()) => render(StatusCode::OK, &ResetPage { layout: page.layout, token, error: None }),
        Err(AppError::NotFound(_)) => link_gone(page.layout),
        Err(error) => page_error(error),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
}

async fn reset_submit(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
    PageForm(form): PageForm<PasswordForm>,
) -> Response {
    match accounts::reset_password(&state.app, &token, &form.password).await {
        Ok(_) => notice(StatusCode::OK, page.layout, "links.password_changed", "links.password_changed_text"),
        Err(AppError::NotFound(_)) => link_gone(page.layout),
        Err(error) => {
            let error = ApiError::from(error);
            let message =
                error.fields().first().map(|f| f.message.clone()).unwrap_or_else(|| error.message().to_owned());
            render(error.status(), &ResetPage { layout: page.layout, token, error: Some(message) })
        }
    }
}

#[derive(Template)]
#[template(path = "sign_in_confirm.html")]
struct SignInPage {
    layout: Layout,
    token: String,
}

async fn sign_in_page(State(state): State<AppState>, page: Page, Path(token): Path<String>) -> Response {
    match accounts::sign_in_link_is_open(&state.app, &token).await {
        Ok(()) => render(StatusCode::OK, &SignInPage { layout: page.layout, token }),
        Err(AppError::NotFound(_)) => link_gone(page.layout),
        Err(error) => page_error(error),
    }
}

async fn sign_in_submit(
    State(state): State<AppState>,
    page: Page,
    ip: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let user = match accounts::sign_in_with_link(&state.app, &token).await {
        Ok(user) => user,
        Err(AppError::NotFound(_)) => return link_gone(page.layout),
        Err(error) => return page_error(error),
    };
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(200).collect::<String>());
    match sessions::open(&state.app, &user, SessionKind::Cookie, agent.as_deref(), ip.map(|e| e.0.0)).await {
        Ok((token, _)) => {
            let mut response = Redirect::to("/account").into_response();
            response.headers_mut().append(header::SET_COOKIE, session_cookie(&state, &token));
            response
        }
        Err(error) => page_error(error),
    }
}
