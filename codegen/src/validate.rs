//! Validation: checks parsed schema files against each other and builds the
//! [`Catalogue`]. Every problem found is collected; nothing stops at the first one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_saphyr::Spanned;

use crate::diagnostic::{did_you_mean, Diagnostic, Location};
use crate::ident::{field_name, is_identifier, is_upper_camel, snake_case, upper_camel, variant_name};
use crate::model::{
    sdk_name, Catalogue, Enum, EnumValue, Envelope, Event, Field, Module, Sdk, Struct, Ty, TypeDecl, TypeRef, COMMON,
    METADATA,
};
use crate::syntax::{EnumValueDef, EventDef, FieldDef, SchemaFile, TypeDef};
use crate::type_expr::{self, TypeExpr, SCALARS};

/// A parsed schema file with its path.
pub struct Parsed {
    /// Path as shown in diagnostics.
    pub file: String,
    /// Its content.
    pub schema: SchemaFile,
}

/// Validates all files together and builds the catalogue, or returns every error.
pub fn validate(files: &[Parsed]) -> Result<Catalogue, Vec<Diagnostic>> {
    let mut checker = Checker::default();
    let names = checker.collect_names(files);
    let mut modules: Vec<Module> = files.iter().filter_map(|file| checker.module(file, &names)).collect();
    checker.check_catalogue_names(files, &names);
    mark_recursive_fields(&mut modules);
    modules.sort_by(|a, b| a.path.cmp(&b.path));
    if checker.diagnostics.is_empty() {
        Ok(Catalogue { modules })
    } else {
        Err(checker.diagnostics)
    }
}

/// Names declared in each module (types and event payloads), for resolution.
type Names = BTreeMap<Vec<String>, BTreeSet<String>>;

#[derive(Default)]
struct Checker {
    diagnostics: Vec<Diagnostic>,
}

