//! `GET /{slug}/join`: the checkout summary a fan sees before anything is charged — the tier
//! and its benefits, the price per month or per year (with the choice when the tier has a
//! yearly price), the first charge today, the day it renews, the provider, and the billing
//! details. Its button starts the checkout (`POST /{slug}/join`). A visitor who is not logged
//! in is sent to log in or sign up and comes back here with the same tier and interval.

use super::{Layout, Page, page_error, render};
use crate::AppState;
use crate::html::encode_component;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use patron_domain::membership::BillingInterval;
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct JoinQuery {
    #[serde(default)]
    tier_id: String,
    #[serde(default)]
    interval: String,
}

/// One choice of interval on the summary.
struct IntervalChoice {
    value: &'static str,
    label: String,
    chosen: bool,
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage {
    layout: Layout,
    slug: String,
    creator: String,
    tier_id: String,
    tier: String,
    description_html: String,
    benefits: Vec<String>,
    interval: &'static str,
    intervals: Vec<IntervalChoice>,
    amount: String,
    renews_on: String,
    provider: &'static str,
    countries: Vec<super::creators::CountryOption>,
}

/// Where the log-in sends a visitor back to: this summary, with the same choice.
pub(super) fn summary_path(slug: &str, tier_id: &str, interval: &str) -> String {
    let mut path = format!("/{slug}/join?tier_id={}", encode_component(tier_id.trim()));
    if !interval.trim().is_empty() {
        path.push_str(&format!("&interval={}", encode_component(interval.trim())));
    }
    path
}

/// The log-in page, coming back to the summary of `tier_id`.
pub(super) fn log_in_first(slug: &str, tier_id: &str, interval: &str) -> Response {
    let next = summary_path(slug, tier_id, interval);
    Redirect::to(&format!("/login?next={}", encode_component(&next))).into_response()
}

pub(super) async fn summary(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(query): Query<JoinQuery>,
) -> Response {
    if page.user.0.is_none() {
        return log_in_first(&slug, &query.tier_id, &query.interval);
    }
    let access = match patron_app::creators::load(&state.app, &slug, page.user.user()).await {
        Ok(access) => access,
        Err(error) => return page_error(error),
    };
    let quote = match patron_app::memberships::quote(&state.app, &access, &query.tier_id, Some(&query.interval)).await {
        Ok(quote) => quote,
        Err(error) => return page_error(error),
    };
    let lang = page.lang();
    let tier = &quote.tier;
    let price = |interval: BillingInterval, amount: i64| {
        let per = match interval {
            BillingInterval::Month => lang.t("tier.per_month"),
            BillingInterval::Year => lang.t("tier.per_year"),
        };
        format!("{} {per}", crate::i18n::money(amount, &tier.currency))
    };
    let mut intervals = vec![IntervalChoice {
        value: "month",
        label: price(BillingInterval::Month, tier.monthly_price),
        chosen: quote.interval == BillingInterval::Month,
    }];
    if let Some(yearly) = tier.yearly_price.filter(|p| *p > 0) {
        intervals.push(IntervalChoice {
            value: "year",
            label: price(BillingInterval::Year, yearly),
            chosen: quote.interval == BillingInterval::Year,
        });
    }
    let countries = super::creators::country_options(
        lang,
        &patron_app::billing::suggested_country(
            &state.app,
            headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
        ),
    );
    let view = CheckoutPage {
        slug: access.creator.slug.clone(),
        creator: access.creator.name.clone(),
        tier_id: tier.id.to_string(),
        tier: tier.name.clone(),
        description_html: patron_domain::markdown::render(&tier.description),
        benefits: tier.benefits.clone(),
        interval: quote.interval.as_str(),
        intervals,
        amount: crate::i18n::money(quote.amount, &tier.currency),
        renews_on: super::creators::date(lang, quote.renews_on),
        provider: provider_key(quote.provider),
        countries,
        layout: page.layout,
    };
    render(StatusCode::OK, &view)
}

/// The catalogue key naming a payment provider for people.
fn provider_key(provider: &str) -> &'static str {
    match provider {
        "stripe" => "checkout.provider_stripe",
        "gpwebpay" => "checkout.provider_gpwebpay",
        _ => "checkout.provider_sandbox",
    }
}
