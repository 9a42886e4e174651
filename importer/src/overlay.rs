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
//! [events.BadgeCreated]            # an event the typings lack (Velo and REST only)
//! doc = "Triggered when a badge is created."
//! handler = "onBadgeCreated"
//! slug = "created"
//! entity = "Badge"                 # a snapshot type (see the manifest's `extra_types`)
//! sdk = false
//! [events.GuestCheckedIn]          # an imported event: only `velo` and `required` may change
//! velo = false
//! [events.GuestDeleted]
//! required = false                 # its entity is sent only sometimes
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
    /// Events by name: added ones, or imported ones whose `velo` changes.
    #[serde(default)]
    pub events: BTreeMap<String, EventOverride>,
}

/// What an overlay says about an event. An imported event may only change `velo` and
/// `required`; an
/// added one needs `handler`, `slug` and its body (`entity`, `data`, or neither for a
/// metadata-only event).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventOverride {
    /// Documentation (added events).
    pub doc: Option<String>,
    /// Handler method name without prefix (`onBadgeCreated`).
    pub handler: Option<String>,
    /// eventType suffix after the module's fqdn.
    pub slug: Option<String>,
    /// The entity type (snapshot name).
    pub entity: Option<String>,
    /// The action body type (snapshot name).
    pub data: Option<String>,
    /// `false`: the SDK registers no handler for it (Velo or REST only).
    pub sdk: Option<bool>,
    /// `false`: Wix documents no Velo `events.js` handler for it.
    pub velo: Option<bool>,
    /// `false`: the entity is sent only sometimes (a deleted event whose documented
    /// examples carry none, though the typings declare it).
    pub required: Option<bool>,
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

impl EventOverride {
    /// Whether it says nothing but `velo` and `required`: all an imported event may change.
    pub fn only_velo_or_required(&self) -> bool {
        let Self { doc, handler, slug, entity, data, sdk, velo: _, required: _ } = self;
        doc.is_none() && handler.is_none() && slug.is_none() && entity.is_none() && data.is_none() && sdk.is_none()
    }
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
        let events =
            parse("o.toml", "[events.A]\nvelo = false\n[events.B]\nhandler = \"onB\"\nslug = \"b\"\nsdk = false\n")
                .unwrap_or_default();
        assert_eq!(events.events["A"].velo, Some(false));
        assert_eq!(events.events["B"].slug.as_deref(), Some("b"));
        assert!(parse("o.toml", "[events.A]\nvelo = \"no\"\n").is_err());
        let error = parse("o.toml", "[fields.\"A.b\"]\ntipe = 1\n").err().unwrap_or_default();
        assert!(error.starts_with("o.toml:2:1: error:"), "{error}");
    }
}
