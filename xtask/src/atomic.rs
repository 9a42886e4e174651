//! Writing a file so that an interrupted run leaves it old or new, never half-written:
//! the text goes to a partial file beside it, which is then renamed over it (a rename
//! within one directory replaces the file in one step).
//!
//! A run killed between the two steps leaves the partial file behind; the next
//! `cargo xtask check` reports it and the next `cargo xtask codegen` removes it
//! (see `sync::plan`).

use std::fs;
use std::path::{Path, PathBuf};

/// Writes `contents` to `path` through a partial file, creating the directories.
pub(crate) fn write(path: &Path, contents: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|error| format!("{}: {error}", parent.display()))?;
    }
    let partial = partial_path(path);
    // No fsync: the promise is about an interrupted process (Ctrl-C, a killed CI job),
    // not a power cut, and syncing every file would cost more than generating it.
    let result = fs::write(&partial, contents).and_then(|()| fs::rename(&partial, path));
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result.map_err(|error| format!("{}: {error}", path.display()))
}

/// Where the text for `path` is written first: `dir/.name.partial`, hidden and with an
/// extension no tool compiles.
pub(crate) fn partial_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.partial"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus_tests::TempRoot;

    #[test]
    fn replaces_the_file_and_leaves_no_partial() {
        let root = TempRoot::new("atomic");
        let path = root.0.join("a/b/file.rs");
        write(&path, "old").unwrap_or_else(|error| panic!("{error}"));
        write(&path, "new").unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(fs::read_to_string(&path).ok().as_deref(), Some("new"));
        assert!(!partial_path(&path).exists());
        assert_eq!(partial_path(&path), root.0.join("a/b/.file.rs.partial"));
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let root = TempRoot::new("atomic-fail");
        let path = root.0.join("file.rs");
        write(&path, "old").unwrap_or_else(|error| panic!("{error}"));
        // A directory where the partial file would go makes the write fail.
        fs::create_dir_all(partial_path(&path)).unwrap_or_else(|error| panic!("{error}"));
        assert!(write(&path, "new").is_err());
        assert_eq!(fs::read_to_string(&path).ok().as_deref(), Some("old"));
    }
}
