//! TODO(2): the receive loop. Every datagram is printed and answered at its sender's address,
//! whatever it holds and however big; STOP ends the server; no client can stop it otherwise.

use crate::*;

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
            section: LOOP.into(),
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
            section: LOOP.into(),
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
            section: HOW_BIG.into(),
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
            section: REPLY.into(),
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
            section: BAD_DATAGRAM.into(),
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
                section: STOP.into(),
            });
        }
    }
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
    common::expect_attack_escaped(&mut server, &did, LOOP);
}
