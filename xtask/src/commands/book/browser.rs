//! `cargo xtask book --browser`: the built book, read page by page in headless Chromium.
//!
//! `mdbook build` and linkcheck2 look at files; some mistakes only show in a browser: a
//! mermaid diagram with a syntax error (drawn as an error picture, with nothing logged), a
//! script that fails, a page that fetches something from the internet. `book/check/check.mjs`
//! opens every page through the sidebar and reports those (its header lists them all).
//!
//! This module serves the HTML on `127.0.0.1:<free port>` with a small file server of its
//! own, installs the script's one npm package (`playwright-core`, pinned in
//! `book/check/package-lock.json`) when it is missing, and runs the script with Debian's
//! Chromium. Nothing is downloaded at check time but that package.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

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

// ---------------------------------------------------------------------------------------
// A file server for the built book: GET and HEAD of files under one folder, nothing else.

fn serve(listener: TcpListener, root: &Path) {
    for connection in listener.incoming().flatten() {
        let root = root.to_path_buf();
        // One thread per connection: a browser opens several at once.
        thread::spawn(move || {
            let _ = answer(connection, &root);
        });
    }
}

/// Answers one request, then closes the connection.
fn answer(stream: TcpStream, root: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Skip the headers: nothing in them changes the answer.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let mut words = request_line.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (status, content_type, body) = match method {
        "GET" | "HEAD" => match file_for(root, target)
            .and_then(|path| fs::read(&path).ok().map(|body| (path, body)))
        {
            Some((path, body)) => ("200 OK", content_type(&path), body),
            None => (
                "404 Not Found",
                "text/html; charset=utf-8",
                fs::read(root.join("404.html")).unwrap_or_default(),
            ),
        },
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            Vec::new(),
        ),
    };
    let mut out = &stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        out.write_all(&body)?;
    }
    out.flush()
}

/// The file a request target names, if it is inside `root`: `/` and folders mean their
/// `index.html`; `?query` and `#fragment` are ignored; `..` is refused.
fn file_for(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let decoded = percent_decode(path.strip_prefix('/')?)?;
    let relative = Path::new(&decoded);
    if !relative
        .components()
        .all(|component| matches!(component, Component::Normal(_)))
    {
        return None;
    }
    let mut file = root.join(relative);
    if file.is_dir() {
        file = file.join("index.html");
    }
    file.is_file().then_some(file)
}

/// `%20` and friends back to bytes; `None` for a malformed escape or text that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = text.get(at + 1..at + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|ext| ext.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "txt" | "toml" | "md" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_map_to_files_inside_the_root_only() {
        let root = std::env::temp_dir().join(format!("xtask-serve-{}", std::process::id()));
        fs::create_dir_all(root.join("css")).expect("create temp dir");
        fs::write(root.join("index.html"), "home").expect("write");
        fs::write(root.join("css/a b.css"), "x").expect("write");

        assert_eq!(file_for(&root, "/"), Some(root.join("index.html")));
        assert_eq!(
            file_for(&root, "/index.html?x=1#top"),
            Some(root.join("index.html"))
        );
        assert_eq!(
            file_for(&root, "/css/a%20b.css"),
            Some(root.join("css/a b.css"))
        );
        assert_eq!(file_for(&root, "/../etc/passwd"), None);
        assert_eq!(file_for(&root, "/css/%2e%2e/%2e%2e/x"), None);
        assert_eq!(file_for(&root, "/missing.html"), None);
        assert_eq!(file_for(&root, "no-slash"), None);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn versions_are_read_from_package_files() {
        let package = "{\n  \"dependencies\": {\n    \"playwright-core\": \"1.65.1\"\n  }\n}";
        assert_eq!(
            json_string_after(package, "\"playwright-core\""),
            Some("1.65.1".to_string())
        );
        assert_eq!(json_string_after(package, "\"version\""), None);
    }

    #[test]
    fn a_served_page_arrives_whole() {
        let root = std::env::temp_dir().join(format!("xtask-serve-page-{}", std::process::id()));
        fs::create_dir_all(&root).expect("create temp dir");
        fs::write(root.join("page.html"), "<p>hello</p>").expect("write");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        let served = root.clone();
        thread::spawn(move || serve(listener, &served));

        let mut stream = TcpStream::connect(address).expect("connect");
        stream
            .write_all(b"GET /page.html HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("send");
        let mut response = String::new();
        std::io::Read::read_to_string(&mut stream, &mut response).expect("read");
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.contains("Content-Type: text/html"), "{response}");
        assert!(response.ends_with("\r\n\r\n<p>hello</p>"), "{response}");
        let _ = fs::remove_dir_all(&root);
    }
}
