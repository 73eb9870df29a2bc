//! TODO(3): one typed line, one datagram, with exactly one newline.

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
        let (hint, section) = sent_again(&received, run.code().is_none()).unwrap_or((
            "one datagram per line, with the text and one \\n, and nothing else. \
             netkit::read_line has already removed the line ending you typed (\\n or \\r\\n)."
                .to_string(),
            DATAGRAM,
        ));
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
