//! `cargo xtask book`: installs the pinned mdBook tools, then serves or builds the book.
//!
//! mdBook and its plugins change between versions in ways that break a book (mdbook 0.5
//! broke several plugins), so every tool is pinned to a version known to work with the
//! others, and installed only when `TOOL --version` does not already show that version.
//!
//! `mdbook build` exits 0 even when an include is broken, so after a build the checks in
//! [`xtask::book_check`] turn those silent mistakes into a failure. `mdbook test` then
//! compiles the book's own Rust snippets, and with `--browser` every page is opened in
//! headless Chromium ([`browser`]).
//!
//! `mdbook serve` runs behind a lifeline (`process::lifeline`): however `cargo xtask book`
//! ends, even killed on its own, the server ends with it and port 3000 is free again.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use process::Capture;
use process::lifeline::Lifeline;
use xtask::Error;
use xtask::book_check::{self, Problem};
use xtask::book_tools::{TOOLS, Tool, has_version, is_needed};

use crate::flags::{self, BookMode};

mod browser;

/// Runs `cargo xtask book [--build-only | --browser] [--port P]` from the workspace root.
pub fn run(args: &flags::Book) -> Result<(), Error> {
    let book_toml = fs::read_to_string("book/book.toml")
        .map_err(|err| format!("could not read book/book.toml: {err}"))?;
    for tool in TOOLS.iter().filter(|tool| is_needed(tool, &book_toml)) {
        ensure_installed(tool)?;
    }

    // Checked before building: `mdbook build` creates missing chapters as empty files,
    // which would hide them from a check afterwards.
    let source_problems = book_check::check_sources(Path::new("book/src"))?;
    report(&source_problems);

    if args.mode == BookMode::Serve {
        // While writing, a live preview helps even with a broken include: the problems
        // above are warnings here.
        let mut serve_args = vec!["serve", "book", "--open"];
        let port = args.port.map(|port| port.to_string());
        if let Some(port) = &port {
            serve_args.extend(["-p", port]);
        }
        return serve(&serve_args);
    }

    // Start from an empty output folder: pages of chapters since removed, or of an earlier
    // layout (before linkcheck2 moved the HTML into html/), would otherwise linger there.
    xtask::fs::remove_dir(Path::new("book/book"))?;
    mdbook(&["build", "book"])?;
    let html_dir = html_dir(&book_toml);
    let html_problems = book_check::check_html(&html_dir)?;
    report(&html_problems);
    let count = source_problems.len() + html_problems.len();
    if count > 0 {
        return Err(format!("the book has {count} problem(s), listed above").into());
    }
    // The Rust snippets written in the chapters themselves: code included from the crates
    // is fenced `rust,ignore` (cargo tests it), and code that binds or connects `no_run`.
    mdbook(&["test", "book"])?;
    println!("book: built and checked, no problems; its Rust snippets compile");
    if args.mode == BookMode::Browser {
        browser::check(&html_dir)?;
    }
    Ok(())
}

/// Runs `mdbook serve ...` behind a lifeline until it ends; its output goes to the terminal.
fn serve(args: &[&str]) -> Result<(), Error> {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    let mut server = Lifeline::start(&OsString::from("mdbook"), &args, Capture::NONE)
        .map_err(|err| format!("could not start mdbook: {err}"))?;
    let status = server
        .wait_forever()
        .map_err(|err| format!("could not wait for mdbook: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("`mdbook serve` failed (its output is above)".into())
    }
}

/// With `mdbook-linkcheck2` configured there are two renderers, and mdbook then gives
/// each its own folder: the HTML moves from `book/book/` to `book/book/html/`.
fn html_dir(book_toml: &str) -> PathBuf {
    let linkcheck = TOOLS
        .iter()
        .any(|tool| tool.name == "mdbook-linkcheck2" && is_needed(tool, book_toml));
    if linkcheck {
        PathBuf::from("book/book/html")
    } else {
        PathBuf::from("book/book")
    }
}

fn ensure_installed(tool: &Tool) -> Result<(), String> {
    if has_version(tool) {
        return Ok(());
    }
    println!(
        "book: installing {} {} (once per machine; can take a minute or two)",
        tool.name, tool.version
    );
    // `--locked` builds with the versions of its dependencies the tool was released with.
    let status = Command::new(process::cargo())
        .args(["install", "--locked", tool.name, "--version", tool.version])
        .status()
        .map_err(|err| format!("could not start cargo install: {err}"))?;
    if !status.success() {
        return Err(format!(
            "could not install {} {} (cargo's output is above)",
            tool.name, tool.version
        ));
    }
    if !has_version(tool) {
        println!(
            "book: warning: `{} --version` still does not show {}: is another copy earlier \
             on your PATH than ~/.cargo/bin?",
            tool.name, tool.version
        );
    }
    Ok(())
}

/// Runs mdbook with `args` from the workspace root; its output goes straight to the terminal.
fn mdbook(args: &[&str]) -> Result<(), String> {
    let status = Command::new("mdbook")
        .args(args)
        .status()
        .map_err(|err| format!("could not start mdbook: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`mdbook {}` failed (its output is above)",
            args.join(" ")
        ))
    }
}

fn report(problems: &[Problem]) {
    for problem in problems {
        println!("book: {problem}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linkcheck2_moves_the_html() {
        assert_eq!(
            html_dir("[preprocessor.mermaid]\n[output.html]\n[output.linkcheck2]\n"),
            PathBuf::from("book/book/html")
        );
        assert_eq!(html_dir("[output.html]\n"), PathBuf::from("book/book"));
    }
}
