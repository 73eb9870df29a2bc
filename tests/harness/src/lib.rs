//! # harness: how the lesson tests run your program
//!
//! Every lesson test starts your real program, talks to it through real sockets and reads
//! what it prints. Three rules keep those tests fast and honest:
//!
//! - **Every wait has a deadline.** A read, a connect, the wait for the program to end: none
//!   waits longer than [`STEP`]. A program stuck forever fails in seconds, never hangs.
//! - **Nothing waits by sleeping.** Servers listen on port 0 and print the real address; the
//!   test reads that line instead of guessing when the server is ready.
//! - **Nothing outlives its test.** A started program is killed when the test ends, passed or
//!   failed ([`Running`] is a `process::Spawned`, killed on drop).
//!
//! When a check fails, [`Lesson::fail`] explains it the way a teacher would: what the test
//! did, what it expected, what came back (bytes escaped, so a missing `\n` is visible), a hint
//! and the book section. If your program stopped at a `todo!()`, it says which TODO is next
//! ("Next: TODO(n)"), once: the other tests that stopped there say so in one line. Reports
//! come out in the order of the tests' names ([`next_step`]), so the first one shown is the
//! most basic check: the lessons name their tests in the order of their TODOs.
//!
//! The modules: [`report`] (a failure, explained), [`next_step`] (reports in order, one
//! "Next" block per TODO), [`run`] (a program run to its end),
//! [`running`] (a program running beside the test), [`tcp`] and [`udp`] (the test's own
//! peers and servers), [`interop`] (netcat and other outside programs), [`common`] (checks
//! several lessons share), [`protected`] (the checks lessons 6 and 7 share), [`chat`] (a
//! chat client for lesson 8), [`timing`] (timing checks that judge the program, not the
//! machine). Everything is re-exported here, so tests write `harness::Peer`.

use std::time::Duration;

pub use assert_cmd;
pub use predicates;
pub use process::Waited;

pub mod chat;
pub mod common;
pub mod interop;
pub mod next_step;
pub mod protected;
mod record;
pub mod report;
pub mod run;
pub mod running;
pub mod tcp;
pub mod timing;
pub mod udp;

pub use interop::{start_netcat_listener, tool_available};
pub use report::{Lesson, Problem, Seen, Todo, file_name, shown};
pub use run::{Finished, run_to_end};
pub use running::Running;
pub use tcp::{
    Answer, FakeServer, Peer, closed_port, describe_read, has_ipv6_loopback, is_timeout,
};
pub use udp::{
    Datagram, FakeUdpServer, UdpPeer, closed_udp_port, describe_datagram, shown_datagrams,
};

/// The deadline for one step: a reply, a printed line, a connection, a program's exit.
///
/// On loopback a correct program answers in well under a millisecond, so three seconds is
/// only ever reached by a program that is stuck.
pub const STEP: Duration = Duration::from_secs(3);

/// The lesson under test, for a test file shared by `lessonN` and `lessonN-solution`.
///
/// Cargo compiles the same file once per package and tells each copy where that package's
/// binary is, so one test file checks both the learner's program and the reference.
#[macro_export]
macro_rules! lesson {
    ($number:expr) => {
        $crate::Lesson {
            number: $number,
            program: env!(concat!("CARGO_BIN_EXE_", env!("CARGO_PKG_NAME"))),
            package: env!("CARGO_PKG_NAME"),
        }
    };
}
