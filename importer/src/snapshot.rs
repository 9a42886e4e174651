//! The normalized snapshot of a package, committed under `import/snapshots/`.
//!
//! Why a digest instead of the package files: the typings of one package weigh up to
//! 8 MB (ecom orders: a 373 KB chunk twice, plus index.js), nearly all of it request and
//! response types no event uses. The snapshot keeps only the closure of the event
//! payloads (types, docs, tags that matter), each `number` and `string` field already
//! resolved against the transform paths of `index.js`, and whether a field exists only
//! in the internal build. It is JSON, sorted, so re-imports diff cleanly.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::fetch::Files;
use crate::manifest::Package;
use crate::transforms;
use crate::typings::{self, Declarations, Ty};

/// A package reduced to its events and their types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// npm name.
    pub package: String,
    /// Exact version.
    pub version: String,
    /// `wix.sdkDependency.fqdn` of package.json.
    pub fqdn: String,
    /// Events, by handler.
    pub events: Vec<Event>,
    /// Types of the payload closure, by name.
    pub types: BTreeMap<String, TypeDecl>,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `onOrderCreated`.
    pub handler: String,
    /// Webhook eventType.
    pub event_type: String,
    /// Domain event (`false`: the body is the data itself).
    pub domain: bool,
    /// Description.
    pub doc: String,
    /// `entity` or `data` with the payload type, or none.
    pub body: Option<(String, String)>,
    /// The envelope has `modifiedFields`.
    pub modified_fields: bool,
    /// `@deprecated`.
    pub deprecated: bool,
    /// `@documentationMaturity preview`.
    pub preview: bool,
}

/// A struct or an enum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypeDecl {
    /// An interface.
    Struct {
        /// Description.
        doc: String,
        /// Fields in declaration order.
        fields: Vec<Field>,
        /// `@oneof` groups whose members are flattened into this struct.
        oneofs: Vec<Vec<String>>,
        /// The SDK converts this object between the REST and SDK address shapes.
        address: bool,
    },
    /// A string enum: `(value, doc)`.
    Enum {
        /// Description.
        doc: String,
        /// Values.
        values: Vec<(String, String)>,
    },
}

/// A struct field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Wire name (SDK spelling).
    pub name: String,
    /// Type.
    pub ty: Ty,
    /// Description.
    pub doc: String,
    /// `@format`, lower case.
    pub format: Option<String>,
    /// `@deprecated`.
    pub deprecated: bool,
    /// Only in the internal build's typings.
    pub internal: bool,
    /// Transform applied on the wire (`float`, `image`, ...), from index.js.
    pub wire: Option<String>,
}

/// Snapshot path of a module.
pub fn path(module: &str) -> String {
    format!("{}/{module}.json", crate::SNAPSHOT_DIR)
}

/// Pretty JSON with a trailing newline.
pub fn to_text(snapshot: &Snapshot) -> Result<String, String> {
    let mut text = serde_json::to_string_pretty(snapshot).map_err(|error| error.to_string())?;
    text.push('\n');
    Ok(text)
}

/// Reads a committed snapshot.
pub fn from_text(file: &str, text: &str) -> Result<Snapshot, String> {
    serde_json::from_str(text).map_err(|error| format!("{file}:{}:{}: error: {error}", error.line(), error.column()))
}

/// The typings of a package in the older bundled layout (`@wix/marketing_coupons`): one
/// file declares every type and event, with no separate internal build.
pub const BUNDLED_TYPINGS: &str = "type-bundles/index.typings.bundle.d.ts";

/// Where a bundled package's `*.public.js` hold its `EventDefinition`s.
pub const BUNDLED_JS_DIR: &str = "build/cjs/src/";

/// Builds the snapshot from a package's files, in either layout.
pub fn build(package: &Package, files: &Files) -> Result<Snapshot, String> {
    let fqdn = files
        .get("package.json")
        .and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok())
        .and_then(|json| json.pointer("/wix/sdkDependency/fqdn").and_then(|v| v.as_str()).map(str::to_owned))
        .ok_or_else(|| format!("{}: package.json has no wix.sdkDependency.fqdn", package.name))?;
    match files.get(BUNDLED_TYPINGS) {
        Some(typings) => build_bundled(package, files, fqdn, typings),
        None => build_chunked(package, files, fqdn),
    }
}

