//! The doctor's checks of the tools, one function each: Rust, netcat, the open-files limit,
//! mdBook (those of the network are in `loopback.rs`). Every check finishes in moments: the
//! programs it runs (`rustc`, `nc -h`, `sh`, `mdbook`) get a deadline.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use xtask::book_tools::{self, TOOLS};
use xtask::tools::find_program_in;

use super::Finding;
use super::system::{Package, System};

/// The longest any program the doctor runs may take.
const DEADLINE: Duration = Duration::from_secs(10);

/// Open files the busiest tests need: lessons 6 and 7 hold 1,000 connections at once, each
/// a file in the test and one in the server (`tests/harness/src/protected/log.rs` skips
/// those checks below `3 * 1000 + 200`).
pub(super) const OPEN_FILES: u64 = 3_200;

pub(super) const NETCAT: Package = Package {
    apt: "netcat-openbsd",
    dnf: "nmap-ncat",
    pacman: "openbsd-netcat",
    zypper: "netcat-openbsd",
    apk: "netcat-openbsd",
    brew: "netcat",
    winget: Some("Insecure.Nmap"),
};

/// What the doctor knows about where it runs.
pub(super) struct Machine {
    pub system: System,
    /// The `PATH` programs are looked up on.
    pub path: OsString,
}

impl Machine {
    fn find(&self, name: &str) -> Option<std::path::PathBuf> {
        find_program_in(name, &self.path)
    }
}

/// Runs `program args` with the doctor's PATH and a deadline; its stdout and stderr as one
/// text, or `None` if it could not be started.
fn output_of(machine: &Machine, program: &Path, args: &[&str]) -> Option<String> {
    let mut command = Command::new(program);
    command.args(args).env("PATH", &machine.path);
    let ran = process::run(&mut command, b"", DEADLINE).ok()?;
    let mut text = String::from_utf8_lossy(&ran.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&ran.stderr));
    Some(text)
}

/// `1.85` or `1.85.0` as numbers, for comparing.
fn version(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.trim().split('.').map(|part| part.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next()??;
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// `rust-version = "1.85"` from the workspace's Cargo.toml.
pub(super) fn rust_version_wanted(cargo_toml: &str) -> Option<String> {
    cargo_toml.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "rust-version").then(|| value.trim().trim_matches('"').to_string())
    })
}

pub(super) fn rust(machine: &Machine, wanted: Option<&str>) -> Finding {
    let rustc = machine.find("rustc").unwrap_or_else(|| "rustc".into());
    let line = output_of(machine, &rustc, &["--version"]).unwrap_or_default();
    // `rustc 1.95.0 (59807616e 2026-04-14)`
    let found = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let update = if machine.find("rustup").is_some() {
        "rustup update stable"
    } else {
        "install rustup from https://rustup.rs, then rustup update stable"
    };
    let Some(have) = version(&found) else {
        return Finding::problem("Rust: rustc not found", update);
    };
    match wanted.and_then(|wanted| version(wanted).map(|number| (wanted, number))) {
        Some((wanted, number)) if have < number => Finding::problem(
            format!("Rust {found} is older than the {wanted} the course needs"),
            update,
        ),
        Some((wanted, _)) => Finding::ok(format!("Rust {found} (the course needs {wanted})")),
        None => Finding::ok(format!("Rust {found}")),
    }
}

/// The netcat variant, from what `nc -h` prints.
pub(super) fn netcat_variant(help: &str) -> &'static str {
    if help.contains("OpenBSD netcat") {
        "OpenBSD netcat"
    } else if help.contains("Ncat") {
        "Ncat (from Nmap)"
    } else if help.contains("BusyBox") {
        "BusyBox nc"
    } else if help.contains("GNU netcat") {
        "GNU netcat"
    } else if help.contains("[v1.") {
        "traditional netcat"
    } else {
        "a netcat of unknown kind"
    }
}

