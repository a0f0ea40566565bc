//! Posting money events to the platform's books, in the same database transaction that
//! records them: a payment is split into the platform's fee and the team's parts by the fee
//! and shares in force when it is recorded; a refund or a decided dispute undoes exactly those
//! postings. The rules are `patron_domain::books`; this is where they meet the store.

use crate::PaymentError;
use patron_domain::books::{self, Entry};
use patron_domain::split::{Percent, Shares};
use patron_domain::{Id, ValidationError};
use patron_store::books::{About, EntryKind, write_entry};
use patron_store::payments::Payment;

/// The fee and shares a page's payments are split by now.
pub(crate) async fn terms_of(
    connection: &mut sqlx::AnyConnection,
    creator_id: Id,
    platform_fee: Percent,
) -> Result<(Percent, Shares<Id>), PaymentError> {
    let fee = match patron_store::books::creator_fee(connection, creator_id).await? {
        Some(points) => Percent::from_basis_points(points).unwrap_or(platform_fee),
        None => platform_fee,
    };
    let owner = patron_store::books::owner_of(connection, creator_id).await?.ok_or(PaymentError::UnknownCheckout)?;
    let (parts, _) = patron_store::books::current_split(connection, creator_id).await?;
    // a member who left the team is no longer paid: their share falls to the owner
    let team = patron_store::creators::team(&mut *connection, creator_id).await?;
    let members: Vec<(Id, Percent)> = parts
        .into_iter()
        .filter(|(user, _)| team.iter().any(|m| m.user_id == *user))
        .filter_map(|(user, points)| Percent::from_basis_points(points).map(|p| (user, p)))
        .collect();
    let shares = Shares::with_rest_to(owner, members).unwrap_or_else(|_: ValidationError| {
        // a stored split is checked when it is set; should one not add up, the owner is paid
        // rather than nobody
        tracing::error!(%creator_id, "the stored revenue split does not add up; paying the owner");
        Shares::single(owner)
    });
    Ok((fee, shares))
}

/// Posts a received payment: the VAT owed, the fee and the team's parts. Once per payment.
pub(crate) async fn post_payment(
    connection: &mut sqlx::AnyConnection,
    payment_id: Id,
    creator_id: Id,
    (amount, vat): (i64, i64),
    currency: &str,
    platform_fee: Percent,
) -> Result<(), PaymentError> {
    let (fee, shares) = terms_of(connection, creator_id, platform_fee).await?;
    let entry = books::payment(creator_id, amount, vat, fee, &shares);
    let about = About { creator_id: Some(creator_id), payment_id: Some(payment_id), payout_id: None };
    write_entry(connection, EntryKind::Payment, currency, &about, &entry).await?;
    Ok(())
}

/// Posts what undoes (part of) a payment's entry: a refund, a dispute opened, won or lost.
pub(crate) async fn post_reversal(
    connection: &mut sqlx::AnyConnection,
    payment: &Payment,
    kind: EntryKind,
) -> Result<(), PaymentError> {
    let Some(paid) = patron_store::books::payment_entry(connection, payment.id, EntryKind::Payment).await? else {
        // a payment recorded before the books existed: nothing to undo
        return Ok(());
    };
    let amount = paid.on(&books::Account::Clearing);
    let entry: Entry = match kind {
        EntryKind::Refund => books::refund(&paid),
        EntryKind::DisputeOpened => books::dispute_opened(amount),
        EntryKind::DisputeWon => books::dispute_won(amount),
        EntryKind::DisputeLost => books::dispute_lost(&paid),
        _ => return Ok(()),
    };
    let about = About { creator_id: Some(payment.creator_id), payment_id: Some(payment.id), payout_id: None };
    write_entry(connection, kind, &payment.currency, &about, &entry).await?;
    Ok(())
}

/// Records a payment and, when it brought money in, posts it — one transaction, so the
/// payments table and the books never disagree. `None` when the payment was recorded before.
pub(crate) async fn record_payment(
    connection: &mut sqlx::AnyConnection,
    payment: &patron_store::payments::NewPayment,
    platform_fee: Percent,
    seller: &patron_settings::SellerSettings,
) -> Result<Option<Id>, PaymentError> {
    let id = patron_store::payments::insert_payment(connection, payment).await?;
    if let Some(id) = id
        && payment.status == "succeeded"
        && payment.amount > 0
    {
        let supply = crate::documents::Supply {
            payment_id: id,
            membership_id: payment.membership_id,
            user_id: payment.user_id,
            creator_id: payment.creator_id,
            amount: payment.amount,
            currency: &payment.currency,
            period: payment.period,
        };
        // the invoice decides the VAT, which the books then owe the tax authority
        let vat = crate::documents::issue_invoice(connection, seller, &supply).await?;
        let amounts = (payment.amount, vat);
        post_payment(connection, id, payment.creator_id, amounts, &payment.currency, platform_fee).await?;
        crate::fees::enqueue(connection, id).await?;
    }
    Ok(id)
}
