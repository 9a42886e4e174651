//! Types that several imported modules declare identically, written once in a shared
//! module.
//!
//! Each SDK package carries its own copy of every type it uses, so the modules of one
//! area repeat their addresses, prices and line items, and blog posts, forms, events and
//! stores each repeat the rich-content nodes: over half the declarations of the imported
//! modules are copies. A type goes to a shared module when two or more modules declare it
//! the same way: same name, same YAML (docs included, overlays applied), and the types it
//! refers to shared the same way, all the way down. Types shared within one area go to
//! `<area>.shared` (`ecom.shared`); types shared across areas to [`CROSS_AREA`]. The
//! modules then refer to them by their qualified name (`ecom.shared.Address`), and each
//! module's cargo feature enables the shared modules it needs.
//!
//! A type an overlay changes stays in its module, as do two different types of the same
//! name bound for one shared module (the one more modules use is shared) and whatever
//! refers to a type that stays.

use std::cmp::Reverse;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::hash::{Hash, Hasher};

use crate::emit;
use crate::manifest::Package;
use crate::overlay::Overlay;
use crate::snapshot::{Snapshot, TypeDecl};
use crate::typings::Ty;

/// The module of the types shared by modules of different areas.
pub const CROSS_AREA: &str = "shared.types";

/// One imported module, as the sharing sees it.
pub struct Module<'a> {
    /// Its manifest entry.
    pub package: &'a Package,
    /// Its snapshot.
    pub snapshot: &'a Snapshot,
    /// Its overlay.
    pub overlay: &'a Overlay,
}

/// Where the shared types go.
#[derive(Debug, Default)]
pub struct Plan {
    /// Per module path: the types it no longer writes, by their name in the module, with
    /// the qualified name to refer to them by.
    pub moved: BTreeMap<String, BTreeMap<String, String>>,
    /// Per shared module path: its types, each as (name, YAML).
    pub shared: BTreeMap<String, Vec<(String, String)>>,
}

/// A type of one module: the module's index and the type's snapshot name.
type Node = (usize, String);

/// How strongly a group claims a shared name: its number of modules, then its first
/// module's place in the manifest (earlier wins).
type Rank = (usize, Reverse<usize>);

/// Finds the types to share among `modules` and writes them.
pub fn plan(modules: &[Module]) -> Plan {
    let renames: Vec<BTreeMap<String, String>> =
        modules.iter().map(|module| emit::local_renames(module.snapshot, module.overlay)).collect();
    let local = |index: usize, name: &str| renames[index].get(name).cloned().unwrap_or_else(|| name.to_owned());
    let mut keys = Keys { modules, renames: &renames, done: BTreeMap::new(), visiting: BTreeMap::new() };

    // Identical types, grouped; only those in two or more modules are candidates.
    let mut groups: BTreeMap<u64, Vec<Node>> = BTreeMap::new();
    for (index, module) in modules.iter().enumerate() {
        for name in module.snapshot.types.keys() {
            let key = keys.of(index, name);
            groups.entry(key).or_default().push((index, name.clone()));
        }
    }
    groups.retain(|_, members| members.len() > 1);
    let target_of = |members: &[Node]| -> String {
        let areas: BTreeSet<&str> = members.iter().map(|(index, _)| area(&modules[*index].package.module)).collect();
        match areas.len() {
            1 => format!("{}.shared", areas.iter().next().copied().unwrap_or_default()),
            _ => CROSS_AREA.to_owned(),
        }
    };

    // One type per name in each shared module: the one the most modules use, and among
    // equals the one whose first user comes first in the manifest. Ranking by the key
    // instead would let a hash decide, and the output could change with the toolchain.
    let mut placed: BTreeMap<u64, String> = BTreeMap::new();
    let mut taken: BTreeMap<(String, String), (Rank, u64)> = BTreeMap::new();
    for (key, members) in &groups {
        let (index, name) = &members[0];
        let slot = (target_of(members), local(*index, name));
        let rank = (members.len(), Reverse(*index));
        let better = taken.get(&slot).is_none_or(|(best, _)| rank > *best);
        if better {
            taken.insert(slot, (rank, *key));
        }
    }
    for ((target, _), (_, key)) in taken {
        placed.insert(key, target);
    }

    // A shared type may only refer to shared types: drop the others until none is left.
    loop {
        let dropped: Vec<u64> = placed
            .keys()
            .copied()
            .filter(|key| {
                let (index, name) = &groups[key][0];
                refs(modules[*index].snapshot, name).iter().any(|child| !placed.contains_key(&keys.of(*index, child)))
            })
            .collect();
        if dropped.is_empty() {
            break;
        }
        for key in dropped {
            placed.remove(&key);
        }
    }

    let mut plan = Plan::default();
    for (key, target) in &placed {
        for (index, name) in &groups[key] {
            let local_name = local(*index, name);
            let qualified = format!("{target}.{local_name}");
            plan.moved.entry(modules[*index].package.module.clone()).or_default().insert(local_name, qualified);
        }
    }
    for (key, target) in &placed {
        let (index, name) = &groups[key][0];
        let module = &modules[*index];
        let moved = &plan.moved[&module.package.module];
        // Within its shared module a type names its neighbours plainly.
        let rename = |child: &str| {
            let child = local(*index, child);
            match moved.get(&child) {
                Some(qualified) if qualified.rsplit_once('.').is_some_and(|(module, _)| module == target) => child,
                Some(qualified) => qualified.clone(),
                None => child,
            }
        };
        let Some(decl) = module.snapshot.types.get(name) else { continue };
        let text = emit::type_text(module.package, module.snapshot, module.overlay, name, decl, &rename);
        plan.shared.entry(target.clone()).or_default().push((local(*index, name), text));
    }
    for types in plan.shared.values_mut() {
        types.sort();
    }
    plan
}

