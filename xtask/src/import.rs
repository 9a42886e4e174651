//! `cargo xtask import [--check | --offline]`: the importer's outputs on disk.
//!
//! - `import`: fetch every manifest package with npm (cached, integrity-checked), rewrite
//!   its snapshot, then the YAML under `schemas/imported/`.
//! - `import --offline`: only the YAML, from the committed snapshots and overlays.
//! - `import --check`: like `--offline`, but fail with a diff instead of writing.
//! - `import --upstream [--write]`: compare each package with the registry's latest
//!   version and report the changes (`importer::upstream`); `--write` pins the newer ones.

use std::fs;
use std::path::{Path, PathBuf};

use importer::Output;

/// Options of `cargo xtask import`.
#[derive(clap::Args)]
pub struct Args {
    /// Regenerate the YAML from the committed snapshots and overlays and fail if anything would change.
    #[arg(long, conflicts_with = "offline")]
    check: bool,
    /// Regenerate the YAML from the committed snapshots without fetching.
    #[arg(long)]
    offline: bool,
    /// Ask the npm registry for each package's latest version and report what it changes:
    /// events added or removed, fields added, removed or retyped, enum values. Fails when
    /// something was removed or retyped. Needs network.
    #[arg(long, conflicts_with_all = ["check", "offline"])]
    upstream: bool,
    /// With `--upstream`: pin the newer versions in the manifest, rewrite their snapshots
    /// and the imported YAML.
    #[arg(long, requires = "upstream")]
    write: bool,
}

/// Runs the task.
pub fn run(root: &Path, args: Args) -> Result<(), String> {
    if args.check {
        return check(root);
    }
    if args.upstream {
        return upstream(root, args.write);
    }
    if !args.offline {
        // Every snapshot is built before any file is written: one bad package writes nothing.
        let snapshots = importer::refresh_snapshots(root)?;
        write_all(root, &snapshots)?;
    }
    let schemas = importer::schemas(root)?;
    let stale = stale_files(root, &schemas);
    write_all(root, &schemas)?;
    for path in &stale {
        fs::remove_file(root.join(path)).map_err(|error| format!("{path}: {error}"))?;
    }
    println!("import: {} modules written to {}/", schemas.len(), importer::IMPORTED_DIR);
    println!("run `cargo xtask codegen` to regenerate the crate");
    Ok(())
}

/// `import --upstream [--write]`.
fn upstream(root: &Path, write: bool) -> Result<(), String> {
    let manifest_path = root.join(importer::MANIFEST_PATH);
    let text = fs::read_to_string(&manifest_path).map_err(|error| format!("{}: {error}", importer::MANIFEST_PATH))?;
    let manifest = importer::manifest::parse(&text)?;
    let mut pinned = text.clone();
    let mut snapshots = Vec::new();
    let mut breaking = Vec::new();
    for package in &manifest.packages {
        let (version, integrity) = importer::fetch::latest(&package.name)?;
        if version == package.version {
            println!("{} {}: the latest version", package.name, package.version);
            continue;
        }
        let latest = importer::manifest::Package { version, integrity, ..package.clone() };
        let files = importer::fetch::fetch(root, &latest)?;
        let new = importer::snapshot::build(&latest, &files)?;
        let path = importer::snapshot::path(&package.module);
        let committed = fs::read_to_string(root.join(&path)).map_err(|error| format!("{path}: {error}"))?;
        let old = importer::snapshot::from_text(&path, &committed)?;
        let report = importer::upstream::diff(&old, &new);
        print!("{report}");
        if report.is_breaking() {
            breaking.push(format!("{}@{}", latest.name, latest.version));
        }
        pinned = importer::manifest::with_pin(&pinned, &latest.name, &latest.version, &latest.integrity)?;
        snapshots.push(Output { path, contents: importer::snapshot::to_text(&new)? });
    }
    if snapshots.is_empty() {
        println!("import --upstream: every package is at its latest version");
    } else if write {
        write_all(root, &snapshots)?;
        crate::atomic::write(&manifest_path, &pinned)?;
        run(root, Args { check: false, offline: true, upstream: false, write: false })?;
    } else {
        println!("import --upstream: newer versions of {} packages; `--write` pins them", snapshots.len());
    }
    match breaking.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "import --upstream: removals or type changes in {}; check the events and fields above before pinning",
            breaking.join(", ")
        )),
    }
}

/// `import --check`.
pub fn check(root: &Path) -> Result<(), String> {
    let schemas = importer::schemas(root)?;
    let mut report = String::new();
    for output in &schemas {
        let current = fs::read_to_string(root.join(&output.path)).ok();
        if current.as_deref() != Some(output.contents.as_str()) {
            let diff = similar::TextDiff::from_lines(current.as_deref().unwrap_or(""), &output.contents);
            report.push_str(&format!(
                "{}",
                diff.unified_diff()
                    .context_radius(2)
                    .header(&format!("a/{}", output.path), &format!("b/{}", output.path))
            ));
        }
    }
    for path in stale_files(root, &schemas) {
        report.push_str(&format!("{path}: not produced by the manifest (remove it)\n"));
    }
    match report.is_empty() {
        true => {
            println!("import --check: {} imported modules are up to date", schemas.len());
            Ok(())
        }
        false => Err(format!(
            "{report}\nimport --check: the imported schemas differ from the snapshots and overlays; run `cargo xtask import --offline` (never edit them by hand)"
        )),
    }
}

