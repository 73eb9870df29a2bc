//! What the relay says in the server's pane, one line per event, each starting with the
//! client's address so that a room can tell three clients apart:
//!
//! ```text
//! [127.0.0.1:50000] connected (3 now)
//! [127.0.0.1:50000] -> hello
//! [127.0.0.1:50000] left (2 now)
//! ```
//!
//! With `--wire`, every piece of bytes that passes is shown exactly, escaped, each way:
//! `-> "hello\n"` from the client, `<- "2024-05-01T10:00:00Z\n"` back to it. A piece ends
//! after each newline, so the lone `"\n"` of the Go client's double newline gets a line of
//! its own.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Mutex;

use xtask::text::escaped;

/// How much of one line or piece is kept for showing; the rest is counted. Keeps a 64 KiB
/// line from filling the projector.
const SHOWN: usize = 64;

/// The width of a projected pane: a narration line is cut to fit it.
const WIDTH: usize = super::banner::WIDTH;

/// Which way bytes went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    /// From the client to the server.
    In,
    /// From the server back to the client.
    Out,
}

impl Direction {
    fn arrow(self) -> &'static str {
        match self {
            Direction::In => "->",
            Direction::Out => "<-",
        }
    }
}

/// Prints the relay's events. Shared by every connection's threads.
pub(super) struct Narrator {
    wire: bool,
    /// Connections open now (TCP), or senders seen so far (UDP).
    count: Mutex<usize>,
}

impl Narrator {
    pub fn new(wire: bool) -> Narrator {
        Narrator {
            wire,
            count: Mutex::new(0),
        }
    }

    pub fn wire(&self) -> bool {
        self.wire
    }

    pub fn say(&self, peer: SocketAddr, what: &str) {
        show(&format!("[{peer}] {what}\n"));
    }

    fn change_count(&self, change: impl FnOnce(&mut usize)) -> usize {
        let mut count = self
            .count
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        change(&mut count);
        *count
    }

    pub fn connected(&self, peer: SocketAddr) {
        let now = self.change_count(|count| *count += 1);
        self.say(peer, &format!("connected ({now} now)"));
    }

    pub fn left(&self, peer: SocketAddr) {
        let now = self.change_count(|count| *count = count.saturating_sub(1));
        self.say(peer, &format!("left ({now} now)"));
    }

    /// A UDP sender's first datagram.
    pub fn new_sender(&self, peer: SocketAddr) {
        let now = self.change_count(|count| *count += 1);
        let senders = if now == 1 { "sender" } else { "senders" };
        self.say(peer, &format!("first datagram ({now} {senders} so far)"));
    }

    /// A complete line (or a datagram) without `--wire`: as text, its newline left out.
    pub fn line(&self, peer: SocketAddr, direction: Direction, line: &[u8], total: usize) {
        let text = line
            .strip_suffix(b"\n")
            .map(|rest| rest.strip_suffix(b"\r").unwrap_or(rest))
            .unwrap_or(line);
        let start = format!("[{peer}] {} ", direction.arrow());
        let cut = line.len() < total;
        show(&format!(
            "{}\n",
            fitted(&start, &escaped(text), "", cut, total)
        ));
    }

    /// Bytes as they passed, with `--wire`: one line per piece that ends with a newline.
    pub fn bytes(&self, peer: SocketAddr, direction: Direction, bytes: &[u8]) {
        for piece in pieces(bytes) {
            let kept = &piece[..piece.len().min(SHOWN)];
            let start = format!("[{peer}] {} \"", direction.arrow());
            let cut = kept.len() < piece.len();
            show(&format!(
                "{}\n",
                fitted(&start, &escaped(kept), "\"", cut, piece.len())
            ));
        }
    }

    /// The end of one direction's stream (a FIN), with `--wire`.
    pub fn end_of_stream(&self, peer: SocketAddr, direction: Direction) {
        if self.wire {
            self.say(peer, &format!("{} (end of stream)", direction.arrow()));
        }
    }
}

