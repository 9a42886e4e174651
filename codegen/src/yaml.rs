//! YAML parsing, in one place so that the YAML library can change.
//!
//! serde-saphyr keeps the line and column of every `Spanned` value and of its own
//! errors, which the diagnostics need.

use std::sync::OnceLock;

use crate::diagnostic::{Diagnostic, Location};
use crate::syntax::SchemaFile;
use crate::unknown_keys::{self, Node, UnknownKey};

/// Where a [`Spanned`] value starts.
pub use serde_saphyr::Location as SourceLocation;
/// A parsed value with its line and column: the syntax tree's leaves. Named here so that
/// the rest of the generator never names the YAML library.
pub use serde_saphyr::Spanned;

/// One schema file read: its syntax tree when it could be built, and every mistake found
/// on the way.
pub struct Parsed {
    /// The syntax tree; `None` when the file is not a schema at all (bad YAML, a wrong shape).
    pub schema: Option<SchemaFile>,
    /// Unknown keys and the syntax or shape error, if any; lowering adds its own.
    pub diagnostics: Vec<Diagnostic>,
    /// How to map locations in the tree back to the file as written.
    pub renames: Renames,
}

/// Parses one schema file. Every unknown key is reported, not just the first, and the
/// rest of the file is still read: a misspelled key with a close known name (`feilds`)
/// is read on as that name, so its contents are checked and its absence is not reported
/// a second time; any other unknown key is left out.
pub fn parse(file: &str, text: &str) -> Parsed {
    let mut diagnostics = Vec::new();
    let mut renames = Renames::default();
    let mut recovered = None;
    let tree = serde_saphyr::from_str_with_options::<Node>(text, options());
    if let Ok(tree) = &tree {
        let unknown = unknown_keys::find(tree, format_schema());
        diagnostics.extend(unknown.iter().map(|key| key.diagnostic(file)));
        recovered = renames.apply(text, &unknown);
    }
    let typed = serde_saphyr::from_str_with_options::<SchemaFile>(recovered.as_deref().unwrap_or(text), options());
    let schema = match typed {
        Ok(schema) => {
            // Unknown keys were not checked, so the file must not pass; this is not
            // expected to happen (the tree accepts whatever the typed parse accepts).
            if let Err(error) = &tree {
                diagnostics.push(located(file, text, error));
            }
            Some(schema)
        }
        Err(error) => {
            let mut diagnostic = located(file, recovered.as_deref().unwrap_or(text), &error);
            renames.restore(&mut diagnostic.location);
            diagnostics.push(diagnostic);
            None
        }
    };
    Parsed { schema, diagnostics, renames }
}

fn options() -> serde_saphyr::Options {
    // Repeated keys reach the `Entries` maps, so that validation reports a duplicate type
    // or field with the place of its first declaration; serde's derived structs still
    // reject a repeated key such as two `doc`s.
    serde_saphyr::options! { duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::PassThrough }
}

/// The format's JSON Schema, derived once: the keys it lists are the known ones.
fn format_schema() -> &'static serde_json::Value {
    static SCHEMA: OnceLock<serde_json::Value> = OnceLock::new();
    SCHEMA.get_or_init(|| crate::syntax::format_schema().to_value())
}

/// serde-saphyr's error as a diagnostic in the schema's words.
fn located(file: &str, text: &str, error: &serde_saphyr::Error) -> Diagnostic {
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
}

/// Misspelled keys read on as the key they were meant to be, and how that moved the
/// columns after them on their line.
#[derive(Debug, Default)]
pub struct Renames(Vec<Rename>);

#[derive(Debug)]
struct Rename {
    line: u64,
    /// Column of the key in the renamed text.
    column: u64,
    /// Length of the key written, and of the key read instead, in characters.
    written: u64,
    meant: u64,
}

impl Renames {
    /// The text with every misspelled key that has a meaning renamed to it, or `None`
    /// when there is nothing to rename. A key is renamed only where the text at its
    /// location is the key itself (not quoted, not spread over lines).
    fn apply(&mut self, text: &str, unknown: &[UnknownKey]) -> Option<String> {
        let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
        for key in unknown {
            let Some(meant) = &key.meant else { continue };
            let line = key.key.referenced.line();
            let Some(index) = usize::try_from(line).ok().and_then(|line| line.checked_sub(1)) else { continue };
            let Some(current) = lines.get_mut(index) else { continue };
            // Columns are characters; later renames on the same line moved this key.
            let moved: i64 = self.0.iter().filter(|rename| rename.line == line).map(Rename::delta).sum();
            let Some(column) = key.key.referenced.column().checked_add_signed(moved) else { continue };
            let Some(start) = usize::try_from(column).ok().and_then(|column| column.checked_sub(1)) else { continue };
            let Some((at, _)) = current.char_indices().nth(start) else { continue };
            if !current[at..].starts_with(key.key.value.as_str()) {
                continue;
            }
            current.replace_range(at..at + key.key.value.len(), meant);
            let chars = |text: &str| u64::try_from(text.chars().count()).unwrap_or(u64::MAX);
            self.0.push(Rename { line, column, written: chars(&key.key.value), meant: chars(meant) });
        }
        (!self.0.is_empty()).then(|| lines.join("\n"))
    }

    /// Moves a location found in the renamed text back to the file as written.
    pub fn restore(&self, location: &mut Location) {
        for rename in self.0.iter().rev().filter(|rename| rename.line == location.line) {
            if location.column >= rename.column + rename.meant {
                location.column = location.column.saturating_add_signed(-rename.delta()).max(1);
            }
        }
    }
}

impl Rename {
    /// How many characters the rename added to its line.
    fn delta(&self) -> i64 {
        i64::try_from(self.meant).unwrap_or(0) - i64::try_from(self.written).unwrap_or(0)
    }
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
