//! The mails patron sends, in English and Czech: one layout, a text part and an HTML part.

use askama::Template as _;
use serde::{Deserialize, Serialize};

/// What a mail says, with its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Template {
    /// An invitation to join a creator's team.
    TeamInvitation {
        /// The page.
        creator_name: String,
        /// Who invited.
        inviter_name: String,
        /// The invitation link.
        link: String,
    },
    /// A creator published a post the recipient may read.
    NewPost {
        /// The creator.
        creator_name: String,
        /// The post's title.
        post_title: String,
        /// The post's address.
        post_url: String,
        /// The beginning of the post, as plain text.
        excerpt: String,
    },
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

/// Renders a template in `locale` (`cs`, otherwise English), with an unsubscribe link when
/// the mail belongs to a category the recipient can stop.
pub fn render(template: &Template, locale: &str, unsubscribe_url: Option<&str>) -> Rendered {
    let czech = locale.starts_with("cs") || locale.starts_with("sk");
    let (subject, heading, paragraphs, button_label, button_url) = match template {
        Template::TeamInvitation { creator_name, inviter_name, link } => {
            if czech {
                (
                    format!("Pozvánka do týmu stránky {creator_name}"),
                    format!("Připojte se k týmu stránky {creator_name}"),
                    vec![
                        format!(
                            "{inviter_name} vás zve, abyste pomáhali se stránkou {creator_name} na patronu: psali a zveřejňovali příspěvky a moderovali komentáře."
                        ),
                        "Pozvánka platí sedm dní.".to_owned(),
                    ],
                    "Přijmout pozvánku",
                    link,
                )
            } else {
                (
                    format!("Join the team of {creator_name}"),
                    format!("Help run {creator_name}"),
                    vec![
                        format!(
                            "{inviter_name} invites you to help run {creator_name} on patron: write and publish posts and moderate comments."
                        ),
                        "The invitation works for seven days.".to_owned(),
                    ],
                    "Accept the invitation",
                    link,
                )
            }
        }
        Template::NewPost { creator_name, post_title, post_url, excerpt } => {
            let mut paragraphs = Vec::new();
            if !excerpt.is_empty() {
                paragraphs.push(excerpt.clone());
            }
            if czech {
                (format!("{creator_name}: {post_title}"), post_title.clone(), paragraphs, "Přečíst příspěvek", post_url)
            } else {
                (format!("{creator_name}: {post_title}"), post_title.clone(), paragraphs, "Read the post", post_url)
            }
        }
    };
    let footer = if czech { "Posláno patronem." } else { "Sent by patron." };
    let unsubscribe_label = if czech { "Odhlásit tyto e-maily" } else { "Unsubscribe from these e-mails" };
    let html = Layout {
        lang: if czech { "cs" } else { "en" },
        subject: &subject,
        heading: &heading,
        paragraphs: &paragraphs,
        button: Some((button_label, button_url.as_str())),
        footer,
        unsubscribe: unsubscribe_url.map(|url| (unsubscribe_label, url)),
    }
    .render()
    .unwrap_or_default();
    let mut text = format!("{heading}\n\n");
    for paragraph in &paragraphs {
        text.push_str(paragraph);
        text.push_str("\n\n");
    }
    text.push_str(&format!("{button_label}: {button_url}\n\n-- \n{footer}\n"));
    if let Some(url) = unsubscribe_url {
        text.push_str(&format!("{unsubscribe_label}: {url}\n"));
    }
    Rendered { subject, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mails_escape_their_data_and_speak_both_languages() {
        let template = Template::NewPost {
            creator_name: "Gordíkey".into(),
            post_title: "<script>alert(1)</script>".into(),
            post_url: "https://x.example/gordikey/posts/1".into(),
            excerpt: "Woof".into(),
        };
        let english = render(&template, "en", Some("https://x.example/unsubscribe/t"));
        assert!(!english.html.contains("<script>") && english.html.contains("script&#62;"), "{}", english.html);
        assert!(english.text.contains("Read the post: https://x.example/gordikey/posts/1"));
        assert!(english.text.contains("Unsubscribe from these e-mails: https://x.example/unsubscribe/t"));
        let czech = render(&template, "cs", None);
        assert!(czech.html.contains("Přečíst příspěvek") && !czech.text.contains("Odhlásit"));
    }
}
