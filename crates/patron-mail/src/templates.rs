//! The mails patron sends, in English and Czech: one layout, a text part and an HTML part.

use askama::Template as _;
use serde::{Deserialize, Serialize};

/// What a mail says, with its data. The link a mail leads to is given to [`render`]
/// separately: for links that carry a secret it is made only when the mail is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Template {
    /// An invitation to join a creator's team.
    TeamInvitation {
        /// The page.
        creator_name: String,
        /// Who invited.
        inviter_name: String,
    },
    /// A creator published a post the recipient may read.
    NewPost {
        /// The creator.
        creator_name: String,
        /// The post's title.
        post_title: String,
        /// The beginning of the post, as plain text.
        excerpt: String,
    },
    /// Confirm the address of a new account.
    VerifyEmail {
        /// The account's name.
        display_name: String,
    },
    /// Confirm a new address the account moves to (sent to the new address).
    ConfirmNewEmail {
        /// The account's name.
        display_name: String,
    },
    /// The account moved to another address (sent to the old one).
    EmailChanged {
        /// The account's name.
        display_name: String,
        /// The new address.
        new_email: String,
    },
    /// Choose a new password.
    PasswordReset {
        /// The account's name.
        display_name: String,
    },
    /// Log in without a password.
    SignInLink {
        /// The account's name.
        display_name: String,
    },
    /// The week's posts the recipient may read.
    Digest {
        /// The posts, newest first.
        items: Vec<DigestItem>,
    },
    /// A payment went through.
    PaymentReceipt {
        /// The creator.
        creator_name: String,
        /// The tier.
        tier_name: String,
        /// What was paid, formatted (`99 Kč`).
        amount: String,
        /// The end of the paid period, as a date.
        paid_until: String,
        /// The payment's reference.
        reference: String,
        /// The number of the payment's invoice, when one was issued.
        #[serde(default)]
        invoice_number: Option<String>,
        /// Where the buyer reads it.
        #[serde(default)]
        invoice_url: Option<String>,
    },
    /// A renewal charge failed; it will be tried again.
    PaymentFailed {
        /// The creator.
        creator_name: String,
        /// What was to be paid, formatted.
        amount: String,
        /// When the next try is, as a date.
        retry_on: String,
    },
    /// A renewal needs the fan: their bank wants them to confirm the payment themselves.
    PaymentNeedsAuthentication {
        /// The creator.
        creator_name: String,
        /// What is to be paid, formatted.
        amount: String,
    },
    /// The card on file expires before the next renewal.
    CardExpiring {
        /// The creator.
        creator_name: String,
        /// The card, as the fan knows it (`visa •••• 4242`).
        card: String,
        /// The date of the next charge.
        next_charge_on: String,
        /// What it will be, formatted.
        amount: String,
    },
    /// A cancelled membership runs out soon.
    MembershipEnding {
        /// The creator.
        creator_name: String,
        /// The tier.
        tier_name: String,
        /// When it ends, as a date.
        ends_on: String,
    },
    /// A membership ended.
    MembershipExpired {
        /// The creator.
        creator_name: String,
        /// The tier.
        tier_name: String,
    },
    /// A team member's earnings were paid out: the period's statement.
    PayoutStatement {
        /// What is sent, formatted.
        amount: String,
        /// The account it goes to, shortened (`CZ65 … 5399`).
        account: String,
        /// The period, as dates (`2026-11-01 – 2026-11-30`).
        period: String,
        /// Per page.
        lines: Vec<StatementLine>,
    },
    /// A payout is due but there is no bank account to send it to.
    PayoutNeedsBankAccount {
        /// What is waiting, formatted.
        amount: String,
    },
}

/// One page's part of a payout statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// The page.
    pub creator_name: String,
    /// Payments in the period.
    pub payments: i64,
    /// The member's part of them, after the platform's fee, formatted.
    pub earned: String,
    /// Taken back by refunds and lost disputes, formatted (empty when nothing was).
    pub returned: String,
}

/// One post in a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestItem {
    /// The creator.
    pub creator_name: String,
    /// The post's title.
    pub title: String,
    /// The post's address.
    pub url: String,
}

/// A mail's subject and parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    /// Subject.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
}

