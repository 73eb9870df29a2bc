//! The whole server: a lost stdout.

use crate::*;

/// With nobody reading its output (`lesson4 0 | head -1`, then clients), the server goes on
/// answering without its log, and STOP still ends it with status 0: no panic.
#[test]
fn goes_on_serving_when_its_output_is_gone() {
    let mut server = Running::start_behind_head(LESSON, &["0"]);
    let address = server.listening_address(BINDING);
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
        section: BINDING.into(),
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
