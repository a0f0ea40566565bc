//! Payments over HTTP: starting a checkout, receiving a provider's answer, a fan's
//! memberships and a creator's numbers. The money logic lives in `patron-payments`.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::creators::PageAccess;
use crate::error::ApiError;
use axum::http::StatusCode;
use patron_domain::membership::{BillingInterval, MembershipStatus};
use patron_domain::{Id, Timestamp};
use patron_payments::{PaymentError, Settled};
use patron_store::payments::{Billing, Checkout};
use std::collections::BTreeMap;

pub(crate) fn payment_error(error: PaymentError) -> ApiError {
    match error {
        PaymentError::BadSignature
        | PaymentError::Malformed(_)
        | PaymentError::UnknownCheckout
        | PaymentError::AmountMismatch { .. } => ApiError::bad_request("payment_answer_refused", error.to_string()),
        PaymentError::UnknownProvider(_) => ApiError::not_found(),
        PaymentError::Store(error) => error.into(),
        PaymentError::Provider(message) => ApiError::unavailable(message),
        PaymentError::Declined(reason) => ApiError::new(
            StatusCode::PAYMENT_REQUIRED,
            "payment_declined",
            format!("The payment was declined: {reason}"),
        ),
        PaymentError::NotChangeable(why) => ApiError::conflict("not_changeable", why),
    }
}

/// Starts a checkout of `tier_id` (monthly, or yearly when the tier has a yearly price) for
/// the viewer of `page`; returns it and where to send the fan to pay.
pub async fn start_checkout(
    state: &AppState,
    page: &PageAccess,
    tier_id: &str,
    interval: Option<&str>,
) -> Result<(Checkout, String), ApiError> {
    let user_id = page.require_user()?;
    let tier_id: Id = tier_id.trim().parse().map_err(|_| ApiError::not_found())?;
    let tier = patron_store::tiers::find(state.db.pool(), page.creator.id, tier_id)
        .await?
        .filter(|t| t.archived_at.is_none())
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "tier_not_found", "This page has no such tier."))?;
    if page.relation.membership.as_ref().is_some_and(|m| m.status != MembershipStatus::Expired) {
        return Err(ApiError::conflict("already_member", "You are already a member of this page."));
    }
    if page.relation.team_role.is_some() {
        return Err(ApiError::conflict("team_member", "The page's team cannot join it as fans."));
    }
    if let Some(cap) = tier.member_cap
        && patron_store::memberships::count_live_for_tier(state.db.pool(), tier.id).await? >= cap
    {
        return Err(ApiError::conflict("tier_full", "This tier is full."));
    }
    let interval = match interval.map(str::trim).filter(|i| !i.is_empty()) {
        None => BillingInterval::Month,
        Some(text) => BillingInterval::parse(text)
            .ok_or_else(|| ApiError::bad_request("bad_interval", "interval must be month or year."))?,
    };
    let amount = match interval {
        BillingInterval::Month => tier.monthly_price,
        BillingInterval::Year => {
            tier.yearly_price.ok_or_else(|| ApiError::conflict("no_yearly_price", "This tier is paid monthly only."))?
        }
    };
    if amount <= 0 {
        return Err(ApiError::conflict("free_tier", "This tier costs nothing: follow the page instead."));
    }
    let provider = state.payments.default_provider().ok_or_else(|| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "payments_unavailable", "No payment provider is configured.")
    })?;
    let checkout = Checkout {
        id: Id::new(),
        user_id,
        creator_id: page.creator.id,
        tier_id: tier.id,
        provider: provider.to_owned(),
        amount,
        currency: tier.currency.clone(),
        interval,
        status: "pending".into(),
        membership_id: None,
        failure: None,
        created_at: Timestamp::now(),
    };
    let url = state.payments.start_checkout(&state.db, &checkout).await.map_err(payment_error)?;
    tracing::info!(checkout_id = %checkout.id, provider, "checkout started");
    Ok((checkout, url))
}

/// Settles a provider's answer; returns what happened and the page's slug.
pub async fn settle(
    state: &AppState,
    provider: &str,
    params: &BTreeMap<String, String>,
) -> Result<(Settled, String), ApiError> {
    let settled = state.payments.settle(&state.db, provider, params).await.map_err(payment_error)?;
    let checkout = patron_store::payments::find_checkout(state.db.pool(), settled.checkout_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let slug = patron_store::creators::find_by_id(state.db.pool(), checkout.creator_id)
        .await?
        .map(|c| c.slug)
        .unwrap_or_default();
    if settled.first {
        // the fan's other open pages and apps learn the result too
        let kind = if settled.paid { "payment.succeeded" } else { "payment.declined" };
        let data = serde_json::json!({
            "checkout_id": checkout.id.to_string(),
            "creator_slug": slug,
            "membership_id": checkout.membership_id.map(|m| m.to_string()),
        });
        state.bus.publish(kind, patron_events::Audience::User(checkout.user_id), data).await;
    }
    Ok((settled, slug))
}

/// A membership of the current user, or 404.
pub async fn own_membership(state: &AppState, user: &CurrentUser, membership_id: &str) -> Result<Billing, ApiError> {
    let id: Id = membership_id.parse().map_err(|_| ApiError::not_found())?;
    patron_store::payments::billing(state.db.pool(), id)
        .await?
        .filter(|m| m.user_id == user.user.id)
        .ok_or_else(ApiError::not_found)
}

/// Moves the viewer's membership of `page` to `tier_id` (see `Payments::change_tier`).
pub async fn change_tier(
    state: &AppState,
    membership: &Billing,
    tier_id: &str,
) -> Result<patron_payments::TierChange, ApiError> {
    let tier_id: Id = tier_id.trim().parse().map_err(|_| ApiError::not_found())?;
    let tier = patron_store::tiers::find(state.db.pool(), membership.creator_id, tier_id)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "tier_not_found", "This page has no such tier."))?;
    state.payments.change_tier(&state.db, membership, &tier, Timestamp::now()).await.map_err(payment_error)
}

/// Refunds a payment as a platform admin (through the provider; ends the membership; written
/// to the audit log). 409 when it is not a succeeded payment.
pub async fn refund(
    state: &AppState,
    admin: &patron_store::users::User,
    payment_id: &str,
) -> Result<patron_store::payments::Payment, ApiError> {
    crate::admin::require_admin(admin)?;
    let payment_id: Id = payment_id.parse().map_err(|_| ApiError::not_found())?;
    let payment =
        patron_store::payments::find_payment(state.db.pool(), payment_id).await?.ok_or_else(ApiError::not_found)?;
    if !state.payments.refund(&state.db, payment.id).await.map_err(payment_error)? {
        return Err(ApiError::conflict("not_refundable", "Only a succeeded payment can be refunded, once."));
    }
    patron_store::audit::record(
        state.db.pool(),
        Some(admin.id),
        "payment.refund",
        &format!("payment:{}", payment.id),
        &format!("{} {}", payment.amount, payment.currency),
    )
    .await?;
    patron_store::payments::find_payment(state.db.pool(), payment.id).await?.ok_or_else(ApiError::not_found)
}

/// The start of the current calendar month (UTC).
pub fn month_start(now: Timestamp) -> Timestamp {
    let at = now.to_offset_datetime();
    let start = at.replace_day(1).map(|d| d.replace_time(::time::Time::MIDNIGHT)).unwrap_or(at);
    Timestamp::from_offset_datetime(start)
}
