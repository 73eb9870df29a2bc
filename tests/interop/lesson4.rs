//! # Lesson 4 against netcat
//!
//! `nc -u`, a client nobody in this project wrote, asks the reference UDP server for
//! numbers. Linux only (it needs the netcat-openbsd package, which CI installs).
#![cfg(target_os = "linux")]

use harness::{Lesson, Problem, Running, STEP};

const LESSON: Lesson = harness::lesson!(4);

/// Each line typed into `nc -u` gets a number back; STOP ends the server.
#[test]
fn answers_a_netcat_udp_client() {
    if !harness::tool_available("nc") {
        return;
    }
    let mut server = Running::start(LESSON, &["0"]);
    let address = server.listening_address("Try it");
    let port = address.port().to_string();
    let mut netcat = Running::start_other(LESSON, "nc", &["-u", "127.0.0.1", &port]);

    netcat.type_text(b"hello\n");
    // Lines of the server's own may come between the ones SPEC.md names.
    let shown = server.read_line_matching(|line| line.starts_with("-> "), STEP);
    // The server prints the number it sends: netcat must show the same digits.
    let data = server.read_line_matching(|line| line.starts_with("data: "), STEP);
    let number = data
        .as_deref()
        .ok()
        .and_then(|line| line.strip_prefix("data: "))
        .unwrap_or("(none)")
        .to_string();
    let at_netcat = netcat.read_until(&number, STEP);
    netcat.type_text(b"STOP\n");
    let stopped = server.read_until("Exiting UDP server!\n", STEP);
    let status = server.wait_for_exit(STEP);

    let in_range = number.parse::<u32>().is_ok_and(|n| (1..=1000).contains(&n));
    let worked = shown.as_deref() == Ok("-> hello")
        && in_range
        && at_netcat.is_ok()
        && stopped.is_ok()
        && status.and_then(|status| status.code()) == Some(0);
    if !worked {
        server.fail(Problem {
            check: "the server answers netcat, a UDP client it did not write".into(),
            did: "nc -u sent \"hello\\n\", then \"STOP\\n\"".into(),
            expected: "the server prints \"-> hello\" and \"data: N\", nc shows N, STOP ends \
                       the server with status 0"
                .into(),
            got: format!("the server printed {shown:?} and {data:?}"),
            hint: "reply to the address recv_from returned".into(),
            section: "Try it".into(),
        });
    }
}
