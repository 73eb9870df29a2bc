//! "Going further": the chapter's extension exercises. These tests are off by default, as
//! the lesson's program does not do this yet; run them with
//! `cargo test -p lesson1 -- --ignored` once you have tried an exercise.

use std::time::{Duration, Instant};

use harness::{FakeServer, Problem, STEP, shown};

use crate::{FURTHER, LESSON, numbered_replies};

/// Exercise 1: a line that is empty, or only white space, is not sent (the server would
/// answer it for nothing); the client prompts again.
#[test]
#[ignore = "Going further: run with `cargo test -p lesson1 -- --ignored`"]
fn further_empty_lines_are_not_sent() {
    let server = FakeServer::start(numbered_replies());
    let address = server.address().to_string();
    let run = harness::run_to_end(&LESSON, &[&address], b"\nhello\n  \t \nSTOP\n", STEP);
    let received = server.wait_received(STEP, |bytes| bytes.ends_with(b"STOP\n"));
    if received != b"hello\nSTOP\n" || !run.stdout().contains("->: reply 1\n") {
        LESSON.fail(
            Problem {
                check: "empty lines are not sent".into(),
                did: "typed an empty line, \"hello\", a line of spaces and a tab, then \"STOP\""
                    .into(),
                expected: format!(
                    "the server receives {} and the client prints \"->: reply 1\"",
                    shown(b"hello\nSTOP\n")
                ),
                got: format!(
                    "the server received {}, the client printed {}",
                    shown(&received),
                    shown(&run.seen.stdout)
                ),
                hint: "in the loop, a line whose trim() is empty goes straight back to the \
                       prompt: `continue`."
                    .into(),
                section: FURTHER.into(),
            },
            &run.seen,
        );
    }
}

/// Exercise 2: a server that says nothing for 2 seconds ends the conversation: one line on
/// stderr, `no reply from <address> within 2 s`, and status 1.
#[test]
#[ignore = "Going further: run with `cargo test -p lesson1 -- --ignored`"]
fn further_a_silent_server_is_given_up_after_2_seconds() {
    let server = FakeServer::start(|_| harness::Answer::Silence);
    let address = server.address().to_string();
    let started = Instant::now();
    // Two seconds of silence, and a margin for a busy machine.
    let run = harness::run_to_end(
        &LESSON,
        &[&address],
        b"hello\n",
        STEP + Duration::from_secs(2),
    );
    let waited = started.elapsed();
    let stderr = run.stderr();
    let expected_line = format!("no reply from {address} within 2 s");
    if run.code() != Some(1)
        || !stderr.contains(&expected_line)
        || waited < Duration::from_millis(1900)
    {
        LESSON.fail(
            Problem {
                check: "a silent server is given up after 2 seconds".into(),
                did: format!("typed \"hello\" to a server that never replies; waited {waited:?}"),
                expected: format!("\"{expected_line}\" on stderr after 2 s, exit status 1"),
                got: format!(
                    "stderr {} and {}",
                    shown(&run.seen.stderr),
                    run.ending(STEP)
                ),
                hint: "set a read timeout on the stream once, after connecting; a read that \
                       times out returns an error of kind WouldBlock or TimedOut (it depends on \
                       the system): turn those two into your line."
                    .into(),
                section: FURTHER.into(),
            },
            &run.seen,
        );
    }
}