#[derive(askama::Template)]
#[template(path = "mail.html")]
struct Layout<'a> {
    lang: &'a str,
    subject: &'a str,
    heading: &'a str,
    paragraphs: &'a [String],
    button: Option<(&'a str, &'a str)>,
    footer: &'a str,
    unsubscribe: Option<(&'a str, &'a str)>,
}

/// Renders a template in `locale` (`cs`, otherwise English) with the link its button leads
/// to, and an unsubscribe link when the mail belongs to a category the recipient can stop.
pub fn render(template: &Template, locale: &str, link: &str, unsubscribe_url: Option<&str>) -> Rendered {
    let language = Language { czech: locale.starts_with("cs") || locale.starts_with("sk") };
    let Content { subject, heading, paragraphs, button_label } = content(template, language);
    let footer = language.pick("Sent by patron.", "Posláno patronem.");
    let unsubscribe_label = language.pick("Unsubscribe from these e-mails", "Odhlásit tyto e-maily");
    let html = Layout {
        lang: language.pick("en", "cs"),
        subject: &subject,
        heading: &heading,
        paragraphs: &paragraphs,
        button: Some((button_label.as_str(), link)),
        footer,
        unsubscribe: unsubscribe_url.map(|url| (unsubscribe_label, url)),
    }
    .render()
    .unwrap_or_default();
    let mut body = format!("{heading}\n\n");
    for paragraph in &paragraphs {
        body.push_str(paragraph);
        body.push_str("\n\n");
    }
    body.push_str(&format!("{button_label}: {link}\n\n-- \n{footer}\n"));
    if let Some(url) = unsubscribe_url {
        body.push_str(&format!("{unsubscribe_label}: {url}\n"));
    }
    Rendered { subject, text: body, html }
}

/// The language a mail is written in: Czech (also for Slovak readers) or English.
#[derive(Clone, Copy)]
struct Language {
    czech: bool,
}

impl Language {
    fn pick<'a>(self, en: &'a str, cs: &'a str) -> &'a str {
        if self.czech { cs } else { en }
    }

    fn text(self, en: &str, cs: &str) -> String {
        self.pick(en, cs).to_owned()
    }
}

/// What one mail says, before it is laid out as text and HTML.
struct Content {
    subject: String,
    heading: String,
    paragraphs: Vec<String>,
    button_label: String,
}

fn content(template: &Template, language: Language) -> Content {
    match template {
        Template::TeamInvitation { creator_name, inviter_name } => {
            team_invitation(language, creator_name, inviter_name)
        }
        Template::NewPost { creator_name, post_title, excerpt } => {
            new_post(language, creator_name, post_title, excerpt)
        }
        Template::VerifyEmail { display_name } => verify_email(language, display_name),
        Template::ConfirmNewEmail { display_name } => confirm_new_email(language, display_name),
        Template::EmailChanged { display_name, new_email } => email_changed(language, display_name, new_email),
        Template::PasswordReset { display_name } => password_reset(language, display_name),
        Template::SignInLink { display_name } => sign_in_link(language, display_name),
        Template::PaymentReceipt {
            creator_name,
            tier_name,
            amount,
            paid_until,
            reference,
            invoice_number,
            invoice_url,
        } => {
            let mut content = payment_receipt(language, creator_name, tier_name, amount, paid_until, reference);
            if let (Some(number), Some(url)) = (invoice_number, invoice_url) {
                content.paragraphs.push(
                    language
                        .text(&format!("Your invoice {number}: {url}"), &format!("Váš daňový doklad {number}: {url}")),
                );
            }
            content
        }
        Template::PaymentFailed { creator_name, amount, retry_on } => {
            payment_failed(language, creator_name, amount, retry_on)
        }
        Template::PaymentNeedsAuthentication { creator_name, amount } => {
            payment_needs_authentication(language, creator_name, amount)
        }
        Template::CardExpiring { creator_name, card, next_charge_on, amount } => {
            card_expiring(language, creator_name, card, next_charge_on, amount)
        }
        Template::MembershipEnding { creator_name, tier_name, ends_on } => {
            membership_ending(language, creator_name, tier_name, ends_on)
        }
        Template::MembershipExpired { creator_name, tier_name } => {
            membership_expired(language, creator_name, tier_name)
        }
        Template::Digest { items } => digest(language, items),
        Template::PayoutStatement { amount, account, period, lines } => {
            payout_statement(language, amount, account, period, lines)
        }
        Template::PayoutNeedsBankAccount { amount } => payout_needs_bank_account(language, amount),
    }
}

