//! # Lesson 3 tests: the UDP client
//!
//! Each test starts a small UDP server inside the test (a [`FakeUdpServer`] that records
//! every datagram it receives and answers, or stays silent, as the test decides), runs your
//! client against it with some typed input, and checks the datagrams that arrived and what
//! your client printed.
//!
//! Two of them play a lost datagram, so they take a few seconds: your client is supposed to
//! wait 2 s before it sends again.
//!
//! Run them with `cargo test -p lesson3`. The same file also checks the reference solution
//! (`cargo test -p lesson3-solution`).

use std::net::{ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use harness::common::{self, Role};
use harness::timing::{LoadMeter, Window, seconds};
use harness::{
    Answer, Datagram, FakeUdpServer, Finished, Lesson, Problem, Running, STEP, shown,
    shown_datagrams,
};

const LESSON: Lesson = harness::lesson!(3);

/// How long the client waits for a reply before it sends again (SPEC: 2 s).
const REPLY_TIMEOUT: Duration = Duration::from_secs(2);
/// How many times, in all, the client sends one message before it gives up (SPEC: 3).
const TRIES: u32 = 3;

/// Replies `reply 1`, `reply 2`, ... to each datagram except STOP, which gets no reply.
/// Like the lesson 4 server, the replies have no newline.
fn numbered_replies() -> impl FnMut(&Datagram) -> Answer + Send + 'static {
    let mut count = 0;
    move |datagram| {
        if String::from_utf8_lossy(&datagram.bytes).trim() == "STOP" {
            return Answer::Silence;
        }
        count += 1;
        Answer::Reply(format!("reply {count}").into_bytes())
    }
}

/// Runs the client against `server` with `typed` as its whole input.
fn run_client(server: &FakeUdpServer, typed: &str, within: Duration) -> Finished {
    let address = server.address().to_string();
    harness::run_to_end(&LESSON, &[&address], typed.as_bytes(), within)
}

/// The bytes of each datagram, for comparing with what the test expects.
fn payloads(datagrams: &[Datagram]) -> Vec<&[u8]> {
    datagrams.iter().map(|d| d.bytes.as_slice()).collect()
}

/// The client names the server's address, `The UDP server is <ip>:<port>`, before its first
/// prompt (other lines of its own may come before it).
#[test]
fn prints_the_server_address() {
    let server = FakeUdpServer::start(numbered_replies());
    let run = run_client(&server, "", STEP);
    let expected = format!("The UDP server is {}", server.address());
    if !run.stdout().lines().any(|line| line == expected) {
        LESSON.fail(
            Problem {
                check: "the client says which server it talks to".into(),
                did: format!(
                    "ran your client with {} and typed nothing",
                    server.address()
                ),
                expected: format!("a line {}", shown(expected.as_bytes())),
                got: match run.seen.stdout.is_empty() {
                    false => format!("the output {}", shown(&run.seen.stdout)),
                    true => format!("no output; your client {}", run.ending(STEP)),
                },
                hint: "after connecting the socket, print the address it is aimed at: \
                       netkit::print_line(&format!(\"The UDP server is {address}\"))?."
                    .into(),
                section: "The server's address".into(),
            },
            &run.seen,
        );
    }
}

/// The prompt `>> ` is printed, and flushed, before the client waits for input.
#[test]
fn prints_the_prompt_before_waiting_for_input() {
    let server = FakeUdpServer::start(numbered_replies());
    common::check_prompt_before_input(&LESSON, server.address(), "The prompt");
}

