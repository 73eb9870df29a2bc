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
//! a [`BusyMeter`] watches the test's own clock meanwhile: when the test itself ran late, the
//! report says the machine looks busy instead of blaming the program.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::{Lesson, Peer, Problem, Running, STEP, describe_read, run_to_end, shown};

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

// ---------------------------------------------------------------------------------------
// Options and what stays from lesson 5

/// Each bad command line prints a usage line on stderr and exits with status 2.
pub fn check_usage_errors(lesson: &Lesson, sections: &Sections) {
    let bad_addresses: [&[&str]; 3] = [&["1234", "extra"], &["not-a-port"], &["70000"]];
    for args in BAD_OPTIONS.iter().chain(&bad_addresses) {
        let run = run_to_end(lesson, args, b"", STEP);
        if run.code() != Some(2) || !run.stderr().to_lowercase().contains("usage") {
            lesson.fail(
                Problem {
                    check: "a bad command line prints a usage line and exits with 2".into(),
                    did: format!("ran your server with the arguments {args:?}"),
                    expected: "a line starting \"usage:\" on stderr, exit status 2".into(),
                    got: format!(
                        "stderr {} and {}",
                        shown(&run.seen.stderr),
                        run.ending(STEP)
                    ),
                    hint: "read the command line with netkit::server_arguments_with and the two \
                           Settings (their ranges: N from 1 to 100000, SECS from 1 to 86400); \
                           return its exit code when it refuses."
                        .into(),
                    section: sections.options.into(),
                },
                &run.seen,
            );
        }
    }
}

/// Options in either order come before the address; the first line is still `Listening on`.
pub fn check_options_then_listening(lesson: &Lesson, sections: &Sections) {
    for options in [
        &["--idle-timeout", "1", "--max-clients", "3"][..],
        &["--max-clients", "3", "--idle-timeout", "1"],
        &[],
    ] {
        let (mut server, address) = start(lesson, options, sections);
        if address.ip().to_string() != "127.0.0.1" || address.port() == 0 {
            server.fail(Problem {
                check: "options come before the port; a bare port listens on 127.0.0.1".into(),
                did: format!("started your server with {:?}", with_port(options)),
                expected: "\"Listening on 127.0.0.1:<the port the OS chose>\"".into(),
                got: format!("the address {address}"),
                hint: "print listener.local_addr(), not the argument.".into(),
                section: sections.options.into(),
            });
        }
    }
}

/// Lesson 5's behaviour stays: the count as the reply, STOP closing only that client, the
/// received line on the screen.
pub fn check_answers_like_lesson5(lesson: &Lesson, sections: &Sections) {
    let (mut server, address) = start(lesson, &["--max-clients", "3"], sections);
    let mut first = connect(&mut server, address, sections);
    expect_count(
        &mut server,
        &mut first,
        1,
        "connected one client and asked",
        sections,
    );
    let mut second = connect(&mut server, address, sections);
    expect_count(
        &mut server,
        &mut second,
        2,
        "connected a second client and asked",
        sections,
    );
    let stopped = second
        .send(b"STOP\n")
        .and_then(|()| second.receive_to_end());
    if !matches!(&stopped, Ok(rest) if rest.is_empty()) {
        server.fail(Problem {
            check: "STOP closes that connection, without a reply".into(),
            did: "from the second client, sent \"STOP\\n\"".into(),
            expected: "no reply, and the connection closed".into(),
            got: describe_read(&stopped),
            hint: "check netkit::is_stop(&text) before replying, and end this client only.".into(),
            section: sections.lesson5.into(),
        });
    }
    wait_for_count(
        &mut server,
        &mut first,
        1,
        "the second client sent STOP",
        sections,
    );
    if server.read_until("-> how many?", STEP).is_err() {
        server.fail(Problem {
            check: "every received line is printed".into(),
            did: "sent \"how many?\\n\" and read the reply".into(),
            expected: "\"-> how many?\" on your server's standard output".into(),
            got: "no such line".into(),
            hint: "log each line as lesson 5 did, through the log of this lesson.".into(),
            section: sections.log.into(),
        });
    }
}

/// A line over 64 KiB gets `ERROR line too long`, then a clean end of stream: the megabyte
/// the server did not read must not turn the close into a reset that destroys the line.
pub fn check_too_long_arrives(lesson: &Lesson, sections: &Sections) {
    let (mut server, address) = start(lesson, &[], sections);
    let mut flooder = connect(&mut server, address, sections);
    let sending = flooder.send_in_background(vec![b'y'; 1 << 20]);
    expect_last_words(
        &mut server,
        &mut flooder,
        "ERROR line too long\n",
        "sent 1 MiB without a newline",
        sections.last_words,
    );
    let _ = sending.join();
    drop(flooder);
    let mut other = connect(&mut server, address, sections);
    wait_for_count(
        &mut server,
        &mut other,
        1,
        "after a client was closed for a line over 64 KiB, connected another and asked",
        sections,
    );
}