fn payout_statement(t: Language, amount: &str, account: &str, period: &str, lines: &[StatementLine]) -> Content {
    let mut paragraphs = vec![t.text(
        &format!("We are sending {amount} to your account {account}. It usually arrives within two working days."),
        &format!("Posíláme vám {amount} na účet {account}. Obvykle dorazí do dvou pracovních dnů."),
    )];
    paragraphs.push(t.text(&format!("Statement for {period}:"), &format!("Výpis za období {period}:")));
    for line in lines {
        let mut text = t.text(
            &format!(
                "{}: payments {}, your part after the platform's fee {}",
                line.creator_name, line.payments, line.earned
            ),
            &format!(
                "{}: platby {}, váš podíl po poplatku platformy {}",
                line.creator_name, line.payments, line.earned
            ),
        );
        if !line.returned.is_empty() {
            text.push_str(&t.text(
                &format!(", taken back by refunds and disputes {}", line.returned),
                &format!(", vráceno refundacemi a reklamacemi {}", line.returned),
            ));
        }
        paragraphs.push(text);
    }
    Content {
        subject: t.text(&format!("Payout of {amount} is on its way"), &format!("Výplata {amount} je na cestě")),
        heading: t.text("Your earnings are on their way", "Vaše výdělky jsou na cestě"),
        paragraphs,
        button_label: t.text("See your payouts", "Zobrazit výplaty"),
    }
}

fn payout_needs_bank_account(t: Language, amount: &str) -> Content {
    Content {
        subject: t.text(
            &format!("{amount} is waiting for your bank account"),
            &format!("{amount} čeká na číslo vašeho účtu"),
        ),
        heading: t.text("Where should we send your earnings?", "Kam vám máme poslat výdělky?"),
        paragraphs: vec![t.text(
            &format!(
                "Your earnings of {amount} are ready to be paid out, but you have not given a bank account. Add it on your account page; the money waits for the next payout."
            ),
            &format!(
                "Vaše výdělky {amount} jsou připravené k výplatě, ale nezadali jste bankovní účet. Doplňte ho na stránce účtu; peníze počkají na další výplatu."
            ),
        )],
        button_label: t.text("Add a bank account", "Zadat bankovní účet"),
    }
}

fn team_invitation(t: Language, creator_name: &str, inviter_name: &str) -> Content {
    Content {
        subject: t.text(&format!("Join the team of {creator_name}"), &format!("Pozvánka do týmu stránky {creator_name}")),
        heading: t.text(&format!("Help run {creator_name}"), &format!("Připojte se k týmu stránky {creator_name}")),
        paragraphs: vec![
            t.text(
                &format!(
                    "{inviter_name} invites you to help run {creator_name} on patron: write and publish posts and moderate comments."
                ),
                &format!(
                    "{inviter_name} vás zve, abyste pomáhali se stránkou {creator_name} na patronu: psali a zveřejňovali příspěvky a moderovali komentáře."
                ),
            ),
            t.text("The invitation works for seven days.", "Pozvánka platí sedm dní."),
        ],
        button_label: t.text("Accept the invitation", "Přijmout pozvánku"),
    }
}

fn new_post(t: Language, creator_name: &str, post_title: &str, excerpt: &str) -> Content {
    Content {
        subject: format!("{creator_name}: {post_title}"),
        heading: post_title.to_owned(),
        paragraphs: if excerpt.is_empty() { Vec::new() } else { vec![excerpt.to_owned()] },
        button_label: t.text("Read the post", "Přečíst příspěvek"),
    }
}

