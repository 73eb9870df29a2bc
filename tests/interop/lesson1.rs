//! # Lesson 1 against netcat
//!
//! The reference client talks to `nc -l`, a server nobody in this project wrote: what it
//! sends must be exactly what a plain TCP peer expects. Linux only (it needs the
//! netcat-openbsd package, which CI installs).
#![cfg(target_os = "linux")]

use harness::{Lesson, Problem, Running, STEP};

const LESSON: Lesson = harness::lesson!(1);

/// `nc -l` prints what our client sends, and what we type into `nc` is the reply.
#[test]
fn talks_to_a_netcat_server() {
    if !harness::tool_available("nc") {
        return;
    }
    let (mut netcat, port) = harness::start_netcat_listener(LESSON, false);
    let mut client = Running::start(LESSON, &[&format!("127.0.0.1:{port}")]);

    client.type_text(b"hello\n");
    let at_netcat = netcat.read_line(STEP);
    netcat.type_text(b"world\n");
    let reply = client.read_until("->: world\n", STEP);
    client.type_text(b"STOP\n");
    let stop_at_netcat = netcat.read_line(STEP);
    let goodbye = client.read_until("TCP client exiting...\n", STEP);
    let status = client.wait_for_exit(STEP);

    let worked = at_netcat.as_deref() == Ok("hello")
        && reply.is_ok()
        && stop_at_netcat.as_deref() == Ok("STOP")
        && goodbye.is_ok()
        && status.and_then(|status| status.code()) == Some(0);
    if !worked {
        client.fail(Problem {
            check: "the client talks to netcat, a server it did not write".into(),
            did: format!("nc -l on port {port}; typed hello, answered world from nc, typed STOP"),
            expected:
                "nc shows \"hello\" then \"STOP\"; the client prints \"->: world\" and exits 0"
                    .into(),
            got: format!("nc showed {at_netcat:?} then {stop_at_netcat:?}"),
            hint: "send each line with exactly one \\n".into(),
            section: "Try it".into(),
        });
    }
}
