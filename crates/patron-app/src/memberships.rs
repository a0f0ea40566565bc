//! Memberships: joining a tier through a checkout, the provider's answer, changing tier,
//! cancelling and resuming, and a fan's own memberships. The money logic — charges, periods,
//! the ledger — lives in `patron-payments`.

use crate::creators::PageAccess;
use crate::{App, AppError, Problem, User};
use patron_domain::membership::{BillingInterval, MembershipStatus};
use patron_domain::{Id, Timestamp};
use std::collections::BTreeMap;

pub use patron_payments::{Settled, TierChange, TierQuote};
pub use patron_store::payments::{Billing, Checkout, Payment};

/// What joining a tier costs, shown to the fan before anything is charged: the tier, the
/// price at the chosen interval, the first charge today and the day it renews.
#[derive(Debug, Clone)]
pub struct Quote {
    /// The tier.
    pub tier: patron_store::tiers::Tier,
    /// The chosen interval.
    pub interval: BillingInterval,
    /// What is charged today and at each renewal, in minor units of the tier's currency.
    pub amount: i64,
    /// When the membership renews (and is charged again) unless cancelled.
    pub renews_on: Timestamp,
    /// The payment provider the fan pays through (`sandbox`, `stripe`, `gpwebpay`…).
    pub provider: &'static str,
}

/// What joining `tier_id` at `interval` (monthly unless `year`) costs the viewer of `page`,
/// or why they cannot join: the checks of [`start_checkout`], without starting anything.
pub async fn quote(app: &App, page: &PageAccess, tier_id: &str, interval: Option<&str>) -> Result<Quote, AppError> {
    page.require_user()?;
    let tier_id: Id = tier_id.trim().parse().map_err(|_| AppError::nothing_here())?;
    let tier = patron_store::tiers::find(app.db.pool(), page.creator.id, tier_id)
        .await?
        .filter(|t| t.archived_at.is_none())
        .ok_or_else(crate::tiers::tier_not_found)?;
    if page.relation.membership.as_ref().is_some_and(|m| m.status != MembershipStatus::Expired) {
        return Err(AppError::conflict("already_member", "You are already a member of this page."));
    }
    if page.relation.team_role.is_some() {
        return Err(AppError::conflict("team_member", "The page's team cannot join it as fans."));
    }
    if let Some(cap) = tier.member_cap
        && patron_store::memberships::count_live_for_tier(app.db.pool(), tier.id).await? >= cap
    {
        return Err(AppError::conflict("tier_full", "This tier is full."));
    }
    let interval = match interval.map(str::trim).filter(|i| !i.is_empty()) {
        None => BillingInterval::Month,
        Some(text) => BillingInterval::parse(text)
            .ok_or_else(|| AppError::malformed("bad_interval", "interval must be month or year."))?,
    };
    let amount = match interval {
        BillingInterval::Month => tier.monthly_price,
        BillingInterval::Year => {
            tier.yearly_price.ok_or_else(|| AppError::conflict("no_yearly_price", "This tier is paid monthly only."))?
        }
    };
    if amount <= 0 {
        return Err(AppError::conflict("free_tier", "This tier costs nothing: follow the page instead."));
    }
    let provider = app.payments.default_provider().ok_or_else(|| AppError::Unavailable {
        problem: Problem { code: "payments_unavailable", message: "No payment provider is configured.".to_owned() },
        cause: "no payment provider is configured".to_owned(),
    })?;
    Ok(Quote { renews_on: interval.period_end(Timestamp::now()), tier, interval, amount, provider })
}

/// Starts a checkout of `tier_id` (monthly, or yearly when the tier has a yearly price) for
/// the viewer of `page`, billed by the details they gave; returns it and where to send the fan
/// to pay.
pub async fn start_checkout(
    app: &App,
    page: &PageAccess,
    tier_id: &str,
    interval: Option<&str>,
    billing: &crate::billing::BillingInput,
) -> Result<(Checkout, String), AppError> {
    let user_id = page.require_user()?;
    let Quote { tier, interval, amount, provider, .. } = quote(app, page, tier_id, interval).await?;
    let profile = crate::billing::make_profile(app, user_id, billing).await?;
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
        purpose: patron_store::payments::CheckoutPurpose::Join,
        provider_order: None,
        billing_profile_id: Some(profile.id),
        created_at: Timestamp::now(),
    };
    let url = app.payments.start_checkout(&app.db, &checkout).await?;
    tracing::info!(checkout_id = %checkout.id, provider, "checkout started");
    Ok((checkout, url))
}

