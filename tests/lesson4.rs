//! # Lesson 4 tests: the UDP random-number server
//!
//! Each test starts your server on port 0 (the OS picks a free port), reads the
//! `Listening on ...` line to learn the address, then sends datagrams from one or more UDP
//! sockets of its own ([`UdpPeer`]) and checks the replies and what your server prints.
//!
//! Run them with `cargo test -p lesson4`. The same file also checks the reference solution
//! (`cargo test -p lesson4-solution`).

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use harness::common::{self, Role, Transport};
use harness::{Lesson, Problem, Running, STEP, UdpPeer, describe_datagram, shown};

const LESSON: Lesson = harness::lesson!(4);

/// The largest datagram UDP can carry over IPv4: 65,535 bytes at most in an IP packet,
/// minus 20 for the IPv4 header and 8 for the UDP header.
const LARGEST_DATAGRAM: usize = 65_535 - 20 - 8;

/// The size to fall back on where the system refuses [`LARGEST_DATAGRAM`]: still far more
/// than the Go original's 1024-byte buffer, and below macOS's default cap of 9,216 bytes.
const FALLBACK_DATAGRAM: usize = 8 * 1024;

/// Starts the server on `127.0.0.1` with a free port; returns it and its address.
fn start_server() -> (Running, SocketAddr) {
    Running::start_server(LESSON, "0", "TODO(1): binding the socket")
}

/// A UDP socket of the test's, connected to the server under test, or fails the test.
fn peer(server: &mut Running, address: SocketAddr) -> UdpPeer {
    match UdpPeer::connect(address) {
        Ok(peer) => peer,
        Err(error) => server.fail(Problem {
            check: "the test can aim a UDP socket at your server".into(),
            did: format!("bound a UDP socket and connected it to {address}"),
            expected: "no error".into(),
            got: format!("the error {error}"),
            hint: "print the address your socket is bound to (socket.local_addr()).".into(),
            section: "TODO(1): binding the socket".into(),
        }),
    }
}

/// Whether a reply is a number from 1 to 1000 in plain decimal ASCII, and which.
fn number_in(reply: &[u8]) -> Option<u32> {
    let plain = !reply.is_empty() && reply.iter().all(u8::is_ascii_digit) && reply[0] != b'0';
    let number = std::str::from_utf8(reply).ok()?.parse::<u32>().ok()?;
    (plain && (1..=1000).contains(&number)).then_some(number)
}

/// Sends one datagram and returns the number it got back, or fails the test.
fn ask(server: &mut Running, peer: &UdpPeer, datagram: &[u8]) -> u32 {
    let reply = peer.send(datagram).and_then(|()| peer.receive());
    match reply.as_deref().ok().and_then(number_in) {
        Some(number) => number,
        None => server.fail(Problem {
            check: "every datagram gets a number from 1 to 1000 back".into(),
            did: format!("sent the datagram {}", shown(datagram)),
            expected: "one datagram back: a number from 1 to 1000 in decimal, with no newline, \
                       such as \"713\""
                .into(),
            got: describe_datagram(&reply, STEP),
            hint: "reply with socket.send_to(number.to_string().as_bytes(), client), where \
                   client is the address recv_from gave you."
                .into(),
            section: "TODO(3): the reply".into(),
        }),
    }
}

/// The first line is `Listening on <ip>:<port>` with the real port, on 127.0.0.1 for a bare
/// port number.
#[test]
fn prints_the_real_address_it_listens_on() {
    common::check_real_address_printed(
        &LESSON,
        "netkit::server_argument() turns \"0\" into \"127.0.0.1:0\"; print \
         socket.local_addr(), not the argument.",
        "TODO(1): binding the socket",
    );
}

