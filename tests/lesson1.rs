//! # Lesson 1 tests: the TCP client
//!
//! Each test starts a small TCP server inside the test (a [`FakeServer`] that records every
//! byte it receives), runs your client against it with some typed input, and checks what
//! arrived on the wire and what your client printed.
//!
//! Run them with `cargo test -p lesson1`. The same file also checks the reference solution
//! (`cargo test -p lesson1-solution`).

use std::time::Duration;

use harness::common::{self, Role};
use harness::predicates::prelude::*;
use harness::{Answer, FakeServer, Finished, Lesson, Problem, Running, STEP, shown};

const LESSON: Lesson = harness::lesson!(1);

/// Replies `reply 1`, `reply 2`, ... to each line except STOP, which gets no reply.
fn numbered_replies() -> impl FnMut(&[u8]) -> Answer + Send + 'static {
    let mut count = 0;
    move |line| {
        if String::from_utf8_lossy(line).trim() == "STOP" {
            return Answer::Silence;
        }
        count += 1;
        Answer::Reply(format!("reply {count}\n").into_bytes())
    }
}

/// Runs the client against `server` with `typed` as its whole input.
fn run_client(server: &FakeServer, typed: &str) -> Finished {
    let address = server.address().to_string();
    harness::run_to_end(&LESSON, &[&address], typed.as_bytes(), STEP)
}

/// The prompt `>> ` is printed, and flushed, before the client waits for input.
#[test]
fn prints_the_prompt_before_waiting_for_input() {
    let server = FakeServer::start(numbered_replies());
    common::check_prompt_before_input(&LESSON, server.address(), "The prompt");
}

/// Each typed line reaches the server once, followed by exactly one `\n`.
#[test]
fn sends_each_line_with_exactly_one_newline() {
    let server = FakeServer::start(numbered_replies());
    let run = run_client(&server, "hello\nworld\nSTOP\n");
    let received = server.wait_received(STEP, |bytes| bytes.ends_with(b"STOP\n"));
    if received != b"hello\nworld\nSTOP\n" {
        LESSON.fail(
            Problem {
                check: "each line is sent once, with exactly one newline".into(),
                did: "typed \"hello\", \"world\" and \"STOP\", one per line".into(),
                expected: format!("the server receives {}", shown(b"hello\nworld\nSTOP\n")),
                got: format!("the server received {}", shown(&received)),
                hint: "the line you read has no newline left (netkit::read_line strips it): \
                       send the text and then one \\n. Two \\n in a row would be a second, \
                       empty message (the Go original's bug)."
                    .into(),
                section: "Sending a line".into(),
            },
            &run.seen,
        );
    }
}

/// Every reply is printed as `->: <reply>`, in order, without its newline.
#[test]
fn prints_each_reply_after_an_arrow() {
    let server = FakeServer::start(numbered_replies());
    let run = run_client(&server, "one\ntwo\nSTOP\n");
    // Each reply once: other lines of the program's own may come between them.
    let expected = predicate::str::contains("->: reply 1\n")
        .count(1)
        .and(predicate::str::contains("->: reply 2\n").count(1));
    let stdout = run.stdout();
    let in_order = stdout.find("->: reply 1") < stdout.find("->: reply 2");
    if !expected.eval(&stdout) || !in_order {
        LESSON.fail(
            Problem {
                check: "each reply is printed as `->: <reply>`".into(),
                did: "typed \"one\" and \"two\"; the server answered \"reply 1\\n\" and \"reply 2\\n\"".into(),
                expected: "the lines \"->: reply 1\" and then \"->: reply 2\"".into(),
                got: format!("the output {}", shown(stdout.as_bytes())),
                hint: "read one line per message with netkit::read_line and print it with \
                       println!(\"->: {reply}\")."
                    .into(),
                section: "Reading the reply".into(),
            },
            &run.seen,
        );
    }
}

