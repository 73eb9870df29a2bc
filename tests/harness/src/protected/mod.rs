//! # Checks for the protected server of lessons 6 and 7
//!
//! Lesson 6 (threads) and lesson 7 (tokio) promise the same thing from the outside (SPEC.md,
//! "Lesson 6"): options before the address, a deadline for each line, a cap on clients, a
//! graceful shutdown on Ctrl-C and SIGTERM, last words that arrive, and a log that no client
//! waits for. So the checks are written once, here, and both lessons' test files call them
//! with their own [`Sections`] of the book. One set of checks, two programs: the same
//! behaviour, proven.
//!
//! Timing is judged against the program's own settings (`--idle-timeout 1`), with slack, and
//! a [`LoadMeter`] watches the test's own clock meanwhile: when the test itself ran late, the
//! report says the machine looks busy instead of blaming the program.
//!
//! The checks come in parts: [`options`] (and what stays from lesson 5), [`deadline`],
//! [`cap`], [`shutdown`], [`log`]; the steps they share are in [`talk`] and [`timing`].

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::timing::{LoadMeter, busy_hint_for};
use crate::{Lesson, Peer, Problem, Running, STEP, describe_read, run_to_end, shown};

mod cap;
mod deadline;
pub mod further;
mod log;
mod options;
mod shutdown;
mod talk;
mod timing;

// Every check is public; the steps they share are visible to the other parts only.
pub use cap::*;
pub use deadline::*;
pub use log::*;
pub use options::*;
pub use shutdown::*;
pub use talk::wait_for_count;
use talk::*;
use timing::*;

/// The headings of the lesson's chapter that failure reports point to.
#[derive(Clone, Copy, Debug)]
pub struct Sections {
    /// The options before the address, and usage errors.
    pub options: &'static str,
    /// What the server still does as in lesson 5: the count, STOP, long lines.
    pub lesson5: &'static str,
    /// The client cap and `ERROR server full`.
    pub cap: &'static str,
    /// Closing cleanly after a last line, so that it arrives.
    pub last_words: &'static str,
    /// The per-line idle deadline.
    pub deadline: &'static str,
    /// Ctrl-C, SIGTERM, `BYE` and the last line.
    pub shutdown: &'static str,
    /// The log that no client waits for.
    pub log: &'static str,
    /// Why one client must never stall the others (a blocking call in async code).
    pub stalls: &'static str,
}

/// The `--idle-timeout` of the timing checks: the smallest the options allow.
const IDLE: Duration = Duration::from_secs(1);
/// How late a cut may come after the deadline on a quiet machine (more on a busy one).
const SLACK: Duration = Duration::from_millis(1500);
/// SPEC.md: the server exits within 2 s of Ctrl-C or SIGTERM.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(2);
/// What the test sends when all it wants is the count.
const QUESTION: &[u8] = b"how many?\n";

/// Command lines with options that every protected server refuses with exit status 2.
pub const BAD_OPTIONS: [&[&str]; 12] = [
    &[],
    &["--max-clients", "3"],
    &["--max-clients"],
    &["--max-clients", "0", "0"],
    &["--max-clients", "100001", "0"],
    &["--max-clients", "+3", "0"],
    &["--idle-timeout", "0", "0"],
    &["--idle-timeout", "86401", "0"],
    &["--idle-timeout", "1.5", "0"],
    &["--idle-timeout", "1", "--idle-timeout", "2", "0"],
    &["--verbose", "0"],
    &["0", "--max-clients", "3"],
];