/// The older layout: one typings bundle (public and internal alike) and one `*.public.js`
/// per module.
fn build_bundled(package: &Package, files: &Files, fqdn: String, typings: &str) -> Result<Snapshot, String> {
    let mut declarations = Declarations::default();
    typings::parse_into(&format!("{}/{BUNDLED_TYPINGS}", package.name), typings, &mut declarations)?;
    let mut definitions = BTreeMap::new();
    let scripts = files
        .range(BUNDLED_JS_DIR.to_owned()..)
        .take_while(|(path, _)| path.starts_with(BUNDLED_JS_DIR))
        .filter(|(path, _)| path.ends_with(".public.js"));
    for (path, text) in scripts {
        definitions.extend(transforms::parse(&format!("{}/{path}", package.name), text)?);
    }
    reduce(package, fqdn, &declarations, &declarations, &definitions)
}

/// The current layout: typings chunks in `build/cjs/` and `build/internal/cjs/`, the
/// `EventDefinition`s in `build/cjs/index.js`.
fn build_chunked(package: &Package, files: &Files, fqdn: String) -> Result<Snapshot, String> {
    let read = |prefix: &str| -> Result<Declarations, String> {
        let mut declarations = Declarations::default();
        for (path, text) in files.range(prefix.to_owned()..) {
            if !path.starts_with(prefix) {
                break;
            }
            let rest = &path[prefix.len()..];
            if rest.contains('/') || !rest.ends_with(".d.ts") || rest == "index.d.ts" {
                continue;
            }
            typings::parse_into(&format!("{}/{path}", package.name), text, &mut declarations)?;
        }
        Ok(declarations)
    };
    let mut internal = read("build/internal/cjs/")?;
    // Some packages declare their events only in the entry typings.
    let index = "build/internal/cjs/index.d.ts";
    if let Some(text) = files.get(index) {
        typings::parse_index_events(&format!("{}/{index}", package.name), text, &mut internal)?;
    }
    let public = read("build/cjs/")?;
    let js_path = "build/cjs/index.js";
    let js = files.get(js_path).ok_or_else(|| format!("{}: no {js_path}", package.name))?;
    let definitions = transforms::parse(&format!("{}/{js_path}", package.name), js)?;
    reduce(package, fqdn, &internal, &public, &definitions)
}

/// The closure of the event payloads, resolved against the transforms.
pub fn reduce(
    package: &Package,
    fqdn: String,
    internal: &Declarations,
    public: &Declarations,
    definitions: &BTreeMap<String, transforms::Definition>,
) -> Result<Snapshot, String> {
    let mut events = Vec::new();
    let mut roots = Vec::new();
    for event in internal.events.values() {
        let envelope = internal
            .interfaces
            .get(&event.envelope)
            .ok_or_else(|| format!("{}: envelope {} not declared", package.name, event.envelope))?;
        let mut body = None;
        let mut modified_fields = false;
        for property in &envelope.properties {
            match (property.name.as_str(), &property.ty) {
                ("entity" | "data", Ty::Ref(name)) => {
                    let name = resolve(internal, name);
                    roots.push(name.clone());
                    body = Some((property.name.clone(), name));
                }
                ("modifiedFields", _) => modified_fields = true,
                _ => {}
            }
        }
        let tags = &event.doc.tags;
        let definition = definitions.get(&event.handler);
        events.push(Event {
            handler: event.handler.clone(),
            event_type: tags.get("eventType").cloned().unwrap_or_default(),
            domain: definition.is_none_or(|definition| definition.domain),
            doc: event.doc.description.clone(),
            body,
            modified_fields,
            deprecated: tags.contains_key("deprecated"),
            preview: tags.get("documentationMaturity").is_some_and(|value| value == "preview"),
        });
    }
    // Types kept for the events an overlay adds, with what they refer to.
    roots.extend(package.extra_types.iter().map(|name| resolve(internal, name)));
    // The closure, breadth first.
    let mut types = BTreeMap::new();
    let mut queue: Vec<String> = roots.clone();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(declared) = internal.enums.get(&name) {
            types.insert(
                name,
                TypeDecl::Enum { doc: declared.doc.description.clone(), values: declared.values.clone() },
            );
            continue;
        }
        let interface =
            internal.interfaces.get(&name).ok_or_else(|| format!("{}: type `{name}` not declared", package.name))?;
        let public_fields: BTreeSet<&str> = public
            .interfaces
            .get(&name)
            .map(|i| i.properties.iter().map(|p| p.name.as_str()).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        for property in &interface.properties {
            let ty = resolve_ty(internal, &property.ty);
            if let Ty::Unsupported(error) = &ty {
                return Err(format!("{error} (reached from an event payload)"));
            }
            let mut refs = Vec::new();
            referenced(&ty, &mut refs);
            queue.extend(refs);
            let tags = &property.doc.tags;
            fields.push(Field {
                name: property.name.clone(),
                ty,
                doc: property.doc.description.clone(),
                format: tags.get("format").map(|format| format.to_lowercase()),
                deprecated: tags.contains_key("deprecated"),
                internal: !public_fields.contains(property.name.as_str()),
                wire: None,
            });
        }
        let oneofs = interface
            .extends
            .iter()
            .filter_map(|parent| internal.interfaces.get(parent))
            .filter(|parent| parent.doc.tags.contains_key("oneof"))
            .map(|parent| parent.properties.iter().map(|p| p.name.clone()).collect())
            .collect();
        types.insert(name, TypeDecl::Struct { doc: interface.doc.description.clone(), fields, oneofs, address: false });
    }
    // Transforms: mark the fields their paths end at.
    for event in &events {
        let (Some((key, root)), Some(definition)) = (&event.body, definitions.get(&event.handler)) else { continue };
        for (kind, paths) in &definition.paths {
            for path in paths {
                let Some(rest) = path.strip_prefix(key.as_str()).and_then(|rest| rest.strip_prefix('.')) else {
                    continue;
                };
                mark(&mut types, root, rest, kind);
            }
        }
    }
    // Numbers inside addresses (latitude, longitude) are floats the address transform keeps.
    let address_roots: Vec<String> = types
        .iter()
        .filter(|(_, decl)| matches!(decl, TypeDecl::Struct { address: true, .. }))
        .map(|(name, _)| name.clone())
        .collect();
    for root in address_roots {
        let mut stack = vec![root];
        let mut done = BTreeSet::new();
        while let Some(name) = stack.pop() {
            if !done.insert(name.clone()) {
                continue;
            }
            if let Some(TypeDecl::Struct { fields, .. }) = types.get_mut(&name) {
                for field in fields {
                    if field.ty == Ty::Number && field.wire.is_none() {
                        field.wire = Some("float".into());
                    }
                    referenced(&field.ty, &mut stack);
                }
            }
        }
    }
    events.sort_by(|a, b| a.handler.cmp(&b.handler));
    Ok(Snapshot { package: package.name.clone(), version: package.version.clone(), fqdn, events, types })
}