/// Writes `text` (whole lines) to the demo's pane. The lock of stdout is held for the
/// whole text, so lines from several threads never mix.
///
/// If nobody reads the pane any more (it was closed, or the demo's output was piped into a
/// program that has ended), the demo has nothing left to do: it ends at once, quietly, and
/// the server's lifeline stops the server. (`println!` would panic instead.)
pub(super) fn show(text: &str) {
    let mut stdout = io::stdout().lock();
    if stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}

/// `start`, `text` and `end` on one line of at most [`WIDTH`] columns where the text allows:
/// a text too long for it is cut, and `... (N bytes)` says how long it was. `cut` says the
/// text is already a part of `total` bytes.
fn fitted(start: &str, text: &str, end: &str, cut: bool, total: usize) -> String {
    let width = |s: &str| s.chars().count();
    if !cut && width(start) + width(text) + width(end) <= WIDTH {
        return format!("{start}{text}{end}");
    }
    let more = format!("... ({total} bytes)");
    // At least a few characters of the text, even behind a long IPv6 address.
    let room = WIDTH
        .saturating_sub(width(start) + width(end) + width(&more))
        .max(8);
    let kept: String = text.chars().take(room).collect();
    format!("{start}{kept}{end}{more}")
}

/// The bytes cut after every newline: `"a\n\nb"` gives `"a\n"`, `"\n"`, `"b"`.
fn pieces(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split_inclusive(|&byte| byte == b'\n')
}

/// Collects a stream's bytes into lines for the narration without `--wire`. Keeps at most
/// [`SHOWN`] bytes of a line, and counts the rest.
#[derive(Default)]
pub(super) struct Lines {
    kept: Vec<u8>,
    total: usize,
}

impl Lines {
    /// Feeds bytes; calls `line(kept, total)` for every line they complete.
    pub fn feed(&mut self, bytes: &[u8], mut line: impl FnMut(&[u8], usize)) {
        for piece in pieces(bytes) {
            let room = SHOWN.saturating_sub(self.kept.len());
            self.kept.extend_from_slice(&piece[..piece.len().min(room)]);
            self.total += piece.len();
            if piece.ends_with(b"\n") {
                line(&self.kept, self.total);
                self.kept.clear();
                self.total = 0;
            }
        }
    }

    /// The unfinished line at the end of the stream, if any.
    pub fn rest(&mut self) -> Option<(Vec<u8>, usize)> {
        let total = std::mem::take(&mut self.total);
        (total > 0).then(|| (std::mem::take(&mut self.kept), total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_end_after_each_newline() {
        let cut: Vec<&[u8]> = pieces(b"hello\n\nrest").collect();
        assert_eq!(cut, [&b"hello\n"[..], b"\n", b"rest"]);
    }

    #[test]
    fn lines_are_gathered_across_reads_and_long_ones_are_cut() {
        let mut lines = Lines::default();
        let mut seen = Vec::new();
        lines.feed(b"hel", |line, total| seen.push((line.to_vec(), total)));
        lines.feed(b"lo\nSTO", |line, total| seen.push((line.to_vec(), total)));
        assert_eq!(seen, [(b"hello\n".to_vec(), 6)]);
        assert_eq!(lines.rest(), Some((b"STO".to_vec(), 3)));
        assert_eq!(lines.rest(), None);

        let long = vec![b'a'; 70_000];
        let mut seen = Vec::new();
        lines.feed(&long, |_, _| unreachable!("no newline yet"));
        lines.feed(b"\n", |line, total| seen.push((line.len(), total)));
        assert_eq!(seen, [(SHOWN, 70_001)]);
    }

    #[test]
    fn a_long_line_is_cut_to_the_width_and_says_how_long_it_was() {
        let start = "[127.0.0.1:50000] -> ";
        assert_eq!(
            fitted(start, "hello", "", false, 6),
            "[127.0.0.1:50000] -> hello"
        );
        let long = "a".repeat(64);
        let line = fitted(start, &long, "", true, 70_001);
        assert!(line.ends_with("a... (70001 bytes)"), "{line}");
        assert_eq!(line.chars().count(), WIDTH, "{line}");
        let wire = fitted("[127.0.0.1:50000] -> \"", &long, "\"", false, 64);
        assert!(
            wire.ends_with("\"... (64 bytes)") && wire.chars().count() <= WIDTH,
            "{wire}"
        );
    }
}
