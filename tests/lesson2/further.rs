//! "Going further": the chapter's extension exercises. These tests are off by default, as
//! the lesson's program does not do this yet; run them with
//! `cargo test -p lesson2 -- --ignored` once you have tried an exercise.

use harness::{Problem, STEP, shown};

use crate::{FURTHER, ask, connect, line_text, start_server};

/// Exercise 1: the line `/unix` is answered with the Unix time, the number of whole seconds
/// since 1970-01-01T00:00:00Z (`1795857300`); any other line still gets the local time.
#[test]
#[ignore = "Going further: run with `cargo test -p lesson2 -- --ignored`"]
fn further_unix_command_answers_with_seconds_since_1970() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    let before = chrono::Utc::now().timestamp();
    let reply = ask(&mut server, &mut peer, b"/unix\n");
    let after = chrono::Utc::now().timestamp();
    let seconds: Option<i64> = line_text(&reply).parse().ok();
    if !seconds.is_some_and(|seconds| (before..=after + 1).contains(&seconds)) {
        server.fail(Problem {
            check: "/unix is answered with the Unix time".into(),
            did: "sent \"/unix\\n\"".into(),
            expected: format!("a line with a number from {before} to {after}, and \\n"),
            got: shown(&reply),
            hint: "chrono's DateTime has a method for the seconds since 1970 (so does \
                   std::time::SystemTime, through UNIX_EPOCH). Compare the trimmed line with \
                   \"/unix\" before choosing the reply."
                .into(),
            section: FURTHER.into(),
        });
    }
    let reply = ask(&mut server, &mut peer, b"/unix please\n");
    if line_text(&reply).parse::<i64>().is_ok() {
        server.fail(Problem {
            check: "only the line /unix gets the Unix time".into(),
            did: "sent \"/unix please\\n\"".into(),
            expected: "the local time in RFC 3339, as for any other line".into(),
            got: shown(&reply),
            hint: "compare the whole trimmed line with \"/unix\", not its start.".into(),
            section: FURTHER.into(),
        });
    }
}

/// Exercise 2: when the conversation ends, by STOP or by the client leaving, the server
/// logs how many lines it answered: `lines answered: 2`.
#[test]
#[ignore = "Going further: run with `cargo test -p lesson2 -- --ignored`"]
fn further_the_end_tells_how_many_lines_were_answered() {
    for stop in [true, false] {
        let (mut server, address) = start_server();
        let mut peer = connect(&mut server, address);
        ask(&mut server, &mut peer, b"one\n");
        ask(&mut server, &mut peer, b"two\n");
        let how = if stop {
            let _ = peer.send(b"STOP\n");
            "then STOP"
        } else {
            drop(peer);
            "then left without STOP"
        };
        let status = server.wait_for_exit(STEP);
        let printed = server.rest_of_stdout(STEP);
        if !printed.contains("lines answered: 2\n") {
            server.fail(Problem {
                check: "the end of the conversation tells how many lines were answered".into(),
                did: format!("sent \"one\" and \"two\" (both answered), {how}"),
                expected: "the line \"lines answered: 2\" in the server's output".into(),
                got: format!(
                    "the output {}; your server {}",
                    shown(printed.as_bytes()),
                    if status.is_some() {
                        "ended"
                    } else {
                        "kept running"
                    }
                ),
                hint: "a counter made before the loop, one more after each reply; log it on \
                       every way out of the loop (the too-long one too)."
                    .into(),
                section: FURTHER.into(),
            });
        }
    }
}
