//! # Lesson 5 tests: the concurrent TCP server
//!
//! Each test starts your server on port 0, reads the `Listening on ...` line to learn the
//! address, then plays several clients at once: some polite, some silent, some rude. The
//! replies tell the test how many clients your server believes are connected.
//!
//! Run them with `cargo test -p lesson5`. The same file also checks the reference solution
//! (`cargo test -p lesson5-solution`). The tests are in parts, in the folder `lesson5/`, named
//! so that their reports follow the TODOs (libtest runs and reports them by name):
//!
//! - here: the listening line and the command line, which need no client;
//! - `todo1_threads.rs`: every client is served at once, in a thread of its own (TODO(1));
//! - `todo2_guard.rs`: the count, up when a client comes and down when it leaves (TODO(2));
//! - `todo3_reply.rs`: the reply, the count as a line (TODO(3));
//! - `when_threads_run_out.rs`: a client whose thread cannot start (TODO(1) again);
//! - `whole_server.rs`: lines, STOP, long lines, escapes, a lost stdout, 200 clients;
//! - `further.rs`: the "Going further" exercises, off by default
//!   (`cargo test -p lesson5 -- --ignored`).
//!
//! Below: what the parts share, then the tests that need no client.

use std::net::SocketAddr;
use std::time::Instant;

use harness::common::{self, Role, Transport};
use harness::{Lesson, Peer, Problem, Running, STEP, describe_read, shown};

#[path = "lesson5/further.rs"]
mod further;
#[path = "lesson5/todo1_threads.rs"]
mod todo1_threads;
#[path = "lesson5/todo2_guard.rs"]
mod todo2_guard;
#[path = "lesson5/todo3_reply.rs"]
mod todo3_reply;
#[path = "lesson5/when_threads_run_out.rs"]
mod when_threads_run_out;
#[path = "lesson5/whole_server.rs"]
mod whole_server;

const LESSON: Lesson = harness::lesson!(5);

// Book sections the reports point to (headings of book/src/lesson5.md).
const LISTENING: &str = "Listening";
const ARGUMENTS: &str = "Arguments and exit codes";
const THREADS: &str = "TODO(1): a thread per client";
const GUARD: &str = "TODO(2): a guard that counts the client";
const REPLY: &str = "TODO(3): answering with the count";
const LINES: &str = "Reading lines";
const STOP: &str = "STOP";
const TOO_LONG: &str = "Lines that are too long";
const FURTHER: &str = "Going further";

/// What the test sends when all it wants is the count.
const QUESTION: &[u8] = b"how many?\n";

/// The hint for a client that got no reply while earlier clients stay connected.
const BUSY_HINT: &str = "the clients before this one were answered, and they are still \
                         connected: your server is busy with them. Give each client a thread \
                         of its own, and let start_client_thread return at once: no join() on \
                         the thread, no serving in the accept loop, no lock held for a whole \
                         conversation.";

/// The hint for a line that got no complete reply, from a client alone on the server.
const NO_LINE_HINT: &str = "every line but STOP gets one reply line: the number of clients, \
                            then \\n. Without the \\n the client cannot know that the reply \
                            has ended, and waits.";

/// The hint for a connection that the server closed instead of replying.
const CLOSED_HINT: &str = "your server closed the connection instead of replying: the client's \
                           thread ended before it answered. Only STOP, the end of the stream \
                           and a line too long end a conversation.";

/// Starts the server on `127.0.0.1` with a free port; returns it and its address.
fn start_server() -> (Running, SocketAddr) {
    Running::start_server(LESSON, "0", LISTENING)
}

/// Connects to the server under test, or fails the test with its output.
fn connect(server: &mut Running, address: SocketAddr) -> Peer {
    common::connect(
        server,
        address,
        "the server accepts every client",
        "keep the TcpListener alive and call accept() on it in a loop; a server that has \
         exited refuses connections.",
        THREADS,
    )
}

/// A line the test sent, for a report: long lines by their size only.
fn described(line: &[u8]) -> String {
    if line.len() > 80 {
        format!("a line of {} bytes", line.len())
    } else {
        shown(line)
    }
}

/// Who else is connected while a client asks: the evidence for the hint when no reply comes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Company {
    /// The asker is the only client (or the others were never answered).
    Alone,
    /// Clients that were answered before are still connected.
    Others,
}