pub(super) fn netcat(machine: &Machine) -> Finding {
    let install = machine.system.install(&NETCAT);
    let found = ["nc", "ncat", "netcat"]
        .into_iter()
        .find_map(|name| machine.find(name).map(|path| (name, path)));
    let Some((name, path)) = found else {
        return match machine.system {
            // The lessons do not need netcat on Windows; the book's commands use it.
            System::Windows => Finding::note(
                "netcat: none (the lessons do not need it)",
                format!("for the book's nc commands: {install}"),
            ),
            System::MacOs => Finding::problem(
                "netcat: not found (macOS ships /usr/bin/nc)",
                format!("put /usr/bin on your PATH, or {install}"),
            ),
            _ => Finding::problem("netcat: not found", install),
        };
    };
    let help = output_of(machine, &path, &["-h"]).unwrap_or_default();
    let variant = netcat_variant(&help);
    let openbsd_expected = matches!(machine.system, System::Linux { .. });
    if openbsd_expected && variant != "OpenBSD netcat" {
        return Finding::note(
            format!("netcat: `{name}` is {variant}; the book's commands are OpenBSD's"),
            install,
        );
    }
    Finding::ok(format!("netcat: `{name}` is {variant}"))
}

/// `ulimit -n` from a shell: std cannot read the limit itself (`getrlimit` needs `unsafe`
/// or a crate). `None` where there is no shell, or it says nothing useful.
fn open_files_limit(machine: &Machine) -> Option<String> {
    let shell = machine.find("sh")?;
    let text = output_of(machine, &shell, &["-c", "ulimit -n"])?;
    let limit = text.trim().to_string();
    (!limit.is_empty()).then_some(limit)
}

pub(super) fn open_files(machine: &Machine) -> Finding {
    let what = "open files (lessons 5-8)";
    let Some(limit) = open_files_limit(machine) else {
        return Finding::ok(format!("{what}: limit unknown here"));
    };
    match limit.parse::<u64>() {
        Ok(number) if number < OPEN_FILES => Finding::note(
            format!("{what}: {number}; the 1,000-client tests skip"),
            format!(
                "ulimit -n {} in the shell, before cargo test",
                OPEN_FILES.next_power_of_two()
            ),
        ),
        _ => Finding::ok(format!("{what}: {limit} (enough)")),
    }
}

pub(super) fn mdbook(machine: &Machine, book_toml: &str) -> Finding {
    let needed: Vec<_> = TOOLS
        .iter()
        .filter(|tool| book_tools::is_needed(tool, book_toml))
        .collect();
    // Looked up on the doctor's PATH, then asked for its version.
    let missing: Vec<_> = needed
        .iter()
        .filter(|tool| machine.find(tool.name).is_none() || !book_tools::has_version(tool))
        .collect();
    let fix = "cargo xtask book (installs them, once: a few minutes)";
    match missing.as_slice() {
        [] => Finding::ok(format!(
            "mdBook {} and its plug-ins, for the book",
            needed.first().map_or("", |tool| tool.version)
        )),
        [first, rest @ ..] if first.name == "mdbook" => {
            let plugins = match rest.len() {
                0 => String::new(),
                1 => " (and 1 plug-in)".into(),
                more => format!(" (and {more} plug-ins)"),
            };
            Finding::problem(
                format!("mdBook {} for the book: not found{plugins}", first.version),
                fix,
            )
        }
        plugins => {
            let names: Vec<&str> = plugins.iter().map(|tool| tool.name).collect();
            Finding::problem(format!("for the book: {} missing", names.join(", ")), fix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert!(version("1.85").expect("a version") < version("1.100.0").expect("a version"));
        assert_eq!(version("1.85"), Some((1, 85, 0)));
        assert_eq!(version("nightly"), None);
        assert_eq!(
            rust_version_wanted("[workspace.package]\nrust-version = \"1.85\"\n").as_deref(),
            Some("1.85")
        );
    }

    #[test]
    fn netcat_variants_are_told_apart() {
        assert_eq!(
            netcat_variant("OpenBSD netcat (Debian patchlevel 1.219-1)\nusage: nc"),
            "OpenBSD netcat"
        );
        assert_eq!(
            netcat_variant("Ncat 7.94 ( https://nmap.org/ncat )"),
            "Ncat (from Nmap)"
        );
        assert_eq!(
            netcat_variant("[v1.10-47]\nconnect to somewhere"),
            "traditional netcat"
        );
    }
}
