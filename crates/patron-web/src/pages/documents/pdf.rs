//! An invoice or credit note as a PDF: the same facts as its page, in the account's language,
//! laid out on one A4 sheet.

use super::DocumentFacts;
use crate::i18n::Lang;
use crate::pdf::{HEIGHT, MARGIN, Sheet, Style, WIDTH, wrap};

const TITLE: Style = Style::bold(18.0);
const HEADING: Style = Style::bold(10.0);
const TEXT: Style = Style::regular(10.0);
const SMALL: Style = Style::regular(8.5);
const STRONG: Style = Style::bold(10.0);
const LEADING: f32 = 14.0;

/// The PDF of a document page's facts.
pub(super) fn render(view: &DocumentFacts, lang: Lang) -> Result<Vec<u8>, String> {
    let t = |key: &str| lang.t(key).to_owned();
    let title = format!("{} {}", t(view.kind), view.number);
    let mut sheet = Sheet::new(&title, if lang == Lang::Cs { "cs" } else { "en" });
    let right = WIDTH - MARGIN;
    let mut y = MARGIN + 18.0;
    sheet.text(MARGIN, y, TITLE, &t(view.kind));
    sheet.text_right(right, y, TITLE, &view.number);
    y += 26.0;
    if let Some((_, code)) = &view.refers_to {
        sheet.text(MARGIN, y, TEXT, &format!("{} {code}", t("document.corrects")));
        y += LEADING;
    }
    sheet.text(MARGIN, y, TEXT, &format!("{}: {}", t("document.issued_on"), view.issued_on));
    y += LEADING;
    sheet.text(MARGIN, y, TEXT, &format!("{}: {}", t("document.supplied_on"), view.supplied_on));
    y += LEADING + 10.0;

    // the seller on the left, the buyer on the right
    let column = (WIDTH - 2.0 * MARGIN) / 2.0 - 10.0;
    let buyer_x = MARGIN + column + 20.0;
    sheet.text(MARGIN, y, HEADING, &t("document.seller"));
    sheet.text(buyer_x, y, HEADING, &t("document.buyer"));
    y += LEADING;
    let mut seller: Vec<String> = vec![view.seller_name.clone()];
    seller.extend(view.seller_address.split(',').map(|part| part.trim().to_owned()).filter(|p| !p.is_empty()));
    seller.push(view.seller_country.clone());
    seller.push(match &view.seller_vat_id {
        Some(id) => format!("{}: {id}", t("document.vat_id")),
        None => t("document.not_registered"),
    });
    let mut buyer: Vec<String> = view.buyer_company.iter().cloned().collect();
    buyer.extend([view.buyer_name.clone(), view.buyer_email.clone(), view.buyer_country.clone()]);
    if let Some(id) = &view.buyer_vat_id {
        buyer.push(format!("{}: {id}", t("document.vat_id")));
    }
    let wrapped =
        |lines: Vec<String>| -> Vec<String> { lines.iter().flat_map(|line| wrap(line, TEXT, column)).collect() };
    let seller_end = sheet.lines(MARGIN, y, TEXT, LEADING, &wrapped(seller));
    let buyer_end = sheet.lines(buyer_x, y, TEXT, LEADING, &wrapped(buyer));
    y = seller_end.max(buyer_end) + 12.0;

    // the item: what, then net, rate, VAT, total in columns from the right
    let columns = [right - 270.0, right - 190.0, right - 90.0, right];
    sheet.rule(y - 10.0);
    sheet.text(MARGIN, y, HEADING, &t("document.item"));
    for (x, key) in columns.iter().zip(["document.net", "document.rate", "document.vat", "document.total"]) {
        sheet.text_right(*x, y, HEADING, &t(key));
    }
    y += 6.0;
    sheet.rule(y);
    y += LEADING;
    let what = format!("{}: {}", t("document.membership"), view.description);
    let what_lines = wrap(&what, TEXT, columns[0] - 60.0 - MARGIN);
    for (x, amount) in columns.iter().zip([&view.net, &view.rate, &view.vat]) {
        sheet.text_right(*x, y, TEXT, amount);
    }
    sheet.text_right(columns[3], y, STRONG, &view.total);
    y = sheet.lines(MARGIN, y, TEXT, LEADING, &what_lines);
    if let Some((start, end)) = &view.period {
        sheet.text(MARGIN, y, SMALL, &format!("{start} – {end}"));
        y += LEADING;
    }
    sheet.rule(y - 6.0);
    y += 10.0;

    // the totals
    let label_x = columns[1];
    for (key, amount, style) in
        [("document.net", &view.net, TEXT), ("document.vat", &view.vat, TEXT), ("document.total", &view.total, STRONG)]
    {
        sheet.text_right(label_x, y, style, &t(key));
        sheet.text_right(right, y, style, amount);
        y += LEADING;
    }
    if let Some((czk, rate)) = &view.vat_czk {
        sheet.text_right(label_x, y, TEXT, &t("document.vat_czk"));
        sheet.text_right(right, y, TEXT, czk);
        y += LEADING;
        sheet.text_right(right, y, SMALL, &lang.t1("document.czk_rate", rate));
        y += LEADING;
    }
    y += 10.0;
    if let Some(note) = view.scheme_note {
        sheet.lines(MARGIN, y, TEXT, LEADING, &wrap(&t(note), TEXT, WIDTH - 2.0 * MARGIN));
    }
    sheet.finish(view.issued_at)
}

