//! Keys a schema file writes that the format does not have, found all at once.
//!
//! serde stops at the first unknown key, which would hide every other mistake in the
//! file. Instead the file is also read as a plain tree of maps, lists and scalars, and
//! that tree is walked beside the format's own JSON Schema (derived from `syntax.rs`, the
//! same one editors use), so the set of known keys is written once. Each unknown key is
//! reported where it stands, with the closest known key when there is one.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::diagnostic::{did_you_mean, Diagnostic, Location};
use crate::yaml::Spanned;

/// A YAML document as a tree, keeping where each map key stands.
#[derive(Debug)]
pub enum Node {
    /// A map, in the file's order.
    Map(Vec<(Spanned<String>, Node)>),
    /// A list.
    List(Vec<Node>),
    /// Anything else (string, number, boolean, null).
    Scalar,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Node::Map(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Scalar)
    }
}

/// A key the format does not have at its place.
#[derive(Debug)]
pub struct UnknownKey {
    /// The key as written, with its location.
    pub key: Spanned<String>,
    /// The known key it is most likely a misspelling of, when that key is not also
    /// written in the same map (then reading on as if it were that key is safe).
    pub meant: Option<String>,
    /// The keys the format accepts at that place, sorted.
    pub expected: Vec<String>,
}

impl UnknownKey {
    /// The diagnostic a user sees for it.
    pub fn diagnostic(&self, file: &str) -> Diagnostic {
        let message = format!("unknown key `{}`, expected one of {}", self.key.value, self.expected.join(", "));
        let closest = did_you_mean(&self.key.value, self.expected.iter().map(String::as_str));
        let hint = match closest {
            Some(closest) => {
                format!("did you mean `{closest}`? schemas/README.md lists the keys each part of a schema accepts")
            }
            None => "check the spelling; schemas/README.md lists the keys each part of a schema accepts".to_owned(),
        };
        Diagnostic::new(Location::of(file, &self.key), message).with_hint(hint)
    }
}

/// Every key in `tree` that `schema` (a JSON Schema whose `$ref`s point into its own
/// `definitions`) does not allow, in the file's order.
pub fn find(tree: &Node, schema: &Value) -> Vec<UnknownKey> {
    let mut found = Vec::new();
    walk(tree, schema, schema, &mut found);
    found
}

fn walk(node: &Node, schema: &Value, root: &Value, found: &mut Vec<UnknownKey>) {
    let mut alternatives = Vec::new();
    alternatives_of(schema, root, &mut alternatives, 0);
    match node {
        Node::Map(entries) => {
            let objects: Vec<&Value> = alternatives
                .into_iter()
                .filter(|schema| schema.get("properties").is_some() || accepts(schema, "object"))
                .collect();
            // A map where the format wants something else: the typed parse says so.
            if objects.is_empty() {
                return;
            }
            for (key, value) in entries {
                let property = objects.iter().find_map(|object| object.get("properties")?.get(&key.value));
                let values =
                    objects.iter().find_map(|object| object.get("additionalProperties").filter(|v| v.is_object()));
                match property.or(values) {
                    Some(schema) => walk(value, schema, root, found),
                    None if objects
                        .iter()
                        .any(|object| object.get("additionalProperties") == Some(&Value::Bool(false))) =>
                    {
                        let key = unknown(key, entries, &objects);
                        // Read on as the key it was meant to be, as parsing will.
                        let meant = key
                            .meant
                            .as_deref()
                            .and_then(|meant| objects.iter().find_map(|object| object.get("properties")?.get(meant)));
                        found.push(key);
                        if let Some(schema) = meant {
                            walk(value, schema, root, found);
                        }
                    }
                    None => {}
                }
            }
        }
        Node::List(items) => {
            if let Some(schema) = alternatives.iter().find_map(|schema| schema.get("items")) {
                for item in items {
                    walk(item, schema, root, found);
                }
            }
        }
        Node::Scalar => {}
    }
}

fn unknown(key: &Spanned<String>, siblings: &[(Spanned<String>, Node)], objects: &[&Value]) -> UnknownKey {
    let mut expected: Vec<String> = objects
        .iter()
        .filter_map(|object| object.get("properties")?.as_object())
        .flat_map(|properties| properties.keys().cloned())
        .collect();
    expected.sort();
    expected.dedup();
    let written = |name: &str| siblings.iter().any(|(sibling, _)| sibling.value == name);
    let meant =
        did_you_mean(&key.value, expected.iter().map(String::as_str)).filter(|name| !written(name)).map(str::to_owned);
    UnknownKey { key: key.clone(), meant, expected }
}

/// Whether the schema's `type` is `kind` or a list holding it.
fn accepts(schema: &Value, kind: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(single)) => single == kind,
        Some(Value::Array(kinds)) => kinds.iter().any(|each| each == kind),
        _ => false,
    }
}

/// The schemas a value may match: `$ref`s resolved and `anyOf`/`oneOf`/`allOf` opened.
/// The depth bound only guards against a reference cycle without any structure.
fn alternatives_of<'a>(schema: &'a Value, root: &'a Value, out: &mut Vec<&'a Value>, depth: usize) {
    if depth > 16 {
        return;
    }
    if let Some(target) = schema.get("$ref").and_then(Value::as_str).and_then(|path| resolve(root, path)) {
        alternatives_of(target, root, out, depth + 1);
    }
    for combinator in ["anyOf", "oneOf", "allOf"] {
        for each in schema.get(combinator).and_then(Value::as_array).into_iter().flatten() {
            alternatives_of(each, root, out, depth + 1);
        }
    }
    out.push(schema);
}

/// `#/definitions/Name` in `root`.
fn resolve<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    root.pointer(path.strip_prefix('#')?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown_in(yaml: &str) -> Vec<(String, u64, u64, Option<String>)> {
        let tree: Node = serde_saphyr::from_str(yaml).unwrap();
        let schema: Value = serde_json::from_str(&crate::syntax::json_schema()).unwrap();
        find(&tree, &schema)
            .into_iter()
            .map(|found| {
                (found.key.value.clone(), found.key.referenced.line(), found.key.referenced.column(), found.meant)
            })
            .collect()
    }

    #[test]
    fn finds_every_unknown_key_at_every_level() {
        let yaml = "module: crm.contacts\nmodul: x\ntypes:\n  Contact:\n    feilds:\n      _id: { tpye: string }\n    fields:\n      _id: { type: string, dok: x }\nevents:\n  ContactCreated:\n    handlr: onContactCreated\n";
        assert_eq!(
            unknown_in(yaml),
            vec![
                ("modul".to_owned(), 2, 1, None),
                ("feilds".to_owned(), 5, 5, None),
                ("dok".to_owned(), 8, 28, Some("doc".to_owned())),
                ("handlr".to_owned(), 11, 5, Some("handler".to_owned())),
            ]
        );
    }

    #[test]
    fn names_of_fields_types_and_events_are_free() {
        let yaml = "module: crm.contacts\ntypes:\n  Anything:\n    fields:\n      whatever_name: string\nevents:\n  SomeEvent:\n    handler: onSomeEvent\n    entity: { type: Anything, required: true }\n";
        assert!(unknown_in(yaml).is_empty());
    }

    #[test]
    fn enum_values_written_as_maps_are_checked() {
        let yaml = "module: a.b\ntypes:\n  Kind:\n    enum:\n      - A\n      - { value: B, docs: x }\n";
        assert_eq!(unknown_in(yaml), vec![("docs".to_owned(), 6, 21, Some("doc".to_owned()))]);
    }
}
