//! The platform's books: double entry, integer minor units, one currency per entry.
//!
//! Every money event is an [`Entry`] of postings to [`Account`]s that sums to zero — money
//! only ever moves from one account to another, so no haléř appears or disappears. A positive
//! amount is a debit (the platform holds more, or owes less), a negative one a credit.
//!
//! - A payment: the gateway holds the fan's money (`Clearing` +amount); the VAT in it is owed
//!   to the tax authority (`VatPayable` −VAT: the platform is the supplier); the platform earns
//!   its fee on the price without VAT (`PlatformFees` −fee); the rest is owed to the page's team
//!   by their shares (`Payee` −part each).
//! - A refund, or a lost dispute: exactly the payment's postings reversed, fee and split
//!   included (a lost dispute takes the money from `Disputes`, where the bank's hold put it).
//! - A dispute opened: the bank holds the money (`Clearing` −amount, `Disputes` +amount); won,
//!   it comes back.
//! - A gateway's fee: paid by the platform (`GatewayFees` +fee, `Clearing` −fee).
//! - A payout: a payee's balance goes in transit (`Payee` +amount, `InTransit` −amount); sent,
//!   it leaves the gateway's money (`InTransit` +, `Clearing` −); failed, it returns.

use crate::Id;
use crate::split::{Percent, Shares};

/// An account of the books.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// The fans' money the gateways hold for the platform.
    Clearing,
    /// The platform's fee revenue.
    PlatformFees,
    /// What the gateways charged the platform.
    GatewayFees,
    /// Money the fans' banks hold while a dispute is decided.
    Disputes,
    /// Payouts sent to the bank and not yet confirmed.
    InTransit,
    /// VAT owed to the tax authority.
    VatPayable,
    /// What the platform owes one member of a page's team.
    Payee {
        /// The page.
        creator: Id,
        /// The team member.
        user: Id,
    },
}

impl Account {
    /// The account's code in the books: `clearing`, `payee:{creator}:{user}`, …
    pub fn code(&self) -> String {
        match self {
            Account::Clearing => "clearing".to_owned(),
            Account::PlatformFees => "platform_fees".to_owned(),
            Account::GatewayFees => "gateway_fees".to_owned(),
            Account::Disputes => "disputes".to_owned(),
            Account::InTransit => "in_transit".to_owned(),
            Account::VatPayable => "vat_payable".to_owned(),
            Account::Payee { creator, user } => format!("payee:{creator}:{user}"),
        }
    }

    /// Reads a code written by [`Account::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "clearing" => Account::Clearing,
            "platform_fees" => Account::PlatformFees,
            "gateway_fees" => Account::GatewayFees,
            "disputes" => Account::Disputes,
            "in_transit" => Account::InTransit,
            "vat_payable" => Account::VatPayable,
            other => {
                let rest = other.strip_prefix("payee:")?;
                let (creator, user) = rest.split_once(':')?;
                Account::Payee { creator: creator.parse().ok()?, user: user.parse().ok()? }
            }
        })
    }
}

/// One line of an entry: an amount (minor units; debit positive) on an account.
pub type Posting = (Account, i64);

/// Postings that sum to zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    postings: Vec<Posting>,
}

/// An entry that would not balance: a bug in the caller, never written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the postings sum to {0}, not zero")]
pub struct Unbalanced(pub i64);

impl Entry {
    /// The postings, refused unless they sum to zero. Zero postings are left out, and postings
    /// to one account are added together.
    pub fn new(postings: Vec<Posting>) -> Result<Self, Unbalanced> {
        let sum: i64 = postings.iter().map(|(_, amount)| amount).sum();
        if sum != 0 {
            return Err(Unbalanced(sum));
        }
        let mut merged: Vec<Posting> = Vec::with_capacity(postings.len());
        for (account, amount) in postings {
            match merged.iter_mut().find(|(a, _)| *a == account) {
                Some((_, total)) => *total += amount,
                None => merged.push((account, amount)),
            }
        }
        merged.retain(|(_, amount)| *amount != 0);
        Ok(Self { postings: merged })
    }

