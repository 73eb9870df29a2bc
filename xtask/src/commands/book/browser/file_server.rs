//! A file server for the built book: GET and HEAD of files under one folder, nothing else.
//! It serves the browser check on loopback for a few minutes, so it is as small as that
//! allows: one thread per connection, one request per connection, no `..` out of the folder.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::thread;
use std::time::Duration;

/// Answers every connection to `listener` with the files under `root`, until the process
/// ends.
pub fn serve(listener: TcpListener, root: &Path) {
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
