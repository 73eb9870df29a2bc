//! # Lesson 5 tests: the concurrent TCP server
//!
//! Each test starts your server on port 0, reads the `Listening on ...` line to learn the
//! address, then plays several clients at once: some polite, some silent, some rude. The
//! replies tell the test how many clients your server believes are connected.
//!
//! Run them with `cargo test -p lesson5`. The same file also checks the reference solution
//! (`cargo test -p lesson5-solution`).

use std::net::SocketAddr;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

use harness::common::{self, Role, Transport};
use harness::{Lesson, Peer, Problem, Running, STEP, describe_read, shown};

const LESSON: Lesson = harness::lesson!(5);

// Book sections the reports point to (headings of book/src/lesson5.md).
const LISTENING: &str = "Listening";
const ARGUMENTS: &str = "Arguments and exit codes";
const COUNT: &str = "TODO(1): count the client";
const THREADS: &str = "TODO(2): a thread per client";
const UNCOUNT: &str = "TODO(3): uncount it when the connection ends";
const LINES: &str = "Reading lines and replying";
const STOP: &str = "STOP";
const TOO_LONG: &str = "Lines that are too long";

/// What the test sends when all it wants is the count.
const QUESTION: &[u8] = b"how many?\n";

/// The hint for a line that got no reply: the two usual causes.
const NO_REPLY_HINT: &str = "end every reply with \\n: the client reads up to it. If earlier \
                             clients were answered and this one was not, your server is still \
                             busy with them: serve each client in a thread of its own.";

/// Starts the server on `127.0.0.1` with a free port; returns it and its address.
fn start_server() -> (Running, SocketAddr) {
    Running::start_server(LESSON, "0", LISTENING)
}

/// Connects to the server under test, or fails the test with its output.
fn connect(server: &mut Running, address: SocketAddr) -> Peer {
    common::connect(
        server,
        address,
        "the server accepts every client",
        "keep the TcpListener alive and call accept() on it in a loop; a server that has \
         exited refuses connections.",
        THREADS,
    )
}

/// A line the test sent, for a report: long lines by their size only.
fn described(line: &[u8]) -> String {
    if line.len() > 80 {
        format!("a line of {} bytes", line.len())
    } else {
        shown(line)
    }
}

/// Sends `line` and returns the reply line, `\n` included, or fails the test.
fn ask(server: &mut Running, peer: &mut Peer, line: &[u8], section: &str) -> Vec<u8> {
    let reply = peer.send(line).and_then(|()| peer.receive_line());
    match reply {
        Ok(reply) if reply.ends_with(b"\n") => reply,
        other => server.fail(Problem {
            check: "every line gets one reply line".into(),
            did: format!("sent {}", described(line)),
            expected: "the number of clients connected and \\n, like \"1\\n\"".into(),
            got: describe_read(&other),
            hint: NO_REPLY_HINT.into(),
            section: section.into(),
        }),
    }
}

/// The reply as a count: decimal digits and `\n` (a `\r` before it is tolerated).
fn parse_count(reply: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(reply).ok()?;
    text.trim_end_matches('\n')
        .trim_end_matches('\r')
        .parse()
        .ok()
}

/// Asks for the count, or fails the test if the reply is not a number.
fn ask_count(server: &mut Running, peer: &mut Peer, section: &str) -> usize {
    let reply = ask(server, peer, QUESTION, section);
    match parse_count(&reply) {
        Some(count) => count,
        None => server.fail(Problem {
            check: "the reply is the number of clients connected".into(),
            did: format!("sent {}", shown(QUESTION)),
            expected: "a whole number in decimal digits and \\n, like \"2\\n\"".into(),
            got: shown(&reply),
            hint: "write format!(\"{}\\n\", count): the number, then exactly one \\n.".into(),
            section: LINES.into(),
        }),
    }
}

