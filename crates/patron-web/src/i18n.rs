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
        if let Some(chosen) = crate::auth::read_cookie(headers, COOKIE).and_then(Lang::from_code) {
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
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::negotiate(&parts.headers))
    }
}

static CATALOG: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| MESSAGES.iter().map(|(key, en, cs)| (*key, (*en, *cs))).collect());

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
    // errors
    ("error.back_home", "Back to the home page", "Zpět na úvodní stránku"),
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
        for (key, en, cs) in MESSAGES {
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
            for marker in [".t(\"", ".t1(\""] {
                for piece in text.split(marker).skip(1) {
                    let key = piece.split('"').next().unwrap_or_default();
                    if !CATALOG.contains_key(key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys missing from MESSAGES: {missing:?}");
    }
}
