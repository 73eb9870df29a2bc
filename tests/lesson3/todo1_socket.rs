//! TODO(1): the socket. It is aimed at the server: the address it prints, IPv6 and host
//! names, only the server's datagrams taken as replies, and "port unreachable" heard.

use crate::*;

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
                section: ADDRESS.into(),
            },
            &run.seen,
        );
    }
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
            let (hint, section) = sent_again(&server.received(), run.code().is_none()).unwrap_or((
                "bind the local socket in the server's family: IPv4 for an IPv4 server, \
                     IPv6 for an IPv6 one. A name may resolve to several addresses: when \
                     nothing listens at one (or it cannot even be bound or connected), try \
                     the next."
                    .to_string(),
                ADDRESS,
            ));
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
                    hint,
                    section: section.into(),
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
        let (hint, section) = if let Some(hint) = line_not_as_typed(&server.received(), b"hello\n")
        {
            (hint, DATAGRAM)
        } else if stdout.contains("not from the server") {
            (
                "connect() the UDP socket to the server (TODO(1)): the OS then drops datagrams \
                 from any other address. recv_from() on an unconnected socket takes datagrams \
                 from anyone."
                    .to_string(),
                SOCKET,
            )
        } else {
            (
                "the stranger's datagram was not printed, and the server's reply was not \
                 printed as \"Reply: 42\": a reply is the text of the bytes that arrived and \
                 of no others (TODO(4)), printed after \"Reply: \"."
                    .to_string(),
                PRINTING,
            )
        };
        LESSON.fail(
            Problem {
                check: "only the server's datagrams count as replies".into(),
                did: "typed \"hello\"; another socket sent \"not from the server\" to your \
                      client, then the server answered \"42\""
                    .into(),
                expected: "\"Reply: 42\", and no trace of the stranger's datagram".into(),
                got: format!("the output {}", shown(&run.seen.stdout)),
                hint,
                section: section.into(),
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
                   on Windows). Return that error as it is (TODO(4)): talk_to turns it into \
                   one line, and main exits with 1. A client that says \"no reply ... after 3 \
                   tries\" here took that error for a wait that ran out: only WouldBlock and \
                   TimedOut mean \"no reply yet\"."
                .into(),
            section: NOTHING_LISTENS.into(),
            ..Problem::default()
        },
    );
}