/// Each typed line travels as exactly one datagram: the text and one `\n` (also for an
/// empty line, and for a line typed with a Windows `\r\n` ending).
#[test]
fn sends_each_line_as_one_datagram_with_one_newline() {
    let server = FakeUdpServer::start(numbered_replies());
    let typed = "hello\n\ntwo words\r\nSTOP\n";
    let run = run_client(&server, typed, STEP);
    let received = server.wait_received(STEP, |datagrams| datagrams.len() >= 4);
    let expected: [&[u8]; 4] = [b"hello\n", b"\n", b"two words\n", b"STOP\n"];
    if payloads(&received) != expected {
        LESSON.fail(
            Problem {
                check: "each line is sent as one datagram ending in exactly one newline".into(),
                did: format!("typed {}", shown(typed.as_bytes())),
                expected:
                    "the four datagrams [\"hello\\n\", \"\\n\", \"two words\\n\", \"STOP\\n\"]"
                        .into(),
                got: format!("the datagrams {}", shown_datagrams(&received)),
                hint: "one socket.send() per line, with the text and one \\n: \
                       format!(\"{message}\\n\"). netkit::read_line has already removed the \
                       line ending you typed (\\n or \\r\\n)."
                    .into(),
                section: "TODO(2): one line, one datagram".into(),
            },
            &run.seen,
        );
    }
}

/// Every reply is printed as `Reply: <text>`, in order: a reply without a newline as it is,
/// a trailing `\r\n` or `\n` removed, bytes that are not UTF-8 as `�`.
#[test]
fn prints_each_reply_after_reply_prefix() {
    let mut replies = vec![b"42".to_vec(), b"hi\r\n".to_vec(), b"caf\xe9\n".to_vec()].into_iter();
    let server = FakeUdpServer::start(move |_| match replies.next() {
        Some(reply) => Answer::Reply(reply),
        None => Answer::Silence,
    });
    let run = run_client(&server, "one\ntwo\nthree\nSTOP\n", STEP);
    let stdout = run.stdout();
    let expected = ["Reply: 42\n", "Reply: hi\n", "Reply: caf\u{fffd}\n"];
    let positions: Vec<Option<usize>> = expected.iter().map(|line| stdout.find(line)).collect();
    let in_order = positions.iter().all(Option::is_some) && positions.is_sorted();
    if !in_order || run.code() != Some(0) {
        LESSON.fail(
            Problem {
                check: "each reply is printed as `Reply: <text>`".into(),
                did: "typed \"one\", \"two\", \"three\"; the server answered \"42\" (no newline), \
                      \"hi\\r\\n\", then \"caf\\xe9\\n\" (not UTF-8)"
                    .into(),
                expected: "the lines \"Reply: 42\", \"Reply: hi\", \"Reply: caf�\" in this order, \
                           then exit status 0 after STOP"
                    .into(),
                got: format!(
                    "the output {} and {}",
                    shown(&run.seen.stdout),
                    run.ending(STEP)
                ),
                hint: "take only the bytes recv() says it received (&buffer[..size]), remove \
                       one trailing \\n and a \\r before it, turn them into text with \
                       String::from_utf8_lossy, and print println!(\"Reply: {text}\")."
                    .into(),
                section: "Printing the reply".into(),
            },
            &run.seen,
        );
    }
}

/// A datagram lost on the way is sent again after the timeout, with the same bytes, and
/// the reply to the second try is printed.
#[test]
fn sends_a_lost_message_again() {
    let mut hellos = 0;
    let server = FakeUdpServer::start(move |datagram| {
        if datagram.bytes != b"hello\n" {
            return Answer::Silence;
        }
        hellos += 1;
        match hellos {
            1 => Answer::Silence, // the first one is "lost"
            _ => Answer::Reply(b"42".to_vec()),
        }
    });
    let meter = LoadMeter::start();
    // One timeout, and room for a slow machine: only a wrong program takes that long.
    let within = REPLY_TIMEOUT + STEP * 2;
    let run = run_client(&server, "hello\nSTOP\n", within);
    // The client may exit before the test's server thread has recorded its last datagram.
    let received = server.wait_received(STEP, |datagrams| datagrams.len() >= 3);
    let expected: [&[u8]; 3] = [b"hello\n", b"hello\n", b"STOP\n"];
    let wait = match received.as_slice() {
        [first, second, ..] => Some(second.at.duration_since(first.at)),
        _ => None,
    };
    let spacing = Window::around(REPLY_TIMEOUT, &meter);
    let waited_right = wait.is_some_and(|wait| spacing.contains(wait));
    if !run.stdout().contains("Reply: 42\n") || payloads(&received) != expected || !waited_right {
        LESSON.fail(
            Problem {
                check: "a message whose datagram was lost is sent again, after the timeout".into(),
                did: "typed \"hello\" then \"STOP\"; the server ignored the first \"hello\\n\" \
                      (as if it was lost) and answered \"42\" to the second"
                    .into(),
                expected: format!(
                    "after {} s without a reply the same datagram again, then \"Reply: 42\"; \
                     the server receives [\"hello\\n\", \"hello\\n\", \"STOP\\n\"]",
                    REPLY_TIMEOUT.as_secs()
                ),
                got: format!(
                    "the server received {}{}; your client printed {} and {}{}",
                    shown_datagrams(&received),
                    match wait {
                        Some(wait) =>
                            format!(", the second {:.1} s after the first", wait.as_secs_f64()),
                        None => String::new(),
                    },
                    shown(&run.seen.stdout),
                    run.ending(within),
                    meter.busy_note()
                ),
                hint: "recv() waits forever unless the socket has a read timeout \
                       (set_read_timeout, TODO(3)). When it times out, send the same line \
                       again, up to 3 tries in all (TODO(4))."
                    .into(),
                section: "TODO(4): asking again".into(),
            },
            &run.seen,
        );
    }
}

