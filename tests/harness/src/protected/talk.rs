//! Talking to the server: the steps every check above takes.

use super::*;

pub(super) fn with_port<'a>(options: &[&'a str]) -> Vec<&'a str> {
    let mut args = options.to_vec();
    args.push("0");
    args
}

/// Starts the server with these options and port 0, and reads its `Listening on` line.
pub(super) fn start(
    lesson: &Lesson,
    options: &[&str],
    sections: &Sections,
) -> (Running, SocketAddr) {
    let mut server = Running::start(*lesson, &with_port(options));
    let address = server.listening_address(sections.options);
    (server, address)
}

pub(super) fn connect(server: &mut Running, address: SocketAddr, sections: &Sections) -> Peer {
    crate::common::connect(
        server,
        address,
        "the server accepts every client",
        "keep accepting in a loop until the shutdown; a server that has exited refuses \
         connections.",
        sections.cap,
    )
}

/// The reply as a count: decimal digits and `\n`.
pub(super) fn parse_count(reply: &std::io::Result<Vec<u8>>) -> Option<usize> {
    let line = reply.as_ref().ok()?;
    let text = std::str::from_utf8(line).ok()?.strip_suffix('\n')?;
    text.trim_end_matches('\r').parse().ok()
}

pub(super) fn ask(server: &mut Running, peer: &mut Peer, sections: &Sections) -> usize {
    let reply = peer.send(QUESTION).and_then(|()| peer.receive_line());
    if let Some(count) = parse_count(&reply) {
        return count;
    }
    // What came instead names the mistake better than "reply with the count" would.
    let (hint, section) = match &reply {
        Ok(line) if line == b"ERROR idle timeout\n" => (
            "this client was cut although it had just sent a whole line: the deadline \
             belongs to the line being read, so it starts again after each complete line.",
            sections.deadline,
        ),
        Ok(line) if line == b"ERROR server full\n" => (
            "this client was refused although the server was below its cap: refuse only \
             while --max-clients clients are connected, and count admitted clients only.",
            sections.cap,
        ),
        // Silence, not a close: the server is stuck, usually on what another client holds.
        Err(error) if crate::is_timeout(error) => (
            "no reply came, and the connection stayed open: the server is stuck. Look for \
             what one client's thread or task holds while it waits for that client: a lock \
             kept across the wait for its next line, or, in async code, a blocking call (std \
             I/O, a sleep) that stops every task of the runtime's thread. Each line gets its \
             reply, the count read now, as in lesson 5.",
            sections.stalls,
        ),
        _ => (
            "reply to each line as lesson 5 did, with the count read now.",
            sections.lesson5,
        ),
    };
    server.fail(Problem {
        check: "every line gets the count as its reply".into(),
        did: "sent \"how many?\\n\"".into(),
        expected: "the number of clients connected and \\n, like \"2\\n\"".into(),
        got: describe_read(&reply),
        hint: hint.into(),
        section: section.into(),
    })
}

pub(super) fn expect_count(
    server: &mut Running,
    peer: &mut Peer,
    expected: usize,
    did: &str,
    sections: &Sections,
) {
    let count = ask(server, peer, sections);
    if count != expected {
        server.fail(Problem {
            check: "the count is exact: admitted clients only, each from its acceptance".into(),
            did: did.into(),
            expected: format!("the reply \"{expected}\\n\""),
            got: format!("the reply \"{count}\\n\""),
            hint: "count a client when it is admitted (never a refused one), and uncount it in \
                   a guard's Drop, however its connection ends: STOP, timeout, error, shutdown."
                .into(),
            section: sections.cap.into(),
        });
    }
}

/// Asks until the reply is `expected`, for at most [`STEP`] (a correct server uncounts a
/// client a moment after its connection ends).
pub fn wait_for_count(
    server: &mut Running,
    peer: &mut Peer,
    expected: usize,
    did: &str,
    sections: &Sections,
) {
    let deadline = Instant::now() + STEP;
    let mut last = ask(server, peer, sections);
    while last != expected && Instant::now() < deadline {
        last = ask(server, peer, sections);
    }
    if last != expected {
        // Below the clients still connected (or wrapped around below zero): uncounted twice.
        let hint = if last < expected || last > usize::MAX / 2 {
            "the count fell below the clients still connected: a client that left was \
             uncounted twice. Uncount in one place only, the guard's Drop, which runs exactly \
             once however the client's thread or task ends."
        } else {
            "uncount in the guard's Drop, so that every way out (timeout, STOP, error, a \
             refused client that was never counted) keeps the count exact."
        };
        server.fail(Problem {
            check: "a client is uncounted when its connection ends, however it ends".into(),
            did: did.into(),
            expected: format!("the reply \"{expected}\\n\" within {} s", STEP.as_secs()),
            got: format!("the reply \"{last}\\n\", again and again"),
            hint: hint.into(),
            section: sections.cap.into(),
        });
    }
}

