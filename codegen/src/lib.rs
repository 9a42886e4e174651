//! The generator: `schemas/*.yaml` -> Rust source of the `wix-backend-events` crate.
//!
//! Pure: [`generate`] takes file contents and returns file contents; it never touches
//! the file system. The stages, each a module with one job: [`yaml`] parses each file
//! into its [`syntax`] tree, [`names`] checks the declared names, [`lower`] resolves
//! every type and builds the [`model`], [`analysis`] derives the facts that need the
//! whole type graph (boxing, `Default`), [`emit`] writes Rust (formatted by prettyplease)
//! and the catalogue page.

pub mod analysis;
pub mod diagnostic;
pub mod emit;
pub mod files;
pub mod ident;
pub mod lower;
pub mod model;
pub mod names;
pub mod syntax;
pub mod type_expr;
pub mod unknown_keys;
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
    let mut renames = std::collections::HashMap::new();
    for source in sources {
        let file = yaml::parse(&source.path, &source.text);
        diagnostics.extend(file.diagnostics);
        if let Some(schema) = file.schema {
            parsed.push(syntax::ParsedFile { file: source.path.clone(), schema });
        }
        renames.insert(source.path.as_str(), file.renames);
    }
    let parse_errors = diagnostics.len();
    let names = names::declared(&parsed, &mut diagnostics);
    let mut modules = lower::lower(&parsed, &names, &mut diagnostics);
    names::check_catalogue(&modules, &names, &mut diagnostics);
    // Later stages read misspelled keys under their meant names; point back at the file.
    for diagnostic in &mut diagnostics[parse_errors..] {
        if let Some(renames) = renames.get(diagnostic.location.file.as_str()) {
            renames.restore(&mut diagnostic.location);
        }
    }
    if !diagnostics.is_empty() {
        return Err(sorted(diagnostics));
    }
    modules.sort_by(|a, b| a.path.cmp(&b.path));
    let mut catalogue = model::Catalogue { modules };
    analysis::analyse(&mut catalogue);
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
