//! TODO(3): the reply. Every line but STOP is answered with the number of clients connected
//! at that moment, as a line of its own.

use harness::{Problem, shown};

use crate::{Company, REPLY, ask, connect, parse_count, start_server};

/// Each line, whatever it says, gets one reply: the count and `\n`, and nothing else.
#[test]
fn every_line_is_answered_with_the_count_alone() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    for line in [
        &b"hello from the test\r\n"[..],
        b"42\n",
        b"\n",
        b"stop, please\n",
    ] {
        let did = "as the only client connected";
        let reply = ask(&mut server, &mut peer, line, Company::Alone, did);
        if parse_count(&reply) != Some(1) {
            server.fail(Problem {
                check: "every line gets the count, and only the count".into(),
                did: format!("{did}, sent {}", shown(line)),
                expected: "the reply \"1\\n\"".into(),
                got: shown(&reply),
                hint: "reply with the number of clients connected (here 1) in decimal digits, \
                       then \\n, and nothing else: no echo of the line, no words around it."
                    .into(),
                section: REPLY.into(),
            });
        }
    }
}