/// Asks once and fails unless the reply is `expected`.
fn expect_count(server: &mut Running, peer: &mut Peer, expected: usize, did: &str) {
    let count = ask_count(server, peer, THREADS);
    if count != expected {
        server.fail(Problem {
            check: "each client is counted from the moment it is accepted".into(),
            did: did.into(),
            expected: format!("the reply \"{expected}\\n\""),
            got: format!("the reply \"{count}\\n\""),
            hint: "add one in ConnectionGuard::new, in the accept loop, before the client's \
                   thread starts; reply with the count read now, not with fetch_add's old \
                   value or a copy taken earlier."
                .into(),
            section: COUNT.into(),
        });
    }
}

/// Asks again and again (each question is a round trip, no sleeping) until the reply is
/// `expected`, for at most [`STEP`]. For counts that go down: a correct server uncounts a
/// client a moment after its connection ends, never before the test sees it end.
fn wait_for_count(server: &mut Running, peer: &mut Peer, expected: usize, did: &str) {
    let deadline = Instant::now() + STEP;
    let mut last = ask_count(server, peer, UNCOUNT);
    while last != expected && Instant::now() < deadline {
        last = ask_count(server, peer, UNCOUNT);
    }
    if last != expected {
        server.fail(Problem {
            check: "a client is uncounted when its connection ends, however it ends".into(),
            did: did.into(),
            expected: format!("the reply \"{expected}\\n\" within {} s", STEP.as_secs()),
            got: format!("the reply \"{last}\\n\", again and again"),
            hint: "subtract one in `impl Drop for ConnectionGuard`: the guard is dropped when \
                   the client's thread ends, whether by STOP, end of stream, error or a line \
                   too long. A subtraction at the end of the loop is skipped by `?` and \
                   `return`."
                .into(),
            section: UNCOUNT.into(),
        });
    }
}

/// The first line is `Listening on <ip>:<port>` with the real port, on 127.0.0.1 for a bare
/// port number.
#[test]
fn prints_the_real_address_it_listens_on() {
    common::check_real_address_printed(
        &LESSON,
        "print listener.local_addr(), not the argument.",
        LISTENING,
    );
}

/// Three clients join one after the other: they are told 1, 2 and 3, and the first one, asked
/// again, is told 3 too.
#[test]
fn counts_each_client_that_joins() {
    let (mut server, address) = start_server();
    let mut first = connect(&mut server, address);
    expect_count(&mut server, &mut first, 1, "connected one client and asked");
    let mut second = connect(&mut server, address);
    expect_count(
        &mut server,
        &mut second,
        2,
        "kept the first client connected, connected a second one and asked",
    );
    let mut third = connect(&mut server, address);
    expect_count(
        &mut server,
        &mut third,
        3,
        "kept two clients connected, connected a third one and asked",
    );
    expect_count(
        &mut server,
        &mut first,
        3,
        "with three clients connected, asked again from the first one",
    );
}

/// Every line received is printed on the server's screen.
#[test]
fn prints_each_line_it_receives() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    ask(&mut server, &mut peer, b"hello from the test\r\n", LINES);
    if let Err(waited) = server.read_until("hello from the test", STEP) {
        server.fail(Problem {
            check: "every received line is printed".into(),
            did: "sent \"hello from the test\\r\\n\" and read the reply".into(),
            expected: "the line's text on your server's standard output, like \
                       \"-> hello from the test\""
                .into(),
            got: format!("no such output ({waited:?})"),
            hint: "println!(\"-> {text}\") for each line netkit::read_line returns.".into(),
            section: LINES.into(),
        });
    }
}

/// A client that closes its connection (end of stream) is no longer counted.
#[test]
fn the_count_goes_down_when_a_client_closes() {
    let (mut server, address) = start_server();
    let mut stayer = connect(&mut server, address);
    expect_count(
        &mut server,
        &mut stayer,
        1,
        "connected one client and asked",
    );
    let mut leaver = connect(&mut server, address);
    expect_count(
        &mut server,
        &mut leaver,
        2,
        "connected a second client and asked",
    );
    drop(leaver);
    wait_for_count(
        &mut server,
        &mut stayer,
        1,
        "closed the second client's connection, then asked from the first one",
    );
}

