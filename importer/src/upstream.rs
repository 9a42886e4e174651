//! Drift against Wix: what a newer version of a package changes, in the terms a user of
//! the generated crate cares about. [`diff`] compares two snapshots (the committed one and
//! one built from the registry's latest version) and [`Report`] says which events and
//! types were added or removed, which fields were added, removed or retyped, and which
//! enum values were added or removed. Removals and retypings break code or payloads that
//! decode today; additions do not.

use std::collections::BTreeSet;
use std::fmt;

use crate::snapshot::{Field, Snapshot, TypeDecl};
use crate::typings::Ty;

/// One change between two versions of a package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// A new event (`handler`, eventType).
    EventAdded(String, String),
    /// An event the newer version no longer declares.
    EventRemoved(String, String),
    /// An event whose eventType or payload changed (`handler`, was, now).
    EventChanged(String, String, String),
    /// A new type in the payloads' closure.
    TypeAdded(String),
    /// A type no payload reaches any more.
    TypeRemoved(String),
    /// A new field (`Type.field`, type).
    FieldAdded(String, String),
    /// A field the newer version drops (`Type.field`).
    FieldRemoved(String),
    /// A field whose type or wire form changed (`Type.field`, was, now).
    FieldRetyped(String, String, String),
    /// A new enum value (`Enum`, value).
    ValueAdded(String, String),
    /// An enum value the newer version drops (`Enum`, value).
    ValueRemoved(String, String),
    /// A struct became an enum or the reverse.
    KindChanged(String),
}

impl Change {
    /// Whether code or payloads that work with the older version may fail with the newer.
    pub fn is_breaking(&self) -> bool {
        matches!(
            self,
            Change::EventRemoved(..)
                | Change::EventChanged(..)
                | Change::FieldRemoved(..)
                | Change::FieldRetyped(..)
                | Change::ValueRemoved(..)
                | Change::KindChanged(..)
        )
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::EventAdded(handler, event_type) => write!(f, "+ event {handler} ({event_type})"),
            Change::EventRemoved(handler, event_type) => write!(f, "- event {handler} ({event_type})"),
            Change::EventChanged(handler, was, now) => write!(f, "~ event {handler}: {was} -> {now}"),
            Change::TypeAdded(name) => write!(f, "+ type {name}"),
            Change::TypeRemoved(name) => write!(f, "- type {name}"),
            Change::FieldAdded(field, ty) => write!(f, "+ field {field}: {ty}"),
            Change::FieldRemoved(field) => write!(f, "- field {field}"),
            Change::FieldRetyped(field, was, now) => write!(f, "~ field {field}: {was} -> {now}"),
            Change::ValueAdded(name, value) => write!(f, "+ value {name}::{value}"),
            Change::ValueRemoved(name, value) => write!(f, "- value {name}::{value}"),
            Change::KindChanged(name) => write!(f, "~ type {name}: struct <-> enum"),
        }
    }
}

/// The changes between two versions of one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// npm name.
    pub package: String,
    /// The committed version.
    pub from: String,
    /// The newer version.
    pub to: String,
    /// Every change, sorted: events, then types, fields and values.
    pub changes: Vec<Change>,
}

impl Report {
    /// Whether any change may break code or payloads that work today.
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(Change::is_breaking)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let breaking = self.changes.iter().filter(|change| change.is_breaking()).count();
        writeln!(
            f,
            "{} {} -> {}: {} changes, {breaking} breaking",
            self.package,
            self.from,
            self.to,
            self.changes.len()
        )?;
        for change in &self.changes {
            let mark = if change.is_breaking() { "  (breaking)" } else { "" };
            writeln!(f, "  {change}{mark}")?;
        }
        Ok(())
    }
}

/// What changes from `old` to `new` (two snapshots of the same package).
pub fn diff(old: &Snapshot, new: &Snapshot) -> Report {
    let mut changes = Vec::new();
    for event in &old.events {
        match new.events.iter().find(|other| other.handler == event.handler) {
            None => changes.push(Change::EventRemoved(event.handler.clone(), event.event_type.clone())),
            Some(other) => {
                let was = event_shape(event);
                let now = event_shape(other);
                if was != now {
                    changes.push(Change::EventChanged(event.handler.clone(), was, now));
                }
            }
        }
    }
    for event in &new.events {
        if !old.events.iter().any(|other| other.handler == event.handler) {
            changes.push(Change::EventAdded(event.handler.clone(), event.event_type.clone()));
        }
    }
    for (name, decl) in &old.types {
        match new.types.get(name) {
            None => changes.push(Change::TypeRemoved(name.clone())),
            Some(other) => type_changes(name, decl, other, &mut changes),
        }
    }
    for name in new.types.keys().filter(|name| !old.types.contains_key(*name)) {
        changes.push(Change::TypeAdded(name.clone()));
    }
    changes.sort();
    Report { package: new.package.clone(), from: old.version.clone(), to: new.version.clone(), changes }
}

/// An event's eventType and body, as one comparable line.
fn event_shape(event: &crate::snapshot::Event) -> String {
    let body = match &event.body {
        Some((key, ty)) => format!("{key}: {ty}"),
        None => "metadata only".to_owned(),
    };
    format!("{} {{{body}}}", event.event_type)
}

