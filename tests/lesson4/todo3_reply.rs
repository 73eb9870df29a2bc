//! TODO(3): the reply, a number from 1 to 1000 in decimal digits, and its `data:` line.

use crate::*;

/// A datagram gets one datagram back: a number from 1 to 1000 in decimal ASCII, with no
/// newline; the server prints `-> <text>` and `data: <the number>`.
#[test]
fn replies_with_a_number_and_prints_it() {
    let (mut server, address) = start_server();
    let peer = peer(&mut server, address);
    let number = ask(&mut server, &peer, b"hello\n");
    // The two lines in this order; lines of the server's own may come between them.
    let expected = ["-> hello".to_string(), format!("data: {number}")];
    let printed = expected
        .iter()
        .all(|want| server.read_line_matching(|line| line == want, STEP).is_ok());
    if !printed {
        server.fail(Problem {
            check: "the server prints what it received and what it sent".into(),
            did: format!("sent \"hello\\n\" and got the reply \"{number}\""),
            expected: format!("the lines \"-> hello\" and \"data: {number}\""),
            got: "other lines (see what your program printed, below)".into(),
            hint: "print \"-> \" and the datagram's text without its newline, then \
                   \"data: \" and the number you send."
                .into(),
            section: REPLY.into(),
        });
    }
}

/// Over many requests every number from 1 to 1000 comes back, and nothing else.
#[test]
fn replies_cover_every_number_from_1_to_1000() {
    // With a fair choice from 1 to 1000, one given number is missing from REQUESTS replies
    // with probability (999/1000)^REQUESTS = e^(-25.01) = 1.4e-11 for 25,000 replies, so
    // "some number is missing" has probability at most 1000 times that: 1.4e-8, about one
    // false failure in 70 million runs. A server that answers 0 to 999 instead sends a 0
    // (out of range) except with that same tiny probability.
    const REQUESTS: usize = 25_000;
    let (mut server, address) = start_server();
    let peer = peer(&mut server, address);
    let mut seen = vec![0u32; 1001];
    for _ in 0..REQUESTS {
        let number = ask(&mut server, &peer, b"a number, please\n");
        seen[number as usize] += 1;
    }
    let missing: Vec<usize> = (1..=1000).filter(|&n| seen[n] == 0).collect();
    if !missing.is_empty() {
        let distinct = 1000 - missing.len();
        let first: Vec<String> = missing.iter().take(10).map(usize::to_string).collect();
        server.fail(Problem {
            check: "the numbers are random, from 1 to 1000, both included".into(),
            did: format!("asked {REQUESTS} times"),
            expected: "every number from 1 to 1000 at least once (a fair choice misses one \
                       with a probability of about 1 in 70 million)"
                .into(),
            got: format!(
                "{distinct} different numbers; never {}{}",
                first.join(", "),
                if missing.len() > 10 { ", ..." } else { "" }
            ),
            hint: "draw a new number for every reply with rand::random_range(1..=1000): \
                   `..=` includes 1000, `1..1000` would not."
                .into(),
            section: REPLY.into(),
        });
    }
}