/// The YAML of a shared module.
pub fn module_text(path: &str, types: &[(String, String)]) -> String {
    let depth = path.matches('.').count() + 1;
    let mut out = String::new();
    let _ = writeln!(out, "# yaml-language-server: $schema={}schema-format.json", "../".repeat(depth));
    out.push_str(
        "# @generated by `cargo xtask import`: the types several imported modules declare the same way.\n# Do not edit: change the overlays or the manifest and run `cargo xtask import`.\n",
    );
    let _ = writeln!(out, "module: {path}");
    let scope = match path {
        CROSS_AREA => "modules of different areas".to_owned(),
        _ => format!("modules of `{}`", area(path)),
    };
    let _ = writeln!(
        out,
        "doc: {}",
        serde_json::to_string(&format!("Types that several {scope} share, written once.")).unwrap_or_default()
    );
    out.push_str("types:\n");
    for (_, text) in types {
        out.push_str(text);
    }
    out
}

/// The area of a module path (`ecom` of `ecom.orders`).
fn area(module: &str) -> &str {
    module.split('.').next().unwrap_or(module)
}

/// The snapshot names of the types `name`'s fields refer to.
fn refs(snapshot: &Snapshot, name: &str) -> BTreeSet<String> {
    fn walk(ty: &Ty, out: &mut BTreeSet<String>) {
        match ty {
            Ty::Ref(name) => {
                out.insert(name.clone());
            }
            Ty::List(inner) | Ty::Map(inner) => walk(inner, out),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    if let Some(TypeDecl::Struct { fields, .. }) = snapshot.types.get(name) {
        for field in fields {
            walk(&field.ty, &mut out);
        }
    }
    out.retain(|child| snapshot.types.contains_key(child));
    out
}

/// Structural keys of types: equal for types written the same way whose referred types
/// are equal the same way.
struct Keys<'a> {
    modules: &'a [Module<'a>],
    renames: &'a [BTreeMap<String, String>],
    /// Keys that do not depend on the path they were reached by.
    done: BTreeMap<Node, u64>,
    /// The types whose key is being computed, with their depth: a reference back to one
    /// (a recursive type such as a rich-content node) counts by its name.
    visiting: BTreeMap<Node, usize>,
}

