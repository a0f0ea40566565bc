//! Error messages in the request's language. The use cases and the domain say what went wrong
//! in English; [`translate`] finds the sentence here — `{}` stands for a value such as a
//! number or a name, carried over in order — and gives its Czech. A test scans the sources for
//! every message an error can carry and fails when one is missing here.

use super::Lang;

/// Every error message: English (as the code writes it), Czech.
pub(super) static MESSAGES: &[(&str, &str)] = &[
    // the headings of error pages
    ("Temporarily unavailable", "Dočasně nedostupné"),
    ("Too many attempts", "Příliš mnoho pokusů"),
    ("Something went wrong", "Něco se pokazilo"),
    ("This did not work", "Tohle nevyšlo"),
    ("Not allowed", "Nepovoleno"),
    ("Too much data", "Příliš mnoho dat"),
    ("Not found", "Nenalezeno"),
    ("Page not found", "Stránka nenalezena"),
    ("Feed not found", "Kanál nenalezen"),
    ("This form has expired", "Platnost formuláře vypršela"),
    ("The form could not be read", "Formulář nejde přečíst"),
    (
        "The form was too old or came from another site, so nothing was changed. Go back, reload the page and try again. (Cookies must be enabled.)",
        "Formulář byl příliš starý nebo přišel z jiného webu, takže se nic nezměnilo. Vraťte se, načtěte stránku znovu a zkuste to ještě jednou. (Je potřeba mít zapnuté cookies.)",
    ),
    // requests, sessions, limits
    (
        "Log in first: this needs a session or an API token.",
        "Nejdřív se přihlaste: tohle vyžaduje přihlášení nebo API token.",
    ),
    ("Wrong e-mail address or password.", "Špatný e-mail nebo heslo."),
    (
        "The API token is unknown, expired or revoked. Log in again.",
        "API token neznáme, vypršel nebo byl zrušen. Přihlaste se znovu.",
    ),
    ("Too many attempts. Try again in {} seconds.", "Příliš mnoho pokusů. Zkuste to znovu za {} s."),
    ("There is nothing here.", "Tady nic není."),
    ("There is nothing at this address.", "Na této adrese nic není."),
    ("There is no such file.", "Takový soubor tu není."),
    ("The request body is too large.", "Požadavek je příliš velký."),
    ("The form sent more data than patron accepts.", "Formulář poslal víc dat, než patron přijme."),
    (
        "Some fields were missing or malformed. Go back, reload the page and try again.",
        "Některá pole chyběla nebo byla poškozená. Vraťte se, načtěte stránku znovu a zkuste to ještě jednou.",
    ),
    ("The request was malformed.", "Požadavek je poškozený."),
    ("The request could not be completed.", "Požadavek nešlo dokončit."),
    ("This address does not accept that kind of request.", "Tato adresa takový požadavek nepřijímá."),
    (
        "The request took too long or the service is busy; please try again.",
        "Požadavek trval příliš dlouho nebo je služba vytížená; zkuste to prosím znovu.",
    ),
    (
        "The service is temporarily unavailable; try again shortly.",
        "Služba je dočasně nedostupná; zkuste to za chvíli.",
    ),
    (
        "Something went wrong on our side. It has been logged; please try again.",
        "Něco se pokazilo u nás. Zaznamenali jsme to; zkuste to prosím znovu.",
    ),
    (
        "Changes are paused for a moment while patron moves to a new database; reading works. Try again shortly.",
        "Změny jsou na chvíli pozastavené, patron se stěhuje do nové databáze; čtení funguje. Zkuste to za chvíli.",
    ),
    (
        "Missing or wrong CSRF token: send the X-CSRF-Token header with cookie-authenticated requests.",
        "Chybí nebo nesedí ochranný token formuláře: načtěte stránku znovu (API: pošlete hlavičku X-CSRF-Token).",
    ),
    (
        "Send the body as JSON with `Content-Type: application/json`.",
        "Pošlete tělo jako JSON s `Content-Type: application/json`.",
    ),
    (
        "The Authorization header must be `Bearer <token>` with a token from /api/v1/auth/login.",
        "Hlavička Authorization musí být `Bearer <token>` s tokenem z /api/v1/auth/login.",
    ),
    (
        "This address is not valid (it may have expired): reload the page.",
        "Tato adresa neplatí (možná vypršela): načtěte stránku znovu.",
    ),
    ("The cursor is not one this server handed out.", "Tento kurzor server nevydal."),
    ("The cursor is not a comment of this post.", "Kurzor není komentář tohoto příspěvku."),
    ("after must be a comment id", "after musí být id komentáře"),
    ("sort must be newest or popular", "sort musí být newest nebo popular"),
    ("interval must be month or year.", "interval musí být month nebo year."),
    ("Name the creator page: ?creator=slug.", "Uveďte stránku tvůrce: ?creator=adresa."),
    ("patron speaks English and Czech.", "patron mluví anglicky a česky."),
    ("This feed address is unknown or was revoked.", "Tuto adresu kanálu neznáme nebo byla zrušena."),
    // accounts
    ("An account with this e-mail address already exists.", "Účet s touto e-mailovou adresou už existuje."),
    (
        "An account with this e-mail address already exists. Log in instead.",
        "Účet s touto e-mailovou adresou už existuje. Přihlaste se.",
    ),
    ("This e-mail address is confirmed already.", "Tato e-mailová adresa už je potvrzená."),
    (
        "This link is not valid any more: it was used already, or it expired. Ask for a new one.",
        "Tento odkaz už neplatí: byl použit nebo vypršel. Požádejte o nový.",
    ),
    ("This unsubscribe link is not valid.", "Tento odkaz pro odhlášení neplatí."),
    ("Only platform admins may do this.", "Tohle smí jen správci platformy."),
    ("is not your current password", "není vaše současné heslo"),
    ("is your address already", "už je vaše adresa"),
    ("Another account uses this address.", "Tuto adresu používá jiný účet."),
    (
        "You own a creator page: hand it over to a team member or delete it first.",
        "Vlastníte stránku tvůrce: nejdřív ji předejte členovi týmu nebo smažte.",
    ),
    // creators, team, tiers
    ("There is no creator page at this address.", "Na této adrese není žádná stránka tvůrce."),
    ("Another creator page already uses this address.", "Tuto adresu už používá jiná stránka tvůrce."),
    ("Only the creator's team may do this.", "Tohle smí jen tým tvůrce."),
    ("Only the page's owner may do this.", "Tohle smí jen majitel stránky."),
    ("Only the owner may remove other team members.", "Ostatní členy týmu smí odebrat jen majitel."),
    (
        "Invite them to the team first; only a team member can take over.",
        "Nejdřív je pozvěte do týmu; stránku může převzít jen člen týmu.",
    ),
    (
        "No such contributor; the owner cannot leave, only hand the page over first.",
        "Takový spolupracovník tu není; majitel nemůže odejít, jen nejdřív stránku předat.",
    ),
    ("No such team member.", "Takový člen týmu tu není."),
    ("They are already a member of this page.", "Už jsou členy této stránky."),
    ("This invitation is unknown, used up or expired.", "Tuto pozvánku neznáme, byla použita nebo vypršela."),
    ("This invitation was used or withdrawn meanwhile.", "Pozvánka byla mezitím použita nebo stažena."),
    ("This page has no such tier.", "Tato stránka takovou úroveň nemá."),
    (
        "A page may have at most {} active tiers; archive one first.",
        "Stránka smí mít nejvýš {} aktivních úrovní; nejdřív jednu archivujte.",
    ),
    ("Archive another tier first.", "Nejdřív archivujte jinou úroveň."),
    // posts, polls, comments
    ("There is no such post.", "Takový příspěvek tu není."),
    ("There is no such comment.", "Takový komentář tu není."),
    ("Comments are for those who can see the post.", "Komentovat mohou ti, kdo příspěvek vidí."),
    (
        "Only the comment's author or the creator's team may delete it.",
        "Komentář smí smazat jen jeho autor nebo tým tvůrce.",
    ),
    (
        "Only supporters with access to this post may vote.",
        "Hlasovat mohou jen podporovatelé s přístupem k tomuto příspěvku.",
    ),
    ("This poll has closed.", "Tato anketa je uzavřená."),
    ("This post is not a poll.", "Tento příspěvek není anketa."),
    ("The options of a poll cannot change once people voted.", "Možnosti ankety se po prvních hlasech nemohou měnit."),
    ("choose one or more of the poll's options", "vyberte jednu nebo více možností ankety"),
    ("{} is not a category of mail; the categories are {}", "{} není druh e-mailů; druhy jsou {}"),
    ("status must be one of {}", "status musí být jeden z {}"),
    ("choose exactly one of the poll's options", "vyberte právě jednu z možností ankety"),
    ("is in the past: publish now, or choose a later time", "už minul: zveřejněte hned, nebo zvolte pozdější čas"),
    // media
    (
        "Direct uploads need S3 storage; send the file to POST /api/v1/media instead.",
        "Přímé nahrávání potřebuje úložiště S3; pošlete soubor na POST /api/v1/media.",
    ),
    (
        "The file has not arrived in storage yet: finish the PUT first.",
        "Soubor ještě do úložiště nedorazil: nejdřív dokončete PUT.",
    ),
    ("This file is not waiting for a direct upload.", "Tento soubor nečeká na přímé nahrání."),
    (
        "Only a file whose processing failed can be retried.",
        "Znovu zpracovat jde jen soubor, jehož zpracování selhalo.",
    ),
    (
        "This kind of file is not accepted: images (JPEG, PNG, WebP, GIF), videos (MP4, WebM, MOV), audio (MP3, M4A, Ogg, WAV, FLAC) and PDF documents are.",
        "Tento druh souboru nepřijímáme: přijímáme obrázky (JPEG, PNG, WebP, GIF), videa (MP4, WebM, MOV), zvuk (MP3, M4A, Ogg, WAV, FLAC) a dokumenty PDF.",
    ),
    ("The uploaded file is not of an accepted type.", "Nahraný soubor není přijímaného typu."),
    ("{} is not an accepted type.", "{} není přijímaný typ."),
    ("A {} cannot be a {} file.", "{} nemůže být soubor typu {}."),
    ("{} files may be at most {}.", "Soubory typu {} smějí mít nejvýš {}."),
    ("The upload stopped arriving.", "Nahrávání přestalo přicházet."),
    ("The upload could not be read: {}", "Nahraný soubor nejde přečíst: {}"),
    ("Send the file in a multipart field named \"file\".", "Pošlete soubor v multipart poli \"file\"."),
    ("The requested range is not in the file.", "Požadovaný rozsah v souboru není."),
    ("purpose must be post, avatar, cover or private.", "purpose musí být post, avatar, cover nebo private."),
    // memberships and payments
    ("No payment provider is configured.", "Není nastavená žádná platební brána."),
    ("The page's team cannot join it as fans.", "Tým stránky se k ní nemůže přidat jako fanoušek."),
    ("You are already a member of this page.", "Už jste členem této stránky."),
    ("This tier costs nothing: follow the page instead.", "Tato úroveň je zdarma: stránku stačí sledovat."),
    ("This tier is full.", "Tato úroveň je plná."),
    ("This tier is paid monthly only.", "Tato úroveň se platí jen měsíčně."),
    ("This membership is not waiting for a payment.", "Toto členství nečeká na platbu."),
    ("This membership is not paid through Stripe.", "Toto členství se neplatí přes Stripe."),
    ("This membership was not paid in the sandbox.", "Toto členství nebylo placeno v sandboxu."),
    ("This payment is finished already.", "Tato platba už je dokončená."),
    ("This sandbox payment is settled already.", "Tato platba v sandboxu už je vyřízená."),
    ("The payment was declined: {}", "Platba byla zamítnuta: {}"),
    ("Only a succeeded payment can be refunded, once.", "Vrátit jde jen úspěšnou platbu, a to jednou."),
    ("Only a succeeded payment can be disputed.", "Reklamovat jde jen úspěšnou platbu."),
    ("The dispute's status is open, won or lost.", "Stav reklamace je open, won nebo lost."),
    ("Stripe reports its disputes to patron itself.", "Stripe hlásí své reklamace patronu sám."),
    ("a disputed payment is not refunded: the dispute decides", "reklamovaná platba se nevrací: rozhodne reklamace"),
    ("the membership has ended already", "členství už skončilo"),
    ("only an active membership changes tier", "úroveň jde změnit jen u aktivního členství"),
    ("that tier is not open to this membership", "tato úroveň není pro toto členství dostupná"),
    ("that tier is paid monthly only", "tato úroveň se platí jen měsíčně"),
    ("the card is not saved yet", "karta ještě není uložená"),
    ("the gateway has refunded this payment already", "brána už tuto platbu vrátila"),
    ("the membership has no paid period", "členství nemá zaplacené období"),
    ("this membership has no card to charge", "u tohoto členství není karta, ze které by šlo platit"),
    ("this membership is not waiting for a payment", "toto členství nečeká na platbu"),
    // payouts, tax
    ("No bank account is given yet.", "Zatím není zadaný bankovní účet."),
    ("This person has not given a bank account.", "Tento člověk nezadal bankovní účet."),
    (
        "Set PATRON_PAYOUT_IBAN and PATRON_PAYOUT_NAME to make bank files.",
        "Pro bankovní soubory nastavte PATRON_PAYOUT_IBAN a PATRON_PAYOUT_NAME.",
    ),
    (
        "Set PATRON_PAYOUT_IBAN and PATRON_PAYOUT_NAME: the platform's account payouts are sent from.",
        "Nastavte PATRON_PAYOUT_IBAN a PATRON_PAYOUT_NAME: účet platformy, ze kterého odcházejí výplaty.",
    ),
    ("This batch was marked sent before.", "Tato dávka už byla označena jako odeslaná."),
    ("This payout was marked failed before.", "Tato výplata už byla označena jako neúspěšná."),
    ("There is no dead job with this id.", "Mrtvá úloha s tímto id neexistuje."),
    (
        "The seller is not registered for VAT: there is no OSS return.",
        "Prodávající není plátcem DPH: přiznání OSS se nepodává.",
    ),
    (
        "The seller does not use the One-Stop Shop (PATRON_SELLER_OSS).",
        "Prodávající nepoužívá režim jednoho správního místa (PATRON_SELLER_OSS).",
    ),
    (
        "The ECB's {} rate for {} or later is not known yet; try again once it is published.",
        "Kurz ECB pro {} ke dni {} nebo pozdějšímu zatím není známý; zkuste to po jeho vyhlášení.",
    ),
    // field rules (shown after the field's name)
    ("is required", "je povinné"),
    ("is not an e-mail address", "není e-mailová adresa"),
    ("is not an e-mail address (name@example.com)", "není e-mailová adresa (jmeno@example.com)"),
    ("is longer than 254 characters", "je delší než 254 znaků"),
    ("must be at least 8 characters long", "musí mít aspoň 8 znaků"),
    ("must be at most 1024 bytes long", "smí mít nejvýš 1024 bajtů"),
    ("must not be only spaces", "nesmí být jen mezery"),
    ("must be at most 80 characters long", "smí mít nejvýš 80 znaků"),
    ("must be at most 2000 characters long", "smí mít nejvýš 2000 znaků"),
    ("must be at most 5000 characters long", "smí mít nejvýš 5000 znaků"),
    ("must be at most 100000 characters long", "smí mít nejvýš 100000 znaků"),
    ("must be 1 to 60 characters long", "musí mít 1 až 60 znaků"),
    ("must be 1 to 80 characters long", "musí mít 1 až 80 znaků"),
    ("must be 1 to 200 characters long", "musí mít 1 až 200 znaků"),
    ("must be 1 to 5000 characters long", "musí mít 1 až 5000 znaků"),
    ("must be 3 to 40 characters long", "musí mít 3 až 40 znaků"),
    ("must not contain control characters", "nesmí obsahovat řídicí znaky"),
    ("must not contain spaces", "nesmí obsahovat mezery"),
    ("may contain only letters a–z, digits and hyphens", "smí obsahovat jen písmena a–z, číslice a pomlčky"),
    (
        "must not start or end with a hyphen or contain two in a row",
        "nesmí začínat ani končit pomlčkou ani obsahovat dvě za sebou",
    ),
    ("is reserved; choose another address", "je vyhrazená; zvolte jinou adresu"),
    ("must be one of text, photo, video, poll, live", "musí být text, photo, video, poll nebo live"),
    ("must be one of public, supporters, tier", "musí být public, supporters nebo tier"),
    ("must be one of this page's tiers", "musí být jedna z úrovní této stránky"),
    ("is required when visibility is tier", "je povinná, když je viditelnost podle úrovně"),
    ("only applies to supporters-only posts", "platí jen pro příspěvky pro podporovatele"),
    ("must be an http(s) address of the stream", "musí být http(s) adresa přenosu"),
    ("is required for a live post", "je povinné u živého vysílání"),
    ("must be after the start", "musí být po začátku"),
    ("a poll needs 2 to 10 options", "anketa potřebuje 2 až 10 možností"),
    ("options are at most 200 characters long", "možnosti smějí mít nejvýš 200 znaků"),
    ("must be always, after_vote or after_close", "musí být always, after_vote nebo after_close"),
    ("a post has at most 20 files", "příspěvek smí mít nejvýš 20 souborů"),
    ("{} is not a file uploaded to this page", "{} není soubor nahraný k této stránce"),
    ("is not a comment of this post", "není komentář tohoto příspěvku"),
    ("must be option ids of the poll", "musí být id možností ankety"),
    ("must be tier ids", "musí být id úrovní"),
    ("must list every tier of the page once", "musí uvést každou úroveň stránky jednou"),
    ("must be draft or published", "musí být draft nebo published"),
    ("must be a date and time", "musí být datum a čas"),
    ("is required to schedule a post", "je potřeba k naplánování příspěvku"),
    (
        "must be an RFC 3339 time such as 2026-12-01T18:00:00Z",
        "musí být čas podle RFC 3339, např. 2026-12-01T18:00:00Z",
    ),
    ("must be a whole number", "musí být celé číslo"),
    ("must be an amount such as 59 or 59.50", "musí být částka, např. 59 nebo 59,50"),
    ("must be between 0 and 100000000 minor units", "musí být mezi 0 a 100000000 haléři (centy)"),
    ("must be between 1 and 10000000", "musí být mezi 1 a 10000000"),
    ("at most 20 benefits of at most 200 characters each", "nejvýš 20 výhod, každá nejvýš 200 znaků"),
    ("must be one of {}", "musí být jedna z {}"),
    ("{} is not an amount with its currency (e.g. 500 CZK)", "{} není částka s měnou (např. 500 CZK)"),
    ("{} is negative: an amount is 0 or more", "{} je záporná: částka je 0 nebo víc"),
    (
        "must be a percentage from 0 to 100 with at most two decimals",
        "musí být procenta od 0 do 100 s nejvýš dvěma desetinnými místy",
    ),
    ("the shares add up to more than 100 %", "podíly dávají dohromady víc než 100 %"),
    ("the shares must add up to 100 %", "podíly musí dát dohromady 100 %"),
    ("a team member has two shares", "člen týmu má dva podíly"),
    ("{} is not in the page's team", "{} není v týmu stránky"),
    (
        "is not a country we can bill: pick one from the list",
        "není země, do které můžeme fakturovat: vyberte ze seznamu",
    ),
    (
        "is not an EU VAT ID: a country prefix and its number, e.g. CZ12345678",
        "není DIČ v EU: předpona země a číslo, např. CZ12345678",
    ),
    ("is not a valid VAT ID according to the EU's VIES register", "podle registru VIES není platné DIČ"),
    ("belongs to another country than the billing country", "patří jiné zemi, než je země fakturace"),
    ("is needed with a VAT ID", "je potřeba k DIČ"),
    ("is too long (at most 200 characters)", "je příliš dlouhý (nejvýš 200 znaků)"),
    ("is not a quarter: a year and Q1 to Q4, e.g. 2026-Q4", "není čtvrtletí: rok a Q1 až Q4, např. 2026-Q4"),
    ("is a month written as YYYY-MM, e.g. 2026-11", "je měsíc ve tvaru RRRR-MM, např. 2026-11"),
    ("is not a year, e.g. 2026", "není rok, např. 2026"),
    (
        "is not an IBAN (e.g. CZ65 0800 0000 1920 0014 5399) or a Czech account (19-2000145399/0800)",
        "není IBAN (např. CZ65 0800 0000 1920 0014 5399) ani český účet (19-2000145399/0800)",
    ),
    (
        "is not an IBAN: the third and fourth characters are its check digits",
        "není IBAN: třetí a čtvrtý znak jsou kontrolní číslice",
    ),
    ("is not the IBAN of a country in the SEPA scheme", "není IBAN země v systému SEPA"),
    ("an IBAN of {} has {} characters", "IBAN země {} má {} znaků"),
    ("has a typo: its check digits do not match (IBAN checksum)", "obsahuje překlep: nesedí kontrolní číslice (IBAN)"),
    (
        "has a typo: the account number's check digit does not match",
        "obsahuje překlep: nesedí kontrolní číslice čísla účtu",
    ),
    ("is not a Czech account number", "není české číslo účtu"),
    (
        "a Czech account number is [prefix-]number/bank, up to 6 and 10 digits",
        "české číslo účtu je [předčíslí-]číslo/banka, až 6 a 10 číslic",
    ),
    (
        "a Czech account number ends with the bank's four-digit code (/0800)",
        "české číslo účtu končí čtyřmístným kódem banky (/0800)",
    ),
    (
        "is the account holder's name as the bank knows it (1 to 70 characters)",
        "je jméno majitele účtu, jak ho zná banka (1 až 70 znaků)",
    ),
    (
        "says why the payout failed, as the bank told it (up to 500 characters)",
        "říká, proč výplata selhala, jak to sdělila banka (nejvýš 500 znaků)",
    ),
];

