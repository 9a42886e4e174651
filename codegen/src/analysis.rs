//! Facts about the catalogue's type graph that no single type knows: which fields must
//! be boxed, and which structs and event payloads can derive `Default`. Runs once, after
//! lowering, and records its results on the model, so that emission only reads them.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Catalogue, Field, Ty, TypeDecl, TypeRef};

/// Computes every fact and records it on the catalogue: [`Field::boxed`],
/// [`crate::model::Struct::derives_default`] and [`crate::model::Event::derives_default`].
pub fn analyse(catalogue: &mut Catalogue) {
    let graph = TypeGraph::of(catalogue);
    let defaults = graph.default_structs();
    let sizes = graph.sizes();
    for module in &mut catalogue.modules {
        for decl in &mut module.types {
            let TypeDecl::Struct(decl) = decl else { continue };
            let this = TypeRef { module: module.path.clone(), name: decl.name.clone() };
            for field in &mut decl.fields {
                field.boxed = graph.boxes(&this, &field.ty, &sizes);
            }
            decl.derives_default = defaults.contains(&this);
        }
        for event in &mut module.events {
            event.derives_default = fields_have_default(&defaults, &event.fields);
        }
    }
}

/// The catalogue's struct types, each with what its fields hold, owned so that the
/// facts can be recorded on the catalogue while the graph is read.
struct TypeGraph {
    structs: BTreeMap<TypeRef, Shape>,
}

/// What a struct's fields hold, as far as the analyses care.
struct Shape {
    /// The named types of its fields that are held in place (not in a list or a map).
    holds: Vec<TypeRef>,
    /// The types of its required fields.
    required: Vec<Ty>,
    /// The types of all its fields.
    fields: Vec<Ty>,
}

/// A struct held in place by a field is boxed above this estimated size, in bytes.
///
/// serde's derived decoder keeps every field of a struct on the stack while it decodes
/// it, and a debug build gives each temporary a slot of its own, so a decoder's stack
/// frame is a few times the size of its struct. Rich-text nodes (`Node`, with some forty
/// optional node kinds in place) were 22 KB, and a comment with a few levels of nodes
/// overflowed the 2 MiB stack of a test thread or a tokio worker. Boxing the large
/// fields bounds every struct, and so every frame, whatever the depth of the payload.
pub const BOX_ABOVE: usize = 256;

/// Estimated sizes of the catalogue's structs, with their large fields boxed.
type Sizes = BTreeMap<TypeRef, usize>;

impl TypeGraph {
    fn of(catalogue: &Catalogue) -> Self {
        let mut structs = BTreeMap::new();
        for module in &catalogue.modules {
            for decl in &module.types {
                let TypeDecl::Struct(decl) = decl else { continue };
                let holds = decl
                    .fields
                    .iter()
                    .filter_map(|field| match &field.ty {
                        Ty::Named(target) => Some(target.clone()),
                        _ => None,
                    })
                    .collect();
                let required =
                    decl.fields.iter().filter(|field| field.required).map(|field| field.ty.clone()).collect();
                let fields = decl.fields.iter().map(|field| field.ty.clone()).collect();
                let this = TypeRef { module: module.path.clone(), name: decl.name.clone() };
                structs.insert(this, Shape { holds, required, fields });
            }
        }
        Self { structs }
    }

    /// Whether a value of `start` holds a `goal` in place, directly or through others.
    fn reaches(&self, start: &TypeRef, goal: &TypeRef) -> bool {
        let mut stack = vec![start];
        let mut visited = BTreeSet::new();
        while let Some(node) = stack.pop() {
            if node == goal {
                return true;
            }
            if visited.insert(node) {
                stack.extend(self.structs.get(node).into_iter().flat_map(|shape| &shape.holds));
            }
        }
        false
    }

