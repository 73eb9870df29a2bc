//! TODO(3): sending a line. Each typed line reaches the server once, with exactly one `\n`,
//! whatever line ending it was typed with.

use harness::{FakeServer, Problem, STEP, shown};

use crate::{LESSON, SENDING, numbered_replies, run_client, sending_mistake};

/// A line typed with a Windows ending (`\r\n`) is sent with a plain `\n`.
#[test]
fn a_crlf_line_is_sent_with_one_plain_newline() {
    let server = FakeServer::start(numbered_replies());
    let run = run_client(&server, "hello\r\nSTOP\r\n");
    let received = server.wait_received(STEP, |bytes| bytes.ends_with(b"STOP\n"));
    if received != b"hello\nSTOP\n" {
        let hint = match sending_mistake(&received) {
            Some((hint, _)) => hint,
            None => "the text that prompt returns has no line ending left (netkit::read_line \
                     strips both \\n and \\r\\n): send it as it is, plus one \\n."
                .to_string(),
        };
        LESSON.fail(
            Problem {
                check: "a line ending in \\r\\n is sent with exactly one \\n".into(),
                did: "typed \"hello\\r\\n\" then \"STOP\\r\\n\" (as Windows does)".into(),
                expected: format!("the server receives {}", shown(b"hello\nSTOP\n")),
                got: format!("the server received {}", shown(&received)),
                hint,
                section: SENDING.into(),
            },
            &run.seen,
        );
    }
}

/// Each typed line reaches the server once, followed by exactly one `\n`.
#[test]
fn sends_each_line_with_exactly_one_newline() {
    let server = FakeServer::start(numbered_replies());
    let run = run_client(&server, "hello\nworld\nSTOP\n");
    let received = server.wait_received(STEP, |bytes| bytes.ends_with(b"STOP\n"));
    if received != b"hello\nworld\nSTOP\n" {
        let hint = match sending_mistake(&received) {
            Some((hint, _)) => hint,
            None => "send each line once, as soon as it is typed: its text and then one \\n."
                .to_string(),
        };
        LESSON.fail(
            Problem {
                check: "each line is sent once, with exactly one newline".into(),
                did: "typed \"hello\", \"world\" and \"STOP\", one per line".into(),
                expected: format!("the server receives {}", shown(b"hello\nworld\nSTOP\n")),
                got: format!("the server received {}", shown(&received)),
                hint,
                section: SENDING.into(),
            },
            &run.seen,
        );
    }
}
