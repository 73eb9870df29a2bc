//! TODO(1): the conversation loop. Lines go out one at a time, each reply is printed before
//! the next prompt, nothing the server sent is lost, and STOP or the end of the input ends
//! the client with status 0. Until TODO(2) to TODO(4) are done, these tests stop at their
//! `todo!()`s: that is your next step, not a fault of TODO(1).

use std::time::Duration;

use harness::common::{self, Role};
use harness::predicates::prelude::*;
use harness::{Answer, FakeServer, Problem, Running, STEP, Waited, shown};

use crate::{
    CONVERSATION, LESSON, REPLY, SENDING, numbered_replies, run_client, scripted_replies,
    sending_mistake,
};

/// A slow typist: the client waits for each line, and each reply comes before the next
/// prompt (checked interactively, one line at a time).
#[test]
fn answers_each_line_before_the_next_prompt() {
    let server = FakeServer::start(numbered_replies());
    let mut client = Running::start(LESSON, &[&server.address().to_string()]);
    let mut typed_so_far = String::new();
    for (typed, reply) in [("first", "->: reply 1\n"), ("second", "->: reply 2\n")] {
        let _ = client.read_until(">> ", STEP);
        client.type_text(format!("{typed}\n").as_bytes());
        typed_so_far.push_str(&format!("{typed}\n"));
        if let Err(waited) = client.read_until(reply, STEP) {
            let got = match waited {
                Waited::TimedOut => format!("nothing within {} s", STEP.as_secs()),
                Waited::Ended => "your client ended".into(),
            };
            let received = server.received();
            let (hint, section) = match sending_mistake(&received) {
                Some((hint, section)) => (hint, section),
                None if received.is_empty() => (
                    format!(
                        "the server has not received one whole line: a line ends with \\n, \
                         and until it comes the server waits for the rest of it. Send the \
                         text of {typed:?} and then one \\n, on the one connection made \
                         before the loop."
                    ),
                    SENDING,
                ),
                None if !received.ends_with(typed_so_far.as_bytes()) => (
                    format!(
                        "the server received only {}: your line {typed:?} never reached the \
                         connection it accepted. Connect once, before the loop, and send every \
                         line on that one connection, as soon as it is typed.",
                        shown(&received)
                    ),
                    CONVERSATION,
                ),
                None => (
                    "the line reached the server and it replied: read one reply line, print \
                     it after \"->: \", and only then prompt again."
                        .to_string(),
                    CONVERSATION,
                ),
            };
            client.fail(Problem {
                check: "each reply is printed before the next prompt".into(),
                did: format!("typed {typed:?} and waited"),
                expected: format!("the line {}", shown(reply.as_bytes())),
                got,
                hint,
                section: section.into(),
            });
        }
    }
    client.close_stdin();
    let ended = client.wait_for_exit(Duration::from_secs(3));
    if ended.and_then(|status| status.code()) != Some(0) {
        client.fail(Problem {
            check: "the end of the input ends the client with status 0".into(),
            did: "closed the input after two lines".into(),
            expected: "exit status 0".into(),
            got: "your client did not exit with 0 in time".into(),
            hint: "when prompt returns None, the input is over: leave the loop and return \
                   Ok(())."
                .into(),
            section: CONVERSATION.into(),
        });
    }
}

/// A reply holding control characters (a terminal's escape sequences) is printed with them
/// escaped: the server cannot retitle, clear or overwrite the learner's terminal.
#[test]
fn control_characters_in_a_reply_are_shown_escaped() {
    let attack = format!("{}\n", common::TERMINAL_ATTACK).into_bytes();
    let server = FakeServer::start(scripted_replies(vec![attack.clone()]));
    let run = run_client(&server, "hello\nSTOP\n");
    let did = format!("typed \"hello\"; the server answered {}", shown(&attack));
    if !run.stdout().lines().any(common::shows_the_attack) {
        LESSON.fail(
            Problem {
                check: "a reply with control characters is still printed".into(),
                did,
                expected: "a line \"->: evil...pwned...end\", its control characters escaped"
                    .into(),
                got: format!("the output {}", shown(&run.seen.stdout)),
                hint: "print every reply, through netkit::printable(&reply).".into(),
                section: CONVERSATION.into(),
            },
            &run.seen,
        );
    }
    common::check_peer_text_escaped(&LESSON, &run.seen, &did, CONVERSATION);
}

/// At the end of the input (Ctrl-D, or the end of a piped file) the client exits 0 and
/// sends nothing more.
#[test]
fn end_of_input_ends_the_client_cleanly() {
    let server = FakeServer::start(numbered_replies());
    let run = run_client(&server, "hello\n");
    let did = "typed \"hello\" and then closed the input (like Ctrl-D)";
    let received = server.received();
    if let Some((hint, section)) = sending_mistake(&received) {
        LESSON.fail(
            Problem {
                check: "each line is sent with exactly one newline".into(),
                did: did.into(),
                expected: format!("the server receives {}", shown(b"hello\n")),
                got: format!("the server received {}", shown(&received)),
                hint,
                section: section.into(),
            },
            &run.seen,
        );
    }
    let problem = Problem {
        check: "the end of the input ends the client with status 0".into(),
        did: did.into(),
        expected: "one reply printed, then exit status 0".into(),
        hint: "when prompt returns None, the input is over: leave the loop and return Ok(()). \
               Looping on instead would send empty lines forever (the Go original's bug)."
            .into(),
        section: CONVERSATION.into(),
        ..Problem::default()
    };
    common::expect_exit(&LESSON, Role::Client, &run, 0, STEP, problem);
    let received = server.received();
    if received != b"hello\n" {
        LESSON.fail(
            Problem {
                check: "nothing more is sent after the input ends".into(),
                did: did.into(),
                expected: format!("the server receives only {}", shown(b"hello\n")),
                got: format!("the server received {}", shown(&received)),
                hint: "when prompt returns None, stop: do not send an empty line.".into(),
                section: CONVERSATION.into(),
            },
            &run.seen,
        );
    }
}