/// A client whose connection is reset (it vanished with a reply still unread) is no longer
/// counted either: the server's read fails with an error instead of the end of the stream.
#[test]
fn the_count_goes_down_when_a_connection_is_reset() {
    let (mut server, address) = start_server();
    let mut stayer = connect(&mut server, address);
    expect_count(
        &mut server,
        &mut stayer,
        1,
        "connected one client and asked",
    );
    let mut rude = connect(&mut server, address);
    // Wait for the reply without reading it: closing a socket with unread bytes makes the
    // OS send a reset (RST) instead of a normal end of stream.
    let mut first_byte = [0u8; 1];
    let replied = rude
        .send(QUESTION)
        .and_then(|()| rude.stream().peek(&mut first_byte));
    if !matches!(replied, Ok(1)) {
        server.fail(Problem {
            check: "every line gets one reply line".into(),
            did: format!("from a second client, sent {}", shown(QUESTION)),
            expected: "a reply".into(),
            got: format!("{replied:?}"),
            hint: NO_REPLY_HINT.into(),
            section: THREADS.into(),
        });
    }
    drop(rude);
    wait_for_count(
        &mut server,
        &mut stayer,
        1,
        "a second client asked, then vanished without reading the reply (its connection \
         was reset); then the first client asked",
    );
}

/// STOP closes only the connection that sent it, without a reply: the server keeps running,
/// uncounts that client and answers the others.
#[test]
fn stop_closes_only_that_connection() {
    let (mut server, address) = start_server();
    let mut stayer = connect(&mut server, address);
    expect_count(
        &mut server,
        &mut stayer,
        1,
        "connected one client and asked",
    );
    for stop in [&b"STOP\n"[..], b"  STOP \r\n"] {
        let mut stopper = connect(&mut server, address);
        expect_count(
            &mut server,
            &mut stopper,
            2,
            "connected a second client and asked",
        );
        let after_stop = stopper.send(stop).and_then(|()| stopper.receive_line());
        if !matches!(&after_stop, Ok(rest) if rest.is_empty()) {
            server.fail(Problem {
                check: "STOP closes that connection, without a reply".into(),
                did: format!("from the second client, sent {}", shown(stop)),
                expected: "no reply, and the connection closed".into(),
                got: describe_read(&after_stop),
                hint: "check netkit::is_stop(&text) (it trims white space) before replying, \
                       and return from this client's loop."
                    .into(),
                section: STOP.into(),
            });
        }
        let did = format!(
            "the second client sent {} and was disconnected; then the first client asked",
            shown(stop)
        );
        let reply = stayer.send(QUESTION).and_then(|()| stayer.receive_line());
        if !matches!(&reply, Ok(line) if line.ends_with(b"\n")) {
            server.fail(Problem {
                check: "STOP ends one client's connection, not the server".into(),
                did,
                expected: "a reply to the first client: the server keeps running".into(),
                got: describe_read(&reply),
                hint: "on STOP, return from the client's thread; never exit the process.".into(),
                section: STOP.into(),
            });
        }
        wait_for_count(&mut server, &mut stayer, 1, &did);
    }
}

/// A client that sends nothing, and one that sends half a line and waits, do not hold up
/// anybody else.
#[test]
fn a_silent_client_does_not_block_others() {
    let (mut server, address) = start_server();
    let _silent = connect(&mut server, address);
    let mut halfway = connect(&mut server, address);
    // A failed send shows up in the asks below, with the server's output.
    let _ = halfway.send(b"half a li");
    let mut polite = connect(&mut server, address);
    expect_count(
        &mut server,
        &mut polite,
        3,
        "connected a client that sends nothing, one that sent \"half a li\" without a \
         newline, then a third one that asked",
    );
    // The rest of the half line: one line in two pieces gets one reply, the current count.
    let reply = ask(&mut server, &mut halfway, b"ne\n", LINES);
    if parse_count(&reply) != Some(3) {
        server.fail(Problem {
            check: "the reply is the count right now, for every line".into(),
            did: "sent \"half a li\", then, after another client was answered, \"ne\\n\"".into(),
            expected: "the reply \"3\\n\": three clients are connected".into(),
            got: shown(&reply),
            hint: "read the shared count when you reply (guard.count()), not a copy taken \
                   when the client connected."
                .into(),
            section: COUNT.into(),
        });
    }
}

