//! # Lesson 4 tests: the UDP random-number server
//!
//! Each test starts your server on port 0 (the OS picks a free port), reads the
//! `Listening on ...` line to learn the address, then sends datagrams from one or more UDP
//! sockets of its own ([`UdpPeer`]) and checks the replies and what your server prints.
//!
//! Run them with `cargo test -p lesson4`. The same file also checks the reference solution
//! (`cargo test -p lesson4-solution`). The tests are in parts, in the folder `lesson4/`, named
//! so that their reports follow the TODOs (libtest runs and reports them by name):
//!
//! - here: the command line, which needs no socket;
//! - `todo1_binding.rs`: the bound socket and its `Listening on` line (TODO(1));
//! - `todo2_loop.rs`: the receive loop, STOP, and what must never stop the server (TODO(2));
//! - `todo3_reply.rs`: the reply, a number from 1 to 1000 (TODO(3));
//! - `whole_server.rs`: a server whose output is gone;
//! - `further.rs`: the "Going further" exercises, off by default
//!   (`cargo test -p lesson4 -- --ignored`).
//!
//! Below: what the parts share, then the tests that need no socket.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use harness::common::{self, Role, Transport};
use harness::{Lesson, Problem, Running, STEP, UdpPeer, describe_datagram, shown};

#[path = "lesson4/further.rs"]
mod further;
#[path = "lesson4/todo1_binding.rs"]
mod todo1_binding;
#[path = "lesson4/todo2_loop.rs"]
mod todo2_loop;
#[path = "lesson4/todo3_reply.rs"]
mod todo3_reply;
#[path = "lesson4/whole_server.rs"]
mod whole_server;

const LESSON: Lesson = harness::lesson!(4);

// Book sections the reports point to (headings of book/src/lesson4.md).
const ARGUMENTS: &str = "Arguments and exit codes";
const BINDING: &str = "TODO(1): binding the socket";
const LOOP: &str = "TODO(2): the receive loop";
const HOW_BIG: &str = "How big is a datagram?";
const REPLY: &str = "TODO(3): the reply";
const STOP: &str = "STOP";
const BAD_DATAGRAM: &str = "One bad datagram never stops the server";
const FURTHER: &str = "Going further";

/// The largest datagram UDP can carry over IPv4: 65,535 bytes at most in an IP packet,
/// minus 20 for the IPv4 header and 8 for the UDP header.
const LARGEST_DATAGRAM: usize = 65_535 - 20 - 8;

/// The size to fall back on where the system refuses [`LARGEST_DATAGRAM`]: still far more
/// than the Go original's 1024-byte buffer, and below macOS's default cap of 9,216 bytes.
const FALLBACK_DATAGRAM: usize = 8 * 1024;

/// Starts the server on `127.0.0.1` with a free port; returns it and its address.
fn start_server() -> (Running, SocketAddr) {
    Running::start_server(LESSON, "0", BINDING)
}

/// A UDP socket of the test's, connected to the server under test, or fails the test.
fn peer(server: &mut Running, address: SocketAddr) -> UdpPeer {
    match UdpPeer::connect(address) {
        Ok(peer) => peer,
        Err(error) => server.fail(Problem {
            check: "the test can aim a UDP socket at your server".into(),
            did: format!("bound a UDP socket and connected it to {address}"),
            expected: "no error".into(),
            got: format!("the error {error}"),
            hint: "print the address your socket is bound to (socket.local_addr()).".into(),
            section: BINDING.into(),
        }),
    }
}

/// Whether a reply is a number from 1 to 1000 in plain decimal ASCII, and which.
fn number_in(reply: &[u8]) -> Option<u32> {
    let plain = !reply.is_empty() && reply.iter().all(u8::is_ascii_digit) && reply[0] != b'0';
    let number = std::str::from_utf8(reply).ok()?.parse::<u32>().ok()?;
    (plain && (1..=1000).contains(&number)).then_some(number)
}

/// Sends one datagram and returns the number it got back, or fails the test.
fn ask(server: &mut Running, peer: &UdpPeer, datagram: &[u8]) -> u32 {
    let reply = peer.send(datagram).and_then(|()| peer.receive());
    match reply.as_deref().ok().and_then(number_in) {
        Some(number) => number,
        None => server.fail(Problem {
            check: "every datagram gets a number from 1 to 1000 back".into(),
            did: format!("sent the datagram {}", shown(datagram)),
            expected: "one datagram back: a number from 1 to 1000 in decimal, with no newline, \
                       such as \"713\""
                .into(),
            got: describe_datagram(&reply, STEP),
            hint: reply_hint(&reply).into(),
            section: REPLY.into(),
        }),
    }
}

/// The hint for a reply that is not a number from 1 to 1000, from what came back.
fn reply_hint(reply: &std::io::Result<Vec<u8>>) -> &'static str {
    let Ok(reply) = reply else {
        return "every datagram but STOP gets one datagram back, sent with send_to to the \
                address recv_from gave for it: the socket stays unconnected, so that it hears \
                every client (TODO(2), TODO(3)).";
    };
    let digits = reply.trim_ascii_end();
    if digits.len() < reply.len() && number_in(digits).is_some() {
        return "the number alone, in decimal digits, with no newline: the datagram ends where \
                the message ends (TODO(3)).";
    }
    match std::str::from_utf8(reply)
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
    {
        Some(_) => {
            "a number from 1 to 1000, both included: mind the kind of range you draw from \
             (TODO(3))."
        }
        None => {
            "reply with the number as decimal text, and nothing else, with send_to to the \
             client's address (TODO(3))."
        }
    }
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
