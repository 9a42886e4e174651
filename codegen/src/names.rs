//! Name checks: module paths, the type and event names each module declares, and the
//! names that must be unique across the whole catalogue (Velo handlers, handler
//! methods, webhook eventTypes). Lowering resolves type references against the
//! [`Names`] found here.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::yaml::Spanned;

use crate::diagnostic::{Diagnostic, Location};
use crate::ident::{is_identifier, is_upper_camel, snake_case, upper_camel};
use crate::model::{Event, Module, COMMON, METADATA};
use crate::syntax::ParsedFile;

/// Names declared in each module (types and event payloads), by module path.
pub type Names = BTreeMap<Vec<String>, BTreeSet<String>>;

fn error(diagnostics: &mut Vec<Diagnostic>, location: Location, message: impl Into<String>, hint: impl Into<String>) {
    diagnostics.push(Diagnostic::new(location, message).with_hint(hint));
}

/// Checks module paths and declared names; returns the names of each valid module.
pub fn declared(files: &[ParsedFile], diagnostics: &mut Vec<Diagnostic>) -> Names {
    let mut names = Names::new();
    let mut seen_modules: HashMap<String, String> = HashMap::new();
    for ParsedFile { file, schema } in files {
        let module = &schema.module;
        let path: Vec<String> = module.value.split('.').map(str::to_owned).collect();
        if !path.iter().all(|segment| is_identifier(segment) && segment.to_lowercase() == *segment) {
            error(
                diagnostics,
                Location::of(file, module),
                format!("module `{}` is not a dotted path of lower-case identifiers", module.value),
                module_suggestion(&module.value),
            );
            continue;
        }
        // These cannot be raw identifiers, and a renamed module would not find its file.
        if let Some(segment) = path.iter().find(|segment| RESERVED_MODULES.contains(&segment.as_str())) {
            error(
                diagnostics,
                Location::of(file, module),
                format!("module `{}` uses `{segment}`, which Rust reserves for paths", module.value),
                "rename that part of the module path; Rust allows none of `self`, `super` and `crate` as a module name",
            );
            continue;
        }
        if let Some(first) = seen_modules.insert(module.value.clone(), file.clone()) {
            error(
                diagnostics,
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
                error(
                    diagnostics,
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
                error(diagnostics, location.clone(), message, format!("rename it, for example `{area}{}`", key.value));
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
                error(diagnostics, location, message, hint);
                continue;
            }
            declared.insert(key.value.clone(), (kind, location));
        }
        names.insert(path, declared.into_keys().collect());
    }
    names
}
/// Checks the Velo prefix and webhook FQDN that every event name of a module is built from.
pub fn check_origin(file: &str, prefix: &Spanned<String>, fqdn: &Spanned<String>, diagnostics: &mut Vec<Diagnostic>) {
    if !is_identifier(&prefix.value) || prefix.value.contains('_') {
        error(
            diagnostics,
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
        error(
            diagnostics,
            Location::of(file, fqdn),
            format!("webhook fqdn `{}` is not a dotted name", fqdn.value),
            "write it like `wix.contacts.v4.contact`",
        );
    }
}
/// Checks that an event's handler is `on` + UpperCamelCase (`onContactCreated`).
pub fn check_handler(
    file: &str,
    event: &Spanned<String>,
    handler: &Spanned<String>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if !handler.value.strip_prefix("on").is_some_and(is_upper_camel) {
        error(
            diagnostics,
            Location::of(file, handler),
            format!("handler `{}` is not `on` + UpperCamelCase", handler.value),
            format!("write it like `on{}`", event.value),
        );
    }
}

/// Checks that an event's webhook slug is lower_snake_case (`badge_assigned`). Upper-case
/// letters after the first are allowed: Wix sends a few lowerCamel slugs
/// (`wix.bookings.v2.booking_markedAsPending`).
pub fn check_slug(file: &str, slug: &Spanned<String>, diagnostics: &mut Vec<Diagnostic>) {
    let valid = slug.value.starts_with(|c: char| c.is_ascii_lowercase())
        && slug.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        error(
            diagnostics,
            Location::of(file, slug),
            format!("slug `{}` is not lower_snake_case", slug.value),
            "use Wix's webhook slug, such as `created` or `badge_assigned`",
        );
    }
}

/// Checks that a whole webhook eventType is one dotted name (letters, digits, `_`, `-`,
/// `.`), as Wix's are (`com.wix.ecommerce.catalog.api.v1.ProductCreated`).
pub fn check_event_type(file: &str, event_type: &Spanned<String>, diagnostics: &mut Vec<Diagnostic>) {
    let valid = event_type.value.starts_with(|c: char| c.is_ascii_alphabetic())
        && event_type.value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid {
        error(
            diagnostics,
            Location::of(file, event_type),
            format!("event_type `{}` is not a dotted name", event_type.value),
            "use the eventType Wix sends, such as `com.wix.ecommerce.catalog.api.v1.ProductCreated`",
        );
    }
}

/// Names that must be unique across the whole catalogue, checked on the lowered
/// modules. Events are taken in the order of their declarations (file, then line), so
/// "first used at" is the earlier declaration whatever order the files came in.
pub fn check_catalogue(modules: &[Module], names: &Names, diagnostics: &mut Vec<Diagnostic>) {
    let mut events: Vec<&Event> = modules.iter().flat_map(|module| &module.events).collect();
    events.sort_by(|a, b| a.locations.handler.cmp(&b.locations.handler));
    // Each name maps to where it was first used and the Velo handler it came from.
    let mut velo_handlers: BTreeMap<&str, &Location> = BTreeMap::new();
    let mut methods: BTreeMap<&str, (&Location, &str)> = BTreeMap::new();
    let mut event_types: BTreeMap<&str, &Location> = BTreeMap::new();
    for event in &events {
        let (velo_handler, handler_at) = (event.velo_handler.as_str(), &event.locations.handler);
        if let Some(first) = velo_handlers.get(velo_handler) {
            error(
                diagnostics,
                handler_at.clone(),
                format!("Velo handler `{velo_handler}` is used twice"),
                format!("first used at {first}; give each event its own `handler` (or module its own `velo.prefix`)"),
            );
        } else {
            velo_handlers.insert(velo_handler, handler_at);
            // Different Velo handlers can still share a Rust method (`wixCRM_` and
            // `wixCrm_`); equal ones were reported just above, once.
            let method = event.method.as_str();
            if let Some((first, other)) = methods.get(method) {
                error(
                    diagnostics,
                    handler_at.clone(),
                    format!("Velo handlers `{other}` and `{velo_handler}` both become the handler method `{method}`"),
                    format!("first used at {first}; handler names must differ by more than case and underscores"),
                );
            } else {
                methods.insert(method, (handler_at, velo_handler));
            }
        }
        let (event_type, slug_at) = (event.event_type.as_str(), &event.locations.slug);
        if let Some(first) = event_types.get(event_type) {
            error(
                diagnostics,
                slug_at.clone(),
                format!("webhook eventType `{event_type}` is used twice"),
                format!("first used at {first}; give each event its own `slug` (or module its own `webhook.fqdn`)"),
            );
        } else {
            event_types.insert(event_type, slug_at);
        }
    }
    let needs_metadata = events.first().map(|event| event.locations.handler.clone());
    let metadata_declared = names.get(&vec![COMMON.to_owned()]).is_some_and(|declared| declared.contains(METADATA));
    if let (Some(location), false) = (needs_metadata, metadata_declared) {
        error(
            diagnostics,
            location,
            format!("events need the type `{METADATA}` in module `{COMMON}`"),
            "keep schemas/common/metadata.yaml",
        );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::tests::{lower_texts, COMMON_SCHEMA};

    fn shop(module: &str, entity: &str) -> String {
        format!(
            "module: {module}\nvelo: {{ prefix: wixShop }}\nwebhook: {{ fqdn: wix.{module} }}\n\
             types:\n  Order:\n    fields:\n      total: float\n\
             events:\n  OrderCreated:\n    handler: onOrderCreated\n    slug: created\n    entity: {entity}\n"
        )
    }

    /// The check reads the model: the earlier declaration is "first" whatever the order
    /// of the files, and an event whose entity does not resolve is still checked.
    #[test]
    fn duplicate_velo_handler_is_found_on_the_model_in_declaration_order() {
        let (first, second) = (shop("shop.a", "Order"), shop("shop.b", "Ordr"));
        let texts = [("schemas/shop/b.yaml", second.as_str()), ("schemas/shop/a.yaml", first.as_str())];
        let texts = [texts.as_slice(), &[("schemas/common.yaml", COMMON_SCHEMA)]].concat();
        let (modules, names, mut diagnostics) = lower_texts(&texts);
        check_catalogue(&modules, &names, &mut diagnostics);
        let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert!(messages[0].starts_with("schemas/shop/b.yaml:12:13: error: unknown type `Ordr`"), "{messages:#?}");
        assert_eq!(
            messages[1],
            "schemas/shop/b.yaml:10:14: error: Velo handler `wixShop_onOrderCreated` is used twice\n  \
             = hint: first used at schemas/shop/a.yaml:10:14; give each event its own `handler` \
             (or module its own `velo.prefix`)"
        );
    }
}