/// Two replies that arrive together are both kept: the second answers the second message.
#[test]
fn keeps_a_reply_that_arrived_early() {
    let mut turn = 0;
    let server = FakeServer::start(move |_| {
        turn += 1;
        match turn {
            // Both replies in one write: they arrive in the same packet.
            1 => Answer::Reply(b"first\nsecond\n".to_vec()),
            _ => Answer::Silence,
        }
    });
    let run = run_client(&server, "one\ntwo\nSTOP\n");
    let stdout = run.stdout();
    if !stdout.contains("->: first\n") || !stdout.contains("->: second\n") {
        LESSON.fail(
            Problem {
                check: "bytes read ahead are kept for the next reply".into(),
                did: "typed \"one\", \"two\"; the server sent \"first\\nsecond\\n\" at once".into(),
                expected: "\"->: first\" for the first message and \"->: second\" for the second"
                    .into(),
                got: format!(
                    "the output {} and {}",
                    shown(&run.seen.stdout),
                    run.ending(STEP)
                ),
                hint: "\"second\" arrived with \"first\" and was lost: the reader that took \
                       both in was thrown away. Make the BufReader once, before the loop, and \
                       read every reply through it (a new one each turn was the Go original's \
                       bug)."
                    .into(),
                section: CONVERSATION.into(),
            },
            &run.seen,
        );
    }
}

/// Every reply is printed as `->: <reply>`, in order, without its newline.
#[test]
fn prints_each_reply_after_an_arrow() {
    let server = FakeServer::start(numbered_replies());
    let run = run_client(&server, "one\ntwo\nSTOP\n");
    // Each reply once: other lines of the program's own may come between them.
    let expected = predicate::str::contains("->: reply 1\n")
        .count(1)
        .and(predicate::str::contains("->: reply 2\n").count(1));
    let stdout = run.stdout();
    let in_order = stdout.find("->: reply 1") < stdout.find("->: reply 2");
    if !expected.eval(&stdout) || !in_order {
        let (hint, section) = if stdout.contains("->: reply 1\n\n") {
            (
                "the reply's own \\n was printed too: return the text of the reply without \
                 its line ending (netkit::read_line removes it), and print it as one line."
                    .to_string(),
                REPLY,
            )
        } else {
            (
                "print each reply as one line: \"->: \" and the reply's text, once, in the \
                 order the replies came."
                    .to_string(),
                CONVERSATION,
            )
        };
        LESSON.fail(
            Problem {
                check: "each reply is printed as `->: <reply>`".into(),
                did: "typed \"one\" and \"two\"; the server answered \"reply 1\\n\" and \"reply 2\\n\"".into(),
                expected: "the lines \"->: reply 1\" and then \"->: reply 2\"".into(),
                got: format!("the output {}", shown(stdout.as_bytes())),
                hint,
                section: section.into(),
            },
            &run.seen,
        );
    }
}

/// `STOP` is sent, then the client says goodbye and exits 0 without waiting for a reply
/// (the server never answers STOP).
#[test]
fn stop_is_sent_and_ends_the_client_without_waiting() {
    for typed in ["STOP\n", "  STOP \t\n"] {
        let server = FakeServer::start(numbered_replies());
        let run = run_client(&server, typed);
        let did = format!(
            "typed {} (the server does not answer STOP)",
            shown(typed.as_bytes())
        );
        let received = server.wait_received(STEP, |bytes| bytes.ends_with(b"\n"));
        if let Some((hint, section)) = sending_mistake(&received) {
            LESSON.fail(
                Problem {
                    check: "each line is sent with exactly one newline".into(),
                    did,
                    expected: format!("the server receives {}", shown(typed.as_bytes())),
                    got: format!("the server received {}", shown(&received)),
                    hint,
                    section: section.into(),
                },
                &run.seen,
            );
        }
        let problem = || Problem {
            check: "STOP ends the client at once".into(),
            did: did.clone(),
            expected:
                "\"TCP client exiting...\" printed and exit status 0, without waiting for a reply"
                    .into(),
            hint: "after sending the line, check netkit::is_stop(&message) (it trims white \
                   space) before you wait for a reply."
                .into(),
            section: CONVERSATION.into(),
            ..Problem::default()
        };
        common::expect_exit(&LESSON, Role::Client, &run, 0, STEP, problem());
        if !run.stdout().contains("TCP client exiting...\n") {
            let got = format!("the output {}", shown(&run.seen.stdout));
            LESSON.fail(
                Problem {
                    got,
                    hint: "print the goodbye, \"TCP client exiting...\", when STOP ends the \
                           conversation."
                        .into(),
                    ..problem()
                },
                &run.seen,
            );
        }
        if received != typed.as_bytes() {
            let hint = if received.is_empty() {
                "your client ended without sending STOP: send the line first, like any \
                 other, and only then end, so that the server knows to stop too."
            } else {
                "send the STOP line as it was typed, once, before the client ends."
            };
            LESSON.fail(
                Problem {
                    expected: "the STOP line reaches the server before the client exits".into(),
                    got: format!("the server received {}", shown(&received)),
                    hint: hint.into(),
                    ..problem()
                },
                &run.seen,
            );
        }
    }
}
