//! `cargo xtask import --upstream`'s report, held to two recorded snapshots of
//! `@wix/auto_sdk_forms_submissions`: 1.0.122 and 1.0.164, each built by `cargo xtask
//! import` from the package on npm. The report is a reviewed insta snapshot; what it must
//! say about breaking changes is asserted on its own.

use importer::snapshot::{from_text, Snapshot};
use importer::upstream::{diff, Change};

fn recorded(version: &str) -> Snapshot {
    let path = format!("{}/tests/upstream/forms.submissions-{version}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    from_text(&path, &text).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn the_report_between_two_recorded_versions() {
    let report = diff(&recorded("1.0.122"), &recorded("1.0.164"));
    assert!(!report.changes.is_empty(), "the two versions differ");
    insta::assert_snapshot!(report.to_string());
}

/// Going back a version removes what the newer one added: every addition becomes a
/// breaking removal, which is what `--upstream` fails on.
#[test]
fn going_back_turns_additions_into_breaking_removals() {
    let forward = diff(&recorded("1.0.122"), &recorded("1.0.164"));
    let backward = diff(&recorded("1.0.164"), &recorded("1.0.122"));
    let added_fields = forward.changes.iter().filter(|change| matches!(change, Change::FieldAdded(..))).count();
    let removed_fields = backward.changes.iter().filter(|change| matches!(change, Change::FieldRemoved(..))).count();
    assert_eq!(added_fields, removed_fields, "{forward}\n{backward}");
    if added_fields > 0 {
        assert!(backward.is_breaking(), "{backward}");
    }
}
