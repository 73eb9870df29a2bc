//! `cargo xtask doctor`: one screen that tells a learner what this machine lacks for the
//! course, and the command that fixes each problem *here* (apt, dnf, brew, winget, WSL).
//!
//! ```text
//! doctor: this machine (Linux, apt), for the course
//!   ok    Rust 1.95.0 (the course needs 1.85)
//!   !!    netcat: not found. Fix: sudo apt-get install netcat-openbsd
//!   ...
//! ```
//!
//! Three kinds of line: `ok`; `note` (works, but worth knowing: a test that will skip, a
//! surprise the book explains); and `!!`, a problem, with its fix. It exits with status 1
//! when there is a problem, so a set-up script can stop there. It changes nothing.

use std::path::Path;

use xtask::Error;

mod checks;
mod loopback;
mod system;

use checks::Machine;
use system::System;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Ok,
    Note,
    Problem,
}

/// One line of the report, with the fix for this system where there is one (for a note,
/// the way to change what it notes).
#[derive(Debug)]
struct Finding {
    level: Level,
    what: String,
    fix: Option<String>,
}

impl Finding {
    fn ok(what: impl Into<String>) -> Finding {
        Finding {
            level: Level::Ok,
            what: what.into(),
            fix: None,
        }
    }

    fn note(what: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            level: Level::Note,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }

    fn problem(what: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            level: Level::Problem,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }

    fn print(&self) {
        let mark = match self.level {
            Level::Ok => "ok",
            Level::Note => "note",
            Level::Problem => "!!",
        };
        match &self.fix {
            Some(fix) => println!("  {mark:<4}  {}. Fix: {fix}", self.what),
            None => println!("  {mark:<4}  {}", self.what),
        }
    }
}

/// Runs `cargo xtask doctor` from the workspace root.
pub fn run() -> Result<(), Error> {
    let machine = Machine {
        system: System::detect(),
        path: std::env::var_os("PATH").unwrap_or_default(),
    };
    println!(
        "doctor: this machine ({}), for the course",
        machine.system.describe()
    );
    let cargo_toml = std::fs::read_to_string("Cargo.toml").unwrap_or_default();
    let wanted = checks::rust_version_wanted(&cargo_toml);
    let book_toml = std::fs::read_to_string(Path::new("book/book.toml")).unwrap_or_default();
    let findings = [
        checks::rust(&machine, wanted.as_deref()),
        checks::netcat(&machine),
        loopback::loopback(&machine),
        loopback::ipv6(&machine),
        loopback::localhost(),
        checks::open_files(&machine),
        checks::mdbook(&machine, &book_toml),
    ];
    for finding in &findings {
        finding.print();
    }
    let problems = findings
        .iter()
        .filter(|finding| finding.level == Level::Problem)
        .count();
    if problems == 0 {
        println!("Everything the course needs is here.");
        return Ok(());
    }
    println!("The book's Troubleshooting chapter says more about each.");
    Err(format!("doctor: {problems} problem(s), each with its fix above").into())
}
