//! The exchange rates tax documents need, read from where they are published and kept in
//! `exchange_rates`: the Czech National Bank's daily fixing (the VAT of a document in another
//! currency is also stated in CZK, Czech VAT Act §4(5)) and the European Central Bank's
//! reference rates (the OSS return is in EUR at the rate of the period's last day, Directive
//! 2006/112/EC Art. 366). Both sources are settings; tests serve fixed tables.

use crate::PaymentError;
use patron_domain::exchange::Rate;
use patron_store::Db;
use quick_xml::events::Event;
use std::time::Duration;
use time::Date;

/// One published rate: the day it is valid for (`2026-12-04`), the currency, the rate.
pub type Published = (String, String, Rate);

/// Reads the ECB's reference rates (`eurofxref-*.xml`): `<Cube time="…">` days holding
/// `<Cube currency="USD" rate="1.0512"/>`, units of the currency for one euro.
pub fn parse_ecb(xml: &str) -> Result<Vec<Published>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut day: Option<String> = None;
    let mut rates = Vec::new();
    loop {
        match reader.read_event().map_err(|e| format!("the ECB's rates do not read as XML: {e}"))? {
            Event::Start(element) | Event::Empty(element) if element.local_name().as_ref() == b"Cube" => {
                let mut currency = None;
                let mut rate = None;
                for attribute in element.attributes().flatten() {
                    let value = String::from_utf8_lossy(&attribute.value).into_owned();
                    match attribute.key.local_name().as_ref() {
                        b"time" => day = Some(value),
                        b"currency" => currency = Some(value),
                        b"rate" => rate = Some(value),
                        _ => {}
                    }
                }
                if let (Some(day), Some(currency), Some(rate)) = (&day, currency, rate) {
                    let rate =
                        Rate::parse(&rate, 1).ok_or_else(|| format!("{day} {currency}: {rate:?} is not a rate"))?;
                    rates.push((day.clone(), currency, rate));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if rates.is_empty() {
        return Err("the ECB's file holds no rates".to_owned());
    }
    Ok(rates)
}

fn month_number(name: &str) -> Option<u8> {
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    months.iter().position(|m| m.eq_ignore_ascii_case(name)).and_then(|i| u8::try_from(i + 1).ok())
}

/// Reads the Czech National Bank's daily fixing (`daily.txt`, in English or Czech): a first
/// line with the day (`04 Dec 2026 #235` or `04.12.2026 #235`), a header, then
/// `country|currency|amount|code|rate` — CZK for `amount` units.
pub fn parse_cnb(text: &str) -> Result<Vec<Published>, String> {
    let mut lines = text.lines();
    let first = lines.next().ok_or("the CNB's file is empty")?;
    let date_text = first.split('#').next().unwrap_or_default().trim();
    let parts: Vec<&str> = date_text.split(['.', ' ']).filter(|p| !p.is_empty()).collect();
    let day = match parts.as_slice() {
        [day, month, year] => {
            let month = month.parse::<u8>().ok().or_else(|| month_number(month));
            match (day.parse::<u8>(), month, year.parse::<i32>()) {
                (Ok(day), Some(month), Ok(year)) => {
                    time::Month::try_from(month).ok().and_then(|month| Date::from_calendar_date(year, month, day).ok())
                }
                _ => None,
            }
        }
        _ => None,
    }
    .ok_or_else(|| format!("the CNB's file does not start with a day: {first:?}"))?
    .to_string();
    let mut rates = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, _, amount, code, rate] = fields.as_slice() else { continue };
        let Ok(amount) = amount.parse::<i64>() else { continue }; // the header
        let rate = Rate::parse(rate, amount).ok_or_else(|| format!("{code}: {rate:?} is not a rate"))?;
        rates.push((day.clone(), (*code).to_owned(), rate));
    }
    if rates.is_empty() {
        return Err("the CNB's file holds no rates".to_owned());
    }
    Ok(rates)
}

/// Where the rates come from.
#[derive(Clone, Debug)]
pub struct Rates {
    http: reqwest::Client,
    czk_url: url::Url,
    eur_url: url::Url,
}

const TIMEOUT: Duration = Duration::from_secs(10);

impl Rates {
    /// The configured sources.
    pub fn from_settings(settings: &patron_settings::TaxSettings) -> Self {
        Self {
            http: reqwest::Client::new(),
            czk_url: settings.czk_rates_url.clone(),
            eur_url: settings.eur_rates_url.clone(),
        }
    }

    async fn get(&self, url: url::Url) -> Result<String, PaymentError> {
        let response = self
            .http
            .get(url.clone())
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| PaymentError::Provider(format!("exchange rates at {url}: {e}")))?;
        if !response.status().is_success() {
            return Err(PaymentError::Provider(format!("exchange rates at {url}: {}", response.status())));
        }
        response.text().await.map_err(|e| PaymentError::Provider(format!("exchange rates at {url}: {e}")))
    }

    /// Fetches the ECB's rates and keeps them.
    pub async fn refresh_eur(&self, db: &Db) -> Result<usize, PaymentError> {
        let rates = parse_ecb(&self.get(self.eur_url.clone()).await?).map_err(PaymentError::Provider)?;
        let mut transaction = db.begin_write().await?;
        patron_store::exchange_rates::insert_many(&mut transaction, "ecb", &rates).await?;
        transaction.commit().await?;
        Ok(rates.len())
    }

    /// Fetches the CNB's fixing valid on `day` and keeps it.
    pub async fn refresh_czk(&self, db: &Db, day: Date) -> Result<usize, PaymentError> {
        let mut url = self.czk_url.clone();
        let date = format!("{:02}.{:02}.{}", day.day(), u8::from(day.month()), day.year());
        url.query_pairs_mut().append_pair("date", &date);
        let rates = parse_cnb(&self.get(url).await?).map_err(PaymentError::Provider)?;
        let mut transaction = db.begin_write().await?;
        patron_store::exchange_rates::insert_many(&mut transaction, "cnb", &rates).await?;
        transaction.commit().await?;
        Ok(rates.len())
    }

    /// Makes sure the CNB's rate of `currency` for `day` is kept before a payment in it is
    /// documented; a failure is logged, and the document then goes without the CZK figure
    /// until the rate is known.
    pub async fn prepare_czk(&self, db: &Db, currency: &str, day: Date) {
        if currency == "CZK" {
            return;
        }
        let known = patron_store::exchange_rates::on_or_before(db.pool(), "cnb", currency, &day.to_string()).await;
        if matches!(known, Ok(Some((ref published, _))) if *published == day.to_string()) {
            return;
        }
        if let Err(error) = self.refresh_czk(db, day).await {
            tracing::warn!(%error, currency, "the CNB's exchange rate could not be read");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_ecbs_reference_rates_are_read() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <Cube>
    <Cube time="2026-12-31"><Cube currency="USD" rate="1.0512"/><Cube currency="CZK" rate="25.125"/></Cube>
    <Cube time="2026-12-30"><Cube currency="CZK" rate="25.2"/></Cube>
  </Cube>
</gesmes:Envelope>"#;
        let rates = parse_ecb(xml).unwrap();
        let texts: Vec<(String, String, String)> =
            rates.iter().map(|(d, c, r)| (d.clone(), c.clone(), r.to_text())).collect();
        assert_eq!(
            texts,
            [
                ("2026-12-31".into(), "USD".into(), "1.0512".into()),
                ("2026-12-31".into(), "CZK".into(), "25.125".into()),
                ("2026-12-30".into(), "CZK".into(), "25.2".into()),
            ]
        );
        assert!(parse_ecb("<html>maintenance</html>").is_err());
        assert!(parse_ecb("<Cube><Cube time='2026-12-31'><Cube currency='USD' rate='lots'/></Cube></Cube>").is_err());
    }

    #[test]
    fn the_cnbs_fixing_is_read_in_either_language() {
        let english = "04 Dec 2026 #235\nCountry|Currency|Amount|Code|Rate\nEMU|euro|1|EUR|25.125\nHungary|forint|100|HUF|6.432\n";
        let rates = parse_cnb(english).unwrap();
        assert_eq!(rates[0], ("2026-12-04".to_owned(), "EUR".to_owned(), Rate::parse("25.125", 1).unwrap()));
        assert_eq!(rates[1].2.to_text(), "0.06432");
        let czech = "04.12.2026 #235\nzemě|měna|množství|kód|kurz\nEMU|euro|1|EUR|25,125\n";
        assert_eq!(parse_cnb(czech).unwrap()[0], rates[0]);
        assert!(parse_cnb("").is_err());
        assert!(parse_cnb("Service unavailable").is_err());
        assert!(parse_cnb("04.12.2026 #235\nzemě|měna|množství|kód|kurz\n").is_err());
    }
}
