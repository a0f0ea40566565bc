//! The bank file of a payout batch: an ISO 20022 customer credit transfer initiation,
//! `pain.001.001.03`, the version Czech and most SEPA banks import. One payment information
//! block per batch (one currency, one debtor account), one transaction per payee.
//!
//! - EUR follows the EPC's SEPA Credit Transfer rules: service level `SEPA`, charges shared by
//!   the rule (`SLEV`), names and texts in the SEPA character set (diacritics dropped).
//! - CZK follows the Czech Banking Association's format for domestic payments: the same
//!   message, the creditor's account as an IBAN, no SEPA service level, Czech letters kept.
//!
//! Neither names the banks by BIC: IBAN-only, the debtor agent `NOTPROVIDED` as both allow.

use patron_domain::money::{Currency, Money};
use quick_xml::escape::escape;
use unicode_normalization::UnicodeNormalization;

/// The platform's account the batch is paid from.
#[derive(Clone, Debug)]
pub struct Debtor<'a> {
    /// The holder's name.
    pub name: &'a str,
    /// The IBAN, electronic form.
    pub iban: &'a str,
}

/// One credit transfer.
#[derive(Clone, Debug)]
pub struct Transfer<'a> {
    /// The end-to-end id (the payout's id).
    pub id: &'a str,
    /// Minor units, positive.
    pub amount: i64,
    /// The payee's name as the bank knows it.
    pub creditor: &'a str,
    /// The payee's IBAN.
    pub iban: &'a str,
    /// The text the payee sees on their statement.
    pub remittance: &'a str,
}

/// A batch as a file.
#[derive(Clone, Debug)]
pub struct Batch<'a> {
    /// The message id (the batch's id; at most 35 characters).
    pub id: &'a str,
    /// The currency of every transfer.
    pub currency: Currency,
    /// When the file was made (`2026-12-01T06:00:00`).
    pub created: &'a str,
    /// When the bank is to pay (`2026-12-01`).
    pub execution_date: &'a str,
    /// Who pays.
    pub debtor: Debtor<'a>,
    /// The transfers.
    pub transfers: &'a [Transfer<'a>],
}

/// A text as the file may carry it: at most `max` characters, no control characters, and for
/// SEPA only the letters, digits and marks of the SEPA character set.
fn text(value: &str, max: usize, sepa: bool) -> String {
    let cleaned: String = if sepa {
        value
            .nfd()
            .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
            .map(|c| match c {
                'a'..='z'
                | 'A'..='Z'
                | '0'..='9'
                | '/'
                | '-'
                | '?'
                | ':'
                | '('
                | ')'
                | '.'
                | ','
                | '\''
                | '+'
                | ' ' => c,
                'ß' => 's',
                'ł' => 'l',
                'Ł' => 'L',
                'đ' => 'd',
                'Đ' => 'D',
                _ => ' ',
            })
            .collect()
    } else {
        value.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
    };
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let short: String = collapsed.chars().take(max).collect();
    if short.is_empty() { "-".to_owned() } else { short }
}

/// An identifier as the file may carry it (`Max35Text`, SEPA-safe).
fn identifier(value: &str) -> String {
    value.chars().filter(|c| c.is_ascii_alphanumeric()).take(35).collect()
}

