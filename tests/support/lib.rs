//! Shared helpers for the integration tests under `tests/`: finding the payload fixtures.

use std::path::{Path, PathBuf};

use wix_backend_events::testing::{fixture_files, velo_fixture};

/// `tests/fixtures` in this repository.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// One documented example payload.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Its file.
    pub path: PathBuf,
    /// The event it belongs to: a Velo handler name or a webhook eventType, from the
    /// file name `<name>.<n>.json`.
    pub event: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl Fixture {
    /// The file name, for assertion messages.
    pub fn name(&self) -> String {
        self.path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// The payload as a JSON value.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|error| panic!("{}: not JSON: {error}", self.name()))
    }
}

/// The fixtures of one folder (`velo`, `webhook`, `broken/webhook`), sorted by name,
/// read with the crate's own `testing` helpers (the ones users get).
pub fn fixtures(folder: &str) -> Vec<Fixture> {
    let dir = fixtures_dir().join(folder);
    let files = fixture_files(&dir).unwrap_or_else(|error| panic!("{error}"));
    files
        .into_iter()
        .map(|path| {
            let (event, bytes) = velo_fixture(&path).unwrap_or_else(|error| panic!("{error}"));
            Fixture { path, event, bytes }
        })
        .collect()
}

/// The README's code blocks, compiled and run as doctests so the front door stays true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
