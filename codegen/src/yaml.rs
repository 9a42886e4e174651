//! YAML parsing, in one place so that the YAML library can change.
//!
//! serde-saphyr keeps the line and column of every `Spanned` value and of its own
//! errors, which the diagnostics need.

use crate::diagnostic::{Diagnostic, Location};
use crate::syntax::SchemaFile;

/// Where a [`Spanned`] value starts.
pub use serde_saphyr::Location as SourceLocation;
/// A parsed value with its line and column: the syntax tree's leaves. Named here so that
/// the rest of the generator never names the YAML library.
pub use serde_saphyr::Spanned;

/// Parses one schema file. A syntax or shape error is returned located.
pub fn parse(file: &str, text: &str) -> Result<SchemaFile, Diagnostic> {
    // Repeated keys reach the `Entries` maps, so that validation reports a duplicate type
    // or field with the place of its first declaration; serde's derived structs still
    // reject a repeated key such as two `doc`s.
    let options = serde_saphyr::options! { duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::PassThrough };
    serde_saphyr::from_str_with_options::<SchemaFile>(text, options).map_err(|error| {
        let location = error.location().map(|at| Location::at(file, &at)).unwrap_or(Location {
            file: file.to_owned(),
            line: 1,
            column: 1,
        });
        let (message, hint) = explain(&first_line(&error.without_snippet().to_string()), text, &location);
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

/// Restates serde's and the YAML parser's messages in the schema's words: a schema has
/// keys (serde says "field", which here means a struct field), lists and maps; and adds
/// what to write instead.
fn explain(message: &str, text: &str, location: &Location) -> (String, Option<String>) {
    let hint = |hint: &str| Some(hint.to_owned());
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let message = format!("unknown key {rest}");
        return (message, hint("check the spelling; schemas/README.md lists the keys each part of a schema accepts"));
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let hint = match rest {
            "`module`" => hint("every schema file starts with its module: `module: crm.contacts`"),
            "`type`" => hint("a field written as a map needs its type: `{ type: string, doc: ... }`"),
            _ => hint("add the key; schemas/README.md lists the required ones"),
        };
        return (format!("missing key {rest}"), hint);
    }
    if let Some(rest) = message.strip_prefix("duplicate field ") {
        return (format!("duplicate key {rest}"), hint("a key may appear only once in a map; remove one of them"));
    }
    match message {
        "invalid boolean" => {
            let message = match scalar_at(text, location) {
                Some(value) => format!("`{value}` is not a boolean"),
                None => message.to_owned(),
            };
            (message, hint("write `true` or `false`"))
        }
        "expected sequence start" => ("expected a list".to_owned(), hint("write `[a, b]`, or one `- item` per line")),
        "expected mapping start" => {
            ("expected a map".to_owned(), hint("write `{ key: value }`, or one indented `key: value` per line"))
        }
        _ if message.contains("flow mapping") || message.contains("flow sequence") => (
            message.to_owned(),
            hint("a `{` or `[` before this point is not closed; quote values that contain `,` `:` `{` `}` `[` `]`"),
        ),
        _ => (message.to_owned(), None),
    }
}

/// The plain scalar starting at `location` (`maybe` in `required: maybe }`), if any.
fn scalar_at(text: &str, location: &Location) -> Option<String> {
    let line = text.lines().nth(usize::try_from(location.line).ok()?.checked_sub(1)?)?;
    let start = usize::try_from(location.column).ok()?.checked_sub(1)?;
    let value: String = line.chars().skip(start).take_while(|c| !matches!(c, ',' | '}' | ']' | '#')).collect();
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}
