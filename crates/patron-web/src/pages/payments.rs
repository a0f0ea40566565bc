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
        .route("/{slug}/join", get(super::checkout::summary).post(join))
        .route("/{slug}/switch", post(switch))
        .route("/payments/return/{provider}", get(provider_return))
        .route("/payments/renew/{membership_id}", get(renew_page).post(renew))
        .route("/payments/stripe/{checkout_id}", get(stripe_page))
        .route("/payments/card/{membership_id}", get(card_page))
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
    country: Option<String>,
    company_name: Option<String>,
    vat_id: Option<String>,
    /// `yes` once the fan saw what a tier change costs and confirmed it.
    #[serde(default)]
    confirmed: String,
}

async fn join(
    State(state): State<AppState>,
    page: Page,
    client_ip: Option<axum::Extension<crate::client_ip::ClientIp>>,
    Path(slug): Path<String>,
    PageForm(form): PageForm<JoinForm>,
) -> Response {
    if page.user.0.is_none() {
        return super::checkout::log_in_first(&slug, &form.tier_id, &form.interval);
    }
    let access = match patron_app::creators::load(&state.app, &slug, page.user.user()).await {
        Ok(access) => access,
        Err(error) => return page_error(error),
    };
    let billing = patron_app::billing::BillingInput {
        country: form.country,
        company_name: form.company_name,
        vat_id: form.vat_id,
        ip: client_ip.map(|axum::Extension(ip)| ip.0),
    };
    match patron_app::memberships::start_checkout(&state.app, &access, &form.tier_id, Some(&form.interval), &billing)
        .await
    {
        Ok((_, url)) => Redirect::to(&url).into_response(),
        Err(error) => page_error(error),
    }
}

/// `POST /{slug}/switch`: first shows what the change costs (the prorated charge now, or the
/// new price from the next period) and asks; changes the tier once confirmed.
async fn switch(
    State(state): State<AppState>,
    page: Page,
    headers: axum::http::HeaderMap,
    Path(slug): Path<String>,
    PageForm(form): PageForm<JoinForm>,
) -> Response {
    let Some(current) = page.user.0.as_ref() else {
        return Redirect::to(&format!("/login?next=/{slug}")).into_response();
    };
    let access = match patron_app::creators::load(&state.app, &slug, Some(&current.user)).await {
        Ok(access) => access,
        Err(error) => return page_error(error),
    };
    let Some(membership) = access.relation.membership.as_ref() else {
        return page_error(patron_app::AppError::nothing_here());
    };
    let billing =
        match patron_app::memberships::own_membership(&state.app, &current.user, &membership.id.to_string()).await {
            Ok(billing) => billing,
            Err(error) => return page_error(error),
        };
    if form.confirmed != "yes" {
        let quote = match patron_app::memberships::quote_tier_change(&state.app, &billing, &form.tier_id).await {
            Ok(quote) => quote,
            Err(error) => return page_error(error),
        };
        return confirm_tier_change(page, &headers, &slug, &form.tier_id, &billing.currency, quote);
    }
    match patron_app::memberships::change_tier(&state.app, &billing, &form.tier_id).await {
        Ok(patron_app::memberships::TierChange::DowngradeScheduled) => {
            Redirect::to(&format!("/{slug}?tier=scheduled")).into_response()
        }
        Ok(_) => Redirect::to(&format!("/{slug}?tier=changed")).into_response(),
        Err(error) => page_error(error),
    }
}

/// The confirmation of a tier change, with its amount.
fn confirm_tier_change(
    page: Page,
    headers: &axum::http::HeaderMap,
    slug: &str,
    tier_id: &str,
    currency: &str,
    quote: patron_app::memberships::TierQuote,
) -> Response {
    use patron_app::memberships::TierQuote;
    let lang = page.lang();
    let money = |amount: i64| crate::i18n::money(amount, currency);
    let date = |at| super::creators::date(lang, at);
    let (question, details) = match quote {
        TierQuote::Upgrade { charge, new_price, renews_on } => (
            lang.t1("switch.upgrade", &money(charge)),
            vec![lang.t2("switch.from_next", &date(renews_on), &money(new_price))],
        ),
        TierQuote::Downgrade { new_price, from } => (
            lang.t("switch.downgrade").to_owned(),
            from.map(|from| vec![lang.t2("switch.from_next", &date(from), &money(new_price))]).unwrap_or_default(),
        ),
        TierQuote::Unchanged => (lang.t("switch.unchanged").to_owned(), Vec::new()),
    };
    let fields = vec![
        ("csrf_token".to_owned(), page.layout.csrf_token.clone()),
        ("tier_id".to_owned(), tier_id.trim().to_owned()),
    ];
    let view = super::confirm::ConfirmPage {
        question,
        details,
        action: format!("/{slug}/switch"),
        fields,
        button: lang.t("switch.confirm").to_owned(),
        back: super::confirm::back_link(headers),
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "renew.html")]
struct RenewPage {
    layout: Layout,
    membership_id: String,
    creator: String,
    tier: String,
    amount: String,
    period_from: String,
}

