//! Paying team members: each person's bank account (private to them and to platform admins,
//! whose every look is audit-logged), and the admin's side of payouts — the batches the
//! `payouts` job makes, their bank files, and the bank's answer marked by hand.

use crate::{App, AppError, User};
use patron_domain::bank::Iban;
use patron_domain::{Id, Timestamp, ValidationError};
use patron_payments::PayoutRun;
use patron_store::payouts::PayeeAccount;
pub use patron_store::payouts::{Batch, BatchStatus, Payout, PayoutStatus};

/// A payee's bank account as they and admins see it.
#[derive(Debug, Clone)]
pub struct BankAccount {
    /// The holder's name.
    pub holder: String,
    /// The IBAN.
    pub iban: Iban,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

fn bank_account_of(account: PayeeAccount) -> Result<BankAccount, AppError> {
    let iban = Iban::parse("iban", &account.iban).map_err(|e| AppError::internal(format!("a stored IBAN: {e:?}")))?;
    Ok(BankAccount { holder: account.holder, iban, updated_at: account.updated_at })
}

/// The caller's own bank account, when they gave one.
pub async fn bank_account(app: &App, user: &User) -> Result<Option<BankAccount>, AppError> {
    patron_store::payouts::payee_account(app.db.pool(), user.id).await?.map(bank_account_of).transpose()
}

/// Sets the caller's bank account: the holder's name (1 to 70 characters) and an IBAN, or a
/// Czech account number (`19-2000145399/0800`) taken as its IBAN. A wrong checksum or an
/// empty name is refused, naming the field, and nothing changes. Audit-logged without the
/// number.
pub async fn set_bank_account(app: &App, user: &User, holder: &str, iban: &str) -> Result<BankAccount, AppError> {
    let mut problems = Vec::new();
    let holder = holder.trim();
    if holder.is_empty() || holder.chars().count() > 70 || holder.chars().any(char::is_control) {
        problems.push(ValidationError::new(
            "holder",
            "is the account holder's name as the bank knows it (1 to 70 characters)",
        ));
    }
    let iban = Iban::parse("iban", iban).map_err(|e| problems.push(e)).ok();
    let Some(iban) = iban.filter(|_| problems.is_empty()) else { return Err(AppError::Invalid(problems)) };
    let mut transaction = app.db.begin_write().await?;
    patron_store::payouts::set_payee_account(&mut *transaction, user.id, holder, iban.as_str()).await?;
    patron_store::audit::record(
        &mut *transaction,
        Some(user.id),
        "bank_account.set",
        &format!("user:{}", user.id),
        &format!("{} account ending {}", iban.country(), &iban.as_str()[iban.as_str().len() - 4..]),
    )
    .await?;
    transaction.commit().await?;
    Ok(BankAccount { holder: holder.to_owned(), iban, updated_at: Timestamp::now() })
}

/// A platform admin looks at someone's bank account; the look is audit-logged.
pub async fn admin_bank_account(app: &App, admin: &User, user_id: &str) -> Result<Option<BankAccount>, AppError> {
    crate::admin::require_admin(admin)?;
    let user_id: Id = user_id.parse().map_err(|_| AppError::nothing_here())?;
    patron_store::users::find_by_id(app.db.pool(), user_id).await?.ok_or_else(AppError::nothing_here)?;
    let account = patron_store::payouts::payee_account(app.db.pool(), user_id).await?;
    patron_store::audit::record(app.db.pool(), Some(admin.id), "bank_account.view", &format!("user:{user_id}"), "")
        .await?;
    account.map(bank_account_of).transpose()
}

/// The newest batches (platform admins).
pub async fn batches(app: &App, admin: &User) -> Result<Vec<Batch>, AppError> {
    crate::admin::require_admin(admin)?;
    Ok(patron_store::payouts::batches(app.db.pool(), 100).await?)
}

async fn find_batch(app: &App, batch_id: &str) -> Result<Batch, AppError> {
    let batch_id: Id = batch_id.parse().map_err(|_| AppError::nothing_here())?;
    patron_store::payouts::batch(app.db.pool(), batch_id).await?.ok_or_else(AppError::nothing_here)
}

/// One batch with its payouts, bank accounts included (platform admins; audit-logged).
pub async fn batch(app: &App, admin: &User, batch_id: &str) -> Result<(Batch, Vec<Payout>), AppError> {
    crate::admin::require_admin(admin)?;
    let batch = find_batch(app, batch_id).await?;
    let payouts = patron_store::payouts::payouts_of(app.db.pool(), batch.id).await?;
    patron_store::audit::record(
        app.db.pool(),
        Some(admin.id),
        "payouts.view",
        &format!("payout_batch:{}", batch.id),
        "",
    )
    .await?;
    Ok((batch, payouts))
}

/// A batch's bank file: its name and the pain.001.001.03 XML (platform admins; audit-logged).
pub async fn batch_file(app: &App, admin: &User, batch_id: &str) -> Result<(String, String), AppError> {
    crate::admin::require_admin(admin)?;
    let batch = find_batch(app, batch_id).await?;
    let payouts = patron_store::payouts::payouts_of(app.db.pool(), batch.id).await?;
    let xml = app.payments.batch_file(&batch, &payouts, Timestamp::now()).map_err(|_| {
        AppError::conflict(
            "payouts_not_configured",
            "Set PATRON_PAYOUT_IBAN and PATRON_PAYOUT_NAME to make bank files.",
        )
    })?;
    patron_store::audit::record(
        app.db.pool(),
        Some(admin.id),
        "payouts.file",
        &format!("payout_batch:{}", batch.id),
        "",
    )
    .await?;
    let day: String = batch.created_at.to_rfc3339().chars().take(10).collect();
    Ok((format!("payouts-{day}-{}.xml", batch.currency.to_ascii_lowercase()), xml))
}

/// Marks a batch sent to the bank: its pending payouts left the platform's account
/// (platform admins; audit-logged). A batch sent before is a conflict.
pub async fn mark_sent(app: &App, admin: &User, batch_id: &str) -> Result<Batch, AppError> {
    crate::admin::require_admin(admin)?;
    let batch = find_batch(app, batch_id).await?;
    if batch.status == BatchStatus::Sent {
        return Err(AppError::conflict("batch_sent", "This batch was marked sent before."));
    }
    let mut transaction = app.db.begin_write().await?;
    let count = app.payments.mark_batch_sent(&mut transaction, &batch, admin.id, Timestamp::now()).await?;
    patron_store::audit::record(
        &mut *transaction,
        Some(admin.id),
        "payouts.sent",
        &format!("payout_batch:{}", batch.id),
        &format!("{count} payouts"),
    )
    .await?;
    transaction.commit().await?;
    find_batch(app, batch_id).await
}

/// Marks one payout failed: the bank did not pay it or sent it back, and the money is the
/// payee's again (platform admins; audit-logged with the reason, which is required).
pub async fn mark_failed(
    app: &App,
    admin: &User,
    batch_id: &str,
    payout_id: &str,
    reason: &str,
) -> Result<Payout, AppError> {
    crate::admin::require_admin(admin)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::invalid(
            "reason",
            "says why the payout failed, as the bank told it (up to 500 characters)",
        ));
    }
    let payout_id: Id = payout_id.parse().map_err(|_| AppError::nothing_here())?;
    let payout = patron_store::payouts::payout(app.db.pool(), payout_id)
        .await?
        .filter(|p| p.batch_id.to_string() == batch_id)
        .ok_or_else(AppError::nothing_here)?;
    if payout.status == PayoutStatus::Failed {
        return Err(AppError::conflict("payout_failed", "This payout was marked failed before."));
    }
    let mut transaction = app.db.begin_write().await?;
    app.payments.mark_payout_failed(&mut transaction, &payout, reason, Timestamp::now()).await?;
    patron_store::audit::record(
        &mut *transaction,
        Some(admin.id),
        "payout.failed",
        &format!("payout:{}", payout.id),
        reason,
    )
    .await?;
    transaction.commit().await?;
    patron_store::payouts::payout(app.db.pool(), payout_id).await?.ok_or_else(AppError::nothing_here)
}