/// A message that never gets an answer is sent 3 times, 2 s apart; then the client says
/// `no reply from <ip>:<port> after 3 tries` on stderr, prompts again and goes on working.
#[test]
fn gives_up_after_three_tries_and_carries_on() {
    let server = FakeUdpServer::start(|datagram| match datagram.bytes.as_slice() {
        b"lost\n" => Answer::Silence,
        _ => Answer::Reply(b"still here".to_vec()),
    });
    let address = server.address();
    let meter = LoadMeter::start();
    let mut client = Running::start(LESSON, &[&address.to_string()]);
    let _ = client.read_until(">> ", STEP);
    client.type_text(b"lost\n");
    let message = format!("no reply from {address} after {TRIES} tries");
    // A correct client gives up after 3 × 2 s. The deadline leaves room for a slow machine:
    // only a wrong program ever waits this long. The spacing is judged below.
    let budget = REPLY_TIMEOUT * TRIES + STEP * 2;
    let gave_up = client.wait_for_stderr(&message, budget);
    let gave_up_at = Instant::now();
    let received = server.wait_received(STEP, |datagrams| {
        datagrams.iter().filter(|d| d.bytes == b"lost\n").count() >= TRIES as usize
    });
    let tries: Vec<Instant> = received
        .iter()
        .filter(|d| d.bytes == b"lost\n")
        .map(|d| d.at)
        .collect();
    // The client's own spacing: from each try to the next, and from the last to giving up.
    let mut waits: Vec<Duration> = tries.windows(2).map(|w| w[1] - w[0]).collect();
    if let (Ok(_), Some(last)) = (&gave_up, tries.last()) {
        waits.push(gave_up_at.saturating_duration_since(*last));
    }
    let spacing = Window::around(REPLY_TIMEOUT, &meter);
    let spaced = waits.iter().all(|&wait| spacing.contains(wait));
    if gave_up.is_err() || tries.len() != TRIES as usize || !spaced {
        client.fail(Problem {
            check: "after 3 unanswered tries the client gives up on that message".into(),
            did: "typed \"lost\"; the server never answers it".into(),
            expected: format!(
                "\"lost\\n\" sent 3 times, a {} s wait after each ({}), then \"{message}\" on \
                 stderr",
                REPLY_TIMEOUT.as_secs(),
                spacing.describe()
            ),
            got: format!(
                "{} \"lost\\n\" datagram(s), then waits of {}; {}{}",
                tries.len(),
                seconds(&waits),
                match gave_up {
                    Ok(_) => "then the message".to_string(),
                    Err(_) => format!("no such message within {:.1} s", budget.as_secs_f64()),
                },
                meter.busy_note()
            ),
            hint: "set a read timeout of 2 s on the socket (TODO(3)); each time recv() runs \
                   into it, send the line again, 3 tries in all (TODO(4)); then print the \
                   message with eprintln! and go back to the prompt."
                .into(),
            section: "TODO(4): asking again".into(),
        });
    }
    // Giving up on one message must not end the conversation.
    let carried_on = client.read_until(">> ", STEP).is_ok()
        && {
            client.type_text(b"hello\n");
            client.read_until("Reply: still here\n", STEP).is_ok()
        }
        && {
            client.type_text(b"STOP\n");
            client.wait_for_exit(STEP).and_then(|status| status.code()) == Some(0)
        };
    if !carried_on {
        client.fail(Problem {
            check: "after giving up on one message the client goes on".into(),
            did: "after the unanswered \"lost\", typed \"hello\" (answered \"still here\") \
                  and then \"STOP\""
                .into(),
            expected: "a new prompt, \"Reply: still here\", then exit status 0".into(),
            got: "something else (see the output below)".into(),
            hint: "giving up is not an error: print the message on stderr, then continue \
                   the loop with the next prompt."
                .into(),
            section: "TODO(4): asking again".into(),
        });
    }
}

