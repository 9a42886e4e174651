//! The validated catalogue (the generator's IR): every name resolved and converted,
//! every reference checked, and the facts that need the whole type graph recorded by
//! [`crate::analysis`]. Emission reads only this.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostic::Location;
pub use crate::syntax::Maturity;

/// Every module of every schema file, sorted by module path.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// Modules, sorted by path so output order never depends on file order.
    pub modules: Vec<Module>,
}

impl Catalogue {
    /// All events with their module, in module order then schema order.
    pub fn events(&self) -> impl Iterator<Item = (&Module, &Event)> {
        self.modules.iter().flat_map(|module| module.events.iter().map(move |event| (module, event)))
    }

    /// The Wix areas, sorted, each with its modules' cargo features, sorted; `common`
    /// excluded: it is always compiled.
    pub fn areas(&self) -> BTreeMap<&str, Vec<String>> {
        let mut areas = BTreeMap::<&str, Vec<String>>::new();
        for module in &self.modules {
            if let (Some(area), Some(feature)) = (module.area(), module.feature()) {
                areas.entry(area).or_default().push(feature);
            }
        }
        for features in areas.values_mut() {
            features.sort();
            features.dedup();
        }
        areas
    }

    /// For each module feature, the other module features its types refer to
    /// (`events-guests = ["crm-contacts"]`).
    pub fn feature_dependencies(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut dependencies = BTreeMap::<String, BTreeSet<String>>::new();
        for module in &self.modules {
            let Some(feature) = module.feature() else { continue };
            let needed: BTreeSet<String> = module
                .references()
                .into_iter()
                .filter_map(|reference| module_feature(&reference.module))
                .filter(|other| *other != feature)
                .collect();
            dependencies.entry(feature).or_default().extend(needed);
        }
        dependencies
    }
}

/// The cargo feature of the module at `path`: its segments joined by `-`
/// (`ecom.orders` -> `ecom-orders`), so that the feature reads as the Rust path does;
/// `None` for [`COMMON`], which is always compiled.
pub fn module_feature(path: &[String]) -> Option<String> {
    path.first().filter(|first| *first != COMMON)?;
    Some(path.join("-"))
}

/// The module that is always compiled and holds the event metadata.
pub const COMMON: &str = "common";
/// Name of the metadata type of every envelope, in [`COMMON`].
pub const METADATA: &str = "EventMetadata";

/// The keys Wix's SDK renames in entities at every depth (REST name, SDK name), as its
/// `RESTResponseToSDKResponseRenameMap` does; the runtime's webhook conversion applies
/// the same map (`wire::sdk_keys::SDK_RENAMES`), held equal by `tests/shared_tables.rs`.
pub const SDK_RENAMES: [(&str, &str); 3] =
    [("id", "_id"), ("createdDate", "_createdDate"), ("updatedDate", "_updatedDate")];

/// The SDK name of a REST key the SDK renames (`id` → `_id`).
pub fn sdk_name(rest: &str) -> Option<&'static str> {
    SDK_RENAMES.iter().find(|(from, _)| *from == rest).map(|(_, to)| *to)
}

/// The REST name of an SDK key the SDK renamed (`_id` → `id`).
pub fn rest_name(sdk: &str) -> Option<&'static str> {
    SDK_RENAMES.iter().find(|(_, to)| *to == sdk).map(|(from, _)| *from)
}

/// One schema file.
#[derive(Debug, Clone)]
pub struct Module {
    /// Module path segments (`["crm", "contacts"]`).
    pub path: Vec<String>,
    /// The schema file it came from.
    pub file: String,
    /// Module documentation.
    pub doc: Option<String>,
    /// Wix reference URL.
    pub docs_url: Option<String>,
    /// SDK package and export.
    pub sdk: Option<Sdk>,
    /// Entity types and enums, in schema order.
    pub types: Vec<TypeDecl>,
    /// Events, in schema order.
    pub events: Vec<Event>,
}

impl Module {
    /// Dotted path (`crm.contacts`).
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }

    /// The cargo feature gating the module (`ecom-orders`); `None` for [`COMMON`].
    pub fn feature(&self) -> Option<String> {
        module_feature(&self.path)
    }

    /// The Wix area, whose cargo feature enables all its modules (`ecom`); `None` for
    /// [`COMMON`].
    pub fn area(&self) -> Option<&str> {
        self.path.first().map(String::as_str).filter(|first| *first != COMMON)
    }

    /// Every named type the module's fields and events refer to.
    pub fn references(&self) -> Vec<&TypeRef> {
        let mut references = Vec::new();
        let fields = self
            .types
            .iter()
            .filter_map(|decl| match decl {
                TypeDecl::Struct(decl) => Some(decl.fields.iter()),
                TypeDecl::Enum(_) => None,
            })
            .flatten()
            .chain(self.events.iter().flat_map(|event| event.fields.iter()));
        for field in fields {
            field.ty.collect_references(&mut references);
        }
        references
    }
}

/// SDK origin of a module's events.
#[derive(Debug, Clone)]
pub struct Sdk {
    /// npm package (`@wix/crm`).
    pub package: String,
    /// Exported namespace (`contacts`).
    pub export: String,
}

/// A named type.
#[derive(Debug, Clone)]
pub enum TypeDecl {
    /// A struct.
    Struct(Struct),
    /// A string enum.
    Enum(Enum),
}

/// A struct type.
#[derive(Debug, Clone)]
pub struct Struct {
    /// UpperCamelCase name.
    pub name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// Fields in wire order.
    pub fields: Vec<Field>,
    /// Every required field has a default, so the struct derives `Default`; set by
    /// [`crate::analysis`].
    pub derives_default: bool,
}

