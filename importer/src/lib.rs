//! The importer: Wix's `@wix/auto_sdk_*` npm packages -> YAML schemas under `schemas/imported/`.
//!
//! Stages, each a module with one job: [`manifest`] reads what to import
//! (`import/manifest.toml`), [`fetch`] runs `npm pack` into the ignored cache and checks
//! the tarball's integrity, [`typings`] and [`transforms`] parse the `.d.ts` typings and
//! `index.js` with oxc, [`snapshot`] reduces them to the small digest committed under
//! `import/snapshots/` (so that everything after the fetch runs offline), [`overlay`]
//! reads the hand knowledge the typings cannot express, [`share`] finds the types several
//! modules declare the same way, and [`emit`] writes the YAML.
//! [`upstream`] compares a snapshot with one of a newer version (`import --upstream`).

pub mod emit;
pub mod fetch;
pub mod jsdoc;
pub mod manifest;
pub mod overlay;
pub mod share;
pub mod snapshot;
pub mod transforms;
pub mod typings;
pub mod upstream;

#[cfg(test)]
mod test_support;

use std::path::Path;

/// Where the manifest lives, relative to the repository root.
pub const MANIFEST_PATH: &str = "import/manifest.toml";
/// Folder of the committed snapshots.
pub const SNAPSHOT_DIR: &str = "import/snapshots";
/// Folder of the hand-written overlays.
pub const OVERLAY_DIR: &str = "import/overlays";
/// Folder of the generated YAML (never edited by hand).
pub const IMPORTED_DIR: &str = "schemas/imported";
/// The ignored npm cache (tarballs).
pub const CACHE_DIR: &str = ".import-cache";

/// One file the importer wants to exist, relative to the repository root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Path relative to the root.
    pub path: String,
    /// Full contents.
    pub contents: String,
}

/// Fetches every package of the manifest (npm, integrity-checked) and rewrites its snapshot.
pub fn refresh_snapshots(root: &Path) -> Result<Vec<Output>, String> {
    let manifest = manifest::read(root)?;
    let mut outputs = Vec::new();
    for package in &manifest.packages {
        let files = fetch::fetch(root, package)?;
        let snap = snapshot::build(package, &files)?;
        outputs.push(Output { path: snapshot::path(&package.module), contents: snapshot::to_text(&snap)? });
    }
    Ok(outputs)
}

/// The YAML files the committed snapshots and overlays produce (offline): one per
/// module, and the shared modules of the types several modules declare the same way
/// ([`share`]).
pub fn schemas(root: &Path) -> Result<Vec<Output>, String> {
    let manifest = manifest::read(root)?;
    let mut loaded = Vec::new();
    let mut problems = Vec::new();
    for package in &manifest.packages {
        let snap_path = snapshot::path(&package.module);
        let text = std::fs::read_to_string(root.join(&snap_path))
            .map_err(|error| format!("{snap_path}: {error}; run `cargo xtask import` with network once"))?;
        let snap = snapshot::from_text(&snap_path, &text)?;
        if snap.package != package.name || snap.version != package.version {
            problems.push(format!(
                "{snap_path}: snapshot of {}@{} but the manifest pins {}@{}; run `cargo xtask import`",
                snap.package, snap.version, package.name, package.version
            ));
            continue;
        }
        let overlay = overlay::read(root, &package.module)?;
        loaded.push((package, snap, overlay));
    }
    let modules: Vec<share::Module> =
        loaded.iter().map(|(package, snapshot, overlay)| share::Module { package, snapshot, overlay }).collect();
    let plan = share::plan(&modules);
    let mut outputs = Vec::new();
    let nothing_moved = std::collections::BTreeMap::new();
    for module in &modules {
        let moved = plan.moved.get(&module.package.module).unwrap_or(&nothing_moved);
        match emit::module_sharing(module.package, module.snapshot, module.overlay, moved) {
            Ok(yaml) => outputs.push(Output { path: emit::path(&module.package.module), contents: yaml }),
            Err(error) => problems.push(error),
        }
    }
    for (path, types) in &plan.shared {
        outputs.push(Output { path: emit::path(path), contents: share::module_text(path, types) });
    }
    match problems.is_empty() {
        true => Ok(outputs),
        false => Err(problems.join("\n")),
    }
}
