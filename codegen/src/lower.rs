//! Lowering: from the syntax tree of every schema file to the model's [`Module`]s, resolving
//! each type expression against the declared [`Names`]. Every problem found is
//! collected; nothing stops at the first one.

use std::collections::BTreeMap;

use crate::yaml::Spanned;

use crate::diagnostic::{did_you_mean, Diagnostic, Location};
use crate::ident::{field_name, is_identifier, snake_case, upper_camel, variant_name};
use crate::model::{
    rest_name, sdk_name, Enum, EnumValue, Envelope, Event, EventLocations, Field, Module, Sdk, Struct, Ty, TypeDecl,
    TypeRef, COMMON, METADATA,
};
use crate::names::{self, Names};
use crate::syntax::{EnumValueDef, EventDef, FieldDef, ParsedFile, TypeDef};
use crate::type_expr::{self, Scalar, TypeExpr, Wrapper};

/// Lowers every file whose module path is valid, in the order given; appends what is
/// wrong to `diagnostics`.
///
/// Lowering recovers from what it reports: a field whose type does not resolve is left
/// out, and an event keeps its names even when its envelope is wrong, so that the
/// catalogue-wide checks still see every event. Modules lowered with errors are never
/// emitted.
pub fn lower(files: &[ParsedFile], names: &Names, diagnostics: &mut Vec<Diagnostic>) -> Vec<Module> {
    let mut lowerer = Lowerer::default();
    let modules: Vec<Module> = files.iter().filter_map(|file| lowerer.module(file, names)).collect();
    diagnostics.append(&mut lowerer.diagnostics);
    modules
}

#[derive(Default)]
struct Lowerer {
    diagnostics: Vec<Diagnostic>,
}

