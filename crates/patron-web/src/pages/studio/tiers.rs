//! The studio's tiers: the tier form with prices as people type them, and its actions.

use super::{parse_id, studio_action};
use crate::AppState;
use crate::extract::PageForm;
use crate::pages::Page;
use axum::extract::{Path, State};
use axum::response::Response;
use patron_app::AppError;
use patron_domain::money::Currency;
use patron_domain::tier::TierDraft;
use serde::Deserialize;

pub(super) fn price_input(minor: i64, currency: &str) -> String {
    let exponent = Currency::parse(currency).map(|c| c.exponent()).unwrap_or(2);
    let scale = 10_i64.pow(u32::from(exponent));
    if minor % scale == 0 { (minor / scale).to_string() } else { format!("{}.{:02}", minor / scale, minor % scale) }
}

/// A price typed by a person (`59`, `59.5`, `59,50`) in minor units.
fn parse_price(text: &str, currency: &str) -> Option<i64> {
    let exponent = u32::from(Currency::parse(currency).map(|c| c.exponent()).unwrap_or(2));
    let text = text.trim().replace(',', ".").replace([' ', '\u{a0}'], "");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() || fraction.len() > exponent as usize || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 =
        if fraction.is_empty() { 0 } else { format!("{fraction:0<width$}", width = exponent as usize).parse().ok()? };
    whole.checked_mul(10_i64.pow(exponent))?.checked_add(fraction)
}

#[derive(Deserialize)]
pub(super) struct TierForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    benefits: String,
    #[serde(default)]
    monthly_price: String,
    #[serde(default)]
    yearly_price: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    member_cap: String,
}

impl TierForm {
    fn draft(&self) -> Result<TierDraft, AppError> {
        let currency = if self.currency.trim().is_empty() { "CZK" } else { self.currency.trim() };
        let invalid = |field: &'static str| AppError::invalid(field, "must be an amount such as 59 or 59.50");
        let monthly_price = parse_price(&self.monthly_price, currency).ok_or_else(|| invalid("monthly_price"))?;
        let yearly_price = match self.yearly_price.trim() {
            "" => None,
            text => Some(parse_price(text, currency).ok_or_else(|| invalid("yearly_price"))?),
        };
        let member_cap = match self.member_cap.trim() {
            "" => None,
            text => Some(text.parse::<i64>().map_err(|_| AppError::invalid("member_cap", "must be a whole number"))?),
        };
        Ok(TierDraft {
            name: self.name.clone(),
            description: self.description.clone(),
            benefits: self.benefits.lines().map(str::to_owned).collect(),
            monthly_price,
            yearly_price,
            currency: currency.to_owned(),
            member_cap,
        })
    }
}

pub(super) async fn create_tier(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    PageForm(form): PageForm<TierForm>,
) -> Response {
    studio_action(state, page, slug, "tiers", async move |state, access| {
        patron_app::tiers::create_tier(&state.app, access, form.draft()?).await.map(|_| None)
    })
    .await
}

pub(super) async fn update_tier(
    State(state): State<AppState>,
    page: Page,
    Path((slug, tier_id)): Path<(String, String)>,
    PageForm(form): PageForm<TierForm>,
) -> Response {
    studio_action(state, page, slug, "tiers", async move |state, access| {
        patron_app::tiers::update_tier(&state.app, access, parse_id(&tier_id)?, form.draft()?).await.map(|_| None)
    })
    .await
}

pub(super) async fn archive_tier(
    State(state): State<AppState>,
    page: Page,
    Path((slug, tier_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "tiers", async move |state, access| {
        patron_app::tiers::set_tier_archived(&state.app, access, parse_id(&tier_id)?, true).await.map(|()| None)
    })
    .await
}

#[derive(serde::Deserialize)]
pub(super) struct MoveForm {
    #[serde(default)]
    direction: String,
}

/// `POST /studio/{slug}/tiers/{tier_id}/move`: one place earlier (`direction=up`) or later.
pub(super) async fn move_tier(
    State(state): State<AppState>,
    page: Page,
    Path((slug, tier_id)): Path<(String, String)>,
    crate::extract::PageForm(form): crate::extract::PageForm<MoveForm>,
) -> Response {
    let earlier = form.direction == "up";
    studio_action(state, page, slug, "tiers", async move |state, access| {
        patron_app::tiers::move_tier(&state.app, access, parse_id(&tier_id)?, earlier).await.map(|()| None)
    })
    .await
}

pub(super) async fn unarchive_tier(
    State(state): State<AppState>,
    page: Page,
    Path((slug, tier_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "tiers", async move |state, access| {
        patron_app::tiers::set_tier_archived(&state.app, access, parse_id(&tier_id)?, false).await.map(|()| None)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_typed_by_people_become_minor_units() {
        assert_eq!(parse_price("59", "CZK"), Some(5900));
        assert_eq!(parse_price("59,5", "CZK"), Some(5950));
        assert_eq!(parse_price(" 1 990.00 ", "CZK"), Some(199_000));
        assert_eq!(parse_price("4.505", "EUR"), None);
        assert_eq!(parse_price("abc", "CZK"), None);
        assert_eq!(parse_price("-5", "CZK"), Some(-500), "negative prices reach validation, which refuses them");
        assert_eq!(price_input(5900, "CZK"), "59");
        assert_eq!(price_input(450, "EUR"), "4.50");
    }
}