/// Waits up to `within` for a line from `waiting`, asking from `talker` every 200 ms so
/// that the talker never goes idle meanwhile.
pub(super) fn wait_keeping_alive(
    server: &mut Running,
    waiting: &mut Peer,
    talker: &mut Peer,
    within: Duration,
    sections: &Sections,
) -> std::io::Result<Vec<u8>> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let result = read_line_within(waiting, left.min(Duration::from_millis(200)));
        match &result {
            Err(error) if crate::is_timeout(error) && !left.is_zero() => {
                // 1 once the silent client is being cut: a server may uncount it first.
                let count = ask(server, talker, sections);
                if !(1..=2).contains(&count) {
                    server.fail(Problem {
                        check: "a client that keeps talking is not cut, and the count holds".into(),
                        did: "kept asking every 200 ms while a silent client waited".into(),
                        expected: "the reply \"2\\n\" each time (\"1\\n\" once the silent \
                                   client is cut)"
                            .into(),
                        got: format!("the reply \"{count}\\n\""),
                        hint: "the deadline of a client starts again with each of its lines, \
                               and one client's deadline never touches another's."
                            .into(),
                        section: sections.deadline.into(),
                    });
                }
            }
            _ => return result,
        }
    }
}

/// Reads one line from `peer`, waiting at most `within`.
pub(super) fn read_line_within(peer: &mut Peer, within: Duration) -> std::io::Result<Vec<u8>> {
    // A zero timeout means "no timeout" to the OS: never ask for that.
    peer.stream()
        .set_read_timeout(Some(within.max(Duration::from_millis(1))))?;
    let line = peer.receive_line();
    peer.stream().set_read_timeout(Some(STEP))?;
    line
}

/// Fails unless the next line from `peer` is `words`, followed by a clean end of stream.
pub(super) fn expect_last_words(
    server: &mut Running,
    peer: &mut Peer,
    words: &str,
    did: &str,
    section: &str,
) {
    let line = peer.receive_line();
    let hint = match &line {
        Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {
            "a reset destroyed the line, or it was never sent: write it, then close cleanly \
             (as netkit::send_and_close does), never with unread bytes."
        }
        Err(error) if crate::is_timeout(error) && words == "ERROR line too long\n" => {
            "nothing came, and the connection stayed open: the server is still reading the \
             line, however long it grows. Read at most netkit::LINE_READ_LIMIT bytes of a \
             line (`take` before `read_until`), and answer a longer one with its error."
        }
        _ => {
            "write the last line, then close the connection (BYE to every client on \
             shutdown, ERROR ... when a client is cut)."
        }
    };
    expect_line(server, peer, &line, words, did, hint, section);
}

/// Fails unless `line` (already read from `peer`) is `words`, then checks the clean end.
pub(super) fn expect_line(
    server: &mut Running,
    peer: &mut Peer,
    line: &std::io::Result<Vec<u8>>,
    words: &str,
    did: &str,
    hint: &str,
    section: &str,
) {
    if !matches!(line, Ok(line) if line == words.as_bytes()) {
        server.fail(Problem {
            check: format!(
                "the server says {} before it closes",
                shown(words.as_bytes())
            ),
            did: did.into(),
            expected: format!(
                "the line {}, then the end of the stream",
                shown(words.as_bytes())
            ),
            got: describe_read(line),
            hint: hint.into(),
            section: section.into(),
        });
    }
    expect_clean_end(server, peer, words, section);
}

/// After the last line, the stream must end with a normal close: not more bytes, not a
/// reset (which would have destroyed the line on some systems), not silence.
pub(super) fn expect_clean_end(server: &mut Running, peer: &mut Peer, words: &str, section: &str) {
    let rest = peer.receive_to_end();
    if !matches!(&rest, Ok(rest) if rest.is_empty()) {
        let got = match &rest {
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {
                "a reset (RST) instead of a normal close".to_string()
            }
            Err(error) if crate::is_timeout(error) => {
                format!("the connection still open after {} s", STEP.as_secs())
            }
            other => format!("more: {}", describe_read(other)),
        };
        server.fail(Problem {
            check: "last words arrive: the connection closes cleanly after them".into(),
            did: format!("read {} from the server", shown(words.as_bytes())),
            expected: "the end of the stream (a normal close) right after it".into(),
            got,
            hint: "close cleanly: send the line, shut down the writing side, and read (and \
                   drop) what the client still sends for a moment before closing, as \
                   netkit::send_and_close does. Closing with unread bytes sends a reset."
                .into(),
            section: section.into(),
        });
    }
}