/// `STOP` is sent as one datagram `STOP\n`, then the client says `Exiting UDP client!` and
/// exits 0 at once, without waiting for a reply (the server never answers STOP).
#[test]
fn stop_is_sent_and_ends_the_client_at_once() {
    // Less than the 2 s reply timeout, counted from the moment STOP reached the server: a
    // client that waits for a reply cannot exit in time, one that does not wait exits a few
    // milliseconds after sending it, even on a busy machine.
    let no_wait = REPLY_TIMEOUT - Duration::from_millis(250);
    let meter = LoadMeter::start();
    for typed in ["STOP\n", "  STOP \t\n"] {
        let server = FakeUdpServer::start(numbered_replies());
        let mut client = Running::start(LESSON, &[&server.address().to_string()]);
        let _ = client.read_until(">> ", STEP);
        client.type_text(typed.as_bytes());
        // Time enough for a client that waits for replies to STOP (3 tries) to show it.
        let status = client.wait_for_exit(REPLY_TIMEOUT * TRIES + STEP);
        let exited_at = Instant::now();
        // Once the program has exited, its stdout closes: this returns as soon as all is read.
        let printed = client.rest_of_stdout(STEP);
        let received = server.wait_received(STEP, |datagrams| !datagrams.is_empty());
        let took = received
            .first()
            .map(|stop| exited_at.saturating_duration_since(stop.at));
        let stopped = status.and_then(|status| status.code()) == Some(0)
            && printed.contains("Exiting UDP client!\n")
            && payloads(&received) == [typed.as_bytes()]
            && took.is_some_and(|took| took < no_wait);
        if !stopped {
            client.fail(Problem {
                check: "STOP is sent, then the client ends at once".into(),
                did: format!(
                    "typed {} (the server does not answer STOP)",
                    shown(typed.as_bytes())
                ),
                expected: format!(
                    "the datagram {} sent, then \"Exiting UDP client!\" printed and exit status \
                     0 within {:.2} s, without waiting for a reply",
                    shown(typed.as_bytes()),
                    no_wait.as_secs_f64()
                ),
                got: format!(
                    "the datagrams {}; your client {}",
                    shown_datagrams(&received),
                    match (status, took) {
                        (Some(status), Some(took)) => format!(
                            "exited with {status}, {:.2} s after STOP arrived{}",
                            took.as_secs_f64(),
                            meter.busy_note()
                        ),
                        (Some(status), None) => format!("exited with {status}"),
                        (None, _) => "was still running".to_string(),
                    }
                ),
                hint: "send the line first, then check netkit::is_stop(&message) (it trims \
                       white space) before you wait for a reply: STOP never gets one."
                    .into(),
                section: "STOP and the end of the input".into(),
            });
        }
    }
}

