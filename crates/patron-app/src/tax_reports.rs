//! The platform's tax reports: the quarterly One-Stop Shop return — per member state and
//! rate, the taxable amounts and the VAT of the documents supplied in the quarter, in EUR at
//! the European Central Bank's rate of the quarter's last day (or the next day it published,
//! Directive 2006/112/EC Art. 366) — and the domestic sales beside it, for the national
//! return.
//!
//! A document counts in the quarter of its day of supply; a credit note is supplied on the
//! day of its refund, so it lowers the quarter it falls in.

use crate::{App, AppError, User};
use patron_domain::exchange::{Quarter, Rate};
use patron_domain::split::Percent;
use patron_store::documents::TaxTotal;

/// One line of the OSS return: a member state, a rate and a currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OssLine {
    /// The buyers' member state.
    pub country: String,
    /// The rate (`19`, `25.5`).
    pub rate: String,
    /// The currency the documents are in.
    pub currency: String,
    /// Taxable amounts (net), minor units of `currency`.
    pub taxable: i64,
    /// The VAT, minor units of `currency`.
    pub vat: i64,
    /// The taxable amounts in euro cents.
    pub taxable_eur: i64,
    /// The VAT in euro cents.
    pub vat_eur: i64,
    /// The ECB's rate used (units of `currency` for one euro); none for EUR.
    pub eur_rate: Option<String>,
    /// How many documents.
    pub documents: i64,
}

/// One line of the domestic sales: a rate and a currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomesticLine {
    /// The rate.
    pub rate: String,
    /// The currency.
    pub currency: String,
    /// Taxable amounts (net), minor units.
    pub taxable: i64,
    /// The VAT, minor units.
    pub vat: i64,
    /// How many documents.
    pub documents: i64,
}

/// The OSS return of a quarter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OssReport {
    /// `2026-Q4`.
    pub quarter: String,
    /// The seller's member state (the state of identification).
    pub seller_country: String,
    /// The day whose ECB rates convert (the quarter's last day or the next publication).
    pub rate_day: Option<String>,
    /// Per member state and rate.
    pub lines: Vec<OssLine>,
    /// The VAT due through OSS, euro cents.
    pub total_vat_eur: i64,
    /// The seller's own country's sales, for the national return.
    pub domestic: Vec<DomesticLine>,
    /// Documents to look at before filing.
    pub flagged: Vec<Flag>,
}

/// A document of the quarter to look at before filing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// The document.
    pub document_id: String,
    /// Its number.
    pub number: String,
    /// `conflict`: the evidence of the buyer's country disagrees (the stated country, the
    /// card's, the IP address's); `unverified`: VIES had not confirmed the buyer's VAT ID, so
    /// VAT was charged.
    pub reason: &'static str,
    /// The evidence: stated, card and IP countries (`DE/AT/-`).
    pub evidence: String,
}

fn rate_text(rate_bp: i64) -> String {
    u32::try_from(rate_bp).ok().and_then(Percent::from_basis_points).map(Percent::to_text).unwrap_or_default()
}

async fn eur_rate(app: &App, currency: &str, day: &str) -> Result<Option<(String, Rate)>, AppError> {
    Ok(patron_store::exchange_rates::on_or_after(app.db.pool(), "ecb", currency, day).await?)
}

/// The OSS return of `quarter` (`2026-Q4`), for a platform admin. A seller not registered for
/// VAT, or not in the One-Stop Shop, has none.
pub async fn oss(app: &App, admin: &User, quarter: &str) -> Result<OssReport, AppError> {
    crate::admin::require_admin(admin)?;
    let quarter = Quarter::parse("quarter", quarter).map_err(|e| AppError::Invalid(vec![e]))?;
    let seller = app.payments.seller();
    if seller.vat_id.is_none() {
        return Err(AppError::conflict(
            "not_vat_registered",
            "The seller is not registered for VAT: there is no OSS return.",
        ));
    }
    if !seller.oss {
        return Err(AppError::conflict("no_oss", "The seller does not use the One-Stop Shop (PATRON_SELLER_OSS)."));
    }
    let last_day = quarter.last_day().to_string();
    let totals = patron_store::documents::totals(app.db.pool(), &quarter.first_day().to_string(), &last_day).await?;
    let oss_totals: Vec<&TaxTotal> = totals.iter().filter(|t| t.scheme == "oss").collect();
    let mut foreign: Vec<&str> = oss_totals.iter().map(|t| t.currency.as_str()).filter(|c| *c != "EUR").collect();
    foreign.sort_unstable();
    foreign.dedup();
    // the ECB's file is read when a rate of the day is not kept yet
    let mut missing = false;
    for currency in &foreign {
        missing |= eur_rate(app, currency, &last_day).await?.is_none();
    }
    if missing && let Err(error) = app.payments.rates.refresh_eur(&app.db).await {
        tracing::warn!(%error, "the ECB's rates could not be read");
    }
    let mut rates = Vec::new();
    for currency in foreign {
        rates.push((currency.to_owned(), eur_rate(app, currency, &last_day).await?));
    }
    if let Some((currency, _)) = rates.iter().find(|(_, rate)| rate.is_none()) {
        return Err(AppError::conflict(
            "no_exchange_rate",
            format!(
                "The ECB's {currency} rate for {last_day} or later is not known yet; try again once it is published."
            ),
        ));
    }
    let rate_of = |currency: &str| rates.iter().find(|(c, _)| c == currency).and_then(|(_, r)| r.clone());
    let mut rate_day = None;
    let lines: Vec<OssLine> = oss_totals
        .iter()
        .map(|total| {
            let (taxable_eur, vat_eur, eur_rate) = match rate_of(&total.currency) {
                Some((day, rate)) => {
                    rate_day = Some(day);
                    (rate.divide(total.net), rate.divide(total.vat), Some(rate.to_text()))
                }
                None => (total.net, total.vat, None),
            };
            OssLine {
                country: total.country.clone(),
                rate: rate_text(total.rate_bp),
                currency: total.currency.clone(),
                taxable: total.net,
                vat: total.vat,
                taxable_eur,
                vat_eur,
                eur_rate,
                documents: total.documents,
            }
        })
        .collect();
    let domestic = totals
        .iter()
        .filter(|t| t.scheme == "domestic")
        .map(|t| DomesticLine {
            rate: rate_text(t.rate_bp),
            currency: t.currency.clone(),
            taxable: t.net,
            vat: t.vat,
            documents: t.documents,
        })
        .collect();
    let flagged = patron_store::documents::flagged(app.db.pool(), &quarter.first_day().to_string(), &last_day)
        .await?
        .into_iter()
        .map(|d| {
            let piece = |c: &Option<String>| c.clone().unwrap_or_else(|| "-".to_owned());
            Flag {
                document_id: d.id.to_string(),
                reason: if d.evidence.verdict.as_deref() == Some("conflict") { "conflict" } else { "unverified" },
                evidence: format!(
                    "{}/{}/{}",
                    piece(&d.evidence.stated_country),
                    piece(&d.evidence.card_country),
                    piece(&d.evidence.ip_country)
                ),
                number: d.code,
            }
        })
        .collect();
    Ok(OssReport {
        flagged,
        quarter: quarter.to_text(),
        seller_country: seller.country.clone(),
        rate_day,
        total_vat_eur: lines.iter().map(|l| l.vat_eur).sum(),
        lines,
        domestic,
    })
}
