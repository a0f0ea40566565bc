//! The interface languages: English and Czech. A visitor's language comes from their choice
//! (the `patron_lang` cookie, set by the switcher in the footer), else from the browser's
//! `Accept-Language`, else English.
//!
//! Every text of the pages is a key in [`MESSAGES`] with both translations side by side; a
//! test checks that every key the templates use exists.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::collections::HashMap;
use std::sync::LazyLock;

/// An interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Czech.
    Cs,
}

/// The cookie that keeps a visitor's chosen language.
pub const COOKIE: &str = "patron_lang";

impl Lang {
    /// Every language, in the switcher's order.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Cs];

    /// The BCP 47 code (`en`, `cs`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Cs => "cs",
        }
    }

    /// The language's own name, for the switcher.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Cs => "Čeština",
        }
    }

    /// From a code such as `cs` or `cs-CZ`; Slovak readers get Czech.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "cs" | "sk" => Some(Lang::Cs),
            _ => None,
        }
    }

    /// The language for a request: the cookie, else the best `Accept-Language` match.
    pub fn negotiate(headers: &HeaderMap) -> Lang {
        if let Some(chosen) = crate::cookies::read_cookie(headers, COOKIE).and_then(Lang::from_code) {
            return chosen;
        }
        let accept = headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mut ranges: Vec<(f32, Lang)> = accept
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';');
                let lang = Lang::from_code(parts.next()?)?;
                let quality =
                    parts.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
                (quality > 0.0).then_some((quality, lang))
            })
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges.first().map(|(_, lang)| *lang).unwrap_or_default()
    }

    /// The text for `key` in this language; the key itself when it is missing (a test makes
    /// sure none is).
    pub fn t(self, key: &str) -> &str {
        match CATALOG.get(key) {
            Some((en, cs)) => match self {
                Lang::En => en,
                Lang::Cs => cs,
            },
            None => key,
        }
    }

    /// The text for `key` with `{}` replaced by `value`.
    pub fn t1(self, key: &str, value: &str) -> String {
        self.t(key).replacen("{}", value, 1)
    }

    /// The counted text `key` for `n`, in the form the language's plural rules give
    /// (`1 vote`, `2 votes`; `1 hlas`, `2 hlasy`, `5 hlasů`).
    pub fn plural(self, key: &str, n: u64) -> String {
        plural::pick(self, self.t(key), n)
    }

    /// The text for `key` with its two `{}` replaced by `first` and `second`.
    pub fn t2(self, key: &str, first: &str, second: &str) -> String {
        self.t(key).replacen("{}", first, 1).replacen("{}", second, 1)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::negotiate(&parts.headers))
    }
}

mod errors;
mod money;
mod plural;
mod tax;

pub use errors::{field_problem, translate};

tokio::task_local! {
    /// The language of the request being served.
    static CURRENT: Lang;
}

impl Lang {
    /// The language of the request being served (English outside of one): error messages and
    /// error pages made anywhere in the request speak it.
    pub fn current() -> Lang {
        CURRENT.try_with(|lang| *lang).unwrap_or_default()
    }
}

/// An amount in minor units of `currency` as the request's language writes it (`39,99 Kč`,
/// `39.99 Kč`).
pub fn money(minor: i64, currency: &str) -> String {
    patron_domain::money::format_minor_in(minor, currency, Lang::current().code())
}

/// Middleware: serves the request in its language (see [`Lang::current`]).
pub async fn scope(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let lang = Lang::negotiate(request.headers());
    CURRENT.scope(lang, next.run(request)).await
}

static CATALOG: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| all_messages().map(|(key, en, cs)| (*key, (*en, *cs))).collect());

/// Every text: the interface's and the money screens' (earnings, payouts, the books, tax
/// documents).
fn all_messages() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    MESSAGES.iter().chain(money::MESSAGES).chain(tax::MESSAGES).chain(plural::MESSAGES)
}

