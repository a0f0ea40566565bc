//! Who a buyer is, for tax: the billing details a fan gives at checkout (their country and,
//! buying as a business, its name and VAT ID), checked and kept as the billing profile the
//! membership is taxed by.

use crate::{App, AppError};
use patron_domain::vat::VatId;
use patron_domain::{Id, Timestamp, ValidationError, residence};
use patron_payments::ViesAnswer;

pub use patron_store::billing_profiles::BillingProfile;

/// What a fan states at checkout. Every field may be missing: the country is then decided
/// from the other evidence, or is the seller's.
#[derive(Clone, Debug, Default)]
pub struct BillingInput {
    /// The country they are in (ISO code, `ZZ` for "elsewhere outside the EU").
    pub country: Option<String>,
    /// Buying as a business: its name.
    pub company_name: Option<String>,
    /// Buying as a business: its VAT ID.
    pub vat_id: Option<String>,
    /// The address the checkout came from (its country is evidence when `PATRON_GEOIP_DB` is
    /// set).
    pub ip: Option<std::net::IpAddr>,
}

fn given(text: Option<&String>) -> Option<&str> {
    text.map(|t| t.trim()).filter(|t| !t.is_empty())
}

/// Checks a fan's billing details and writes their billing profile. A VAT ID of another
/// member state than the seller's is asked of VIES: confirmed, it makes the sale a reverse
/// charge; refused, it is an error the fan can correct; unanswered in time, VAT is charged and
/// the ID is asked again later.
pub async fn make_profile(app: &App, user_id: Id, input: &BillingInput) -> Result<BillingProfile, AppError> {
    let mut problems: Vec<ValidationError> = Vec::new();
    let stated = match given(input.country.as_ref()) {
        None => None,
        Some(text) => residence::parse_country("country", text).map_err(|e| problems.push(e)).ok(),
    };
    let company_name = given(input.company_name.as_ref()).map(str::to_owned);
    if company_name.as_ref().is_some_and(|name| name.chars().count() > 200 || name.chars().any(char::is_control)) {
        problems.push(ValidationError::new("company_name", "is too long (at most 200 characters)"));
    }
    let vat_id = match given(input.vat_id.as_ref()) {
        None => None,
        Some(text) => VatId::parse("vat_id", text).map_err(|e| problems.push(e)).ok(),
    };
    if let (Some(id), Some(country)) = (&vat_id, &stated)
        && id.country() != country
    {
        problems.push(ValidationError::new("vat_id", "belongs to another country than the billing country"));
    }
    if vat_id.is_some() && company_name.is_none() {
        problems.push(ValidationError::new("company_name", "is needed with a VAT ID"));
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    // VIES is asked only when its answer matters: a VAT-registered seller selling to a
    // business of another member state (reverse charge)
    let seller = app.payments.seller();
    let answer = match &vat_id {
        Some(id) if seller.vat_id.is_some() && id.country() != seller.country => {
            Some(app.payments.vies.check(id).await)
        }
        _ => None,
    };
    if answer == Some(ViesAnswer::Invalid) {
        return Err(AppError::invalid("vat_id", "is not a valid VAT ID according to the EU's VIES register"));
    }
    if let Some(ViesAnswer::Unavailable(why)) = &answer {
        tracing::warn!(%why, "VIES did not answer: VAT is charged and the VAT ID checked again later");
    }
    let ip_country = match (&app.payments.geoip, input.ip) {
        (Some(geoip), Some(ip)) => geoip.country(ip),
        _ => None,
    };
    let evidence = residence::Evidence { stated: stated.clone(), card: None, ip: ip_country.clone() };
    let profile = BillingProfile {
        id: Id::new(),
        user_id,
        country: evidence.decide(&seller.country).country,
        stated_country: stated,
        ip_country,
        card_country: None,
        company_name,
        vat_id: vat_id.map(|id| id.as_str().to_owned()),
        vat_id_status: answer.as_ref().map(|a| a.status().to_owned()),
        vat_id_checked_at: answer.as_ref().map(|_| Timestamp::now()),
    };
    let mut transaction = app.db.begin_write().await?;
    patron_store::billing_profiles::insert(&mut *transaction, &profile).await?;
    if matches!(answer, Some(ViesAnswer::Unavailable(_))) {
        patron_payments::vies::enqueue_recheck(&mut *transaction, profile.id).await?;
    }
    transaction.commit().await?;
    Ok(profile)
}

/// The country a checkout form offers first: the one a browser's languages suggest, else the
/// seller's.
pub fn suggested_country(app: &App, accept_language: Option<&str>) -> String {
    accept_language.and_then(residence::country_from_languages).unwrap_or_else(|| app.payments.seller().country.clone())
}