/// A datagram gets one datagram back: a number from 1 to 1000 in decimal ASCII, with no
/// newline; the server prints `-> <text>` and `data: <the number>`.
#[test]
fn replies_with_a_number_and_prints_it() {
    let (mut server, address) = start_server();
    let peer = peer(&mut server, address);
    let number = ask(&mut server, &peer, b"hello\n");
    // The two lines in this order; lines of the server's own may come between them.
    let expected = ["-> hello".to_string(), format!("data: {number}")];
    let printed = expected
        .iter()
        .all(|want| server.read_line_matching(|line| line == want, STEP).is_ok());
    if !printed {
        server.fail(Problem {
            check: "the server prints what it received and what it sent".into(),
            did: format!("sent \"hello\\n\" and got the reply \"{number}\""),
            expected: format!("the lines \"-> hello\" and \"data: {number}\""),
            got: "other lines (see what your program printed, below)".into(),
            hint: "print \"-> \" and the datagram's text without its newline, then \
                   \"data: \" and the number you send."
                .into(),
            section: "TODO(3): the reply".into(),
        });
    }
}

/// Over many requests every number from 1 to 1000 comes back, and nothing else.
#[test]
fn replies_cover_every_number_from_1_to_1000() {
    // With a fair choice from 1 to 1000, one given number is missing from REQUESTS replies
    // with probability (999/1000)^REQUESTS = e^(-25.01) = 1.4e-11 for 25,000 replies, so
    // "some number is missing" has probability at most 1000 times that: 1.4e-8, about one
    // false failure in 70 million runs. A server that answers 0 to 999 instead sends a 0
    // (out of range) except with that same tiny probability.
    const REQUESTS: usize = 25_000;
    let (mut server, address) = start_server();
    let peer = peer(&mut server, address);
    let mut seen = vec![0u32; 1001];
    for _ in 0..REQUESTS {
        let number = ask(&mut server, &peer, b"a number, please\n");
        seen[number as usize] += 1;
    }
    let missing: Vec<usize> = (1..=1000).filter(|&n| seen[n] == 0).collect();
    if !missing.is_empty() {
        let distinct = 1000 - missing.len();
        let first: Vec<String> = missing.iter().take(10).map(usize::to_string).collect();
        server.fail(Problem {
            check: "the numbers are random, from 1 to 1000, both included".into(),
            did: format!("asked {REQUESTS} times"),
            expected: "every number from 1 to 1000 at least once (a fair choice misses one \
                       with a probability of about 1 in 70 million)"
                .into(),
            got: format!(
                "{distinct} different numbers; never {}{}",
                first.join(", "),
                if missing.len() > 10 { ", ..." } else { "" }
            ),
            hint: "draw a new number for every reply with rand::random_range(1..=1000): \
                   `..=` includes 1000, `1..1000` would not."
                .into(),
            section: "TODO(3): the reply".into(),
        });
    }
}