fn verify_email(t: Language, display_name: &str) -> Content {
    Content {
        subject: t.text("Confirm your e-mail address", "Potvrďte svou e-mailovou adresu"),
        heading: t.text(&format!("Welcome, {display_name}"), &format!("Vítejte, {display_name}")),
        paragraphs: vec![
            t.text(
                "Confirm that this address is yours, so creators' news and your receipts reach you.",
                "Potvrďte, že je tato adresa vaše, aby k vám došly novinky tvůrců i potvrzení plateb.",
            ),
            t.text("The link works for seven days.", "Odkaz platí sedm dní."),
        ],
        button_label: t.text("Confirm the address", "Potvrdit adresu"),
    }
}

fn confirm_new_email(t: Language, display_name: &str) -> Content {
    Content {
        subject: t.text("Confirm your new e-mail address", "Potvrďte svou novou e-mailovou adresu"),
        heading: t.text(&format!("Hello {display_name}"), &format!("Dobrý den, {display_name}")),
        paragraphs: vec![
            t.text(
                "Your patron account moves to this address once you confirm it. Until then it stays at the old one.",
                "Váš účet na patronu se na tuto adresu přesune, jakmile ji potvrdíte. Do té doby zůstává na původní.",
            ),
            t.text("The link works for seven days.", "Odkaz platí sedm dní."),
        ],
        button_label: t.text("Confirm the new address", "Potvrdit novou adresu"),
    }
}

fn email_changed(t: Language, display_name: &str, new_email: &str) -> Content {
    Content {
        subject: t.text("Your e-mail address was changed", "Vaše e-mailová adresa byla změněna"),
        heading: t.text(&format!("Hello {display_name}"), &format!("Dobrý den, {display_name}")),
        paragraphs: vec![
            t.text(
                &format!("Your patron account now uses {new_email}; mails no longer come here."),
                &format!("Váš účet na patronu teď používá adresu {new_email}; e-maily sem už chodit nebudou."),
            ),
            t.text(
                "If it was not you, write to the platform's operator at once: someone may have your password.",
                "Pokud jste to nebyli vy, napište hned provozovateli platformy: někdo možná zná vaše heslo.",
            ),
        ],
        button_label: t.text("Open patron", "Otevřít patron"),
    }
}

fn password_reset(t: Language, display_name: &str) -> Content {
    Content {
        subject: t.text("Choose a new password", "Nastavení nového hesla"),
        heading: t.text(&format!("Hello {display_name}"), &format!("Dobrý den, {display_name}")),
        paragraphs: vec![
            t.text(
                "Someone (hopefully you) asked to reset the password of your patron account. The link works for one hour.",
                "Někdo (snad vy) požádal o nové heslo k vašemu účtu na patronu. Odkaz platí hodinu.",
            ),
            t.text(
                "If it was not you, ignore this mail: your password stays as it is.",
                "Pokud jste to nebyli vy, e-mail ignorujte: heslo zůstane beze změny.",
            ),
        ],
        button_label: t.text("Choose a new password", "Nastavit nové heslo"),
    }
}

fn sign_in_link(t: Language, display_name: &str) -> Content {
    Content {
        subject: t.text("Your sign-in link", "Váš odkaz pro přihlášení"),
        heading: t.text(&format!("Hello {display_name}"), &format!("Dobrý den, {display_name}")),
        paragraphs: vec![
            t.text(
                "Open the link and confirm to log in to patron. It works once, for fifteen minutes.",
                "Otevřete odkaz a potvrďte přihlášení na patron. Platí jednou, patnáct minut.",
            ),
            t.text(
                "If you did not ask for it, ignore this mail: nobody can log in without it.",
                "Pokud jste o něj nežádali, e-mail ignorujte: bez něj se nikdo nepřihlásí.",
            ),
        ],
        button_label: t.text("Log in", "Přihlásit se"),
    }
}

fn payment_receipt(
    t: Language,
    creator_name: &str,
    tier_name: &str,
    amount: &str,
    paid_until: &str,
    reference: &str,
) -> Content {
    Content {
        subject: t.text(
            &format!("Receipt: {creator_name} — {amount}"),
            &format!("Potvrzení platby: {creator_name} — {amount}"),
        ),
        heading: t.text("Thank you for your support", "Děkujeme za podporu"),
        paragraphs: vec![
            t.text(
                &format!(
                    "You paid {amount} for “{tier_name}” of {creator_name}. Your membership is paid until {paid_until}."
                ),
                &format!(
                    "Zaplatili jste {amount} za „{tier_name}“ u {creator_name}. Členství máte zaplacené do {paid_until}."
                ),
            ),
            t.text(&format!("Payment reference: {reference}"), &format!("Číslo platby: {reference}")),
        ],
        button_label: t.text("Open the page", "Otevřít stránku"),
    }
}

