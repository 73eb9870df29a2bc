//! TODO(4): the wait for a reply, and what is printed. A reply is printed as
//! `Reply: <text>`; a lost one does not make the client wait for ever.

use crate::*;

/// Every reply is printed as `Reply: <text>`, in order: a reply without a newline as it is,
/// a trailing `\r\n` or `\n` removed, bytes that are not UTF-8 as `�`.
#[test]
fn prints_each_reply_after_reply_prefix() {
    let mut replies = vec![b"42".to_vec(), b"hi\r\n".to_vec(), b"caf\xe9\n".to_vec()].into_iter();
    let server = FakeUdpServer::start(move |_| match replies.next() {
        Some(reply) => Answer::Reply(reply),
        None => Answer::Silence,
    });
    let run = run_client(&server, "one\ntwo\nthree\nSTOP\n", STEP);
    let stdout = run.stdout();
    let expected = ["Reply: 42\n", "Reply: hi\n", "Reply: caf\u{fffd}\n"];
    let positions: Vec<Option<usize>> = expected.iter().map(|line| stdout.find(line)).collect();
    let in_order = positions.iter().all(Option::is_some) && positions.is_sorted();
    if !in_order || run.code() != Some(0) {
        LESSON.fail(
            Problem {
                check: "each reply is printed as `Reply: <text>`".into(),
                did: "typed \"one\", \"two\", \"three\"; the server answered \"42\" (no newline), \
                      \"hi\\r\\n\", then \"caf\\xe9\\n\" (not UTF-8)"
                    .into(),
                expected: "the lines \"Reply: 42\", \"Reply: hi\", \"Reply: caf�\" in this order, \
                           then exit status 0 after STOP"
                    .into(),
                got: format!(
                    "the output {} and {}",
                    shown(&run.seen.stdout),
                    run.ending(STEP)
                ),
                hint: "a reply is reply_text() of the bytes that recv() says arrived, \
                       &buffer[..size], and of no others: the rest of the buffer holds nothing \
                       of this datagram (TODO(4)). talk_to prints it after \"Reply: \"."
                    .into(),
                section: PRINTING.into(),
            },
            &run.seen,
        );
    }
}

/// A reply holding control characters (a terminal's escape sequences) is printed with them
/// escaped: the server cannot retitle, clear or overwrite the learner's terminal.
#[test]
fn control_characters_in_a_reply_are_shown_escaped() {
    let server = FakeUdpServer::start(|datagram| match datagram.bytes.as_slice() {
        b"hello\n" => Answer::Reply(common::TERMINAL_ATTACK.as_bytes().to_vec()),
        _ => Answer::Silence,
    });
    let run = run_client(&server, "hello\nSTOP\n", STEP);
    let did = format!(
        "typed \"hello\"; the server answered {}",
        shown(common::TERMINAL_ATTACK.as_bytes())
    );
    if !run.stdout().lines().any(common::shows_the_attack) {
        LESSON.fail(
            Problem {
                check: "a reply with control characters is still printed".into(),
                did,
                expected: "a line \"Reply: evil...pwned...end\", its control characters escaped"
                    .into(),
                got: format!("the output {}", shown(&run.seen.stdout)),
                hint: "print every reply, through netkit::printable(&reply).".into(),
                section: PRINTING.into(),
            },
            &run.seen,
        );
    }
    common::check_peer_text_escaped(&LESSON, &run.seen, &did, PRINTING);
}

/// A datagram lost on the way is sent again after the timeout, with the same bytes, and
/// the reply to the second try is printed.
#[test]
fn sends_a_lost_message_again() {
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
    let meter = LoadMeter::start();
    // One timeout, and room for a slow machine: only a wrong program takes that long.
    let within = REPLY_TIMEOUT + STEP * 2;
    let run = run_client(&server, "hello\nSTOP\n", within);
    // The client may exit before the test's server thread has recorded its last datagram.
    let received = server.wait_received(STEP, |datagrams| datagrams.len() >= 3);
    let expected: [&[u8]; 3] = [b"hello\n", b"hello\n", b"STOP\n"];
    let wait = match received.as_slice() {
        [first, second, ..] => Some(second.at.duration_since(first.at)),
        _ => None,
    };
    let spacing = Window::around(REPLY_TIMEOUT, &meter);
    let waited_right = wait.is_some_and(|wait| spacing.contains(wait));
    if !run.stdout().contains("Reply: 42\n") || payloads(&received) != expected || !waited_right {
        let hellos = received.iter().filter(|d| d.bytes == b"hello\n").count();
        // What the evidence shows: the wait, the giving up, or the retry.
        let (hint, section) = if let Some(hint) = line_not_as_typed(&received, b"hello\n") {
            (hint, DATAGRAM)
        } else {
            match (hellos, run.code()) {
                (0 | 1, None) => (
                    "your client sent \"hello\" once and then waited, and waited: recv() waits \
                     for ever unless the socket has a read timeout. Give it one of REPLY_TIMEOUT \
                     before you wait (TODO(4))."
                        .to_string(),
                    WAITING,
                ),
                (0 | 1, Some(code)) if code != 0 => (
                    "your client ended with an error when its wait ran out. A wait that runs into \
                     the read timeout fails with an error of kind WouldBlock (Linux, macOS) or \
                     TimedOut (Windows): that one means \"no reply yet\", Ok(None), on every \
                     system (TODO(4))."
                        .to_string(),
                    WAITING,
                ),
                (0 | 1, _) => (
                    "your client sent \"hello\" only once, then gave up on it. When a wait runs \
                     out, ask must send the same message again, TRIES times in all (TODO(2))."
                        .to_string(),
                    RETRIES,
                ),
                _ if !waited_right => (
                    format!(
                        "the second try must come after a wait of REPLY_TIMEOUT ({} s) without a \
                         reply: set that read timeout on the socket before each wait (TODO(4)).",
                        REPLY_TIMEOUT.as_secs()
                    ),
                    WAITING,
                ),
                _ => (
                    "send the same line again after a wait that ran out, and print the reply to \
                     the second try (TODO(2))."
                        .to_string(),
                    RETRIES,
                ),
            }
        };
        LESSON.fail(
            Problem {
                check: "a message whose datagram was lost is sent again, after the timeout".into(),
                did: "typed \"hello\" then \"STOP\"; the server ignored the first \"hello\\n\" \
                      (as if it was lost) and answered \"42\" to the second"
                    .into(),
                expected: format!(
                    "after {} s without a reply the same datagram again, then \"Reply: 42\"; \
                     the server receives [\"hello\\n\", \"hello\\n\", \"STOP\\n\"]",
                    REPLY_TIMEOUT.as_secs()
                ),
                got: format!(
                    "the server received {}{}; your client printed {} and {}{}",
                    shown_datagrams(&received),
                    match wait {
                        Some(wait) =>
                            format!(", the second {:.1} s after the first", wait.as_secs_f64()),
                        None => String::new(),
                    },
                    shown(&run.seen.stdout),
                    run.ending(within),
                    meter.busy_note()
                ),
                hint,
                section: section.into(),
            },
            &run.seen,
        );
    }
}