// ---------------------------------------------------------------------------------------
// The idle deadline

/// A client that sends nothing is cut with `ERROR idle timeout` at `--idle-timeout 1`, not
/// before and not long after; a client that keeps talking meanwhile is not cut, and is told
/// the right count before and after.
pub fn check_silent_client_cut(lesson: &Lesson, sections: &Sections) {
    let (mut server, address) = start(lesson, &["--idle-timeout", "1"], sections);
    let meter = BusyMeter::start();
    let connected = Instant::now();
    let mut silent = connect(&mut server, address, sections);
    let mut talker = connect(&mut server, address, sections);
    expect_count(
        &mut server,
        &mut talker,
        2,
        "connected a silent client, then this one",
        sections,
    );
    // The talker asks again every 200 ms (waiting on the silent client's socket, no sleep),
    // which keeps it well inside its own deadline.
    let cut = wait_keeping_alive(
        &mut server,
        &mut silent,
        &mut talker,
        IDLE + SLACK,
        sections,
    );
    let elapsed = connected.elapsed();
    judge_cut(
        &mut server,
        &meter,
        &cut,
        elapsed,
        "connected a client that sends nothing",
        sections,
    );
    expect_clean_end(
        &mut server,
        &mut silent,
        "ERROR idle timeout\n",
        sections.last_words,
    );
    drop(silent);
    wait_for_count(
        &mut server,
        &mut talker,
        1,
        "a silent client was cut by the idle timeout; the client that kept talking asked",
        sections,
    );
}

/// A client that sends one byte every 200 ms, never a newline, is cut at the deadline like a
/// silent one: bytes are not lines.
pub fn check_drip_client_cut(lesson: &Lesson, sections: &Sections) {
    let (mut server, address) = start(lesson, &["--idle-timeout", "1"], sections);
    let meter = BusyMeter::start();
    let connected = Instant::now();
    let mut dripper = connect(&mut server, address, sections);
    let drip = Drip::start(dripper.stream(), Duration::from_millis(200));
    let cut = read_line_within(&mut dripper, IDLE + SLACK + STEP);
    let elapsed = connected.elapsed();
    let bytes = drip.stop();
    judge_cut(
        &mut server,
        &meter,
        &cut,
        elapsed,
        &format!(
            "connected, then sent one byte \"x\" every 200 ms without a newline ({bytes} bytes)"
        ),
        sections,
    );
    expect_clean_end(
        &mut server,
        &mut dripper,
        "ERROR idle timeout\n",
        sections.last_words,
    );
}

/// A line that arrives in two pieces, 300 ms apart, is one line: no reply to the first
/// piece, one reply after the second, and the whole line in the log. (A `select!` that drops
/// a half-read line to look at something else loses the first piece.)
pub fn check_line_in_pieces(lesson: &Lesson, sections: &Sections) {
    let (mut server, address) = start(lesson, &[], sections);
    let mut peer = connect(&mut server, address, sections);
    let _ = peer.send(b"how ma");
    let early = read_line_within(&mut peer, Duration::from_millis(300));
    let premature = !matches!(&early, Err(error) if crate::is_timeout(error));
    let reply = peer.send(b"ny?\n").and_then(|()| peer.receive_line());
    let logged = server.read_until("-> how many?", STEP).is_ok();
    if premature || parse_count(&reply).is_none() || !logged {
        server.fail(Problem {
            check: "a line that arrives in pieces is still one line".into(),
            did: "sent \"how ma\", waited 300 ms, then sent \"ny?\\n\"".into(),
            expected: "no reply to the first piece; one reply (the count) after the second; \
                       \"-> how many?\" in the log"
                .into(),
            got: format!(
                "after the first piece: {}; after the second: {}; {}",
                if premature {
                    describe_read(&early)
                } else {
                    "nothing (right)".into()
                },
                describe_read(&reply),
                if logged {
                    "the whole line in the log"
                } else {
                    "no \"-> how many?\" in the log"
                }
            ),
            hint: "keep the bytes of a line that is not complete yet: one buffered reader for \
                   the whole connection, and never give up a half-read line to wait for \
                   something else and then start reading afresh (in async code: a `select!` \
                   arm whose future is dropped loses what it had read)."
                .into(),
            section: sections.deadline.into(),
        });
    }
}

