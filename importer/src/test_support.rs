//! Small snapshots for the importer's unit tests.

use std::collections::BTreeMap;

use crate::manifest::{Package, Sdk};
use crate::snapshot::{Event, Field, Snapshot, TypeDecl};
use crate::typings::Ty;

/// A plain field of type `ty`.
pub fn field(name: &str, ty: Ty) -> Field {
    Field {
        name: name.to_owned(),
        ty,
        doc: String::new(),
        format: None,
        deprecated: false,
        internal: false,
        wire: None,
    }
}

/// A struct of `fields`.
pub fn record(fields: Vec<Field>) -> TypeDecl {
    TypeDecl::Struct { doc: String::new(), fields, oneofs: Vec::new(), address: false }
}

/// A reference to the type `name`.
pub fn reference(name: &str) -> Ty {
    Ty::Ref(name.to_owned())
}

/// Module `module` (`forms.forms`) with `types` and one event, `onEntityCreated`, whose
/// entity is the type `entity` (one of `types`).
pub fn module(module: &str, entity: &str, types: BTreeMap<String, TypeDecl>) -> (Package, Snapshot) {
    let fqdn = format!("wix.{module}");
    let snapshot = Snapshot {
        package: format!("@wix/auto_sdk_{}", module.replace('.', "_")),
        version: "1.0.0".to_owned(),
        fqdn: fqdn.clone(),
        events: vec![Event {
            handler: "onEntityCreated".to_owned(),
            event_type: format!("{fqdn}_created"),
            domain: true,
            doc: String::new(),
            body: Some(("entity".to_owned(), entity.to_owned())),
            modified_fields: false,
            deprecated: false,
            preview: false,
        }],
        types,
    };
    let package = Package {
        name: snapshot.package.clone(),
        version: snapshot.version.clone(),
        integrity: String::new(),
        module: module.to_owned(),
        doc: None,
        docs: None,
        sdk: Sdk { package: "@wix/x".to_owned(), export: "x".to_owned() },
        velo: None,
        extra_types: Vec::new(),
    };
    (package, snapshot)
}