fn type_changes(name: &str, old: &TypeDecl, new: &TypeDecl, changes: &mut Vec<Change>) {
    match (old, new) {
        (TypeDecl::Struct { fields: old, .. }, TypeDecl::Struct { fields: new, .. }) => {
            for field in old {
                let path = format!("{name}.{}", field.name);
                match new.iter().find(|other| other.name == field.name) {
                    None => changes.push(Change::FieldRemoved(path)),
                    Some(other) if field_type(field) != field_type(other) => {
                        changes.push(Change::FieldRetyped(path, field_type(field), field_type(other)))
                    }
                    Some(_) => {}
                }
            }
            for field in new.iter().filter(|field| !old.iter().any(|other| other.name == field.name)) {
                changes.push(Change::FieldAdded(format!("{name}.{}", field.name), field_type(field)));
            }
        }
        (TypeDecl::Enum { values: old, .. }, TypeDecl::Enum { values: new, .. }) => {
            let old: BTreeSet<&str> = old.iter().map(|(value, _)| value.as_str()).collect();
            let new: BTreeSet<&str> = new.iter().map(|(value, _)| value.as_str()).collect();
            for value in old.difference(&new) {
                changes.push(Change::ValueRemoved(name.to_owned(), (*value).to_owned()));
            }
            for value in new.difference(&old) {
                changes.push(Change::ValueAdded(name.to_owned(), (*value).to_owned()));
            }
        }
        _ => changes.push(Change::KindChanged(name.to_owned())),
    }
}

/// A field's type as the schemas would see it: the TypeScript type and its wire transform.
fn field_type(field: &Field) -> String {
    match &field.wire {
        Some(wire) => format!("{} ({wire})", show(&field.ty)),
        None => show(&field.ty),
    }
}

fn show(ty: &Ty) -> String {
    match ty {
        Ty::String => "string".to_owned(),
        Ty::Number => "number".to_owned(),
        Ty::Boolean => "boolean".to_owned(),
        Ty::Date => "Date".to_owned(),
        Ty::Any => "any".to_owned(),
        Ty::Ref(name) => name.clone(),
        Ty::List(item) => format!("{}[]", show(item)),
        Ty::Map(value) => format!("Record<string, {}>", show(value)),
        Ty::Unsupported(what) => format!("unsupported ({what})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed(module: &str) -> Snapshot {
        let path = format!("{}/../{}", env!("CARGO_MANIFEST_DIR"), crate::snapshot::path(module));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
        crate::snapshot::from_text(&path, &text).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn a_snapshot_against_itself_has_no_changes() {
        let snapshot = committed("forms.submissions");
        let report = diff(&snapshot, &snapshot);
        assert!(report.changes.is_empty() && !report.is_breaking(), "{report}");
    }

    /// Each kind of edit shows up as its change, and only removals and retypings break.
    #[test]
    fn each_edit_is_reported_and_only_removals_and_retypings_break() {
        let old = committed("forms.submissions");
        let mut new = old.clone();
        new.version = "9.9.9".to_owned();
        let removed = new.events.remove(0);
        let Some(TypeDecl::Struct { fields, .. }) = new.types.get_mut("FormSubmission") else {
            panic!("FormSubmission is a struct in the snapshot")
        };
        let retyped = fields[0].name.clone();
        fields[0].ty = Ty::List(Box::new(Ty::Boolean));
        let mut added = fields[1].clone();
        added.name = "brandNew".to_owned();
        fields.push(added);
        let additions_only = {
            let mut only_added = old.clone();
            if let Some(TypeDecl::Struct { fields, .. }) = only_added.types.get_mut("FormSubmission") {
                let mut field = fields[1].clone();
                field.name = "brandNew".to_owned();
                fields.push(field);
            }
            diff(&old, &only_added)
        };

        let report = diff(&old, &new);
        assert_eq!(report.to, "9.9.9");
        let shown: Vec<String> = report.changes.iter().map(ToString::to_string).collect();
        assert!(shown.contains(&format!("- event {} ({})", removed.handler, removed.event_type)), "{report}");
        assert!(
            shown.iter().any(|line| line.starts_with(&format!("~ field FormSubmission.{retyped}: "))
                && line.ends_with("-> boolean[]")),
            "{report}"
        );
        assert!(shown.iter().any(|line| line.starts_with("+ field FormSubmission.brandNew: ")), "{report}");
        assert!(report.is_breaking());
        assert_eq!(additions_only.changes.len(), 1, "{additions_only}");
        assert!(!additions_only.is_breaking(), "an added field breaks nothing: {additions_only}");
    }

    #[test]
    fn enum_values_added_and_removed() {
        let old = committed("forms.submissions");
        let mut new = old.clone();
        let (name, values) = new
            .types
            .iter_mut()
            .find_map(|(name, decl)| match decl {
                TypeDecl::Enum { values, .. } if values.len() >= 2 => Some((name.clone(), values)),
                _ => None,
            })
            .unwrap_or_else(|| panic!("the snapshot has an enum with two values"));
        let (dropped, _) = values.remove(0);
        values.push(("BRAND_NEW".to_owned(), String::new()));
        let report = diff(&old, &new);
        assert_eq!(
            report.changes,
            vec![Change::ValueAdded(name.clone(), "BRAND_NEW".to_owned()), Change::ValueRemoved(name, dropped)]
        );
        assert!(report.is_breaking(), "a removed value breaks payloads that use it");
    }
}
