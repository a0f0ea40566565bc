//! Joining a tier from the web, the provider's answer coming back, and the built-in sandbox
//! gateway's pay page.

use super::{Layout, Page, page_error, render};
use crate::AppState;
use crate::extract::PageForm;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::BTreeMap;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/{slug}/join", post(join))
        .route("/{slug}/switch", post(switch))
        .route("/payments/return/{provider}", get(provider_return))
        .route("/sandbox-gateway/payments/{id}", get(pay_page))
        .route("/sandbox-gateway/payments/{id}/approve", post(approve))
        .route("/sandbox-gateway/payments/{id}/approve-twice", post(approve_twice))
        .route("/sandbox-gateway/payments/{id}/decline", post(decline))
        .route("/sandbox-gateway/memberships/{id}/card", post(set_card))
}

#[derive(Deserialize)]
struct JoinForm {
    tier_id: String,
    #[serde(default)]
    interval: String,
}

async fn join(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    PageForm(form): PageForm<JoinForm>,
) -> Response {
    if page.user.0.is_none() {
        return Redirect::to(&format!("/login?next=/{slug}")).into_response();
    }
    let access = match crate::creators::load(&state, &slug, page.user.0.as_ref()).await {
        Ok(access) => access,
        Err(error) => return page_error(&error),
    };
    match crate::payments::start_checkout(&state, &access, &form.tier_id, Some(&form.interval)).await {
        Ok((_, url)) => Redirect::to(&url).into_response(),
        Err(error) => page_error(&error),
    }
}

async fn switch(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    PageForm(form): PageForm<JoinForm>,
) -> Response {
    let Some(current) = page.user.0.as_ref() else {
        return Redirect::to(&format!("/login?next=/{slug}")).into_response();
    };
    let access = match crate::creators::load(&state, &slug, Some(current)).await {
        Ok(access) => access,
        Err(error) => return page_error(&error),
    };
    let Some(membership) = access.relation.membership.as_ref() else {
        return page_error(&crate::error::ApiError::not_found());
    };
    let billing = match crate::payments::own_membership(&state, current, &membership.id.to_string()).await {
        Ok(billing) => billing,
        Err(error) => return page_error(&error),
    };
    match crate::payments::change_tier(&state, &billing, &form.tier_id).await {
        Ok(patron_payments::TierChange::DowngradeScheduled) => {
            Redirect::to(&format!("/{slug}?tier=scheduled")).into_response()
        }
        Ok(_) => Redirect::to(&format!("/{slug}?tier=changed")).into_response(),
        Err(error) => page_error(&error),
    }
}

async fn provider_return(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    match crate::payments::settle(&state, &provider, &params).await {
        Ok((settled, slug)) => {
            let result = if settled.paid { "paid" } else { "declined" };
            Redirect::to(&format!("/{slug}?payment={result}")).into_response()
        }
        Err(error) => page_error(&error),
    }
}

#[derive(Template)]
#[template(path = "sandbox_pay.html")]
struct PayPage {
    layout: Layout,
    id: String,
    amount: String,
    creator: String,
    status: String,
}

async fn sandbox(state: &AppState) -> Result<std::sync::Arc<patron_payments::sandbox::Sandbox>, Response> {
    state.payments.sandbox.clone().ok_or_else(|| page_error(&crate::error::ApiError::not_found()))
}

async fn pay_page(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    if let Err(response) = sandbox(&state).await {
        return response;
    }
    let payment = match patron_store::payments::sandbox_find(state.db.pool(), &id).await {
        Ok(Some(payment)) => payment,
        Ok(None) => return page_error(&crate::error::ApiError::not_found()),
        Err(error) => return page_error(&error.into()),
    };
    let mut creator = String::new();
    if let Some(checkout_id) = payment.checkout_id
        && let Ok(Some(checkout)) = patron_store::payments::find_checkout(state.db.pool(), checkout_id).await
        && let Ok(Some(page)) = patron_store::creators::find_by_id(state.db.pool(), checkout.creator_id).await
    {
        creator = page.name;
    }
    let amount = patron_domain::money::format_minor(payment.amount, &payment.currency);
    render(StatusCode::OK, &PayPage { layout: page.layout, id: payment.id, amount, creator, status: payment.status })
}

/// Settles a sandbox payment and sends the fan back to patron with the signed answer; with
/// `twice`, the same answer is also delivered once more at the same moment (as gateways that
/// retry callbacks do).
async fn answer(state: &AppState, id: &str, approved: bool, twice: bool) -> Response {
    let sandbox = match sandbox(state).await {
        Ok(sandbox) => sandbox,
        Err(response) => return response,
    };
    let payment = match patron_store::payments::sandbox_find(state.db.pool(), id).await {
        Ok(Some(payment)) => payment,
        Ok(None) => return page_error(&crate::error::ApiError::not_found()),
        Err(error) => return page_error(&error.into()),
    };
    let status = if approved { "paid" } else { "declined" };
    match patron_store::payments::sandbox_settle(state.db.pool(), id, status, None).await {
        Ok(true) => {}
        Ok(false) => {
            return page_error(&crate::error::ApiError::conflict(
                "already_settled",
                "This sandbox payment is settled already.",
            ));
        }
        Err(error) => return page_error(&error.into()),
    }
    let fields = sandbox.answer(&payment, approved);
    if twice {
        let params: BTreeMap<String, String> = fields.iter().cloned().collect();
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(error) = crate::payments::settle(&state, "sandbox", &params).await {
                tracing::warn!(code = error.code(), "the sandbox's second delivery was refused");
            }
        });
    }
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    Redirect::to(&format!("{}?{query}", sandbox.return_url())).into_response()
}

async fn approve(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    answer(&state, &id, true, false).await
}

async fn approve_twice(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    answer(&state, &id, true, true).await
}

async fn decline(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    answer(&state, &id, false, false).await
}

#[derive(Deserialize)]
struct CardChoice {
    declines: bool,
}

/// Makes the sandbox card of one of your memberships decline (or accept) renewal charges,
/// to try what a failing card does.
async fn set_card(
    State(state): State<AppState>,
    user: crate::auth::CurrentUser,
    Path(id): Path<String>,
    axum::Json(choice): axum::Json<CardChoice>,
) -> Result<StatusCode, crate::error::ApiError> {
    if state.payments.sandbox.is_none() {
        return Err(crate::error::ApiError::not_found());
    }
    let membership = crate::payments::own_membership(&state, &user, &id).await?;
    let Some(token) = membership.provider_token.filter(|_| membership.provider.as_deref() == Some("sandbox")) else {
        return Err(crate::error::ApiError::conflict("not_sandbox", "This membership was not paid in the sandbox."));
    };
    patron_store::payments::sandbox_set_card(state.db.pool(), &token, choice.declines).await?;
    Ok(StatusCode::NO_CONTENT)
}