/// At the end of the input (Ctrl-D, or the end of a piped file) the client exits 0 and
/// sends nothing more.
#[test]
fn end_of_input_ends_the_client_cleanly() {
    let server = FakeUdpServer::start(numbered_replies());
    let run = run_client(&server, "hello\n", STEP);
    let problem = Problem {
        check: "the end of the input ends the client with status 0".into(),
        did: "typed \"hello\" and then closed the input (like Ctrl-D)".into(),
        expected: "\"Reply: reply 1\", then exit status 0, and only \"hello\\n\" sent".into(),
        hint: "netkit::read_line returns Line::End when the input is over: leave the loop \
               then. Looping on instead would send empty lines forever (the Go original's bug)."
            .into(),
        section: "STOP and the end of the input".into(),
        ..Problem::default()
    };
    common::expect_exit(&LESSON, Role::Client, &run, 0, STEP, problem);
    let received = server.received();
    if payloads(&received) != [b"hello\n"] || !run.stdout().contains("Reply: reply 1\n") {
        LESSON.fail(
            Problem {
                check: "the end of the input ends the client with status 0".into(),
                did: "typed \"hello\" and then closed the input (like Ctrl-D)".into(),
                expected: "\"Reply: reply 1\" printed; the server receives only \"hello\\n\""
                    .into(),
                got: format!(
                    "the server received {}; your client printed {}",
                    shown_datagrams(&received),
                    shown(&run.seen.stdout)
                ),
                hint: "at Line::End, stop: do not send an empty line.".into(),
                section: "STOP and the end of the input".into(),
            },
            &run.seen,
        );
    }
}

/// Nothing listens on the port: the OS answers "port unreachable", and the client prints
/// one line naming the address and the cause ("connection refused"; "connection reset" on
/// Windows), and exits 1.
#[test]
fn a_closed_port_is_one_line_and_status_1() {
    let address = harness::closed_udp_port().to_string();
    common::check_refused(
        &LESSON,
        &address,
        Problem {
            check: "a port where nothing listens is one clear line and exit status 1".into(),
            did: format!(
                "ran your client with {address}, where nothing listens, and typed \"hello\""
            ),
            expected: format!(
                "one line on stderr such as \"could not talk to {address}: connection refused\", then exit status 1"
            ),
            hint: "only a connected UDP socket hears about it: connect() the socket (TODO(1)), \
                   and then recv() fails with ErrorKind::ConnectionRefused (ConnectionReset \
                   on Windows). Return that error as it is: talk_to turns it into one line, \
                   and main exits with 1."
                .into(),
            section: "When nothing listens".into(),
            ..Problem::default()
        },
    );
}

/// A host name that does not resolve is a runtime error (status 1), not a usage error.
#[test]
fn an_unknown_host_is_a_runtime_error() {
    common::check_unknown_host(
        &LESSON,
        "resolve the argument with to_socket_addrs() and turn its error into one line with \
         netkit::error_line; do not unwrap() it.",
        "The server's address",
    );
}

/// The address may be an IPv6 address in brackets or a host name; `localhost` works
/// whichever of its addresses the server listens on.
#[test]
fn talks_to_ipv6_addresses_and_host_names() {
    let mut cases = Vec::new();
    if harness::has_ipv6_loopback() {
        cases.push(("[::1]:0".to_string(), "[::1]"));
    }
    // Every address `localhost` stands for on this machine (often 127.0.0.1 and ::1). A
    // server on the second one is only reached if the client tries the next address when
    // nothing listens at the first.
    let localhost = ("localhost", 0).to_socket_addrs().into_iter().flatten();
    for address in localhost.filter(|address| UdpSocket::bind(address).is_ok()) {
        cases.push((address.to_string(), "localhost"));
    }
    for (listen, host) in cases {
        let server = FakeUdpServer::start_on(listen.as_str(), numbered_replies());
        let argument = format!("{host}:{}", server.address().port());
        let run = harness::run_to_end(&LESSON, &[&argument], b"hello\nSTOP\n", STEP);
        let announced = format!("The UDP server is {}\n", server.address());
        let stdout = run.stdout();
        if !stdout.contains(&announced)
            || !stdout.contains("Reply: reply 1\n")
            || run.code() != Some(0)
        {
            LESSON.fail(
                Problem {
                    check: "IPv6 addresses and host names work".into(),
                    did: format!(
                        "ran your client with {argument} (the server listens on {}), typed \
                         \"hello\" and \"STOP\"",
                        server.address()
                    ),
                    expected: format!(
                        "{} and \"Reply: reply 1\", then exit status 0",
                        shown(announced.as_bytes())
                    ),
                    got: format!(
                        "the output {} and {}",
                        shown(&run.seen.stdout),
                        run.ending(STEP)
                    ),
                    hint: "bind the local socket in the server's family: \"0.0.0.0:0\" for \
                           IPv4, \"[::]:0\" for IPv6. A name may resolve to several addresses: \
                           when nothing listens at one (or it cannot even be bound or \
                           connected), try the next."
                        .into(),
                    section: "The server's address".into(),
                },
                &run.seen,
            );
        }
    }
}

