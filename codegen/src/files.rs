//! The generator's inputs and outputs: files as a path and their text. The generator
//! never touches the file system; the xtask reads these in and writes them out.

/// A schema file given to the generator.
#[derive(Debug, Clone)]
pub struct SchemaSource {
    /// Path shown in diagnostics, relative to the repository root (`schemas/crm/contacts.yaml`).
    pub path: String,
    /// File contents.
    pub text: String,
}

/// A file the generator wants to exist, relative to the repository root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the repository root (`generated/areas/crm/src/contacts.rs`).
    pub path: String,
    /// Full contents.
    pub contents: String,
}
