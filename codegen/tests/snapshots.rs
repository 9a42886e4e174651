//! Snapshots of what the generator emits for small test schemas (`tests/schemas/`) that
//! cover every field type, every envelope and the naming edge cases, plus properties
//! that hold for any input: determinism and output that parses as Rust.
//!
//! The snapshots under `tests/snapshots/` are reviewed golden files. After an intended
//! change to the emitted code, regenerate them with
//! `INSTA_UPDATE=always cargo test -p codegen --test snapshots` (or `cargo insta review`)
//! and read the diff before committing. Under `CI=true` insta fails on a missing or
//! different snapshot instead of writing it.

use std::path::Path;

use codegen::{generate, Generated, OutputFile, SchemaSource};

/// The generated files snapshotted: the test modules, their area crate's root, the
/// crate's top module, the handler trait, the catalogue and the catalogue page. The
/// `common` crate is left out: it comes from the real `schemas/common/metadata.yaml`,
/// which the repository's freshness test already covers.
const SNAPSHOTTED: &[&str] = &[
    "generated/src/gen/mod.rs",
    "generated/areas/shop/src/lib.rs",
    "generated/areas/shop/src/orders.rs",
    "generated/areas/shop/src/catalog.rs",
    "generated/src/gen/handler.rs",
    "generated/src/gen/catalogue.rs",
    "generated/EVENTS.md",
];

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn source(path: &str, on_disk: &Path) -> SchemaSource {
    let text = std::fs::read_to_string(on_disk).unwrap_or_else(|error| panic!("{}: {error}", on_disk.display()));
    SchemaSource { path: path.to_owned(), text }
}

/// The test schemas and the real metadata schema that every envelope needs.
fn sources() -> Vec<SchemaSource> {
    let dir = manifest_dir();
    vec![
        source("schemas/common/metadata.yaml", &dir.join("../schemas/common/metadata.yaml")),
        source("schemas/shop/catalog.yaml", &dir.join("tests/schemas/catalog.yaml")),
        source("schemas/shop/orders.yaml", &dir.join("tests/schemas/orders.yaml")),
    ]
}

fn generated(sources: &[SchemaSource]) -> Generated {
    generate(sources).unwrap_or_else(|diagnostics| panic!("the test schemas must generate:\n{diagnostics}"))
}

fn file<'a>(generated: &'a Generated, path: &str) -> &'a OutputFile {
    generated
        .files
        .iter()
        .find(|file| file.path == path)
        .unwrap_or_else(|| panic!("{path} was not generated; files: {:?}", paths(generated)))
}

fn paths(generated: &Generated) -> Vec<&str> {
    generated.files.iter().map(|file| file.path.as_str()).collect()
}

#[test]
fn emitted_files_match_the_snapshots() {
    let generated = generated(&sources());
    for path in SNAPSHOTTED {
        let name = path.trim_start_matches("generated/").replace(['/', '.'], "_");
        insta::assert_snapshot!(name, file(&generated, path).contents);
    }
}

/// The properties the snapshots exist for, asserted directly so that a careless
/// snapshot update cannot accept their loss.
#[test]
fn emitted_orders_module_handles_the_edge_cases() {
    let generated = generated(&sources());
    let orders = &file(&generated, "generated/areas/shop/src/orders.rs").contents;
    let expect = |needle: &str| assert!(orders.contains(needle), "orders.rs lacks `{needle}`:\n{orders}");
    // Self-recursion through a plain field is boxed; through a list it is not.
    expect("pub parent: Option<Box<Order>>,");
    expect("pub children: Option<Vec<Order>>,");
    // Keywords become raw identifiers, or get a `_` where raw is impossible, and keep
    // their wire name.
    expect("pub r#type: Option<String>,");
    expect("#[serde(rename = \"self\", default, skip_serializing_if = \"Option::is_none\")]\n    pub self_: Option<String>,");
    expect("pub r#match: Option<bool>,");
    // Enum values: digits inside names, a declared UNKNOWN next to the `Unknown`
    // fallback, and SELF, whose plain variant name would be the keyword `Self`.
    expect("StartsIn1Day,");
    expect("UnknownValue,");
    expect("\"SELF\" => Self::SelfValue,");
    expect("Unknown(String),");
    // Cross-module reference, aliases, required and optional envelope bodies.
    expect("pub product: Option<crate::catalog::Product>,");
    expect("alias = \"id\"");
    expect("pub entity: Option<Order>,");
    expect("pub data: Payment,");
}

#[test]
fn generation_is_deterministic_and_independent_of_input_order() {
    let first = generated(&sources()).files;
    let second = generated(&sources()).files;
    assert_eq!(first, second, "two runs on the same input differ");
    let mut reversed = sources();
    reversed.reverse();
    let third = generated(&reversed).files;
    assert_eq!(first, third, "the order of the input files changed the output");
}

#[test]
fn every_emitted_rust_file_parses() {
    let generated = generated(&sources());
    let rust: Vec<&OutputFile> = generated.files.iter().filter(|file| file.path.ends_with(".rs")).collect();
    assert!(rust.len() >= 6, "too few Rust files generated: {:?}", paths(&generated));
    for file in rust {
        if let Err(error) = syn::parse_file(&file.contents) {
            panic!("{} does not parse: {error}\n{}", file.path, file.contents);
        }
    }
}