/// Runs the payouts job now (platform admins; audit-logged): what is due goes into batches.
pub async fn run(app: &App, admin: &User) -> Result<PayoutRun, AppError> {
    crate::admin::require_admin(admin)?;
    if app.settings.payouts.debtor.is_none() {
        return Err(AppError::conflict(
            "payouts_not_configured",
            "Set PATRON_PAYOUT_IBAN and PATRON_PAYOUT_NAME: the platform's account payouts are sent from.",
        ));
    }
    let run = app.payments.pay_out(&app.db, Timestamp::now()).await?;
    let detail = format!("{} payouts in {} batches", run.payouts, run.batches.len());
    patron_store::audit::record(app.db.pool(), Some(admin.id), "payouts.run", "payouts", &detail).await?;
    Ok(run)
}

/// What a payout run now would pay, per currency (platform admins).
pub async fn due_now(app: &App, admin: &User) -> Result<Vec<patron_payments::DueTotal>, AppError> {
    crate::admin::require_admin(admin)?;
    Ok(app.payments.due_now(&app.db, Timestamp::now()).await?)
}

/// Whether payouts can be made: the platform's account is set.
pub fn configured(app: &App) -> bool {
    app.settings.payouts.debtor.is_some()
}

/// The caller's own payouts, newest first.
pub async fn my_payouts(app: &App, user: &User) -> Result<Vec<Payout>, AppError> {
    Ok(patron_store::payouts::payouts_of_user(app.db.pool(), user.id, 100).await?)
}

