//! File helpers whose errors name the file, so that a message is one line a reader can act
//! on: `could not read lessons/lesson1/src/main.rs: No such file or directory`.

use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

pub fn read_text(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|err| format!("could not read {}: {err}", path.display()))
}

/// Writes `text`, creating the folders above it if needed.
pub fn write_text(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        create_dir(dir)?;
    }
    fs::write(path, text).map_err(|err| format!("could not write {}: {err}", path.display()))
}

pub fn create_dir(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|err| format!("could not create {}: {err}", dir.display()))
}

/// Removes a folder and everything in it; a folder that is not there is fine.
pub fn remove_dir(dir: &Path) -> Result<(), String> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(format!("could not remove {}: {err}", dir.display())),
    }
}

/// The names in a folder, sorted so that every run goes in the same order. A folder that
/// is not there has no names.
pub fn list_dir(dir: &Path) -> Result<Vec<OsString>, String> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(format!("could not list {}: {err}", dir.display())),
    };
    let mut names = entries
        .map(|entry| entry.map(|entry| entry.file_name()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| format!("could not list {}: {err}", dir.display()))?;
    names.sort();
    Ok(names)
}

/// The files directly in `dir` whose names end in `.{extension}`, sorted, as paths.
pub fn files_ending(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, String> {
    let suffix = format!(".{extension}");
    Ok(list_dir(dir)?
        .into_iter()
        .map(|name| dir.join(name))
        .filter(|path| path.is_file() && path.to_string_lossy().ends_with(&suffix))
        .collect())
}

/// Every file under `dir`, sorted, leaving out build folders (`target`). Unreadable
/// folders are skipped: the callers only look, they never need every file.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    collect(dir, &mut found);
    found.sort();
    found
}

fn collect(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != "target" {
                collect(&path, found);
            }
        } else {
            found.push(path);
        }
    }
}

/// What a scratch copy of the workspace needs to build and test the lessons (`target/`,
/// `book/` and `.git` stay out): `cargo xtask verify` and the tests of the tooling make
/// such copies.
pub const BUILD_PARTS: [&str; 10] = [
    "Cargo.toml",
    "Cargo.lock",
    "course.toml",
    ".cargo",
    "crates",
    "netkit",
    "tests",
    "lessons",
    "solutions",
    "xtask",
];

/// Copies [`BUILD_PARTS`] and `extra` (paths relative to the root, like `book/src`) from
/// the workspace at `root` into the empty folder `to`.
pub fn copy_workspace(root: &Path, to: &Path, extra: &[&str]) -> Result<(), String> {
    for item in BUILD_PARTS.iter().chain(extra) {
        let from = root.join(item);
        if from.exists() {
            if let Some(dir) = to.join(item).parent() {
                create_dir(dir)?;
            }
            copy_tree(&from, &to.join(item))?;
        }
    }
    Ok(())
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
        create_dir(to)?;
        for name in list_dir(from)? {
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