    /// The postings.
    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }

    /// The same postings with their signs turned: what undoes this entry.
    pub fn reversed(&self) -> Entry {
        Entry { postings: self.postings.iter().map(|(a, amount)| (a.clone(), -amount)).collect() }
    }

    /// This entry's amount on one account (zero when it has none).
    pub fn on(&self, account: &Account) -> i64 {
        self.postings.iter().filter(|(a, _)| a == account).map(|(_, amount)| amount).sum()
    }
}

/// A payment's entry: `amount` received with `vat` in it owed to the tax authority, the
/// platform's `fee` kept of the rest, and what remains split among the page's team by `shares`
/// (user ids).
pub fn payment(creator: Id, amount: i64, vat: i64, fee: Percent, shares: &Shares<Id>) -> Entry {
    let net = amount - vat;
    let fee_amount = fee.of(net);
    let mut postings = vec![(Account::Clearing, amount), (Account::PlatformFees, -fee_amount)];
    if vat != 0 {
        postings.push((Account::VatPayable, -vat));
    }
    for (user, part) in shares.split(net - fee_amount) {
        postings.push((Account::Payee { creator, user }, -part));
    }
    // the split adds up to what it splits, so this balances by construction
    debug_assert_eq!(postings.iter().map(|(_, a)| a).sum::<i64>(), 0);
    Entry::new(postings).unwrap_or_else(|Unbalanced(_)| Entry { postings: Vec::new() })
}

/// A refund of a payment: its entry reversed.
pub fn refund(payment: &Entry) -> Entry {
    payment.reversed()
}

/// A fan's bank disputes a payment: it holds the money.
pub fn dispute_opened(amount: i64) -> Entry {
    Entry { postings: vec![(Account::Clearing, -amount), (Account::Disputes, amount)] }
}

/// The dispute was won: the bank gives the money back.
pub fn dispute_won(amount: i64) -> Entry {
    dispute_opened(amount).reversed()
}

/// The dispute was lost: the payment's fee and split are undone from the money the bank holds.
pub fn dispute_lost(payment: &Entry) -> Entry {
    let mut postings: Vec<Posting> = payment
        .reversed()
        .postings
        .into_iter()
        .map(
            |(account, amount)| {
                if account == Account::Clearing { (Account::Disputes, amount) } else { (account, amount) }
            },
        )
        .collect();
    postings.retain(|(_, amount)| *amount != 0);
    Entry { postings }
}

/// A gateway's fee on a payment, paid by the platform.
pub fn gateway_fee(fee: i64) -> Entry {
    Entry { postings: vec![(Account::GatewayFees, fee), (Account::Clearing, -fee)] }
}

/// A payee's balances on their way to their bank as one payout: `parts` are what each of
/// their pages owes them (a part may be negative when a refund came after an earlier payout;
/// the payout nets it).
pub fn payout(user: Id, parts: &[(Id, i64)]) -> Entry {
    let total: i64 = parts.iter().map(|(_, amount)| amount).sum();
    let mut postings: Vec<Posting> =
        parts.iter().map(|(creator, amount)| (Account::Payee { creator: *creator, user }, *amount)).collect();
    postings.push((Account::InTransit, -total));
    Entry::new(postings).unwrap_or_else(|Unbalanced(_)| Entry { postings: Vec::new() })
}

/// A payout the bank confirmed: the money left.
pub fn payout_sent(amount: i64) -> Entry {
    Entry { postings: vec![(Account::InTransit, amount), (Account::Clearing, -amount)] }
}

