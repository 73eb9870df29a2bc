//! # Lesson 2 tests: the TCP time server
//!
//! Each test starts your server on port 0 (the OS picks a free port), reads the
//! `Listening on ...` line to learn the address, then connects as a client and checks the
//! replies and what your server prints.
//!
//! Run them with `cargo test -p lesson2`. The same file also checks the reference solution
//! (`cargo test -p lesson2-solution`).

use std::net::SocketAddr;

use chrono::{DateTime, FixedOffset, Local};
use harness::common::{self, Role, Transport};
use harness::{Lesson, Peer, Problem, Running, STEP, describe_read, shown};

const LESSON: Lesson = harness::lesson!(2);

/// Starts the server on `127.0.0.1` with a free port; returns it and its address.
fn start_server() -> (Running, SocketAddr) {
    Running::start_server(LESSON, "0", "Listening")
}

/// Connects to the server under test, or fails the test with its output.
fn connect(server: &mut Running, address: SocketAddr) -> Peer {
    common::connect(
        server,
        address,
        "the server accepts a connection",
        "keep the TcpListener alive (do not drop it) and call accept() on it.",
        "Accepting a client",
    )
}

/// Sends `line` and returns the reply line, `\n` included, or fails the test.
fn ask(server: &mut Running, peer: &mut Peer, line: &[u8]) -> Vec<u8> {
    let sent = peer.send(line);
    let reply = sent.and_then(|()| peer.receive_line());
    match reply {
        Ok(reply) if reply.ends_with(b"\n") => reply,
        other => server.fail(Problem {
            check: "every line gets one reply line".into(),
            did: format!("sent {}", shown(line)),
            expected: "the current time and \\n, like \"2026-11-28T10:15:00+01:00\\n\"".into(),
            got: describe_read(&other),
            hint: "read with netkit::read_line, then write the reply with write_all; end it \
                   with \\n or the client waits forever for the end of the line."
                .into(),
            section: "Replying with the time".into(),
        }),
    }
}

/// `YYYY-MM-DDTHH:MM:SS` then `Z` or `+HH:MM` / `-HH:MM`: RFC 3339 at seconds precision.
/// RFC 3339 lets `T` and `Z` be written in lower case too, and `-00:00` is its way to say
/// "UTC, local offset unknown": all valid.
fn is_rfc3339_in_seconds(text: &str) -> bool {
    let shape = |pattern: &str, text: &str| {
        pattern.len() == text.len()
            && pattern.bytes().zip(text.bytes()).all(|(p, t)| match p {
                b'9' => t.is_ascii_digit(),
                b'+' => t == b'+' || t == b'-',
                b'T' | b'Z' => t.eq_ignore_ascii_case(&p),
                _ => p == t,
            })
    };
    match text.get(19..) {
        Some("Z" | "z") => shape("9999-99-99T99:99:99Z", text),
        Some(_) => shape("9999-99-99T99:99:99+99:99", text),
        None => false,
    }
}

/// A reply line's text: without its `\n`, or `\r\n` (SPEC.md accepts both endings).
fn line_text(reply: &[u8]) -> String {
    let text = String::from_utf8_lossy(reply);
    let text = text.strip_suffix('\n').unwrap_or(&text);
    text.strip_suffix('\r').unwrap_or(text).to_string()
}

/// The first line is `Listening on <ip>:<port>` with the real port, on 127.0.0.1 for a bare
/// port number.
#[test]
fn prints_the_real_address_it_listens_on() {
    common::check_real_address_printed(
        &LESSON,
        "netkit::server_argument() turns \"0\" into \"127.0.0.1:0\"; print \
         listener.local_addr(), not the argument.",
        "Listening",
    );
}

/// A line gets the current local time in RFC 3339 at seconds precision, and a newline.
#[test]
fn replies_with_the_current_time_in_rfc3339() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    // The server reads its clock between these two moments: the reply must say so, in whole
    // seconds (cut, or rounded up). No other margin: a slow machine only widens the window.
    let before = Local::now();
    let reply = ask(&mut server, &mut peer, b"hello\n");
    let after = Local::now();
    let text = line_text(&reply);
    let parsed: Option<DateTime<FixedOffset>> = is_rfc3339_in_seconds(&text)
        .then(|| DateTime::parse_from_rfc3339(&text).ok())
        .flatten();
    let current = parsed.is_some_and(|time| {
        (before.timestamp()..=after.timestamp() + 1).contains(&time.timestamp())
            && time.offset().local_minus_utc() == after.offset().local_minus_utc()
    });
    if !current {
        server.fail(Problem {
            check: "the reply is the current local time in RFC 3339, in whole seconds".into(),
            did: "sent \"hello\\n\"".into(),
            expected: format!(
                "a line like \"{}\\n\": the time between sending and receiving (from {} to {}), \
                 with the local offset",
                after.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                before.format("%H:%M:%S"),
                after.format("%H:%M:%S")
            ),
            got: shown(&reply),
            hint: "Local::now().to_rfc3339_opts(SecondsFormat::Secs, true), computed for \
                   each reply, not once at start-up."
                .into(),
            section: "Replying with the time".into(),
        });
    }
}