impl Lowerer {
    fn error_with_hint(&mut self, location: Location, message: impl Into<String>, hint: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(location, message).with_hint(hint));
    }

    fn module(&mut self, parsed: &ParsedFile, names: &Names) -> Option<Module> {
        let ParsedFile { file, schema } = parsed;
        let path: Vec<String> = schema.module.value.split('.').map(str::to_owned).collect();
        names.get(&path)?;
        let scope = Scope { file, module: &path, names };
        let mut types = Vec::new();
        for (key, def) in &schema.types.0 {
            if let Some(decl) = self.type_decl(&scope, key, def) {
                types.push(decl);
            }
        }
        let mut events = Vec::new();
        if !schema.events.0.is_empty() {
            let prefix = schema.velo.as_ref().map(|velo| &velo.prefix);
            let fqdn = schema.webhook.as_ref().map(|webhook| &webhook.fqdn);
            let module_location = Location::of(file, &schema.module);
            match (prefix, fqdn) {
                (Some(prefix), Some(fqdn)) => {
                    names::check_origin(file, prefix, fqdn, &mut self.diagnostics);
                    let origin = Origin {
                        prefix: &prefix.value,
                        fqdn: &fqdn.value,
                        sdk: schema.sdk.as_ref().map(|sdk| &sdk.export),
                    };
                    for (key, def) in &schema.events.0 {
                        if let Some(event) = self.event(&scope, &origin, key, def) {
                            events.push(event);
                        }
                    }
                }
                (None, _) => self.error_with_hint(
                    module_location,
                    "module has events but no `velo` prefix",
                    "add `velo: { prefix: wixCrm }`",
                ),
                (_, None) => self.error_with_hint(
                    module_location,
                    "module has events but no `webhook` fqdn",
                    "add `webhook: { fqdn: wix.contacts.v4.contact }`",
                ),
            }
        }
        Some(Module {
            path,
            file: file.clone(),
            doc: schema.doc.clone(),
            docs_url: schema.docs.clone(),
            sdk: schema.sdk.as_ref().map(|sdk| Sdk { package: sdk.package.clone(), export: sdk.export.clone() }),
            types,
            events,
        })
    }

    fn type_decl(&mut self, scope: &Scope, key: &Spanned<String>, def: &TypeDef) -> Option<TypeDecl> {
        let location = Location::of(scope.file, key);
        match (&def.fields, &def.values) {
            (Some(_), Some(_)) => {
                self.error_with_hint(
                    location,
                    format!("type `{}` has both `fields` and `enum`", key.value),
                    "a type is either a struct (`fields`) or an enum (`enum`)",
                );
                None
            }
            (None, None) => {
                self.error_with_hint(
                    location,
                    format!("type `{}` has neither `fields` nor `enum`", key.value),
                    "add `fields:` for a struct or `enum: [...]` for an enum",
                );
                None
            }
            (Some(fields), None) => {
                // Types of `common` (the event metadata) are not entities: their keys arrive as sent.
                let renamed_by_sdk = scope.module.first().is_none_or(|first| first != COMMON);
                let fields = self.fields(scope, &key.value, &fields.0, &[], renamed_by_sdk);
                let (name, doc) = (key.value.clone(), def.doc.clone());
                Some(TypeDecl::Struct(Struct { name, doc, fields, derives_default: false }))
            }
            (None, Some(values)) => self.enum_decl(scope, key, def.doc.clone(), values).map(TypeDecl::Enum),
        }
    }

    fn enum_decl(
        &mut self,
        scope: &Scope,
        key: &Spanned<String>,
        doc: Option<String>,
        values: &Spanned<Vec<Spanned<EnumValueDef>>>,
    ) -> Option<Enum> {
        if values.value.is_empty() {
            self.error_with_hint(
                Location::of(scope.file, values),
                format!("enum `{}` has no values", key.value),
                "list at least one wire value: `enum: [ACTIVE, INACTIVE]`",
            );
            return None;
        }
        let mut seen_wire: BTreeMap<String, Location> = BTreeMap::new();
        let mut seen_variant: BTreeMap<String, String> = BTreeMap::new();
        let mut out = Vec::new();
        for value in &values.value {
            let location = Location::of(scope.file, value);
            let (wire, doc) = match &value.value {
                EnumValueDef::Value(wire) => (wire.clone(), None),
                EnumValueDef::Full(spec) => (spec.value.clone(), spec.doc.clone()),
            };
            if let Some(first) = seen_wire.get(&wire) {
                self.error_with_hint(
                    location,
                    format!("duplicate value `{wire}` in enum `{}`", key.value),
                    format!("first listed at {first}"),
                );
                continue;
            }
            seen_wire.insert(wire.clone(), location.clone());
            let mut variant = variant_name(&wire);
            if variant == "Unknown" || variant == "Self" {
                // `Unknown(String)` holds values no schema lists and `Self` is a keyword:
                // a declared UNKNOWN or SELF gets another name.
                variant.push_str("Value");
            }
            if !is_identifier(&variant) {
                self.error_with_hint(
                    location,
                    format!("enum value `{wire}` has no Rust name"),
                    "enum values are words such as `SUBSCRIBED` or `STARTS_IN_1_DAY`",
                );
                continue;
            }
            if let Some(other) = seen_variant.get(&variant) {
                self.error_with_hint(
                    location,
                    format!("enum values `{other}` and `{wire}` both become the variant `{variant}`"),
                    "values must differ by more than case and underscores",
                );
                continue;
            }
            seen_variant.insert(variant.clone(), wire.clone());
            out.push(EnumValue { wire, variant, doc });
        }
        Some(Enum { name: key.value.clone(), doc, values: out })
    }

    /// Lowers struct or envelope fields; `reserved` are Rust names already taken.
    /// `renamed_by_sdk`: the fields are entity fields, whose REST names Wix's SDK rewrites.
    fn fields(
        &mut self,
        scope: &Scope,
        owner: &str,
        defs: &[(Spanned<String>, Spanned<FieldDef>)],
        reserved: &[&str],
        renamed_by_sdk: bool,
    ) -> Vec<Field> {
        let mut rust_names: BTreeMap<String, String> =
            reserved.iter().map(|name| ((*name).to_owned(), (*name).to_owned())).collect();
        let mut wire_names: BTreeMap<&str, Location> = BTreeMap::new();
        let mut out = Vec::new();
        for (key, def) in defs {
            let location = Location::of(scope.file, key);
            if let Some(first) = wire_names.get(key.value.as_str()) {
                self.error_with_hint(
                    location,
                    format!("duplicate field `{}` in `{owner}`", key.value),
                    format!("first declared at {first}; remove one of them"),
                );
                continue;
            }
            wire_names.insert(&key.value, location.clone());
            let rust = field_name(&key.value);
            // The wire name itself must be an identifier, as the format's JSON Schema says;
            // checking only the Rust name would quietly turn `first-name` into `first_name`.
            if !is_identifier(&key.value) || !is_identifier(&rust) {
                self.error_with_hint(
                    location,
                    format!("field name `{}` of `{owner}` is not an identifier", key.value),
                    format!(
                        "field names are wire names of letters, digits and `_`, such as `_id` or `firstName`{}",
                        camel_suggestion(&key.value)
                    ),
                );
                continue;
            }
            if let Some(sdk) = renamed_by_sdk.then(|| sdk_name(&key.value)).flatten() {
                self.error_with_hint(
                    location,
                    format!("field `{}` of `{owner}` never arrives: Wix's SDK renames it to `{sdk}`", key.value),
                    format!("declare it as `{sdk}`; webhooks sending the REST name `{}` still decode", key.value),
                );
                continue;
            }
            if reserved.contains(&rust.as_str()) {
                self.error_with_hint(
                    location,
                    format!("field `{}` of `{owner}` clashes with the envelope's own `{rust}`", key.value),
                    format!("this envelope has `{}` already; remove this field", reserved.join("` and `")),
                );
                continue;
            }
            if let Some(other) = rust_names.get(&rust) {
                self.error_with_hint(
                    location,
                    format!("fields `{other}` and `{}` of `{owner}` both become `{rust}` in Rust", key.value),
                    "rename one of them; names must differ by more than case and underscores",
                );
                continue;
            }
            rust_names.insert(rust.clone(), key.value.clone());
            let Some(field) = self.field(scope, key.value.clone(), rust, def, renamed_by_sdk) else { continue };
            out.push(field);
        }
        out
    }

    /// Lowers one field; `renamed_by_sdk` as for [`Self::fields`], recorded on the field
    /// with the REST name it also accepts.
    fn field(
        &mut self,
        scope: &Scope,
        wire: String,
        rust: String,
        def: &Spanned<FieldDef>,
        renamed_by_sdk: bool,
    ) -> Option<Field> {
        let (ty, location, spec) = match &def.value {
            FieldDef::Type(ty) => (ty.as_str(), Location::of(scope.file, def), None),
            FieldDef::Full(spec) => (spec.ty.value.as_str(), Location::of(scope.file, &spec.ty), Some(spec)),
        };
        let ty = self.resolve(scope, ty, location)?;
        let rest_name = renamed_by_sdk.then(|| rest_name(&wire)).flatten().map(str::to_owned);
        Some(Field {
            wire,
            rust,
            ty,
            required: spec.and_then(|spec| spec.required).unwrap_or(false),
            doc: spec.and_then(|spec| spec.doc.clone()),
            aliases: spec.map(|spec| spec.aliases.clone()).unwrap_or_default(),
            format: spec.and_then(|spec| spec.format.clone()),
            deprecated: spec.is_some_and(|spec| spec.deprecated),
            boxed: false,
            renamed_by_sdk,
            rest_name,
        })
    }

    fn resolve(&mut self, scope: &Scope, text: &str, location: Location) -> Option<Ty> {
        match type_expr::parse(text) {
            Ok(expr) => self.resolve_expr(scope, &expr, location),
            Err(error) => {
                self.diagnostics.push(error.at(location));
                None
            }
        }
    }

    fn resolve_expr(&mut self, scope: &Scope, expr: &TypeExpr, location: Location) -> Option<Ty> {
        Some(match expr {
            TypeExpr::Scalar(scalar) => match scalar {
                Scalar::String => Ty::String,
                Scalar::Bool => Ty::Bool,
                Scalar::Integer => Ty::Integer,
                Scalar::Int64 => Ty::Int64,
                Scalar::Float => Ty::Float,
                Scalar::Timestamp => Ty::Timestamp,
                Scalar::Json => Ty::Json,
                Scalar::Image => Ty::Image,
                Scalar::PageUrl => Ty::PageUrl,
            },
            TypeExpr::Wrapped(wrapper, inner) => {
                let inner = Box::new(self.resolve_expr(scope, inner, location)?);
                match wrapper {
                    Wrapper::List => Ty::List(inner),
                    Wrapper::ItemsList => Ty::ItemsList(inner),
                    Wrapper::Map => Ty::Map(inner),
                    Wrapper::ItemsMap => Ty::ItemsMap(inner),
                }
            }
            TypeExpr::Named { module, name } => {
                let target = if module.is_empty() { scope.module.to_vec() } else { module.clone() };
                if scope.names.get(&target).is_some_and(|declared| declared.contains(name)) {
                    Ty::Named(TypeRef { module: target, name: name.clone() })
                } else {
                    let written = if module.is_empty() { name.clone() } else { format!("{}.{name}", module.join(".")) };
                    let hint = self.suggest(scope, &written);
                    self.diagnostics.push(Diagnostic { location, message: format!("unknown type `{written}`"), hint });
                    return None;
                }
            }
        })
    }

    /// A did-you-mean among built-ins, the file's own types and every qualified type.
    fn suggest(&self, scope: &Scope, written: &str) -> Option<String> {
        let local = scope.names.get(scope.module).into_iter().flatten().cloned();
        let qualified = scope
            .names
            .iter()
            .flat_map(|(module, declared)| declared.iter().map(move |name| format!("{}.{name}", module.join("."))));
        let candidates: Vec<String> =
            Scalar::ALL.iter().map(|scalar| scalar.name().to_owned()).chain(local).chain(qualified).collect();
        did_you_mean(written, candidates.iter().map(String::as_str))
            .map(|close| format!("did you mean `{close}`?"))
            .or_else(|| {
                Some(
                    "declare the type under `types:`, or qualify a type of another file: `crm.contacts.Contact`"
                        .to_owned(),
                )
            })
    }

    fn event(&mut self, scope: &Scope, origin: &Origin, key: &Spanned<String>, def: &EventDef) -> Option<Event> {
        let file = scope.file;
        let named_by = def.slug.as_ref().or(def.event_type.as_ref());
        let (Some(handler_def), Some(type_def)) = (&def.handler, named_by) else {
            let missing = [
                ("handler", def.handler.is_none(), format!("`handler: on{}`", key.value)),
                ("slug", named_by.is_none(), "`slug: created` (or the whole `event_type`)".to_owned()),
            ];
            for (name, absent, example) in missing {
                if absent {
                    self.error_with_hint(
                        Location::of(file, key),
                        format!("event `{}` has no `{name}`", key.value),
                        format!("add it, for example {example}"),
                    );
                }
            }
            return None;
        };
        let handler = &handler_def.value;
        names::check_handler(file, key, handler_def, &mut self.diagnostics);
        let event_type = match (&def.slug, &def.event_type) {
            (Some(slug), None) => {
                names::check_slug(file, slug, &mut self.diagnostics);
                format!("{}_{}", origin.fqdn, slug.value)
            }
            (_, Some(event_type)) => {
                if def.slug.is_some() {
                    self.error_with_hint(
                        Location::of(file, event_type),
                        format!("event `{}` has both `slug` and `event_type`", key.value),
                        "keep `slug` when the eventType is `<fqdn>_<slug>`, else `event_type` alone",
                    );
                }
                names::check_event_type(file, event_type, &mut self.diagnostics);
                event_type.value.clone()
            }
            // Reported above, where `type_def` was looked for.
            (None, None) => return None,
        };
        if !def.domain && def.entity.is_some() {
            self.error_with_hint(
                Location::of(file, key),
                format!("event `{}` is not a domain event (`domain: false`) but declares `entity`", key.value),
                "the SDK hands such a webhook's body over as `data`: declare `data` instead",
            );
        }
        if let (Some(_), Some(data)) = (&def.entity, &def.data) {
            self.error_with_hint(
                Location::of(file, data),
                format!("event `{}` has both `entity` and `data`", key.value),
                "an envelope carries an entity (created/updated/deleted) or data (actions), not both",
            );
        }
        let metadata = Field {
            wire: "metadata".into(),
            rust: "metadata".into(),
            ty: Ty::Named(TypeRef { module: vec![COMMON.into()], name: METADATA.into() }),
            required: true,
            doc: Some("Event metadata.".into()),
            aliases: Vec::new(),
            format: None,
            deprecated: false,
            boxed: false,
            renamed_by_sdk: false,
            rest_name: None,
        };
        let (envelope, body) = match (&def.entity, &def.data) {
            (Some(entity), _) => (Envelope::Entity, Some(("entity", entity, "The entity."))),
            (_, Some(data)) => (Envelope::Data, Some(("data", data, "The event data."))),
            _ => (Envelope::MetadataOnly, None),
        };
        let mut fields = vec![metadata];
        if let Some((wire, def, doc)) = body {
            // The body is the entity: the SDK renames keys inside it (its own name is never renamed).
            // A body that does not lower was reported; the event is kept for the name checks.
            if let Some(mut field) = self.field(scope, wire.into(), wire.into(), def, true) {
                // Unlike struct fields, the body is there unless the schema says otherwise.
                field.required = match &def.value {
                    FieldDef::Type(_) => true,
                    FieldDef::Full(spec) => spec.required.unwrap_or(true),
                };
                field.doc.get_or_insert_with(|| doc.into());
                fields.push(field);
            }
        }
        let taken: Vec<&str> = fields.iter().map(|field| field.rust.as_str()).collect();
        // Only the entity (or data) is renamed by the SDK: `metadata` and extras such as
        // `modifiedFields` arrive as sent.
        let extra = self.fields(scope, &key.value, &def.fields.0, &taken, false);
        fields.extend(extra);
        let velo_handler = format!("{}_{}", origin.prefix, handler);
        Some(Event {
            name: key.value.clone(),
            doc: def.doc.clone(),
            handler: handler.clone(),
            method: snake_case(&velo_handler),
            variant: upper_camel(&velo_handler),
            velo_handler,
            event_type,
            domain: def.domain,
            sdk: origin.sdk.filter(|_| def.sdk).map(|export| format!("{export}.{handler}")),
            fields,
            envelope,
            velo_documented: def.velo,
            maturity: def.maturity,
            derives_default: false,
            locations: EventLocations {
                name: Location::of(file, key),
                handler: Location::of(file, handler_def),
                slug: Location::of(file, type_def),
            },
        })
    }
}

