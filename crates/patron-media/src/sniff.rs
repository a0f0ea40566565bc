//! The type of an upload, from its first bytes.

use patron_store::media::MediaKind;

/// How many leading bytes [`sniff`] needs.
pub const HEAD: usize = 8192;

/// An accepted type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// Image, video, audio or document.
    pub kind: MediaKind,
    /// Its MIME type.
    pub content_type: &'static str,
}

/// The types patron accepts, by the MIME type `infer` reports: the formats browsers show.
const ACCEPTED: &[(&str, MediaKind)] = &[
    ("image/jpeg", MediaKind::Image),
    ("image/png", MediaKind::Image),
    ("image/webp", MediaKind::Image),
    ("image/gif", MediaKind::Image),
    ("video/mp4", MediaKind::Video),
    ("video/webm", MediaKind::Video),
    ("video/quicktime", MediaKind::Video),
    ("audio/mpeg", MediaKind::Audio),
    ("audio/m4a", MediaKind::Audio),
    ("audio/ogg", MediaKind::Audio),
    ("audio/x-wav", MediaKind::Audio),
    ("audio/x-flac", MediaKind::Audio),
    ("application/pdf", MediaKind::Document),
];

/// An accepted type by its MIME name (as a client declares it before a direct upload).
pub fn accepted_type(content_type: &str) -> Option<Sniffed> {
    let wanted = content_type.to_ascii_lowercase();
    ACCEPTED
        .iter()
        .map(|(mime, kind)| Sniffed { kind: *kind, content_type: browser_name(mime) })
        .find(|s| s.content_type == wanted)
}

fn browser_name(mime: &'static str) -> &'static str {
    // browsers know these by their registered names
    match mime {
        "audio/m4a" => "audio/mp4",
        "audio/x-wav" => "audio/wav",
        "audio/x-flac" => "audio/flac",
        other => other,
    }
}

/// The type of a file from its first bytes (at least [`HEAD`] of them when the file is that
/// long); `None` for anything not accepted.
pub fn sniff(head: &[u8]) -> Option<Sniffed> {
    let found = infer::get(head)?;
    let mime = found.mime_type();
    ACCEPTED
        .iter()
        .find(|(accepted, _)| *accepted == mime)
        .map(|(content_type, kind)| Sniffed { kind: *kind, content_type: browser_name(content_type) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
        assert_eq!(sniff(&jpeg).map(|s| s.content_type), Some("image/jpeg"));
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D];
        assert_eq!(sniff(&png).map(|s| s.kind), Some(MediaKind::Image));
        let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
        assert_eq!(sniff(pdf).map(|s| s.kind), Some(MediaKind::Document));
        let mut mp4 = vec![0, 0, 0, 0x18];
        mp4.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
        assert_eq!(sniff(&mp4).map(|s| s.content_type), Some("video/mp4"));
        // a script, an executable, text and nothing are refused whatever they are called
        for refused in [&b"<html><script>alert(1)</script>"[..], b"\x7FELF\x02\x01\x01\0\0\0", b"plain text", b""] {
            assert_eq!(sniff(refused), None, "{refused:?}");
        }
    }
}
