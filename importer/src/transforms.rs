//! The `EventDefinition(eventType, isDomainEvent, transform)` calls of the SDK's
//! `build/cjs/index.js` (or, in the older bundled layout, `build/cjs/src/*.public.js`),
//! parsed with oxc: per event, the REST paths each transform applies to. They are the
//! only place that tells a float from an integer (TypeScript says `number` for both) and
//! which `string` fields are images on the wire.

use std::collections::BTreeMap;

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    ArrayExpressionElement, ArrowFunctionBody, AssignmentTarget, Expression, ObjectPropertyKind, PropertyKey, Statement,
};
use oxc_parser::Parser;
use oxc_span::SourceType;

/// One `EventDefinition`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Definition {
    /// The webhook eventType.
    pub event_type: String,
    /// Domain event (`true`) or a non-domain event whose body is the data itself.
    pub domain: bool,
    /// Transform kind (`float`, `image`, `timestamp`, ...) -> REST paths (`entity.lineItems.image`).
    pub paths: BTreeMap<String, Vec<String>>,
}

/// Definitions by the variable they are assigned to (`onOrderCreated`).
pub fn parse(file: &str, text: &str) -> Result<BTreeMap<String, Definition>, String> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, text, SourceType::cjs()).parse();
    if let Some(error) = parsed.diagnostics.errors().next() {
        let offset = error.labels.first().map_or(0, |label| label.offset());
        let (line, column) = crate::manifest::line_col(text, offset as usize);
        return Err(format!("{file}:{line}:{column}: error: {error}"));
    }
    let mut out = BTreeMap::new();
    for statement in &parsed.program.body {
        match statement {
            Statement::VariableDeclaration(declaration) => {
                for declarator in &declaration.declarations {
                    let (Some(name), Some(init)) = (declarator.id.get_identifier_name(), &declarator.init) else {
                        continue;
                    };
                    if let Some(definition) = definition(init) {
                        out.insert(name.as_str().to_owned(), definition);
                    }
                }
            }
            // The older bundled layout: `exports.onCouponCreated = (0, x.EventDefinition)(...)`.
            Statement::ExpressionStatement(statement) => {
                let Expression::AssignmentExpression(assignment) = &statement.expression else { continue };
                let AssignmentTarget::StaticMemberExpression(member) = &assignment.left else { continue };
                if let Some(definition) = definition(&assignment.right) {
                    out.insert(member.property.name.as_str().to_owned(), definition);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Finds `EventDefinition("type", bool, transform)` through the `(0, x.EventDefinition)(...)()` wrapping.
fn definition(expression: &Expression) -> Option<Definition> {
    let Expression::CallExpression(call) = expression.without_parentheses() else { return None };
    let args: Vec<&Expression> = call.arguments.iter().filter_map(|argument| argument.as_expression()).collect();
    if let [Expression::StringLiteral(event_type), Expression::BooleanLiteral(domain), transform, ..] = args.as_slice()
    {
        if callee_name(&call.callee) == Some("EventDefinition") {
            let mut definition = Definition {
                event_type: event_type.value.as_str().to_owned(),
                domain: domain.value,
                ..Default::default()
            };
            collect(transform, &mut definition.paths);
            return Some(definition);
        }
    }
    definition(&call.callee)
}

fn callee_name<'a>(callee: &'a Expression) -> Option<&'a str> {
    match callee.without_parentheses() {
        Expression::SequenceExpression(sequence) => sequence.expressions.last().and_then(callee_name),
        Expression::StaticMemberExpression(member) => Some(member.property.name.as_str()),
        Expression::Identifier(identifier) => Some(identifier.name.as_str()),
        _ => None,
    }
}

/// Walks the transform function for `{transformFn, paths: [{path}]}` objects.
fn collect(expression: &Expression, out: &mut BTreeMap<String, Vec<String>>) {
    match expression.without_parentheses() {
        Expression::ArrowFunctionExpression(arrow) => {
            let body = match &arrow.body {
                ArrowFunctionBody::FunctionBody(body) => &body.statements,
                other => {
                    if let Some(expression) = other.as_expression() {
                        collect(expression, out);
                    }
                    return;
                }
            };
            for statement in body {
                match statement {
                    Statement::ExpressionStatement(expression) => collect(&expression.expression, out),
                    Statement::ReturnStatement(ret) => {
                        if let Some(argument) = &ret.argument {
                            collect(argument, out)
                        }
                    }
                    _ => {}
                }
            }
        }
        Expression::CallExpression(call) => {
            collect(&call.callee, out);
            for argument in &call.arguments {
                if let Some(argument) = argument.as_expression() {
                    collect(argument, out);
                }
            }
        }
        Expression::SequenceExpression(sequence) => sequence.expressions.iter().for_each(|e| collect(e, out)),
        Expression::ArrayExpression(array) => {
            for element in &array.elements {
                if let Some(element) = element.as_expression() {
                    collect(element, out);
                }
            }
        }
        Expression::ObjectExpression(object) => {
            let property = |key: &str| {
                object.properties.iter().find_map(|property| match property {
                    ObjectPropertyKind::ObjectProperty(property) => match &property.key {
                        PropertyKey::StaticIdentifier(id) if id.name.as_str() == key => Some(&property.value),
                        _ => None,
                    },
                    ObjectPropertyKind::SpreadProperty(_) => None,
                })
            };
            let (Some(function), Some(Expression::ArrayExpression(paths))) =
                (property("transformFn"), property("paths"))
            else {
                return;
            };
            let Some(kind) = callee_name(function).and_then(kind) else { return };
            let list = out.entry(kind.to_owned()).or_default();
            for element in &paths.elements {
                let ArrayExpressionElement::ObjectExpression(path) = element else { continue };
                for property in &path.properties {
                    if let ObjectPropertyKind::ObjectProperty(property) = property {
                        if let Expression::StringLiteral(value) = &property.value {
                            list.push(value.value.as_str().to_owned());
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// `transformRESTFloatToSDKFloat` -> `float`; the SDK-to-REST direction (requests) is skipped.
fn kind(function: &str) -> Option<&str> {
    let rest = function.strip_prefix("transformREST")?;
    let (kind, _) = rest.split_once("ToSDK")?;
    Some(match kind {
        "Timestamp" => "timestamp",
        "Float" => "float",
        "Image" => "image",
        "Address" => "address",
        "VideoV2" => "video",
        "PageURLV2" => "page_url_v2",
        "PageURL" => "page_url",
        "Bytes" => "bytes",
        "Duration" => "duration",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
var onOrderCreated = /* @__PURE__ */ (0, import_sdk_types.EventDefinition)(
  "wix.ecom.v1.order_created",
  true,
  (event) => (0, import_rename.renameKeysFromRESTResponseToSDKResponse)(
    (0, import_transform_paths.transformPaths)(event, [
      { transformFn: import_timestamp.transformRESTTimestampToSDKTimestamp, paths: [{ path: "entity.createdDate" }] },
      { transformFn: import_float.transformRESTFloatToSDKFloat, paths: [{ path: "entity.lineItems.physicalProperties.weight" }] },
      { transformFn: import_float.transformSDKFloatToRESTFloat, paths: [{ path: "request.x" }] }
    ])
  )
)();
var notAnEvent = foo("x", true, 1);
"#;

    #[test]
    fn reads_event_definitions_and_their_paths() {
        let parsed = parse("index.js", SAMPLE);
        let definitions = match parsed {
            Ok(definitions) => definitions,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(definitions.len(), 1);
        let created = &definitions["onOrderCreated"];
        assert_eq!(created.event_type, "wix.ecom.v1.order_created");
        assert!(created.domain);
        assert_eq!(created.paths["float"], ["entity.lineItems.physicalProperties.weight"]);
        assert_eq!(created.paths["timestamp"], ["entity.createdDate"]);
        assert_eq!(created.paths.len(), 2);
    }

    #[test]
    fn reads_the_exports_of_the_bundled_layout() {
        let text = r#"
exports.onCouponCreated = (0, sdk_types_1.EventDefinition)('wix.ecommerce.coupons.v2.coupon_created', true, (event) => (0, rename_1.renameKeysFromRESTResponseToSDKResponse)((0, transform_paths_1.transformPaths)(event, [
    { transformFn: float_1.transformRESTFloatToSDKFloat, paths: [{ path: 'entity.specification.moneyOffAmount' }] },
])));
exports.createCoupon = createCoupon;
"#;
        let definitions = match parse("x.public.js", text) {
            Ok(definitions) => definitions,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(definitions.keys().collect::<Vec<_>>(), ["onCouponCreated"]);
        let created = &definitions["onCouponCreated"];
        assert_eq!(created.event_type, "wix.ecommerce.coupons.v2.coupon_created");
        assert_eq!(created.paths["float"], ["entity.specification.moneyOffAmount"]);
    }
}