fn resolve(declarations: &Declarations, name: &str) -> String {
    declarations.aliases.get(name).cloned().unwrap_or_else(|| name.to_owned())
}

fn resolve_ty(declarations: &Declarations, ty: &Ty) -> Ty {
    match ty {
        Ty::Ref(name) => Ty::Ref(resolve(declarations, name)),
        Ty::List(inner) => Ty::List(Box::new(resolve_ty(declarations, inner))),
        Ty::Map(inner) => Ty::Map(Box::new(resolve_ty(declarations, inner))),
        other => other.clone(),
    }
}

fn referenced(ty: &Ty, out: &mut Vec<String>) {
    match ty {
        Ty::Ref(name) => out.push(name.clone()),
        Ty::List(inner) | Ty::Map(inner) => referenced(inner, out),
        _ => {}
    }
}

/// Follows a REST path (`lineItems.physicalProperties.weight`) from `root` and marks the
/// field it ends at. REST names (`id`, `createdDate`) match their SDK names (`_id`), and
/// the `items` of REST item lists is skipped.
fn mark(types: &mut BTreeMap<String, TypeDecl>, root: &str, path: &str, kind: &str) {
    let segments: Vec<&str> = path.split('.').collect();
    let mut current = root.to_owned();
    for (index, segment) in segments.iter().enumerate() {
        let Some(TypeDecl::Struct { fields, .. }) = types.get_mut(&current) else { return };
        let Some(field) =
            fields.iter_mut().find(|field| field.name == *segment || field.name.strip_prefix('_') == Some(segment))
        else {
            if *segment == "items" {
                continue;
            }
            return;
        };
        let mut target = &field.ty;
        while let Ty::List(inner) | Ty::Map(inner) = target {
            target = inner;
        }
        let last = index + 1 == segments.len();
        if last {
            let address_of = match (kind, target) {
                ("address", Ty::Ref(name)) => Some(name.clone()),
                ("timestamp" | "address", _) => None,
                _ => {
                    field.wire = Some(kind.to_owned());
                    None
                }
            };
            if let Some(TypeDecl::Struct { address, .. }) = address_of.and_then(|name| types.get_mut(&name)) {
                *address = true;
            }
            return;
        }
        match target {
            Ty::Ref(name) => current = name.clone(),
            _ => return,
        }
    }
}