    /// Whether a field of struct `this` with type `ty` is boxed: when the type is a struct
    /// that holds `this` in place (a struct that contains itself, directly or through
    /// others, would have infinite size; lists and maps already allocate), or a struct
    /// larger than [`BOX_ABOVE`].
    fn boxes(&self, this: &TypeRef, ty: &Ty, sizes: &Sizes) -> bool {
        match ty {
            Ty::Named(target) if self.structs.contains_key(target) => {
                self.reaches(target, this) || sizes.get(target).is_some_and(|size| *size > BOX_ABOVE)
            }
            _ => false,
        }
    }

    /// Every struct's estimated size in bytes, with the fields [`Self::boxes`] boxes
    /// counted as pointers. Estimates, on a 64-bit target: what matters is which structs
    /// are large, not their exact size.
    fn sizes(&self) -> Sizes {
        let mut sizes = Sizes::new();
        for reference in self.structs.keys() {
            self.size_of(reference, &mut sizes, &mut BTreeSet::new());
        }
        sizes
    }

    fn size_of(&self, reference: &TypeRef, sizes: &mut Sizes, open: &mut BTreeSet<TypeRef>) -> usize {
        if let Some(size) = sizes.get(reference) {
            return *size;
        }
        let Some(shape) = self.structs.get(reference) else { return 24 };
        if !open.insert(reference.clone()) {
            // Reached again through its own fields: that field is boxed.
            return POINTER;
        }
        let mut size = 0;
        for ty in &shape.fields {
            size += match ty {
                Ty::Named(target) if self.structs.contains_key(target) => {
                    let inner = self.size_of(target, sizes, open);
                    if self.reaches(target, reference) || inner > BOX_ABOVE {
                        POINTER
                    } else {
                        inner
                    }
                }
                other => leaf_size(other),
            };
        }
        open.remove(reference);
        sizes.insert(reference.clone(), size);
        size
    }

    /// The structs that can derive `Default`: those whose required fields all have a
    /// default, found by fixed point since structs refer to each other.
    fn default_structs(&self) -> BTreeSet<TypeRef> {
        let mut set = BTreeSet::new();
        loop {
            let before = set.len();
            for (reference, shape) in &self.structs {
                if !set.contains(reference) && shape.required.iter().all(|ty| ty_has_default(&set, ty)) {
                    set.insert(reference.clone());
                }
            }
            if set.len() == before {
                return set;
            }
        }
    }
}

/// The size of a `Box`.
const POINTER: usize = 8;

/// The estimated size of a field type that is not a struct: `String`, `Vec`, maps and
/// enums (whose `Unknown` holds a `String`) are three words, the wire types a few more.
fn leaf_size(ty: &Ty) -> usize {
    match ty {
        Ty::Bool => 1,
        Ty::Integer | Ty::Float => 8,
        Ty::Int64 => 16,
        Ty::Timestamp => 24,
        Ty::Json => 32,
        Ty::Image | Ty::PageUrl => 96,
        Ty::String | Ty::List(_) | Ty::ItemsList(_) | Ty::Map(_) | Ty::ItemsMap(_) | Ty::Named(_) => 24,
    }
}

/// Whether every required field has a default (optional fields default to `None`).
fn fields_have_default(defaults: &BTreeSet<TypeRef>, fields: &[Field]) -> bool {
    fields.iter().all(|field| !field.required || ty_has_default(defaults, &field.ty))
}

