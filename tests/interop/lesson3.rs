//! # Lesson 3 against netcat
//!
//! The reference UDP client talks to `nc -u -l`, a server nobody in this project wrote.
//! Linux only (it needs the netcat-openbsd package, which CI installs).
#![cfg(target_os = "linux")]

use harness::{Lesson, Problem, Running, STEP};

const LESSON: Lesson = harness::lesson!(3);

/// `nc -u -l` prints each datagram; what we type into `nc` goes back as the reply.
#[test]
fn talks_to_a_netcat_udp_server() {
    if !harness::tool_available("nc") {
        return;
    }
    let (mut netcat, port) = harness::start_netcat_listener(LESSON, true);
    let mut client = Running::start(LESSON, &[&format!("127.0.0.1:{port}")]);

    client.type_text(b"hello\n");
    let at_netcat = netcat.read_line(STEP);
    // netcat sends what we type as one datagram, newline included.
    netcat.type_text(b"42\n");
    let reply = client.read_until("Reply: 42\n", STEP);
    client.type_text(b"STOP\n");
    let stop_at_netcat = netcat.read_line(STEP);
    let goodbye = client.read_until("Exiting UDP client!\n", STEP);
    let status = client.wait_for_exit(STEP);

    let worked = at_netcat.as_deref() == Ok("hello")
        && reply.is_ok()
        && stop_at_netcat.as_deref() == Ok("STOP")
        && goodbye.is_ok()
        && status.and_then(|status| status.code()) == Some(0);
    if !worked {
        client.fail(Problem {
            check: "the client talks to netcat, a UDP server it did not write".into(),
            did: format!("nc -u -l on port {port}; typed hello, answered 42 from nc, typed STOP"),
            expected:
                "nc shows \"hello\" then \"STOP\"; the client prints \"Reply: 42\" and exits 0"
                    .into(),
            got: format!("nc showed {at_netcat:?} then {stop_at_netcat:?}"),
            hint: "one line, one datagram, with exactly one \\n".into(),
            section: "Try it".into(),
        });
    }
}
