//! # process: other programs, started and stopped safely
//!
//! The lesson tests, `cargo xtask` and xtask's own tests all start programs: a learner's
//! server, cargo, mdBook, a reference client. Each needs the same four things, written once
//! here:
//!
//! - [`Spawned`]: a child whose output is read with a deadline on every wait, and which is
//!   killed when it is dropped, so nothing outlives the test or the command that started it.
//! - [`run`] and [`run_to_log`]: a program run to its end, killed if it takes too long.
//! - [`cargo()`]: the cargo that runs us.
//! - [`ports`]: ports that nothing else in a test run can be given, for "a port where
//!   nothing listens" and for a server the bench starts.
//!
//! And [`lifeline`]: a child that dies with us even when we are killed without warning.
//!
//! Standard library only.

use std::ffi::OsString;

pub mod lifeline;
pub mod ports;
mod relay;
mod run;
mod spawned;

pub use run::{Logged, Ran, run, run_to_log};
pub use spawned::{Capture, Spawned, Stream, Waited};

/// The cargo to run: the one that started us (cargo tells its children in `CARGO`), or the
/// one on the `PATH`.
pub fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Where `needle` first occurs in `haystack`. An empty needle is found at once.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
