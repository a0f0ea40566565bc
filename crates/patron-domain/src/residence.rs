//! Where a buyer is, for VAT: the country they state at checkout, checked against what else is
//! known — the card's country when the provider reports it, the IP address's country when a
//! GeoIP database is configured.
//!
//! Implementing Regulation 282/2011, Art. 24b: a seller may rely on two non-contradictory
//! pieces of evidence (and, under €100 000 of such supplies a year, on one). The stated country
//! decides when nothing contradicts it; two other pieces that agree with each other outvote
//! it; any disagreement is flagged for the admin to look at.

/// The countries a buyer can pick at checkout: the EU member states, the neighbours most
/// fans come from, and `ZZ` ("another country outside the EU").
pub const OFFERED_COUNTRIES: [&str; 36] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "AU", "CA", "CH", "GB", "JP", "NO", "UA", "US", "ZZ",
];

/// Reads a country code a buyer sent (`cz`, ` DE `), refusing one not offered.
pub fn parse_country(field: &'static str, text: &str) -> Result<String, crate::ValidationError> {
    let code = text.trim().to_ascii_uppercase();
    if OFFERED_COUNTRIES.contains(&code.as_str()) {
        Ok(code)
    } else {
        Err(crate::ValidationError::new(field, "is not a country we can bill: pick one from the list"))
    }
}

/// The country a browser's `Accept-Language` suggests: its first tag with a region
/// (`de-AT` → AT), else the country of a language spoken mainly in one (`cs` → CZ).
pub fn country_from_languages(header: &str) -> Option<String> {
    let tags: Vec<&str> = header
        .split(',')
        .filter_map(|part| part.split(';').next())
        .map(str::trim)
        .filter(|tag| !tag.is_empty() && *tag != "*")
        .collect();
    let first = tags.first()?;
    let mut parts = first.split(['-', '_']);
    let language = parts.next()?.to_ascii_lowercase();
    if let Some(region) = parts.find(|part| part.len() == 2 && part.chars().all(|c| c.is_ascii_alphabetic())) {
        let region = region.to_ascii_uppercase();
        return OFFERED_COUNTRIES.contains(&region.as_str()).then_some(region);
    }
    let country = match language.as_str() {
        "cs" => "CZ",
        "sk" => "SK",
        "de" => "DE",
        "pl" => "PL",
        "hu" => "HU",
        "sl" => "SI",
        "hr" => "HR",
        "uk" => "UA",
        "da" => "DK",
        "et" => "EE",
        "fi" => "FI",
        "lt" => "LT",
        "lv" => "LV",
        "bg" => "BG",
        "ro" => "RO",
        "el" => "GR",
        "ja" => "JP",
        _ => return None,
    };
    Some(country.to_owned())
}

/// What is known of where a buyer is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The country the buyer stated.
    pub stated: Option<String>,
    /// The card's country, as the provider reported it.
    pub card: Option<String>,
    /// The country of the IP address the checkout came from.
    pub ip: Option<String>,
}

/// How well the evidence supports the country decided on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// At least two pieces agree and none contradicts them.
    Agreed,
    /// One piece, nothing against it.
    Single,
    /// Pieces disagree: flagged for the admin.
    Conflict,
    /// Nothing is known: the seller's country was taken.
    Nothing,
}

impl Support {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Support::Agreed => "agreed",
            Support::Single => "single",
            Support::Conflict => "conflict",
            Support::Nothing => "none",
        }
    }
}

/// Where a buyer is taken to be, and how well that is supported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Residence {
    /// The country (ISO 3166 alpha-2, `ZZ` for "outside the EU, not listed").
    pub country: String,
    /// The evidence's verdict.
    pub support: Support,
}

impl Evidence {
    /// Decides the buyer's country: the stated one unless the two other pieces agree on
    /// another; `fallback` (the seller's country) when nothing is known.
    pub fn decide(&self, fallback: &str) -> Residence {
        let pieces: Vec<&str> =
            [&self.stated, &self.card, &self.ip].into_iter().flatten().map(String::as_str).collect();
        let Some(first) = pieces.first() else {
            return Residence { country: fallback.to_owned(), support: Support::Nothing };
        };
        let agree = pieces.iter().all(|piece| piece == first);
        let country = match (&self.stated, &self.card, &self.ip) {
            (Some(stated), Some(card), Some(ip)) if card == ip && card != stated => card.clone(),
            (Some(stated), _, _) => stated.clone(),
            _ => (*first).to_owned(),
        };
        let support = match (agree, pieces.len()) {
            (false, _) => Support::Conflict,
            (true, 1) => Support::Single,
            (true, _) => Support::Agreed,
        };
        Residence { country, support }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn evidence(stated: Option<&str>, card: Option<&str>, ip: Option<&str>) -> Residence {
        let own = |c: Option<&str>| c.map(str::to_owned);
        Evidence { stated: own(stated), card: own(card), ip: own(ip) }.decide("CZ")
    }

    #[test]
    fn the_stated_country_decides_unless_two_pieces_agree_on_another() {
        assert_eq!(evidence(Some("DE"), None, None), Residence { country: "DE".into(), support: Support::Single });
        assert_eq!(evidence(Some("DE"), Some("DE"), None).support, Support::Agreed);
        assert_eq!(evidence(Some("DE"), Some("DE"), Some("DE")).support, Support::Agreed);
        assert_eq!(
            evidence(Some("DE"), Some("AT"), None),
            Residence { country: "DE".into(), support: Support::Conflict }
        );
        assert_eq!(
            evidence(Some("DE"), Some("AT"), Some("AT")),
            Residence { country: "AT".into(), support: Support::Conflict },
            "two pieces outvote the statement, and the admin is told"
        );
        assert_eq!(evidence(Some("DE"), Some("DE"), Some("AT")).country, "DE");
        assert_eq!(evidence(None, Some("SK"), None), Residence { country: "SK".into(), support: Support::Single });
        assert_eq!(evidence(None, None, None), Residence { country: "CZ".into(), support: Support::Nothing });
    }

    #[test]
    fn a_browsers_languages_suggest_a_country() {
        assert_eq!(country_from_languages("cs-CZ,cs;q=0.9,en;q=0.8").as_deref(), Some("CZ"));
        assert_eq!(country_from_languages("de-AT, de;q=0.9").as_deref(), Some("AT"));
        assert_eq!(country_from_languages("de").as_deref(), Some("DE"));
        assert_eq!(country_from_languages("sk").as_deref(), Some("SK"));
        assert_eq!(country_from_languages("en").as_deref(), None, "English is spoken everywhere");
        assert_eq!(country_from_languages("en-XK").as_deref(), None, "not offered");
        assert_eq!(country_from_languages("").as_deref(), None);
        assert_eq!(country_from_languages("*").as_deref(), None);
    }

    #[test]
    fn only_offered_countries_are_read() {
        assert_eq!(parse_country("country", " cz ").unwrap(), "CZ");
        assert_eq!(parse_country("country", "zz").unwrap(), "ZZ");
        assert_eq!(parse_country("country", "XX").unwrap_err().field, "country");
        assert_eq!(parse_country("country", "").unwrap_err().field, "country");
        for country in crate::vat::EU_MEMBER_STATES {
            assert!(OFFERED_COUNTRIES.contains(&country), "{country}");
        }
    }
}