/// The name of each input field as a person reads it: field, English, Czech.
pub(super) static FIELDS: &[(&str, &str, &str)] = &[
    ("email", "E-mail", "E-mail"),
    ("password", "Password", "Heslo"),
    ("current_password", "Current password", "Současné heslo"),
    ("display_name", "Name", "Jméno"),
    ("title", "Title", "Název"),
    ("body", "Text", "Text"),
    ("kind", "Kind", "Druh"),
    ("visibility", "Who can see it", "Kdo ho uvidí"),
    ("public_from", "Public from", "Veřejné od"),
    ("min_tier_id", "Tier", "Úroveň"),
    ("live_url", "Stream address", "Adresa přenosu"),
    ("live_starts_at", "Stream start", "Začátek přenosu"),
    ("live_ends_at", "Stream end", "Konec přenosu"),
    ("poll_options", "Poll options", "Možnosti ankety"),
    ("poll_results", "Poll results", "Výsledky ankety"),
    ("media", "Files", "Soubory"),
    ("publish_at", "Publish at", "Zveřejnit v"),
    ("status", "State", "Stav"),
    ("name", "Name", "Název"),
    ("description", "Description", "Popis"),
    ("benefits", "Benefits", "Výhody"),
    ("monthly_price", "Monthly price", "Měsíční cena"),
    ("yearly_price", "Yearly price", "Roční cena"),
    ("member_cap", "Member limit", "Limit členů"),
    ("slug", "Address", "Adresa"),
    ("bio", "About", "O mně"),
    ("shares", "Shares", "Podíly"),
    ("currency", "Currency", "Měna"),
    ("country", "Country", "Země"),
    ("vat_id", "VAT ID", "DIČ"),
    ("seller_vat_id", "Seller's VAT ID", "DIČ prodávajícího"),
    ("company_name", "Company", "Firma"),
    ("iban", "Bank account", "Bankovní účet"),
    ("payout_iban", "Bank account", "Bankovní účet"),
    ("holder", "Account holder", "Majitel účtu"),
    ("reason", "Reason", "Důvod"),
    ("quarter", "Quarter", "Čtvrtletí"),
    ("month", "Month", "Měsíc"),
    ("year", "Year", "Rok"),
    ("tier_ids", "Tiers", "Úrovně"),
    ("option_ids", "Options", "Možnosti"),
    ("parent_id", "Reply to", "Odpověď na"),
];

