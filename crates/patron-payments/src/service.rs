//! [`Payments`]: the providers this install offers, made from the settings, and what every
//! payment step shares.

use crate::{PaymentError, Provider, gpwebpay, sandbox, stripe};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The providers this install offers, and where its pages are.
#[derive(Clone)]
pub struct Payments {
    providers: BTreeMap<&'static str, Arc<dyn Provider>>,
    /// The sandbox, when it is on.
    pub sandbox: Option<Arc<sandbox::Sandbox>>,
    /// Stripe, when it is configured.
    pub stripe: Option<Arc<stripe::Stripe>>,
    /// The public URL without its trailing slash: mails link to pages under it.
    pub(crate) base_url: String,
    /// When a failed renewal charge is tried again, counted from when it was due.
    pub(crate) retries: Vec<std::time::Duration>,
    /// The platform's fee on pages without one of their own.
    pub(crate) platform_fee: patron_domain::split::Percent,
    /// How balances are paid out.
    pub(crate) payouts: patron_settings::PayoutSettings,
    /// The seller on tax documents.
    pub(crate) seller: patron_settings::SellerSettings,
    /// The VAT ID check.
    pub vies: crate::Vies,
    /// The exchange rates documents and the OSS report need.
    pub rates: crate::rates::Rates,
    /// The countries of IP addresses, when a database is configured.
    pub geoip: Option<Arc<crate::geoip::GeoIp>>,
}

impl Payments {
    /// The providers the settings enable; fails when a provider's keys cannot be used.
    pub fn from_settings(
        settings: &patron_settings::Settings,
        secret_key: &patron_settings::SecretString,
    ) -> Result<Self, PaymentError> {
        let mut providers: BTreeMap<&'static str, Arc<dyn Provider>> = BTreeMap::new();
        if let Some(gp) = &settings.gpwebpay {
            let provider = gpwebpay::GpWebpay::from_settings(gp, &settings.public_url)
                .map_err(|e| PaymentError::Provider(format!("GP webpay: {e}")))?;
            providers.insert("gpwebpay", Arc::new(provider));
        }
        let stripe = match &settings.stripe {
            Some(stripe) => Some(Arc::new(stripe::Stripe::from_settings(stripe)?)),
            None => None,
        };
        if let Some(stripe) = &stripe {
            providers.insert("stripe", stripe.clone());
        }
        let sandbox = settings.payment_sandbox.then(|| Arc::new(sandbox::Sandbox::new(secret_key)));
        if let Some(sandbox) = &sandbox {
            providers.insert("sandbox", sandbox.clone());
        }
        Ok(Self {
            providers,
            sandbox,
            stripe,
            base_url: settings.public_url.as_str().trim_end_matches('/').to_owned(),
            retries: settings.renewal_retries.clone(),
            platform_fee: settings.platform_fee,
            payouts: settings.payouts.clone(),
            seller: settings.seller.clone(),
            vies: crate::Vies::from_settings(&settings.tax),
            rates: crate::rates::Rates::from_settings(&settings.tax),
            geoip: match &settings.tax.geoip_db {
                Some(path) => Some(Arc::new(crate::geoip::GeoIp::open(path)?)),
                None => None,
            },
        })
    }

    /// The provider new checkouts use, if any is enabled: a real gateway before the sandbox
    /// (GP webpay before Stripe when both are configured).
    pub fn default_provider(&self) -> Option<&'static str> {
        self.providers.keys().copied().find(|name| *name != "sandbox").or_else(|| self.providers.keys().next().copied())
    }

    /// Reads the CNB's rate of `currency` for the day of a supply at `at` (the seller's
    /// calendar day) before a payment in it is recorded, so its document can state the VAT in CZK.
    pub(crate) async fn prepare_czk(&self, db: &patron_store::Db, currency: &str, at: patron_domain::Timestamp) {
        let day = patron_domain::document::supply_day(at, &self.seller.country);
        self.rates.prepare_czk(db, currency, day).await;
    }

    /// The seller on tax documents.
    pub fn seller(&self) -> &patron_settings::SellerSettings {
        &self.seller
    }

    /// A provider by name.
    pub fn provider(&self, name: &str) -> Result<&Arc<dyn Provider>, PaymentError> {
        self.providers.get(name).ok_or_else(|| PaymentError::UnknownProvider(name.to_owned()))
    }
}