/// A struct or envelope field.
#[derive(Debug, Clone)]
pub struct Field {
    /// Name on the wire.
    pub wire: String,
    /// Rust name (snake case; made raw when a keyword at emission).
    pub rust: String,
    /// Type.
    pub ty: Ty,
    /// Present in every payload (`T` rather than `Option<T>`).
    pub required: bool,
    /// Documentation.
    pub doc: Option<String>,
    /// Other wire names accepted when decoding.
    pub aliases: Vec<String>,
    /// Informational format.
    pub format: Option<String>,
    /// Deprecated by Wix.
    pub deprecated: bool,
    /// Held in a `Box`, because the type contains itself through this field or because
    /// the field's struct is large (see [`crate::analysis::BOX_ABOVE`]); set by
    /// [`crate::analysis`].
    pub boxed: bool,
    /// Wix's SDK renames the keys of this field's value at every depth (`id` -> `_id`,
    /// see [`SDK_RENAMES`]): a field of an entity type (any module but [`COMMON`]), or an
    /// event's entity or data. Webhooks send the REST names.
    pub renamed_by_sdk: bool,
    /// The REST name that the SDK renames to this field's wire name (`id` for `_id`):
    /// decoding accepts it too. Only for fields [`Self::renamed_by_sdk`].
    pub rest_name: Option<String>,
}

/// A string enum.
#[derive(Debug, Clone)]
pub struct Enum {
    /// UpperCamelCase name.
    pub name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// Declared values.
    pub values: Vec<EnumValue>,
}

/// One declared enum value.
#[derive(Debug, Clone)]
pub struct EnumValue {
    /// Wire string.
    pub wire: String,
    /// Rust variant name.
    pub variant: String,
    /// Documentation.
    pub doc: Option<String>,
}

/// A field type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// JSON string.
    String,
    /// JSON boolean.
    Bool,
    /// JSON number, integer.
    Integer,
    /// 64-bit integer sent as a JSON string.
    Int64,
    /// JSON number.
    Float,
    /// RFC 3339 timestamp string.
    Timestamp,
    /// Any JSON.
    Json,
    /// Wix image: string or REST object.
    Image,
    /// Page URL: string or REST object.
    PageUrl,
    /// JSON array.
    List(Box<Ty>),
    /// `{items: [...]}` or a bare array.
    ItemsList(Box<Ty>),
    /// JSON object with string keys.
    Map(Box<Ty>),
    /// `{items: {...}}` or a flat object.
    ItemsMap(Box<Ty>),
    /// A named schema type.
    Named(TypeRef),
}

impl Ty {
    /// Whether values of this type hold keys no schema declares (`json`, maps): the SDK
    /// renames those keys too, so decoding a webhook must not take them as they are.
    pub fn holds_free_keys(&self) -> bool {
        match self {
            Ty::Json | Ty::Map(_) | Ty::ItemsMap(_) => true,
            Ty::List(inner) | Ty::ItemsList(inner) => inner.holds_free_keys(),
            _ => false,
        }
    }

    fn collect_references<'a>(&'a self, out: &mut Vec<&'a TypeRef>) {
        match self {
            Ty::List(inner) | Ty::ItemsList(inner) | Ty::Map(inner) | Ty::ItemsMap(inner) => {
                inner.collect_references(out)
            }
            Ty::Named(reference) => out.push(reference),
            _ => {}
        }
    }
}

/// A resolved reference to a named type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeRef {
    /// Module path of the type.
    pub module: Vec<String>,
    /// Type name.
    pub name: String,
}

/// A backend event.
#[derive(Debug, Clone)]
pub struct Event {
    /// Payload type name (`ContactCreated`).
    pub name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// SDK export (`onContactCreated`).
    pub handler: String,
    /// Velo handler name (`wixCrm_onContactCreated`).
    pub velo_handler: String,
    /// Handler trait method (`wix_crm_on_contact_created`).
    pub method: String,
    /// Variant of the `Event` enum (`WixCrmOnContactCreated`).
    pub variant: String,
    /// Webhook eventType (`wix.contacts.v4.contact_created`).
    pub event_type: String,
    /// The webhook body is a domain event (`{id, entityFqdn, slug, createdEvent | ...}`);
    /// `false` when it is the event's data itself.
    pub domain: bool,
    /// SDK registration (`contacts.onContactCreated` in `@wix/crm`), when known.
    pub sdk: Option<String>,
    /// Envelope fields: `metadata`, then `entity` or `data`, then extras.
    pub fields: Vec<Field>,
    /// Envelope shape.
    pub envelope: Envelope,
    /// Whether Wix documents a Velo handler for it.
    pub velo_documented: bool,
    /// Stable, preview or deprecated.
    pub maturity: Maturity,
    /// The payload derives `Default`, as [`Struct::derives_default`]; set by
    /// [`crate::analysis`].
    pub derives_default: bool,
    /// Where its names are declared in its schema file.
    pub locations: EventLocations,
}

/// Where an event's names are declared, for diagnostics about names that must be
/// unique across the catalogue.
#[derive(Debug, Clone)]
pub struct EventLocations {
    /// The payload type name (the key under `events:`).
    pub name: Location,
    /// The `handler` value, the source of the Velo handler name and handler method.
    pub handler: Location,
    /// The `slug` (or `event_type`) value, the source of the webhook eventType.
    pub slug: Location,
}

/// Envelope shape of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// `{metadata, entity}`.
    Entity,
    /// `{metadata, data}`.
    Data,
    /// `{metadata}`.
    MetadataOnly,
}

impl Envelope {
    /// Name used in the catalogue.
    pub fn as_str(self) -> &'static str {
        match self {
            Envelope::Entity => "Entity",
            Envelope::Data => "Data",
            Envelope::MetadataOnly => "MetadataOnly",
        }
    }
}
