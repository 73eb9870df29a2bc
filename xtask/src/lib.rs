//! The part of `cargo xtask` that is also used by tests.
//!
//! The book check lives here, in a library, so that `cargo xtask book` and the integration
//! test `xtask/tests/book.rs` run the very same code: a broken include then fails
//! `cargo test`, not only a manual book build.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

pub mod book_check;
pub mod fixture;

/// The workspace root: the directory that holds the top-level `Cargo.toml`.
///
/// Cargo tells us where this crate lives at compile time, and `xtask/` sits directly
/// inside the root, so this works whatever directory `cargo xtask` is started from.
///
/// `XTASK_WORKSPACE_ROOT`, when set, names another root instead: the tests of the learner
/// tooling (`xtask/tests/tooling.rs`) run the xtask binary on a scratch copy of the
/// workspace, never on the real lessons.
pub fn workspace_root() -> PathBuf {
    if let Some(root) = std::env::var_os("XTASK_WORKSPACE_ROOT") {
        return PathBuf::from(root);
    }
    let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().unwrap_or(xtask_dir).to_path_buf()
}

/// Copies a file or a directory tree, keeping modification times and leaving out `target`
/// directories.
///
/// Cargo decides what to rebuild by comparing modification times, so a copy that keeps them
/// lets a build directory shared between runs reuse earlier builds of the copied packages.
/// Used for every scratch copy of the workspace: `cargo xtask verify` and the tests of the
/// tooling.
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    let metadata =
        fs::metadata(from).map_err(|err| format!("could not read {}: {err}", from.display()))?;
    if metadata.is_dir() {
        // A stray build directory inside a package would be large and useless here.
        if from.file_name().is_some_and(|name| name == "target") {
            return Ok(());
        }
        fs::create_dir_all(to)
            .map_err(|err| format!("could not create {}: {err}", to.display()))?;
        let entries = fs::read_dir(from)
            .map_err(|err| format!("could not list {}: {err}", from.display()))?;
        for entry in entries {
            let name = entry
                .map_err(|err| format!("could not list {}: {err}", from.display()))?
                .file_name();
            copy_tree(&from.join(&name), &to.join(&name))?;
        }
        return Ok(());
    }
    fs::copy(from, to).map_err(|err| format!("could not copy {}: {err}", from.display()))?;
    let copied_at = metadata
        .modified()
        .map_err(|err| format!("could not read the time of {}: {err}", from.display()))?;
    File::options()
        .write(true)
        .open(to)
        .and_then(|file| file.set_modified(copied_at))
        .map_err(|err| format!("could not set the time of {}: {err}", to.display()))
}
