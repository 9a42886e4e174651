//! The corpus of broken schemas, `tests/bad_schemas/`: each case is a schema with one
//! mistake and, beside it, the exact diagnostics a user sees for it. Running it through
//! `cargo xtask codegen` (not just `codegen::generate`) proves the whole path: every
//! error is located and explained, and a broken schema never touches `generated/`.
//!
//! A case is either
//! - `NN-name.yaml`: one schema file, copied to `schemas/NN-name.yaml`; or
//! - `NN-name/`: a directory of schema files (for mistakes that need two files),
//!   copied with their relative paths under `schemas/`;
//!
//! and `NN-name.expected` beside it: the `Display` of the diagnostics, with paths
//! relative to the repository root. One trailing newline is ignored so that the files
//! stay ordinary text files. Every case is checked together with the real
//! `schemas/common/metadata.yaml`, which events need.
//!
//! After changing a message on purpose, regenerate the expectations with
//!
//! ```text
//! UPDATE_EXPECTED=1 cargo test -p xtask corpus
//! ```
//!
//! and read every rewritten `.expected` as a user would (right line:col? does it say
//! what to fix?) before committing: they are reviewed golden files, not a recording.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Fewer cases than this means the corpus was lost or not found, not that it passed.
const MIN_CASES: usize = 20;

/// Cases that deliberately contain several independent mistakes, with how many errors
/// they must report. Every other case has exactly one mistake and must report exactly
/// one error: a second one would be a cascade (one mistake reported twice).
const MULTI_ERROR_CASES: &[(&str, usize)] =
    &[("30-three-mistakes", 3), ("46-unknown-keys-and-other-mistakes", 6), ("47-event-type-mistakes", 3)];

fn corpus_dir() -> PathBuf {
    crate::sync::repo_root().join("tests/bad_schemas")
}

/// One corpus case: its name and the schema files (path under `schemas/`, contents).
struct Case {
    name: String,
    files: Vec<(String, String)>,
    expected_path: PathBuf,
}