/// 200 clients, each sending 10 lines at the same time as the others: every line is answered
/// with a count from 1 to 200. When they have all left, a new client is told 1.
#[test]
fn many_clients_at_once_are_all_answered() {
    const CLIENTS: usize = 200;
    const LINES_EACH: usize = 10;
    // A listening socket queues at most 128 connections that the program has not accepted
    // yet (Rust's standard library asks for that many), and the system drops connection
    // requests beyond that. So the clients connect in waves of 50; one question at the end
    // of each wave shows that the server has caught up.
    const WAVE: usize = 50;
    let (mut server, address) = start_server();
    let mut peers = Vec::with_capacity(CLIENTS);
    while peers.len() < CLIENTS {
        for _ in 0..WAVE {
            peers.push(connect(&mut server, address));
        }
        if let Some(last) = peers.last_mut() {
            ask(&mut server, last, QUESTION, THREADS);
        }
    }

    // All clients start talking at once, each in a thread of the test.
    let start = Arc::new(Barrier::new(CLIENTS));
    let talkers: Vec<_> = peers
        .into_iter()
        .enumerate()
        .map(|(number, mut peer)| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                let mut replies = Vec::with_capacity(LINES_EACH);
                for line in 0..LINES_EACH {
                    let message = format!("line {line} from client {number}\n");
                    let reply = peer
                        .send(message.as_bytes())
                        .and_then(|()| peer.receive_line());
                    match reply {
                        Ok(bytes) if bytes.ends_with(b"\n") => replies.push(bytes),
                        other => return Err(format!("{message:?}: {}", describe_read(&other))),
                    }
                }
                Ok(replies)
            })
        })
        .collect();

    let mut unanswered = Vec::new();
    let mut wrong_counts = Vec::new();
    for talker in talkers {
        match talker.join() {
            Ok(Ok(replies)) => wrong_counts.extend(
                replies
                    .into_iter()
                    .filter(|reply| !parse_count(reply).is_some_and(|n| (1..=CLIENTS).contains(&n)))
                    .map(|reply| shown(&reply)),
            ),
            Ok(Err(problem)) => unanswered.push(problem),
            Err(_) => unanswered.push("the test's client thread panicked".into()),
        }
    }
    if !unanswered.is_empty() || !wrong_counts.is_empty() {
        let (section, got, hint) = if unanswered.is_empty() {
            let first: Vec<_> = wrong_counts.iter().take(5).cloned().collect();
            (
                COUNT,
                format!(
                    "{} wrong replies, the first: {}",
                    wrong_counts.len(),
                    first.join(", ")
                ),
                "the count must be exact under any interleaving: use one Arc<AtomicUsize> \
                 and fetch_add / fetch_sub, never a load followed by a store.",
            )
        } else {
            (
                THREADS,
                format!(
                    "{} clients not answered, the first: {}",
                    unanswered.len(),
                    unanswered[0]
                ),
                NO_REPLY_HINT,
            )
        };
        server.fail(Problem {
            check: "many clients talking at once are all answered, with a true count".into(),
            did: format!(
                "connected {CLIENTS} clients, then each sent {LINES_EACH} lines at the same \
                 time as the others"
            ),
            expected: format!("every line answered with a count from 1 to {CLIENTS}"),
            got,
            hint: hint.into(),
            section: section.into(),
        });
    }

    let mut newcomer = connect(&mut server, address);
    wait_for_count(
        &mut server,
        &mut newcomer,
        1,
        &format!("after all {CLIENTS} clients had closed their connections, a new client asked"),
    );
}