fn payment_failed(t: Language, creator_name: &str, amount: &str, retry_on: &str) -> Content {
    Content {
        subject: t.text(
            &format!("Your payment to {creator_name} did not go through"),
            &format!("Platba pro {creator_name} neprošla"),
        ),
        heading: t.text("The renewal payment failed", "Obnovení členství se nepodařilo zaplatit"),
        paragraphs: vec![t.text(
            &format!(
                "We could not charge {amount} for your membership of {creator_name}. We will try again on {retry_on}; until then you keep your access."
            ),
            &format!(
                "Nepodařilo se strhnout {amount} za vaše členství u {creator_name}. Zkusíme to znovu {retry_on}; do té doby máte přístup zachovaný."
            ),
        )],
        button_label: t.text("Your memberships", "Vaše členství"),
    }
}

fn payment_needs_authentication(t: Language, creator_name: &str, amount: &str) -> Content {
    Content {
        subject: t.text(
            &format!("Confirm your payment to {creator_name}"),
            &format!("Potvrďte platbu pro {creator_name}"),
        ),
        heading: t.text("Your bank wants you to confirm the payment", "Vaše banka chce, abyste platbu potvrdili"),
        paragraphs: vec![t.text(
            &format!(
                "Renewing your membership of {creator_name} costs {amount}, and your bank asks you to confirm the payment yourself. Open the page below, check the amount and pay; until then you keep your access."
            ),
            &format!(
                "Obnovení vašeho členství u {creator_name} stojí {amount} a vaše banka žádá, abyste platbu potvrdili sami. Otevřete stránku níže, zkontrolujte částku a zaplaťte; do té doby máte přístup zachovaný."
            ),
        )],
        button_label: t.text("Check and pay", "Zkontrolovat a zaplatit"),
    }
}

fn card_expiring(t: Language, creator_name: &str, card: &str, next_charge_on: &str, amount: &str) -> Content {
    Content {
        subject: t.text(
            &format!("Your card for {creator_name} expires before the next payment"),
            &format!("Vaše karta pro {creator_name} vyprší před další platbou"),
        ),
        heading: t.text("Your card expires soon", "Vaše karta brzy vyprší"),
        paragraphs: vec![t.text(
            &format!(
                "Your membership of {creator_name} renews on {next_charge_on} for {amount}, but your card {card} expires before then. Change the card on your account page so the renewal goes through."
            ),
            &format!(
                "Vaše členství u {creator_name} se obnoví {next_charge_on} za {amount}, ale vaše karta {card} do té doby vyprší. Změňte kartu na stránce účtu, aby obnovení prošlo."
            ),
        )],
        button_label: t.text("Change the card", "Změnit kartu"),
    }
}

fn membership_ending(t: Language, creator_name: &str, tier_name: &str, ends_on: &str) -> Content {
    Content {
        subject: t.text(
            &format!("Your membership of {creator_name} ends on {ends_on}"),
            &format!("Vaše členství u {creator_name} končí {ends_on}"),
        ),
        heading: t.text("Your membership ends soon", "Vaše členství brzy skončí"),
        paragraphs: vec![t.text(
            &format!(
                "You cancelled your “{tier_name}” membership of {creator_name}; it ends on {ends_on}. If you change your mind, keep it on your account page — nothing is charged until then."
            ),
            &format!(
                "Zrušili jste členství „{tier_name}“ u {creator_name}; skončí {ends_on}. Pokud si to rozmyslíte, ponechte si ho na stránce účtu — do té doby se nic nestrhne."
            ),
        )],
        button_label: t.text("Keep my membership", "Ponechat členství"),
    }
}

