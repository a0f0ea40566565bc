//! The gateways' own fees: every payment that brings money in queues a `gateway-fee` job in the
//! transaction that records it; the job asks the payment's provider what it charged the
//! platform and posts it to the books (`gateway_fees` debited, `clearing` credited), once per
//! payment. A provider that does not report fees per payment (GP webpay bills them monthly)
//! answers nothing, and nothing is posted. The team's parts are not touched: the platform pays
//! the gateway from its own fee.

use crate::{PaymentError, Payments};
use patron_domain::{Id, Timestamp, books};
use patron_jobs::{Handler, JobContext, JobError, JobFuture, payload};
use patron_store::books::{About, EntryKind, write_entry};
use serde::{Deserialize, Serialize};

/// The job's kind.
pub const GATEWAY_FEE: &str = "gateway-fee";
const VERSION: u16 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct FeeJob {
    payment_id: Id,
}

/// Queues the fee lookup of a payment, in the transaction that records it.
pub(crate) async fn enqueue(connection: &mut sqlx::AnyConnection, payment_id: Id) -> Result<(), PaymentError> {
    let job = patron_store::jobs::NewJob {
        kind: GATEWAY_FEE.to_owned(),
        payload: payload::encode(VERSION, &FeeJob { payment_id })
            .map_err(|e| patron_store::StoreError::Corrupt(e.to_string()))?,
        run_at: Timestamp::now(),
        max_attempts: 8,
        idempotency_key: Some(format!("gateway-fee:{payment_id}")),
    };
    patron_store::jobs::enqueue(&mut *connection, &job).await?;
    Ok(())
}

impl Payments {
    /// Asks the payment's provider for its fee and posts it; answers the fee posted (none when
    /// the provider reports none, or it was posted before).
    pub async fn record_gateway_fee(&self, db: &patron_store::Db, payment_id: Id) -> Result<Option<i64>, PaymentError> {
        let Some(payment) = patron_store::payments::find_payment(db.pool(), payment_id).await? else { return Ok(None) };
        let (Ok(provider), Some(provider_payment_id)) =
            (self.provider(&payment.provider), payment.provider_payment_id.as_deref())
        else {
            return Ok(None);
        };
        let Some(fee) = provider.fee(db, provider_payment_id, payment.amount).await?.filter(|fee| *fee > 0) else {
            return Ok(None);
        };
        let mut transaction = db.begin_write().await?;
        let about = About { creator_id: Some(payment.creator_id), payment_id: Some(payment.id), payout_id: None };
        let written =
            write_entry(&mut transaction, EntryKind::GatewayFee, &payment.currency, &about, &books::gateway_fee(fee))
                .await?;
        transaction.commit().await?;
        Ok(written.then_some(fee))
    }
}

/// The `gateway-fee` job.
pub struct GatewayFees {
    payments: Payments,
}

impl GatewayFees {
    /// The job over the configured providers.
    pub fn new(payments: Payments) -> Self {
        Self { payments }
    }
}

impl Handler for GatewayFees {
    fn kind(&self) -> &'static str {
        GATEWAY_FEE
    }

    fn run<'a>(&'a self, context: &'a JobContext, payload: &'a str) -> JobFuture<'a> {
        Box::pin(async move {
            let job: FeeJob = payload::decode(VERSION, payload)?;
            match self.payments.record_gateway_fee(&context.db, job.payment_id).await {
                Ok(fee) => {
                    tracing::info!(payment_id = %job.payment_id, fee, "gateway fee looked up");
                    Ok(())
                }
                Err(error) => Err(JobError::Retry(error.to_string())),
            }
        })
    }
}
