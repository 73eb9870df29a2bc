//! TODO(2): the guard. A client is counted from the moment it is accepted, and uncounted
//! when its connection ends, however it ends; every reply is the count at that moment.

use harness::{Problem, shown};

use crate::{Company, GUARD, QUESTION, ask, ask_count, connect, start_server, wait_for_count};

/// What each client is told, in the order [`counts_each_client_that_joins`] asks.
const JOINING: [(usize, &str); 4] = [
    (1, "connected one client and asked"),
    (2, "kept it connected, connected a second client and asked"),
    (3, "kept both connected, connected a third client and asked"),
    (
        3,
        "with all three connected, asked again from the first one",
    ),
];

/// The hint for the counts `got` where [`JOINING`] expects 1, 2, 3 and 3: each usual mistake
/// leaves its own pattern.
fn joining_hint(got: &[usize; 4]) -> &'static str {
    match got {
        [0, 0, 0, 0] => {
            "every client was told 0: each was uncounted while still connected, so its guard \
             was dropped too early. A guard must live as long as its connection: moved into \
             the client's thread, never kept (or a copy of it kept) in start_client_thread, \
             never bound to `let _ = ...` (which drops it at once)."
        }
        [0, 1, 2, _] => {
            "each client was told the count from before it joined: that is what fetch_add \
             returns (the value before the addition). Read the counter when you reply, in \
             `count`."
        }
        [1, 2, 3, 1] => {
            "the first client, asked again, was still told 1: `count` returns a copy taken \
             when the client connected. Read the shared counter every time."
        }
        [2, 4, 6, 6] => {
            "every count is doubled: each client is counted twice. Count it once, in \
             ConnectionGuard::new, and make one guard per client."
        }
        _ => {
            "count a client once, when its guard is made (ConnectionGuard::new), uncount it \
             once, when the guard goes away, and read the shared counter for each reply."
        }
    }
}

/// Three clients join one after the other: they are told 1, 2 and 3, and the first one, asked
/// again, is told 3 too.
#[test]
fn counts_each_client_that_joins() {
    let (mut server, address) = start_server();
    let mut peers = Vec::new();
    let mut got = [0; 4];
    for (turn, (_, did)) in JOINING.iter().enumerate() {
        if turn < 3 {
            peers.push(connect(&mut server, address));
        }
        let asker = if turn < 3 { turn } else { 0 };
        let company = if turn == 0 {
            Company::Alone
        } else {
            Company::Others
        };
        got[turn] = ask_count(&mut server, &mut peers[asker], company, did);
    }
    let expected = JOINING.map(|(count, _)| count);
    if got != expected {
        let told = |counts: &[usize; 4]| {
            let replies: Vec<String> = counts.iter().map(|n| format!("\"{n}\\n\"")).collect();
            format!("the replies {}", replies.join(", "))
        };
        server.fail(Problem {
            check: "each client is counted from the moment it is accepted".into(),
            did: "connected three clients one after the other, each asking once while the \
                  earlier ones stayed connected, then asked again from the first one"
                .into(),
            expected: told(&expected),
            got: told(&got),
            hint: joining_hint(&got).into(),
            section: GUARD.into(),
        });
    }
}

/// A client that closes its connection (end of stream) is no longer counted.
#[test]
fn the_count_goes_down_when_a_client_closes() {
    let (mut server, address) = start_server();
    let mut stayer = connect(&mut server, address);
    ask(
        &mut server,
        &mut stayer,
        QUESTION,
        Company::Alone,
        "connected one client",
    );
    let mut leaver = connect(&mut server, address);
    ask(
        &mut server,
        &mut leaver,
        QUESTION,
        Company::Others,
        "connected a second client",
    );
    drop(leaver);
    wait_for_count(
        &mut server,
        &mut stayer,
        1,
        "two clients were connected and answered; the second closed its connection, then \
         the first one asked",
    );
}

/// A client whose connection is reset (it vanished with a reply still unread) is no longer
/// counted either: the server's read fails with an error instead of the end of the stream.
#[test]
fn the_count_goes_down_when_a_connection_is_reset() {
    let (mut server, address) = start_server();
    let mut stayer = connect(&mut server, address);
    ask(
        &mut server,
        &mut stayer,
        QUESTION,
        Company::Alone,
        "connected one client",
    );
    let mut rude = connect(&mut server, address);
    // Wait for the reply without reading it: closing a socket with unread bytes makes the
    // OS send a reset (RST) instead of a normal end of stream.
    let mut first_byte = [0u8; 1];
    let replied = rude
        .send(QUESTION)
        .and_then(|()| rude.stream().peek(&mut first_byte));
    if !matches!(replied, Ok(1)) {
        server.fail(Problem {
            check: "every line gets one reply line".into(),
            did: format!("from a second client, sent {}", shown(QUESTION)),
            expected: "a reply".into(),
            got: format!("{replied:?}"),
            hint: crate::BUSY_HINT.into(),
            section: crate::THREADS.into(),
        });
    }
    drop(rude);
    wait_for_count(
        &mut server,
        &mut stayer,
        1,
        "a second client asked, then vanished without reading the reply (its connection \
         was reset); then the first client asked",
    );
}
