//! Destructive actions ask first. A form that cancels, refunds, deletes, removes, revokes or
//! hands over is posted with `confirmed=yes` only after the person said so: with JavaScript,
//! a dialog (`data-confirm` on the form); without it, this middleware answers the first post
//! with a page that says what will happen and posts the same fields again, confirmed.
//! Nothing happens until then.

use super::{Layout, Page, render};
use crate::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// The field a confirmed post carries.
pub(crate) const FIELD: &str = "confirmed";

/// The routes that ask first: the route, what the page asks, the button's label.
const ACTIONS: &[(&str, &str, &str)] = &[
    ("/account/memberships/{id}/cancel", "confirm.cancel_membership", "confirm.cancel_button"),
    ("/account/feeds/{feed_id}/revoke", "confirm.revoke_feed", "confirm.revoke_button"),
    ("/admin/payments/{id}/refund", "confirm.refund", "confirm.refund_button"),
    ("/{slug}/posts/{post_id}/comments/{comment_id}/delete", "confirm.delete_comment", "confirm.delete_button"),
    ("/studio/{slug}/posts/{post_id}/delete", "confirm.delete_post", "confirm.delete_button"),
    ("/studio/{slug}/tiers/{tier_id}/archive", "confirm.archive_tier", "confirm.archive_button"),
    ("/studio/{slug}/team/{user_id}/remove", "confirm.remove_member", "confirm.remove_button"),
    ("/studio/{slug}/invitations/{invitation_id}/revoke", "confirm.revoke_invitation", "confirm.revoke_button"),
    ("/studio/{slug}/transfer", "confirm.transfer", "confirm.transfer_button"),
    ("/account/delete", "confirm.delete_account", "confirm.delete_account_button"),
];

#[derive(Template)]
#[template(path = "confirm.html")]
pub(crate) struct ConfirmPage {
    pub layout: Layout,
    /// The question, in the page's language.
    pub question: String,
    /// What it costs or changes, line by line (the tier change's amount…).
    pub details: Vec<String>,
    /// Where the confirmed form posts.
    pub action: String,
    /// The fields posted again (the CSRF token among them), `confirmed=yes` added; a password
    /// is never written into the page: it is asked again.
    pub fields: Vec<(String, String)>,
    pub button: String,
    /// Where "Back" leads.
    pub back: String,
}

/// Whether a form's fields say the person confirmed.
pub(crate) fn confirmed(fields: &[(String, String)]) -> bool {
    fields.iter().any(|(key, value)| key == FIELD && value == "yes")
}

/// The page to go back to: the same-site page the form was on, or the home page.
pub(crate) fn back_link(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|referer| url::Url::parse(referer).ok())
        .map(|url| url[url::Position::BeforePath..].to_owned())
        .map(|path| super::account::safe_next(Some(&path), "/"))
        .unwrap_or_else(|| "/".to_owned())
}

/// Middleware: answers an unconfirmed post to one of [`ACTIONS`] with the confirmation page.
pub(crate) async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let action = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|matched| ACTIONS.iter().find(|(route, ..)| *route == matched.as_str()))
        .copied();
    let Some((_, question, button)) = action.filter(|_| request.method() == Method::POST) else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, state.app.settings.body_limit).await {
        Ok(bytes) => bytes,
        Err(_) => return super::page_error(crate::error::ApiError::payload_too_large()),
    };
    let fields: Vec<(String, String)> =
        url::form_urlencoded::parse(&bytes).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    if confirmed(&fields) {
        return next.run(Request::from_parts(parts, Body::from(bytes))).await;
    }
    let page = match Page::from_request_parts(&mut parts, &state).await {
        Ok(page) => page,
        Err(response) => return response,
    };
    let lang = page.lang();
    let view = ConfirmPage {
        question: lang.t(question).to_owned(),
        details: Vec::new(),
        action: parts.uri.path().to_owned(),
        fields,
        button: lang.t(button).to_owned(),
        back: back_link(&parts.headers),
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}
