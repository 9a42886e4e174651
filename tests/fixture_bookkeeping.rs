//! The bookkeeping around the payload fixtures: every line of `tests/fixtures/sources/`
//! follows the format of `tests/fixtures/README.md` and names a fixture that exists, every
//! fixture has its source line, and `tests/fixtures/LACKING.txt` lists exactly the events
//! without a fixture.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use wix_backend_events::{Event, EventSet};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// `velo/<name>.json`, `webhook/<name>.json` and the documented examples that do not
/// decode, `broken/<kind>/<name>.json`, as the source lines name them.
fn fixture_files() -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    for kind in ["velo", "webhook", "broken/velo", "broken/webhook"] {
        let Ok(entries) = std::fs::read_dir(fixtures_dir().join(kind)) else { continue };
        for entry in entries {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".json") {
                files.insert(format!("{kind}/{name}"));
            }
        }
    }
    files
}

#[test]
fn every_source_line_is_well_formed_and_every_fixture_has_one() {
    let files = fixture_files();
    let mut named = BTreeSet::new();
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(fixtures_dir().join("sources")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            let place = format!("{}:{}", path.display(), number + 1);
            let fields: Vec<&str> = line.split('\t').collect();
            let [file, url, note] = fields[..] else {
                problems.push(format!("{place}: expected 3 tab-separated fields, found {}", fields.len()));
                continue;
            };
            if !files.contains(file) {
                problems.push(format!("{place}: `{file}` is not a fixture under tests/fixtures"));
            }
            if !url.starts_with("https://") {
                problems.push(format!("{place}: the source `{url}` is not an https URL"));
            }
            if note.trim().is_empty() {
                problems.push(format!("{place}: the note is empty"));
            }
            if !named.insert(file.to_owned()) {
                problems.push(format!("{place}: `{file}` has a source line already"));
            }
        }
    }
    for file in files.difference(&named) {
        problems.push(format!("{file}: no line in tests/fixtures/sources/ says where it comes from"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn lacking_txt_lists_exactly_the_events_without_a_fixture() {
    let files = fixture_files();
    // Only decodable examples count: a broken one documents why the event lacks one.
    let has_fixture = |kind: &str, name: &str| {
        files.iter().any(|file| {
            let stem = file.strip_prefix(&format!("{kind}/{name}")).unwrap_or("");
            stem == ".json"
                || stem
                    .strip_prefix('.')
                    .and_then(|rest| rest.strip_suffix(".json"))
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty())
        })
    };
    let lacking: BTreeSet<String> = Event::CATALOGUE
        .iter()
        .filter(|info| !has_fixture("velo", info.velo_handler) && !has_fixture("webhook", info.event_type))
        .map(|info| info.event_type.to_owned())
        .collect();
    let text = std::fs::read_to_string(fixtures_dir().join("LACKING.txt")).unwrap();
    let listed: BTreeSet<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let unlisted: Vec<_> = lacking.difference(&listed).collect();
    let covered: Vec<_> = listed.difference(&lacking).collect();
    assert!(
        unlisted.is_empty() && covered.is_empty(),
        "tests/fixtures/LACKING.txt is out of date.\nlacking a fixture but not listed: {unlisted:?}\nlisted but has a fixture (or is no event): {covered:?}"
    );
}