/// The platform's books in one currency, as an operator reads them (minor units).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BooksSummary {
    /// ISO 4217 code.
    pub currency: String,
    /// What the gateways hold for the platform: paid by fans, less refunds, gateways' fees and
    /// payouts sent.
    pub held: i64,
    /// The platform's fee revenue.
    pub platform_fees: i64,
    /// What the gateways charged.
    pub gateway_fees: i64,
    /// Held by fans' banks while disputes are decided.
    pub disputed: i64,
    /// Owed to the pages' teams.
    pub owed_to_creators: i64,
    /// Payouts sent to the bank and not yet confirmed.
    pub in_transit: i64,
    /// VAT owed to the tax authority.
    pub vat_owed: i64,
}

/// The books per currency (platform admins). They balance: what the platform holds, what the
/// banks hold in disputes and what the gateways took (`held + disputed + gateway_fees`) is what
/// it earned, owes and has sent (`platform_fees + owed_to_creators + in_transit + vat_owed`).
pub async fn books(app: &App, admin: &User) -> Result<Vec<BooksSummary>, AppError> {
    crate::admin::require_admin(admin)?;
    let balances = patron_store::books::balances(app.db.pool(), "", None).await?;
    let mut summaries: Vec<BooksSummary> = Vec::new();
    for balance in balances {
        let index = match summaries.iter().position(|s| s.currency == balance.currency) {
            Some(index) => index,
            None => {
                summaries.push(BooksSummary { currency: balance.currency.clone(), ..BooksSummary::default() });
                summaries.len() - 1
            }
        };
        let summary = &mut summaries[index];
        // debits are positive: what the platform holds or paid; credits negative: what it owes
        match balance.account.as_str() {
            "clearing" => summary.held += balance.amount,
            "platform_fees" => summary.platform_fees -= balance.amount,
            "gateway_fees" => summary.gateway_fees += balance.amount,
            "disputes" => summary.disputed += balance.amount,
            "in_transit" => summary.in_transit -= balance.amount,
            "vat_payable" => summary.vat_owed -= balance.amount,
            payee if payee.starts_with("payee:") => summary.owed_to_creators -= balance.amount,
            _ => {}
        }
    }
    Ok(summaries)
}