/// Fails unless `cut` is `ERROR idle timeout` that came no earlier than the deadline and no
/// later than the slack allows (more when the test's own clock ran late).
fn judge_cut(
    server: &mut Running,
    meter: &BusyMeter,
    cut: &std::io::Result<Vec<u8>>,
    elapsed: Duration,
    did: &str,
    sections: &Sections,
) {
    let late = meter.worst_lateness();
    let arrived = matches!(cut, Ok(line) if line == b"ERROR idle timeout\n");
    let too_early = elapsed + Duration::from_millis(50) < IDLE;
    let too_late = elapsed > IDLE + SLACK + late;
    if arrived && !too_early && !too_late {
        return;
    }
    let got = if arrived {
        format!("the line after {:.2} s", elapsed.as_secs_f64())
    } else {
        format!(
            "{} after {:.2} s",
            describe_read(cut),
            elapsed.as_secs_f64()
        )
    };
    server.fail(Problem {
        check: "a client that does not finish a line in time is cut at the deadline".into(),
        did: format!("started your server with --idle-timeout 1; {did}"),
        expected: format!(
            "\"ERROR idle timeout\\n\" between 1.0 and {:.1} s after connecting",
            (IDLE + SLACK + late).as_secs_f64()
        ),
        got,
        hint: format!(
            "the deadline belongs to the line: set it when the line starts, and make every \
             read wait only for the time left until it. A read timeout alone starts again \
             with each byte, so a client that drips bytes is never cut.{}",
            busy_note(late)
        ),
        section: sections.deadline.into(),
    });
}

// ---------------------------------------------------------------------------------------
// The cap

/// With `--max-clients 3`, a fourth client gets `ERROR server full` and a clean close, while
/// the three are still answered; it is never counted, and a place freed by STOP is taken.
pub fn check_cap(lesson: &Lesson, sections: &Sections) {
    let (mut server, address) = start(
        lesson,
        &["--idle-timeout", "30", "--max-clients", "3"],
        sections,
    );
    let mut admitted = Vec::new();
    for count in 1..=3 {
        let mut peer = connect(&mut server, address, sections);
        expect_count(
            &mut server,
            &mut peer,
            count,
            &format!("connected client {count} of 3"),
            sections,
        );
        admitted.push(peer);
    }
    refused_when_full(
        &mut server,
        address,
        "with 3 clients connected (the cap)",
        sections,
    );
    for (number, peer) in admitted.iter_mut().enumerate() {
        expect_count(
            &mut server,
            peer,
            3,
            &format!(
                "a fourth client was refused; then client {} asked",
                number + 1
            ),
            sections,
        );
    }
    if let Some(mut leaving) = admitted.pop() {
        let _ = leaving
            .send(b"STOP\n")
            .and_then(|()| leaving.receive_to_end());
    }
    if let Some(first) = admitted.first_mut() {
        wait_for_count(&mut server, first, 2, "client 3 sent STOP", sections);
    }
    let mut newcomer = connect(&mut server, address, sections);
    expect_count(
        &mut server,
        &mut newcomer,
        3,
        "client 3 left; a new client asked",
        sections,
    );
    refused_when_full(&mut server, address, "with the cap reached again", sections);
}

/// Connects one client too many, which sends a line at once, and fails unless it gets
/// `ERROR server full` and a clean close, not an answer.
fn refused_when_full(server: &mut Running, address: SocketAddr, when: &str, sections: &Sections) {
    let mut extra = connect(server, address, sections);
    let _ = extra.send(QUESTION);
    let did = format!("{when}, connected one more client, which sent \"how many?\\n\"");
    let reply = extra.receive_line();
    if !matches!(&reply, Ok(line) if line == b"ERROR server full\n") {
        server.fail(Problem {
            check: "a client over the cap is refused at once".into(),
            did,
            expected: "\"ERROR server full\\n\", then the connection closed".into(),
            got: describe_read(&reply),
            hint: "check the count before the client gets a thread or a task: at the cap, \
                   send the line, close, and never count it."
                .into(),
            section: sections.cap.into(),
        });
    }
    expect_clean_end(
        server,
        &mut extra,
        "ERROR server full\n",
        sections.last_words,
    );
}

// ---------------------------------------------------------------------------------------
// Shutdown

