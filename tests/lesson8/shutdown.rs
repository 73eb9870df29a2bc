//! Graceful shutdown: Ctrl-C with clients connected, one of which never reads.

use std::time::{Duration, Instant};

use harness::chat::{ChatClient, Heard};
use harness::{Problem, STEP};

use crate::chat::Chat;
use crate::{FAN_OUT, SHUTDOWN};

/// Ctrl-C (SIGINT) with clients connected: each client that reads hears `BYE` and a clean
/// close, even with a client that never reads, and the server exits with status 0 within
/// 2 s. Unix only: the test sends the signal with the system's `kill`.
#[test]
fn ctrl_c_says_bye_to_every_client_and_exits_0() {
    if !cfg!(unix) {
        eprintln!("skipped: sending Ctrl-C to another program needs Unix's `kill`");
        return;
    }
    let mut chat = Chat::start(&[]);
    chat.join("alice");
    chat.join("bob");
    let deaf = chat.join("deaf");
    let guest = chat.connect();
    // Lines that deaf never reads, and half a line it never finishes.
    chat.say(0, "a line deaf will never read");
    chat.expect_member(
        1,
        "alice: a line deaf will never read",
        Problem {
            check: "a line goes to every other named client".into(),
            did: "alice sent a line".into(),
            section: FAN_OUT.into(),
            ..Problem::default()
        },
    );
    let _ = chat.members[deaf].client.send(b"half a li");

    let pid = chat.server.id();
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status();
    if !signalled.as_ref().is_ok_and(|status| status.success()) {
        chat.fail(Problem {
            check: "(the test itself) sends Ctrl-C to the server".into(),
            did: format!("ran `kill -INT {pid}`"),
            got: format!("{signalled:?}"),
            section: SHUTDOWN.into(),
            ..Problem::default()
        });
    }
    let signalled_at = Instant::now();
    let mut readers: Vec<(String, ChatClient)> = vec![("the unnamed client".into(), guest)];
    for member in chat.members.drain(..2) {
        readers.push((member.name, member.client));
    }
    for (name, client) in &mut readers {
        let said = client.hear_until("BYE");
        let notices_only = |lines: &Vec<String>| {
            lines
                .iter()
                .all(|l| l.starts_with("* ") && l.ends_with(" left"))
        };
        let closed = if matches!(&said, Ok(before) if notices_only(before)) {
            client.hear()
        } else {
            Heard::Silence {
                partial: Vec::new(),
            }
        };
        if !matches!(&closed, Heard::Closed { partial } if partial.is_empty()) {
            chat.fail(Problem {
                check: "at Ctrl-C, every client hears BYE, then a clean close".into(),
                did: "connected alice, bob, deaf (which never reads) and an unnamed client, \
                      then sent the server SIGINT"
                    .into(),
                expected: format!(
                    "{name} hears \"BYE\" (perhaps after \"* <name> left\" notices), then \
                     the connection closes"
                ),
                got: match said {
                    Ok(before) if notices_only(&before) => {
                        format!("BYE, then {}", closed.describe(STEP))
                    }
                    Ok(before) => format!("{before:?} before BYE"),
                    Err((before, heard)) => {
                        format!("{before:?}, then {}", heard.describe(STEP))
                    }
                },
                hint: "on the signal, stop accepting, tell every client task to queue \
                       \"BYE\\n\" and close, and wait for them (not for ever)."
                    .into(),
                section: SHUTDOWN.into(),
            });
        }
    }
    // Generous for a busy machine; a server that waits for the deaf client never gets there.
    let within = Duration::from_secs(2) + STEP;
    let status = chat
        .server
        .wait_for_exit(within.saturating_sub(signalled_at.elapsed()));
    if status.and_then(|status| status.code()) != Some(0) {
        chat.fail(Problem {
            check: "at Ctrl-C the server exits with status 0 within 2 s".into(),
            did: "sent SIGINT with a client connected that never reads".into(),
            expected: "exit status 0".into(),
            got: match status {
                Some(status) => format!("it ended with {status}"),
                None => format!(
                    "still running {:.1} s after the signal",
                    signalled_at.elapsed().as_secs_f64()
                ),
            },
            hint: "give the goodbyes a deadline (lesson 6): a client that never reads must \
                   not hold the server up."
                .into(),
            section: SHUTDOWN.into(),
        });
    }
}