/// Whether a value of `ty` has a default: not timestamps, images and page URLs (no meaningful empty
/// value), and a named type only if it derives `Default` itself.
fn ty_has_default(defaults: &BTreeSet<TypeRef>, ty: &Ty) -> bool {
    match ty {
        Ty::Timestamp | Ty::Image | Ty::PageUrl => false,
        Ty::Named(reference) => defaults.contains(reference),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::tests::{lower_texts, COMMON_SCHEMA};
    use crate::model::{Module, Struct};

    const SCHEMA: &str = "\
module: shop.orders
velo: { prefix: wixShop }
webhook: { fqdn: wix.shop.v1.order }
types:
  Order:
    fields:
      parent: Order
      children: list<Order>
      note: Note
  Note:
    fields:
      order: Order
      text: { type: string, required: true }
  Stamp:
    fields:
      at: { type: timestamp, required: true }
  Stamped:
    fields:
      stamp: { type: Stamp, required: true }
events:
  OrderCreated:
    handler: onOrderCreated
    slug: created
    entity: Order
  OrderStamped:
    handler: onOrderStamped
    slug: stamped
    entity: Stamped
";

    fn analysed() -> Catalogue {
        let (modules, _, diagnostics) = lower_texts(&[("common.yaml", COMMON_SCHEMA), ("orders.yaml", SCHEMA)]);
        assert_eq!(diagnostics, Vec::new());
        let mut catalogue = Catalogue { modules };
        analyse(&mut catalogue);
        catalogue
    }

    fn shop(catalogue: &Catalogue) -> &Module {
        catalogue.modules.iter().find(|module| module.path == ["shop", "orders"]).unwrap_or_else(|| panic!("no shop"))
    }

    fn find_struct<'a>(module: &'a Module, name: &str) -> &'a Struct {
        module
            .types
            .iter()
            .find_map(|decl| match decl {
                TypeDecl::Struct(decl) if decl.name == name => Some(decl),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no struct `{name}`"))
    }

    fn boxed(decl: &Struct, wire: &str) -> bool {
        decl.fields.iter().find(|field| field.wire == wire).is_some_and(|field| field.boxed)
    }

    #[test]
    fn boxes_exactly_the_fields_through_which_a_struct_contains_itself() {
        let catalogue = analysed();
        let shop = shop(&catalogue);
        let (order, note) = (find_struct(shop, "Order"), find_struct(shop, "Note"));
        assert!(boxed(order, "parent"), "direct self-reference");
        assert!(!boxed(order, "children"), "a list allocates already");
        assert!(boxed(order, "note") && boxed(note, "order"), "mutual recursion boxes both sides");
        assert!(!boxed(note, "text"));
        assert!(!boxed(find_struct(shop, "Stamped"), "stamp"), "no cycle, no box");
    }

    /// A struct of twelve strings (about 288 bytes) is boxed where it is held in place; one
    /// of two strings is not; lists allocate already.
    #[test]
    fn boxes_the_fields_of_large_structs() {
        let fields = (0..12).map(|index| format!("      s{index}: string\n")).collect::<String>();
        let schema = format!(
            "module: shop.big\ntypes:\n  Large:\n    fields:\n{fields}  Small:\n    fields:\n      a: string\n      b: string\n  \
             Holder:\n    fields:\n      large: Large\n      small: Small\n      many: list<Large>\n"
        );
        let (modules, _, diagnostics) = lower_texts(&[("common.yaml", COMMON_SCHEMA), ("big.yaml", &schema)]);
        assert_eq!(diagnostics, Vec::new());
        let mut catalogue = Catalogue { modules };
        analyse(&mut catalogue);
        let module = catalogue
            .modules
            .iter()
            .find(|module| module.path == ["shop", "big"])
            .unwrap_or_else(|| panic!("no module"));
        let holder = find_struct(module, "Holder");
        assert!(boxed(holder, "large"), "{} bytes and more are boxed", BOX_ABOVE + 1);
        assert!(!boxed(holder, "small"));
        assert!(!boxed(holder, "many"));
    }

    #[test]
    fn derives_default_only_when_every_required_field_has_one() {
        let catalogue = analysed();
        let shop = shop(&catalogue);
        assert!(find_struct(shop, "Order").derives_default, "optional fields only");
        assert!(find_struct(shop, "Note").derives_default, "a required string has a default");
        assert!(!find_struct(shop, "Stamp").derives_default, "a required timestamp has none");
        assert!(!find_struct(shop, "Stamped").derives_default, "nor a required struct without one");
        let derives = |name: &str| shop.events.iter().any(|event| event.name == name && event.derives_default);
        // Every payload requires `metadata`, which here (an `_id` string) has a default.
        assert!(derives("OrderCreated"));
        assert!(!derives("OrderStamped"));
    }
}
