//! "Going further": the chapter's extension exercises. These tests are off by default, as
//! the lesson's program does not do this yet; run them with
//! `cargo test -p lesson5 -- --ignored` once you have tried an exercise.

use harness::{Peer, Problem, Running, STEP, describe_read, shown};

use crate::{Company, FURTHER, QUESTION, ask, connect, expect_count, start_server, wait_for_count};

/// Exercise 1: `/count` is answered with two numbers, the clients connected now and every
/// client accepted since the server started: `2 connected, 3 since the start`.
#[test]
#[ignore = "Going further: run with `cargo test -p lesson5 -- --ignored`"]
fn further_count_command_tells_both_counts() {
    let (mut server, address) = start_server();
    let mut first = connect(&mut server, address);
    expect_count(
        &mut server,
        &mut first,
        1,
        Company::Alone,
        "connected a client",
    );
    let mut leaver = connect(&mut server, address);
    expect_count(
        &mut server,
        &mut leaver,
        2,
        Company::Others,
        "connected a second one",
    );
    drop(leaver);
    wait_for_count(
        &mut server,
        &mut first,
        1,
        "the second client closed its connection",
    );
    let mut third = connect(&mut server, address);
    expect_count(
        &mut server,
        &mut third,
        2,
        Company::Others,
        "connected a third one",
    );
    let did = "three clients connected, one after the other; the second left; then the first \
               sent \"/count\"";
    let reply = ask(&mut server, &mut first, b"/count\n", Company::Others, did);
    if reply.strip_suffix(b"\n") != Some(&b"2 connected, 3 since the start"[..]) {
        server.fail(Problem {
            check: "/count answers with both counts".into(),
            did: did.into(),
            expected: "the reply \"2 connected, 3 since the start\\n\"".into(),
            got: shown(&reply),
            hint: "a second counter beside the first, which only ever goes up: both can live \
                   in one struct behind the Arc. Check for the command before the usual \
                   reply."
                .into(),
            section: FURTHER.into(),
        });
    }
    // Any other line is still answered with the count alone.
    expect_count(
        &mut server,
        &mut first,
        2,
        Company::Others,
        "then sent another line",
    );
}

/// Sends `lines` from `peer`, each answered, then what `leave` does; then expects the server to
/// print `<peer> left, lines answered: <n>`.
fn expect_goodbye(server: &mut Running, mut peer: Peer, lines: usize, how: &str, stop: bool) {
    let me = match peer.stream().local_addr() {
        Ok(me) => me,
        Err(error) => panic!("the test could not read its own address: {error}"),
    };
    for number in 1..=lines {
        let line = format!("line {number}\n");
        ask(
            server,
            &mut peer,
            line.as_bytes(),
            Company::Alone,
            "one client connected",
        );
    }
    if stop {
        let _ = peer.send(b"STOP\n");
        let _ = peer.receive_to_end();
    }
    drop(peer);
    let expected = format!("{me} left, lines answered: {lines}");
    if let Err(waited) = server.read_until(&expected, STEP) {
        server.fail(Problem {
            check: "a client's line count is printed when it leaves, however it leaves".into(),
            did: format!("a client ({me}) sent {lines} lines, each answered, then {how}"),
            expected: format!("the line \"{expected}\" on your server's output"),
            got: format!("no such line ({waited:?})"),
            hint: "count the lines in something that lives exactly as long as the \
                   connection, and print the number where that thing goes away."
                .into(),
            section: FURTHER.into(),
        });
    }
}

/// Exercise 2: when a client leaves, however it leaves, the server prints
/// `<ip>:<port> left, lines answered: <n>`, `n` being the lines it answered for that client.
#[test]
#[ignore = "Going further: run with `cargo test -p lesson5 -- --ignored`"]
fn further_each_client_leaves_with_its_line_count() {
    let (mut server, address) = start_server();
    let closer = connect(&mut server, address);
    expect_goodbye(&mut server, closer, 3, "closed its connection", false);
    let stopper = connect(&mut server, address);
    expect_goodbye(&mut server, stopper, 2, "sent STOP", true);
    // A line too long ends the connection too, and the client's answered lines still count.
    let mut flooder = connect(&mut server, address);
    let me = flooder.stream().local_addr().ok();
    ask(
        &mut server,
        &mut flooder,
        QUESTION,
        Company::Alone,
        "one client connected",
    );
    let mut too_long = vec![b'x'; netkit::MAX_LINE + 1];
    too_long.push(b'\n');
    let sending = flooder.send_in_background(too_long);
    let refused = flooder.receive_to_end();
    let _ = sending.join();
    let expected = me
        .map(|me| format!("{me} left, lines answered: 1"))
        .unwrap_or_default();
    if let Err(waited) = server.read_until(&expected, STEP) {
        server.fail(Problem {
            check: "a client's line count is printed when it leaves, however it leaves".into(),
            did: "a client sent one line, answered, then a line over 64 KiB".into(),
            expected: format!("the line \"{expected}\" on your server's output"),
            got: format!(
                "no such line ({waited:?}); the client read {}",
                describe_read(&refused)
            ),
            hint: "the line too long ends the conversation with a `return`: count where \
                   every way out passes."
                .into(),
            section: FURTHER.into(),
        });
    }
}
