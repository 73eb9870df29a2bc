//! `cargo xtask book --browser`: the built book, read page by page in headless Chromium.
//!
//! `mdbook build` and linkcheck2 look at files; some mistakes only show in a browser: a
//! mermaid diagram with a syntax error (drawn as an error picture, with nothing logged), a
//! script that fails, a page that fetches something from the internet. `book/check/check.mjs`
//! opens every page through the sidebar and reports those (its header lists them all).
//!
//! This module serves the HTML on `127.0.0.1:<free port>` with a small file server of its
//! own (`browser/file_server.rs`), installs the script's one npm package (`playwright-core`,
//! pinned in `book/check/package-lock.json`) when it is missing, and runs the script with
//! Debian's Chromium. Nothing is downloaded at check time but that package.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;

mod file_server;

use file_server::serve;

/// Where the check script and its package files live.
const CHECK_DIR: &str = "book/check";

/// Where the screenshots of a diagram and a quiz are written, for a person to look at.
const SCREENSHOT_DIR: &str = "target/book-check";

/// Serves `html_dir` and runs the browser check against it.
pub fn check(html_dir: &Path) -> Result<(), String> {
    let node = require_node()?;
    let chromium = find_chromium()?;
    install_playwright()?;

    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|err| format!("could not start the file server: {err}"))?;
    let address = listener
        .local_addr()
        .map_err(|err| format!("could not read the file server's address: {err}"))?;
    let root = html_dir.to_path_buf();
    // The server thread ends with the process; it only ever serves this one check.
    thread::spawn(move || serve(listener, &root));

    let url = format!("http://{address}/");
    println!("book: browser check of {url} with {}", chromium.display());
    let status = Command::new(node)
        .current_dir(CHECK_DIR)
        .arg("check.mjs")
        .arg(&url)
        .arg("--screenshots")
        .arg(Path::new("..").join("..").join(SCREENSHOT_DIR))
        .env("CHROMIUM", &chromium)
        .status()
        .map_err(|err| format!("could not start node: {err}"))?;
    if status.success() {
        println!("book: screenshots of the diagrams and quizzes are in {SCREENSHOT_DIR}/");
        Ok(())
    } else {
        Err("the browser check found problems (listed above)".to_string())
    }
}

/// `node`, if it is Node.js 20 or newer (what playwright-core asks for).
fn require_node() -> Result<&'static str, String> {
    let version = match Command::new("node").arg("--version").output() {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).trim().to_string()
        }
        _ => {
            return Err(
                "the browser check needs Node.js 20 or newer, and `node` was not \
                        found (on Debian or Ubuntu: apt-get install nodejs npm)"
                    .to_string(),
            );
        }
    };
    // `v20.20.2` -> 20
    let major: Option<u32> = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|major| major.parse().ok());
    match major {
        Some(major) if major >= 20 => Ok("node"),
        _ => Err(format!(
            "the browser check needs Node.js 20 or newer (for playwright-core), and `node` \
             is {version}"
        )),
    }
}

/// Debian's Chromium, or the program named by `$CHROMIUM`.
fn find_chromium() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Ok(PathBuf::from(path));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
        .ok_or_else(|| {
            "the browser check needs Chromium: on Debian or Ubuntu `apt-get install chromium`, \
             or set CHROMIUM to a Chromium or Chrome program"
                .to_string()
        })
}

/// `npm ci` in `book/check` when `playwright-core` is not there yet, or is not the version
/// that `book/check/package.json` pins.
fn install_playwright() -> Result<(), String> {
    let installed = Path::new(CHECK_DIR).join("node_modules/playwright-core/package.json");
    let wanted = fs::read_to_string(Path::new(CHECK_DIR).join("package.json"))
        .ok()
        .and_then(|text| json_string_after(&text, "\"playwright-core\""));
    let present = fs::read_to_string(&installed)
        .ok()
        .and_then(|text| json_string_after(&text, "\"version\""));
    if present.is_some() && present == wanted {
        return Ok(());
    }
    println!("book: installing the browser check's npm package (npm ci in {CHECK_DIR})");
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let status = Command::new(npm)
        .current_dir(CHECK_DIR)
        .args(["ci", "--no-audit", "--no-fund"])
        .status()
        .map_err(|err| format!("could not start npm: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`npm ci` failed in {CHECK_DIR} (its output is above)"
        ))
    }
}

/// The string value that follows `key` in a JSON text: enough for `"version": "1.2.3"`,
/// without a JSON parser.
fn json_string_after(text: &str, key: &str) -> Option<String> {
    let after_key = &text[text.find(key)? + key.len()..];
    let value = after_key.trim_start().strip_prefix(':')?.trim_start();
    let value = value.strip_prefix('"')?;
    Some(value[..value.find('"')?].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_package_files() {
        let package = "{\n  \"dependencies\": {\n    \"playwright-core\": \"1.65.1\"\n  }\n}";
        assert_eq!(
            json_string_after(package, "\"playwright-core\""),
            Some("1.65.1".to_string())
        );
        assert_eq!(json_string_after(package, "\"version\""), None);
    }
}
