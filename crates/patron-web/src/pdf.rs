//! A4 documents as PDF: text in DejaVu Sans (embedded, subset to the glyphs used, so Czech,
//! Slovak, German… print as written and a PDF reader can search and copy them), rules, and
//! text aligned left or right, on as many pages as the caller starts. What goes on the page is laid out by the caller
//! (`pages::documents` for invoices and credit notes); this module only draws.
//!
//! The PDF is written by krilla (the typst project's PDF backend): it embeds and subsets
//! TrueType fonts with the ToUnicode maps text extraction needs, which the lower-level writers
//! leave to their users.

use krilla::geom::{PathBuilder, Point};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider;
use std::sync::LazyLock;

const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// A4 in points.
pub(crate) const WIDTH: f32 = 595.0;
pub(crate) const HEIGHT: f32 = 842.0;
/// The margin on every side.
pub(crate) const MARGIN: f32 = 50.0;

static FONTS: LazyLock<Option<(Font, Font)>> =
    LazyLock::new(|| Some((Font::new(REGULAR.into(), 0)?, Font::new(BOLD.into(), 0)?)));

/// How a piece of text is set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Style {
    /// Size in points.
    pub size: f32,
    /// Bold or regular.
    pub bold: bool,
}

impl Style {
    /// Regular text of `size` points.
    pub const fn regular(size: f32) -> Self {
        Self { size, bold: false }
    }

    /// Bold text of `size` points.
    pub const fn bold(size: f32) -> Self {
        Self { size, bold: true }
    }
}

enum Mark {
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        text: String,
    },
    Rule {
        y: f32,
    },
    /// What follows goes on a new page.
    PageBreak,
}

/// A page being laid out: marks placed from the top, drawn when it is finished.
pub(crate) struct Sheet {
    marks: Vec<Mark>,
    title: String,
    language: String,
}

/// The width `text` takes in `style`.
pub(crate) fn width(text: &str, style: Style) -> f32 {
    let data = if style.bold { BOLD } else { REGULAR };
    let Ok(font) = skrifa::FontRef::new(data) else { return 0.0 };
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(skrifa::instance::Size::new(style.size), skrifa::instance::LocationRef::default());
    text.chars().filter_map(|c| charmap.map(c).and_then(|glyph| metrics.advance_width(glyph))).sum()
}

/// `text` broken into lines no wider than `max` (words longer than a line stand alone).
pub(crate) fn wrap(text: &str, style: Style, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
        if !line.is_empty() && width(&candidate, style) > max {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

impl Sheet {
    /// An empty page; `title` and `language` (`cs`, `en`) go into the file's metadata.
    pub fn new(title: &str, language: &str) -> Self {
        Self { marks: Vec::new(), title: title.to_owned(), language: language.to_owned() }
    }

    /// Text whose left end is at `x`, on the baseline `y` (from the page's top).
    pub fn text(&mut self, x: f32, y: f32, style: Style, text: &str) {
        if !text.is_empty() {
            self.marks.push(Mark::Text { x, baseline: y, style, text: text.to_owned() });
        }
    }

    /// Text whose right end is at `right`.
    pub fn text_right(&mut self, right: f32, y: f32, style: Style, text: &str) {
        self.text(right - width(text, style), y, style, text);
    }

    /// Lines of text from `y` down, `leading` apart; returns the baseline below the last.
    pub fn lines(&mut self, x: f32, mut y: f32, style: Style, leading: f32, lines: &[String]) -> f32 {
        for line in lines {
            self.text(x, y, style, line);
            y += leading;
        }
        y
    }

    /// A thin rule across the text's width at `y`.
    pub fn rule(&mut self, y: f32) {
        self.marks.push(Mark::Rule { y });
    }

    /// Starts a new page: what is placed next goes on it, measured from its top.
    pub fn page_break(&mut self) {
        self.marks.push(Mark::PageBreak);
    }

    /// The PDF file.
    pub fn finish(self, created: patron_domain::Timestamp) -> Result<Vec<u8>, String> {
        let (regular, bold) = FONTS.as_ref().ok_or("the embedded fonts do not load")?;
        let mut document = krilla::Document::new();
        let at = created.to_offset_datetime();
        let date = DateTime::new(u16::try_from(at.year()).unwrap_or(2000))
            .month(u8::from(at.month()))
            .day(at.day())
            .hour(at.hour())
            .minute(at.minute());
        document.set_metadata(
            Metadata::new()
                .title(self.title.clone())
                .language(self.language.clone())
                .creator("patron".to_owned())
                .creation_date(date),
        );
        let settings = PageSettings::from_wh(WIDTH, HEIGHT).ok_or("an A4 page")?;
        for marks in self.marks.split(|mark| matches!(mark, Mark::PageBreak)) {
            let mut page = document.start_page_with(settings.clone());
            let mut surface = page.surface();
            draw(&mut surface, marks, regular, bold);
            surface.finish();
            page.finish();
        }
        document.finish().map_err(|e| format!("the PDF could not be written: {e:?}"))
    }
}

fn draw(surface: &mut krilla::surface::Surface<'_>, marks: &[Mark], regular: &Font, bold: &Font) {
    for mark in marks {
        match mark {
            Mark::Text { x, baseline, style, text } => {
                let font = if style.bold { bold } else { regular };
                let start = Point::from_xy(*x, *baseline);
                surface.draw_text(start, font.clone(), style.size, text, false, TextDirection::Auto);
            }
            Mark::Rule { y } => {
                let mut path = PathBuilder::new();
                path.move_to(MARGIN, *y);
                path.line_to(WIDTH - MARGIN, *y);
                if let Some(path) = path.finish() {
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke { width: 0.5, ..Stroke::default() }));
                    surface.draw_path(&path);
                    surface.set_stroke(None);
                }
            }
            Mark::PageBreak => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn text_is_measured_and_wrapped_by_the_fonts_widths() {
        let style = Style::regular(10.0);
        assert!(width("Příliš žluťoučký kůň", style) > width("Prilis", style));
        assert!(width("WWW", Style::bold(10.0)) > width("WWW", style));
        let lines = wrap("Na Příkopě 1, 110 00 Praha 1, Česká republika", style, 100.0);
        assert!(lines.len() > 1 && lines.iter().all(|l| width(l, style) <= 100.0), "{lines:?}");
        assert_eq!(wrap("", style, 100.0), Vec::<String>::new());
    }

    #[test]
    fn a_sheet_becomes_a_pdf_with_its_fonts() {
        let mut sheet = Sheet::new("Faktura", "cs");
        sheet.text(MARGIN, 80.0, Style::bold(18.0), "Faktura – daňový doklad");
        sheet.text_right(WIDTH - MARGIN, 120.0, Style::regular(10.0), "99,00 Kč");
        sheet.rule(130.0);
        let pdf = sheet.finish(patron_domain::Timestamp::now()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "a PDF file");
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("DejaVu"), "the font is embedded");
        assert!(text.contains("/Type/Pages/Count 1/"), "one page");
    }

    #[test]
    fn a_page_break_starts_another_page() {
        let mut sheet = Sheet::new("Přehled", "cs");
        sheet.text(MARGIN, 80.0, Style::regular(10.0), "first");
        sheet.page_break();
        sheet.text(MARGIN, 80.0, Style::regular(10.0), "second");
        let pdf = sheet.finish(patron_domain::Timestamp::now()).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Type/Pages/Count 2/"), "two pages");
    }
}