/// The file.
pub fn render(batch: &Batch<'_>) -> String {
    let sepa = batch.currency == Currency::EUR;
    let amount = |minor: i64| Money::new(minor, batch.currency).decimal();
    let total: i64 = batch.transfers.iter().map(|t| t.amount).sum();
    let code = batch.currency.code();
    let debtor_name = escape(text(batch.debtor.name, 70, sepa)).into_owned();
    let mut xml = String::with_capacity(1024 + batch.transfers.len() * 512);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<CstmrCdtTrfInitn>\n",
    );
    xml.push_str(&format!(
        "<GrpHdr><MsgId>{id}</MsgId><CreDtTm>{created}</CreDtTm><NbOfTxs>{count}</NbOfTxs>\
         <CtrlSum>{sum}</CtrlSum><InitgPty><Nm>{debtor_name}</Nm></InitgPty></GrpHdr>\n",
        id = identifier(batch.id),
        created = escape(batch.created),
        count = batch.transfers.len(),
        sum = amount(total),
    ));
    xml.push_str(&format!(
        "<PmtInf><PmtInfId>{id}</PmtInfId><PmtMtd>TRF</PmtMtd><NbOfTxs>{count}</NbOfTxs><CtrlSum>{sum}</CtrlSum>",
        id = identifier(batch.id),
        count = batch.transfers.len(),
        sum = amount(total),
    ));
    if sepa {
        xml.push_str("<PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl></PmtTpInf>");
    }
    xml.push_str(&format!(
        "<ReqdExctnDt>{date}</ReqdExctnDt><Dbtr><Nm>{debtor_name}</Nm></Dbtr>\
         <DbtrAcct><Id><IBAN>{iban}</IBAN></Id><Ccy>{code}</Ccy></DbtrAcct>\
         <DbtrAgt><FinInstnId><Othr><Id>NOTPROVIDED</Id></Othr></FinInstnId></DbtrAgt>",
        date = escape(batch.execution_date),
        iban = identifier(batch.debtor.iban),
    ));
    if sepa {
        xml.push_str("<ChrgBr>SLEV</ChrgBr>");
    }
    xml.push('\n');
    for transfer in batch.transfers {
        xml.push_str(&format!(
            "<CdtTrfTxInf><PmtId><EndToEndId>{id}</EndToEndId></PmtId>\
             <Amt><InstdAmt Ccy=\"{code}\">{amount}</InstdAmt></Amt>\
             <Cdtr><Nm>{creditor}</Nm></Cdtr><CdtrAcct><Id><IBAN>{iban}</IBAN></Id></CdtrAcct>\
             <RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></CdtTrfTxInf>\n",
            id = identifier(transfer.id),
            amount = amount(transfer.amount),
            creditor = escape(text(transfer.creditor, 70, sepa)),
            iban = identifier(transfer.iban),
            remittance = escape(text(transfer.remittance, 140, sepa)),
        ));
    }
    xml.push_str("</PmtInf>\n</CstmrCdtTrfInitn>\n</Document>\n");
    xml
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn batch(currency: Currency, transfers: &[Transfer<'_>]) -> String {
        render(&Batch {
            id: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            currency,
            created: "2026-12-01T06:00:00",
            execution_date: "2026-12-01",
            debtor: Debtor { name: "Platforma <s.r.o.>", iban: "CZ6508000000192000145399" },
            transfers,
        })
    }

    #[test]
    fn a_sepa_file_sums_its_transfers_and_keeps_to_the_sepa_characters() {
        let transfers = [
            Transfer {
                id: "a-1",
                amount: 123_456,
                creditor: "Tomáš Dvořák & syn",
                iban: "SK3112000000198742637541",
                remittance: "Výplata — Gordíkey",
            },
            Transfer { id: "b-2", amount: 5, creditor: "Eva", iban: "DE89370400440532013000", remittance: "x" },
        ];
        let xml = batch(Currency::EUR, &transfers);
        assert!(xml.contains("<NbOfTxs>2</NbOfTxs><CtrlSum>1234.61</CtrlSum>"), "{xml}");
        assert!(xml.contains("<Cd>SEPA</Cd>") && xml.contains("<ChrgBr>SLEV</ChrgBr>"));
        assert!(xml.contains("<Nm>Tomas Dvorak syn</Nm>"), "{xml}");
        assert!(xml.contains("<Ustrd>Vyplata Gordikey</Ustrd>"), "{xml}");
        assert!(xml.contains("<InstdAmt Ccy=\"EUR\">0.05</InstdAmt>"));
        assert!(xml.contains("<MsgId>0193a1b2c3d47e5f8a9b0c1d2e3f4a5b</MsgId>"), "ids fit Max35Text");
        assert!(xml.contains("<Nm>Platforma s.r.o.</Nm>"), "{xml}");
    }

    #[test]
    fn a_czech_domestic_file_keeps_czech_letters_and_escapes_markup() {
        let transfers = [Transfer {
            id: "c",
            amount: 99_900,
            creditor: "Petra <Nováková>",
            iban: "CZ6508000000192000145399",
            remittance: "Výplata",
        }];
        let xml = batch(Currency::CZK, &transfers);
        assert!(xml.contains("<Nm>Petra &lt;Nováková&gt;</Nm>"), "{xml}");
        assert!(xml.contains("<Nm>Platforma &lt;s.r.o.&gt;</Nm>"), "{xml}");
        assert!(!xml.contains("SEPA") && !xml.contains("ChrgBr"));
        assert!(xml.contains("<InstdAmt Ccy=\"CZK\">999.00</InstdAmt>"));
    }
}
