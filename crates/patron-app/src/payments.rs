//! Payments and the numbers made of them: a fan's payments, a page's payments, supporters
//! and dashboard for its team, every payment and refunds for platform admins, and the
//! sandbox gateway's own pages.

use crate::creators::PageAccess;
use crate::{App, AppError, User};
use patron_domain::{Id, Timestamp};

pub use patron_store::payments::{Dashboard, Payment, SandboxPayment, Supporter};

/// A user's own payments, newest first.
pub async fn of_user(app: &App, user_id: Id, limit: i64) -> Result<Vec<Payment>, AppError> {
    Ok(patron_store::payments::payments(app.db.pool(), None, Some(user_id), limit).await?)
}

/// A page's payments, newest first (its team).
pub async fn of_page(app: &App, page: &PageAccess, limit: i64) -> Result<Vec<Payment>, AppError> {
    page.require_team()?;
    Ok(patron_store::payments::payments(app.db.pool(), Some(page.creator.id), None, limit).await?)
}

/// A page's supporters with their e-mail addresses (its owner only).
pub async fn supporters(app: &App, page: &PageAccess) -> Result<Vec<Supporter>, AppError> {
    page.require_owner()?;
    Ok(patron_store::payments::supporters(app.db.pool(), page.creator.id).await?)
}

/// A page's numbers (its team): monthly recurring revenue per currency, supporters per tier,
/// new and churned members this calendar month.
pub async fn dashboard(app: &App, page: &PageAccess) -> Result<Dashboard, AppError> {
    page.require_team()?;
    let since = crate::memberships::month_start(Timestamp::now());
    Ok(patron_store::payments::dashboard(app.db.pool(), page.creator.id, since).await?)
}

/// Every payment, newest first (platform admins).
pub async fn all(app: &App, admin: &User, limit: i64) -> Result<Vec<Payment>, AppError> {
    crate::admin::require_admin(admin)?;
    Ok(patron_store::payments::payments(app.db.pool(), None, None, limit).await?)
}

/// One change in a membership's history: its kind (`created`, `renewed`, `refunded`, …), its
/// change of monthly recurring revenue in minor units, the currency, and when.
pub type HistoryEntry = (String, i64, String, Timestamp);

/// The money events of one membership (platform admins).
pub async fn history(app: &App, admin: &User, membership_id: &str) -> Result<Vec<HistoryEntry>, AppError> {
    crate::admin::require_admin(admin)?;
    let membership_id: Id = membership_id.parse().map_err(|_| AppError::nothing_here())?;
    Ok(patron_store::payments::history(app.db.pool(), membership_id).await?)
}

/// Refunds a payment as a platform admin (through the provider; ends the membership; written
/// to the audit log). `Conflict` when it is not a succeeded payment.
pub async fn refund(app: &App, admin: &User, payment_id: &str) -> Result<Payment, AppError> {
    crate::admin::require_admin(admin)?;
    let payment_id: Id = payment_id.parse().map_err(|_| AppError::nothing_here())?;
    let payment =
        patron_store::payments::find_payment(app.db.pool(), payment_id).await?.ok_or_else(AppError::nothing_here)?;
    if !app.payments.refund(&app.db, payment.id).await? {
        return Err(AppError::conflict("not_refundable", "Only a succeeded payment can be refunded, once."));
    }
    patron_store::audit::record(
        app.db.pool(),
        Some(admin.id),
        "payment.refund",
        &format!("payment:{}", payment.id),
        &format!("{} {}", payment.amount, payment.currency),
    )
    .await?;
    patron_store::payments::find_payment(app.db.pool(), payment.id).await?.ok_or_else(AppError::nothing_here)
}