/// `STOP` is sent, then the client says goodbye and exits 0 without waiting for a reply
/// (the server never answers STOP).
#[test]
fn stop_is_sent_and_ends_the_client_without_waiting() {
    for typed in ["STOP\n", "  STOP \t\n"] {
        let server = FakeServer::start(numbered_replies());
        let run = run_client(&server, typed);
        let problem = || Problem {
            check: "STOP ends the client at once".into(),
            did: format!(
                "typed {} (the server does not answer STOP)",
                shown(typed.as_bytes())
            ),
            expected:
                "\"TCP client exiting...\" printed and exit status 0, without waiting for a reply"
                    .into(),
            hint: "after sending the line, check netkit::is_stop(&message) (it trims white \
                   space) before you wait for a reply."
                .into(),
            section: "Ending the conversation".into(),
            ..Problem::default()
        };
        common::expect_exit(&LESSON, Role::Client, &run, 0, STEP, problem());
        if !run.stdout().contains("TCP client exiting...\n") {
            let got = format!("the output {}", shown(&run.seen.stdout));
            LESSON.fail(Problem { got, ..problem() }, &run.seen);
        }
        let received = server.wait_received(STEP, |bytes| bytes.ends_with(b"\n"));
        if received != typed.as_bytes() {
            let got = format!("the server received {}", shown(&received));
            LESSON.fail(
                Problem {
                    expected: "the STOP line reaches the server before the client exits".into(),
                    got,
                    ..problem()
                },
                &run.seen,
            );
        }
    }
}

/// At the end of the input (Ctrl-D, or the end of a piped file) the client exits 0 and
/// sends nothing more.
#[test]
fn end_of_input_ends_the_client_cleanly() {
    let server = FakeServer::start(numbered_replies());
    let run = run_client(&server, "hello\n");
    let problem = Problem {
        check: "the end of the input ends the client with status 0".into(),
        did: "typed \"hello\" and then closed the input (like Ctrl-D)".into(),
        expected: "one reply printed, then exit status 0".into(),
        hint: "netkit::read_line returns Line::End when the input is over: leave the loop \
               then. Looping on instead would send empty lines forever (the Go original's bug)."
            .into(),
        section: "Ending the conversation".into(),
        ..Problem::default()
    };
    common::expect_exit(&LESSON, Role::Client, &run, 0, STEP, problem);
    let received = server.received();
    if received != b"hello\n" {
        LESSON.fail(
            Problem {
                check: "nothing more is sent after the input ends".into(),
                did: "typed \"hello\" and then closed the input (like Ctrl-D)".into(),
                expected: format!("the server receives only {}", shown(b"hello\n")),
                got: format!("the server received {}", shown(&received)),
                hint: "at Line::End, stop: do not send an empty line.".into(),
                section: "Ending the conversation".into(),
            },
            &run.seen,
        );
    }
}

/// A line typed with a Windows ending (`\r\n`) is sent with a plain `\n`.
#[test]
fn a_crlf_line_is_sent_with_one_plain_newline() {
    let server = FakeServer::start(numbered_replies());
    let run = run_client(&server, "hello\r\nSTOP\r\n");
    let received = server.wait_received(STEP, |bytes| bytes.ends_with(b"STOP\n"));
    if received != b"hello\nSTOP\n" {
        LESSON.fail(
            Problem {
                check: "a line ending in \\r\\n is sent with exactly one \\n".into(),
                did: "typed \"hello\\r\\n\" then \"STOP\\r\\n\" (as Windows does)".into(),
                expected: format!("the server receives {}", shown(b"hello\nSTOP\n")),
                got: format!("the server received {}", shown(&received)),
                hint: "netkit::read_line strips both \\n and \\r\\n: send its text plus one \\n."
                    .into(),
                section: "Sending a line".into(),
            },
            &run.seen,
        );
    }
}

/// A reply ending in `\r\n`, or holding bytes that are not UTF-8, is printed without a
/// crash (the bad bytes as `�`).
#[test]
fn odd_replies_are_printed_without_crashing() {
    let mut replies = vec![b"hi\r\n".to_vec(), b"caf\xe9\n".to_vec()].into_iter();
    let server = FakeServer::start(move |_| match replies.next() {
        Some(reply) => Answer::Reply(reply),
        None => Answer::Silence,
    });
    let run = run_client(&server, "one\ntwo\nSTOP\n");
    let stdout = run.stdout();
    if !stdout.contains("->: hi\n")
        || !stdout.contains("->: caf\u{fffd}\n")
        || run.code() != Some(0)
    {
        LESSON.fail(
            Problem {
                check: "replies with \\r\\n or bytes that are not UTF-8 are shown, no crash".into(),
                did: "the server answered \"hi\\r\\n\", then \"caf\\xe9\\n\" (not UTF-8)".into(),
                expected: "\"->: hi\" and \"->: caf�\", then exit status 0 after STOP".into(),
                got: format!(
                    "the output {} and {}",
                    shown(&run.seen.stdout),
                    run.ending(STEP)
                ),
                hint: "netkit::read_line strips \\r\\n and turns bad bytes into �. \
                       String::from_utf8(...).unwrap() would panic here."
                    .into(),
                section: "Reading the reply".into(),
            },
            &run.seen,
        );
    }
}

