//! `cargo xtask demo race`: the compiler refusing the Go server's data race, live.
//!
//! The Go concurrent server's client count is a global that every client's goroutine reads
//! while the accept loop writes it. Written the same way in Rust (`book/examples/race.rs`,
//! the file "Pitfalls of the Go originals" shows), the program does not compile; this
//! command shows the file and compiles it, so the room reads the compiler's own words.

use std::io::IsTerminal;
use std::path::Path;
use std::process::Command;

use xtask::Error;
use xtask::anchor::Marker;

/// The program, shared with the book (which includes its `race` anchor).
const RACE: &str = "book/examples/race.rs";
/// Where rustc would put the program if it compiled (it must not).
const OUTPUT: &str = "target/xtask/race-demo";

pub(super) fn run() -> Result<(), Error> {
    let source = xtask::fs::read_text(Path::new(RACE))?;
    println!("demo race: the Go server's client count, in Rust");
    println!("  (book/src/pitfalls.md: \"The client count is a data race\")");
    println!("{}", "-".repeat(super::banner::WIDTH));
    for line in shown_lines(&source) {
        println!("{line}");
    }
    println!("{}", "-".repeat(super::banner::WIDTH));
    println!("$ rustc --edition 2024 {RACE}");
    xtask::fs::create_dir(Path::new(OUTPUT))?;
    let colour = if std::io::stderr().is_terminal() {
        "always"
    } else {
        "never"
    };
    let status = Command::new(rustc())
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "bin",
            "--color",
            colour,
        ])
        .args(["--out-dir", OUTPUT, RACE])
        .status()
        .map_err(|error| format!("could not run rustc: {error}"))?;
    if status.success() {
        return Err(format!(
            "{RACE} compiled, but it must not: the demo shows the compiler refusing it"
        )
        .into());
    }
    println!("{}", "-".repeat(super::banner::WIDTH));
    println!("demo: refused, as it should be. Lesson 5 shares the");
    println!("count in an Arc<AtomicUsize> instead.");
    Ok(())
}

/// The lines the book shows: from the `race` anchor on, without the file's header and
/// without the anchor lines (mdBook drops them too).
fn shown_lines(source: &str) -> Vec<&str> {
    source
        .lines()
        .skip_while(|line| xtask::anchor::marker(line) != Some((Marker::Start, "race")))
        .filter(|line| !xtask::anchor::is_marker(line))
        .collect()
}

/// The compiler of the toolchain that runs us: cargo tells its children in `RUSTC` when it
/// knows one, and `rustc` on the PATH (rustup's proxy) is the same toolchain otherwise.
fn rustc() -> std::ffi::OsString {
    std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_room_sees_what_the_book_shows() {
        let source = xtask::fs::read_text(&xtask::workspace_root().join(RACE)).expect("race.rs");
        let shown = shown_lines(&source);
        assert_eq!(shown.first(), Some(&"use std::thread;"));
        assert!(
            shown
                .iter()
                .all(|line| !line.starts_with("//!") && !line.contains("ANCHOR"))
        );
        assert!(
            shown
                .iter()
                .all(|line| line.len() <= super::super::banner::WIDTH)
        );
    }
}