/// Settles a provider's answer; returns what happened and the page's slug.
pub async fn settle(
    app: &App,
    provider: &str,
    params: &BTreeMap<String, String>,
) -> Result<(Settled, String), AppError> {
    let settled = app.payments.settle(&app.db, provider, params).await?;
    let checkout = patron_store::payments::find_checkout(app.db.pool(), settled.checkout_id)
        .await?
        .ok_or_else(AppError::nothing_here)?;
    let slug = patron_store::creators::find_by_id(app.db.pool(), checkout.creator_id)
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
        app.bus.publish(kind, patron_events::Audience::User(checkout.user_id), data).await;
    }
    Ok((settled, slug))
}

/// A membership of the current user, or `NotFound`.
pub async fn own_membership(app: &App, user: &User, membership_id: &str) -> Result<Billing, AppError> {
    let id: Id = membership_id.parse().map_err(|_| AppError::nothing_here())?;
    patron_store::payments::billing(app.db.pool(), id)
        .await?
        .filter(|m| m.user_id == user.id)
        .ok_or_else(AppError::nothing_here)
}

/// One of the user's own checkouts, or `NotFound`.
pub async fn own_checkout(app: &App, user: &User, checkout_id: &str) -> Result<Checkout, AppError> {
    let id: Id = checkout_id.parse().map_err(|_| AppError::nothing_here())?;
    patron_store::payments::find_checkout(app.db.pool(), id)
        .await?
        .filter(|c| c.user_id == user.id)
        .ok_or_else(AppError::nothing_here)
}

/// The user's memberships, newest first.
pub async fn of_user(app: &App, user_id: Id) -> Result<Vec<Billing>, AppError> {
    Ok(patron_store::payments::of_user(app.db.pool(), user_id).await?)
}

/// Ends one of the user's memberships at the end of its paid period (`cancel`), or takes
/// that back; returns it as it is now.
pub async fn set_cancelled(app: &App, user: &User, membership_id: &str, cancel: bool) -> Result<Billing, AppError> {
    let membership = own_membership(app, user, membership_id).await?;
    app.payments.set_cancelled(&app.db, &membership, cancel).await?;
    own_membership(app, user, membership_id).await
}

/// Starts paying the renewal of one of the user's past-due memberships while they are present
/// (their bank wants them to confirm it, or they pay with another card); returns the checkout
/// and where to send them. The amount was shown to them before.
pub async fn pay_renewal(app: &App, user: &User, membership_id: &str) -> Result<(Checkout, String), AppError> {
    let membership = own_membership(app, user, membership_id).await?;
    Ok(app.payments.start_recovery(&app.db, &membership).await?)
}

/// What paying a past-due membership's renewal now costs, and for which page and tier: shown
/// before the fan pays.
pub async fn renewal_due(app: &App, user: &User, membership_id: &str) -> Result<MembershipSummary, AppError> {
    let membership = own_membership(app, user, membership_id).await?;
    if membership.status != MembershipStatus::PastDue {
        return Err(AppError::conflict("not_past_due", "This membership is not waiting for a payment."));
    }
    let names = crate::creators::names(app, &[membership.creator_id]).await?;
    let tier_name =
        crate::tiers::find(app, membership.creator_id, membership.tier_id).await.map(|t| t.name).unwrap_or_default();
    let page = names.get(&membership.creator_id).cloned().unwrap_or_default();
    let next_amount = app.payments.renewal_price(&app.db, &membership).await?;
    Ok(MembershipSummary { membership, page, tier_name, next_amount })
}

