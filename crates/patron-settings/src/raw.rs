//! Reading the TOML file and the `PATRON_*` environment into raw text values, each with
//! where it came from, before anything is typed.

use crate::{DEFINITIONS, Definition, Kind, Origin};
use std::collections::BTreeMap;
use std::path::Path;

/// The environment variables that the loader itself reads besides the settings.
const LOADER_VARIABLES: &[&str] = &["PATRON_CONFIG"];

/// Raw values by key, before typing, with where each came from.
#[derive(Default)]
pub(crate) struct RawValues {
    values: BTreeMap<&'static str, (String, Origin)>,
}

impl RawValues {
    pub(crate) fn definition(key: &str) -> Option<&'static Definition> {
        DEFINITIONS.iter().find(|d| d.key == key)
    }

    /// The value of `key` and where it came from, when it was given.
    pub(crate) fn get(&self, key: &str) -> Option<&(String, Origin)> {
        self.values.get(key)
    }

    /// The name to use in a message about `key`: where its value came from, or its
    /// environment variable when it has no value.
    pub(crate) fn origin_name(&self, key: &str) -> String {
        match self.values.get(key) {
            Some((_, origin)) => origin.to_string(),
            None => format!("PATRON_{}", key.to_ascii_uppercase()),
        }
    }

    pub(crate) fn read_file(&mut self, path: &Path, problems: &mut Vec<String>) {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                problems.push(format!("--config {}: cannot be read: {error}", path.display()));
                return;
            }
        };
        let table: toml::Table = match text.parse() {
            Ok(table) => table,
            Err(error) => {
                problems.push(format!("--config {}: is not valid TOML: {}", path.display(), error.message()));
                return;
            }
        };
        for (key, value) in table {
            let origin = Origin::File { key: key.clone(), path: path.to_owned() };
            let Some(definition) = Self::definition(&key) else {
                let hint = closest_key(&key).map(|k| format!("; did you mean {k:?}?")).unwrap_or_default();
                problems.push(format!("{origin}: unknown setting {key:?}{hint}"));
                continue;
            };
            match toml_value_to_text(definition.kind, value) {
                Ok(text) => {
                    self.values.insert(definition.key, (text, origin));
                }
                Err(expected) => problems.push(format!("{origin}: {expected}")),
            }
        }
    }

    /// Applies `PATRON_*` variables over the file; returns warnings about unknown ones.
    pub(crate) fn read_env(&mut self, env: &BTreeMap<String, String>, problems: &mut Vec<String>) -> Vec<String> {
        for definition in DEFINITIONS {
            let name = definition.env_name();
            let file_name = format!("{name}_FILE");
            match (env.get(&name), env.get(&file_name)) {
                (Some(_), Some(_)) => {
                    problems.push(format!("{name}: set both {name} and {file_name}; keep one"));
                }
                (Some(value), None) => {
                    self.values.insert(definition.key, (value.clone(), Origin::Env(name)));
                }
                (None, Some(path)) => match std::fs::read_to_string(path) {
                    Ok(contents) => {
                        let value = contents.trim_end_matches(['\n', '\r']).to_owned();
                        self.values.insert(definition.key, (value, Origin::EnvFile(file_name)));
                    }
                    Err(error) => problems.push(format!("{file_name}: cannot read {path:?}: {error}")),
                },
                (None, None) => {}
            }
        }
        let known: Vec<String> =
            DEFINITIONS.iter().flat_map(|d| [d.env_name(), format!("{}_FILE", d.env_name())]).collect();
        env.keys()
            .filter(|name| name.starts_with("PATRON_") && !name.starts_with("PATRON_TEST_"))
            .filter(|name| !known.contains(name) && !LOADER_VARIABLES.contains(&name.as_str()))
            .map(|name| {
                let key = name.trim_start_matches("PATRON_").to_ascii_lowercase();
                let hint = closest_key(&key)
                    .map(|k| format!("; did you mean PATRON_{}?", k.to_ascii_uppercase()))
                    .unwrap_or_default();
                format!("{name}: unknown setting, ignored{hint}")
            })
            .collect()
    }
}

/// Converts a TOML value to the text the typed parsers read, refusing types that could lose
/// meaning (lesson 4: an identifier must never become a number).
fn toml_value_to_text(kind: Kind, value: toml::Value) -> Result<String, String> {
    use toml::Value;
    match (kind, value) {
        (_, Value::String(text)) => Ok(text),
        (Kind::Number | Kind::Duration | Kind::Size, Value::Integer(n)) => Ok(n.to_string()),
        (Kind::List, Value::Array(items)) => {
            let mut texts = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(text) => texts.push(text),
                    other => return Err(format!("list items must be strings, found {}", other.type_str())),
                }
            }
            Ok(texts.join(","))
        }
        (Kind::Text, other) => Err(format!(
            "must be a string, found {}: write it in quotes so it cannot change its meaning",
            other.type_str()
        )),
        (Kind::Number, other) => Err(format!("must be a whole number, found {}", other.type_str())),
        (Kind::Duration, other) => Err(format!("must be a duration like \"25s\", found {}", other.type_str())),
        (Kind::Size, other) => Err(format!("must be a size like \"1MiB\", found {}", other.type_str())),
        (Kind::List, other) => Err(format!("must be a list of strings, found {}", other.type_str())),
    }
}

/// The known key closest to a mistyped one, when it is close enough to be a typo.
fn closest_key(key: &str) -> Option<&'static str> {
    DEFINITIONS
        .iter()
        .map(|d| (edit_distance(key, d.key), d.key))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, key)| key)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}
