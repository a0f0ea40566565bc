//! Markdown to HTML that is safe to show to anyone: raw HTML in the source is shown as text,
//! and links and images may only point to http(s), mailto or site-relative addresses — so a
//! post or bio can never carry a script.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

/// Whether a link target may be followed: http(s), mailto, or relative to this site.
fn safe_url(url: &str) -> bool {
    let trimmed = url.trim();
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:") {
        return true;
    }
    // relative references: no scheme at all (a ':' before any '/', '?' or '#' means a scheme)
    let scheme_end = trimmed.find(':');
    let path_start = trimmed.find(['/', '?', '#']);
    match (scheme_end, path_start) {
        (None, _) => !trimmed.starts_with("//"),
        (Some(colon), Some(slash)) => slash < colon && !trimmed.starts_with("//"),
        (Some(_), None) => false,
    }
}

/// Renders Markdown (CommonMark with tables, strikethrough and task lists) to safe HTML.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        // raw HTML becomes visible text instead of markup
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            let dest_url = if safe_url(&dest_url) { dest_url } else { CowStr::Borrowed("#") };
            Event::Start(Tag::Link { link_type, dest_url, title, id })
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            let dest_url = if safe_url(&dest_url) { dest_url } else { CowStr::Borrowed("") };
            Event::Start(Tag::Image { link_type, dest_url, title, id })
        }
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// Plain text of Markdown, for excerpts and RSS descriptions: no markup at all.
pub fn to_plain_text(markdown: &str, max_chars: usize) -> String {
    let mut text = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(_) if !text.ends_with(' ') => text.push(' '),
            _ => {}
        }
        if text.chars().count() > max_chars {
            break;
        }
    }
    let trimmed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if trimmed.chars().count() > max_chars {
        let cut: String = trimmed.chars().take(max_chars).collect();
        format!("{}…", cut.trim_end())
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_markdown_renders() {
        let html = render("# Hello\n\n**Gordíkey** likes [steaks](https://example.com).");
        assert!(html.contains("<h1>Hello</h1>"));
        assert!(html.contains("<strong>Gordíkey</strong>"));
        assert!(html.contains(r#"<a href="https://example.com">steaks</a>"#));
    }

    #[test]
    fn scripts_never_survive() {
        let attacks = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "[click]( javascript:alert(1))",
            "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "![x](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](vbscript:msgbox)",
            "<iframe src=\"https://evil.example\"></iframe>",
            "[x]: javascript:alert(1)\n\n[y][x]",
        ];
        for attack in attacks {
            let html = render(attack);
            // every real tag (text '<' is escaped) is an allowed one with safe addresses
            for tag in html.split('<').skip(1).map(|rest| rest.split('>').next().unwrap_or_default()) {
                let name = tag.trim_start_matches('/').split([' ', '/']).next().unwrap_or_default();
                assert!(["p", "a", "img", "em", "strong", "code", "pre", "br"].contains(&name), "{attack} → <{tag}>");
                let lower = tag.to_ascii_lowercase();
                for attribute in ["href=\"", "src=\""] {
                    if let Some(start) = lower.find(attribute) {
                        let value = &lower[start + attribute.len()..];
                        let safe = value.starts_with('"') || value.starts_with('#') || value.starts_with("http");
                        assert!(safe, "{attack} → <{tag}>");
                    }
                }
                assert!(!lower.contains(" on"), "{attack} → <{tag}>");
            }
        }
    }

    #[test]
    fn relative_and_mail_links_are_kept() {
        assert!(render("[post](/gordikey/posts/1)").contains(r#"href="/gordikey/posts/1""#));
        assert!(render("[mail](mailto:a@b.cz)").contains(r#"href="mailto:a@b.cz""#));
        assert!(render("[proto](//evil.example)").contains(r##"href="#""##));
    }

    #[test]
    fn plain_text_excerpts_drop_markup_and_cut() {
        assert_eq!(to_plain_text("# Title\n\nSome *bold* <b>text</b>", 100), "Title Some bold text");
        assert_eq!(to_plain_text("one two three four", 7), "one two…");
    }
}
