//! The part of `cargo xtask` that is also used by tests.
//!
//! The book check lives here, in a library, so that `cargo xtask book` and the integration
//! test `xtask/tests/book.rs` run the very same code: a broken include then fails
//! `cargo test`, not only a manual book build.

use std::path::{Path, PathBuf};

pub mod book_check;

/// The workspace root: the directory that holds the top-level `Cargo.toml`.
///
/// Cargo tells us where this crate lives at compile time, and `xtask/` sits directly
/// inside the root, so this works whatever directory `cargo xtask` is started from.
pub fn workspace_root() -> PathBuf {
    let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().unwrap_or(xtask_dir).to_path_buf()
}
