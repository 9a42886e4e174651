//! The generator: `schemas/*.yaml` -> Rust source of the `wix-backend-events` crate.
//!
//! Pure: [`generate`] takes file contents and returns file contents; it never touches
//! the file system. The stages, each a module with one job:
//! [`yaml`] parses, [`validate`] checks everything and builds the [`model`],
//! [`emit`] writes Rust (formatted by prettyplease) and the catalogue page.

pub mod diagnostic;
pub mod emit;
pub mod files;
pub mod ident;
pub mod model;
pub mod syntax;
pub mod type_expr;
pub mod validate;
pub mod yaml;

pub use diagnostic::{Diagnostic, Diagnostics, Location};
pub use files::{OutputFile, SchemaSource};

/// What one generation produces.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The validated catalogue.
    pub catalogue: model::Catalogue,
    /// Every generated file, sorted by path.
    pub files: Vec<OutputFile>,
}

/// Path of the schema format's JSON Schema, relative to the repository root.
pub const FORMAT_SCHEMA_PATH: &str = "schemas/schema-format.json";

/// Parses, validates and emits. On any error returns all of them, sorted by location.
pub fn generate(sources: &[SchemaSource]) -> Result<Generated, Diagnostics> {
    let mut diagnostics = Vec::new();
    let mut parsed = Vec::new();
    for source in sources {
        match yaml::parse(&source.path, &source.text) {
            Ok(schema) => parsed.push(validate::Parsed { file: source.path.clone(), schema }),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    let catalogue = match validate::validate(&parsed) {
        Ok(catalogue) if diagnostics.is_empty() => catalogue,
        Ok(_) => return Err(sorted(diagnostics)),
        Err(found) => {
            diagnostics.extend(found);
            return Err(sorted(diagnostics));
        }
    };
    let mut files = emit::emit(&catalogue).map_err(|message| {
        Diagnostics(vec![Diagnostic::new(Location { file: "codegen".into(), line: 1, column: 1 }, message)])
    })?;
    files.push(OutputFile { path: FORMAT_SCHEMA_PATH.into(), contents: syntax::json_schema() });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Generated { catalogue, files })
}

fn sorted(mut diagnostics: Vec<Diagnostic>) -> Diagnostics {
    diagnostics.sort_by(|a, b| a.location.cmp(&b.location).then_with(|| a.message.cmp(&b.message)));
    Diagnostics(diagnostics)
}
