//! The cursors of keyset-paginated lists (posts, the feed, the public list of pages), as the
//! opaque text clients pass back.

use crate::AppError;
use patron_store::creators::Cursor;

/// The cursor as text.
pub fn encode_cursor(cursor: Cursor) -> String {
    format!("{}.{}", cursor.key, cursor.id)
}

/// Reads a cursor from a client; an absent or blank one is the first page, a malformed one
/// an error.
pub fn decode_cursor(text: Option<&str>) -> Result<Option<Cursor>, AppError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let parsed =
        text.split_once('.').and_then(|(key, id)| Some(Cursor { key: key.parse().ok()?, id: id.parse().ok()? }));
    parsed
        .map(Some)
        .ok_or_else(|| AppError::malformed("invalid_cursor", "The cursor is not one this server handed out."))
}
