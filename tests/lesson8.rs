//! # Lesson 8 tests: the chat server
//!
//! Each test starts your server on port 0, reads the `Listening on ...` line to learn the
//! address, and plays several chat clients at once, each a real TCP connection: some polite,
//! some that leave rudely, one that never reads. What every client hears is checked line by
//! line, in order.
//!
//! Run them with `cargo test -p lesson8`. The same file also checks the reference solution
//! (`cargo test -p lesson8-solution`). The tests are in parts, in the folder `lesson8/`,
//! named so that the basic ones come first (libtest runs and reports them by name):
//!
//! - `chat.rs`: [`chat::Chat`], the server under test and the clients the test has named;
//! - `conversation.rs`: names, joining, `/who`, leaving (TODO(1), TODO(3), TODO(4));
//! - `fan_out.rs`: to everyone else, in order;
//! - `lines.rs`: lines in any pieces (TODO(2)), lines too long, idle clients, escaping;
//! - `shutdown.rs`: Ctrl-C with clients connected;
//! - `slow_reader.rs`: clients that never read, and the server's memory;
//! - `slow_reader_bytes.rs`: a slow reader of long lines, cut off at 1 MiB;
//! - `further.rs`: the "Going further" exercises, off by default
//!   (`cargo test -p lesson8 -- --ignored`).
//!
//! Below: the listening line and the command line.

use harness::Lesson;
use harness::common::{self, Role, Transport};

#[path = "lesson8/chat.rs"]
mod chat;
#[path = "lesson8/conversation.rs"]
mod conversation;
#[path = "lesson8/fan_out.rs"]
mod fan_out;
#[path = "lesson8/further.rs"]
mod further;
#[path = "lesson8/lines.rs"]
mod lines;
#[path = "lesson8/shutdown.rs"]
mod shutdown;
#[path = "lesson8/slow_reader.rs"]
mod slow_reader;
#[path = "lesson8/slow_reader_bytes.rs"]
mod slow_reader_bytes;

const LESSON: Lesson = harness::lesson!(8);

// Book sections the reports point to (headings of book/src/lesson8.md).
const LISTENING: &str = "Listening";
const ARGUMENTS: &str = "Arguments and exit codes";
const PROTOCOL: &str = "The protocol";
const QUEUE: &str = "TODO(1): a bounded queue per client";
const FRAMING: &str = "TODO(2): lines in any pieces";
const JOINING: &str = "TODO(3): joining the room";
const LEAVING: &str = "TODO(4): leaving, however a client leaves";
const FAN_OUT: &str = "Fan-out: everyone else, in order";
const COMMANDS: &str = "Commands: /who and /quit";
const SLOW_READER: &str = "Backpressure and the slow reader";
const IDLE: &str = "Idle clients";
const TOO_LONG: &str = "Lines that are too long";
const SHUTDOWN: &str = "Graceful shutdown";
const TERMINAL: &str = "Peer text on the terminal";
const FURTHER: &str = "Going further";

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

/// A missing, extra or malformed argument or option prints a usage line and exits 2.
#[test]
fn bad_arguments_print_usage_and_exit_2() {
    common::check_usage_errors(
        &LESSON,
        Role::Server,
        &common::BAD_SERVER_ARGUMENTS,
        ARGUMENTS,
    );
    let lesson_8: [&[&str]; 7] = [
        &["--idle-timeout", "0", "1234"],
        &["--idle-timeout", "86401", "1234"],
        &["--idle-timeout", "soon", "1234"],
        &["--idle-timeout", "1234"],
        &["--idle-timeout", "5", "--idle-timeout", "6", "1234"],
        &["--max-clients", "5", "1234"],
        &["1234", "--idle-timeout", "5"],
    ];
    common::check_usage_errors(&LESSON, Role::Server, &lesson_8, ARGUMENTS);
}

/// A port already taken by another program: one error line naming it, exit status 1.
#[test]
fn a_port_in_use_is_one_line_and_status_1() {
    common::check_port_in_use(&LESSON, Transport::Tcp, LISTENING);
}
