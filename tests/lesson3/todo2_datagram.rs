//! TODO(2): one typed line, one datagram, with exactly one newline.

use crate::*;

/// Each typed line travels as exactly one datagram: the text and one `\n` (also for an
/// empty line, and for a line typed with a Windows `\r\n` ending).
#[test]
fn sends_each_line_as_one_datagram_with_one_newline() {
    let server = FakeUdpServer::start(numbered_replies());
    let typed = "hello\n\ntwo words\r\nSTOP\n";
    let run = run_client(&server, typed, STEP);
    let received = server.wait_received(STEP, |datagrams| datagrams.len() >= 4);
    let expected: [&[u8]; 4] = [b"hello\n", b"\n", b"two words\n", b"STOP\n"];
    if payloads(&received) != expected {
        // Every line is answered at once: a line sent twice in a row was sent again anyway.
        let resent =
            matches!(payloads(&received).as_slice(), [first, second, ..] if first == second);
        let (hint, section) = if resent {
            (
                "the server answered \"hello\" at once, and your client sent it again anyway: \
                 a try that gets a reply is the last one. ask must return the first reply \
                 it receives, and send again only after a wait that ran out (TODO(4))."
                    .to_string(),
                RETRIES,
            )
        } else {
            (
                "one datagram per line, with the text and one \\n, and nothing else. \
                 netkit::read_line has already removed the line ending you typed (\\n or \
                 \\r\\n)."
                    .to_string(),
                DATAGRAM,
            )
        };
        LESSON.fail(
            Problem {
                check: "each line is sent as one datagram ending in exactly one newline".into(),
                did: format!("typed {}", shown(typed.as_bytes())),
                expected:
                    "the four datagrams [\"hello\\n\", \"\\n\", \"two words\\n\", \"STOP\\n\"]"
                        .into(),
                got: format!("the datagrams {}", shown_datagrams(&received)),
                hint,
                section: section.into(),
            },
            &run.seen,
        );
    }
}
