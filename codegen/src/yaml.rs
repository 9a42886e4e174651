//! YAML parsing, in one place so that the YAML library can change.
//!
//! serde-saphyr keeps the line and column of every `Spanned` value and of its own
//! errors, which the diagnostics need.

use crate::diagnostic::{Diagnostic, Location};
use crate::format::SchemaFile;

/// Parses one schema file. A syntax or shape error is returned located.
pub fn parse(file: &str, text: &str) -> Result<SchemaFile, Diagnostic> {
    serde_saphyr::from_str::<SchemaFile>(text).map_err(|error| {
        let location = error
            .location()
            .map(|at| Location::at(file, &at))
            .unwrap_or(Location { file: file.to_owned(), line: 1, column: 1 });
        let message = first_line(&error.without_snippet().to_string());
        let hint = hint_for(&message);
        let diagnostic = Diagnostic::new(location, message);
        match hint {
            Some(hint) => diagnostic.with_hint(hint),
            None => diagnostic,
        }
    })
}

/// serde-saphyr prefixes its messages with a location and may append a snippet; the
/// diagnostic prints its own location, so keep only the message itself.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line.rsplit_once(" at line ") {
        Some((text, _)) => text.to_owned(),
        None => line.to_owned(),
    }
}

fn hint_for(message: &str) -> Option<String> {
    if message.contains("unknown field") {
        Some("see schemas/README.md for the keys each part of a schema accepts".to_owned())
    } else if message.contains("missing field") {
        Some("add the key; schemas/README.md lists the required ones".to_owned())
    } else {
        None
    }
}
