//! TODO(3): the conversation. Every line is logged and answered, lines that arrive together
//! included, until STOP, the client leaving, or a line too long ends it.

use harness::common;
use harness::{Problem, STEP, describe_read, shown};

use crate::{CONVERSATION, STOP, TOO_LONG, ask, connect, line_text, start_server};

/// A client that leaves without STOP: the server prints `client disconnected`, exits 0.
#[test]
fn a_client_that_leaves_ends_the_session() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    // Two lines first: a loop that ends after one reply is named by `ask`, not here.
    ask(&mut server, &mut peer, b"hello\n");
    ask(&mut server, &mut peer, b"hello again\n");
    drop(peer);
    let status = server.wait_for_exit(STEP);
    let printed = server.rest_of_stdout(STEP);
    let code = status.and_then(|s| s.code());
    if !printed.contains("client disconnected\n") || code != Some(0) {
        let hint = if code == Some(1) {
            "your server ended with status 1, as after an error: a client that leaves is a \
             normal end of the conversation. At Line::End, log \"client disconnected\" and \
             end with success."
        } else {
            "netkit::read_line returns Line::End when the client has closed: log \"client \
             disconnected\" and end the conversation with success."
        };
        server.fail(Problem {
            check: "the end of the stream ends the session cleanly".into(),
            did: "sent two lines, read the replies, closed the connection".into(),
            expected: "\"client disconnected\" printed and exit status 0".into(),
            got: format!(
                "the output {}; your server {}",
                shown(printed.as_bytes()),
                match status {
                    Some(status) => format!("exited with {status}"),
                    None => "kept running".into(),
                }
            ),
            hint: hint.into(),
            section: CONVERSATION.into(),
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
            hint: "netkit::read_line returns Line::TooLong for a line over 64 KiB: tell the \
                   client \"ERROR line too long\" and close, with netkit::send_and_close, so \
                   that the reply is read before the connection ends."
                .into(),
            section: TOO_LONG.into(),
        });
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
                section: CONVERSATION.into(),
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
    common::expect_attack_escaped(&mut server, &did, CONVERSATION);
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
                section: CONVERSATION.into(),
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
                section: STOP.into(),
            });
        }
    }
}
