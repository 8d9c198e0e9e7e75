//! The test data in the repository: `tests/fixtures/` (responses and CLI output captured from real
//! kanidmd and kanidm CLI releases) and the example plans in `examples/`. Paths are relative to
//! those directories, e.g. `fixtures::text("kanidm/cli/17-oauth2-get-final.stdout")`.

use std::path::PathBuf;

use serde_json::Value;

/// `tests/fixtures/<rel>`.
pub fn path(rel: &str) -> PathBuf {
    crate::repo_root().join("tests/fixtures").join(rel)
}

/// The text of `tests/fixtures/<rel>`; panics naming the file when it cannot be read.
pub fn text(rel: &str) -> String {
    let path = path(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The bytes of `tests/fixtures/<rel>`.
pub fn bytes(rel: &str) -> Vec<u8> {
    let path = path(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `tests/fixtures/<rel>` parsed as JSON.
pub fn json(rel: &str) -> Value {
    serde_json::from_str(&text(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `examples/<name>`: one of the example plans shipped with nbsso.
pub fn example(name: &str) -> PathBuf {
    crate::repo_root().join("examples").join(name)
}

/// Copies the directory `from` into `to` (created), files and subdirectories, so a test can change
/// a fixture for real.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    let entries = std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
        }
    }
}
