//! What the commands of `cargo xtask` share, and what xtask's tests use.
//!
//! Every module here is used by commands (in `src/commands/`, part of the binary) and by
//! tests; none of them knows about a command. Facts about the lessons come from the course
//! manifest ([`course`]); programs are started through the [`process`] crate.

use std::fmt;
use std::path::{Path, PathBuf};

pub mod anchor;
pub mod book_check;
pub mod book_tools;
pub mod cargo;
pub mod fixture;
pub mod fs;
pub mod json;
pub mod skeleton;
pub mod state;
pub mod text;
pub mod tools;

pub use course::{Course, Lesson};

/// Why a command did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The command line makes no sense (exit status 2).
    Usage(String),
    /// The command ran and failed (exit status 1).
    Failed(String),
}

impl From<String> for Error {
    fn from(message: String) -> Error {
        Error::Failed(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Error {
        Error::Failed(message.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message) | Error::Failed(message) => f.write_str(message),
        }
    }
}

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

/// The course, from `course.toml` at the workspace root.
pub fn load_course() -> Result<Course, String> {
    Course::load(&workspace_root()).map_err(String::from)
}

/// The lessons named on a command line, or all of them; a number that is not a lesson is a
/// usage error.
pub fn select<'a>(course: &'a Course, numbers: &[u32]) -> Result<Vec<&'a Lesson>, Error> {
    course.select(numbers).map_err(Error::Usage)
}

/// The lesson named on a command line, which must exist.
pub fn lesson(course: &Course, number: u32) -> Result<&Lesson, Error> {
    course.lesson(number).ok_or_else(|| {
        Error::Usage(format!(
            "there is no lesson {number} (lessons: {})",
            course.numbers()
        ))
    })
}
