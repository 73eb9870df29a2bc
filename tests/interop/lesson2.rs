//! # Lesson 2 against netcat
//!
//! `nc`, a client nobody in this project wrote, talks to the reference time server. Linux
//! only (it needs the netcat-openbsd package, which CI installs).
#![cfg(target_os = "linux")]

use harness::{Lesson, Problem, Running, STEP};

const LESSON: Lesson = harness::lesson!(2);

/// Lines typed into `nc` get the time back; STOP ends the server and so netcat too.
#[test]
fn answers_a_netcat_client() {
    if !harness::tool_available("nc") {
        return;
    }
    let mut server = Running::start(LESSON, &["0"]);
    let address = server.listening_address("Try it");
    let port = address.port().to_string();
    // `-N`: when its input ends, netcat shuts down its sending side, as a careful client does.
    let mut netcat = Running::start_other(LESSON, "nc", &["-N", "127.0.0.1", &port]);

    netcat.type_text(b"hello\r\n");
    let time = netcat.read_line(STEP);
    // Lines of the server's own may come between the ones SPEC.md names.
    let shown = server.read_line_matching(|line| line.starts_with("-> "), STEP);
    netcat.type_text(b"STOP\n");
    let stopped = server.read_until("Exiting TCP server!\n", STEP);
    let server_status = server.wait_for_exit(STEP);
    netcat.close_stdin();
    let netcat_status = netcat.wait_for_exit(STEP);

    let looks_like_time = time
        .as_ref()
        .is_ok_and(|time| time.len() >= 20 && time.as_bytes()[10] == b'T');
    let worked = looks_like_time
        && shown.as_deref() == Ok("-> hello")
        && stopped.is_ok()
        && server_status.and_then(|status| status.code()) == Some(0)
        && netcat_status.is_some();
    if !worked {
        server.fail(Problem {
            check: "the server answers netcat, a client it did not write".into(),
            did: "nc sent \"hello\\r\\n\", then \"STOP\\n\"".into(),
            expected: "nc prints the time; the server prints \"-> hello\", exits 0 at STOP, \
                       and nc ends"
                .into(),
            got: format!("nc printed {time:?}; the server printed {shown:?}"),
            hint: "accept \\r\\n endings; close the connection at STOP".into(),
            section: "Try it".into(),
        });
    }
}