/// Ctrl-C (SIGINT) with a client that sends nothing and one that talked: each gets `BYE` and
/// a clean close, the server prints `Shut down: 2 clients served` and exits with 0 within
/// 2 s.
pub fn check_shutdown_with_silent_client(lesson: &Lesson, sections: &Sections) {
    let Some(signal) = signals_available("INT") else {
        return;
    };
    let (mut server, address) = start(lesson, &["--idle-timeout", "30"], sections);
    let mut talker = connect(&mut server, address, sections);
    expect_count(
        &mut server,
        &mut talker,
        1,
        "connected one client and asked",
        sections,
    );
    let mut silent = connect(&mut server, address, sections);
    // The silent client may still wait to be accepted: ask until it is counted.
    wait_for_count(
        &mut server,
        &mut talker,
        2,
        "connected a silent client; asked again",
        sections,
    );
    let meter = BusyMeter::start();
    let sent = send_signal(&mut server, signal, sections);
    for peer in [&mut talker, &mut silent] {
        expect_last_words(
            &mut server,
            peer,
            "BYE\n",
            "sent SIGINT (Ctrl-C) to the server",
            sections.shutdown,
        );
    }
    drop((talker, silent));
    expect_graceful_exit(
        &mut server,
        sent,
        &meter,
        2,
        "SIGINT, with a silent client",
        sections,
    );
}

/// SIGTERM with a client that sent many lines and never reads the replies, and a polite
/// client: the polite one is still answered, then gets `BYE`, and the server exits with 0
/// within 2 s.
///
/// (Filling the server's socket buffers for real, so that its writes block, takes millions of
/// replies on loopback, where the buffers grow to megabytes: too slow for a test. The book's
/// shutdown section explains write timeouts and the grace period that handle that case.)
pub fn check_shutdown_with_client_that_never_reads(lesson: &Lesson, sections: &Sections) {
    let Some(signal) = signals_available("TERM") else {
        return;
    };
    let (mut server, address) = start(lesson, &["--idle-timeout", "30"], sections);
    let deaf = connect(&mut server, address, sections);
    let sending = deaf.send_in_background(b"x\n".repeat(128 * 1024));
    let mut polite = connect(&mut server, address, sections);
    expect_count(
        &mut server,
        &mut polite,
        2,
        "connected a client that never reads, then this one",
        sections,
    );
    // Once the deaf client's lines stop showing up, its replies sit unread. The other
    // client must not notice.
    wait_until_log_goes_quiet(&mut server, "-> x");
    expect_count(
        &mut server,
        &mut polite,
        2,
        "connected a client that sent 128 Ki lines and never reads the replies; once the \
         server had read them, asked from another client",
        sections,
    );
    let meter = BusyMeter::start();
    let sent = send_signal(&mut server, signal, sections);
    expect_last_words(
        &mut server,
        &mut polite,
        "BYE\n",
        "sent SIGTERM to the server",
        sections.shutdown,
    );
    drop(polite);
    expect_graceful_exit(
        &mut server,
        sent,
        &meter,
        2,
        "SIGTERM, with a client that never reads",
        sections,
    );
    drop(deaf);
    let _ = sending.join();
}

/// Waits until `needle` shows up in the server's output, then until nothing more comes for
/// 300 ms (at most a few seconds in all).
fn wait_until_log_goes_quiet(server: &mut Running, needle: &str) {
    let give_up = Instant::now() + 2 * STEP;
    if server.read_until(needle, STEP).is_err() {
        return;
    }
    while Instant::now() < give_up {
        if server.read_until("\n", Duration::from_millis(300)).is_err() {
            return;
        }
    }
}

/// Shutdown while `count` clients are connected: every one gets `BYE` and a clean close,
/// and the server exits with 0 within 2 s (lesson 7, where clients are cheap).
pub fn check_shutdown_with_many_clients(lesson: &Lesson, sections: &Sections, count: usize) {
    let Some(signal) = signals_available("INT") else {
        return;
    };
    if !enough_open_files(count) {
        return;
    }
    let (mut server, address) = start(lesson, &["--idle-timeout", "60"], sections);
    let mut peers = connect_many(&mut server, address, count, sections);
    let meter = BusyMeter::start();
    let sent = send_signal(&mut server, signal, sections);
    let did = format!("connected {count} clients, then sent SIGINT to the server");
    for peer in &mut peers {
        expect_last_words(&mut server, peer, "BYE\n", &did, sections.shutdown);
    }
    drop(peers);
    expect_graceful_exit(&mut server, sent, &meter, count, &did, sections);
}

