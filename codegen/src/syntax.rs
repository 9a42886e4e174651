//! The syntax tree of a schema file: the serde structs a YAML schema is parsed into,
//! exactly as people write it (see `schemas/README.md`), before any name is checked.
//!
//! These types are both what `yaml.rs` deserializes into and what the format's JSON
//! Schema is derived from, so the editor schema can never disagree with the parser.
//! Names and type expressions keep their YAML location (`Spanned`) so that later
//! checks can point at the exact line and column.

use std::fmt;
use std::marker::PhantomData;

use crate::yaml::Spanned;
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// A parsed schema file with the path it was read from, as diagnostics show it.
pub struct ParsedFile {
    /// Path as shown in diagnostics (`schemas/crm/contacts.yaml`).
    pub file: String,
    /// Its syntax tree.
    pub schema: SchemaFile,
}

/// One schema file: a Wix module with its types and events.
#[derive(Debug, Deserialize, JsonSchema)]
// Unknown keys are found by `unknown_keys.rs` (all of them, located), not by serde,
// which would stop at the first; the JSON Schema still forbids them for editors.
#[schemars(deny_unknown_fields)]
#[schemars(
    title = "Wix backend events schema",
    description = "One Wix module: its entity types, enums and backend events. See schemas/README.md."
)]
pub struct SchemaFile {
    /// Dotted module path (`crm.contacts`): the Rust module, and its first segment the cargo feature.
    #[schemars(with = "String", regex(pattern = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"))]
    pub module: Spanned<String>,
    /// Module documentation.
    #[serde(default)]
    pub doc: Option<String>,
    /// URL of Wix's reference page for the module.
    #[serde(default)]
    pub docs: Option<String>,
    /// Where the JavaScript SDK exports these events.
    #[serde(default)]
    pub sdk: Option<SdkOrigin>,
    /// The Velo `events.js` prefix of the module's handlers.
    #[serde(default)]
    pub velo: Option<VeloOrigin>,
    /// The webhook entity FQDN of the module's events.
    #[serde(default)]
    pub webhook: Option<WebhookOrigin>,
    /// Entity types and enums, by UpperCamelCase name.
    #[serde(default)]
    pub types: Entries<TypeDef>,
    /// Events, by payload type name (UpperCamelCase).
    #[serde(default)]
    pub events: Entries<EventDef>,
}

/// SDK origin: `{package: "@wix/crm", export: contacts}` means `contacts.onContactCreated`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SdkOrigin {
    /// npm package (`@wix/crm`).
    pub package: String,
    /// Namespace exported by the package (`contacts`).
    pub export: String,
}

/// Velo origin: handlers are named `<prefix>_<handler>`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct VeloOrigin {
    /// `events.js` prefix (`wixCrm`).
    #[schemars(with = "String")]
    pub prefix: Spanned<String>,
}

/// Webhook origin: eventType is `<fqdn>_<slug>`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct WebhookOrigin {
    /// Entity FQDN (`wix.contacts.v4.contact`).
    #[schemars(with = "String")]
    pub fqdn: Spanned<String>,
}

/// A named type: a struct (`fields`) or a string enum (`enum`), exactly one of them.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct TypeDef {
    /// Documentation.
    #[serde(default)]
    pub doc: Option<String>,
    /// Struct fields by wire name (`_id`, `eventTime`), in wire order.
    #[serde(default)]
    #[schemars(with = "Option<Entries<FieldDef>>")]
    pub fields: Option<Entries<Spanned<FieldDef>>>,
    /// Enum wire values.
    #[serde(default, rename = "enum")]
    #[schemars(with = "Option<Vec<EnumValueDef>>")]
    pub values: Option<Spanned<Vec<Spanned<EnumValueDef>>>>,
}

/// A field: a bare type expression, or a map with the type and its details.
#[derive(Debug, JsonSchema)]
#[serde(untagged)]
pub enum FieldDef {
    /// Just the type expression (`string`, `list<ContactEmail>`).
    Type(String),
    /// The type with documentation and options.
    Full(FieldSpec),
}

/// A field with its details.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct FieldSpec {
    /// Type expression (`string`, `int64`, `items_list<ContactEmail>`, `crm.contacts.Contact`).
    #[serde(rename = "type")]
    #[schemars(with = "String")]
    pub ty: Spanned<String>,
    /// Documentation.
    #[serde(default)]
    pub doc: Option<String>,
    /// The field must be present (Rust `T` instead of `Option<T>`). Struct fields
    /// default to optional; an event's `entity` or `data` defaults to required.
    #[serde(default)]
    pub required: Option<bool>,
    /// Other wire names accepted when decoding.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Informational format (`guid`, `email`), copied into the docs.
    #[serde(default)]
    pub format: Option<String>,
    /// Deprecated by Wix; noted in the docs.
    #[serde(default)]
    pub deprecated: bool,
}

/// One enum value: the wire string, or a map with its documentation.
#[derive(Debug, JsonSchema)]
#[serde(untagged)]
pub enum EnumValueDef {
    /// The wire value (`SUBSCRIBED`).
    Value(String),
    /// The wire value and its documentation.
    Full(EnumValueSpec),
}

