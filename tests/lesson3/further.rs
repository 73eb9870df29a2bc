//! "Going further": the chapter's extension exercises. These tests are off by default, as
//! the lesson's program does not do this yet; run them with
//! `cargo test -p lesson3 -- --ignored` once you have tried an exercise.

use crate::*;

/// Exercise 1: a reply left over from an earlier question is thrown away. The server answers
/// one question twice (as when both tries were answered in the end); the second answer must
/// not be printed as the reply to the next question.
#[test]
#[ignore = "Going further: run with `cargo test -p lesson3 -- --ignored`"]
fn further_late_replies_are_thrown_away() {
    // The test plays the server itself, to send the two answers before the next question.
    let server = UdpSocket::bind("127.0.0.1:0").expect("the test could bind a UDP socket");
    server
        .set_read_timeout(Some(STEP))
        .expect("the test could set a read timeout");
    let address = server.local_addr().expect("a bound socket has an address");
    let mut client = Running::start(LESSON, &[&address.to_string()]);
    let did = "typed \"one\"; the server answered it twice, \"a\" then \"b\"; then typed \"two\", \
               which the server answered \"c\"";
    let mut buffer = [0u8; 1024];
    let mut question = |client: &mut Running, typed: &[u8]| {
        client.type_text(typed);
        match server.recv_from(&mut buffer) {
            Ok((size, from)) if buffer[..size] == *typed => from,
            received => client.fail(Problem {
                check: "each line is sent, once, before anything is thrown away".into(),
                did: did.into(),
                expected: format!("the datagram {}", shown(typed)),
                got: match received {
                    Ok((size, _)) => format!("the datagram {}", shown(&buffer[..size])),
                    Err(error) => format!("no datagram within {} s ({error})", STEP.as_secs()),
                },
                hint: "throw away only what was waiting before you send: the line itself \
                       must still go out, once."
                    .into(),
                section: FURTHER.into(),
            }),
        }
    };
    let _ = client.read_until(">> ", STEP);
    let from = question(&mut client, b"one\n");
    // Both answers are queued at the client before it is told anything more.
    let _ = server.send_to(b"a", from);
    let _ = server.send_to(b"b", from);
    let first = client.read_until(">> ", STEP).unwrap_or_default();
    let from = question(&mut client, b"two\n");
    let _ = server.send_to(b"c", from);
    let second = client.read_until(">> ", STEP).unwrap_or_default();
    if !first.contains("Reply: a\n") || !second.contains("Reply: c\n") {
        client.fail(Problem {
            check: "a late reply is not taken for the answer to the next question".into(),
            did: did.into(),
            expected: "\"Reply: a\" for \"one\", then \"Reply: c\" for \"two\"".into(),
            got: format!(
                "{} for \"one\", then {} for \"two\"",
                shown(first.as_bytes()),
                shown(second.as_bytes())
            ),
            hint: "before ask sends, take every datagram already waiting in the socket and \
                   throw it away, without waiting for more: set_nonblocking(true), recv until \
                   WouldBlock, then set_nonblocking(false)."
                .into(),
            section: FURTHER.into(),
        });
    }
}

/// Exercise 2: a reply that needed more than one try is followed, on stderr, by
/// `(answered on try 2 of 3)`.
#[test]
#[ignore = "Going further: run with `cargo test -p lesson3 -- --ignored`"]
fn further_says_which_try_was_answered() {
    let mut hellos = 0;
    let server = FakeUdpServer::start(move |datagram| {
        if datagram.bytes != b"hello\n" {
            return Answer::Silence;
        }
        hellos += 1;
        match hellos {
            1 => Answer::Silence, // the first one is "lost"
            _ => Answer::Reply(b"42".to_vec()),
        }
    });
    let within = REPLY_TIMEOUT + STEP * 2;
    let run = run_client(&server, "hello\nSTOP\n", within);
    if !run.stdout().contains("Reply: 42\n") || !run.stderr().contains("answered on try 2 of 3") {
        LESSON.fail(
            Problem {
                check: "a reply that needed a second try says so".into(),
                did: "typed \"hello\"; the server ignored the first try and answered \"42\" to \
                      the second"
                    .into(),
                expected: "\"Reply: 42\" on stdout and \"(answered on try 2 of 3)\" on stderr"
                    .into(),
                got: format!(
                    "the output {} and the errors {}; your client {}",
                    shown(&run.seen.stdout),
                    shown(&run.seen.stderr),
                    run.ending(within)
                ),
                hint: "ask knows which try got the reply: return it along with the reply, or \
                       say it there, and print it with eprintln! only when it is not the first."
                    .into(),
                section: FURTHER.into(),
            },
            &run.seen,
        );
    }
}
