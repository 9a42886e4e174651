//! Overlays (`import/overlays/<module>.toml`): hand knowledge the typings cannot express,
//! merged over every import so that it survives re-imports. A field is addressed as
//! `"Type.field"`:
//!
//! ```toml
//! [fields."Order.number"]          # change an imported field
//! type = "int64"
//! [add."Order.legacyField"]        # a field the typings lack (seen in REST examples)
//! type = "string"
//! doc = "Sent in webhooks; not in the SDK typings."
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// One module's overlay.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// Changes to imported fields.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldOverride>,
    /// Fields added to imported types.
    #[serde(default)]
    pub add: BTreeMap<String, FieldOverride>,
}

/// What an overlay says about a field.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldOverride {
    /// Type expression of the schema language (`int64`, `items_list<Item>`).
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// Replacement documentation.
    pub doc: Option<String>,
    /// Extra wire names accepted when decoding.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// Path of a module's overlay.
pub fn path(module: &str) -> String {
    format!("{}/{module}.toml", crate::OVERLAY_DIR)
}

/// Reads a module's overlay; a missing file is an empty overlay.
pub fn read(root: &Path, module: &str) -> Result<Overlay, String> {
    let file = path(module);
    match std::fs::read_to_string(root.join(&file)) {
        Ok(text) => parse(&file, &text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Overlay::default()),
        Err(error) => Err(format!("{file}: {error}")),
    }
}

/// Parses overlay text; errors name the file, line and column.
pub fn parse(file: &str, text: &str) -> Result<Overlay, String> {
    toml::from_str(text).map_err(|error| crate::manifest::located(file, text, &error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_additions() {
        let text = "[fields.\"Order.number\"]\ntype = \"int64\"\n[add.\"Order.x\"]\ntype = \"string\"\n";
        let overlay = parse("o.toml", text).unwrap_or_default();
        assert_eq!(overlay.fields["Order.number"].ty.as_deref(), Some("int64"));
        assert!(overlay.add.contains_key("Order.x"));
        let error = parse("o.toml", "[fields.\"A.b\"]\ntipe = 1\n").err().unwrap_or_default();
        assert!(error.starts_with("o.toml:2:1: error:"), "{error}");
    }
}
