//! The mails a membership's payments send: receipts, failed charges, reminders and endings,
//! queued in the transaction that records what they tell.

use crate::Payments;
use patron_domain::{Id, Timestamp};
use patron_mail::Template;
use patron_mail::jobs::{EmailJob, Link, enqueue_email};
use patron_store::StoreError;
use patron_store::payments::Billing;

impl Payments {
    pub(crate) async fn mail(
        &self,
        transaction: &mut patron_store::Transaction,
        membership: &Billing,
        mail: Mail,
    ) -> Result<(), StoreError> {
        let Some(fan) = patron_store::users::find_by_id(&mut **transaction, membership.user_id).await? else {
            return Ok(());
        };
        let Some(creator) = patron_store::creators::find_by_id(&mut **transaction, membership.creator_id).await? else {
            return Ok(());
        };
        let tier_name = patron_store::tiers::find(&mut **transaction, membership.creator_id, membership.tier_id)
            .await?
            .map(|t| t.name)
            .unwrap_or_default();
        // amounts and days as the fan reads them
        let amount = patron_domain::money::format_minor_in(membership.price, &membership.currency, &fan.locale);
        let date = |at: Timestamp| patron_domain::civil::date_text(at, &fan.locale);
        let page = format!("{}/{}", self.base_url, creator.slug);
        // a receipt names the payment's invoice, issued in the same transaction
        let invoice = match &mail {
            Mail::Receipt { payment_id, .. } => {
                patron_store::documents::of_payment(&mut **transaction, *payment_id, "invoice").await?
            }
            _ => None,
        };
        let (key, template, url) = match mail {
            Mail::Receipt { payment_id, paid_until } => (
                format!("receipt:{payment_id}"),
                Template::PaymentReceipt {
                    creator_name: creator.name.clone(),
                    tier_name,
                    amount,
                    paid_until: date(paid_until),
                    reference: payment_id.to_string(),
                    invoice_number: invoice.as_ref().map(|d| d.code.clone()),
                    invoice_url: invoice.map(|d| format!("{}/account/documents/{}", self.base_url, d.id)),
                },
                page,
            ),
            Mail::Failed { retry, attempt } => (
                format!(
                    "payment-failed:{}:{attempt}:{}",
                    membership.id,
                    membership.current_period_end.map(|t| t.as_micros()).unwrap_or(0)
                ),
                Template::PaymentFailed { creator_name: creator.name.clone(), amount, retry_on: date(retry) },
                format!("{}/account", self.base_url),
            ),
            Mail::Authenticate { attempt } => (
                format!(
                    "payment-authenticate:{}:{attempt}:{}",
                    membership.id,
                    membership.current_period_end.map(|t| t.as_micros()).unwrap_or(0)
                ),
                Template::PaymentNeedsAuthentication { creator_name: creator.name.clone(), amount },
                format!("{}/payments/renew/{}", self.base_url, membership.id),
            ),
            Mail::CardExpiring { card, next_charge } => (
                // one reminder per card and charge date
                format!("card-expiring:{}:{}:{}", membership.id, card.expiry(), next_charge.as_micros()),
                Template::CardExpiring {
                    creator_name: creator.name.clone(),
                    card: format!("{} •••• {}", card.brand, card.last4),
                    next_charge_on: date(next_charge),
                    amount,
                },
                format!("{}/account#memberships", self.base_url),
            ),
            Mail::Ending => (
                // once per period: the key names its end
                format!(
                    "membership-ending:{}:{}",
                    membership.id,
                    membership.current_period_end.map(|t| t.as_micros()).unwrap_or(0)
                ),
                Template::MembershipEnding {
                    creator_name: creator.name.clone(),
                    tier_name,
                    ends_on: membership.current_period_end.map(date).unwrap_or_default(),
                },
                format!("{}/account#memberships", self.base_url),
            ),
            Mail::Expired => (
                format!("membership-expired:{}", membership.id),
                Template::MembershipExpired { creator_name: creator.name.clone(), tier_name },
                page,
            ),
        };
        let job = EmailJob {
            key,
            to: fan.email.clone(),
            locale: fan.locale.clone(),
            template,
            link: Link::Plain { url },
            unsubscribe: None,
        };
        enqueue_email(&mut **transaction, &job).await?;
        Ok(())
    }
}

/// What a mail tells; each has an idempotency key of its own, so a step that runs again
/// queues it once.
pub(crate) enum Mail {
    Ending,
    /// The bank wants the fan to confirm the renewal: the link leads to paying it while present.
    Authenticate {
        attempt: i64,
    },
    /// The card on file stops working before the next charge.
    CardExpiring {
        card: patron_domain::card::Card,
        next_charge: Timestamp,
    },
    Receipt {
        payment_id: Id,
        paid_until: Timestamp,
    },
    Failed {
        retry: Timestamp,
        attempt: i64,
    },
    Expired,
}
