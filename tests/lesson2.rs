//! # Lesson 2 tests: the TCP time server
//!
//! Each test starts your server on port 0 (the OS picks a free port), reads the
//! `Listening on ...` line to learn the address, then connects as a client and checks the
//! replies and what your server prints.
//!
//! Run them with `cargo test -p lesson2`. The same file also checks the reference solution
//! (`cargo test -p lesson2-solution`). The tests are in parts, in the folder `lesson2/`, named
//! so that their reports follow the TODOs (libtest runs and reports them by name):
//!
//! - here: the command line, which is written for you;
//! - `todo1_listen.rs`: the listening socket and its `Listening on` line (TODO(1));
//! - `todo2_accept.rs`: one client accepted and answered (TODO(2));
//! - `todo3_conversation.rs`: the lines, STOP, a client that leaves, long lines (TODO(3));
//! - `todo4_time.rs`: the reply, the current time in RFC 3339 (TODO(4));
//! - `whole_server.rs`: what the whole program must survive (an output nobody reads);
//! - `further.rs`: the "Going further" exercises, off by default
//!   (`cargo test -p lesson2 -- --ignored`).
//!
//! Below: what the parts share, then the test of what is written for you.

use std::net::SocketAddr;

use harness::common::{self, Role};
use harness::{Lesson, Peer, Problem, Running, describe_read, shown};

#[path = "lesson2/further.rs"]
mod further;
#[path = "lesson2/todo1_listen.rs"]
mod todo1_listen;
#[path = "lesson2/todo2_accept.rs"]
mod todo2_accept;
#[path = "lesson2/todo3_conversation.rs"]
mod todo3_conversation;
#[path = "lesson2/todo4_time.rs"]
mod todo4_time;
#[path = "lesson2/whole_server.rs"]
mod whole_server;

const LESSON: Lesson = harness::lesson!(2);

// Book sections the reports point to (headings of book/src/lesson2.md).
const ARGUMENTS: &str = "Arguments and exit codes";
const LISTENING: &str = "TODO(1): listening";
const ACCEPTING: &str = "TODO(2): accepting a client";
const CONVERSATION: &str = "TODO(3): the conversation";
const STOP: &str = "STOP";
const TOO_LONG: &str = "Lines that are too long";
const TIME: &str = "TODO(4): replying with the time";
const FURTHER: &str = "Going further";

/// Starts the server on `127.0.0.1` with a free port; returns it and its address.
fn start_server() -> (Running, SocketAddr) {
    Running::start_server(LESSON, "0", LISTENING)
}

/// Connects to the server under test, or fails the test with its output.
fn connect(server: &mut Running, address: SocketAddr) -> Peer {
    common::connect(
        server,
        address,
        "the server accepts a connection",
        "keep the TcpListener alive (do not drop it) and call accept() on it.",
        ACCEPTING,
    )
}

/// Sends `line` and returns the reply line, `\n` included, or fails the test. When no whole
/// line comes, the hint follows the evidence: a reply without its newline is TODO(4)'s, a
/// connection closed or a silence is the conversation's.
fn ask(server: &mut Running, peer: &mut Peer, line: &[u8]) -> Vec<u8> {
    let sent = peer.send(line);
    let reply = sent.and_then(|()| peer.receive_reply());
    let (hint, section) = match &reply {
        Ok(reply) if reply.ends_with(b"\n") => return reply.clone(),
        Ok(closed) if closed.is_empty() => (
            "your server closed the connection instead of replying. Only STOP, the client \
             leaving and a line too long end the conversation: every other line is answered, \
             and the loop goes on.",
            CONVERSATION,
        ),
        Ok(_) => (
            "the reply came without its \\n: the client reads up to the newline, and waits \
             for ever without it. The time and then \\n, as one line.",
            TIME,
        ),
        Err(_) => (
            "no reply came. Every line but STOP gets one: after logging the line, reply with \
             send_time, and go back to reading.",
            CONVERSATION,
        ),
    };
    server.fail(Problem {
        check: "every line gets one reply line".into(),
        did: format!("sent {}", shown(line)),
        expected: "the current time and \\n, like \"2026-11-28T10:15:00+01:00\\n\"".into(),
        got: describe_read(&reply),
        hint: hint.into(),
        section: section.into(),
    })
}

/// A reply line's text: without its `\n`, or `\r\n` (SPEC.md accepts both endings).
fn line_text(reply: &[u8]) -> String {
    let text = String::from_utf8_lossy(reply);
    let text = text.strip_suffix('\n').unwrap_or(&text);
    text.strip_suffix('\r').unwrap_or(text).to_string()
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