/// A datagram from anyone but the server is not taken for the reply: the connected socket
/// only receives from the server.
#[test]
fn ignores_datagrams_from_other_senders() {
    let server = FakeUdpServer::start(|datagram| {
        if datagram.bytes != b"hello\n" {
            return Answer::Silence;
        }
        // Another program, on another port, answers first.
        if let Ok(stranger) = UdpSocket::bind("127.0.0.1:0") {
            let _ = stranger.send_to(b"not from the server", datagram.from);
        }
        Answer::Reply(b"42".to_vec())
    });
    let run = run_client(&server, "hello\nSTOP\n", STEP);
    let stdout = run.stdout();
    if !stdout.contains("Reply: 42\n") || stdout.contains("not from the server") {
        LESSON.fail(
            Problem {
                check: "only the server's datagrams count as replies".into(),
                did: "typed \"hello\"; another socket sent \"not from the server\" to your \
                      client, then the server answered \"42\""
                    .into(),
                expected: "\"Reply: 42\", and no trace of the stranger's datagram".into(),
                got: format!("the output {}", shown(&run.seen.stdout)),
                hint: "connect() the UDP socket to the server (TODO(1)): the OS then drops \
                       datagrams from any other address. recv_from() on an unconnected \
                       socket takes datagrams from anyone."
                    .into(),
                section: "TODO(1): a socket aimed at the server".into(),
            },
            &run.seen,
        );
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

/// A reply holding control characters (a terminal's escape sequences) is printed with them
/// escaped: the server cannot retitle, clear or overwrite the learner's terminal.
#[test]
fn control_characters_in_a_reply_are_shown_escaped() {
    let server = FakeUdpServer::start(|datagram| match datagram.bytes.as_slice() {
        b"hello\n" => Answer::Reply(common::TERMINAL_ATTACK.as_bytes().to_vec()),
        _ => Answer::Silence,
    });
    let run = run_client(&server, "hello\nSTOP\n", STEP);
    let did = format!(
        "typed \"hello\"; the server answered {}",
        shown(common::TERMINAL_ATTACK.as_bytes())
    );
    if !run.stdout().lines().any(common::shows_the_attack) {
        LESSON.fail(
            Problem {
                check: "a reply with control characters is still printed".into(),
                did,
                expected: "a line \"Reply: evil...pwned...end\", its control characters escaped"
                    .into(),
                got: format!("the output {}", shown(&run.seen.stdout)),
                hint: "print every reply, through netkit::printable(&reply).".into(),
                section: "Printing the reply".into(),
            },
            &run.seen,
        );
    }
    common::check_peer_text_escaped(&LESSON, &run.seen, &did, "Printing the reply");
}

/// When nobody reads the client's output any more (`lesson3 HOST:PORT | head -1`), the client
/// ends with one error line and status 1, without a panic.
#[test]
fn a_lost_stdout_ends_the_client_with_status_1() {
    let server = FakeUdpServer::start(numbered_replies());
    common::check_client_survives_stdout_gone(
        &LESSON,
        server.address(),
        ("", "The UDP server is"),
        "hello\n",
        "The prompt",
    );
}