/// Each datagram is printed as `-> <text>`: a trailing `\n` or `\r\n` removed, bytes that
/// are not UTF-8 shown as `�`.
#[test]
fn prints_each_datagram_it_receives() {
    let (mut server, address) = start_server();
    let peer = peer(&mut server, address);
    let sent: [&[u8]; 3] = [b"hello\n", b"caf\xe9\r\n", b"no newline"];
    for datagram in sent {
        ask(&mut server, &peer, datagram);
    }
    let mut received = Vec::new();
    while received.len() < sent.len() {
        match server.read_line(STEP) {
            Ok(line) if line.starts_with("->") => received.push(line),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let expected = ["-> hello", "-> caf\u{fffd}", "-> no newline"];
    if received != expected {
        server.fail(Problem {
            check: "every datagram is printed as `-> <text>`".into(),
            did: "sent \"hello\\n\", \"caf\\xe9\\r\\n\" (not UTF-8, Windows ending) and \
                  \"no newline\""
                .into(),
            expected: "the lines \"-> hello\", \"-> caf�\" and \"-> no newline\"".into(),
            got: format!("the lines {received:?}"),
            hint: "print only the bytes received (&buffer[..size]), without one trailing \\n \
                   and a \\r before it, through String::from_utf8_lossy."
                .into(),
            section: "TODO(2): the receive loop".into(),
        });
    }
}

/// An empty datagram is a datagram like any other: printed as `-> ` and answered, and the
/// server goes on (the Go original crashed on it).
#[test]
fn answers_an_empty_datagram() {
    let (mut server, address) = start_server();
    let peer = peer(&mut server, address);
    let reply = peer.send(b"").and_then(|()| peer.receive());
    let answered = reply.as_deref().ok().and_then(number_in).is_some();
    // `-> ` and nothing after it (a server that trims its log lines shows `->`).
    let printed = server.read_line_matching(|line| line.trim_end() == "->", STEP);
    if !answered || printed.is_err() {
        server.fail(Problem {
            check: "an empty datagram is printed and answered, without a crash".into(),
            did: "sent an empty datagram (0 bytes)".into(),
            expected: "the line \"-> \" printed and a number back".into(),
            got: describe_datagram(&reply, STEP),
            hint: "recv_from returns size 0: &buffer[..0] is empty, and that is fine. \
                   size - 1 is not (the Go original's buffer[0:n-1])."
                .into(),
            section: "TODO(2): the receive loop".into(),
        });
    }
    ask(&mut server, &peer, b"still there?\n");
}

/// Whether this system carries a datagram of `size` bytes over IPv4 loopback, tried between
/// two sockets of the test's own. `Err` says what went wrong.
///
/// Not every system does for 65,507 bytes: macOS refuses to send a UDP datagram larger than
/// `net.inet.udp.maxdgram`, 9,216 bytes by default ("Message too long").
fn loopback_carries(size: usize) -> Result<(), String> {
    let receiver = UdpSocket::bind("127.0.0.1:0")
        .map_err(|error| format!("the test could not bind a UDP socket: {error}"))?;
    let to = receiver.local_addr().map_err(|error| error.to_string())?;
    let sender = UdpPeer::connect(to).map_err(|error| error.to_string())?;
    sender
        .send(&vec![b'x'; size])
        .map_err(|error| format!("sending {size} bytes failed: {error}"))?;
    receiver
        .set_read_timeout(Some(STEP))
        .map_err(|error| error.to_string())?;
    let mut buffer = vec![0u8; size + 1];
    match receiver.recv(&mut buffer) {
        Ok(received) if received == size => Ok(()),
        Ok(received) => Err(format!("{size} bytes sent, {received} received")),
        Err(error) => Err(format!("{size} bytes sent, none received: {error}")),
    }
}

/// The largest datagram UDP carries, 65,507 bytes, arrives whole: printed in full, and
/// answered. Where the system itself will not carry that many, a smaller datagram that it
/// does carry (still far over 1024 bytes) is checked instead, with a note.
#[test]
fn receives_the_largest_datagram_whole() {
    let size = match loopback_carries(LARGEST_DATAGRAM) {
        Ok(()) => LARGEST_DATAGRAM,
        Err(why) => {
            eprintln!(
                "note: this system does not carry a {LARGEST_DATAGRAM}-byte datagram over \
                 loopback ({why}); checking {FALLBACK_DATAGRAM} bytes instead"
            );
            if let Err(why) = loopback_carries(FALLBACK_DATAGRAM) {
                eprintln!("skipped: not even {FALLBACK_DATAGRAM} bytes get through ({why})");
                return;
            }
            FALLBACK_DATAGRAM
        }
    };
    let (mut server, address) = start_server();
    let peer = peer(&mut server, address);
    let largest = vec![b'x'; size];
    ask(&mut server, &peer, &largest);
    let printed = server
        .read_line_matching(|line| line.starts_with("->"), STEP)
        .unwrap_or_default();
    let shown_size = printed.strip_prefix("-> ").map(str::len);
    if shown_size != Some(size) || printed.bytes().skip(3).any(|b| b != b'x') {
        server.fail(Problem {
            check: format!("a datagram of {size} bytes is received whole"),
            did: format!("sent one datagram of {size} bytes \"x\""),
            expected: format!("the line \"-> \" and {size} times \"x\""),
            got: match shown_size {
                Some(size) => format!("a line with {size} bytes after \"-> \""),
                None => format!("the line {}", shown(printed.as_bytes())),
            },
            hint: "recv_from cuts a datagram to the size of your buffer and drops the rest \
                   without telling you. Make the buffer 64 KiB (netkit::MAX_LINE), not 1024 \
                   bytes as the Go original."
                .into(),
            section: "How big is a datagram?".into(),
        });
    }
}

/// Several clients, one after the other and then all at once: each gets its own reply, at
/// its own address.
#[test]
fn answers_each_client_at_its_own_address() {
    let (mut server, address) = start_server();
    let peers: Vec<UdpPeer> = (0..5).map(|_| peer(&mut server, address)).collect();
    let mut failure = None;
    // One after the other: each client asks and waits for its answer.
    for (number, peer) in peers.iter().enumerate() {
        let reply = peer
            .send(format!("client {number}\n").as_bytes())
            .and_then(|()| peer.receive());
        if failure.is_none() && reply.as_deref().ok().and_then(number_in).is_none() {
            failure = Some((number, "in turn", describe_datagram(&reply, STEP)));
        }
    }
    // All at once: the datagrams wait side by side in the server's socket.
    for (number, peer) in peers.iter().enumerate() {
        let _ = peer.send(format!("client {number} again\n").as_bytes());
    }
    for (number, peer) in peers.iter().enumerate() {
        let reply = peer.receive();
        if failure.is_none() && reply.as_deref().ok().and_then(number_in).is_none() {
            failure = Some((number, "all at once", describe_datagram(&reply, STEP)));
        }
    }
    if let Some((number, how, got)) = failure {
        server.fail(Problem {
            check: "every client gets its own reply".into(),
            did: "sent datagrams from 5 sockets, first one after the other (each waiting for \
                  its reply), then all at once"
                .into(),
            expected: "one number back on each socket, every time".into(),
            got: format!("socket {number}, asking {how}: {got}"),
            hint: "take the sender's address from each recv_from and send the reply there \
                   with send_to. Do not connect() the server's socket: it would then only \
                   hear from that one client."
                .into(),
            section: "TODO(3): the reply".into(),
        });
    }
}

/// A client that leaves before its reply arrives does not stop the server. (On Windows the
/// next `recv_from` reports that reply's "port unreachable" as `ConnectionReset`.)
#[test]
fn a_client_that_left_does_not_stop_the_server() {
    let (mut server, address) = start_server();
    for _ in 0..3 {
        let leaving = peer(&mut server, address);
        let _ = leaving.send(b"bye\n");
        drop(leaving);
    }
    let staying = peer(&mut server, address);
    ask(&mut server, &staying, b"hello\n");
    if !server.is_running() {
        server.fail(Problem {
            check: "clients that leave do not stop the server".into(),
            did: "3 clients sent a datagram and closed their socket at once; then another \
                  client asked"
                .into(),
            expected: "the server answers and keeps running".into(),
            got: "your server ended".into(),
            hint: "an error from send_to, or ConnectionReset from recv_from, concerns one \
                   client: print it on stderr and go on with the loop."
                .into(),
            section: "One bad datagram never stops the server".into(),
        });
    }
}

/// `STOP` gets no reply: the server prints `Exiting UDP server!` and exits 0.
#[test]
fn stop_ends_the_server_without_a_reply() {
    for stop in [&b"STOP\n"[..], b"  STOP \r\n", b"STOP"] {
        let (mut server, address) = start_server();
        let peer = peer(&mut server, address);
        ask(&mut server, &peer, b"hello\n");
        let _ = peer.send(stop);
        let status = server.wait_for_exit(STEP);
        // Any reply was sent before the server exited, so it is waiting for us already.
        let after_stop = peer.receive_within(Duration::from_millis(200));
        let printed = server.rest_of_stdout(STEP);
        let no_reply = matches!(&after_stop, Err(error) if harness::is_timeout(error));
        let stopped = no_reply
            && printed.contains("Exiting UDP server!\n")
            && status.and_then(|status| status.code()) == Some(0);
        if !stopped {
            server.fail(Problem {
                check: "STOP ends the server, without a reply".into(),
                did: format!("sent \"hello\\n\", then {}", shown(stop)),
                expected: "no reply, \"Exiting UDP server!\" printed, exit status 0".into(),
                got: format!(
                    "after STOP: {}; your server {}",
                    match &after_stop {
                        Err(error) if harness::is_timeout(error) => "no reply".to_string(),
                        other => describe_datagram(other, STEP),
                    },
                    if status.is_some() {
                        "exited"
                    } else {
                        "kept running"
                    }
                ),
                hint: "check netkit::is_stop(&text) (it trims white space) before replying, \
                       then print \"Exiting UDP server!\" and return."
                    .into(),
                section: "STOP".into(),
            });
        }
    }
}

/// `[::1]:0` listens on IPv6 loopback and prints that address.
#[test]
fn listens_on_ipv6_when_asked() {
    if !harness::has_ipv6_loopback() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let (mut server, address) =
        Running::start_server(LESSON, "[::1]:0", "TODO(1): binding the socket");
    if !address.is_ipv6() {
        server.fail(Problem {
            check: "HOST:PORT arguments bind that host".into(),
            did: "started your server with \"[::1]:0\"".into(),
            expected: "\"Listening on [::1]:<port>\"".into(),
            got: format!("the address {address}"),
            hint: "pass the address from netkit::server_argument() to UdpSocket::bind.".into(),
            section: "TODO(1): binding the socket".into(),
        });
    }
    let peer = peer(&mut server, address);
    ask(&mut server, &peer, b"hello over IPv6\n");
}

/// A port already taken by another program: one error line naming it, exit status 1.
#[test]
fn a_port_in_use_is_one_line_and_status_1() {
    common::check_port_in_use(&LESSON, Transport::Udp, "TODO(1): binding the socket");
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

/// A datagram holding control characters (a terminal's escape sequences) is printed with them
/// escaped: a client cannot retitle, clear or overwrite the terminal of the server's user.
#[test]
fn control_characters_in_a_datagram_are_shown_escaped() {
    let (mut server, address) = start_server();
    let peer = peer(&mut server, address);
    ask(&mut server, &peer, common::TERMINAL_ATTACK.as_bytes());
    let did = format!(
        "sent the datagram {}",
        shown(common::TERMINAL_ATTACK.as_bytes())
    );
    common::expect_attack_escaped(&mut server, &did, "TODO(2): the receive loop");
}

/// With nobody reading its output (`lesson4 0 | head -1`, then clients), the server goes on
/// answering without its log, and STOP still ends it with status 0: no panic.
#[test]
fn goes_on_serving_when_its_output_is_gone() {
    let mut server = Running::start_behind_head(LESSON, &["0"]);
    let address = server.listening_address("TODO(1): binding the socket");
    let peer = peer(&mut server, address);
    let problem = |got: String| Problem {
        check: "a server whose output is gone goes on serving, without a panic".into(),
        did: "ran your server with its stdout read by a program that left after the first line \
              (as `| head -1`); sent 5 datagrams, then STOP"
            .into(),
        expected: "a number back for each datagram, then exit status 0 at STOP".into(),
        got,
        hint: "println! panics when stdout is gone. A server's log is a courtesy: print it with \
               netkit::log_line, which drops a line it cannot write."
            .into(),
        section: "TODO(1): binding the socket".into(),
    };
    // Several datagrams, as a server's log fills up over time.
    for number in 1..=5 {
        let reply = peer
            .send(format!("datagram {number}\n").as_bytes())
            .and_then(|()| peer.receive());
        if reply.as_deref().ok().and_then(number_in).is_none() {
            let got = format!("to datagram {number}: {}", describe_datagram(&reply, STEP));
            server.fail(problem(got));
        }
    }
    let _ = peer.send(b"STOP\n");
    let status = server.wait_for_exit(STEP);
    if status.and_then(|status| status.code()) != Some(0) {
        let got = match status {
            Some(status) => format!("at STOP your server exited with {status}"),
            None => "your server kept running after STOP".into(),
        };
        server.fail(problem(got));
    }
}