/// Two replies that arrive together are both kept: the second answers the second message.
#[test]
fn keeps_a_reply_that_arrived_early() {
    let mut turn = 0;
    let server = FakeServer::start(move |_| {
        turn += 1;
        match turn {
            // Both replies in one write: they arrive in the same packet.
            1 => Answer::Reply(b"first\nsecond\n".to_vec()),
            _ => Answer::Silence,
        }
    });
    let run = run_client(&server, "one\ntwo\nSTOP\n");
    let stdout = run.stdout();
    if !stdout.contains("->: first\n") || !stdout.contains("->: second\n") {
        LESSON.fail(
            Problem {
                check: "bytes read ahead are kept for the next reply".into(),
                did: "typed \"one\", \"two\"; the server sent \"first\\nsecond\\n\" at once".into(),
                expected: "\"->: first\" for the first message and \"->: second\" for the second"
                    .into(),
                got: format!(
                    "the output {} and {}",
                    shown(&run.seen.stdout),
                    run.ending(STEP)
                ),
                hint: "create the BufReader once, before the loop. A new BufReader each turn \
                       throws away what the old one had already read (the Go original's bug)."
                    .into(),
                section: "Reading the reply".into(),
            },
            &run.seen,
        );
    }
}

/// If the server closes the connection instead of replying, the client says so on stderr
/// and exits 1.
#[test]
fn a_server_that_hangs_up_ends_the_client_with_status_1() {
    let server = FakeServer::start(|_| Answer::Hangup);
    let run = run_client(&server, "hello\nagain\n");
    let problem = Problem {
        check: "a closed connection is reported, not ignored".into(),
        did: "typed \"hello\"; the server closed the connection without replying".into(),
        expected: "\"server closed the connection\" on stderr and exit status 1".into(),
        hint: "reading 0 bytes (Line::End) means the server closed the connection: return \
               Err(\"server closed the connection\")."
            .into(),
        section: "Reading the reply".into(),
        ..Problem::default()
    };
    if !run.stderr().contains("server closed the connection") {
        let got = format!("stderr {}", shown(&run.seen.stderr));
        LESSON.fail(Problem { got, ..problem }, &run.seen);
    }
    common::expect_exit(&LESSON, Role::Client, &run, 1, STEP, problem);
}

/// No server on the port: one line on stderr naming the address and the cause, status 1.
#[test]
fn connection_refused_is_one_line_and_status_1() {
    let address = harness::closed_port().to_string();
    common::check_refused(
        &LESSON,
        &address,
        Problem {
            check: "a failed connection is one clear line and exit status 1".into(),
            did: format!("ran your client with {address}, where nothing listens"),
            expected: format!(
                "one line on stderr such as \"could not connect to {address}: connection refused\", then exit status 1"
            ),
            hint: "do not unwrap() the connect result: turn the error into a line with \
                   netkit::error_line and return it; main exits with 1."
                .into(),
            section: "Connecting".into(),
            ..Problem::default()
        },
    );
}

/// A host name that does not resolve is a runtime error (status 1), not a usage error.
#[test]
fn an_unknown_host_is_a_runtime_error() {
    common::check_unknown_host(
        &LESSON,
        "TcpStream::connect resolves the name itself; its error is a connect error like any \
         other.",
        "Connecting",
    );
}