/// `GET /payments/renew/{id}`: what paying a past-due renewal costs, shown before the fan pays
/// (the link of the mail that asks them to confirm a payment).
async fn renew_page(State(state): State<AppState>, page: Page, Path(membership_id): Path<String>) -> Response {
    let Some(user) = page.user.user() else {
        return Redirect::to(&format!("/login?next=/payments/renew/{membership_id}")).into_response();
    };
    let due = match patron_app::memberships::renewal_due(&state.app, user, &membership_id).await {
        Ok(due) => due,
        Err(error) => return page_error(error),
    };
    let membership = &due.membership;
    let view = RenewPage {
        membership_id: membership.id.to_string(),
        creator: due.page.name.clone(),
        tier: due.tier_name.clone(),
        amount: crate::i18n::money(due.next_amount, &membership.currency),
        period_from: membership.current_period_end.map(|at| super::creators::date(page.lang(), at)).unwrap_or_default(),
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

/// `POST /payments/renew/{id}`: pays the shown renewal at the provider.
async fn renew(State(state): State<AppState>, page: Page, Path(membership_id): Path<String>) -> Response {
    let Some(user) = page.user.user() else {
        return Redirect::to(&format!("/login?next=/payments/renew/{membership_id}")).into_response();
    };
    match patron_app::memberships::pay_renewal(&state.app, user, &membership_id).await {
        Ok((_, url)) => Redirect::to(&url).into_response(),
        Err(error) => page_error(error),
    }
}

#[derive(Template)]
#[template(path = "stripe_pay.html")]
struct StripePayPage {
    layout: Layout,
    checkout_id: String,
    publishable_key: String,
    js_url: String,
    client_secret: String,
    creator: String,
    tier: String,
    amount: String,
    period: String,
}

/// `GET /payments/stripe/{checkout}`: patron's payment page for Stripe — the amount, Stripe's
/// card field, and one button.
async fn stripe_page(State(state): State<AppState>, page: Page, Path(checkout_id): Path<String>) -> Response {
    let Some(user) = page.user.user() else {
        return Redirect::to(&format!("/login?next=/payments/stripe/{checkout_id}")).into_response();
    };
    let stripe = match patron_app::stripe::payment_page(&state.app, user, &checkout_id).await {
        Ok(stripe) => stripe,
        Err(error) => return page_error(error),
    };
    let lang = page.lang();
    let checkout = &stripe.checkout;
    let view = StripePayPage {
        checkout_id: checkout.id.to_string(),
        amount: crate::i18n::money(checkout.amount, &checkout.currency),
        period: lang
            .t(if checkout.interval.as_str() == "year" { "stripe.yearly" } else { "stripe.monthly" })
            .to_owned(),
        publishable_key: stripe.publishable_key,
        js_url: stripe.js_url,
        client_secret: stripe.client_secret,
        creator: stripe.creator_name,
        tier: stripe.tier_name,
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "stripe_card.html")]
struct StripeCardPage {
    layout: Layout,
    membership_id: String,
    publishable_key: String,
    js_url: String,
    client_secret: String,
    creator: String,
}

/// `GET /payments/card/{membership}`: changing the card a Stripe membership's renewals charge.
async fn card_page(State(state): State<AppState>, page: Page, Path(membership_id): Path<String>) -> Response {
    let Some(user) = page.user.user() else {
        return Redirect::to(&format!("/login?next=/payments/card/{membership_id}")).into_response();
    };
    let client_secret = match patron_app::stripe::card_change(&state.app, user, &membership_id).await {
        Ok(secret) => secret,
        Err(error) => return page_error(error),
    };
    let Some(stripe) = state.app.payments.stripe.as_ref() else {
        return page_error(patron_app::AppError::nothing_here());
    };
    let creator = match patron_app::memberships::own_membership(&state.app, user, &membership_id).await {
        Ok(membership) => patron_app::creators::names(&state.app, &[membership.creator_id])
            .await
            .ok()
            .and_then(|names| names.get(&membership.creator_id).map(|p| p.name.clone()))
            .unwrap_or_default(),
        Err(error) => return page_error(error),
    };
    let view = StripeCardPage {
        membership_id,
        publishable_key: stripe.publishable_key().to_owned(),
        js_url: stripe.js_url().to_owned(),
        client_secret,
        creator,
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

async fn provider_return(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    match patron_app::memberships::settle(&state.app, &provider, &params).await {
        Ok((settled, slug)) => {
            let result = if settled.paid { "paid" } else { "declined" };
            Redirect::to(&format!("/{slug}?payment={result}")).into_response()
        }
        Err(error) => page_error(error),
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

async fn pay_page(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let (payment, creator) = match patron_app::payments::sandbox_payment(&state.app, &id).await {
        Ok(found) => found,
        Err(error) => return page_error(error),
    };
    let amount = crate::i18n::money(payment.amount, &payment.currency);
    render(StatusCode::OK, &PayPage { layout: page.layout, id: payment.id, amount, creator, status: payment.status })
}

/// Settles a sandbox payment and sends the fan back to patron with the signed answer; with
/// `twice`, the same answer is also delivered once more at the same moment (as gateways that
/// retry callbacks do).
async fn answer(state: &AppState, id: &str, approved: bool, twice: bool) -> Response {
    let sandbox = match patron_app::payments::sandbox(&state.app) {
        Ok(sandbox) => sandbox,
        Err(error) => return page_error(error),
    };
    let fields = match patron_app::payments::sandbox_answer(&state.app, id, approved).await {
        Ok(fields) => fields,
        Err(error) => return page_error(error),
    };
    if twice {
        let params: BTreeMap<String, String> = fields.iter().cloned().collect();
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(error) = patron_app::memberships::settle(&state.app, "sandbox", &params).await {
                let error = crate::error::ApiError::from(error);
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
    patron_app::payments::sandbox_set_card(&state.app, &user.user, &id, choice.declines).await?;
    Ok(StatusCode::NO_CONTENT)
}