/// Moves the viewer's membership of `page` to `tier_id` (see `Payments::change_tier`).
pub async fn change_tier(
    app: &App,
    membership: &Billing,
    tier_id: &str,
) -> Result<patron_payments::TierChange, AppError> {
    let tier_id: Id = tier_id.trim().parse().map_err(|_| AppError::nothing_here())?;
    let tier = crate::tiers::find(app, membership.creator_id, tier_id).await?;
    Ok(app.payments.change_tier(&app.db, membership, &tier, Timestamp::now()).await?)
}

/// What moving the viewer's membership to `tier_id` would do — the charge now, or the price
/// from the next period — for the fan to see before confirming [`change_tier`].
pub async fn quote_tier_change(app: &App, membership: &Billing, tier_id: &str) -> Result<TierQuote, AppError> {
    let tier_id: Id = tier_id.trim().parse().map_err(|_| AppError::nothing_here())?;
    let tier = crate::tiers::find(app, membership.creator_id, tier_id).await?;
    Ok(patron_payments::quote_tier_change(membership, &tier, Timestamp::now())?)
}

/// The start of the current calendar month (UTC).
pub fn month_start(now: Timestamp) -> Timestamp {
    let at = now.to_offset_datetime();
    let start = at.replace_day(1).map(|d| d.replace_time(::time::Time::MIDNIGHT)).unwrap_or(at);
    Timestamp::from_offset_datetime(start)
}

/// A membership the page's team gives without a charge — the demo's fans today — active
/// for `period` at the tier's price and counted in the page's revenue ledger like a paid one.
pub async fn grant(
    app: &App,
    page: &PageAccess,
    user_id: Id,
    tier_id: Id,
    period: (Timestamp, Timestamp),
) -> Result<Id, AppError> {
    page.require_team()?;
    let tier = crate::tiers::find(app, page.creator.id, tier_id).await?;
    let membership = patron_store::memberships::NewMembership {
        user_id,
        creator_id: page.creator.id,
        tier_id,
        status: MembershipStatus::Active,
        price: tier.monthly_price,
        currency: tier.currency.clone(),
        billing_interval: BillingInterval::Month.as_str(),
        period: Some(period),
        grace_until: None,
    };
    let mut transaction = app.db.begin_write().await?;
    let membership_id = match patron_store::memberships::insert(&mut transaction, &membership).await {
        Ok(id) => id,
        Err(patron_store::memberships::InsertMembershipError::AlreadyMember) => {
            return Err(AppError::conflict("already_member", "They are already a member of this page."));
        }
        Err(patron_store::memberships::InsertMembershipError::Store(error)) => return Err(error.into()),
    };
    if let Some(billing) = patron_store::payments::billing(&mut *transaction, membership_id).await? {
        let monthly = billing.interval.monthly(billing.price);
        patron_store::payments::record_event(&mut transaction, &billing, "created", monthly, None, period.0).await?;
    }
    transaction.commit().await?;
    Ok(membership_id)
}

/// A membership with the names a person knows it by.
#[derive(Debug, Clone)]
pub struct MembershipSummary {
    /// The membership.
    pub membership: Billing,
    /// Its page (empty when the page is gone).
    pub page: crate::creators::PageName,
    /// Its tier's name (empty when the tier is gone).
    pub tier_name: String,
    /// What its next period costs (a scheduled downgrade's price once it applies).
    pub next_amount: i64,
}

/// The user's memberships with their pages' and tiers' names, newest first.
pub async fn summaries(app: &App, user_id: Id) -> Result<Vec<MembershipSummary>, AppError> {
    let list = of_user(app, user_id).await?;
    let ids: Vec<Id> = list.iter().map(|m| m.creator_id).collect();
    let names = crate::creators::names(app, &ids).await?;
    let mut summaries = Vec::with_capacity(list.len());
    for membership in list {
        let tier_name = patron_store::tiers::find(app.db.pool(), membership.creator_id, membership.tier_id)
            .await?
            .map(|t| t.name)
            .unwrap_or_default();
        let page = names.get(&membership.creator_id).cloned().unwrap_or_default();
        let next_amount = app.payments.renewal_price(&app.db, &membership).await?;
        summaries.push(MembershipSummary { membership, page, tier_name, next_amount });
    }
    Ok(summaries)
}
