//! `--expand-env`: variables in the file's text replaced before it is read, strictly.

use super::ConfigError;

/// Replaces `$NAME` and `${NAME}` with the variable's value from `lookup`, as Tergum's
/// `--expand-env` does; a variable that is not set is an error naming it and its line. A `$`
/// not followed by a name is kept.
pub fn expand_env(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    // comment lines are kept as written: a `${NAME}` explained in a comment is not a value
    let mut out = String::with_capacity(text.len());
    for (number, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with('#') {
            out.push_str(line);
        } else {
            out.push_str(
                &expand_line(line, &lookup).map_err(|name| ConfigError::MissingVariable { name, line: number + 1 })?,
            );
        }
    }
    Ok(out)
}

/// One line with its variables replaced, or the name of one that is not set.
fn expand_line(text: &str, lookup: &impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            (&after[..end], end)
        };
        let is_name = !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit());
        if !is_name || consumed == 0 {
            out.push('$');
            rest = after;
            continue;
        }
        match lookup(name) {
            Some(value) => out.push_str(&value),
            None => return Err(name.to_owned()),
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}
