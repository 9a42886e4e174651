//! Keeping `generated/` in sync with `schemas/`: compute what the files should be,
//! then write only what changed (`codegen`) or report the difference (`check`).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use codegen::emit::{AREAS_ROOT, RUST_ROOT, TEMPLATE_PATH};
use codegen::{Generated, OutputFile, SchemaSource};

/// The folders whose generated files codegen removes when no schema produces them any
/// more: the modules of `wix-backend-events`, and the area crates.
const GENERATED_DIRS: [&str; 2] = [RUST_ROOT, AREAS_ROOT];

/// The command that fixes drift, quoted in every drift message.
pub const FIX: &str = "cargo xtask codegen";

/// The repository root (the xtask lives one level below it).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Every `*.yaml` under `schemas/`, sorted, with paths relative to the root.
pub fn read_schemas(root: &Path) -> Result<Vec<SchemaSource>, String> {
    let mut paths = Vec::new();
    collect_yaml(&root.join("schemas"), &mut paths)?;
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).map_err(|error| format!("{}: {error}", path.display()))?;
            Ok(SchemaSource { path: relative(root, &path), text })
        })
        .collect()
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|error| format!("{}: {error}", dir.display()))?.path();
        if path.is_dir() {
            collect_yaml(&path, out)?;
        } else if path.extension().is_some_and(|extension| extension == "yaml" || extension == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// What it takes to bring the tree in line with the schemas.
pub struct Plan {
    /// Schemas read.
    pub schemas: usize,
    /// Events in the catalogue.
    pub events: usize,
    /// Files whose contents must change: (file, current contents if any).
    pub writes: Vec<(OutputFile, Option<String>)>,
    /// Generated files no schema produces any more.
    pub removals: Vec<String>,
}

/// Generates in memory and compares with the tree. Errors are the schema diagnostics.
pub fn plan(root: &Path) -> Result<Plan, String> {
    let sources = read_schemas(root)?;
    let Generated { catalogue, mut files } =
        codegen::generate(&sources).map_err(|diagnostics| diagnostics.to_string())?;
    // The manifests are generated too: the template with the catalogue's features, and
    // the area crates'.
    let template = fs::read_to_string(root.join(TEMPLATE_PATH)).map_err(|error| format!("{TEMPLATE_PATH}: {error}"))?;
    files.extend(codegen::emit::manifests(&template, &catalogue)?);
    let mut writes = Vec::new();
    for file in &files {
        let current = fs::read_to_string(root.join(&file.path)).ok();
        if is_stale(current.as_deref(), &file.contents) {
            writes.push((file.clone(), current));
        }
    }
    let wanted: BTreeSet<&str> = files.iter().map(|file| file.path.as_str()).collect();
    let mut existing = Vec::new();
    for dir in GENERATED_DIRS {
        collect_files(&root.join(dir), &mut existing);
    }
    let mut removals: Vec<String> = existing
        .into_iter()
        .map(|path| relative(root, &path))
        .filter(|path| !wanted.contains(path.as_str()))
        .filter(|path| is_partial(path) || is_generated(&root.join(path)))
        .collect();
    // What an interrupted codegen left half-done (see `atomic`), also beside the files
    // outside the Rust tree.
    removals.extend(
        files
            .iter()
            .map(|file| crate::atomic::partial_path(&root.join(&file.path)))
            .filter(|partial| partial.is_file())
            .map(|partial| relative(root, partial.as_path())),
    );
    removals.sort_unstable();
    removals.dedup();
    Ok(Plan { schemas: sources.len(), events: catalogue.events().count(), writes, removals })
}

/// Whether a file's current text differs from what the schemas produce. Line endings
/// do not count: a Windows checkout (`core.autocrlf`) has CRLF copies of files that are
/// otherwise fresh, and rewriting them would only churn.
fn is_stale(current: Option<&str>, wanted: &str) -> bool {
    current.is_none_or(|current| lf(current) != lf(wanted))
}

/// `text` with CRLF line endings turned into LF.
fn lf(text: &str) -> Cow<'_, str> {
    if text.contains("\r\n") {
        Cow::Owned(text.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// A file an interrupted codegen left (see `atomic`): removed whatever it holds.
fn is_partial(path: &str) -> bool {
    path.ends_with(".partial")
}

/// Only files carrying a generated header are ever removed; hand-written files are never touched.
fn is_generated(path: &Path) -> bool {
    fs::read_to_string(path).is_ok_and(|text| {
        text.starts_with(codegen::emit::HEADER) || text.starts_with(codegen::emit::manifest::MANIFEST_HEADER)
    })
}

/// `cargo xtask codegen`.
pub fn codegen(root: &Path) -> Result<(), String> {
    let plan = plan(root)?;
    apply(root, &plan, crate::atomic::write)?;
    println!(
        "codegen: {} schemas, {} events, {} files changed ({} written, {} removed)",
        plan.schemas,
        plan.events,
        plan.writes.len() + plan.removals.len(),
        plan.writes.len(),
        plan.removals.len()
    );
    Ok(())
}

/// Writes and removes what `plan` lists; `write` writes one file (atomically, see
/// `atomic`; tests pass one that stops part way).
fn apply(root: &Path, plan: &Plan, mut write: impl FnMut(&Path, &str) -> Result<(), String>) -> Result<(), String> {
    // Removals first: a partial file listed there would be consumed by its file's write.
    for path in &plan.removals {
        fs::remove_file(root.join(path)).map_err(|error| format!("{path}: {error}"))?;
    }
    for (file, _) in &plan.writes {
        write(&root.join(&file.path), &file.contents)?;
    }
    for dir in GENERATED_DIRS {
        remove_empty_dirs(&root.join(dir));
    }
    Ok(())
}

fn remove_empty_dirs(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            remove_empty_dirs(&path);
            let _ = fs::remove_dir(&path); // fails, as intended, when not empty
        }
    }
}

/// `cargo xtask check`.
pub fn check(root: &Path) -> Result<(), String> {
    let plan = plan(root)?;
    match drift_report(&plan) {
        None => {
            println!("check: {} schemas, {} events, generated files are up to date", plan.schemas, plan.events);
            Ok(())
        }
        Some(report) => Err(report),
    }
}

/// A unified diff per stale file and the command to fix it; `None` when in sync.
pub fn drift_report(plan: &Plan) -> Option<String> {
    if plan.writes.is_empty() && plan.removals.is_empty() {
        return None;
    }
    let mut report = String::new();
    for (file, current) in &plan.writes {
        // Compared as `plan` compares them, so that line endings alone show no diff lines.
        let old = lf(current.as_deref().unwrap_or(""));
        let diff = similar::TextDiff::from_lines(old.as_ref(), file.contents.as_str());
        let label = if current.is_some() { "is stale" } else { "is missing" };
        let _ = writeln!(report, "{} {label}:", file.path);
        let _ = write!(
            report,
            "{}",
            diff.unified_diff().context_radius(2).header(&format!("a/{}", file.path), &format!("b/{}", file.path))
        );
    }
    for path in &plan.removals {
        match is_partial(path) {
            true => writeln!(report, "{path} is left from an interrupted codegen"),
            false => writeln!(report, "{path} is generated but no schema produces it any more"),
        }
        .unwrap_or_default();
    }
    let count = plan.writes.len() + plan.removals.len();
    let _ = write!(report, "{count} generated file(s) out of date with schemas/; run `{FIX}` and commit the result");
    Some(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus_tests::TempRoot;
    use codegen::emit::MANIFEST_PATH;

    /// `cargo test` alone catches drift, with the same report as `cargo xtask check`.
    #[test]
    fn generated_files_are_fresh() {
        let plan = plan(&repo_root()).unwrap_or_else(|error| panic!("{error}"));
        if let Some(report) = drift_report(&plan) {
            panic!("{report}");
        }
    }

    /// Editors validate schema files only when they name the format's JSON Schema.
    #[test]
    fn every_schema_names_the_format_on_a_modeline() {
        let root = repo_root();
        for source in read_schemas(&root).unwrap_or_else(|error| panic!("{error}")) {
            let depth = source.path.matches('/').count() - 1;
            let modeline = format!("# yaml-language-server: $schema={}schema-format.json", "../".repeat(depth));
            assert!(
                source.text.lines().next() == Some(modeline.as_str()),
                "{}: the first line must be `{modeline}`",
                source.path
            );
        }
    }

    /// A new area needs no manifest edit: codegen writes its crate and its features, each
    /// module's enabling the modules its types refer to, and adds the area to `default`.
    #[test]
    fn new_areas_get_their_features_written() {
        let root = generated_tree("new-areas");
        root.write(
            "schemas/loyalty/programs.yaml",
            "module: loyalty.programs\ntypes:\n  Program:\n    fields:\n      _id: string\n",
        );
        root.write(
            "schemas/referrals/rewards.yaml",
            "module: referrals.rewards\ntypes:\n  Reward:\n    fields:\n      _id: string\n      program: loyalty.programs.Program\n",
        );
        codegen(&root.0).unwrap_or_else(|error| panic!("{error}"));
        let manifest = fs::read_to_string(root.0.join(MANIFEST_PATH)).unwrap_or_else(|error| panic!("{error}"));
        assert_has_lines(&manifest, &[
            "default = [\"loyalty\", \"referrals\"]",
            "loyalty = [\"loyalty-programs\"]",
            "referrals = [\"referrals-rewards\"]",
            "loyalty-programs = [\"dep:wix-backend-events-loyalty\", \"wix-backend-events-loyalty/programs\"]",
            "referrals-rewards = [\"loyalty-programs\", \"dep:wix-backend-events-referrals\", \"wix-backend-events-referrals/rewards\"]",
            "wix-backend-events-loyalty = { version = \"0.1.0\", path = \"areas/loyalty\", optional = true }",
        ]);
        for marker in [codegen::emit::manifest::MARKER, codegen::emit::manifest::DEPENDENCIES_MARKER] {
            assert!(!manifest.contains(marker), "the marker `{marker}` is replaced");
        }
        // Each area is a crate, whose module features reach into the crates they need.
        let area = fs::read_to_string(root.0.join("generated/areas/referrals/Cargo.toml"))
            .unwrap_or_else(|error| panic!("{error}"));
        assert_has_lines(
            &area,
            &[
                "name = \"wix-backend-events-referrals\"",
                "rewards = [\"dep:wix-backend-events-loyalty\", \"wix-backend-events-loyalty/programs\"]",
                "wix-backend-events-common = { version = \"0.1.0\", path = \"../common\" }",
                "wix-backend-events-loyalty = { version = \"0.1.0\", path = \"../loyalty\", optional = true }",
            ],
        );
        let module = fs::read_to_string(root.0.join("generated/areas/referrals/src/rewards.rs"))
            .unwrap_or_else(|error| panic!("{error}"));
        assert!(module.contains("::wix_backend_events_loyalty::programs::Program"), "{module}");
    }

    /// Asserts that `text` has each of `wanted` as a whole line.
    fn assert_has_lines(text: &str, wanted: &[&str]) {
        let lines: Vec<&str> = text.lines().collect();
        for line in wanted {
            assert!(lines.contains(line), "no line `{line}` in:\n{text}");
        }
    }

    /// Without the marker line the template cannot take the features: an error names
    /// the template and nothing is written.
    #[test]
    fn a_template_without_its_marker_is_refused() {
        let root = generated_tree("no-marker");
        let before = fs::read_to_string(root.0.join(MANIFEST_PATH)).unwrap_or_else(|error| panic!("{error}"));
        let template = read_real(TEMPLATE_PATH).replace(codegen::emit::manifest::MARKER, "");
        root.write(TEMPLATE_PATH, &template);
        let error = codegen(&root.0).err().unwrap_or_default();
        assert!(error.starts_with("generated/Cargo.toml.in: expected one line `# @catalogue-features`"), "{error}");
        let after = fs::read_to_string(root.0.join(MANIFEST_PATH)).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(before, after);
    }

    /// The README's count of events per area is the catalogue's.
    #[test]
    fn the_readme_counts_the_events_of_each_area() {
        let root = repo_root();
        let sources = read_schemas(&root).unwrap_or_else(|error| panic!("{error}"));
        let catalogue = codegen::generate(&sources).unwrap_or_else(|error| panic!("{error}")).catalogue;
        // Modules with events: the shared modules of types only serve those.
        let mut table = String::from("| area | modules | events |\n|---|---|---|\n");
        let mut all_modules = std::collections::BTreeSet::new();
        for area in catalogue.areas().keys() {
            let in_area: Vec<_> = catalogue.events().filter(|(module, _)| module.area() == Some(area)).collect();
            let modules: std::collections::BTreeSet<_> = in_area.iter().map(|(module, _)| module.dotted()).collect();
            if !in_area.is_empty() {
                let _ = writeln!(table, "| `{area}` | {} | {} |", modules.len(), in_area.len());
            }
            all_modules.extend(modules);
        }
        let _ = writeln!(table, "| all | {} | {} |", all_modules.len(), catalogue.events().count());
        let readme = read_real("README.md");
        assert!(readme.contains(&table), "README.md's events-per-area table should read:\n{table}");
    }

    #[test]
    fn line_endings_alone_are_not_drift() {
        assert!(!is_stale(Some("a\r\nb\r\n"), "a\nb\n"));
        assert!(is_stale(Some("a\r\nc\r\n"), "a\nb\n"), "a changed line still is");
        assert!(is_stale(None, "a\n"), "a missing file still is");
    }

    /// A file of the real repository, for a test tree.
    fn read_real(relative: &str) -> String {
        fs::read_to_string(repo_root().join(relative)).unwrap_or_else(|error| panic!("{relative}: {error}"))
    }

    /// A tree with only the `common` schema and the generated crate's manifest, generated.
    fn generated_tree(name: &str) -> TempRoot {
        let root = TempRoot::new(name);
        root.write("schemas/common/metadata.yaml", &read_real("schemas/common/metadata.yaml"));
        root.write(TEMPLATE_PATH, &read_real(TEMPLATE_PATH));
        codegen(&root.0).unwrap_or_else(|error| panic!("{error}"));
        root
    }

    /// The whole path: a tree generated by `codegen` and then checked out with CRLF line
    /// endings is fresh for `check`, and `codegen` leaves it alone.
    #[test]
    fn a_crlf_checkout_of_fresh_files_is_fresh() {
        let root = generated_tree("crlf");
        let sources = read_schemas(&root.0).unwrap_or_else(|error| panic!("{error}"));
        let files = codegen::generate(&sources).unwrap_or_else(|error| panic!("{error}")).files;
        assert!(files.len() >= 3, "too few generated files to test: {}", files.len());
        for file in &files {
            root.write(&file.path, &file.contents.replace('\n', "\r\n"));
        }
        let plan = plan(&root.0).unwrap_or_else(|error| panic!("{error}"));
        let stale: Vec<&str> = plan.writes.iter().map(|(file, _)| file.path.as_str()).collect();
        assert!(stale.is_empty() && plan.removals.is_empty(), "CRLF counted as drift: {stale:?}");
    }

    /// Codegen interrupted after its Nth file, and again in the middle of writing the
    /// next: every file is old or new, never half-written, and `check` names exactly the
    /// files still stale and the partial file; the next codegen finishes the job.
    #[test]
    fn an_interrupted_codegen_leaves_files_old_or_new() {
        let root = generated_tree("interrupted");
        // A new module changes several generated files.
        root.write("schemas/imported/crm/labels.yaml", &read_real("schemas/imported/crm/labels.yaml"));
        let plan_before = plan(&root.0).unwrap_or_else(|error| panic!("{error}"));
        let wanted: Vec<(String, Option<String>, String)> = plan_before
            .writes
            .iter()
            .map(|(file, old)| (file.path.clone(), old.clone(), file.contents.clone()))
            .collect();
        assert!(wanted.len() >= 4, "too few changed files to interrupt: {}", wanted.len());

        for finished in [0, 1, wanted.len() - 1] {
            let attempt = TempRoot::new(&format!("interrupted-{finished}"));
            copy_tree(&root.0, &attempt.0);
            let mut written = 0;
            let interrupted = apply(&attempt.0, &plan_before, |path, contents| {
                if written == finished {
                    // Killed while writing: half of the text reached the partial file
                    // (in its folder, which the write made first, as `atomic::write` does).
                    let partial = crate::atomic::partial_path(path);
                    if let Some(folder) = partial.parent() {
                        fs::create_dir_all(folder).map_err(|error| error.to_string())?;
                    }
                    fs::write(partial, &contents[..contents.len() / 2]).map_err(|error| error.to_string())?;
                    return Err("interrupted".to_owned());
                }
                written += 1;
                crate::atomic::write(path, contents)
            });
            assert!(interrupted.is_err());
            for (path, old, new) in &wanted {
                let now = fs::read_to_string(attempt.0.join(path)).ok();
                assert!(now == *old || now.as_deref() == Some(new.as_str()), "{path} is neither old nor new");
            }
            let plan_after = plan(&attempt.0).unwrap_or_else(|error| panic!("{error}"));
            let stale: Vec<&str> = plan_after.writes.iter().map(|(file, _)| file.path.as_str()).collect();
            let expected: Vec<&str> = wanted[finished..].iter().map(|(path, _, _)| path.as_str()).collect();
            assert_eq!(stale, expected, "after {finished} file(s)");
            let partial = relative(&attempt.0, &crate::atomic::partial_path(&attempt.0.join(&wanted[finished].0)));
            assert_eq!(plan_after.removals, std::slice::from_ref(&partial));
            let report = drift_report(&plan_after).unwrap_or_default();
            assert!(report.contains(&format!("{partial} is left from an interrupted codegen")), "{report}");

            codegen(&attempt.0).unwrap_or_else(|error| panic!("{error}"));
            let done = plan(&attempt.0).unwrap_or_else(|error| panic!("{error}"));
            assert!(done.writes.is_empty() && done.removals.is_empty(), "codegen did not finish the job");
            assert!(!attempt.0.join(&partial).exists());
        }
    }

    fn copy_tree(from: &Path, to: &Path) {
        let mut files = Vec::new();
        collect_files(from, &mut files);
        for file in files {
            let target = to.join(file.strip_prefix(from).unwrap_or(&file));
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).unwrap_or_else(|error| panic!("{}: {error}", parent.display()));
            }
            fs::copy(&file, &target).unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        }
    }

    #[test]
    fn drift_report_names_the_file_and_the_fix() {
        let plan = Plan {
            schemas: 1,
            events: 0,
            writes: vec![(
                OutputFile { path: "generated/x.rs".into(), contents: "new\n".into() },
                Some("old\n".into()),
            )],
            removals: vec!["generated/src/gen/gone.rs".into()],
        };
        let report = drift_report(&plan).unwrap_or_default();
        assert!(report.contains("generated/x.rs is stale"), "{report}");
        assert!(report.contains("-old\n+new"), "{report}");
        assert!(report.contains("gone.rs is generated but no schema produces it"), "{report}");
        assert!(report.ends_with(&format!("run `{FIX}` and commit the result")), "{report}");
    }
}
