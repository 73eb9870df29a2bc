//! # Lesson 3 tests: the UDP client
//!
//! Each test starts a small UDP server inside the test (a [`FakeUdpServer`] that records
//! every datagram it receives and answers, or stays silent, as the test decides), runs your
//! client against it with some typed input, and checks the datagrams that arrived and what
//! your client printed.
//!
//! A few of them play a lost datagram, so they take a few seconds: your client is supposed
//! to wait 2 s before it sends again.
//!
//! Run them with `cargo test -p lesson3`. The same file also checks the reference solution
//! (`cargo test -p lesson3-solution`). The tests are in parts, in the folder `lesson3/`, named
//! so that their reports follow the TODOs (libtest runs and reports them by name):
//!
//! - here: the command line and an unknown host, which need no socket;
//! - `todo1_socket.rs`: the socket, aimed at the server (TODO(1));
//! - `todo2_retries.rs`: three tries, then giving up and going on (TODO(2));
//! - `todo3_datagram.rs`: one line, one datagram (TODO(3));
//! - `todo4_reply.rs`: the reply printed, and a wait with a limit (TODO(4));
//! - `whole_client.rs`: the prompt, STOP, the end of the input, a lost stdout;
//! - `further.rs`: the "Going further" exercises, off by default
//!   (`cargo test -p lesson3 -- --ignored`).
//!
//! Below: what the parts share, then the tests that need no socket.

use std::net::{ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use harness::common::{self, Role};
use harness::timing::{LoadMeter, Window, seconds};
use harness::{
    Answer, Datagram, FakeUdpServer, Finished, Lesson, Problem, Running, STEP, shown,
    shown_datagrams,
};

#[path = "lesson3/further.rs"]
mod further;
#[path = "lesson3/todo1_socket.rs"]
mod todo1_socket;
#[path = "lesson3/todo2_retries.rs"]
mod todo2_retries;
#[path = "lesson3/todo3_datagram.rs"]
mod todo3_datagram;
#[path = "lesson3/todo4_reply.rs"]
mod todo4_reply;
#[path = "lesson3/whole_client.rs"]
mod whole_client;

const LESSON: Lesson = harness::lesson!(3);

// Book sections the reports point to (headings of book/src/lesson3.md).
const ARGUMENTS: &str = "Arguments and exit codes";
const ADDRESS: &str = "The server's address";
const SOCKET: &str = "TODO(1): a socket aimed at the server";
const NOTHING_LISTENS: &str = "When nothing listens";
const PROMPT: &str = "The prompt";
const RETRIES: &str = "TODO(2): asking again";
const DATAGRAM: &str = "TODO(3): one line, one datagram";
const PRINTING: &str = "Printing the reply";
const WAITING: &str = "TODO(4): waiting, but not forever";
const STOP_AND_END: &str = "STOP and the end of the input";
const FURTHER: &str = "Going further";

/// How long the client waits for a reply before it sends again (SPEC: 2 s).
const REPLY_TIMEOUT: Duration = Duration::from_secs(2);
/// How many times, in all, the client sends one message before it gives up (SPEC: 3).
const TRIES: u32 = 3;

/// Replies `reply 1`, `reply 2`, ... to each datagram except STOP, which gets no reply.
/// Like the lesson 4 server, the replies have no newline.
fn numbered_replies() -> impl FnMut(&Datagram) -> Answer + Send + 'static {
    let mut count = 0;
    move |datagram| {
        if String::from_utf8_lossy(&datagram.bytes).trim() == "STOP" {
            return Answer::Silence;
        }
        count += 1;
        Answer::Reply(format!("reply {count}").into_bytes())
    }
}

/// Runs the client against `server` with `typed` as its whole input.
fn run_client(server: &FakeUdpServer, typed: &str, within: Duration) -> Finished {
    let address = server.address().to_string();
    harness::run_to_end(&LESSON, &[&address], typed.as_bytes(), within)
}

/// The hint for a typed line that did not arrive as its text and one `\n`, or `None` when the
/// first datagram is right (or none came). The tests' servers answer only the datagrams they
/// expect, so a wrong line looks like a lost one: this names the real mistake.
fn line_not_as_typed(received: &[Datagram], line: &[u8]) -> Option<String> {
    let first = received.first()?;
    (first.bytes != line).then(|| {
        format!(
            "the test's server answers only {}, and the first datagram your client sent was {}: \
             each typed line goes as its text and exactly one \\n (TODO(3)).",
            shown(line),
            shown(&first.bytes)
        )
    })
}

/// For a server that answers every line at once and never STOP: the hint, and its section,
/// when the datagrams show a line sent twice in a row (sent again although answered, or STOP
/// waited for), or a client `still_running` after STOP.
fn sent_again(received: &[Datagram], still_running: bool) -> Option<(String, &'static str)> {
    let is_stop = |datagram: &Datagram| String::from_utf8_lossy(&datagram.bytes).trim() == "STOP";
    let stops = received.iter().filter(|datagram| is_stop(datagram)).count();
    if stops > 1 || (still_running && received.last().is_some_and(is_stop)) {
        return Some((
            format!(
                "the server received STOP {stops} time(s) and your client did not end: it \
                 waited for a reply to STOP. STOP never gets one: send it once, with \
                 send_line, not through ask and its retries, then leave."
            ),
            STOP_AND_END,
        ));
    }
    let resent = received
        .windows(2)
        .any(|pair| pair[0].bytes == pair[1].bytes);
    resent.then(|| {
        (
            "the server answered each line at once, and your client sent a line again anyway: \
             a try that gets a reply is the last one. ask returns the first reply it receives, \
             and sends again only after a wait that ran out (TODO(2))."
                .to_string(),
            RETRIES,
        )
    })
}

/// The bytes of each datagram, for comparing with what the test expects.
fn payloads(datagrams: &[Datagram]) -> Vec<&[u8]> {
    datagrams.iter().map(|d| d.bytes.as_slice()).collect()
}

/// A missing, extra or malformed argument prints a usage line and exits 2.
#[test]
fn bad_arguments_print_usage_and_exit_2() {
    common::check_usage_errors(
        &LESSON,
        Role::Client,
        &common::BAD_CLIENT_ARGUMENTS,
        ARGUMENTS,
    );
}

/// A host name that does not resolve is a runtime error (status 1), not a usage error.
#[test]
fn an_unknown_host_is_a_runtime_error() {
    common::check_unknown_host(
        &LESSON,
        "resolve the argument with to_socket_addrs() and turn its error into one line with \
         netkit::error_line; do not unwrap() it.",
        ADDRESS,
    );
}
