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
use std::time::{Duration, Instant};

use predicates::prelude::*;

use crate::{Finished, Lesson, Peer, Problem, Running, STEP, Seen, Waited, run_to_end, shown};

/// Which end of the conversation the lesson's program plays (from the course crate, where
/// `course.toml` uses it too): for the words of a report ("your client", "your server") and
/// for the `netkit` function that reads its argument. And the transport a server listens on.
pub use course::{Role, Transport};

/// Command lines every client must refuse with a usage error (SPEC.md): no argument, one
/// too many, no port, a port that is not a number, a port over 65535, a port with a sign.
pub const BAD_CLIENT_ARGUMENTS: [&[&str]; 6] = [
    &[],
    &["127.0.0.1:1", "extra"],
    &["no-port-here"],
    &["localhost:not-a-port"],
    &["localhost:70000"],
    &["localhost:+5"],
];

/// Command lines every server must refuse with a usage error (SPEC.md): no argument, one
/// too many, a port that is not a number, a port over 65535, a host without a valid port, a
/// port with a sign (`str::parse::<u16>` takes `+5`; a port is digits only).
pub const BAD_SERVER_ARGUMENTS: [&[&str]; 6] = [
    &[],
    &["1234", "extra"],
    &["not-a-port"],
    &["70000"],
    &["localhost:x"],
    &["+5"],
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

/// What a hostile peer sends to take over the learner's terminal: `ESC ] 0 ; ... BEL`
/// retitles the window, `ESC [2J` clears the screen, a bare `\r` lets it overwrite what was
/// printed, then a NUL and U+009B (a one-character `ESC [`). The words around them show
/// whether the text was printed at all.
pub const TERMINAL_ATTACK: &str = "evil\x1b]0;pwned\x07\x1b[2J\r\0 \u{9b}31m end";

/// Whether a printed line shows the [`TERMINAL_ATTACK`]'s words, escaped or not.
pub fn shows_the_attack(line: &str) -> bool {
    line.contains("pwned") && line.contains("end")
}

/// The control characters (other than `\n` and tab) in a program's output, escaped for a
/// report: empty when nothing printed could drive a terminal.
pub fn raw_controls(printed: &[u8]) -> String {
    String::from_utf8_lossy(printed)
        .chars()
        .filter(|&c| c.is_control() && c != '\n' && c != '\t')
        .map(|c| c.escape_unicode().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fails unless the program's output (stdout and stderr, as seen so far) holds no raw control
/// characters. Call it once the line with the peer's text has been printed: `did` says how
/// the test sent the [`TERMINAL_ATTACK`].
pub fn check_peer_text_escaped(lesson: &Lesson, seen: &Seen, did: &str, section: &str) {
    let raw: String = [raw_controls(&seen.stdout), raw_controls(&seen.stderr)]
        .into_iter()
        .filter(|found| !found.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !raw.is_empty() {
        lesson.fail(
            Problem {
                check: "text from the network is printed with its control characters escaped"
                    .into(),
                did: did.into(),
                expected: "the text shown with its control characters escaped (\\x1b, \\r, \\0, \\x9b, ...), \
                           so that a peer cannot retitle, clear or overwrite your terminal"
                    .into(),
                got: format!("these control characters, raw, in the output: {raw}"),
                hint: "print what came from the network through netkit::printable(&text): it \
                       shows each control character as an escape, and keeps the rest as it is."
                    .into(),
                section: section.into(),
            },
            seen,
        );
    }
}

/// Waits (at most [`STEP`]) for a line of `program` that shows the [`TERMINAL_ATTACK`], then
/// checks that nothing printed holds a raw control character. `did` says how the test sent it.
pub fn expect_attack_escaped(program: &mut Running, did: &str, section: &str) {
    let printed = program.read_line_matching(shows_the_attack, STEP);
    if let Err(waited) = printed {
        program.fail(Problem {
            check: "text from the network is printed, its control characters escaped".into(),
            did: did.into(),
            expected: "a line showing the text (\"evil ... pwned ... end\"), escaped".into(),
            got: match waited {
                Waited::TimedOut => format!("no such line within {} s", STEP.as_secs()),
                Waited::Ended => "the program closed its output without printing it".into(),
            },
            hint: "print the text the peer sent, through netkit::printable(&text).".into(),
            section: section.into(),
        });
    }
    let seen = program.seen();
    check_peer_text_escaped(&program.lesson(), &seen, did, section);
}

/// Starts the client against `server`, types `first` and stops reading the client's output
/// once it has shown `shown` and then its next prompt (as `lesson1 ... | head -1` would stop,
/// at a moment when the client waits for input). Then types `then`, and fails unless the
/// client ends by itself within [`STEP`] with status 1, one line on stderr and no panic.
/// SPEC.md: "a client ends with status 1".
pub fn check_client_survives_stdout_gone(
    lesson: &Lesson,
    server: SocketAddr,
    (first, shown_first): (&str, &str),
    then: &str,
    section: &str,
) {
    let until = [shown_first, ">> "];
    let mut client = Running::start_with_stdout_gone_after(*lesson, &[&server.to_string()], &until);
    client.type_text(first.as_bytes());
    let _ = client.read_until(shown_first, STEP);
    let _ = client.read_until(">> ", STEP);
    // Now nobody reads the client's output: its next write fails. Typing `then` again until
    // the client ends costs nothing, and covers systems where the test can only close its own
    // end of the pipe (see `Running::start_with_stdout_gone_after`).
    let deadline = Instant::now() + STEP;
    let mut status = None;
    while status.is_none() && Instant::now() < deadline {
        client.type_text(then.as_bytes());
        status = client.wait_for_exit(Duration::from_millis(200));
    }
    let stderr = client.stderr();
    let one_line = stderr.trim().lines().count() == 1;
    if status.and_then(|status| status.code()) != Some(1) || !one_line {
        client.fail(Problem {
            check: "a client whose output is gone ends with one error line and status 1".into(),
            did: format!(
                "ran your client with its stdout read by a program that left after {} and the \
                 next prompt (as `| head -1` does), typed {} and then {}",
                shown(shown_first.as_bytes()),
                shown(first.as_bytes()),
                shown(then.as_bytes())
            ),
            expected: "one line on stderr such as \"could not write to standard output: broken \
                       pipe\", then exit status 1, without a panic"
                .into(),
            got: match status {
                Some(status) => format!(
                    "it exited with {status}, stderr {}",
                    shown(stderr.as_bytes())
                ),
                None => format!("it was still running after {} s", STEP.as_secs()),
            },
            hint: "println! and print! panic when stdout is gone. Print with \
                   netkit::print_line(...)? and write the prompt with write! and flush, \
                   passing their errors on with ?."
                .into(),
            section: section.into(),
        });
    }
}
