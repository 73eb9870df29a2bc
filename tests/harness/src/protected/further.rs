//! Steps shared by the "Going further" tests of lessons 6 and 7: extensions the learner may
//! write after the lesson, checked by tests that are off by default (`-- --ignored`).

use std::net::SocketAddr;

use crate::{Lesson, Peer, Problem, Running, STEP, describe_read};

/// The chapter's section for the extensions.
pub const GOING_FURTHER: &str = "Going further";

/// Starts the server with `options` and port 0. A server that does not know the option
/// yet prints its usage and exits: the report then says which extension that is.
pub fn start_extended(lesson: Lesson, options: &[&str], extension: &str) -> (Running, SocketAddr) {
    let args: Vec<&str> = options.iter().copied().chain(["0"]).collect();
    let mut server = Running::start(lesson, &args);
    if server.read_until("Listening on ", STEP).is_err() {
        server.fail(Problem {
            check: format!("the server takes the option of the extension: {extension}"),
            did: format!("started it with {}", args.join(" ")),
            expected: "the line \"Listening on ...\"".into(),
            got: "no such line (see its output below)".into(),
            hint: format!(
                "this test checks an extension you have not written yet ({extension}); \
                 `cargo test -p {}` runs the lesson's own tests without it.",
                lesson.package
            ),
            section: GOING_FURTHER.into(),
        });
    }
    let rest = server.read_line(STEP).unwrap_or_default();
    let address = format!("127.0.0.1:{}", rest.trim().rsplit(':').next().unwrap_or(""));
    match address.parse() {
        Ok(address) => (server, address),
        Err(_) => server.fail(Problem {
            check: "a server first prints the address it listens on".into(),
            did: format!("started it with {}", args.join(" ")),
            expected: "\"Listening on 127.0.0.1:<port>\"".into(),
            got: format!("\"Listening on {}\"", rest.trim()),
            hint: "print listener.local_addr(), as the lesson's server does".into(),
            section: GOING_FURTHER.into(),
        }),
    }
}

/// Connects a client, or fails the test.
pub fn client(server: &mut Running, address: SocketAddr) -> Peer {
    match Peer::connect(address) {
        Ok(peer) => peer,
        Err(error) => server.fail(Problem {
            check: "the server accepts clients".into(),
            did: format!("connected to {address}"),
            expected: "a connection".into(),
            got: format!("an error: {error}"),
            hint: "keep accepting in a loop until the shutdown".into(),
            section: GOING_FURTHER.into(),
        }),
    }
}

/// Sends `line` and fails unless the reply is `expected`.
pub fn expect_reply(server: &mut Running, peer: &mut Peer, line: &str, expected: &str, did: &str) {
    let reply = peer
        .send(line.as_bytes())
        .and_then(|()| peer.receive_line());
    if !matches!(&reply, Ok(got) if got == expected.as_bytes()) {
        server.fail(Problem {
            check: format!("the reply to {line:?}"),
            did: format!("{did}; then sent {line:?}"),
            expected: format!("{expected:?}"),
            got: describe_read(&reply),
            hint: "see the extension's description in the chapter".into(),
            section: GOING_FURTHER.into(),
        });
    }
}

/// With `--max-clients 2`: two clients connect and are told 1 and 2, a third is refused with
/// `ERROR server full`. Returns the two admitted clients and the refused one, still open.
pub fn fill_a_cap_of_two(server: &mut Running, address: SocketAddr, how: &str) -> [Peer; 3] {
    let mut first = client(server, address);
    let did = format!("{how}, connected a client");
    expect_reply(server, &mut first, "hi\n", "1\n", &did);
    let mut second = client(server, address);
    expect_reply(server, &mut second, "hi\n", "2\n", "connected a second");
    let mut third = client(server, address);
    let did = format!("{how}, with two clients connected (--max-clients 2), a third connected");
    expect_reply(server, &mut third, "hi\n", "ERROR server full\n", &did);
    [first, second, third]
}