fn write_all(root: &Path, outputs: &[Output]) -> Result<(), String> {
    for output in outputs {
        let path = root.join(&output.path);
        if fs::read_to_string(&path).ok().as_deref() == Some(output.contents.as_str()) {
            continue;
        }
        crate::atomic::write(&path, &output.contents)?;
    }
    Ok(())
}

/// YAML files under `schemas/imported/` that the manifest no longer produces.
fn stale_files(root: &Path, outputs: &[Output]) -> Vec<String> {
    let mut found = Vec::new();
    collect(&root.join(importer::IMPORTED_DIR), &mut found);
    let mut stale: Vec<String> = found
        .iter()
        .filter_map(|path| path.strip_prefix(root).ok())
        .map(|path| path.to_string_lossy().replace('\\', "/"))
        .filter(|path| !outputs.iter().any(|output| &output.path == path))
        .collect();
    stale.sort();
    stale
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "yaml") {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch copy of the importer's inputs and outputs (manifest, snapshots, overlays,
    /// imported YAML), so that the tests can edit them without touching the repository.
    fn scratch(name: &str) -> PathBuf {
        let repo = crate::sync::repo_root();
        let dir = std::env::temp_dir().join(format!("xtask-import-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for sub in ["import", importer::IMPORTED_DIR] {
            copy_dir(&repo.join(sub), &dir.join(sub));
        }
        dir
    }

    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap_or_else(|error| panic!("{}: {error}", to.display()));
        for entry in fs::read_dir(from).unwrap_or_else(|error| panic!("{}: {error}", from.display())).flatten() {
            let path = entry.path();
            let target = to.join(entry.file_name());
            if path.is_dir() {
                copy_dir(&path, &target);
            } else {
                fs::copy(&path, &target).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            }
        }
    }

    #[test]
    fn the_committed_imports_are_up_to_date() {
        let result = check(&crate::sync::repo_root());
        assert!(result.is_ok(), "{}", result.err().unwrap_or_default());
    }

    #[test]
    fn check_detects_a_hand_edit_of_the_imported_yaml() {
        let dir = scratch("edit");
        assert!(check(&dir).is_ok());
        let yaml = dir.join(importer::IMPORTED_DIR).join("ecom/orders.yaml");
        let text = fs::read_to_string(&yaml).unwrap_or_default();
        fs::write(&yaml, text.replacen("handler: onOrderCreated", "handler: onOrderMade", 1)).unwrap_or_default();
        let report = check(&dir).err().unwrap_or_default();
        assert!(report.contains("-    handler: onOrderMade"), "{report}");
        assert!(report.contains("+    handler: onOrderCreated"), "{report}");
        // `import --offline` puts it back.
        assert!(run(&dir, Args { check: false, offline: true, upstream: false, write: false }).is_ok());
        assert!(check(&dir).is_ok());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_overlay_field_the_typings_lack_is_reported_and_nothing_is_written() {
        let dir = scratch("overlay");
        let overlay = dir.join(importer::overlay::path("ecom.orders"));
        let before = fs::read_to_string(&overlay).unwrap_or_default();
        fs::write(&overlay, format!("{before}\n[fields.\"Order.noSuchField\"]\ntype = \"int64\"\n"))
            .unwrap_or_default();
        let yaml = dir.join(importer::IMPORTED_DIR).join("ecom/orders.yaml");
        let yaml_before = fs::read_to_string(&yaml).unwrap_or_default();
        let error =
            run(&dir, Args { check: false, offline: true, upstream: false, write: false }).err().unwrap_or_default();
        assert!(
            error.contains(
                "[fields.\"Order.noSuchField\"]: the typings of @wix/auto_sdk_ecom_orders@1.0.300 have no such field"
            ),
            "{error}"
        );
        assert_eq!(fs::read_to_string(&yaml).unwrap_or_default(), yaml_before);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_overlay_changes_a_field_type() {
        let dir = scratch("int64");
        let overlay = dir.join(importer::overlay::path("ecom.orders"));
        let before = fs::read_to_string(&overlay).unwrap_or_default();
        fs::write(&overlay, format!("{before}\n[fields.\"Order.number\"]\ntype = \"int64\"\n")).unwrap_or_default();
        assert!(run(&dir, Args { check: false, offline: true, upstream: false, write: false }).is_ok());
        let yaml = fs::read_to_string(dir.join(importer::IMPORTED_DIR).join("ecom/orders.yaml")).unwrap_or_default();
        assert!(yaml.contains("      number: { type: \"int64\""), "{yaml}");
        let _ = fs::remove_dir_all(&dir);
    }
}
