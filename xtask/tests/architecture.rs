//! The rules of ARCHITECTURE.md that a machine can check, checked on every `cargo test`:
//!
//! - no command module imports another;
//! - no lesson path is built from a template outside the course crate;
//! - xtask and its crates depend on nothing outside the workspace;
//! - the lesson tests and the harness never sleep;
//! - no source file grows past 400 lines (before its unit tests) without saying why
//!   (tooling, harness, tests and solutions alike), and none is cut into sections by banner
//!   comments.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    xtask::workspace_root()
}

/// Every `.rs` file under `dir` (relative to the root), sorted.
fn rust_files(dir: &str) -> Vec<PathBuf> {
    xtask::fs::files_under(&root().join(dir))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The command a file under `xtask/src/commands/` belongs to: `bench` for
/// `commands/bench/server.rs`, `verify` for `commands/verify.rs`.
fn command_of(path: &Path) -> String {
    let commands = root().join("xtask/src/commands");
    let relative = path.strip_prefix(&commands).expect("under commands/");
    let first = relative.components().next().expect("a file");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_string()
}

#[test]
fn no_command_imports_another() {
    let mut problems = Vec::new();
    for path in rust_files("xtask/src/commands") {
        if path.ends_with("commands/mod.rs") {
            continue;
        }
        let own = command_of(&path);
        for (number, line) in read(&path).lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            // `crate::` in the binary is `main.rs`: only `crate::flags` may be used.
            for (at, _) in code.match_indices("crate::") {
                let before = &code[..at];
                if before.ends_with("x") {
                    continue; // `xtask::...`, the library
                }
                let rest = &code[at + "crate::".len()..];
                if !rest.starts_with("flags") {
                    problems.push(format!("{}:{}: {code}", shown(&path), number + 1));
                }
            }
            if code.contains("commands::") && !code.contains(&format!("commands::{own}")) {
                problems.push(format!("{}:{}: {code}", shown(&path), number + 1));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "a command uses another command (move what they share into the library):\n{}",
        problems.join("\n")
    );
}

#[test]
fn lesson_paths_come_only_from_the_course_crate() {
    // Spelt in two halves, so that this file does not find itself.
    let template = ["lesson", "{"].concat();
    let mut problems = Vec::new();
    for dir in ["xtask", "tests/harness", "crates/process", "netkit"] {
        for path in rust_files(dir) {
            for (number, line) in read(&path).lines().enumerate() {
                if line.contains(&template) {
                    problems.push(format!("{}:{}: {}", shown(&path), number + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "lesson facts come from course.toml through the course crate, not from a template:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_tooling_depends_only_on_the_standard_library_and_the_workspace() {
    for manifest in [
        "xtask/Cargo.toml",
        "crates/course/Cargo.toml",
        "crates/process/Cargo.toml",
    ] {
        let text = read(&root().join(manifest));
        let mut in_dependencies = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_dependencies = line.ends_with("dependencies]");
                continue;
            }
            if in_dependencies && !line.is_empty() && !line.starts_with('#') {
                let name = line.split(['.', '=', ' ']).next().unwrap_or("");
                // socket2, for xtask only: the bench binds a client's source address
                // (127.0.0.2, ...) before connecting, which the standard library cannot do.
                let allowed = ["course", "process"].contains(&name)
                    || (manifest == "xtask/Cargo.toml" && name == "socket2");
                assert!(
                    allowed,
                    "{manifest}: `{line}`: the tooling uses the standard library and the \
                     workspace's own std-only crates only (and socket2, in xtask)"
                );
            }
        }
    }
}

#[test]
fn lesson_tests_and_the_harness_never_sleep() {
    let mut problems = Vec::new();
    for path in rust_files("tests") {
        for (number, line) in read(&path).lines().enumerate() {
            if line.contains("sleep(") && !line.trim_start().starts_with("//") {
                problems.push(format!("{}:{}: {}", shown(&path), number + 1, line.trim()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "wait on an event with a deadline (the harness has one for every wait), never sleep:\n{}",
        problems.join("\n")
    );
}

#[test]
fn long_files_say_why() {
    let mut problems = Vec::new();
    // `lessons/` is left out: each skeleton is made from its solution (`cargo xtask
    // skeleton`), so the solution's length is the one to keep short.
    for dir in ["xtask", "tests", "solutions", "crates", "netkit"] {
        for path in rust_files(dir) {
            let text = read(&path);
            let code = text
                .lines()
                .take_while(|line| !line.starts_with("#[cfg(test)]"))
                .count();
            let header: String = text.lines().take(40).collect::<Vec<_>>().join("\n");
            let name = shown(&path).replace('\\', "/");
            if code > 400 && !header.contains("Longer than 400 lines") {
                problems.push(format!("{name}: {code} lines"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "split these files, or say at their top why they are \"Longer than 400 lines\":\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_file_is_cut_into_sections_by_banners() {
    // Spelt in two halves, so that this file does not find itself.
    let banner = ["// ---", "--"].concat();
    let mut problems = Vec::new();
    for dir in ["xtask", "tests", "solutions", "crates", "netkit"] {
        for path in rust_files(dir) {
            for (number, line) in read(&path).lines().enumerate() {
                if line.trim_start().starts_with(&banner) {
                    problems.push(format!("{}:{}", shown(&path), number + 1));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "a part of a file worth a banner is a module (or, in a short file, a plain comment):\n{}",
        problems.join("\n")
    );
}