/// Fails unless the server, signalled at `sent`, prints `Shut down: <served> clients
/// served` and exits with status 0 within 2 s (plus slack when the machine is busy).
fn expect_graceful_exit(
    server: &mut Running,
    sent: Instant,
    meter: &BusyMeter,
    served: usize,
    did: &str,
    sections: &Sections,
) {
    let status = server.wait_for_exit(SHUTDOWN_LIMIT + SLACK + STEP);
    let elapsed = sent.elapsed();
    let late = meter.worst_lateness();
    let in_time = elapsed <= SHUTDOWN_LIMIT + SLACK + late;
    if !status.is_some_and(|status| status.success()) || !in_time {
        server.fail(Problem {
            check: "a signal shuts the server down gracefully, within 2 s".into(),
            did: did.into(),
            expected: "exit status 0 within 2 s, even with clients that are silent or never \
                       read"
                .into(),
            got: match status {
                Some(status) => format!("{} after {:.2} s", ending(status), elapsed.as_secs_f64()),
                None => format!(
                    "still running {:.1} s after the signal",
                    elapsed.as_secs_f64()
                ),
            },
            hint: format!(
                "do not wait for clients without a limit: a client thread or task must notice \
                 the shutdown while it waits for a line, and a client that never reads must \
                 not hold the server (a write timeout, or stop waiting after a grace \
                 period).{}",
                busy_note(late)
            ),
            section: sections.shutdown.into(),
        });
    }
    let expected = format!("Shut down: {served} clients served");
    let printed = server.seen();
    let all = [printed.stdout, printed.stderr].concat();
    if !String::from_utf8_lossy(&all)
        .lines()
        .any(|line| line.trim_end() == expected)
    {
        server.fail(Problem {
            check: "the last line counts every client accepted since the start".into(),
            did: did.into(),
            expected: format!("the line \"{expected}\""),
            got: "no such line (see the output below)".into(),
            hint: "count each client you accept (not the refused ones) in a second counter \
                   that never goes down, and print it once everyone has been told BYE."
                .into(),
            section: sections.shutdown.into(),
        });
    }
}

/// The signal named (`INT`, `TERM`) where a test can send one: on Unix with the system's
/// `kill`. Windows has no signals to send to one process, and its Ctrl-C event reaches
/// every program of the console, the test runner included: the check says so and is skipped.
fn signals_available(signal: &'static str) -> Option<&'static str> {
    if cfg!(unix) {
        return Some(signal);
    }
    eprintln!(
        "skipped: on Windows a test cannot send Ctrl-C to one program only (the console's \
         Ctrl-C reaches every program attached to it, the test runner too); try Ctrl-C by hand"
    );
    None
}

/// Sends `kill -<signal> <pid>` to the server (its own PID only, never a group) and returns
/// when it was sent.
fn send_signal(server: &mut Running, signal: &str, sections: &Sections) -> Instant {
    // A server that already exited would be reported by the checks that follow; its PID is
    // still its own here because the test has not collected its exit status yet.
    let pid = server.id().to_string();
    let sent = Instant::now();
    let status = Command::new("kill")
        .args([format!("-{signal}"), pid])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !status.is_ok_and(|status| status.success()) {
        server.fail(Problem {
            check: "the server runs until it is signalled".into(),
            did: format!("sent SIG{signal} to your server with the system's kill"),
            expected: "the signal delivered to the running server".into(),
            got: "kill failed: the server had already exited".into(),
            hint: "a server runs until Ctrl-C or SIGTERM".into(),
            section: sections.shutdown.into(),
        });
    }
    sent
}

fn ending(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => "killed by the signal (no handler: the default action ends the program)".into(),
    }
}

// ---------------------------------------------------------------------------------------
// The log, and many clients at once