/// Each line received is printed as `-> <line>`, bytes that are not UTF-8 shown as `�`.
/// Lines of the server's own (`client 127.0.0.1:50000 connected`) may come between them.
#[test]
fn prints_each_line_it_receives() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    ask(&mut server, &mut peer, b"hello\n");
    ask(&mut server, &mut peer, b"caf\xe9\r\n");
    let expected = ["-> hello", "-> caf\u{fffd}"];
    for want in expected {
        if let Err(waited) = server.read_line_matching(|line| line == want, STEP) {
            server.fail(Problem {
                check: "every received line is printed as `-> <line>`".into(),
                did: "sent \"hello\\n\" and \"caf\\xe9\\r\\n\" (not UTF-8, Windows ending)".into(),
                expected: format!(
                    "the line {}, after the lines before it",
                    shown(want.as_bytes())
                ),
                got: match waited {
                    harness::Waited::TimedOut => {
                        format!("no such line within {} s", STEP.as_secs())
                    }
                    harness::Waited::Ended => "no such line before the output ended".into(),
                },
                hint: "netkit::read_line gives the text without \\r\\n, bad bytes as �; \
                       print it with netkit::log_line(&format!(\"-> {}\", ...))."
                    .into(),
                section: "Reading lines".into(),
            });
        }
    }
}

/// A line holding control characters (a terminal's escape sequences) is printed with them
/// escaped: a client cannot retitle, clear or overwrite the terminal of the server's user.
#[test]
fn control_characters_in_a_line_are_shown_escaped() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    let line = format!("{}\n", common::TERMINAL_ATTACK);
    ask(&mut server, &mut peer, line.as_bytes());
    let did = format!("sent the line {}", shown(line.as_bytes()));
    common::expect_attack_escaped(&mut server, &did, "Reading lines");
}

/// With nobody reading its output (`lesson2 0 | head -1`, then a client), the server goes on
/// answering without its log, and STOP still ends it with status 0: no panic.
#[test]
fn goes_on_serving_when_its_output_is_gone() {
    let mut server = Running::start_behind_head(LESSON, &["0"]);
    let address = server.listening_address("Listening");
    let mut peer = connect(&mut server, address);
    let problem = |got: String| Problem {
        check: "a server whose output is gone goes on serving, without a panic".into(),
        did: "ran your server with its stdout read by a program that left after the first line \
              (as `| head -1`); sent 5 lines, then STOP"
            .into(),
        expected: "a reply to each line; no reply to STOP, the connection closed, exit status 0"
            .into(),
        got,
        hint: "println! panics when stdout is gone. A server's log is a courtesy: print it with \
               netkit::log_line, which drops a line it cannot write."
            .into(),
        section: "Listening".into(),
    };
    // Several lines, as a server's log fills up over time.
    for number in 1..=5 {
        let reply = peer
            .send(format!("line {number}\n").as_bytes())
            .and_then(|()| peer.receive_line());
        if !matches!(&reply, Ok(line) if line.ends_with(b"\n")) {
            let got = format!("to line {number}: {}", describe_read(&reply));
            server.fail(problem(got));
        }
    }
    let after_stop = peer.send(b"STOP\n").and_then(|()| peer.receive_line());
    let status = server.wait_for_exit(STEP);
    if !matches!(&after_stop, Ok(rest) if rest.is_empty())
        || status.and_then(|status| status.code()) != Some(0)
    {
        let got = format!(
            "after STOP: {}; your server {}",
            describe_read(&after_stop),
            match status {
                Some(status) => format!("exited with {status}"),
                None => "kept running".into(),
            }
        );
        server.fail(problem(got));
    }
}

/// Several lines sent at once are all answered, in order.
#[test]
fn answers_lines_that_arrive_together() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    // A failed send shows up as a failed read just below, with the server's output.
    let _ = peer.send(b"one\ntwo\nthree\n");
    for number in 1..=3 {
        let reply = peer.receive_line();
        if !matches!(&reply, Ok(line) if line.ends_with(b"\n")) {
            server.fail(Problem {
                check: "lines that arrive in one packet are all answered".into(),
                did: "sent \"one\\ntwo\\nthree\\n\" in a single write".into(),
                expected: "three reply lines".into(),
                got: format!("reply {number}: {}", describe_read(&reply)),
                hint: "create the BufReader once, before the loop: it reads all three lines \
                       at once and hands them out one by one. A new reader per line loses \
                       the rest (the Go original's bug)."
                    .into(),
                section: "Reading lines".into(),
            });
        }
    }
}