/// The PDF of a fan's statement of a year: one line per document, the sums per currency.
pub(super) fn render_year(year: &super::YearFacts, lang: Lang) -> Result<Vec<u8>, String> {
    let t = |key: &str| lang.t(key).to_owned();
    let title = lang.t1("document.year_title", &year.year);
    let mut sheet = Sheet::new(&title, if lang == Lang::Cs { "cs" } else { "en" });
    let right = WIDTH - MARGIN;
    let mut y = MARGIN + 18.0;
    sheet.text(MARGIN, y, TITLE, &title);
    y += 26.0;
    y = sheet.lines(MARGIN, y, TEXT, LEADING, &[year.buyer_name.clone(), year.buyer_email.clone()]);
    if !year.seller_name.is_empty() {
        sheet.text(MARGIN, y, TEXT, &format!("{}: {}", t("document.seller"), year.seller_name));
        y += LEADING;
    }
    y = sheet.lines(MARGIN, y + 4.0, SMALL, LEADING, &wrap(&t("document.year_explain"), SMALL, WIDTH - 2.0 * MARGIN));
    y += 14.0;
    // number, date, item on the left; net, VAT, total from the right
    let columns = [right - 150.0, right - 75.0, right];
    let item_x = MARGIN + 150.0;
    sheet.rule(y - 10.0);
    sheet.text(MARGIN, y, HEADING, &t("document.number"));
    sheet.text(MARGIN + 85.0, y, HEADING, &t("document.supplied_on").chars().take(14).collect::<String>());
    sheet.text(item_x, y, HEADING, &t("document.item"));
    for (x, key) in columns.iter().zip(["document.net", "document.vat", "document.total"]) {
        sheet.text_right(*x, y, HEADING, &t(key));
    }
    y += 6.0;
    sheet.rule(y);
    y += LEADING;
    for row in &year.rows {
        if y > HEIGHT - MARGIN - 2.0 * LEADING {
            sheet.page_break();
            y = MARGIN + LEADING;
        }
        sheet.text(MARGIN, y, SMALL, &row.number);
        sheet.text(MARGIN + 85.0, y, SMALL, &row.date);
        let what = wrap(&row.description, SMALL, columns[0] - 60.0 - item_x);
        sheet.text(item_x, y, SMALL, what.first().map(String::as_str).unwrap_or_default());
        for (x, amount) in columns.iter().zip([&row.net, &row.vat, &row.total]) {
            sheet.text_right(*x, y, SMALL, amount);
        }
        y += LEADING - 2.0;
    }
    sheet.rule(y - 6.0);
    y += 8.0;
    if y > HEIGHT - MARGIN - (year.totals.len() as f32) * LEADING {
        sheet.page_break();
        y = MARGIN + LEADING;
    }
    for (total, net, vat) in &year.totals {
        sheet.text(MARGIN, y, STRONG, &t("document.year_total"));
        for (x, amount) in columns.iter().zip([net, vat, total]) {
            sheet.text_right(*x, y, STRONG, amount);
        }
        y += LEADING;
    }
    sheet.finish(patron_domain::Timestamp::now())
}