/// A payout that failed: the money is the payee's again, on the pages it came from.
pub fn payout_failed(payout: &Entry) -> Entry {
    payout.reversed()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ids() -> (Id, Id, Id, Id) {
        (Id::new(), Id::new(), Id::new(), Id::new())
    }

    #[test]
    fn a_payment_keeps_the_fee_and_splits_the_rest_to_the_haler() {
        let (creator, owner, b, c) = ids();
        let fee = Percent::parse("fee", "10").unwrap();
        let shares = Shares::exact(vec![
            (owner, Percent::parse("s", "50").unwrap()),
            (b, Percent::parse("s", "30").unwrap()),
            (c, Percent::parse("s", "20").unwrap()),
        ])
        .unwrap();
        let entry = payment(creator, 9_900, 0, fee, &shares);
        assert_eq!(entry.on(&Account::Clearing), 9_900);
        assert_eq!(entry.on(&Account::PlatformFees), -990);
        assert_eq!(entry.on(&Account::Payee { creator, user: owner }), -4_455);
        assert_eq!(entry.on(&Account::Payee { creator, user: b }), -2_673);
        assert_eq!(entry.on(&Account::Payee { creator, user: c }), -1_782);
        assert_eq!(entry.postings().iter().map(|(_, a)| a).sum::<i64>(), 0);
    }

    #[test]
    fn the_vat_in_a_payment_is_owed_to_the_tax_authority_and_the_rest_is_split() {
        let (creator, owner, b, _) = ids();
        let fee = Percent::parse("fee", "10").unwrap();
        let shares =
            Shares::exact(vec![(owner, Percent::parse("s", "50").unwrap()), (b, Percent::parse("s", "50").unwrap())])
                .unwrap();
        let entry = payment(creator, 9_900, 1_718, fee, &shares);
        assert_eq!(entry.on(&Account::VatPayable), -1_718);
        assert_eq!(entry.on(&Account::PlatformFees), -818, "10 % of 81.82");
        assert_eq!(
            entry.on(&Account::Payee { creator, user: owner }) + entry.on(&Account::Payee { creator, user: b }),
            -7_364
        );
        assert_eq!(entry.postings().iter().map(|(_, a)| a).sum::<i64>(), 0);
        assert_eq!(refund(&entry).on(&Account::VatPayable), 1_718, "a refund gives the VAT back");
        assert_eq!(Account::from_code("vat_payable"), Some(Account::VatPayable));
    }

    #[test]
    fn refunds_and_lost_disputes_undo_exactly_the_payment() {
        let (creator, owner, _, _) = ids();
        let shares = Shares::single(owner);
        let paid = payment(creator, 5_900, 0, Percent::parse("fee", "12.5").unwrap(), &shares);
        let mut books: Vec<Entry> = vec![paid.clone(), refund(&paid)];
        books.push(paid.clone());
        books.push(dispute_opened(5_900));
        books.push(dispute_lost(&paid));
        for entry in &books {
            assert_eq!(entry.postings().iter().map(|(_, a)| a).sum::<i64>(), 0, "{entry:?}");
        }
        for account in
            [Account::Clearing, Account::PlatformFees, Account::Disputes, Account::Payee { creator, user: owner }]
        {
            let total: i64 = books.iter().map(|e| e.on(&account)).sum();
            assert_eq!(total, 0, "{account:?} is back where it started");
        }
        let won: i64 = [dispute_opened(5_900), dispute_won(5_900)].iter().map(|e| e.on(&Account::Clearing)).sum();
        assert_eq!(won, 0);
    }

    #[test]
    fn unbalanced_postings_are_refused_and_codes_read_back() {
        assert_eq!(Entry::new(vec![(Account::Clearing, 100), (Account::PlatformFees, -99)]), Err(Unbalanced(1)));
        let merged = Entry::new(vec![(Account::Clearing, 100), (Account::Clearing, -100)]).unwrap();
        assert!(merged.postings().is_empty());
        let (creator, user, _, _) = ids();
        for account in [Account::Clearing, Account::InTransit, Account::Payee { creator, user }] {
            assert_eq!(Account::from_code(&account.code()), Some(account));
        }
        assert_eq!(Account::from_code("payee:nonsense"), None);
        let other = Id::new();
        let paid = payout(user, &[(creator, 1_200), (other, -200)]);
        assert_eq!(paid.on(&Account::InTransit), -1_000, "the payout nets what another page takes back");
        let sent: Vec<Entry> = vec![paid.clone(), payout_sent(1_000)];
        assert_eq!(sent.iter().map(|e| e.on(&Account::InTransit)).sum::<i64>(), 0);
        assert_eq!(payout_failed(&paid).on(&Account::Payee { creator, user }), -1_200);
        assert_eq!(payout_failed(&paid).on(&Account::Payee { creator: other, user }), 200);
    }
}