impl Checker {
    fn error_with_hint(&mut self, location: Location, message: impl Into<String>, hint: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(location, message).with_hint(hint));
    }

    /// Checks module paths and declared names; returns the names of each valid module.
    fn collect_names(&mut self, files: &[Parsed]) -> Names {
        let mut names = Names::new();
        let mut seen_modules: HashMap<String, String> = HashMap::new();
        for Parsed { file, schema } in files {
            let module = &schema.module;
            let path: Vec<String> = module.value.split('.').map(str::to_owned).collect();
            if !path.iter().all(|segment| is_identifier(segment) && segment.to_lowercase() == *segment) {
                self.error_with_hint(
                    Location::of(file, module),
                    format!("module `{}` is not a dotted path of lower-case identifiers", module.value),
                    module_suggestion(&module.value),
                );
                continue;
            }
            // These cannot be raw identifiers, and a renamed module would not find its file.
            if let Some(segment) = path.iter().find(|segment| RESERVED_MODULES.contains(&segment.as_str())) {
                self.error_with_hint(
                    Location::of(file, module),
                    format!("module `{}` uses `{segment}`, which Rust reserves for paths", module.value),
                    "rename that part of the module path; Rust allows none of `self`, `super` and `crate` as a module name",
                );
                continue;
            }
            if let Some(first) = seen_modules.insert(module.value.clone(), file.clone()) {
                self.error_with_hint(
                    Location::of(file, module),
                    format!("module `{}` is declared twice", module.value),
                    format!("it is also declared in {first}; give each file its own module"),
                );
                continue;
            }
            let mut declared: BTreeMap<String, (&str, Location)> = BTreeMap::new();
            let keys = schema
                .types
                .0
                .iter()
                .map(|(key, _)| ("type", key))
                .chain(schema.events.0.iter().map(|(key, _)| ("event", key)));
            // A badly named type is still declared, so that its uses do not each add an
            // "unknown type" error to the one about its name.
            for (kind, key) in keys {
                let location = Location::of(file, key);
                if !is_upper_camel(&key.value) {
                    self.error_with_hint(
                        location.clone(),
                        format!("{kind} name `{}` is not UpperCamelCase", key.value),
                        format!("write it as `{}`", upper_camel(&key.value)),
                    );
                } else if RESERVED_TYPES.contains(&key.value.as_str()) {
                    let message = if key.value == "Self" {
                        format!("{kind} name `Self` is a Rust keyword")
                    } else {
                        format!("{kind} name `{0}` would hide Rust's `{0}`, which the generated code uses", key.value)
                    };
                    let area = module.value.rsplit('.').next().map(upper_camel).unwrap_or_default();
                    self.error_with_hint(
                        location.clone(),
                        message,
                        format!("rename it, for example `{area}{}`", key.value),
                    );
                }
                if let Some((first_kind, first)) = declared.get(&key.value) {
                    // A type and an event of the same name are not a repeated declaration
                    // but a clash: both would be Rust structs of the module.
                    let (message, hint) = if *first_kind == kind {
                        (
                            format!("duplicate {kind} `{}` in module `{}`", key.value, module.value),
                            format!("first declared at {first}; rename or remove one of them"),
                        )
                    } else {
                        (
                            format!("{kind} `{}` has the same name as a {first_kind} of module `{}`", key.value, module.value),
                            format!("first declared at {first}; types and events share one namespace per module (both become Rust structs), so rename one"),
                        )
                    };
                    self.error_with_hint(location, message, hint);
                    continue;
                }
                declared.insert(key.value.clone(), (kind, location));
            }
            names.insert(path, declared.into_keys().collect());
        }
        names
    }

    fn module(&mut self, parsed: &Parsed, names: &Names) -> Option<Module> {
        let Parsed { file, schema } = parsed;
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
                    self.check_origin(file, prefix, fqdn);
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

    fn check_origin(&mut self, file: &str, prefix: &Spanned<String>, fqdn: &Spanned<String>) {
        if !is_identifier(&prefix.value) || prefix.value.contains('_') {
            self.error_with_hint(
                Location::of(file, prefix),
                format!("velo prefix `{}` is not letters and digits", prefix.value),
                "use the `events.js` prefix, such as `wixCrm`; it cannot contain `_`, which separates it from the handler",
            );
        }
        let valid_fqdn = fqdn
            .value
            .split('.')
            .all(|segment| !segment.is_empty() && segment.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if !valid_fqdn {
            self.error_with_hint(
                Location::of(file, fqdn),
                format!("webhook fqdn `{}` is not a dotted name", fqdn.value),
                "write it like `wix.contacts.v4.contact`",
            );
        }
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
                let renamed_by_sdk = scope.module.first().is_none_or(|first| first != COMMON);
                let fields = self.fields(scope, &key.value, &fields.0, &[], renamed_by_sdk);
                Some(TypeDecl::Struct(Struct { name: key.value.clone(), doc: def.doc.clone(), fields }))
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
            let Some(field) = self.field(scope, key.value.clone(), rust, def) else { continue };
            out.push(field);
        }
        out
    }

    fn field(&mut self, scope: &Scope, wire: String, rust: String, def: &Spanned<FieldDef>) -> Option<Field> {
        let (ty, location, spec) = match &def.value {
            FieldDef::Type(ty) => (ty.as_str(), Location::of(scope.file, def), None),
            FieldDef::Full(spec) => (spec.ty.value.as_str(), Location::of(scope.file, &spec.ty), Some(spec)),
        };
        let ty = self.resolve(scope, ty, location)?;
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
        })
    }

    fn resolve(&mut self, scope: &Scope, text: &str, location: Location) -> Option<Ty> {
        match type_expr::parse(text) {
            Ok(expr) => self.resolve_expr(scope, &expr, location),
            Err(error) => {
                self.diagnostics.push(Diagnostic { location, message: error.message, hint: error.hint });
                None
            }
        }
    }

    fn resolve_expr(&mut self, scope: &Scope, expr: &TypeExpr, location: Location) -> Option<Ty> {
        Some(match expr {
            TypeExpr::Scalar(name) => match *name {
                "string" => Ty::String,
                "bool" => Ty::Bool,
                "integer" => Ty::Integer,
                "int64" => Ty::Int64,
                "float" => Ty::Float,
                "timestamp" => Ty::Timestamp,
                "image" => Ty::Image,
                _ => Ty::Json,
            },
            TypeExpr::Wrapped(wrapper, inner) => {
                let inner = Box::new(self.resolve_expr(scope, inner, location)?);
                match *wrapper {
                    "list" => Ty::List(inner),
                    "items_list" => Ty::ItemsList(inner),
                    "map" => Ty::Map(inner),
                    _ => Ty::ItemsMap(inner),
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
        let candidates: Vec<String> = SCALARS.iter().map(|s| (*s).to_owned()).chain(local).chain(qualified).collect();
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
        let (Some(handler_def), Some(slug_def)) = (&def.handler, &def.slug) else {
            let missing = [
                ("handler", def.handler.is_none(), format!("`handler: on{}`", key.value)),
                ("slug", def.slug.is_none(), "`slug: created`".to_owned()),
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
        let handler_ok = handler.strip_prefix("on").is_some_and(is_upper_camel);
        if !handler_ok {
            self.error_with_hint(
                Location::of(file, handler_def),
                format!("handler `{handler}` is not `on` + UpperCamelCase"),
                format!("write it like `on{}`", key.value),
            );
        }
        let slug_ok = !slug_def.value.is_empty()
            && slug_def.value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !slug_ok {
            self.error_with_hint(
                Location::of(file, slug_def),
                format!("slug `{}` is not lower_snake_case", slug_def.value),
                "use Wix's webhook slug, such as `created` or `badge_assigned`",
            );
        }
        if let (Some(_), Some(data)) = (&def.entity, &def.data) {
            self.error_with_hint(
                Location::of(file, data),
                format!("event `{}` has both `entity` and `data`", key.value),
                "an envelope carries an entity (created/updated/deleted) or data (actions), not both",
            );
            return None;
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
        };
        let (envelope, body) = match (&def.entity, &def.data) {
            (Some(entity), _) => (Envelope::Entity, Some(("entity", entity, "The entity."))),
            (_, Some(data)) => (Envelope::Data, Some(("data", data, "The event data."))),
            _ => (Envelope::MetadataOnly, None),
        };
        let mut fields = vec![metadata];
        if let Some((wire, def, doc)) = body {
            let mut field = self.field(scope, wire.into(), wire.into(), def)?;
            // Unlike struct fields, the body is there unless the schema says otherwise.
            field.required = match &def.value {
                FieldDef::Type(_) => true,
                FieldDef::Full(spec) => spec.required.unwrap_or(true),
            };
            field.doc.get_or_insert_with(|| doc.into());
            fields.push(field);
        }
        let taken: Vec<&str> = fields.iter().map(|field| field.rust.as_str()).collect();
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
            event_type: format!("{}_{}", origin.fqdn, slug_def.value),
            sdk: origin.sdk.map(|export| format!("{export}.{handler}")),
            fields,
            envelope,
            velo_documented: def.velo,
        })
    }

    /// Names that must be unique across the whole catalogue.
    fn check_catalogue_names(&mut self, files: &[Parsed], names: &Names) {
        // Each name maps to where it was first used and the Velo handler it came from.
        let mut velo_handlers: BTreeMap<String, Location> = BTreeMap::new();
        let mut methods: BTreeMap<String, (Location, String)> = BTreeMap::new();
        let mut event_types: BTreeMap<String, Location> = BTreeMap::new();
        let mut needs_metadata = None;
        for Parsed { file, schema } in files {
            let (Some(velo), Some(webhook)) = (&schema.velo, &schema.webhook) else { continue };
            for (_, def) in &schema.events.0 {
                // A missing handler or slug is reported with the event itself.
                let (Some(handler), Some(slug)) = (&def.handler, &def.slug) else { continue };
                let handler_at = Location::of(file, handler);
                let velo_handler = format!("{}_{}", velo.prefix.value, handler.value);
                if let Some(first) = velo_handlers.get(&velo_handler) {
                    self.error_with_hint(
                        handler_at.clone(),
                        format!("Velo handler `{velo_handler}` is used twice"),
                        format!("first used at {first}; give each event its own `handler` (or module its own `velo.prefix`)"),
                    );
                } else {
                    velo_handlers.insert(velo_handler.clone(), handler_at.clone());
                    // Different Velo handlers can still share a Rust method (`wixCRM_` and
                    // `wixCrm_`); equal ones were reported just above, once.
                    let method = snake_case(&velo_handler);
                    if let Some((first, other)) = methods.get(&method) {
                        self.error_with_hint(
                            handler_at.clone(),
                            format!("Velo handlers `{other}` and `{velo_handler}` both become the handler method `{method}`"),
                            format!("first used at {first}; handler names must differ by more than case and underscores"),
                        );
                    } else {
                        methods.insert(method, (handler_at.clone(), velo_handler));
                    }
                }
                let event_type = format!("{}_{}", webhook.fqdn.value, slug.value);
                let slug_at = Location::of(file, slug);
                if let Some(first) = event_types.get(&event_type) {
                    self.error_with_hint(
                        slug_at,
                        format!("webhook eventType `{event_type}` is used twice"),
                        format!(
                            "first used at {first}; give each event its own `slug` (or module its own `webhook.fqdn`)"
                        ),
                    );
                } else {
                    event_types.insert(event_type, slug_at);
                }
                needs_metadata.get_or_insert(handler_at);
            }
        }
        let metadata_declared = names.get(&vec![COMMON.to_owned()]).is_some_and(|declared| declared.contains(METADATA));
        if let (Some(location), false) = (needs_metadata, metadata_declared) {
            self.error_with_hint(
                location,
                format!("events need the type `{METADATA}` in module `{COMMON}`"),
                "keep schemas/common/metadata.yaml",
            );
        }
    }
}

/// Module path segments that are path keywords in Rust.
const RESERVED_MODULES: &[&str] = &["self", "super", "crate"];

/// Names a generated module cannot declare: `Self` is a keyword, and the others are
/// the prelude types the generated fields are written with (`Option<String>`).
const RESERVED_TYPES: &[&str] = &["Self", "Option", "String", "Vec", "Box"];

/// How to write a module path, with the snake-cased path when that one is valid.
fn module_suggestion(path: &str) -> String {
    let suggestion: Vec<String> = path.split('.').map(snake_case).collect();
    if suggestion.iter().all(|segment| is_identifier(segment)) {
        format!("write it like `crm.contacts`; did you mean `{}`?", suggestion.join("."))
    } else {
        "write it like `crm.contacts`".to_owned()
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

/// Boxes the fields through which a struct contains itself (directly or via others),
/// which would otherwise have infinite size. Lists and maps already allocate.
fn mark_recursive_fields(modules: &mut [Module]) {
    let mut edges: BTreeMap<TypeRef, Vec<TypeRef>> = BTreeMap::new();
    for module in modules.iter() {
        for decl in &module.types {
            if let TypeDecl::Struct(decl) = decl {
                let from = TypeRef { module: module.path.clone(), name: decl.name.clone() };
                let targets = decl.fields.iter().filter_map(|field| match &field.ty {
                    Ty::Named(target) => Some(target.clone()),
                    _ => None,
                });
                edges.insert(from, targets.collect());
            }
        }
    }
    let reaches = |start: &TypeRef, goal: &TypeRef| {
        let mut stack = vec![start.clone()];
        let mut visited = BTreeSet::new();
        while let Some(node) = stack.pop() {
            if &node == goal {
                return true;
            }
            if visited.insert(node.clone()) {
                stack.extend(edges.get(&node).into_iter().flatten().cloned());
            }
        }
        false
    };
    for module in modules.iter_mut() {
        let path = module.path.clone();
        for decl in &mut module.types {
            if let TypeDecl::Struct(decl) = decl {
                let this = TypeRef { module: path.clone(), name: decl.name.clone() };
                for field in &mut decl.fields {
                    if let Ty::Named(target) = &field.ty {
                        field.boxed = reaches(target, &this);
                    }
                }
            }
        }
    }
}
