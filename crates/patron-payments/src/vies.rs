//! VIES, the EU's VAT ID check: a business buyer's VAT ID of another member state makes the
//! sale a reverse charge only when VIES confirms it. The check has a timeout: when VIES does
//! not answer in time the checkout goes on with VAT, and a `vat-id-check` job asks again later
//! (hourly, for two days) so the membership's next payments are reverse-charged once it does.
//!
//! The REST API (`POST {PATRON_VIES_URL}/check-vat-number` with `{"countryCode", "vatNumber"}`)
//! answers `{"valid": true|false, "name": …, "address": …}`; a member state's system being down
//! comes back as an error list (`MS_UNAVAILABLE`, `TIMEOUT`, …) or a non-200 status.

use crate::{PaymentError, Payments};
use patron_domain::vat::VatId;
use patron_domain::{Id, Timestamp};
use patron_jobs::{Handler, JobContext, JobError, JobFuture, payload};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The job's kind.
pub const VAT_ID_CHECK: &str = "vat-id-check";
const VERSION: u16 = 1;

/// What VIES said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViesAnswer {
    /// The ID is registered.
    Valid,
    /// The ID is not registered.
    Invalid,
    /// No answer (timeout, the member state's system down): ask again later.
    Unavailable(String),
}

impl ViesAnswer {
    /// The status a billing profile records.
    pub fn status(&self) -> &'static str {
        match self {
            ViesAnswer::Valid => "confirmed",
            ViesAnswer::Invalid => "invalid",
            ViesAnswer::Unavailable(_) => "unverified",
        }
    }
}

/// The VIES client.
#[derive(Clone, Debug)]
pub struct Vies {
    http: reqwest::Client,
    endpoint: url::Url,
    timeout: Duration,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckRequest<'a> {
    country_code: &'a str,
    vat_number: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckResponse {
    valid: Option<bool>,
    user_error: Option<String>,
    action_succeed: Option<bool>,
    #[serde(default)]
    error_wrappers: Vec<ErrorWrapper>,
}

#[derive(Deserialize)]
struct ErrorWrapper {
    error: Option<String>,
}

impl Vies {
    /// A client of the configured endpoint.
    pub fn from_settings(settings: &patron_settings::TaxSettings) -> Self {
        let base = settings.vies_url.as_str().trim_end_matches('/');
        let endpoint =
            url::Url::parse(&format!("{base}/check-vat-number")).unwrap_or_else(|_| settings.vies_url.clone());
        Self { http: reqwest::Client::new(), endpoint, timeout: settings.vies_timeout }
    }

    /// Asks VIES about `id`, waiting at most the configured timeout.
    pub async fn check(&self, id: &VatId) -> ViesAnswer {
        let (prefix, number) = id.as_str().split_at(2);
        let request = CheckRequest { country_code: prefix, vat_number: number };
        let body = serde_json::to_vec(&request).unwrap_or_default();
        let sent = self
            .http
            .post(self.endpoint.clone())
            .timeout(self.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) if response.status().is_success() => response,
            Ok(response) => return ViesAnswer::Unavailable(format!("VIES answered {}", response.status())),
            Err(error) if error.is_timeout() => {
                return ViesAnswer::Unavailable(format!("VIES did not answer within {:?}", self.timeout));
            }
            Err(error) => return ViesAnswer::Unavailable(format!("VIES cannot be reached: {error}")),
        };
        let read = match response.bytes().await {
            Ok(bytes) => serde_json::from_slice::<CheckResponse>(&bytes).map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        let answer = match read {
            Ok(answer) => answer,
            Err(error) => return ViesAnswer::Unavailable(format!("VIES's answer does not read: {error}")),
        };
        let failure = answer
            .error_wrappers
            .iter()
            .filter_map(|wrapper| wrapper.error.clone())
            .chain(answer.user_error.filter(|e| e != "VALID" && e != "INVALID"))
            .next();
        match (answer.action_succeed, failure, answer.valid) {
            (_, Some(error), _) => ViesAnswer::Unavailable(format!("VIES: {error}")),
            (Some(false), None, _) | (_, None, None) => ViesAnswer::Unavailable("VIES gave no verdict".to_owned()),
            (_, None, Some(true)) => ViesAnswer::Valid,
            (_, None, Some(false)) => ViesAnswer::Invalid,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct CheckJob {
    profile_id: Id,
}

/// Queues another look at a profile's VAT ID in an hour.
pub async fn enqueue_recheck<'e>(
    executor: impl sqlx::Executor<'e, Database = patron_store::Database>,
    profile_id: Id,
) -> Result<(), PaymentError> {
    let job = patron_store::jobs::NewJob {
        kind: VAT_ID_CHECK.to_owned(),
        payload: payload::encode(VERSION, &CheckJob { profile_id })
            .map_err(|e| patron_store::StoreError::Corrupt(e.to_string()))?,
        run_at: Timestamp::now().plus(RECHECK_EVERY),
        max_attempts: 48,
        idempotency_key: Some(format!("vat-id-check:{profile_id}")),
    };
    patron_store::jobs::enqueue(executor, &job).await?;
    Ok(())
}

const RECHECK_EVERY: Duration = Duration::from_secs(3600);

impl Payments {
    /// Asks VIES again about a profile's unverified VAT ID and records the answer; `None` when
    /// there is nothing to ask (no such profile, or it was answered meanwhile).
    pub async fn recheck_vat_id(
        &self,
        db: &patron_store::Db,
        profile_id: Id,
    ) -> Result<Option<ViesAnswer>, PaymentError> {
        let Some(profile) = patron_store::billing_profiles::find(db.pool(), profile_id).await? else { return Ok(None) };
        let (Some(text), Some("unverified")) = (profile.vat_id.as_deref(), profile.vat_id_status.as_deref()) else {
            return Ok(None);
        };
        let Ok(id) = VatId::parse("vat_id", text) else { return Ok(None) };
        let answer = self.vies.check(&id).await;
        if !matches!(answer, ViesAnswer::Unavailable(_)) {
            patron_store::billing_profiles::set_vat_id_status(db.pool(), profile_id, answer.status(), Timestamp::now())
                .await?;
        }
        Ok(Some(answer))
    }
}

/// The `vat-id-check` job.
pub struct VatIdCheck {
    payments: Payments,
}

impl VatIdCheck {
    /// The job over the configured VIES.
    pub fn new(payments: Payments) -> Self {
        Self { payments }
    }
}

impl Handler for VatIdCheck {
    fn kind(&self) -> &'static str {
        VAT_ID_CHECK
    }

    fn run<'a>(&'a self, context: &'a JobContext, payload: &'a str) -> JobFuture<'a> {
        Box::pin(async move {
            let job: CheckJob = payload::decode(VERSION, payload)?;
            match self.payments.recheck_vat_id(&context.db, job.profile_id).await {
                Ok(Some(ViesAnswer::Unavailable(why))) => Err(JobError::Later(RECHECK_EVERY, why)),
                Ok(answer) => {
                    tracing::info!(profile_id = %job.profile_id, answer = ?answer, "VAT ID checked again");
                    Ok(())
                }
                Err(error) => Err(JobError::Retry(error.to_string())),
            }
        })
    }
}