/// `STOP` gets no reply: the server prints `Exiting TCP server!` and exits 0.
#[test]
fn stop_ends_the_server_without_a_reply() {
    for stop in [&b"STOP\n"[..], b"  STOP \r\n"] {
        let (mut server, address) = start_server();
        let mut peer = connect(&mut server, address);
        ask(&mut server, &mut peer, b"hello\n");
        // A correct server closes the connection: the read ends at once with no bytes.
        let after_stop = peer.send(stop).and_then(|()| peer.receive_line());
        let closed = matches!(&after_stop, Ok(rest) if rest.is_empty());
        // Only a server that did close is worth waiting for; a wrong one fails fast.
        let status = if closed {
            server.wait_for_exit(STEP)
        } else {
            None
        };
        let printed = if closed {
            server.rest_of_stdout(STEP)
        } else {
            String::new()
        };
        let stopped = closed
            && printed.contains("Exiting TCP server!\n")
            && status.and_then(|status| status.code()) == Some(0);
        if !stopped {
            server.fail(Problem {
                check: "STOP ends the server, without a reply".into(),
                did: format!("sent \"hello\\n\", then {}", shown(stop)),
                expected: "no reply, the connection closed, \"Exiting TCP server!\" printed, \
                           exit status 0"
                    .into(),
                got: format!(
                    "after STOP: {}; your server {}",
                    match &after_stop {
                        Ok(rest) if rest.is_empty() => "no reply".to_string(),
                        other => describe_read(other),
                    },
                    if status.is_some() {
                        "exited"
                    } else {
                        "kept running"
                    }
                ),
                hint: "check netkit::is_stop(&text) (it trims white space) before replying, \
                       and return from the loop."
                    .into(),
                section: "STOP".into(),
            });
        }
    }
}

/// A client that leaves without STOP: the server prints `client disconnected`, exits 0.
#[test]
fn a_client_that_leaves_ends_the_session() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    ask(&mut server, &mut peer, b"hello\n");
    drop(peer);
    let status = server.wait_for_exit(STEP);
    let printed = server.rest_of_stdout(STEP);
    if !printed.contains("client disconnected\n") || status.and_then(|s| s.code()) != Some(0) {
        server.fail(Problem {
            check: "the end of the stream ends the session cleanly".into(),
            did: "sent \"hello\\n\", read the reply, closed the connection".into(),
            expected: "\"client disconnected\" printed and exit status 0".into(),
            got: format!("the output {}", shown(printed.as_bytes())),
            hint: "netkit::read_line returns Line::End when the client has closed: print \
                   \"client disconnected\" and return Ok(())."
                .into(),
            section: "Reading lines".into(),
        });
    }
}

/// A line of exactly 64 KiB is still answered; one longer gets `ERROR line too long` and
/// the connection is closed, without a crash.
#[test]
fn a_line_over_64_kib_is_refused_without_a_crash() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    let mut longest = vec![b'x'; netkit::MAX_LINE];
    longest.push(b'\n');
    ask(&mut server, &mut peer, &longest);

    // A megabyte without a newline: the server may stop reading part way.
    let sending = peer.send_in_background(vec![b'y'; 1 << 20]);
    let reply = peer.receive_line();
    let _ = sending.join();
    let status = server.wait_for_exit(STEP);
    let stderr = server.stderr();
    let refused = matches!(&reply, Ok(line) if line.ends_with(b"\n") && line_text(line) == "ERROR line too long");
    if !refused || stderr.contains("panicked") {
        server.fail(Problem {
            check: "a line over 64 KiB is refused, the server does not crash".into(),
            did: "sent a line of exactly 64 KiB (answered), then 1 MiB without a newline".into(),
            expected: "the reply \"ERROR line too long\\n\", then the connection closed".into(),
            got: format!(
                "{}; your server {}",
                describe_read(&reply),
                if status.is_some() {
                    "ended"
                } else {
                    "was still running"
                }
            ),
            hint: "netkit::read_line returns Line::TooLong: answer with \
                   netkit::send_and_close(client, \"ERROR line too long\\n\")."
                .into(),
            section: "Lines that are too long".into(),
        });
    }
}

/// `[::1]:0` listens on IPv6 loopback and prints that address.
#[test]
fn listens_on_ipv6_when_asked() {
    if !harness::has_ipv6_loopback() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let (mut server, address) = Running::start_server(LESSON, "[::1]:0", "Listening");
    let mut peer = connect(&mut server, address);
    let reply = ask(&mut server, &mut peer, b"hello\n");
    if !address.is_ipv6() || reply.len() < 20 {
        server.fail(Problem {
            check: "HOST:PORT arguments bind that host".into(),
            did: "started your server with \"[::1]:0\"".into(),
            expected: "\"Listening on [::1]:<port>\" and a reply over IPv6".into(),
            got: format!("the address {address}"),
            hint: "pass the address from netkit::server_argument() to TcpListener::bind.".into(),
            section: "Listening".into(),
        });
    }
}

/// A port already taken by another program: one error line naming it, exit status 1.
#[test]
fn a_port_in_use_is_one_line_and_status_1() {
    common::check_port_in_use(&LESSON, Transport::Tcp, "Listening");
}

/// A missing, extra or malformed argument prints a usage line and exits 2.
#[test]
fn bad_arguments_print_usage_and_exit_2() {
    common::check_usage_errors(
        &LESSON,
        Role::Server,
        &common::BAD_SERVER_ARGUMENTS,
        "Arguments and exit codes",
    );
}
