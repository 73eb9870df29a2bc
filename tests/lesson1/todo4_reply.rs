//! TODO(4): reading the reply. A reply is one line, whatever bytes it holds; a server that
//! hangs up instead of replying ends the client with an error.

use harness::common::{self, Role};
use harness::{Answer, FakeServer, Problem, STEP, shown};

use crate::{LESSON, REPLY, run_client, scripted_replies};

/// If the server closes the connection instead of replying, the client says so on stderr
/// and exits 1.
#[test]
fn a_server_that_hangs_up_ends_the_client_with_status_1() {
    let server = FakeServer::start(|_| Answer::Hangup);
    let run = run_client(&server, "hello\nagain\n");
    let problem = Problem {
        check: "a closed connection is reported, not ignored".into(),
        did: "typed \"hello\"; the server closed the connection without replying".into(),
        expected: "\"server closed the connection\" on stderr and exit status 1".into(),
        hint: "reading 0 bytes (Line::End) means the server closed the connection: it is not \
               an empty reply. Return Err(\"server closed the connection\")."
            .into(),
        section: REPLY.into(),
        ..Problem::default()
    };
    if !run.stderr().contains("server closed the connection") {
        let got = format!("stderr {}", shown(&run.seen.stderr));
        LESSON.fail(Problem { got, ..problem }, &run.seen);
    }
    common::expect_exit(&LESSON, Role::Client, &run, 1, STEP, problem);
}

/// A reply ending in `\r\n`, or holding bytes that are not UTF-8, is printed without a
/// crash (the bad bytes as `�`).
#[test]
fn odd_replies_are_printed_without_crashing() {
    let server = FakeServer::start(scripted_replies(vec![
        b"hi\r\n".to_vec(),
        b"caf\xe9\n".to_vec(),
    ]));
    let run = run_client(&server, "one\ntwo\nSTOP\n");
    let stdout = run.stdout();
    if !stdout.contains("->: hi\n")
        || !stdout.contains("->: caf\u{fffd}\n")
        || run.code() != Some(0)
    {
        LESSON.fail(
            Problem {
                check: "replies with \\r\\n or bytes that are not UTF-8 are shown, no crash".into(),
                did: "the server answered \"hi\\r\\n\", then \"caf\\xe9\\n\" (not UTF-8)".into(),
                expected: "\"->: hi\" and \"->: caf�\", then exit status 0 after STOP".into(),
                got: format!(
                    "the output {} and {}",
                    shown(&run.seen.stdout),
                    run.ending(STEP)
                ),
                hint: "netkit::read_line strips \\r\\n and turns bad bytes into �. \
                       String::from_utf8(...).unwrap() would panic here."
                    .into(),
                section: REPLY.into(),
            },
            &run.seen,
        );
    }
}