/// Sends `line` and returns the reply line, `\n` included, or fails the test. When no whole
/// line comes, the hint follows the evidence: a reply that never ended, or a server busy with
/// the `company`.
fn ask(server: &mut Running, peer: &mut Peer, line: &[u8], company: Company, did: &str) -> Vec<u8> {
    let reply = peer.send(line).and_then(|()| peer.receive_reply());
    if let Ok(reply) = &reply
        && reply.ends_with(b"\n")
    {
        return reply.clone();
    }
    let (hint, section) = match (&reply, company) {
        (Ok(closed), _) if closed.is_empty() => (CLOSED_HINT, REPLY),
        (Err(_), Company::Others) => (BUSY_HINT, THREADS),
        _ => (NO_LINE_HINT, REPLY),
    };
    server.fail(Problem {
        check: "every line gets one reply line".into(),
        did: format!("{did}; sent {}", described(line)),
        expected: "the number of clients connected and \\n, like \"1\\n\"".into(),
        got: describe_read(&reply),
        hint: hint.into(),
        section: section.into(),
    })
}

/// The reply as a count: decimal digits and `\n` (a `\r` before it is tolerated).
fn parse_count(reply: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(reply).ok()?;
    text.trim_end_matches('\n')
        .trim_end_matches('\r')
        .parse()
        .ok()
}

/// Asks for the count, or fails the test if the reply is not a number.
fn ask_count(server: &mut Running, peer: &mut Peer, company: Company, did: &str) -> usize {
    let reply = ask(server, peer, QUESTION, company, did);
    match parse_count(&reply) {
        Some(count) => count,
        None => server.fail(Problem {
            check: "the reply is the number of clients connected".into(),
            did: format!("{did}; sent {}", shown(QUESTION)),
            expected: "a whole number in decimal digits and \\n, like \"2\\n\"".into(),
            got: shown(&reply),
            hint: "reply with the number alone, in decimal digits, then exactly one \\n.".into(),
            section: REPLY.into(),
        }),
    }
}

/// Asks once and fails unless the reply is `expected`.
fn expect_count(
    server: &mut Running,
    peer: &mut Peer,
    expected: usize,
    company: Company,
    did: &str,
) {
    let count = ask_count(server, peer, company, did);
    if count != expected {
        server.fail(Problem {
            check: "the reply is the number of clients connected at that moment".into(),
            did: did.into(),
            expected: format!("the reply \"{expected}\\n\""),
            got: format!("the reply \"{count}\\n\""),
            hint: "count a client once, when its guard is made, uncount it once, when the \
                   guard goes away, and read the shared counter for each reply."
                .into(),
            section: GUARD.into(),
        });
    }
}

/// Asks again and again (each question is a round trip, no sleeping) until the reply is
/// `expected`, for at most [`STEP`]. For counts that go down: a correct server uncounts a
/// client a moment after its connection ends, never before the test sees it end.
fn wait_for_count(server: &mut Running, peer: &mut Peer, expected: usize, did: &str) {
    let deadline = Instant::now() + STEP;
    let mut last = ask_count(server, peer, Company::Alone, did);
    while last != expected && Instant::now() < deadline {
        last = ask_count(server, peer, Company::Alone, did);
    }
    if last != expected {
        server.fail(Problem {
            check: "a client is uncounted when its connection ends, however it ends".into(),
            did: did.into(),
            expected: format!("the reply \"{expected}\\n\" within {} s", STEP.as_secs()),
            got: format!("the reply \"{last}\\n\", again and again"),
            hint: "the client left, and its guard did not uncount it. Uncount in what runs \
                   when a guard goes away (the Drop trait): the guard goes when the client's \
                   thread ends, whether by STOP, end of stream, error or a line too long. A \
                   subtraction at the end of the conversation is skipped by `?` and `return`."
                .into(),
            section: GUARD.into(),
        });
    }
}

/// The first line is `Listening on <ip>:<port>` with the real port, on 127.0.0.1 for a bare
/// port number.
#[test]
fn prints_the_real_address_it_listens_on() {
    common::check_real_address_printed(
        &LESSON,
        "print listener.local_addr(), not the argument.",
        LISTENING,
    );
}

/// A port already taken by another program: one error line naming it, exit status 1.
#[test]
fn a_port_in_use_is_one_line_and_status_1() {
    common::check_port_in_use(&LESSON, Transport::Tcp, LISTENING);
}

/// A missing, extra or malformed argument prints a usage line and exits 2.
#[test]
fn bad_arguments_print_usage_and_exit_2() {
    common::check_usage_errors(
        &LESSON,
        Role::Server,
        &common::BAD_SERVER_ARGUMENTS,
        ARGUMENTS,
    );
}