/// Several lines sent in one write are all answered, in order.
#[test]
fn lines_that_arrive_together_are_all_answered() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    // A failed send shows up as a failed read just below, with the server's output.
    let _ = peer.send(b"one\ntwo\nthree\n");
    for number in 1..=3 {
        let reply = peer.receive_line();
        if !matches!(&reply, Ok(line) if line == b"1\n") {
            server.fail(Problem {
                check: "lines that arrive in one packet are all answered".into(),
                did: "as the only client, sent \"one\\ntwo\\nthree\\n\" in a single write".into(),
                expected: "three replies \"1\\n\"".into(),
                got: format!("reply {number}: {}", describe_read(&reply)),
                hint: "create the BufReader once per connection, before the loop: a new reader \
                       per line loses what the old one had read ahead (the Go original's bug)."
                    .into(),
                section: LINES.into(),
            });
        }
    }
}

/// A line of exactly 64 KiB is answered; one longer gets `ERROR line too long`, and only that
/// client is disconnected and uncounted: the others are still answered.
#[test]
fn a_line_over_64_kib_closes_only_that_client() {
    let (mut server, address) = start_server();
    let mut other = connect(&mut server, address);
    expect_count(&mut server, &mut other, 1, "connected one client and asked");
    let mut flooder = connect(&mut server, address);
    let mut longest = vec![b'x'; netkit::MAX_LINE];
    longest.push(b'\n');
    ask(&mut server, &mut flooder, &longest, TOO_LONG);

    // A megabyte without a newline: the server may stop reading part way.
    let sending = flooder.send_in_background(vec![b'y'; 1 << 20]);
    let reply = flooder.receive_line();
    // The reply is a line: `\n`, or `\r\n` (SPEC.md accepts both endings).
    let refused = matches!(&reply, Ok(line) if line.strip_suffix(b"\n").map(|l| l.strip_suffix(b"\r").unwrap_or(l)) == Some(b"ERROR line too long"));
    // Only a server that refused the line is worth waiting for; a wrong one fails fast.
    let closed = if refused {
        flooder.receive_to_end()
    } else {
        Ok(b"(not checked)".to_vec())
    };
    let _ = sending.join();
    if !refused || !matches!(&closed, Ok(rest) if rest.is_empty()) {
        server.fail(Problem {
            check: "a line over 64 KiB is refused and that connection closed".into(),
            did: "sent a line of exactly 64 KiB (answered), then 1 MiB without a newline".into(),
            expected: "the reply \"ERROR line too long\\n\", then the connection closed".into(),
            got: format!("{}, then {}", describe_read(&reply), describe_read(&closed)),
            hint: "netkit::read_line returns Line::TooLong: answer with \
                   netkit::send_and_close(client, \"ERROR line too long\\n\") and return."
                .into(),
            section: TOO_LONG.into(),
        });
    }
    drop(flooder);
    wait_for_count(
        &mut server,
        &mut other,
        1,
        "a second client was disconnected for a line over 64 KiB; then the first client asked",
    );
}

/// A port already taken by another program: one error line naming it, exit status 1.
#[test]
fn a_port_in_use_is_one_line_and_status_1() {
    common::check_port_in_use(&LESSON, Transport::Tcp, LISTENING);
}

/// A missing, extra or malformed argument prints a usage line and exits 2.
#[test]
fn bad_arguments_print_usage_and_exit_2() {
    common::check_usage_errors(
        &LESSON,
        Role::Server,
        &common::BAD_SERVER_ARGUMENTS,
        ARGUMENTS,
    );
}

/// A line holding control characters (a terminal's escape sequences) is printed with them
/// escaped: no client can retitle, clear or overwrite the terminal of the server's user.
#[test]
fn control_characters_in_a_line_are_shown_escaped() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    let line = format!("{}\n", common::TERMINAL_ATTACK);
    ask(&mut server, &mut peer, line.as_bytes(), LINES);
    let did = format!("sent the line {}", shown(line.as_bytes()));
    common::expect_attack_escaped(&mut server, &did, LINES);
}

