//! Declarations of SDK typings (`.d.ts`), parsed with oxc: interfaces, string enums,
//! `XWithLiterals` aliases and the events: `declare function onXxx(handler)` in the
//! chunks, or `EventDefinition<Envelope, "eventType">` in `index.d.ts` alone.
//!
//! Declarations are read by their local names: chunked packages re-export them under
//! mangled aliases (`export { dW as AccountInfo }`), but declare them under the real name.

use std::collections::BTreeMap;

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Declaration, Expression, Program, PropertyKey, TSEnumMemberName, TSLiteral, TSSignature, TSType, TSTypeName,
};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType};
use serde::{Deserialize, Serialize};

use crate::jsdoc::{self, JsDoc};

/// A TypeScript type, reduced to the forms the event payloads use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ty {
    /// `string`
    String,
    /// `number` (integer or float; the transforms tell which)
    Number,
    /// `boolean`
    Boolean,
    /// `Date`
    Date,
    /// `any`, `Record<string, any>`
    Any,
    /// A declared interface, enum or alias.
    Ref(String),
    /// `T[]`
    List(Box<Ty>),
    /// `Record<string, T>`
    Map(Box<Ty>),
    /// A form the payloads never use (function types, tuples, ...): `file:line:col: what`.
    /// Request and query types use them; reaching one from an event is an error.
    Unsupported(String),
}

/// One interface property.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// Wire name.
    pub name: String,
    /// Its type.
    pub ty: Ty,
    /// Its JSDoc.
    pub doc: JsDoc,
}

/// An interface.
#[derive(Debug, Clone, PartialEq)]
pub struct Interface {
    /// Its JSDoc (`@oneof` marks the groups).
    pub doc: JsDoc,
    /// Names of the extended interfaces.
    pub extends: Vec<String>,
    /// Properties in declaration order.
    pub properties: Vec<Property>,
}

/// A string enum with its members' values and docs.
#[derive(Debug, Clone, PartialEq)]
pub struct Enum {
    /// Its JSDoc.
    pub doc: JsDoc,
    /// `(value, doc)` in declaration order.
    pub values: Vec<(String, String)>,
}

/// An event: `declare function onXxx(handler: (event: XxxEnvelope) => ...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFn {
    /// `onXxx`.
    pub handler: String,
    /// The envelope interface.
    pub envelope: String,
    /// Its JSDoc (`@eventType`, `@slug`, `@deprecated`, ...).
    pub doc: JsDoc,
}

/// Everything declared in a set of typings files.
#[derive(Debug, Default)]
pub struct Declarations {
    /// Interfaces by name.
    pub interfaces: BTreeMap<String, Interface>,
    /// Enums by name.
    pub enums: BTreeMap<String, Enum>,
    /// Aliases by name: `type XWithLiterals = X | 'A'` maps to `X`.
    pub aliases: BTreeMap<String, String>,
    /// Events by handler.
    pub events: BTreeMap<String, EventFn>,
}

/// Parses a `.d.ts` file; a syntax error names `file:line:col`.
fn parse_program<'a>(allocator: &'a Allocator, file: &str, text: &'a str) -> Result<Program<'a>, String> {
    let parsed = Parser::new(allocator, text, SourceType::d_ts()).parse();
    if let Some(error) = parsed.diagnostics.errors().next() {
        let offset = error.labels.first().map_or(0, |label| label.offset());
        let (line, column) = crate::manifest::line_col(text, offset as usize);
        return Err(format!("{file}:{line}:{column}: error: {error}"));
    }
    Ok(parsed.program)
}

/// The JSDoc block attached to the node starting at `start`, or an empty one.
fn doc_at(program: &Program, text: &str, start: u32) -> JsDoc {
    program
        .comments
        .iter()
        .rev()
        .find(|comment| comment.attached_to == start && comment.is_jsdoc())
        .map(|comment| jsdoc::parse(comment.span.source_text(text)))
        .unwrap_or_default()
}