/// `; did you mean `firstName`?` for a name with separators (`first-name`), when its
/// camel case is an identifier.
fn camel_suggestion(name: &str) -> String {
    let camel = upper_camel(name);
    let mut chars = camel.chars();
    match chars.next() {
        Some(first) if is_identifier(&camel) => {
            format!("; did you mean `{}{}`?", first.to_ascii_lowercase(), chars.as_str())
        }
        _ => String::new(),
    }
}

struct Scope<'a> {
    file: &'a str,
    module: &'a [String],
    names: &'a Names,
}

struct Origin<'a> {
    prefix: &'a str,
    fqdn: &'a str,
    sdk: Option<&'a String>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Lowers schema texts `(path, yaml)` after the name checks, as `generate` does.
    pub(crate) fn lower_texts(texts: &[(&str, &str)]) -> (Vec<Module>, Names, Vec<Diagnostic>) {
        let files: Vec<ParsedFile> = texts
            .iter()
            .map(|(file, text)| {
                let parsed = crate::yaml::parse(file, text);
                assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
                let schema = parsed.schema.unwrap_or_else(|| panic!("{file} did not parse"));
                ParsedFile { file: (*file).to_owned(), schema }
            })
            .collect();
        let mut diagnostics = Vec::new();
        let names = names::declared(&files, &mut diagnostics);
        let modules = lower(&files, &names, &mut diagnostics);
        (modules, names, diagnostics)
    }

    fn field<'a>(fields: &'a [Field], wire: &str) -> &'a Field {
        fields.iter().find(|field| field.wire == wire).unwrap_or_else(|| panic!("no field `{wire}`"))
    }

    fn struct_fields<'a>(module: &'a Module, name: &str) -> &'a [Field] {
        module
            .types
            .iter()
            .find_map(|decl| match decl {
                TypeDecl::Struct(decl) if decl.name == name => Some(decl.fields.as_slice()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no struct `{name}`"))
    }

    /// The smallest `common` module that events need.
    pub(crate) const COMMON_SCHEMA: &str = "module: common\ntypes:\n  EventMetadata:\n    fields:\n      _id: string\n";
    const SHOP_SCHEMA: &str = "\
module: shop.orders
velo: { prefix: wixShop }
webhook: { fqdn: wix.shop.v1.order }
types:
  Order:
    fields:
      _id: string
      _updatedDate: timestamp
      extra: json
events:
  OrderCreated:
    handler: onOrderCreated
    slug: created
    entity: Order
    fields:
      modifiedFields: json
";

    /// The SDK's renames are decided once, here: entity fields under an SDK name get
    /// their REST name, and neither metadata, nor `common`, nor envelope extras are
    /// renamed.
    #[test]
    fn records_which_fields_the_sdk_renames() {
        let (modules, _, diagnostics) = lower_texts(&[("common.yaml", COMMON_SCHEMA), ("orders.yaml", SHOP_SCHEMA)]);
        assert_eq!(diagnostics, Vec::new());
        let [common, shop] = &modules[..] else { panic!("two modules expected") };
        let order = struct_fields(shop, "Order");
        assert_eq!(field(order, "_id").rest_name.as_deref(), Some("id"));
        assert_eq!(field(order, "_updatedDate").rest_name.as_deref(), Some("updatedDate"));
        assert!(field(order, "extra").renamed_by_sdk && field(order, "extra").rest_name.is_none());
        let metadata = field(struct_fields(common, "EventMetadata"), "_id");
        assert!(!metadata.renamed_by_sdk && metadata.rest_name.is_none());
        let event = &shop.events[0];
        assert!(field(&event.fields, "entity").renamed_by_sdk);
        assert!(!field(&event.fields, "metadata").renamed_by_sdk);
        assert!(!field(&event.fields, "modifiedFields").renamed_by_sdk);
    }

    /// `sdk: false` on an event drops its SDK registration; the module's others keep it.
    #[test]
    fn an_event_can_opt_out_of_the_sdk() {
        let with_sdk = SHOP_SCHEMA.replace("velo:", "sdk: { package: \"@wix/shop\", export: orders }\nvelo:");
        let opted_out = with_sdk.replace("    entity: Order\n", "    entity: Order\n    sdk: false\n");
        for (schema, expected) in [(with_sdk.as_str(), Some("orders.onOrderCreated")), (opted_out.as_str(), None)] {
            let (modules, _, diagnostics) = lower_texts(&[("common.yaml", COMMON_SCHEMA), ("orders.yaml", schema)]);
            assert_eq!(diagnostics, Vec::new());
            assert_eq!(modules[1].events[0].sdk.as_deref(), expected);
        }
    }
}