impl Keys<'_> {
    /// The key of a type, as seen from the top (no type being computed).
    fn of(&mut self, index: usize, name: &str) -> u64 {
        self.key(index, name).0
    }

    /// The key of a type, and the depth of the outermost type on the way that a
    /// reference back reached (`usize::MAX` for none): a key that depends on a type above
    /// it is not kept, since it is only right on that way.
    fn key(&mut self, index: usize, name: &str) -> (u64, usize) {
        let node = (index, name.to_owned());
        if let Some(key) = self.done.get(&node) {
            return (*key, usize::MAX);
        }
        let module = &self.modules[index];
        let local = self.renames[index].get(name).cloned().unwrap_or_else(|| name.to_owned());
        let mut hasher = DefaultHasher::new();
        if let Some(depth) = self.visiting.get(&node) {
            ("cycle", &local).hash(&mut hasher);
            return (hasher.finish(), *depth);
        }
        let depth = self.visiting.len();
        self.visiting.insert(node.clone(), depth);
        let renames = &self.renames[index];
        let rename = |child: &str| renames.get(child).cloned().unwrap_or_else(|| child.to_owned());
        let text = match module.snapshot.types.get(name) {
            Some(decl) => emit::type_text(module.package, module.snapshot, module.overlay, name, decl, &rename),
            None => String::new(),
        };
        (&local, &text).hash(&mut hasher);
        let prefix = format!("{name}.");
        let overlaid =
            module.overlay.fields.keys().chain(module.overlay.add.keys()).any(|key| key.starts_with(&prefix));
        if overlaid {
            // Changed by hand for this module: never the same as another module's.
            module.package.module.hash(&mut hasher);
        }
        let mut reached = usize::MAX;
        for child in refs(module.snapshot, name) {
            let (key, child_reached) = self.key(index, &child);
            key.hash(&mut hasher);
            reached = reached.min(child_reached);
        }
        self.visiting.remove(&node);
        let key = hasher.finish();
        if reached >= depth {
            self.done.insert(node, key);
        }
        (key, reached)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{field, record, reference};

    /// A module `module` whose event's entity `Entity` refers to each of `types`.
    fn module(module: &str, types: Vec<(&str, TypeDecl)>) -> (Package, Snapshot) {
        let mut types: BTreeMap<String, TypeDecl> =
            types.into_iter().map(|(name, decl)| (name.to_owned(), decl)).collect();
        // A field of its own keeps each module's entity apart.
        let own = field(&module.replace('.', "_"), Ty::String);
        let refs = types.keys().map(|name| field(&name.to_lowercase(), reference(name)));
        types.insert("Entity".to_owned(), record(refs.chain([own]).collect()));
        crate::test_support::module(module, "Entity", types)
    }

    fn plan_of(modules: &[(Package, Snapshot)], overlays: &[Overlay]) -> Plan {
        let modules: Vec<Module> = modules
            .iter()
            .zip(overlays)
            .map(|((package, snapshot), overlay)| Module { package, snapshot, overlay })
            .collect();
        plan(&modules)
    }

    fn address() -> TypeDecl {
        record(vec![field("city", Ty::String), field("location", reference("Location"))])
    }

    fn location() -> TypeDecl {
        record(vec![field("latitude", Ty::Number)])
    }

    fn names(plan: &Plan, shared: &str) -> Vec<String> {
        plan.shared.get(shared).map(|types| types.iter().map(|(name, _)| name.clone()).collect()).unwrap_or_default()
    }

    #[test]
    fn identical_types_of_one_area_go_to_its_shared_module_and_across_areas_to_the_common_one() {
        let modules = [
            module("ecom.orders", vec![("Address", address()), ("Location", location())]),
            module("ecom.checkout", vec![("Address", address()), ("Location", location())]),
            module("stores.products", vec![("Location", location())]),
        ];
        let plan = plan_of(&modules, &[Overlay::default(), Overlay::default(), Overlay::default()]);
        assert_eq!(names(&plan, "ecom.shared"), ["Address"]);
        assert_eq!(names(&plan, CROSS_AREA), ["Location"]);
        // The shared Address names the cross-area Location by its qualified name.
        let (_, text) = &plan.shared["ecom.shared"][0];
        assert!(text.contains("type: \"shared.types.Location\""), "{text}");
        assert_eq!(plan.moved["ecom.orders"]["Address"], "ecom.shared.Address");
        assert_eq!(plan.moved["stores.products"]["Location"], "shared.types.Location");
        // Each module's `Entity` differs, so each keeps its own.
        assert!(plan.moved.values().all(|moved| !moved.contains_key("Entity")));
    }

    #[test]
    fn a_type_that_differs_below_or_is_overlaid_stays_in_its_modules() {
        let other_location = record(vec![field("longitude", Ty::Number)]);
        let modules = [
            module("ecom.orders", vec![("Address", address()), ("Location", location())]),
            module("ecom.checkout", vec![("Address", address()), ("Location", other_location)]),
            module("ecom.cart", vec![("Location", location())]),
        ];
        let plan = plan_of(&modules, &[Overlay::default(), Overlay::default(), Overlay::default()]);
        // Same text, but its Location differs: not the same Address.
        assert_eq!(names(&plan, "ecom.shared"), ["Location"]);
        assert_eq!(plan.moved["ecom.orders"].len(), 1);
        assert!(!plan.moved.contains_key("ecom.checkout"));

        let overlaid: Overlay = crate::overlay::parse("o.toml", "[fields.\"Location.latitude\"]\ntype = \"float\"\n")
            .unwrap_or_else(|error| panic!("{error}"));
        let plan = plan_of(&modules, &[overlaid, Overlay::default(), Overlay::default()]);
        assert!(names(&plan, "ecom.shared").is_empty(), "{:?}", plan.shared);
    }

    #[test]
    fn recursive_types_are_shared_whichever_type_is_met_first() {
        // Node -> list<Node> and Node -> Data -> Node, in two modules that reach the cycle
        // from different types.
        let node =
            record(vec![field("nodes", Ty::List(Box::new(reference("Node")))), field("data", reference("Data"))]);
        let data = record(vec![field("parent", reference("Node"))]);
        let modules = [
            module("blog.posts", vec![("Node", node.clone()), ("Data", data.clone())]),
            module(
                "blog.drafts",
                vec![("Data", data), ("Node", node), ("Aaa", record(vec![field("d", reference("Data"))]))],
            ),
        ];
        let plan = plan_of(&modules, &[Overlay::default(), Overlay::default()]);
        assert_eq!(names(&plan, "blog.shared"), ["Data", "Node"]);
    }
}