/// Records a chargeback a gateway reported outside patron (GP webpay's acquirer tells the
/// merchant by its reports, not by a message patron receives): `open`, then `won` or `lost`,
/// which ends the membership — as Stripe's dispute events do. Platform admins; written to the
/// audit log. Stripe's disputes come from Stripe and are not recorded by hand.
pub async fn record_dispute(app: &App, admin: &User, payment_id: &str, status: &str) -> Result<Payment, AppError> {
    use patron_payments::DisputeOutcome;
    crate::admin::require_admin(admin)?;
    let payment_id: Id = payment_id.parse().map_err(|_| AppError::nothing_here())?;
    let payment =
        patron_store::payments::find_payment(app.db.pool(), payment_id).await?.ok_or_else(AppError::nothing_here)?;
    let outcome = match status {
        "open" => DisputeOutcome::Open,
        "won" => DisputeOutcome::Won,
        "lost" => DisputeOutcome::Lost,
        _ => return Err(AppError::invalid("status", "The dispute's status is open, won or lost.")),
    };
    if payment.provider == "stripe" {
        return Err(AppError::conflict("reported_by_stripe", "Stripe reports its disputes to patron itself."));
    }
    if payment.status != "succeeded" {
        return Err(AppError::conflict("not_disputable", "Only a succeeded payment can be disputed."));
    }
    app.payments.record_dispute(&app.db, payment.id, &format!("manual:{}", payment.id), outcome).await?;
    patron_store::audit::record(
        app.db.pool(),
        Some(admin.id),
        "payment.dispute",
        &format!("payment:{}", payment.id),
        status,
    )
    .await?;
    patron_store::payments::find_payment(app.db.pool(), payment.id).await?.ok_or_else(AppError::nothing_here)
}

// ---- the sandbox gateway's pay page ----

/// The sandbox gateway, or `NotFound` when it is not configured.
pub fn sandbox(app: &App) -> Result<std::sync::Arc<patron_payments::sandbox::Sandbox>, AppError> {
    app.payments.sandbox.clone().ok_or_else(AppError::nothing_here)
}

/// A sandbox payment and the name of the page it pays (for its pay page).
pub async fn sandbox_payment(app: &App, id: &str) -> Result<(SandboxPayment, String), AppError> {
    sandbox(app)?;
    let payment = patron_store::payments::sandbox_find(app.db.pool(), id).await?.ok_or_else(AppError::nothing_here)?;
    let mut creator = String::new();
    if let Some(checkout_id) = payment.checkout_id
        && let Some(checkout) = patron_store::payments::find_checkout(app.db.pool(), checkout_id).await?
        && let Some(page) = patron_store::creators::find_by_id(app.db.pool(), checkout.creator_id).await?
    {
        creator = page.name;
    }
    Ok((payment, creator))
}

/// Settles a sandbox payment as the person on its pay page chose; returns the signed answer
/// the gateway sends back to patron, as a real gateway would.
pub async fn sandbox_answer(app: &App, id: &str, approved: bool) -> Result<Vec<(String, String)>, AppError> {
    let sandbox = sandbox(app)?;
    let payment = patron_store::payments::sandbox_find(app.db.pool(), id).await?.ok_or_else(AppError::nothing_here)?;
    let status = if approved { "paid" } else { "declined" };
    if !patron_store::payments::sandbox_settle(app.db.pool(), id, status, None).await? {
        return Err(AppError::conflict("already_settled", "This sandbox payment is settled already."));
    }
    Ok(sandbox.answer(&payment, approved))
}

/// Makes the sandbox card of one of the user's memberships decline (or accept) renewal
/// charges, to try what a failing card does.
pub async fn sandbox_set_card(app: &App, user: &User, membership_id: &str, declines: bool) -> Result<(), AppError> {
    sandbox(app)?;
    let membership = crate::memberships::own_membership(app, user, membership_id).await?;
    let Some(token) = membership.provider_token.filter(|_| membership.provider.as_deref() == Some("sandbox")) else {
        return Err(AppError::conflict("not_sandbox", "This membership was not paid in the sandbox."));
    };
    patron_store::payments::sandbox_set_card(app.db.pool(), &token, declines).await?;
    Ok(())
}
