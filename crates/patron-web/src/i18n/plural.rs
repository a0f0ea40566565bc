//! Counted words: "1 supporter, 2 supporters" and "1 podporovatel, 2 podporovatelé,
//! 5 podporovatelů". The catalogue gives a counted text's forms separated by `|` — English
//! `one|other`, Czech `one|few|other` — and CLDR's plural rules (crate `intl_pluralrules`)
//! pick the form for a number.

use super::Lang;
use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};
use std::sync::LazyLock;

/// Counted texts: key, English `one|other`, Czech `one|few|other`; `{}` is the number.
pub(super) static MESSAGES: &[(&str, &str, &str)] = &[
    ("count.supporters", "{} supporter|{} supporters", "{} podporovatel|{} podporovatelé|{} podporovatelů"),
    ("count.followers", "{} follower|{} followers", "{} sledující|{} sledující|{} sledujících"),
    ("count.votes", "{} vote|{} votes", "{} hlas|{} hlasy|{} hlasů"),
    ("count.comments", "{} comment|{} comments", "{} komentář|{} komentáře|{} komentářů"),
    ("count.members", "{} member|{} members", "{} člen|{} členové|{} členů"),
    ("count.posts", "{} post|{} posts", "{} příspěvek|{} příspěvky|{} příspěvků"),
    ("count.seconds", "{} second|{} seconds", "{} sekunda|{} sekundy|{} sekund"),
    ("count.days", "{} day|{} days", "{} den|{} dny|{} dní"),
    ("count.months", "{} month|{} months", "{} měsíc|{} měsíce|{} měsíců"),
];

fn rules(code: &str) -> Option<PluralRules> {
    let language: unic_langid::LanguageIdentifier = code.parse().ok()?;
    PluralRules::create(language, PluralRuleType::CARDINAL).ok()
}

static ENGLISH: LazyLock<Option<PluralRules>> = LazyLock::new(|| rules("en"));
static CZECH: LazyLock<Option<PluralRules>> = LazyLock::new(|| rules("cs"));

/// Which of the catalogue's forms `n` takes in `lang`.
fn form(lang: Lang, n: u64) -> usize {
    let rules = match lang {
        Lang::En => &*ENGLISH,
        Lang::Cs => &*CZECH,
    };
    let category = rules.as_ref().and_then(|rules| rules.select(n).ok()).unwrap_or(PluralCategory::OTHER);
    match (lang, category) {
        (_, PluralCategory::ONE) => 0,
        (Lang::Cs, PluralCategory::FEW) => 1,
        (Lang::Cs, _) => 2,
        (Lang::En, _) => 1,
    }
}

/// The counted text `forms` (`one|other` or `one|few|other`) for `n`.
pub(super) fn pick(lang: Lang, forms: &str, n: u64) -> String {
    let chosen = forms.split('|').nth(form(lang, n)).or_else(|| forms.split('|').next_back()).unwrap_or(forms);
    chosen.replacen("{}", &n.to_string(), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn czech_has_three_forms_and_english_two() {
        let cs = |n| Lang::Cs.plural("count.supporters", n);
        assert_eq!(cs(0), "0 podporovatelů");
        assert_eq!(cs(1), "1 podporovatel");
        assert_eq!(cs(2), "2 podporovatelé");
        assert_eq!(cs(4), "4 podporovatelé");
        assert_eq!(cs(5), "5 podporovatelů");
        assert_eq!(cs(22), "22 podporovatelů");
        let en = |n| Lang::En.plural("count.votes", n);
        assert_eq!(en(0), "0 votes");
        assert_eq!(en(1), "1 vote");
        assert_eq!(en(21), "21 votes");
    }

    #[test]
    fn every_counted_text_has_its_forms() {
        for (key, en, cs) in MESSAGES {
            assert_eq!(en.split('|').count(), 2, "{key}");
            assert_eq!(cs.split('|').count(), 3, "{key}");
            assert!(en.split('|').chain(cs.split('|')).all(|f| f.contains("{}")), "{key}");
        }
    }
}
