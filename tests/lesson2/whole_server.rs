//! The whole server: what it must survive once every TODO is done.

use harness::{Problem, Running, STEP, describe_read};

use crate::{LESSON, LISTENING, connect};

/// With nobody reading its output (`lesson2 0 | head -1`, then a client), the server goes on
/// answering without its log, and STOP still ends it with status 0: no panic.
#[test]
fn goes_on_serving_when_its_output_is_gone() {
    let mut server = Running::start_behind_head(LESSON, &["0"]);
    let address = server.listening_address(LISTENING);
    let mut peer = connect(&mut server, address);
    let problem = |got: String| Problem {
        check: "a server whose output is gone goes on serving, without a panic".into(),
        did: "ran your server with its stdout read by a program that left after the first line \
              (as `| head -1`); sent 5 lines, then STOP"
            .into(),
        expected: "a reply to each line; no reply to STOP, the connection closed, exit status 0"
            .into(),
        got,
        hint: "println! panics when stdout is gone. A server's log is a courtesy: print it with \
               netkit::log_line, which drops a line it cannot write."
            .into(),
        section: LISTENING.into(),
    };
    // Several lines, as a server's log fills up over time.
    for number in 1..=5 {
        let reply = peer
            .send(format!("line {number}\n").as_bytes())
            .and_then(|()| peer.receive_line());
        if !matches!(&reply, Ok(line) if line.ends_with(b"\n")) {
            let got = format!("to line {number}: {}", describe_read(&reply));
            server.fail(problem(got));
        }
    }
    let after_stop = peer.send(b"STOP\n").and_then(|()| peer.receive_line());
    let status = server.wait_for_exit(STEP);
    if !matches!(&after_stop, Ok(rest) if rest.is_empty())
        || status.and_then(|status| status.code()) != Some(0)
    {
        let got = format!(
            "after STOP: {}; your server {}",
            describe_read(&after_stop),
            match status {
                Some(status) => format!("exited with {status}"),
                None => "kept running".into(),
            }
        );
        server.fail(problem(got));
    }
}