/// Every text of the interface: key, English, Czech.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    // layout
    ("nav.account", "Your account", "Váš účet"),
    ("nav.login", "Log in", "Přihlásit se"),
    ("nav.logout", "Log out", "Odhlásit se"),
    ("nav.join", "Join", "Registrace"),
    ("nav.discover", "Discover creators", "Objevte tvůrce"),
    ("nav.feed", "Your feed", "Váš přehled"),
    ("nav.studio", "Studio", "Studio"),
    ("footer.tagline", "patron — memberships for creators", "patron — členství pro tvůrce"),
    ("footer.language", "Language", "Jazyk"),
    // home
    ("home.title", "Home", "Domů"),
    ("home.welcome", "Welcome back, {}", "Vítejte zpět, {}"),
    (
        "home.welcome_text",
        "See what the creators you support have posted.",
        "Podívejte se, co přidali tvůrci, které podporujete.",
    ),
    ("home.headline", "Support the creators you love", "Podpořte tvůrce, které máte rádi"),
    (
        "home.pitch",
        "Become a member, unlock posts, vote in polls and talk with the community.",
        "Staňte se členem, odemkněte příspěvky, hlasujte v anketách a bavte se s komunitou.",
    ),
    ("home.create_account", "Create an account", "Vytvořit účet"),
    ("home.or_log_in", "or log in", "nebo se přihlaste"),
    // register
    ("register.title", "Create an account", "Vytvořit účet"),
    ("register.email", "E-mail", "E-mail"),
    ("register.display_name", "Name shown to others", "Jméno, které uvidí ostatní"),
    ("register.optional", "(optional)", "(nepovinné)"),
    ("register.password", "Password", "Heslo"),
    ("register.password_hint", "(at least 8 characters)", "(alespoň 8 znaků)"),
    ("register.submit", "Create account", "Vytvořit účet"),
    ("register.have_account", "Already have an account?", "Už máte účet?"),
    ("register.fix_fields", "Please correct the fields below.", "Opravte prosím pole níže."),
    // login
    ("login.title", "Log in", "Přihlášení"),
    ("login.email", "E-mail", "E-mail"),
    ("login.password", "Password", "Heslo"),
    ("login.submit", "Log in", "Přihlásit se"),
    ("login.new_here", "New here?", "Jste tu poprvé?"),
    (
        "login.why_join",
        "Log in or create an account to join: you will come back to your chosen tier and see what it costs before you pay.",
        "Pro vstup se přihlaste nebo si vytvořte účet: vrátíte se ke zvolené úrovni a před platbou uvidíte, kolik stojí.",
    ),
    (
        "login.why_next",
        "Log in or create an account to continue; you will come back to where you were.",
        "Pro pokračování se přihlaste nebo si vytvořte účet; vrátíte se tam, kde jste byli.",
    ),
    ("login.logged_out", "You are logged out.", "Jste odhlášeni."),
    ("login.logged_out_all", "You are logged out on all your devices.", "Jste odhlášeni na všech svých zařízeních."),
    // account
    ("account.title", "Your account", "Váš účet"),
    ("account.name", "Name", "Jméno"),
    ("account.email", "E-mail", "E-mail"),
    ("account.not_verified", "not verified", "neověřeno"),
    ("account.member_since", "Member since", "Členem od"),
    ("account.sessions", "Where you are logged in", "Kde jste přihlášeni"),
    ("account.device", "Device", "Zařízení"),
    ("account.address", "Address", "Adresa"),
    ("account.last_active", "Last active", "Naposledy aktivní"),
    ("account.this_device", "this device", "toto zařízení"),
    ("account.logout", "Log out", "Odhlásit se"),
    ("account.logout_everywhere", "Log out everywhere", "Odhlásit se všude"),
    ("account.feeds", "Private RSS feeds", "Soukromé RSS kanály"),
    (
        "account.feeds_text",
        "Secret addresses for podcast and feed readers, with everything your memberships unlock. Do not share them.",
        "Tajné adresy pro podcastové a RSS čtečky se vším, co vám odemyká členství. Nikomu je nedávejte.",
    ),
    (
        "account.feed_created",
        "Your new feed (shown only now; copy it to your reader):",
        "Váš nový kanál (zobrazí se jen teď; zkopírujte si ho do čtečky):",
    ),
    ("account.feed_all", "Everyone you follow", "Všichni, které sledujete"),
    ("account.feed_revoke", "Revoke", "Zrušit"),
    ("account.feed_create_all", "New feed of everyone you follow", "Nový kanál všech, které sledujete"),
    // errors
    ("error.back_home", "Back to the home page", "Zpět na úvodní stránku"),
    ("error.not_found", "Page not found", "Stránka nenalezena"),
    ("error.not_found_text", "There is nothing at this address.", "Na této adrese nic není."),
    // creator page
    ("creator.hidden", "hidden", "skrytá"),
    ("creator.open_studio", "Open in the studio", "Otevřít ve studiu"),
    ("creator.follow", "Follow", "Sledovat"),
    ("creator.following", "Following ✓", "Sledujete ✓"),
    ("creator.member_of", "Member: {}", "Člen: {}"),
    ("creator.tiers", "Membership tiers", "Úrovně členství"),
    ("creator.private_rss", "Private RSS feed", "Soukromý RSS kanál"),
    ("creator.posts", "Posts", "Příspěvky"),
    ("creator.no_posts", "No posts yet.", "Zatím žádné příspěvky."),
    ("creator.older", "Older posts", "Starší příspěvky"),
    ("tier.per_month", "/ month", "/ měsíc"),
    ("tier.per_year", "/ year", "/ rok"),
    ("tier.your_tier", "Your tier", "Vaše úroveň"),
    ("tier.name", "Name", "Název"),
    ("tier.monthly_price", "Monthly price", "Cena za měsíc"),
    ("tier.yearly_price", "Yearly price (optional)", "Cena za rok (nepovinné)"),
    ("tier.currency", "Currency", "Měna"),
    ("tier.member_cap", "Member limit (optional)", "Limit členů (nepovinné)"),
    ("tier.description", "Description", "Popis"),
    ("tier.benefits", "Benefits, one per line", "Výhody, každá na řádek"),
    // posts
    ("kind.text", "Text", "Text"),
    ("kind.photo", "Photo", "Fotka"),
    ("kind.video", "Video", "Video"),
    ("kind.poll", "Poll", "Anketa"),
    ("kind.live", "Live", "Živě"),
    ("post.pinned", "Pinned", "Připnuto"),
    ("post.public_from", "Early access · public from {}", "Předpremiéra · veřejné od {}"),
    ("post.unlock_tier", "Unlock with {} or higher", "Odemkněte s úrovní {} nebo vyšší"),
    ("post.unlock_supporters", "For supporters", "Pro podporovatele"),
    ("post.watch", "Watch the stream", "Sledovat přenos"),
    ("post.document", "Open the document", "Otevřít dokument"),
    ("sandbox.title", "Sandbox payment", "Zkušební platba"),
    ("sandbox.banner", "SANDBOX — no real money moves here", "SANDBOX — žádné skutečné peníze"),
    ("sandbox.pay_to", "Payment to {}", "Platba pro {}"),
    ("sandbox.pay", "Pay", "Zaplatit"),
    ("sandbox.decline", "Decline", "Odmítnout"),
    ("sandbox.pay_twice", "Pay, deliver the callback twice", "Zaplatit a doručit odpověď dvakrát"),
    ("sandbox.settled", "This payment is settled.", "Tato platba je vyřízená."),
    (
        "sandbox.explain",
        "patron's built-in test gateway answers exactly like a card gateway, signed, so the whole platform can be tried without a merchant account.",
        "Vestavěná zkušební brána patronu odpovídá stejně jako platební brána, s podpisem, takže celou platformu lze vyzkoušet bez obchodního účtu.",
    ),
    ("payment.paid", "Thank you! Your membership is active.", "Děkujeme! Vaše členství je aktivní."),
    (
        "payment.declined",
        "The payment was declined; nothing was charged.",
        "Platba byla odmítnuta; nic nebylo strženo.",
    ),
    ("studio.revenue", "Monthly revenue", "Měsíční příjem"),
    ("studio.earnings", "Earnings and shares", "Výdělky a podíly"),
    ("studio.new_churned", "This month: {} new, {} ended", "Tento měsíc: {} nových, {} skončilo"),
    ("studio.export_payments", "Payments (CSV)", "Platby (CSV)"),
    ("studio.export_supporters", "Supporters (CSV)", "Podporovatelé (CSV)"),
    ("account.memberships", "Memberships", "Členství"),
    ("account.no_memberships", "You support no one yet.", "Zatím nikoho nepodporujete."),
    ("account.renews_on", "renews on {}", "obnoví se {}"),
    ("account.ends_on", "ends on {}", "skončí {}"),
    ("account.renews_on_for", "renews on {} for {}", "obnoví se {} za {}"),
    ("account.card", "card {}", "karta {}"),
    ("account.pay_now", "Pay now", "Zaplatit nyní"),
    ("account.change_card", "Change card", "Změnit kartu"),
    ("stripe.title", "Pay for your membership", "Zaplaťte členství"),
    ("stripe.pay_to", "{}, tier “{}”", "{}, úroveň „{}“"),
    ("stripe.monthly", "every month", "každý měsíc"),
    ("stripe.yearly", "every year", "každý rok"),
    (
        "stripe.renews",
        "Charged now and then {} until you cancel, to the card you enter here.",
        "Strhne se nyní a pak {}, dokud členství nezrušíte, z karty, kterou zde zadáte.",
    ),
    ("stripe.pay", "Pay {}", "Zaplatit {}"),
    (
        "stripe.failed",
        "The payment did not go through. Check the card and try again.",
        "Platba neprošla. Zkontrolujte kartu a zkuste to znovu.",
    ),
    (
        "stripe.explain",
        "Your card goes to Stripe, which processes the payments; patron never sees its number.",
        "Údaje karty jdou přímo ke Stripe, který platby zpracovává; patron číslo karty nikdy nevidí.",
    ),
    ("stripe.card_title", "Change your card", "Změna karty"),
    (
        "stripe.card_text",
        "The card you enter is the one your membership of {} is charged to from now on.",
        "Kartou, kterou zadáte, se bude vaše členství u {} od teď platit.",
    ),
    ("stripe.save_card", "Save the card", "Uložit kartu"),
    ("renew.title", "Pay your membership", "Zaplaťte své členství"),
    (
        "renew.text",
        "The renewal of your membership of {} could not be charged automatically. Pay it now to keep your access:",
        "Obnovení vašeho členství u {} se nepodařilo strhnout automaticky. Zaplaťte ho nyní, abyste o přístup nepřišli:",
    ),
    ("renew.tier", "Tier", "Úroveň"),
    ("renew.amount", "Amount", "Částka"),
    ("renew.period", "Next period from", "Další období od"),
    (
        "renew.card_now",
        "The card you pay with now is the one later renewals charge.",
        "Kartou, kterou teď zaplatíte, se budou strhávat i další obnovení.",
    ),
    ("renew.pay", "Pay {}", "Zaplatit {}"),
    ("account.cancel_membership", "Cancel at the end of the period", "Zrušit ke konci období"),
    ("account.resume", "Keep it", "Ponechat"),
    ("account.payments", "Payments", "Platby"),
    ("membership.active", "active", "aktivní"),
    ("membership.past_due", "payment overdue", "platba po splatnosti"),
    ("membership.pending", "waiting for payment", "čeká na platbu"),
    ("membership.expired", "ended", "skončilo"),
    ("admin.payments", "Payments", "Platby"),
    ("admin.no_payments", "No payments yet.", "Zatím žádné platby."),
    ("admin.when", "When", "Kdy"),
    ("admin.page", "Page", "Stránka"),
    ("admin.amount", "Amount", "Částka"),
    ("admin.refund", "Refund and end the membership", "Vrátit platbu a ukončit členství"),
    ("admin.provider", "Gateway", "Brána"),
    ("payment_status.succeeded", "paid", "zaplaceno"),
    ("payment_status.failed", "failed", "nezdařilo se"),
    ("payment_status.refunded", "refunded", "vráceno"),
    ("payment_kind.initial", "first payment", "první platba"),
    ("payment_kind.renewal", "renewal", "obnovení"),
    ("payment_kind.upgrade", "tier upgrade", "přechod na vyšší úroveň"),
    ("payment_kind.duplicate", "paid twice (to refund)", "zaplaceno dvakrát (k vrácení)"),
    ("dispute.open", "disputed by the fan's bank", "rozporováno bankou fanouška"),
    ("dispute.won", "dispute won", "spor vyhrán"),
    ("dispute.lost", "dispute lost: the money was taken back", "spor prohrán: peníze byly strženy zpět"),
    ("tier.switch", "Switch to this tier", "Přejít na tuto úroveň"),
    ("payment.tier_changed", "Your tier has changed.", "Vaše úroveň se změnila."),
    (
        "payment.tier_scheduled",
        "Your tier changes when your next period starts.",
        "Úroveň se změní začátkem dalšího období.",
    ),
    ("tier.join", "Join", "Přidat se"),
    ("studio.storage", "Files: {} ({} in storage)", "Soubory: {} ({} v úložišti)"),
    ("studio.images", "Avatar and cover", "Avatar a obrázek v záhlaví"),
    ("studio.avatar", "Avatar (cropped to a square)", "Avatar (ořízne se na čtverec)"),
    ("studio.cover", "Cover (cropped to 3:1)", "Obrázek v záhlaví (ořízne se na 3 : 1)"),
    (
        "studio.images_hint",
        "The new image appears on your page a moment after the upload.",
        "Nový obrázek se na stránce objeví chvíli po nahrání.",
    ),
    (
        "studio.image_uploaded",
        "Uploaded: it appears on your page in a moment.",
        "Nahráno: na stránce se objeví za chvíli.",
    ),
    ("studio.files", "Photos, videos and files", "Fotky, videa a soubory"),
    ("studio.add_files", "Add files", "Přidat soubory"),
    (
        "studio.files_hint",
        "Images, videos, audio or PDF. Fans see the post once its files are processed.",
        "Obrázky, videa, zvuk nebo PDF. Fanoušci příspěvek uvidí, až budou soubory zpracované.",
    ),
    ("studio.remove_file", "Remove", "Odebrat"),
    ("studio.retry", "Try again", "Zkusit znovu"),
    ("media.processing", "processing", "zpracovává se"),
    ("media.ready", "ready", "připraveno"),
    ("media.failed", "processing failed", "zpracování selhalo"),
    ("live.upcoming", "Upcoming stream", "Chystaný přenos"),
    ("live.live", "Live now", "Právě živě"),
    ("live.ended", "Stream ended", "Přenos skončil"),
    ("poll.closed", "Voting has ended.", "Hlasování skončilo."),
    ("poll.closes", "Voting ends {}", "Hlasování končí {}"),
    ("poll.vote", "Vote", "Hlasovat"),
    ("poll.change_vote", "Change my vote", "Změnit hlas"),
    ("poll.login_to_vote", "Log in to vote", "Pro hlasování se přihlaste"),
    ("comment.heading", "Comments", "Komentáře"),
    ("comment.deleted", "This comment was deleted.", "Tento komentář byl smazán."),
    ("comment.reply", "Reply", "Odpovědět"),
    ("comment.send", "Send", "Odeslat"),
    ("comment.delete", "Delete", "Smazat"),
    ("comment.none", "No comments yet.", "Zatím žádné komentáře."),
    ("comment.write", "Write a comment", "Napište komentář"),
    ("comment.login", "Log in to comment", "Pro komentování se přihlaste"),
    ("comment.someone", "Someone", "Někdo"),
    // discover and feed
    ("discover.title", "Discover creators", "Objevte tvůrce"),
    ("discover.search", "Search by name", "Hledat podle jména"),
    ("discover.sort", "Sort", "Řazení"),
    ("discover.newest", "Newest", "Nejnovější"),
    ("discover.popular", "Most supporters", "Nejvíc podporovatelů"),
    ("discover.go", "Search", "Hledat"),
    ("discover.none", "No creators found.", "Žádní tvůrci nenalezeni."),
    ("discover.more", "More creators", "Další tvůrci"),
    ("feed.empty", "Nothing here yet: follow some creators.", "Zatím tu nic není: sledujte nějaké tvůrce."),
    // studio
    ("studio.your_pages", "Your pages", "Vaše stránky"),
    ("studio.create_page", "Create a creator page", "Založit stránku tvůrce"),
    ("studio.page_name", "Name", "Název"),
    ("studio.page_address", "Address", "Adresa"),
    (
        "studio.page_address_hint",
        "(letters a–z, digits, hyphens; from the name when empty)",
        "(písmena a–z, číslice, pomlčky; z názvu, když zůstane prázdná)",
    ),
    ("studio.create", "Create page", "Založit stránku"),
    ("studio.view_page", "View the page", "Zobrazit stránku"),
    ("studio.not_team", "Not your page", "Není vaše stránka"),
    (
        "studio.not_team_text",
        "Only the page's team can open it in the studio.",
        "Ve studiu ji může otevřít jen tým stránky.",
    ),
    ("studio.posts", "Posts", "Příspěvky"),
    ("studio.new_post", "New {}", "Nový příspěvek: {}"),
    ("studio.title", "Title", "Nadpis"),
    ("studio.state", "State", "Stav"),
    ("studio.date", "Date", "Datum"),
    ("studio.edit", "Edit", "Upravit"),
    ("studio.pin", "Pin", "Připnout"),
    ("studio.unpin", "Unpin", "Odepnout"),
    ("studio.delete", "Delete", "Smazat"),
    ("studio.archived", "archived", "archivováno"),
    ("studio.archive", "Archive (no new members)", "Archivovat (žádní noví členové)"),
    ("studio.unarchive", "Offer again", "Znovu nabízet"),
    ("studio.save", "Save", "Uložit"),
    ("studio.add_tier", "Add a tier", "Přidat úroveň"),
    (
        "studio.price_change_note",
        "A new price applies to new members; current members keep theirs.",
        "Nová cena platí pro nové členy; stávající si ponechají svou.",
    ),
    ("studio.team", "Team", "Tým"),
    ("studio.leave", "Leave the team", "Opustit tým"),
    ("studio.remove", "Remove", "Odebrat"),
    ("studio.invited", "Invited: {}", "Pozván(a): {}"),
    ("studio.revoke", "Withdraw", "Zrušit"),
    ("studio.invite_email", "Invite by e-mail", "Pozvat e-mailem"),
    ("studio.invite", "Invite", "Pozvat"),
    (
        "studio.invitation_link",
        "Invitation sent by e-mail. You can also pass on the link yourself: {}",
        "Pozvánka odeslána e-mailem. Odkaz můžete předat i sami: {}",
    ),
    ("studio.transfer_to", "Hand the page over to", "Předat stránku"),
    ("studio.transfer", "Hand over", "Předat"),
    ("studio.settings", "Page settings", "Nastavení stránky"),
    ("studio.bio", "About (Markdown)", "O stránce (Markdown)"),
    ("studio.hidden", "Hide the page from everyone but the team", "Skrýt stránku všem kromě týmu"),
    ("studio.delete_page", "Delete the page", "Smazat stránku"),
    ("studio.delete_confirm", "Type the page's address ({}) to confirm", "Pro potvrzení napište adresu stránky ({})"),
    (
        "studio.delete_confirm_mismatch",
        "The address did not match; nothing was deleted.",
        "Adresa nesouhlasí; nic nebylo smazáno.",
    ),
    ("studio.editor", "Post editor", "Editor příspěvku"),
    ("studio.edit_post", "Edit post", "Upravit příspěvek"),
    ("studio.body", "Text", "Text"),
    (
        "studio.markdown_hint",
        "(Markdown: **bold**, *italic*, [link](https://…))",
        "(Markdown: **tučně**, *kurzíva*, [odkaz](https://…))",
    ),
    ("studio.live_url", "Stream address", "Adresa přenosu"),
    ("studio.live_starts", "Starts", "Začátek"),
    ("studio.live_ends", "Ends (optional)", "Konec (nepovinné)"),
    ("studio.poll_options", "Options, one per line", "Možnosti, každá na řádek"),
    ("studio.poll_multiple", "Allow several choices", "Povolit více možností"),
    ("studio.poll_closes", "Voting ends (optional)", "Konec hlasování (nepovinné)"),
    ("studio.poll_results", "Who sees the results", "Kdo vidí výsledky"),
    ("studio.results_always", "Everyone, at any time", "Všichni, kdykoli"),
    ("studio.results_after_vote", "Those who voted", "Ti, kdo hlasovali"),
    ("studio.results_after_close", "Everyone, after voting ends", "Všichni, po skončení hlasování"),
    ("studio.audience", "Who sees it", "Kdo to uvidí"),
    ("studio.public_from", "Public from (optional)", "Veřejné od (nepovinné)"),
    (
        "studio.public_from_hint",
        "(early access: supporters first, everyone from this date)",
        "(předpremiéra: nejdřív podporovatelé, od tohoto data všichni)",
    ),
    ("studio.publishing", "Publishing", "Zveřejnění"),
    ("studio.publish_now", "Publish now", "Zveřejnit hned"),
    ("studio.schedule", "Schedule for", "Naplánovat na"),
    ("studio.preview", "Preview", "Náhled"),
    ("visibility.public", "Everyone", "Všichni"),
    ("visibility.supporters", "All supporters", "Všichni podporovatelé"),
    ("visibility.tier", "Supporters of this tier and higher", "Podporovatelé této úrovně a vyšší"),
    ("state.draft", "Draft", "Koncept"),
    ("state.scheduled", "Scheduled", "Naplánováno"),
    ("state.published", "Published", "Zveřejněno"),
    ("role.owner", "owner", "vlastník"),
    ("role.contributor", "contributor", "přispěvatel"),
    ("invitation.title", "Join a creator's team", "Připojte se k týmu tvůrce"),
    ("invitation.text", "You are invited to help run {}.", "Jste zváni pomáhat se stránkou {}."),
    ("invitation.for", "The invitation was sent to {}.", "Pozvánka byla poslána na {}."),
    ("invitation.accept", "Join the team", "Připojit se k týmu"),
    ("invitation.gone", "Invitation not found", "Pozvánka nenalezena"),
    (
        "invitation.gone_text",
        "This invitation is unknown, used up or expired.",
        "Tato pozvánka neexistuje, byla použita nebo vypršela.",
    ),
    ("live.new_post", "New post", "Nový příspěvek"),
    ("nav.admin", "Admin", "Správa"),
    ("links.gone", "This link does not work any more", "Tento odkaz už neplatí"),
    (
        "links.gone_text",
        "It was used already, or it expired. Ask for a new one.",
        "Byl už použit, nebo vypršel. Požádejte o nový.",
    ),
    ("links.verified", "Address confirmed", "Adresa potvrzena"),
    (
        "links.verified_text",
        "Thank you: your e-mail address is confirmed.",
        "Děkujeme, vaše e-mailová adresa je potvrzena.",
    ),
    ("links.verification_sent", "Confirmation link sent", "Odkaz pro potvrzení odeslán"),
    (
        "links.check_inbox",
        "Check your inbox and open the link in the mail.",
        "Podívejte se do schránky a otevřete odkaz v e-mailu.",
    ),
    ("links.resend", "Send the confirmation link again", "Poslat odkaz pro potvrzení znovu"),
    ("links.forgot", "Forgot your password?", "Zapomněli jste heslo?"),
    (
        "links.forgot_intro",
        "Enter your account's e-mail address and we will send a link to choose a new password.",
        "Zadejte e-mail svého účtu a pošleme vám odkaz pro nastavení nového hesla.",
    ),
    ("links.send_reset", "Send the link", "Poslat odkaz"),
    ("links.sign_in_link", "E-mail me a sign-in link", "Poslat odkaz pro přihlášení e-mailem"),
    (
        "links.sign_in_link_intro",
        "Log in without a password: we send a link that works once, for fifteen minutes.",
        "Přihlaste se bez hesla: pošleme odkaz, který platí jednou, patnáct minut.",
    ),
    ("links.send_sign_in", "Send the sign-in link", "Poslat odkaz"),
    ("links.bad_email", "Enter a valid e-mail address.", "Zadejte platnou e-mailovou adresu."),
    ("links.sent", "Check your inbox", "Podívejte se do schránky"),
    (
        "links.sent_text",
        "If an account has this address, a mail with the link is on its way.",
        "Pokud k této adrese existuje účet, e-mail s odkazem je na cestě.",
    ),
    ("links.new_password", "Choose a new password", "Nové heslo"),
    ("links.password_rules", "At least 8 characters.", "Alespoň 8 znaků."),
    ("links.set_password", "Set the password", "Nastavit heslo"),
    ("links.password_changed", "Password changed", "Heslo změněno"),
    (
        "links.password_changed_text",
        "Log in with the new password. Every device that was logged in has been logged out.",
        "Přihlaste se novým heslem. Všechna zařízení, kde jste byli přihlášeni, byla odhlášena.",
    ),
    ("links.sign_in", "Log in to patron", "Přihlášení na patron"),
    ("links.sign_in_text", "Confirm to log in on this device.", "Potvrďte přihlášení na tomto zařízení."),
    ("admin.jobs", "Background jobs", "Úlohy na pozadí"),
    ("admin.queue", "Queue", "Fronta"),
    ("admin.queue_empty", "Nothing waiting, running or dead.", "Nic nečeká, neběží ani neselhalo."),
    ("admin.kind", "Kind", "Druh"),
    ("admin.status", "State", "Stav"),
    ("admin.count", "Count", "Počet"),
    ("admin.no_jobs", "No jobs in this state.", "V tomto stavu nejsou žádné úlohy."),
    ("admin.attempts", "Attempts", "Pokusy"),
    ("admin.due", "Due", "Naplánováno"),
    ("admin.last_error", "Last error", "Poslední chyba"),
    ("admin.retry", "Retry", "Zkusit znovu"),
    ("admin.discard", "Discard", "Zahodit"),
    ("live.reply", "New reply from", "Nová odpověď od"),
    ("unsubscribe.title", "Unsubscribe", "Odhlášení e-mailů"),
    (
        "unsubscribe.question",
        "Stop these e-mails? You can turn them on again in your account.",
        "Přestat posílat tyto e-maily? Znovu je můžete zapnout ve svém účtu.",
    ),
    ("unsubscribe.confirm", "Stop these e-mails", "Přestat posílat"),
    ("unsubscribe.done", "Done: you will get no more of these e-mails.", "Hotovo: tyto e-maily už chodit nebudou."),
    (
        "mailpref.new_posts",
        "E-mails about new posts of creators I follow",
        "E-maily o nových příspěvcích tvůrců, které sleduji",
    ),
    ("mailpref.digest", "A weekly digest of the posts I may read", "Týdenní přehled příspěvků, které si mohu přečíst"),
    ("account.emails", "E-mails", "E-maily"),
    ("account.emails_save", "Save", "Uložit"),
    ("account.emails_saved", "Saved.", "Uloženo."),
];

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(accept: &str, cookie: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(accept).unwrap_or_else(|_| unreachable!()),
        );
        if let Some(cookie) = cookie {
            headers
                .insert(axum::http::header::COOKIE, HeaderValue::from_str(cookie).unwrap_or_else(|_| unreachable!()));
        }
        headers
    }

    #[test]
    fn the_browser_language_is_honoured_by_quality() {
        assert_eq!(Lang::negotiate(&headers("cs-CZ,cs;q=0.9,en;q=0.8", None)), Lang::Cs);
        assert_eq!(Lang::negotiate(&headers("de-DE,en;q=0.5,cs;q=0.4", None)), Lang::En);
        assert_eq!(Lang::negotiate(&headers("sk", None)), Lang::Cs);
        assert_eq!(Lang::negotiate(&headers("de, fr;q=0.8", None)), Lang::En);
        assert_eq!(Lang::negotiate(&headers("cs;q=0, en", None)), Lang::En);
    }

    #[test]
    fn a_chosen_language_wins_over_the_browser() {
        assert_eq!(Lang::negotiate(&headers("cs", Some("patron_lang=en"))), Lang::En);
    }

    #[test]
    fn every_key_is_unique_and_translated() {
        let mut seen = std::collections::HashSet::new();
        for (key, en, cs) in all_messages() {
            assert!(seen.insert(key), "{key} appears twice");
            assert!(!en.is_empty() && !cs.is_empty(), "{key} lacks a translation");
        }
    }

    #[test]
    fn every_key_the_templates_use_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{e}")) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for marker in [".t(\"", ".t1(\"", ".t2(\"", ".plural(\""] {
                for piece in text.split(marker).skip(1) {
                    let key = piece.split('"').next().unwrap_or_default();
                    if !CATALOG.contains_key(key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        let sources = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut stack = vec![std::path::PathBuf::from(sources)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
                let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for marker in ["lang.t(\"", "lang.t1(\"", "lang().t(\"", "lang().t1(\""] {
                    for piece in text.split(marker).skip(1) {
                        let key = piece.split('"').next().unwrap_or_default();
                        if !CATALOG.contains_key(key) {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
                for piece in text.split("=> \"").skip(1) {
                    let key = piece.split('"').next().unwrap_or_default();
                    let looks_like_key =
                        key.contains('.') && key.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_');
                    if looks_like_key && !CATALOG.contains_key(key) && path.to_string_lossy().contains("pages") {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys missing from MESSAGES: {missing:?}");
    }
}
