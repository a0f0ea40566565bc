//! Tax documents issued with the money: an invoice for every payment that brings money in, a
//! credit note for every refund, each in the transaction that records it, numbered without
//! gaps per series and year. The VAT follows `patron_domain::document::taxation`; the seller's
//! details come from `PATRON_SELLER_*` and are kept on the document as they were that day.

use crate::PaymentError;
use patron_domain::document::{self, Buyer, Seller};
use patron_domain::residence;
use patron_domain::vat::{VatId, VatRates};
use patron_domain::{Id, Timestamp};
use patron_settings::SellerSettings;
use patron_store::documents::{self as store, Document};
use patron_store::payments::Payment;

/// What an invoice documents.
pub(crate) struct Supply<'a> {
    pub(crate) payment_id: Id,
    pub(crate) membership_id: Id,
    pub(crate) user_id: Id,
    pub(crate) creator_id: Id,
    pub(crate) amount: i64,
    pub(crate) currency: &'a str,
    pub(crate) period: Option<(Timestamp, Timestamp)>,
}

/// The day of a supply at `at`: the seller's calendar day.
fn day_of(at: Timestamp, seller: &SellerSettings) -> time::Date {
    document::supply_day(at, &seller.country)
}

/// Issues the invoice of a payment, in the caller's transaction; answers the VAT in it.
pub(crate) async fn issue_invoice(
    connection: &mut sqlx::AnyConnection,
    seller: &SellerSettings,
    supply: &Supply<'_>,
) -> Result<i64, PaymentError> {
    let now = Timestamp::now();
    let Some(buyer) = patron_store::users::find_by_id(&mut *connection, supply.user_id).await? else { return Ok(0) };
    let creator = patron_store::creators::find_by_id(&mut *connection, supply.creator_id).await?;
    let tier_id = patron_store::payments::billing(&mut *connection, supply.membership_id).await?.map(|b| b.tier_id);
    let tier = match tier_id {
        Some(tier_id) => patron_store::tiers::find(&mut *connection, supply.creator_id, tier_id).await?,
        None => None,
    };
    // where the buyer is, from the evidence of their billing profile (memberships joined before
    // profiles existed have none: the seller's country, with nothing to support it)
    let profile = patron_store::billing_profiles::of_membership(&mut *connection, supply.membership_id)
        .await?
        .unwrap_or_default();
    let evidence = residence::Evidence {
        stated: profile.stated_country.clone(),
        card: profile.card_country.clone(),
        ip: profile.ip_country.clone(),
    };
    let residence = evidence.decide(&seller.country);
    let buyer_country = residence.country;
    let vat_id = profile.vat_id.as_deref().and_then(|text| VatId::parse("vat_id", text).ok());
    let confirmed = vat_id.as_ref().filter(|_| profile.vat_id_status.as_deref() == Some("confirmed"));
    let tax_seller = Seller { country: &seller.country, registered: seller.vat_id.is_some(), oss: seller.oss };
    let tax_buyer = Buyer { country: &buyer_country, confirmed_vat_id: confirmed };
    let taxation = document::taxation(tax_seller, tax_buyer, supply.amount, day_of(now, seller), VatRates::embedded())
        .ok_or_else(|| PaymentError::Provider(format!("no VAT rate is known for {buyer_country}")))?;
    let supplied_on = day_of(now, seller).to_string();
    let (vat_czk, czk_rate) =
        czk_equivalent(&mut *connection, supply.currency, taxation.amounts.vat, &supplied_on).await?;
    let document = Document {
        id: Id::new(),
        kind: "invoice".to_owned(),
        code: String::new(),
        payment_id: supply.payment_id,
        refers_to: None,
        user_id: supply.user_id,
        creator_id: supply.creator_id,
        issued_at: now,
        supplied_on,
        seller_name: seller.name.clone().unwrap_or_default(),
        seller_address: seller.address.clone().unwrap_or_default(),
        seller_country: seller.country.clone(),
        seller_vat_id: seller.vat_id.as_ref().map(|id| id.as_str().to_owned()),
        buyer_name: buyer.display_name,
        buyer_email: buyer.email,
        buyer_country,
        buyer_vat_id: vat_id.as_ref().map(|id| id.as_str().to_owned()),
        creator_name: creator.map(|c| c.name).unwrap_or_default(),
        tier_name: tier.map(|t| t.name).unwrap_or_default(),
        period: supply.period,
        currency: supply.currency.to_owned(),
        gross: taxation.amounts.gross,
        net: taxation.amounts.net,
        vat: taxation.amounts.vat,
        rate_bp: i64::from(taxation.amounts.rate.basis_points()),
        scheme: taxation.scheme.as_str().to_owned(),
        buyer_company: profile.company_name.clone(),
        evidence: store::Evidence {
            stated_country: evidence.stated,
            card_country: evidence.card,
            ip_country: evidence.ip,
            verdict: Some(residence.support.as_str().to_owned()),
        },
        vat_id_status: profile.vat_id.as_ref().and(profile.vat_id_status.clone()),
        vat_czk,
        czk_rate,
    };
    let vat = document.vat;
    write(connection, seller, document, now).await?;
    Ok(vat)
}

/// Issues the credit note of a refunded payment, in the caller's transaction: its invoice's
/// amounts with their signs turned, referring to it. Nothing when the payment has no invoice
/// (it was paid before documents existed) or has a credit note already.
pub(crate) async fn issue_credit_note(
    connection: &mut sqlx::AnyConnection,
    seller: &SellerSettings,
    payment: &Payment,
) -> Result<(), PaymentError> {
    let Some(invoice) = store::of_payment(&mut *connection, payment.id, "invoice").await? else { return Ok(()) };
    if store::of_payment(&mut *connection, payment.id, "credit_note").await?.is_some() {
        return Ok(());
    }
    let now = Timestamp::now();
    let note = Document {
        id: Id::new(),
        kind: "credit_note".to_owned(),
        refers_to: Some(invoice.id),
        issued_at: now,
        supplied_on: day_of(now, seller).to_string(),
        gross: -invoice.gross,
        net: -invoice.net,
        vat: -invoice.vat,
        vat_czk: invoice.vat_czk.map(|czk| -czk),
        ..invoice
    };
    write(connection, seller, note, now).await
}

/// The VAT in CZK (haléř) at the Czech National Bank's rate valid on the day of the supply,
/// and that rate as printed (`25.125 CZK/EUR of 2026-12-04`); nothing for CZK, and nothing
/// when the rate is not known (it is read before the payment's transaction begins).
async fn czk_equivalent(
    connection: &mut sqlx::AnyConnection,
    currency: &str,
    vat: i64,
    day: &str,
) -> Result<(Option<i64>, Option<String>), PaymentError> {
    if currency == "CZK" || vat == 0 {
        return Ok((None, None));
    }
    let Some((published, rate)) = patron_store::exchange_rates::on_or_before(connection, "cnb", currency, day).await?
    else {
        tracing::warn!(currency, day, "no CNB rate is known: the document goes without the VAT in CZK");
        return Ok((None, None));
    };
    Ok((Some(rate.multiply(vat)), Some(format!("{} CZK/{currency} ({published})", rate.to_text()))))
}

async fn write(
    connection: &mut sqlx::AnyConnection,
    seller: &SellerSettings,
    mut document: Document,
    now: Timestamp,
) -> Result<(), PaymentError> {
    let year = day_of(now, seller).year();
    let number = store::next_number(&mut *connection, &seller.series, year).await?;
    document.code = document::number(&seller.series, year, number);
    store::insert(connection, &document, &seller.series, year, number).await?;
    Ok(())
}