/// An enum value with documentation.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EnumValueSpec {
    /// The wire value.
    pub value: String,
    /// Documentation.
    #[serde(default)]
    pub doc: Option<String>,
}

/// A backend event.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct EventDef {
    /// Documentation.
    #[serde(default)]
    pub doc: Option<String>,
    /// SDK export and Velo handler suffix (`onContactCreated`).
    // Required (the JSON Schema says so); an `Option` only so that validation can name
    // the event that lacks it, which serde's "missing field" cannot.
    #[schemars(with = "String", regex(pattern = r"^on[A-Z][A-Za-z0-9]*$"))]
    pub handler: Option<Spanned<String>>,
    /// Webhook slug: eventType is `<fqdn>_<slug>`. Give this or `event_type`.
    #[schemars(with = "Option<String>", regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    pub slug: Option<Spanned<String>>,
    /// The webhook eventType in full, for the events whose eventType is not
    /// `<fqdn>_<slug>` (Stores v1 `com.wix.ecommerce.catalog.api.v1.ProductCreated`). Give
    /// this or `slug`.
    #[serde(default)]
    #[schemars(with = "Option<String>", regex(pattern = r"^[A-Za-z][A-Za-z0-9_.-]*$"))]
    pub event_type: Option<Spanned<String>>,
    /// `false` when the webhook's body is the event's data itself rather than a domain
    /// event (`{id, entityFqdn, slug, createdEvent | ...}`): the SDK then hands
    /// `{data: <body>, metadata: {instanceId, eventType, identity, accountInfo}}` to the
    /// handler, so such an event declares `data`.
    #[serde(default = "yes")]
    pub domain: bool,
    /// Envelope `{metadata, entity}` with this entity type.
    #[serde(default)]
    #[schemars(with = "Option<FieldDef>")]
    pub entity: Option<Spanned<FieldDef>>,
    /// Envelope `{metadata, data}` with this data type (action events).
    #[serde(default)]
    #[schemars(with = "Option<FieldDef>")]
    pub data: Option<Spanned<FieldDef>>,
    /// Extra envelope fields (`modifiedFields`).
    #[serde(default)]
    #[schemars(with = "Entries<FieldDef>")]
    pub fields: Entries<Spanned<FieldDef>>,
    /// `false` when Wix documents no Velo handler (webhook-only events).
    #[serde(default = "yes")]
    pub velo: bool,
    /// `false` when the module's SDK namespace registers no handler for the event (the
    /// typings may declare its body, but `<export>.<handler>` does not exist), so that
    /// nothing generates a call to a function Wix does not ship.
    #[serde(default = "yes")]
    pub sdk: bool,
    /// How settled Wix says the event is; omitted for a stable one.
    #[serde(default)]
    pub maturity: Maturity,
}

/// How settled an event is, as Wix's docs mark it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Maturity {
    /// Documented without a mark.
    #[default]
    Stable,
    /// `@documentationMaturity preview`: Wix may still change it.
    Preview,
    /// `@deprecated`: Wix means to remove it.
    Deprecated,
}

impl Maturity {
    /// The word shown in the catalogue.
    pub fn as_str(self) -> &'static str {
        match self {
            Maturity::Stable => "stable",
            Maturity::Preview => "preview",
            Maturity::Deprecated => "deprecated",
        }
    }
}

fn yes() -> bool {
    true
}

/// An ordered map whose keys keep their location. Order is the file's order, so the
/// generated code follows the schema; duplicate keys are kept for validation to report.
#[derive(Debug)]
pub struct Entries<V>(pub Vec<(Spanned<String>, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of names")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_any(EntriesVisitor(PhantomData))
    }
}

impl<V: JsonSchema> JsonSchema for Entries<V> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let values = generator.subschema_for::<V>();
        schemars::json_schema!({
            "type": "object",
            "propertyNames": { "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" },
            "additionalProperties": values,
        })
    }
}

/// Deserializes "a string, or a map deserialized as `Full`" for the two shorthand forms.
macro_rules! string_or_map {
    ($ty:ident, $short:ident, $full:ident, $expecting:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ShortOrFull;
                impl<'de> Visitor<'de> for ShortOrFull {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: de::Error>(self, value: &str) -> Result<$ty, E> {
                        Ok($ty::$short(value.to_owned()))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$ty, A::Error> {
                        Deserialize::deserialize(de::value::MapAccessDeserializer::new(map)).map($ty::$full)
                    }
                }
                deserializer.deserialize_any(ShortOrFull)
            }
        }
    };
}

string_or_map!(FieldDef, Type, Full, "a type expression or a map with `type`");
string_or_map!(EnumValueDef, Value, Full, "an enum value or a map with `value`");

/// The JSON Schema (draft-07) of the schema format.
pub fn format_schema() -> schemars::Schema {
    schemars::generate::SchemaSettings::draft07().into_generator().into_root_schema_for::<SchemaFile>()
}

/// The JSON Schema (draft-07) of the schema format, pretty-printed, for editors.
pub fn json_schema() -> String {
    let mut schema = format_schema();
    schema
        .insert("$comment".into(), "@generated by cargo xtask codegen from codegen/src/syntax.rs. Do not edit.".into());
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
