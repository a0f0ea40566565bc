//! The job handlers this build runs. Each feature adds its handlers here.

use crate::app::StartupError;
use patron_jobs::JobContext;
use patron_settings::SecretString;

/// Every job handler of patron. Fails when the mail settings are unusable.
pub fn registry(context: &JobContext, secret_key: &SecretString) -> Result<patron_jobs::Registry, StartupError> {
    let mailer = patron_mail::Mailer::from_settings(&context.settings, context.db.clone())
        .map_err(|e| StartupError::Settings(e.to_string()))?;
    Ok(patron_jobs::Registry::new()
        .with(patron_mail::jobs::SendEmail::new(mailer, secret_key.clone()))
        .with(patron_mail::jobs::PostFanOut))
}

/// The scheduler with every scheduled job of patron.
pub fn scheduler(context: JobContext) -> patron_jobs::Scheduler {
    patron_jobs::Scheduler::new(context).with_tasks(vec![std::sync::Arc::new(patron_mail::digest::WeeklyDigest)])
}
