//! The job handlers this build runs. Each feature adds its handlers here.

use patron_jobs::JobContext;
use patron_settings::SecretString;
use patron_storage::Storage;
use std::sync::Arc;

/// Every job handler of patron. Fails when the mail settings are unusable.
pub fn registry(
    context: &JobContext,
    secret_key: &SecretString,
    storage: &Storage,
    payments: &patron_payments::Payments,
) -> Result<patron_jobs::Registry, patron_mail::MailError> {
    let mailer = patron_mail::Mailer::from_settings(&context.settings, context.db.clone())?;
    Ok(patron_jobs::Registry::new()
        .with(patron_mail::jobs::SendEmail::new(mailer, secret_key.clone()))
        .with(patron_mail::jobs::PostFanOut)
        .with(patron_media::jobs::ProcessMedia::new(storage.clone()))
        .with(patron_media::jobs::DeleteMedia::new(storage.clone()))
        .with(patron_payments::GatewayFees::new(payments.clone()))
        .with(patron_payments::VatIdCheck::new(payments.clone())))
}

/// The scheduler with every scheduled job of patron.
pub fn scheduler(
    context: JobContext,
    storage: &Storage,
    payments: &patron_payments::Payments,
) -> patron_jobs::Scheduler {
    patron_jobs::Scheduler::new(context).with_tasks(vec![
        Arc::new(patron_mail::digest::WeeklyDigest),
        Arc::new(patron_media::jobs::MediaCleanup::new(storage.clone())),
        Arc::new(patron_payments::MembershipRenewal::new(payments.clone())),
        Arc::new(patron_payments::PayoutsJob::new(payments.clone())),
    ])
}
