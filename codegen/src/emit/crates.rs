//! The area crates. Each Wix area (`ecom`, `crm`, ..., and `common`, which every event's
//! metadata needs) is a crate of its own under [`AREAS_ROOT`], with one cargo feature per
//! module. Cargo compiles separate crates in parallel and rustc's front end does not, so
//! the whole catalogue builds in about half the time on two cores; a change to one
//! area's schemas rebuilds only that area and the crate above it. `wix-backend-events`
//! re-exports each area (`wix_backend_events::ecom`) and keeps what needs every area:
//! the handler trait, the `Event` enum and the catalogue.
//!
//! This module decides where a module's items live and how code names them from
//! elsewhere; the manifests are written by [`super::manifest`].

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::ident::ident;

/// Where the area crates live, relative to the repository root.
pub const AREAS_ROOT: &str = "generated/areas";

/// The package of an area's crate (`pricing_plans` -> `wix-backend-events-pricing-plans`).
pub fn package(area: &str) -> String {
    format!("wix-backend-events-{}", area.replace('_', "-"))
}

/// The library of an area's crate, as Rust code names it.
fn library(area: &str) -> Ident {
    format_ident!("wix_backend_events_{area}")
}

/// The re-export of an area's crate under the area's name, in `wix-backend-events`.
pub fn reexport(area: &str) -> TokenStream {
    let library = library(area);
    let name = ident(area);
    quote! { #[doc(inline)] pub use ::#library as #name; }
}

/// Module `module` as code in module `from` names it: `crate::...` within one area
/// crate, `::wix_backend_events_<area>::...` from another crate. An empty `from` is
/// `wix-backend-events` itself.
pub fn module_path(module: &[String], from: &[String]) -> TokenStream {
    let Some((area, below)) = module.split_first() else { return quote! { crate } };
    let below = below.iter().map(|segment| ident(segment));
    if from.first() == Some(area) {
        quote! { crate #(:: #below)* }
    } else {
        let library = library(area);
        quote! { :: #library #(:: #below)* }
    }
}

/// The feature that compiles module `path` within its area crate (`orders` for
/// `ecom.orders`); `None` for a module that is the area itself, compiled with the crate.
pub fn local_feature(path: &[String]) -> Option<String> {
    (path.len() > 1).then(|| path[1..].join("-"))
}

/// The crate-relative file of module `path` in its area crate: the area itself is
/// `src/lib.rs`; below it, `src/<a>/<b>.rs`, or `.../mod.rs` for a module with children.
pub fn module_file(path: &[String], has_children: bool) -> String {
    match path {
        [] | [_] => format!("{AREAS_ROOT}/{}/src/lib.rs", path.first().map_or("", String::as_str)),
        [area, below @ ..] => {
            let dir = format!("{AREAS_ROOT}/{area}/src/{}", below.join("/"));
            if has_children {
                format!("{dir}/mod.rs")
            } else {
                format!("{dir}.rs")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(dotted: &str) -> Vec<String> {
        dotted.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn paths_are_crate_relative_within_an_area_and_absolute_across() {
        let within = module_path(&path("ecom.shared"), &path("ecom.orders")).to_string();
        assert_eq!(within, "crate :: shared");
        let across = module_path(&path("shared.types"), &path("ecom.orders")).to_string();
        assert_eq!(across, ":: wix_backend_events_shared :: types");
        let common = module_path(&path("common"), &path("pricing_plans.orders")).to_string();
        assert_eq!(common, ":: wix_backend_events_common");
        let from_the_top = module_path(&path("pricing_plans.orders"), &[]).to_string();
        assert_eq!(from_the_top, ":: wix_backend_events_pricing_plans :: orders");
    }

    #[test]
    fn files_and_features_are_named_within_the_area() {
        assert_eq!(package("pricing_plans"), "wix-backend-events-pricing-plans");
        assert_eq!(module_file(&path("common"), false), "generated/areas/common/src/lib.rs");
        assert_eq!(module_file(&path("ecom.orders"), false), "generated/areas/ecom/src/orders.rs");
        assert_eq!(module_file(&path("a.b"), true), "generated/areas/a/src/b/mod.rs");
        assert_eq!(local_feature(&path("ecom.orders")), Some("orders".to_owned()));
        assert_eq!(local_feature(&path("a.b.c")), Some("b-c".to_owned()));
        assert_eq!(local_feature(&path("common")), None);
    }
}
