//! # Checks that several lessons share
//!
//! Some behaviours are the same in more than one program of the course: `netkit` reads the
//! command line, a runtime error is one line on stderr, a client prompts with `>> `, a server
//! first prints the address it listens on. Each of those checks is written once, here.
//!
//! A lesson's test file still lists every behaviour it checks: each check below is called
//! from a `#[test]` of that file, which keeps its own name and `///` line, and passes the
//! words of the report that belong to the lesson (always the book section, and the hint or
//! the whole problem where the advice differs from lesson to lesson). Every check fails the
//! test the usual way, with [`Lesson::fail`] or [`Running::fail`].

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::time::Duration;

use predicates::prelude::*;

use crate::{Finished, Lesson, Peer, Problem, Running, STEP, run_to_end, shown};

/// Which end of the conversation the lesson's program plays (from the course crate, where
/// `course.toml` uses it too): for the words of a report ("your client", "your server") and
/// for the `netkit` function that reads its argument. And the transport a server listens on.
pub use course::{Role, Transport};

/// Command lines every client must refuse with a usage error (SPEC.md): no argument, one
/// too many, no port, a port that is not a number, a port over 65535.
pub const BAD_CLIENT_ARGUMENTS: [&[&str]; 5] = [
    &[],
    &["127.0.0.1:1", "extra"],
    &["no-port-here"],
    &["localhost:not-a-port"],
    &["localhost:70000"],
];

/// Command lines every server must refuse with a usage error (SPEC.md): no argument, one
/// too many, a port that is not a number, a port over 65535, a host without a valid port.
pub const BAD_SERVER_ARGUMENTS: [&[&str]; 5] = [
    &[],
    &["1234", "extra"],
    &["not-a-port"],
    &["70000"],
    &["localhost:x"],
];

/// Runs the program once with each command line in `cases` (and no input), and fails unless
/// every run prints a usage line on stderr and exits with status 2. "usage" is matched in
/// any case: `Usage:` is as good a usage line as `usage:`.
pub fn check_usage_errors(lesson: &Lesson, role: Role, cases: &[&[&str]], section: &str) {
    for args in cases {
        let run = run_to_end(lesson, args, b"", STEP);
        let stderr = run.stderr().to_lowercase();
        if run.code() != Some(2) || !stderr.contains("usage") {
            lesson.fail(
                Problem {
                    check: "a bad command line prints a usage line and exits with 2".into(),
                    did: format!("ran your {} with the arguments {args:?}", role.noun()),
                    expected: "a line starting \"usage:\" on stderr, exit status 2".into(),
                    got: format!(
                        "stderr {} and {}",
                        shown(&run.seen.stderr),
                        run.ending(STEP)
                    ),
                    hint: format!(
                        "netkit::{}_argument() does this check; keep its call at the top of \
                         main.",
                        role.noun()
                    ),
                    section: section.into(),
                },
                &run.seen,
            );
        }
    }
}

/// Runs the server on a port that the test holds (over `transport`), and fails unless it
/// prints exactly one line on stderr naming the port and saying "in use", and exits with
/// status 1.
pub fn check_port_in_use(lesson: &Lesson, transport: Transport, section: &str) {
    // The test keeps the port taken until the end of this function.
    let tcp;
    let udp;
    let (address, did) = match transport {
        Transport::Tcp => {
            tcp = TcpListener::bind("127.0.0.1:0").expect("the test could bind a port");
            (tcp.local_addr(), "ran your server on port")
        }
        Transport::Udp => {
            udp = UdpSocket::bind("127.0.0.1:0").expect("the test could bind a UDP port");
            (udp.local_addr(), "ran your server on UDP port")
        }
    };
    let port = address.map(|a| a.port()).unwrap_or_default();
    let run = run_to_end(lesson, &[&port.to_string()], b"", STEP);
    let expected =
        predicate::str::contains(port.to_string()).and(predicate::str::contains("in use"));
    if run.code() != Some(1) || !expected.eval(&run.stderr()) || run.stderr().lines().count() != 1 {
        lesson.fail(
            Problem {
                check: "a port that is taken gives one error line and status 1".into(),
                did: format!("{did} {port}, which the test is using"),
                expected: format!(
                    "one line like \"could not listen on 127.0.0.1:{port}: address in use\", status 1"
                ),
                got: format!("stderr {} and {}", shown(&run.seen.stderr), run.ending(STEP)),
                hint: "do not unwrap() bind: turn its error into a line with \
                       netkit::error_line and return it."
                    .into(),
                section: section.into(),
            },
            &run.seen,
        );
    }
}