/// The address may be a host name or an IPv6 address in brackets.
#[test]
fn connects_by_host_name_and_by_ipv6_address() {
    let mut cases = vec![("127.0.0.1:0", "localhost")];
    if harness::has_ipv6_loopback() {
        cases.push(("[::1]:0", "[::1]"));
    }
    for (listen, host) in cases {
        let server = FakeServer::start_on(listen, numbered_replies());
        let address = format!("{host}:{}", server.address().port());
        let run = harness::run_to_end(&LESSON, &[&address], b"hello\nSTOP\n", STEP);
        if !run.stdout().contains("->: reply 1\n") || run.code() != Some(0) {
            LESSON.fail(
                Problem {
                    check: "host names and [IPv6] addresses work".into(),
                    did: format!("ran your client with {address}, typed \"hello\" and \"STOP\""),
                    expected: "\"->: reply 1\" and exit status 0".into(),
                    got: format!(
                        "the output {} and {}",
                        shown(&run.seen.stdout),
                        run.ending(STEP)
                    ),
                    hint: "pass the argument to TcpStream::connect as it is: it resolves names \
                           and tries every address in turn."
                        .into(),
                    section: "Connecting".into(),
                },
                &run.seen,
            );
        }
    }
}

/// A missing, extra or malformed argument prints a usage line and exits 2.
#[test]
fn bad_arguments_print_usage_and_exit_2() {
    common::check_usage_errors(
        &LESSON,
        Role::Client,
        &common::BAD_CLIENT_ARGUMENTS,
        "Arguments and exit codes",
    );
}

/// A slow typist: the client waits for each line, and each reply comes before the next
/// prompt (checked interactively, one line at a time).
#[test]
fn answers_each_line_before_the_next_prompt() {
    let server = FakeServer::start(numbered_replies());
    let mut client = Running::start(LESSON, &[&server.address().to_string()]);
    for (typed, reply) in [("first", "->: reply 1\n"), ("second", "->: reply 2\n")] {
        let _ = client.read_until(">> ", STEP);
        client.type_text(format!("{typed}\n").as_bytes());
        if let Err(waited) = client.read_until(reply, STEP) {
            let got = match waited {
                harness::Waited::TimedOut => format!("nothing within {} s", STEP.as_secs()),
                harness::Waited::Ended => "your client ended".into(),
            };
            client.fail(Problem {
                check: "each reply is printed before the next prompt".into(),
                did: format!("typed {typed:?} and waited"),
                expected: format!("the line {}", shown(reply.as_bytes())),
                got,
                hint: "send, then read one reply line, print it, and only then prompt again."
                    .into(),
                section: "Reading the reply".into(),
            });
        }
    }
    client.close_stdin();
    let ended = client.wait_for_exit(Duration::from_secs(3));
    if ended.and_then(|status| status.code()) != Some(0) {
        client.fail(Problem {
            check: "the end of the input ends the client with status 0".into(),
            did: "closed the input after two lines".into(),
            expected: "exit status 0".into(),
            got: "your client did not exit with 0 in time".into(),
            hint: "at Line::End, leave the loop and return Ok(())".into(),
            section: "Ending the conversation".into(),
        });
    }
}

/// A reply holding control characters (a terminal's escape sequences) is printed with them
/// escaped: the server cannot retitle, clear or overwrite the learner's terminal.
#[test]
fn control_characters_in_a_reply_are_shown_escaped() {
    let mut replies = vec![format!("{}\n", common::TERMINAL_ATTACK).into_bytes()].into_iter();
    let server = FakeServer::start(move |_| match replies.next() {
        Some(reply) => Answer::Reply(reply),
        None => Answer::Silence,
    });
    let run = run_client(&server, "hello\nSTOP\n");
    let did = format!(
        "typed \"hello\"; the server answered {}",
        shown(format!("{}\n", common::TERMINAL_ATTACK).as_bytes())
    );
    if !run.stdout().lines().any(common::shows_the_attack) {
        LESSON.fail(
            Problem {
                check: "a reply with control characters is still printed".into(),
                did,
                expected: "a line \"->: evil...pwned...end\", its control characters escaped"
                    .into(),
                got: format!("the output {}", shown(&run.seen.stdout)),
                hint: "print every reply, through netkit::printable(&reply).".into(),
                section: "Reading the reply".into(),
            },
            &run.seen,
        );
    }
    common::check_peer_text_escaped(&LESSON, &run.seen, &did, "Reading the reply");
}

/// When nobody reads the client's output any more (`lesson1 HOST:PORT | head -1`), the client
/// ends with one error line and status 1, without a panic.
#[test]
fn a_lost_stdout_ends_the_client_with_status_1() {
    let server = FakeServer::start(numbered_replies());
    common::check_client_survives_stdout_gone(
        &LESSON,
        server.address(),
        ("hello\n", "->: reply 1"),
        "world\n",
        "The prompt",
    );
}