fn read_cases() -> Vec<Case> {
    let dir = corpus_dir();
    let mut cases = Vec::new();
    let entries = fs::read_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    for entry in entries {
        let path = entry.unwrap_or_else(|error| panic!("{}: {error}", dir.display())).path();
        let file_name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default().to_owned();
        let (name, files) = if path.is_dir() {
            let mut files = Vec::new();
            collect_dir(&path, &path, &mut files);
            assert!(!files.is_empty(), "{}: a directory case needs .yaml files", path.display());
            (file_name, files)
        } else if let Some(name) = file_name.strip_suffix(".yaml") {
            let text = fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            (name.to_owned(), vec![(file_name.clone(), text)])
        } else {
            continue;
        };
        let expected_path = dir.join(format!("{name}.expected"));
        cases.push(Case { name, files, expected_path });
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

fn collect_dir(base: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    for entry in entries {
        let path = entry.unwrap_or_else(|error| panic!("{}: {error}", dir.display())).path();
        if path.is_dir() {
            collect_dir(base, &path, out);
        } else if path.extension().is_some_and(|extension| extension == "yaml") {
            let relative = path.strip_prefix(base).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            let text = fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            out.push((relative, text));
        }
    }
    out.sort();
}

/// A throwaway repository root, removed when dropped (also when the test panics).
pub(crate) struct TempRoot(pub(crate) PathBuf);

impl TempRoot {
    /// A fresh empty directory named after `case`.
    pub(crate) fn new(case: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let unique = format!("xtask-corpus-{}-{}-{case}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(unique);
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        Self(path)
    }

    /// Writes a file under the root, creating its directories.
    pub(crate) fn write(&self, relative: &str, contents: &str) {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap_or_else(|error| panic!("{}: {error}", parent.display()));
        }
        fs::write(&path, contents).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    }
}

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Every file under `dir` with its bytes, keyed by path relative to `dir`.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let relative = path.strip_prefix(base).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                out.insert(relative, fs::read(&path).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Builds the repository for `case`, runs `cargo xtask codegen` on it and returns the
/// error text with the temporary root replaced by `<root>`. Panics when codegen
/// succeeds or when it changed anything under `generated/`.
fn run_case(case: &Case) -> String {
    let real_root = crate::sync::repo_root();
    let read = |relative: &str| {
        fs::read_to_string(real_root.join(relative)).unwrap_or_else(|error| panic!("{relative}: {error}"))
    };
    let root = TempRoot::new(&case.name);
    root.write("schemas/common/metadata.yaml", &read("schemas/common/metadata.yaml"));
    for (relative, text) in &case.files {
        root.write(&format!("schemas/{relative}"), text);
    }
    // A stale generated file that a successful run would remove, and the manifest a
    // successful run reads: if codegen went ahead, the tree would change.
    root.write("generated/Cargo.toml.in", &read("generated/Cargo.toml.in"));
    root.write(
        &format!("{}/sentinel.rs", codegen::emit::RUST_ROOT),
        &format!("{}\n\n// Sentinel: must survive a failed codegen.\n", codegen::emit::HEADER),
    );
    let before = tree(&root.0.join("generated"));

    let result = crate::sync::codegen(&root.0);

    let after = tree(&root.0.join("generated"));
    if before != after {
        let changed: Vec<&String> =
            before.keys().chain(after.keys()).filter(|path| before.get(*path) != after.get(*path)).collect();
        panic!("{}: codegen changed generated/ despite the errors: {changed:?}", case.name);
    }
    match result {
        Ok(()) => panic!("{}: codegen accepted the broken schema", case.name),
        Err(text) => text.replace(&root.0.to_string_lossy().into_owned(), "<root>"),
    }
}

/// The count in the last line (`3 errors in the schemas; nothing was written`).
fn error_count(text: &str) -> Option<usize> {
    text.lines().last()?.split(' ').next()?.parse().ok()
}

#[test]
fn corpus_of_bad_schemas() {
    let update = std::env::var_os("UPDATE_EXPECTED").is_some_and(|value| value == "1");
    let cases = read_cases();
    let mut failures = Vec::new();
    for case in &cases {
        let actual = run_case(case);
        let wanted_errors =
            MULTI_ERROR_CASES.iter().find(|(name, _)| *name == case.name).map_or(1, |(_, count)| *count);
        if error_count(&actual) != Some(wanted_errors) {
            failures.push(format!("{}: expected {wanted_errors} error(s), got:\n{actual}", case.name));
        }
        if update {
            fs::write(&case.expected_path, format!("{actual}\n"))
                .unwrap_or_else(|error| panic!("{}: {error}", case.expected_path.display()));
            continue;
        }
        let expected = match fs::read_to_string(&case.expected_path) {
            Ok(text) => text,
            Err(error) => {
                failures.push(format!(
                    "{}: {error}; run with UPDATE_EXPECTED=1 to create it, then review it\n--- actual ---\n{actual}",
                    case.expected_path.display()
                ));
                continue;
            }
        };
        let expected = expected.strip_suffix('\n').unwrap_or(&expected);
        if expected != actual {
            failures.push(format!("{}:\n--- expected ---\n{expected}\n--- actual ---\n{actual}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus case(s) failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    assert!(cases.len() >= MIN_CASES, "only {} corpus cases found in {}", cases.len(), corpus_dir().display());
}

/// An `.expected` left behind by a renamed or deleted case would silently stop being checked.
#[test]
fn every_expected_file_has_its_case() {
    let names: Vec<String> = read_cases().into_iter().map(|case| case.name).collect();
    let dir = corpus_dir();
    let orphans: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.strip_suffix(".expected").map(str::to_owned))
        .filter(|name| !names.contains(name))
        .collect();
    assert!(orphans.is_empty(), "expected files without a case: {orphans:?}");
    for (name, _) in MULTI_ERROR_CASES {
        assert!(names.iter().any(|case| case == name), "MULTI_ERROR_CASES names a missing case `{name}`");
    }
}

#[test]
fn harness_rejects_a_case_that_generates() {
    // The harness itself must be able to fail: a valid schema is not a corpus case.
    let case = Case {
        name: "valid".into(),
        files: vec![("valid.yaml".into(), "module: crm.valid\ntypes:\n  A:\n    fields:\n      x: string\n".into())],
        expected_path: PathBuf::new(),
    };
    let outcome = std::panic::catch_unwind(|| run_case(&case));
    assert!(outcome.is_err(), "run_case accepted a schema that generates");
}