fn membership_expired(t: Language, creator_name: &str, tier_name: &str) -> Content {
    Content {
        subject: t.text(
            &format!("Your membership of {creator_name} has ended"),
            &format!("Vaše členství u {creator_name} skončilo"),
        ),
        heading: t.text("Membership ended", "Členství skončilo"),
        paragraphs: vec![t.text(
            &format!("Your “{tier_name}” membership of {creator_name} has ended. You can join again at any time."),
            &format!("Vaše členství „{tier_name}“ u {creator_name} skončilo. Znovu se můžete přidat kdykoli."),
        )],
        button_label: t.text("Join again", "Přidat se znovu"),
    }
}

fn digest(t: Language, items: &[DigestItem]) -> Content {
    Content {
        subject: t.text(
            &format!("Your week on patron: {} new posts", items.len()),
            &format!("Váš týden na patronu: nové příspěvky ({})", items.len()),
        ),
        heading: t.text("New this week", "Tento týden nově"),
        paragraphs: items.iter().map(|item| format!("{}: {} — {}", item.creator_name, item.title, item.url)).collect(),
        button_label: t.text("Open your feed", "Otevřít přehled"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_names_its_invoice_and_old_payloads_still_read() {
        let receipt = Template::PaymentReceipt {
            creator_name: "Gordíkey".into(),
            tier_name: "Na steaky".into(),
            amount: "99\u{a0}Kč".into(),
            paid_until: "2027-01-07".into(),
            reference: "r".into(),
            invoice_number: Some("P2026-000001".into()),
            invoice_url: Some("https://x.example/account/documents/d".into()),
        };
        let czech = render(&receipt, "cs", "https://x.example/gordikey", None);
        assert!(czech.text.contains("Váš daňový doklad P2026-000001: https://x.example/account/documents/d"));
        // a receipt queued before invoices existed has neither field
        let old = r#"{"template": "payment_receipt", "creator_name": "G", "tier_name": "T", "amount": "1", "paid_until": "d", "reference": "r"}"#;
        let read: Template = serde_json::from_str(old).unwrap_or_else(|e| panic!("{e}"));
        assert!(!render(&read, "en", "https://x", None).text.contains("invoice"));
    }

    #[test]
    fn a_payout_statement_lists_each_page_in_the_payee_language() {
        let template = Template::PayoutStatement {
            amount: "4\u{a0}455\u{a0}Kč".into(),
            account: "CZ65 … 5399".into(),
            period: "2026-11-01 – 2026-11-30".into(),
            lines: vec![StatementLine {
                creator_name: "Gordíkey".into(),
                payments: 12,
                earned: "4\u{a0}555\u{a0}Kč".into(),
                returned: "100\u{a0}Kč".into(),
            }],
        };
        let czech = render(&template, "cs", "https://x.example/account/payouts", None);
        assert!(czech.subject.contains("Výplata 4\u{a0}455\u{a0}Kč"), "{}", czech.subject);
        assert!(
            czech.text.contains("Gordíkey: platby 12, váš podíl po poplatku platformy 4\u{a0}555\u{a0}Kč, vráceno")
        );
        let english = render(&template, "en", "https://x.example/account/payouts", None);
        assert!(
            english.text.contains("CZ65 … 5399") && english.text.contains("taken back by refunds and disputes 100")
        );
        let notice =
            render(&Template::PayoutNeedsBankAccount { amount: "900\u{a0}Kč".into() }, "cs", "https://x", None);
        assert!(notice.subject.contains("čeká na číslo vašeho účtu"));
    }

    #[test]
    fn mails_escape_their_data_and_speak_both_languages() {
        let template = Template::NewPost {
            creator_name: "Gordíkey".into(),
            post_title: "<script>alert(1)</script>".into(),
            excerpt: "Woof".into(),
        };
        let link = "https://x.example/gordikey/posts/1";
        let english = render(&template, "en", link, Some("https://x.example/unsubscribe/t"));
        assert!(!english.html.contains("<script>") && english.html.contains("script&#62;"), "{}", english.html);
        assert!(english.text.contains("Read the post: https://x.example/gordikey/posts/1"));
        assert!(english.text.contains("Unsubscribe from these e-mails: https://x.example/unsubscribe/t"));
        let czech = render(&template, "cs", link, None);
        assert!(czech.html.contains("Přečíst příspěvek") && !czech.text.contains("Odhlásit"));
    }
}