/// 500 lines from 10 clients at once (one burst each) all appear in the log, escaped.
pub fn check_log_complete(lesson: &Lesson, sections: &Sections) {
    const CLIENTS: usize = 10;
    const LINES_EACH: usize = 50;
    let (mut server, address) = start(lesson, &[], sections);
    let mut peers: Vec<Peer> = (0..CLIENTS)
        .map(|_| connect(&mut server, address, sections))
        .collect();
    let bursts: Vec<_> = peers
        .iter()
        .enumerate()
        .map(|(client, peer)| {
            let lines: String = (0..LINES_EACH)
                .map(|line| format!("log {client}-{line}\x1b[2J\n"))
                .collect();
            peer.send_in_background(lines.into_bytes())
        })
        .collect();
    for burst in bursts {
        let _ = burst.join();
    }
    for peer in &mut peers {
        for _ in 0..LINES_EACH {
            if !matches!(peer.receive_line(), Ok(line) if line.ends_with(b"\n")) {
                break;
            }
        }
    }
    let mut missing = Vec::new();
    let mut log = String::new();
    let deadline = Instant::now() + STEP;
    for client in 0..CLIENTS {
        for line in 0..LINES_EACH {
            let wanted = format!("log {client}-{line}\\x1b[2J");
            while !log.contains(&wanted) {
                let left = deadline.saturating_duration_since(Instant::now());
                match server.read_until("\n", left) {
                    Ok(more) => log.push_str(&more),
                    Err(_) => break,
                }
            }
            if !log.contains(&wanted) {
                missing.push(wanted);
            }
        }
    }
    if !missing.is_empty() || log.contains('\x1b') {
        server.fail(Problem {
            check: "every line received appears in the log, escaped".into(),
            did: format!(
                "{CLIENTS} clients each sent {LINES_EACH} lines like \"log 3-7\\x1b[2J\" in one burst"
            ),
            expected: "every line in the log, with the escape character shown as \\x1b".into(),
            got: if missing.is_empty() {
                "a raw escape character in the log".into()
            } else {
                format!("{} lines missing, the first: {}", missing.len(), missing[0])
            },
            hint: "clients hand their lines to one logger (a channel) without waiting for it; \
                   the logger prints each with netkit::printable. Drop a line only when the \
                   logger is truly overwhelmed, never in a burst like this one."
                .into(),
            section: sections.log.into(),
        });
    }
}

/// A client that connects and sends nothing does not keep `count` others from being
/// answered (lesson 7: a blocking call in one task would stall them all).
pub fn check_silent_client_with_many_others(lesson: &Lesson, sections: &Sections, count: usize) {
    if !enough_open_files(count) {
        return;
    }
    let (mut server, address) = start(lesson, &["--idle-timeout", "60"], sections);
    let _silent = connect(&mut server, address, sections);
    let peers = connect_many(&mut server, address, count, sections);
    drop(peers);
}

/// Connects `count` clients, each of which asks once and is answered with a count, in waves
/// of 50 (a listening socket queues only about 128 connections not yet accepted).
fn connect_many(
    server: &mut Running,
    address: SocketAddr,
    count: usize,
    sections: &Sections,
) -> Vec<Peer> {
    const WAVE: usize = 50;
    let mut peers: Vec<Peer> = Vec::with_capacity(count);
    while peers.len() < count {
        let wave_start = peers.len();
        for _ in wave_start..(wave_start + WAVE).min(count) {
            let mut peer = connect(server, address, sections);
            let _ = peer.send(QUESTION);
            peers.push(peer);
        }
        for (number, peer) in peers.iter_mut().enumerate().skip(wave_start) {
            let reply = peer.receive_line();
            if parse_count(&reply).is_none() {
                server.fail(Problem {
                    check: "every client is answered while others are connected".into(),
                    did: format!("connected {} clients that each asked once", number + 1),
                    expected: format!("client {} answered with the count", number + 1),
                    got: describe_read(&reply),
                    hint: "nothing that one client does may hold up the others: never block a \
                           thread or task that others depend on (a blocking call inside async \
                           code stalls every task of its thread)."
                        .into(),
                    section: sections.stalls.into(),
                });
            }
        }
    }
    peers
}

/// Whether the test may open `count` connections (each takes a file on both sides), with a
/// note when the system's limit is too low.
fn enough_open_files(count: usize) -> bool {
    if !cfg!(unix) {
        return true;
    }
    let limit = Command::new("sh")
        .args(["-c", "ulimit -n"])
        .output()
        .ok()
        .and_then(|output| {
            String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse::<u64>()
                .ok()
        });
    // "unlimited" does not parse: plenty.
    let needed = 3 * count as u64 + 200;
    match limit {
        Some(limit) if limit < needed => {
            eprintln!(
                "skipped: this check opens {count} connections, but `ulimit -n` is {limit}; \
                 raise it to {needed} (ulimit -n {needed}) to run it"
            );
            false
        }
        _ => true,
    }
}

// ---------------------------------------------------------------------------------------
// Talking to the server

fn with_port<'a>(options: &[&'a str]) -> Vec<&'a str> {
    let mut args = options.to_vec();
    args.push("0");
    args
}

/// Starts the server with these options and port 0, and reads its `Listening on` line.
fn start(lesson: &Lesson, options: &[&str], sections: &Sections) -> (Running, SocketAddr) {
    let mut server = Running::start(*lesson, &with_port(options));
    let address = server.listening_address(sections.options);
    (server, address)
}

