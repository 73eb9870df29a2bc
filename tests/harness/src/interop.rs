//! Outside programs (netcat, the Go originals) for the interop tests.

use std::process::{Command, Stdio};

use crate::{Lesson, Running, STEP};

/// Whether an outside program (netcat, a Go original) can be started, for interop tests.
///
/// Without it the interop test is skipped with a note; on CI (the `CI` variable is set),
/// which installs these tools, a missing one fails the test instead: a silently skipped
/// interop test would prove nothing.
pub fn tool_available(program: &str) -> bool {
    crate::next_step::enter();
    let found = Command::new(program)
        .arg("-h")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is not installed, but CI must run this interop test"
        );
        eprintln!("skipped: {program} is not installed");
    }
    found
}

/// Starts `nc -l` (with `-u` for UDP) on a port the OS picks and returns it with that port,
/// which `-v` makes netcat print ("Listening on localhost PORT", or "Bound on ..." for UDP).
/// Port 0 if netcat printed none in time: the test then fails on the first exchange.
pub fn start_netcat_listener(lesson: Lesson, udp: bool) -> (Running, u16) {
    let (args, said): (&[&str], _) = if udp {
        (&["-u", "-lv", "127.0.0.1", "0"], "Bound on")
    } else {
        (&["-lv", "127.0.0.1", "0"], "Listening on")
    };
    let mut netcat = Running::start_other(lesson, "nc", args);
    let line = netcat.wait_for_stderr(said, STEP).unwrap_or_default();
    let port = line
        .split_whitespace()
        .filter_map(|word| word.parse::<u16>().ok())
        .next_back()
        .unwrap_or_default();
    (netcat, port)
}