/// The values `{}` stands for when `pattern` matches `text`, in order.
fn captures<'t>(pattern: &str, text: &'t str) -> Option<Vec<&'t str>> {
    let mut pieces = pattern.split("{}");
    let first = pieces.next().unwrap_or_default();
    let mut rest = text.strip_prefix(first)?;
    let pieces: Vec<&str> = pieces.collect();
    let mut values = Vec::with_capacity(pieces.len());
    for (index, piece) in pieces.iter().enumerate() {
        if index + 1 == pieces.len() {
            let value = rest.strip_suffix(piece)?;
            values.push(value);
            rest = "";
        } else {
            let at = if piece.is_empty() { return None } else { rest.find(piece)? };
            values.push(&rest[..at]);
            rest = &rest[at + piece.len()..];
        }
    }
    // a message without values matches only as a whole
    (!pieces.is_empty() || rest.is_empty()).then_some(values)
}

/// An error message in `lang`: the catalogue's Czech for an English message, the text
/// unchanged in English or when the catalogue does not know it.
pub fn translate(lang: Lang, text: &str) -> String {
    if lang == Lang::En {
        return text.to_owned();
    }
    for (en, cs) in MESSAGES {
        if let Some(values) = captures(en, text) {
            let mut out = String::with_capacity(cs.len() + 16);
            let mut values = values.into_iter();
            for (index, piece) in cs.split("{}").enumerate() {
                if index > 0 {
                    out.push_str(values.next().unwrap_or_default());
                }
                out.push_str(piece);
            }
            return out;
        }
    }
    text.to_owned()
}