fn connect(server: &mut Running, address: SocketAddr, sections: &Sections) -> Peer {
    crate::common::connect(
        server,
        address,
        "the server accepts every client",
        "keep accepting in a loop until the shutdown; a server that has exited refuses \
         connections.",
        sections.cap,
    )
}

/// The reply as a count: decimal digits and `\n`.
fn parse_count(reply: &std::io::Result<Vec<u8>>) -> Option<usize> {
    let line = reply.as_ref().ok()?;
    let text = std::str::from_utf8(line).ok()?.strip_suffix('\n')?;
    text.trim_end_matches('\r').parse().ok()
}

fn ask(server: &mut Running, peer: &mut Peer, sections: &Sections) -> usize {
    let reply = peer.send(QUESTION).and_then(|()| peer.receive_line());
    match parse_count(&reply) {
        Some(count) => count,
        None => server.fail(Problem {
            check: "every line gets the count as its reply".into(),
            did: "sent \"how many?\\n\"".into(),
            expected: "the number of clients connected and \\n, like \"2\\n\"".into(),
            got: describe_read(&reply),
            hint: "reply to each line as lesson 5 did, with the count read now.".into(),
            section: sections.lesson5.into(),
        }),
    }
}

fn expect_count(
    server: &mut Running,
    peer: &mut Peer,
    expected: usize,
    did: &str,
    sections: &Sections,
) {
    let count = ask(server, peer, sections);
    if count != expected {
        server.fail(Problem {
            check: "the count is exact: admitted clients only, each from its acceptance".into(),
            did: did.into(),
            expected: format!("the reply \"{expected}\\n\""),
            got: format!("the reply \"{count}\\n\""),
            hint: "count a client when it is admitted (never a refused one), and uncount it in \
                   a guard's Drop, however its connection ends: STOP, timeout, error, shutdown."
                .into(),
            section: sections.cap.into(),
        });
    }
}

/// Asks until the reply is `expected`, for at most [`STEP`] (a correct server uncounts a
/// client a moment after its connection ends).
fn wait_for_count(
    server: &mut Running,
    peer: &mut Peer,
    expected: usize,
    did: &str,
    sections: &Sections,
) {
    let deadline = Instant::now() + STEP;
    let mut last = ask(server, peer, sections);
    while last != expected && Instant::now() < deadline {
        last = ask(server, peer, sections);
    }
    if last != expected {
        server.fail(Problem {
            check: "a client is uncounted when its connection ends, however it ends".into(),
            did: did.into(),
            expected: format!("the reply \"{expected}\\n\" within {} s", STEP.as_secs()),
            got: format!("the reply \"{last}\\n\", again and again"),
            hint: "uncount in the guard's Drop, so that every way out (timeout, STOP, error, \
                   a refused client that was never counted) keeps the count exact."
                .into(),
            section: sections.cap.into(),
        });
    }
}

/// Waits up to `within` for a line from `waiting`, asking from `talker` every 200 ms so
/// that the talker never goes idle meanwhile.
fn wait_keeping_alive(
    server: &mut Running,
    waiting: &mut Peer,
    talker: &mut Peer,
    within: Duration,
    sections: &Sections,
) -> std::io::Result<Vec<u8>> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let result = read_line_within(waiting, left.min(Duration::from_millis(200)));
        match &result {
            Err(error) if crate::is_timeout(error) && !left.is_zero() => {
                // 1 once the silent client is being cut: a server may uncount it first.
                let count = ask(server, talker, sections);
                if !(1..=2).contains(&count) {
                    server.fail(Problem {
                        check: "a client that keeps talking is not cut, and the count holds".into(),
                        did: "kept asking every 200 ms while a silent client waited".into(),
                        expected: "the reply \"2\\n\" each time (\"1\\n\" once the silent \
                                   client is cut)"
                            .into(),
                        got: format!("the reply \"{count}\\n\""),
                        hint: "the deadline of a client starts again with each of its lines, \
                               and one client's deadline never touches another's."
                            .into(),
                        section: sections.deadline.into(),
                    });
                }
            }
            _ => return result,
        }
    }
}

/// Reads one line from `peer`, waiting at most `within`.
fn read_line_within(peer: &mut Peer, within: Duration) -> std::io::Result<Vec<u8>> {
    // A zero timeout means "no timeout" to the OS: never ask for that.
    peer.stream()
        .set_read_timeout(Some(within.max(Duration::from_millis(1))))?;
    let line = peer.receive_line();
    peer.stream().set_read_timeout(Some(STEP))?;
    line
}