/// Runs the client with `address`, where nothing listens, types `hello`, and fails with
/// `problem` (its `got` filled in here) unless the client prints exactly one line on stderr
/// that names the address and says "refused" (or "reset": Windows reports an unreachable UDP
/// port as `ConnectionReset`), does not panic, and exits with status 1.
pub fn check_refused(lesson: &Lesson, address: &str, problem: Problem) {
    let run = run_to_end(lesson, &[address], b"hello\n", STEP);
    let stderr = run.stderr();
    let cause = predicate::str::contains("refused").or(predicate::str::contains("reset"));
    let one_line = predicate::str::contains(address)
        .and(cause)
        .and(predicate::str::contains("panicked").not());
    if !one_line.eval(&stderr) || stderr.trim().lines().count() != 1 || run.code() != Some(1) {
        lesson.fail(
            Problem {
                got: format!(
                    "stderr {} and {}",
                    shown(&run.seen.stderr),
                    run.ending(STEP)
                ),
                ..problem
            },
            &run.seen,
        );
    }
}

/// Runs the client with `no-such-host.invalid:1234`, a name that never resolves, and fails
/// unless it prints exactly one line on stderr and exits with status 1: a runtime error, not
/// a usage error.
pub fn check_unknown_host(lesson: &Lesson, hint: &str, section: &str) {
    // Resolving a name may take a while on a slow network: three steps.
    let within = STEP * 3;
    let run = run_to_end(lesson, &["no-such-host.invalid:1234"], b"", within);
    if run.code() != Some(1) || run.stderr().trim().lines().count() != 1 {
        lesson.fail(
            Problem {
                check: "a host that cannot be resolved gives one error line and status 1".into(),
                did: "ran your client with no-such-host.invalid:1234".into(),
                expected: "one line on stderr naming the address, then exit status 1".into(),
                got: format!(
                    "stderr {} and {}",
                    shown(&run.seen.stderr),
                    run.ending(within)
                ),
                hint: hint.into(),
                section: section.into(),
            },
            &run.seen,
        );
    }
}

/// Starts the client against `server` and types nothing, and fails unless the prompt `>> `
/// shows up within [`STEP`]: a prompt still stuck in the output buffer never does.
pub fn check_prompt_before_input(lesson: &Lesson, server: SocketAddr, section: &str) {
    let mut client = Running::start(*lesson, &[&server.to_string()]);
    if client.read_until(">> ", STEP).is_err() {
        client.fail(Problem {
            check: "the prompt `>> ` appears before the client waits for a line".into(),
            did: "started your client and typed nothing yet".into(),
            expected: "\">> \" on the screen".into(),
            got: format!("nothing within {} s", STEP.as_secs()),
            hint: "print!(\">> \") has no newline, so Rust keeps it in a buffer: call \
                   io::stdout().flush() right after it."
                .into(),
            section: section.into(),
        });
    }
}

/// Fails with `problem` (its `got` filled in here) unless the program ended by itself, within
/// `within`, with the exit status `code`.
pub fn expect_exit(
    lesson: &Lesson,
    role: Role,
    run: &Finished,
    code: i32,
    within: Duration,
    problem: Problem,
) {
    if run.code() != Some(code) {
        lesson.fail(
            Problem {
                got: format!("your {} {}", role.noun(), run.ending(within)),
                ..problem
            },
            &run.seen,
        );
    }
}

/// Starts the server with the argument `0` and fails unless its `Listening on` line shows
/// `127.0.0.1` and the real port the OS chose (not 0).
pub fn check_real_address_printed(lesson: &Lesson, hint: &str, section: &str) {
    let (mut server, address) = Running::start_server(*lesson, "0", section);
    if address.ip().to_string() != "127.0.0.1" || address.port() == 0 {
        server.fail(Problem {
            check: "a bare port listens on 127.0.0.1, and the line shows the real port".into(),
            did: "started your server with the argument \"0\"".into(),
            expected: "\"Listening on 127.0.0.1:<the port the OS chose>\"".into(),
            got: format!("the address {address}"),
            hint: hint.into(),
            section: section.into(),
        });
    }
}

/// Connects a TCP client played by the test to the server under test, or fails the test with
/// the server's output, saying `check`, `hint` and `section`.
pub fn connect(
    server: &mut Running,
    address: SocketAddr,
    check: &str,
    hint: &str,
    section: &str,
) -> Peer {
    match Peer::connect(address) {
        Ok(peer) => peer,
        Err(error) => server.fail(Problem {
            check: check.into(),
            did: format!("connected to {address}, the address your server printed"),
            expected: "the connection is accepted".into(),
            got: format!("the error {error}"),
            hint: hint.into(),
            section: section.into(),
        }),
    }
}