/// A field's name for people, when the catalogue has one.
fn field_label(lang: Lang, field: &str) -> Option<&'static str> {
    FIELDS.iter().find(|(name, ..)| *name == field).map(|(_, en, cs)| if lang == Lang::Cs { *cs } else { *en })
}

/// One field's problem as a sentence: `Monthly price: must be …` in the language.
pub fn field_problem(lang: Lang, field: &str, message: &str) -> String {
    let message = translate(lang, message);
    match field_label(lang, field) {
        Some(label) => format!("{label}: {message}"),
        None => message,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn messages_with_values_keep_them_in_czech() {
        assert_eq!(
            translate(Lang::Cs, "Too many attempts. Try again in 30 seconds."),
            "Příliš mnoho pokusů. Zkuste to znovu za 30 s."
        );
        assert_eq!(translate(Lang::Cs, "A avatar cannot be a video file."), "avatar nemůže být soubor typu video.");
        assert_eq!(translate(Lang::Cs, "an IBAN of DE has 22 characters"), "IBAN země DE má 22 znaků");
        assert_eq!(translate(Lang::Cs, "This tier is full."), "Tato úroveň je plná.");
        assert_eq!(translate(Lang::En, "This tier is full."), "This tier is full.");
        // an unknown text stays as it is, and a prefix of a known one is not taken for it
        assert_eq!(translate(Lang::Cs, "This tier is full. Really."), "This tier is full. Really.");
        assert_eq!(
            field_problem(Lang::Cs, "monthly_price", "must be an amount such as 59 or 59.50"),
            "Měsíční cena: musí být částka, např. 59 nebo 59,50"
        );
        assert_eq!(field_problem(Lang::En, "unknown_field", "is required"), "is required");
    }

    /// The first sentence (a string literal with a space and a letter) among the arguments
    /// that start at `from` (up to the closing parenthesis), or on the rest of the line for a
    /// `message:` field. Codes (`not_found`), field names and joins (`", "`) are not sentences.
    fn sentence(source: &str, from: usize, to_line_end: bool) -> Option<String> {
        let bytes = source.as_bytes();
        let (mut at, mut depth, mut literal) = (from, 1i32, None);
        while at < bytes.len() && depth > 0 {
            match bytes[at] {
                b'"' => {
                    let start = at + 1;
                    at += 1;
                    while at < bytes.len() && bytes[at] != b'"' {
                        at += if bytes[at] == b'\\' { 2 } else { 1 };
                    }
                    // a `\` at a line's end continues the literal without the next line's indent
                    let text = source[start..at].replace("\\\"", "\"");
                    let mut parts = text.split("\\\n");
                    let mut joined = parts.next().unwrap_or_default().to_owned();
                    parts.for_each(|part| joined.push_str(part.trim_start()));
                    if literal.is_none() && joined.contains(' ') && joined.chars().any(char::is_alphabetic) {
                        literal = Some(joined);
                    }
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b'\n' if to_line_end => break,
                _ => {}
            }
            at += 1;
        }
        literal
    }

    /// `{text:?}`, `{seconds}` and `{}` all stand for a value.
    fn as_pattern(literal: &str) -> String {
        let mut out = String::new();
        let mut in_value = false;
        for c in literal.chars() {
            match c {
                '{' => in_value = true,
                '}' if in_value => {
                    in_value = false;
                    out.push_str("{}");
                }
                _ if in_value => {}
                _ => out.push(c),
            }
        }
        out
    }

    #[test]
    fn every_error_message_in_the_sources_is_in_the_catalogue() {
        const CALLS: [&str; 17] = [
            "NotChangeable(",
            "ValidationError::new(",
            "AppError::not_found(",
            "AppError::forbidden(",
            "AppError::conflict(",
            "AppError::invalid(",
            "AppError::malformed(",
            "ApiError::new(",
            "ApiError::bad_request(",
            "ApiError::forbidden(",
            "ApiError::conflict(",
            "Self::new(",
            "problem(",
            "invalid(",
            "wrong(",
            "unsupported(",
            "error_page(",
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut missing = std::collections::BTreeSet::new();
        let mut seen = 0;
        for krate in ["patron-domain", "patron-app", "patron-payments", "patron-web"] {
            let mut stack = vec![root.join(krate).join("src")];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).unwrap().map(Result::unwrap) {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                        continue;
                    }
                    if path.extension().is_none_or(|e| e != "rs") || path.ends_with("i18n/errors.rs") {
                        continue;
                    }
                    let text = std::fs::read_to_string(&path).unwrap();
                    let source = text.split("#[cfg(test)]").next().unwrap_or_default();
                    let mut found = Vec::new();
                    for call in CALLS {
                        found.extend(source.match_indices(call).map(|(at, _)| (at + call.len(), false)));
                    }
                    found.extend(source.match_indices("message: \"").map(|(at, _)| (at + 9, true)));
                    found.extend(source.match_indices("message: format!(").map(|(at, _)| (at + 17, false)));
                    for (at, line) in found {
                        let Some(literal) = sentence(source, at, line) else { continue };
                        seen += 1;
                        let pattern = as_pattern(&literal);
                        if !MESSAGES.iter().any(|(en, _)| *en == pattern) {
                            missing.insert(format!("{}: {pattern}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(seen > 150, "the scan found only {seen} messages");
        assert!(
            missing.is_empty(),
            "messages without a Czech text:\n{}",
            missing.into_iter().collect::<Vec<_>>().join("\n")
        );
    }

    #[test]
    fn every_message_has_its_values_in_both_languages() {
        for (en, cs) in MESSAGES {
            assert_eq!(en.matches("{}").count(), cs.matches("{}").count(), "{en}");
            assert!(!cs.is_empty(), "{en}");
        }
    }
}