/// Fails unless the next line from `peer` is `words`, followed by a clean end of stream.
fn expect_last_words(server: &mut Running, peer: &mut Peer, words: &str, did: &str, section: &str) {
    let line = peer.receive_line();
    if !matches!(&line, Ok(line) if line == words.as_bytes()) {
        server.fail(Problem {
            check: format!(
                "the server says {} before it closes",
                shown(words.as_bytes())
            ),
            did: did.into(),
            expected: format!(
                "the line {}, then the end of the stream",
                shown(words.as_bytes())
            ),
            got: describe_read(&line),
            hint: "write the last line, then close the connection (BYE to every client on \
                   shutdown, ERROR ... when a client is cut)."
                .into(),
            section: section.into(),
        });
    }
    expect_clean_end(server, peer, words, section);
}

/// After the last line, the stream must end with a normal close: not more bytes, not a
/// reset (which would have destroyed the line on some systems), not silence.
fn expect_clean_end(server: &mut Running, peer: &mut Peer, words: &str, section: &str) {
    let rest = peer.receive_to_end();
    if !matches!(&rest, Ok(rest) if rest.is_empty()) {
        let got = match &rest {
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {
                "a reset (RST) instead of a normal close".to_string()
            }
            Err(error) if crate::is_timeout(error) => {
                format!("the connection still open after {} s", STEP.as_secs())
            }
            other => format!("more: {}", describe_read(other)),
        };
        server.fail(Problem {
            check: "last words arrive: the connection closes cleanly after them".into(),
            did: format!("read {} from the server", shown(words.as_bytes())),
            expected: "the end of the stream (a normal close) right after it".into(),
            got,
            hint: "close cleanly: send the line, shut down the writing side, and read (and \
                   drop) what the client still sends for a moment before closing, as \
                   netkit::send_and_close does. Closing with unread bytes sends a reset."
                .into(),
            section: section.into(),
        });
    }
}

// ---------------------------------------------------------------------------------------
// Time, measured honestly

/// Sends one byte `x` every `pace` from a thread, until stopped or the connection fails.
struct Drip {
    stop: Sender<()>,
    sender: JoinHandle<usize>,
}

impl Drip {
    fn start(stream: &TcpStream, pace: Duration) -> Drip {
        let writer = stream.try_clone();
        let (stop, stopped) = mpsc::channel::<()>();
        let sender = thread::spawn(move || {
            let Ok(mut writer) = writer else { return 0 };
            let mut sent = 0;
            // Waiting on the stop channel paces the drip and ends it at once when asked.
            while writer.write_all(b"x").is_ok() {
                sent += 1;
                if stopped.recv_timeout(pace) != Err(RecvTimeoutError::Timeout) {
                    break;
                }
            }
            sent
        });
        Drip { stop, sender }
    }

    /// Stops dripping; returns how many bytes were sent.
    fn stop(self) -> usize {
        let _ = self.stop.send(());
        self.sender.join().unwrap_or(0)
    }
}

/// Watches the test's own clock: a thread waits 20 ms again and again and records how late
/// it woke up. On a busy machine it wakes up late, and so may the program under test.
pub struct BusyMeter {
    stop: Sender<()>,
    worst: std::sync::Arc<std::sync::Mutex<Duration>>,
}

impl BusyMeter {
    pub fn start() -> BusyMeter {
        const TICK: Duration = Duration::from_millis(20);
        let (stop, stopped) = mpsc::channel::<()>();
        let worst = std::sync::Arc::new(std::sync::Mutex::new(Duration::ZERO));
        let record = std::sync::Arc::clone(&worst);
        thread::spawn(move || {
            loop {
                let asleep = Instant::now();
                if stopped.recv_timeout(TICK) != Err(RecvTimeoutError::Timeout) {
                    return;
                }
                let late = asleep.elapsed().saturating_sub(TICK);
                let mut worst = record
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                *worst = (*worst).max(late);
            }
        });
        BusyMeter { stop, worst }
    }

    /// The longest the test's own 20 ms waits overran so far.
    pub fn worst_lateness(&self) -> Duration {
        *self
            .worst
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for BusyMeter {
    fn drop(&mut self) {
        let _ = self.stop.send(());
    }
}

/// A sentence for the hint when the test's own clock ran late.
fn busy_note(late: Duration) -> String {
    if late < Duration::from_millis(200) {
        return String::new();
    }
    format!(
        "\nNote: the test's own 20 ms waits ran up to {} ms late meanwhile: the machine looks \
         busy, so this may not be your program's fault. Run the test again on a quieter \
         machine before changing your code.",
        late.as_millis()
    )
}