/// With nobody reading its output (`lesson5 0 | head -1`, then clients), the server goes on
/// answering without its log, with a true count, and no client thread panics.
#[test]
fn goes_on_serving_when_its_output_is_gone() {
    let mut server = Running::start_behind_head(LESSON, &["0"]);
    let address = server.listening_address(LISTENING);
    let problem = |got: String| Problem {
        check: "a server whose output is gone goes on serving, without a panic".into(),
        did: "ran your server with its stdout read by a program that left after the first line \
              (as `| head -1`); connected two clients and asked 5 times from each"
            .into(),
        expected: "every question answered with the count, \"2\\n\"".into(),
        got,
        hint: "println! panics when stdout is gone, here in each client's thread. A server's \
               log is a courtesy: print it with netkit::log_line, which drops a line it cannot \
               write."
            .into(),
        section: LISTENING.into(),
    };
    let mut first = connect(&mut server, address);
    let mut second = connect(&mut server, address);
    // Several questions, as a server's log fills up over time.
    for turn in 1..=5 {
        for peer in [&mut first, &mut second] {
            let reply = peer.send(QUESTION).and_then(|()| peer.receive_line());
            match &reply {
                Ok(line) if parse_count(line) == Some(2) => {}
                _ => server.fail(problem(format!(
                    "question {turn}: {}",
                    describe_read(&reply)
                ))),
            }
        }
    }
    let stderr = server.stderr();
    if stderr.contains("panicked") {
        server.fail(problem("a panic on stderr (see below)".into()));
    }
}

/// How much more address space than it needs at rest the server gets in the test below:
/// room for a few threads (Rust gives each one 2 MiB of stack).
const ROOM_FOR_THREADS_KIB: u64 = 16 * 1024;
/// The test below gives up provoking a refusal after this many clients.
const MOST_CLIENTS: usize = 300;

/// The address space a running program uses, in KiB, from Linux's `/proc/<pid>/status`.
fn address_space_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmSize:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Messages of Rust's standard library when it aborts a program that ran out of memory: the
/// signal stack of a new thread, or any allocation. No program can catch these.
const RUNTIME_ABORTS: [&str; 2] = [
    "failed to allocate an alternative stack",
    "memory allocation of",
];

