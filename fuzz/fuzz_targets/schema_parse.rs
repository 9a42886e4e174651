//! The generator on arbitrary schema text, beside the real `common` schema (so that the
//! input's events can resolve their metadata and reach lowering and emission).
//!
//! Properties: no panic; a failure comes with at least one diagnostic.

#![no_main]

use codegen::SchemaSource;
use libfuzzer_sys::fuzz_target;

const COMMON: &str = include_str!("../../schemas/common/metadata.yaml");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let sources = [
        SchemaSource { path: "schemas/common/metadata.yaml".to_owned(), text: COMMON.to_owned() },
        SchemaSource { path: "schemas/fuzz/input.yaml".to_owned(), text: text.to_owned() },
    ];
    if let Err(diagnostics) = codegen::generate(&sources) {
        assert!(!diagnostics.0.is_empty(), "generation failed without a diagnostic");
    }
});
