//! `doctor`: it reports this machine, and it names the fix for what is missing.

use std::path::Path;
use std::process::Command;

use super::{QUICK, real_root, run, text, xtask};

/// The lines of the doctor's report about `what`.
fn line_about<'a>(report: &'a str, what: &str) -> &'a str {
    report
        .lines()
        .find(|line| line.contains(what))
        .unwrap_or_else(|| panic!("no line about {what} in:\n{report}"))
}

/// Every check has its line, and loopback (which every test needs) works here.
#[test]
fn doctor_reports_this_machine() {
    let output = run(xtask(&real_root(), &["doctor"]), QUICK);
    let report = text(&output.stdout);
    let code = output.status.and_then(|status| status.code());
    assert!(
        matches!(code, Some(0 | 1)),
        "{report}{}",
        text(&output.stderr)
    );
    assert!(report.starts_with("doctor: this machine ("), "{report}");
    for what in [
        "Rust",
        "netcat",
        "loopback:",
        "IPv6 loopback",
        "`localhost`",
        "open files",
        "mdBook",
    ] {
        line_about(&report, what);
    }
    assert!(
        line_about(&report, "loopback:")
            .trim_start()
            .starts_with("ok"),
        "{report}"
    );
    // Status 1 exactly when a line is marked as a problem.
    let problems = report
        .lines()
        .any(|line| line.trim_start().starts_with("!!"));
    assert_eq!(code == Some(1), problems, "{report}");
}

/// With a PATH that holds only the Rust toolchain, netcat is missing, and the report says
/// how to install it on this system.
#[test]
fn doctor_names_the_fix_for_a_missing_netcat() {
    let cargo = process::cargo();
    let toolchain = Path::new(&cargo).parent().filter(|dir| dir.is_dir());
    let Some(toolchain) = toolchain else {
        eprintln!("skipped: cargo is not given by its path here ({cargo:?})");
        return;
    };
    let has_netcat = ["nc", "ncat", "netcat"]
        .iter()
        .any(|name| toolchain.join(name).exists());
    if has_netcat {
        eprintln!(
            "skipped: netcat sits beside cargo in {}",
            toolchain.display()
        );
        return;
    }
    let mut command: Command = xtask(&real_root(), &["doctor"]);
    command.env("PATH", toolchain);
    let output = run(command, QUICK);
    let report = text(&output.stdout);
    let line = line_about(&report, "netcat");
    assert!(line.contains("Fix: "), "{report}");
    if cfg!(windows) {
        assert!(line.contains("winget install Insecure.Nmap"), "{report}");
    } else {
        assert!(line.trim_start().starts_with("!!"), "{report}");
        assert!(line.contains("install"), "{report}");
        assert_eq!(output.status.and_then(|s| s.code()), Some(1), "{report}");
    }
    if cfg!(target_os = "linux") && Path::new("/usr/bin/apt-get").exists() {
        assert!(
            line.contains("sudo apt-get install netcat-openbsd"),
            "{report}"
        );
    }
}