/// A client whose thread cannot start (no room left for another thread) is refused: its
/// connection is closed at once, not left hanging, it is not counted, and the server goes on.
/// Linux only: the server runs under an address-space limit (`ulimit -v`) a little above what
/// it needs at rest, so that only a few threads fit.
#[test]
fn a_client_whose_thread_cannot_start_is_refused() {
    if !cfg!(target_os = "linux") {
        eprintln!("skipped: only Linux lets the test limit a program's memory this way");
        return;
    }
    let resting = {
        let (server, _) = start_server();
        address_space_kib(server.id())
    };
    let Some(resting) = resting else {
        eprintln!("skipped: could not read the server's size from /proc");
        return;
    };
    let limit = resting + ROOM_FOR_THREADS_KIB;
    // glibc gives each new thread a memory arena with 64 MiB of address space; one arena for
    // all keeps the number of threads that fit under the limit predictable.
    let script = format!("ulimit -v {limit} || exit 97; export MALLOC_ARENA_MAX=1; exec \"$0\" 0");
    let mut server = Running::start_other(LESSON, "sh", &["-c", &script, LESSON.program]);
    let address = server.listening_address(LISTENING);
    let did = format!(
        "ran your server with `ulimit -v {limit}` (its size at rest, {resting} KiB, plus room \
         for a few threads), then connected clients one by one, each asking once and staying"
    );
    let mut held: Vec<Peer> = Vec::new();
    let mut refusal = None;
    while held.len() < MOST_CLIENTS && refusal.is_none() {
        let mut peer = connect(&mut server, address);
        let reply = peer.send(QUESTION).and_then(|()| peer.receive_line());
        match reply {
            Ok(line) if line.ends_with(b"\n") => {
                let expected = held.len() + 1;
                if parse_count(&line) != Some(expected) {
                    server.fail(Problem {
                        check: "the count stays exact when the server runs out of room".into(),
                        did: did.clone(),
                        expected: format!("client {expected} is told \"{expected}\\n\""),
                        got: shown(&line),
                        hint: "count in ConnectionGuard::new and uncount in its Drop.".into(),
                        section: COUNT.into(),
                    });
                }
                held.push(peer);
            }
            other => refusal = Some(other),
        }
    }
    let Some(refusal) = refusal else {
        eprintln!(
            "skipped: {MOST_CLIENTS} clients fit under the limit (your threads need little \
             room), so no thread failed to start"
        );
        return;
    };
    let stderr = server.stderr();
    if !server.is_running() && RUNTIME_ABORTS.iter().any(|text| stderr.contains(text)) {
        eprintln!(
            "skipped: at the limit, Rust's standard library aborted the server itself \
             (it does when memory runs out while a thread starts); no program can prevent that"
        );
        return;
    }
    let refused_cleanly = match &refusal {
        Ok(rest) => rest.is_empty(),
        Err(error) => !harness::is_timeout(error),
    };
    let refused = held.len() + 1;
    let went_on = |server: &mut Running, got: String| -> ! {
        server.fail(Problem {
            check: "a client whose thread cannot start is refused, and the server goes on".into(),
            did: format!("{did}; client {refused} could not get a thread"),
            expected: "that client's connection closed at once (no reply), while the server \
                       goes on serving the others"
                .into(),
            got,
            hint: "thread::spawn panics when it cannot start a thread; \
                   thread::Builder::new().spawn(...) returns the error instead. Print it and \
                   go on: the closure, dropped unrun, closes the connection and uncounts it."
                .into(),
            section: THREADS.into(),
        })
    };
    if !refused_cleanly || !server.is_running() {
        let got = format!("for client {refused}: {}", describe_read(&refusal));
        went_on(&mut server, got);
    }
    // The refused client is not counted: the clients that stayed are told how many they are.
    if let Some(first) = held.first_mut() {
        let reply = first.send(QUESTION).and_then(|()| first.receive_line());
        match reply.as_deref().ok().map(parse_count) {
            Some(Some(count)) if count == held.len() => {}
            Some(Some(count)) => server.fail(Problem {
                check: "a refused client is not counted".into(),
                did: format!("{did}; after client {refused} was refused, the first client asked"),
                expected: format!("the reply \"{}\\n\"", held.len()),
                got: format!("the reply \"{count}\\n\""),
                hint: "count the client in ConnectionGuard::new and uncount it in Drop: when \
                       Builder::spawn fails, it drops the closure, and with it the guard."
                    .into(),
                section: COUNT.into(),
            }),
            _ => {
                let got = format!("the first client, asking again: {}", describe_read(&reply));
                went_on(&mut server, got);
            }
        }
    }
    // And when they leave, a newcomer is told 1: nobody was left counted. Their threads end a
    // moment after their connections close, so the first newcomers may be refused too.
    held.truncate(0);
    let deadline = Instant::now() + STEP;
    while Instant::now() < deadline {
        let mut newcomer = match Peer::connect(address) {
            Ok(newcomer) => newcomer,
            Err(error) => went_on(
                &mut server,
                format!("a new client could not connect: {error}"),
            ),
        };
        let reply = newcomer
            .send(QUESTION)
            .and_then(|()| newcomer.receive_line());
        match reply.as_deref().ok().and_then(parse_count) {
            Some(1) => return,
            Some(_) => {
                let did =
                    format!("{did}; after the refusal all clients left, then a new client asked");
                wait_for_count(&mut server, &mut newcomer, 1, &did);
                return;
            }
            None => continue,
        }
    }
    server.fail(Problem {
        check: "a server that refused a client serves again once there is room".into(),
        did: format!("{did}; after client {refused} was refused, all clients left"),
        expected: format!(
            "a new client is served within {} s, and told \"1\\n\"",
            STEP.as_secs()
        ),
        got: "every new client refused".into(),
        hint: "a refused client must not leave anything behind: the closure that \
               Builder::spawn drops unrun closes its connection and uncounts it."
            .into(),
        section: THREADS.into(),
    });
}