/// Parses one `.d.ts` file into `out`. `file` names it in errors.
pub fn parse_into(file: &str, text: &str, out: &mut Declarations) -> Result<(), String> {
    let allocator = Allocator::default();
    let program = parse_program(&allocator, file, text)?;
    let doc_at = |start: u32| doc_at(&program, text, start);
    let located = |start: u32, message: String| {
        let (line, column) = crate::manifest::line_col(text, start as usize);
        format!("{file}:{line}:{column}: error: {message}")
    };
    for statement in &program.body {
        // The typings declare everything at the top level and export it in one list.
        let Some(declaration) = statement.as_declaration() else { continue };
        let start = statement.span().start;
        match declaration {
            Declaration::TSInterfaceDeclaration(interface) => {
                let mut properties = Vec::new();
                for signature in &interface.body.body {
                    let TSSignature::TSPropertySignature(property) = signature else { continue };
                    let name = match &property.key {
                        PropertyKey::StaticIdentifier(identifier) => identifier.name.as_str().to_owned(),
                        PropertyKey::StringLiteral(literal) => literal.value.as_str().to_owned(),
                        _ => return Err(located(property.span.start, "computed property name".into())),
                    };
                    let Some(annotation) = &property.type_annotation else {
                        return Err(located(property.span.start, format!("property `{name}` has no type")));
                    };
                    let ty = ty(&annotation.type_annotation).unwrap_or_else(|message| {
                        Ty::Unsupported(located(property.span.start, format!("`{name}`: {message}")))
                    });
                    properties.push(Property { name, ty, doc: doc_at(property.span.start) });
                }
                let extends = interface
                    .extends
                    .iter()
                    .filter_map(|heritage| match &heritage.type_name {
                        TSTypeName::IdentifierReference(id) => Some(id.name.as_str().to_owned()),
                        _ => None,
                    })
                    .collect();
                out.interfaces.insert(
                    interface.id.name.as_str().to_owned(),
                    Interface { doc: doc_at(start), extends, properties },
                );
            }
            Declaration::TSEnumDeclaration(declared) => {
                let mut values = Vec::new();
                for member in &declared.body.members {
                    let value = match &member.initializer {
                        Some(Expression::StringLiteral(literal)) => literal.value.as_str().to_owned(),
                        _ => match &member.id {
                            TSEnumMemberName::Identifier(identifier) => identifier.name.as_str().to_owned(),
                            TSEnumMemberName::String(literal) => literal.value.as_str().to_owned(),
                            _ => return Err(located(member.span.start, "unsupported enum member".into())),
                        },
                    };
                    values.push((value, doc_at(member.span.start).description));
                }
                out.enums.insert(declared.id.name.as_str().to_owned(), Enum { doc: doc_at(start), values });
            }
            Declaration::TSTypeAliasDeclaration(alias) => {
                // Only the `XWithLiterals` of enums matter: `X | 'literal' | ...`, or a bare
                // `X` when every value is `@internal` and the public literals are all gone.
                let target = match &alias.type_annotation {
                    TSType::TSUnionType(union) => union.types.first(),
                    reference @ TSType::TSTypeReference(_) => Some(reference),
                    _ => None,
                };
                if let Some(TSType::TSTypeReference(first)) = target {
                    if let TSTypeName::IdentifierReference(target) = &first.type_name {
                        out.aliases.insert(alias.id.name.as_str().to_owned(), target.name.as_str().to_owned());
                    }
                }
            }
            Declaration::FunctionDeclaration(function) => {
                let Some(id) = &function.id else { continue };
                let name = id.name.as_str();
                if !(name.starts_with("on") && name.chars().nth(2).is_some_and(|c| c.is_ascii_uppercase())) {
                    continue;
                }
                let doc = doc_at(start);
                if !doc.tags.contains_key("eventType") {
                    continue;
                }
                // handler: (event: XxxEnvelope) => ...
                let envelope = function
                    .params
                    .items
                    .first()
                    .and_then(|param| param.type_annotation.as_ref())
                    .and_then(|annotation| match &annotation.type_annotation {
                        TSType::TSFunctionType(handler) => handler.params.items.first(),
                        _ => None,
                    })
                    .and_then(|event| event.type_annotation.as_ref())
                    .and_then(|annotation| match &annotation.type_annotation {
                        TSType::TSTypeReference(reference) => match &reference.type_name {
                            TSTypeName::IdentifierReference(id) => Some(id.name.as_str().to_owned()),
                            _ => None,
                        },
                        _ => None,
                    })
                    .ok_or_else(|| {
                        located(start, format!("`{name}`: expected `(handler: (event: Envelope) => ...)`"))
                    })?;
                out.events.insert(name.to_owned(), EventFn { handler: name.to_owned(), envelope, doc });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Reads the events a package declares only in its `index.d.ts`, into `out.events`
/// where no `declare function onXxx` of the chunks declared them already:
///
/// ```ts
/// declare const onListCreated$1: EventDefinition<ListCreatedEnvelope, "wix.dashboard.v1.list_created">;
/// /** Triggered when ... */
/// declare const onListCreated: BuildEventDefinition<typeof onListCreated$1>;
/// ```
///
/// The eventType comes from the type argument, the description from the JSDoc of the
/// exported constant (`@eventType` is added to its tags, so both forms read alike).
pub fn parse_index_events(file: &str, text: &str, out: &mut Declarations) -> Result<(), String> {
    let allocator = Allocator::default();
    let program = parse_program(&allocator, file, text)?;
    let mut definitions = BTreeMap::new();
    let mut docs = BTreeMap::new();
    for statement in &program.body {
        let Some(Declaration::VariableDeclaration(variables)) = statement.as_declaration() else { continue };
        for declarator in &variables.declarations {
            let (Some(id), Some(annotation)) = (declarator.id.get_binding_identifier(), &declarator.type_annotation)
            else {
                continue;
            };
            let TSType::TSTypeReference(reference) = &annotation.type_annotation else { continue };
            let TSTypeName::IdentifierReference(generic) = &reference.type_name else { continue };
            let args: Vec<&TSType> = reference.type_arguments.iter().flat_map(|args| args.params.iter()).collect();
            let name = id.name.as_str();
            match (generic.name.as_str(), args.as_slice()) {
                ("EventDefinition", [TSType::TSTypeReference(envelope), TSType::TSLiteralType(event_type)]) => {
                    let (TSTypeName::IdentifierReference(envelope), TSLiteral::StringLiteral(event_type)) =
                        (&envelope.type_name, &event_type.literal)
                    else {
                        continue;
                    };
                    let handler = name.split('$').next().unwrap_or(name);
                    definitions.insert(
                        handler.to_owned(),
                        (envelope.name.as_str().to_owned(), event_type.value.as_str().to_owned()),
                    );
                }
                ("BuildEventDefinition", _) => {
                    docs.insert(name.to_owned(), doc_at(&program, text, statement.span().start));
                }
                _ => {}
            }
        }
    }
    for (handler, (envelope, event_type)) in definitions {
        if out.events.contains_key(&handler) {
            continue;
        }
        let mut doc = docs.remove(&handler).unwrap_or_default();
        doc.tags.entry("eventType".to_owned()).or_insert(event_type);
        out.events.insert(handler.clone(), EventFn { handler, envelope, doc });
    }
    Ok(())
}

/// Reduces a TypeScript type; `T | null` is `T`.
fn ty(ts: &TSType) -> Result<Ty, String> {
    Ok(match ts {
        TSType::TSStringKeyword(_) => Ty::String,
        TSType::TSNumberKeyword(_) => Ty::Number,
        TSType::TSBooleanKeyword(_) => Ty::Boolean,
        TSType::TSAnyKeyword(_) | TSType::TSUnknownKeyword(_) => Ty::Any,
        TSType::TSArrayType(array) => Ty::List(Box::new(ty(&array.element_type)?)),
        TSType::TSUnionType(union) => {
            let kept: Vec<&TSType> = union
                .types
                .iter()
                .filter(|t| !matches!(t, TSType::TSNullKeyword(_) | TSType::TSUndefinedKeyword(_)))
                .collect();
            match kept.as_slice() {
                [single] => ty(single)?,
                _ => return Err("unions other than `T | null` are not supported".into()),
            }
        }
        TSType::TSTypeReference(reference) => {
            let TSTypeName::IdentifierReference(id) = &reference.type_name else {
                return Err("qualified type names are not supported".into());
            };
            let args: Vec<&TSType> = reference.type_arguments.iter().flat_map(|args| args.params.iter()).collect();
            match (id.name.as_str(), args.as_slice()) {
                ("Date", []) => Ty::Date,
                // `bytes` fields: REST and webhooks carry them base64-encoded in a string.
                ("Uint8Array", []) => Ty::String,
                ("Record", [_, value]) => match ty(value)? {
                    Ty::Any => Ty::Any,
                    value => Ty::Map(Box::new(value)),
                },
                (name, []) => Ty::Ref(name.to_owned()),
                (name, _) => return Err(format!("generic type `{name}<...>` is not supported")),
            }
        }
        _ => return Err("unsupported type form".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
/** An order. */
interface Order {
    /**
     * Order ID.
     * @format GUID
     * @readonly
     */
    _id?: string | null;
    lineItems?: OrderLineItem[];
    status?: OrderStatusWithLiterals;
    createdDate?: Date | null;
    extendedFields?: Record<string, any>;
    tags?: Record<string, number>;
}
declare enum OrderStatus {
    /** Initial. */
    INITIALIZED = "INITIALIZED",
    APPROVED = "APPROVED"
}
type OrderStatusWithLiterals = OrderStatus | 'INITIALIZED' | 'APPROVED';
declare enum HiddenMode {
    /** @internal */
    ONLY = "ONLY"
}
type HiddenModeWithLiterals = HiddenMode;
interface OrderCreatedEnvelope { entity: Order; metadata: EventMetadata; }
/**
 * Triggered when an order is created.
 * @webhook
 * @eventType wix.ecom.v1.order_created
 * @slug created
 */
declare function onOrderCreated(handler: (event: OrderCreatedEnvelope) => void | Promise<void>): void;
export { type Order as O, onOrderCreated as a };
"#;

    #[test]
    fn reads_interfaces_enums_aliases_and_events() {
        let mut out = Declarations::default();
        let parsed = parse_into("t.d.ts", SAMPLE, &mut out);
        assert!(parsed.is_ok(), "{parsed:?}");
        let order = &out.interfaces["Order"];
        assert_eq!(order.doc.description, "An order.");
        let names: Vec<&str> = order.properties.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["_id", "lineItems", "status", "createdDate", "extendedFields", "tags"]);
        assert_eq!(order.properties[0].ty, Ty::String);
        assert_eq!(order.properties[0].doc.tags.get("format").map(String::as_str), Some("GUID"));
        assert_eq!(order.properties[1].ty, Ty::List(Box::new(Ty::Ref("OrderLineItem".into()))));
        assert_eq!(order.properties[3].ty, Ty::Date);
        assert_eq!(order.properties[4].ty, Ty::Any);
        assert_eq!(order.properties[5].ty, Ty::Map(Box::new(Ty::Number)));
        assert_eq!(out.enums["OrderStatus"].values[0], ("INITIALIZED".to_owned(), "Initial.".to_owned()));
        assert_eq!(out.aliases["OrderStatusWithLiterals"], "OrderStatus");
        assert_eq!(out.aliases["HiddenModeWithLiterals"], "HiddenMode");
        let event = &out.events["onOrderCreated"];
        assert_eq!(event.envelope, "OrderCreatedEnvelope");
        assert_eq!(event.doc.tags["eventType"], "wix.ecom.v1.order_created");
    }

    #[test]
    fn reads_events_declared_only_in_the_entry_typings() {
        let index = r#"
import { EventDefinition, BuildEventDefinition } from '@wix/sdk-types';
declare const onListCreated$1: EventDefinition<ListCreatedEnvelope, "wix.dashboard.v1.list_created">;
declare const onOrderCreated$1: EventDefinition<OrderCreatedEnvelope, "wix.ecom.v1.order_created">;
declare const getList: MaybeContext<BuildRESTFunction<typeof getList$1>>;
/**
 * Triggered when the list is created.
 */
declare const onListCreated: BuildEventDefinition<typeof onListCreated$1>;
/** Described twice. */
declare const onOrderCreated: BuildEventDefinition<typeof onOrderCreated$1>;
"#;
        let mut out = Declarations::default();
        assert!(parse_into("t.d.ts", SAMPLE, &mut out).is_ok());
        let parsed = parse_index_events("index.d.ts", index, &mut out);
        assert!(parsed.is_ok(), "{parsed:?}");
        assert_eq!(out.events.keys().collect::<Vec<_>>(), ["onListCreated", "onOrderCreated"]);
        let list = &out.events["onListCreated"];
        assert_eq!(list.envelope, "ListCreatedEnvelope");
        assert_eq!(list.doc.description, "Triggered when the list is created.");
        assert_eq!(list.doc.tags["eventType"], "wix.dashboard.v1.list_created");
        // A chunk's declaration wins over the entry's.
        assert_eq!(out.events["onOrderCreated"].doc.description, "Triggered when an order is created.");
        assert_eq!(out.events["onOrderCreated"].doc.tags["slug"], "created");
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let mut out = Declarations::default();
        let error = parse_into("t.d.ts", "interface A {\n  x?: ;\n}", &mut out).err().unwrap_or_default();
        assert!(error.starts_with("t.d.ts:2:"), "{error}");
    }

    #[test]
    fn unsupported_unions_are_kept_with_their_location() {
        let mut out = Declarations::default();
        assert!(parse_into("t.d.ts", "interface A {\n  x?: string | number;\n}", &mut out).is_ok());
        match &out.interfaces["A"].properties[0].ty {
            Ty::Unsupported(error) => assert!(error.starts_with("t.d.ts:2:3: error: `x`"), "{error}"),
            other => panic!("{other:?}"),
        }
    }
}
