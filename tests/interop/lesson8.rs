//! # Lesson 8 against netcat
//!
//! Two `nc` clients, a program nobody in this project wrote, chat through the reference
//! server, as a class does in the demo: plain `nc HOST PORT` must be a usable client. Linux
//! only (it needs the netcat-openbsd package, which CI installs).
#![cfg(target_os = "linux")]

use harness::{Lesson, Problem, Running, STEP, Waited};

const LESSON: Lesson = harness::lesson!(8);

/// Starts `nc` as a chat client: `-N` shuts down its sending side when its input ends, as a
/// careful client does, so that the server reads the end of the stream.
fn netcat_client(port: &str) -> Running {
    Running::start_other(LESSON, "nc", &["-N", "127.0.0.1", port])
}

/// Two netcat users join, talk, ask `/who`; one leaves by closing its input, the other by
/// `/quit`. Each sees what the protocol promises, and both netcats end.
#[test]
fn two_netcat_clients_chat() {
    if !harness::tool_available("nc") {
        return;
    }
    let mut server = Running::start(LESSON, &["0"]);
    let port = server
        .listening_address("Try it with nc")
        .port()
        .to_string();
    let mut alice = netcat_client(&port);
    let mut bob = netcat_client(&port);

    let mut seen = Vec::new();
    let mut expect = |netcat: &mut Running, who: &str, line: &str| {
        let heard = netcat.read_until(&format!("{line}\n"), STEP);
        let found = heard.is_ok();
        seen.push(format!(
            "{who}'s nc: {}",
            match heard {
                Ok(_) => format!("{line:?}"),
                Err(Waited::TimedOut) => format!("no {line:?} within {} s", STEP.as_secs()),
                Err(Waited::Ended) => format!("ended before {line:?}"),
            }
        ));
        found
    };
    let mut worked = expect(&mut alice, "alice", "Welcome! Your name?");
    alice.type_text(b"alice\n");
    worked &= expect(&mut alice, "alice", "Hello alice! 1 online");
    bob.type_text(b"bob\r\n");
    worked &= expect(&mut bob, "bob", "Hello bob! 2 online");
    worked &= expect(&mut alice, "alice", "* bob joined");
    alice.type_text(b"hello from netcat\n");
    worked &= expect(&mut bob, "bob", "alice: hello from netcat");
    bob.type_text(b"/who\n");
    worked &= expect(&mut bob, "bob", "* online: alice, bob");
    alice.close_stdin();
    worked &= expect(&mut bob, "bob", "* alice left");
    let alice_ended = alice.wait_for_exit(STEP).is_some();
    bob.type_text(b"/quit\n");
    worked &= expect(&mut bob, "bob", "BYE");
    // netcat reads its input until it ends, even after the server has closed: as a user
    // would with Ctrl-D, close it.
    bob.close_stdin();
    let bob_ended = bob.wait_for_exit(STEP).is_some();
    if !(worked && alice_ended && bob_ended) {
        server.fail(Problem {
            check: "two netcat users can chat through the server".into(),
            did: "alice and bob joined with `nc -N`; alice said hello, bob asked /who; alice \
                  closed her input, bob sent /quit"
                .into(),
            expected: "each nc shows the protocol's lines, and both end".into(),
            got: format!(
                "{}; alice's nc {}, bob's nc {}",
                seen.join("; "),
                if alice_ended { "ended" } else { "kept running" },
                if bob_ended { "ended" } else { "kept running" }
            ),
            hint: "accept \\r\\n endings; close a connection whose client has finished \
                   sending, after telling the others it left."
                .into(),
            section: "Try it with nc".into(),
        });
    }
}
