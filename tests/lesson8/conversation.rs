//! The conversation: names, joining, `/who`, and leaving whichever way a client leaves.

use harness::{Problem, STEP, shown};

use crate::chat::Chat;
use crate::{COMMANDS, FAN_OUT, JOINING, LEAVING, PROTOCOL};

/// A client is welcomed and asked its name; a valid name is greeted with `Hello <name>! 1
/// online`.
#[test]
fn welcomes_a_client_and_greets_it_by_name() {
    let mut chat = Chat::start(&[]);
    chat.join("alice");
    chat.finish();
}

/// Bad names (empty, too long, spaces, punctuation, non-ASCII) get `ERROR bad name`, and the
/// same client may then try again; 32 characters is still a valid name.
#[test]
fn bad_names_are_refused_and_the_client_may_try_again() {
    let mut chat = Chat::start(&[]);
    let mut client = chat.connect();
    let too_long = "n".repeat(33);
    for bad in [
        "",
        "two words",
        &too_long,
        "café",
        "alice!",
        "* alice",
        "bob:",
    ] {
        let _ = client.say(bad);
        chat.expect(
            &mut client,
            "ERROR bad name",
            Problem {
                check: "a name is 1 to 32 ASCII letters, digits, `_` or `-`".into(),
                did: format!("sent the name {}", shown(bad.as_bytes())),
                hint: "check the name before anything else, and keep the client: it may try \
                       again."
                    .into(),
                section: PROTOCOL.into(),
                ..Problem::default()
            },
        );
    }
    let longest = "Zed_0-".repeat(6)[..32].to_string();
    chat.name(&mut client, &longest);
    chat.finish();
}

/// A name in use gets `ERROR name taken`; the client may try another one.
#[test]
fn a_name_in_use_is_refused_and_the_client_may_try_again() {
    let mut chat = Chat::start(&[]);
    chat.join("alice");
    let mut client = chat.connect();
    let _ = client.say("alice");
    chat.expect(
        &mut client,
        "ERROR name taken",
        Problem {
            check: "a name already in use is refused".into(),
            did: "alice joined; a second client sent the name \"alice\"".into(),
            hint: "look the name up and insert it under one lock: checked in one lock and \
                   inserted in another, two clients can both get it."
                .into(),
            section: JOINING.into(),
            ..Problem::default()
        },
    );
    chat.name(&mut client, "bob");
    chat.finish();
}

/// Every named client hears who joins, and the count in the greeting grows; a client that
/// has not chosen a name yet hears nothing of the room.
#[test]
fn everyone_named_hears_who_joined() {
    let mut chat = Chat::start(&[]);
    let mut guest = chat.connect();
    chat.join("alice");
    chat.join("bob");
    chat.say(0, "hello before the guest has a name");
    chat.expect_member(
        1,
        "alice: hello before the guest has a name",
        Problem {
            check: "a line goes to every other named client".into(),
            did: "alice and bob joined; alice sent a line".into(),
            hint: "send `<name>: <text>` to every member of the room but the sender.".into(),
            section: FAN_OUT.into(),
            ..Problem::default()
        },
    );
    // Whatever reached the guest before it had a name would come before its greeting.
    chat.name(&mut guest, "carol");
    chat.finish();
}

/// `/who` answers the asker alone, with the names sorted: `* online: alice, bob, carol`.
#[test]
fn who_answers_the_asker_alone() {
    let mut chat = Chat::start(&[]);
    for name in ["carol", "alice", "bob"] {
        chat.join(name);
    }
    chat.say(1, "/who");
    chat.expect_member(
        1,
        "* online: alice, bob, carol",
        Problem {
            check: "/who lists everyone named, sorted, to the asker".into(),
            did: "carol, alice and bob joined, in that order; alice sent \"/who\"".into(),
            hint: "collect the names, sort them, join them with \", \".".into(),
            section: COMMANDS.into(),
            ..Problem::default()
        },
    );
    chat.say(1, "after who");
    for index in [0, 2] {
        chat.expect_member(
            index,
            "alice: after who",
            Problem {
                check: "/who is answered to the asker alone, and not sent as a line".into(),
                did: "alice sent \"/who\", then \"after who\"".into(),
                hint: "answer /who into the asker's own queue, instead of the room.".into(),
                section: COMMANDS.into(),
                ..Problem::default()
            },
        );
    }
    chat.finish();
}

/// `/quit`, or STOP with white space around it, gets `BYE` and a clean close, and the others
/// hear `* <name> left`.
#[test]
fn quit_and_stop_say_bye_and_the_others_hear_it() {
    let mut chat = Chat::start(&[]);
    chat.join("alice");
    for (name, command) in [("bob", "/quit"), ("carol", "  STOP ")] {
        let index = chat.join(name);
        chat.say(index, command);
        let mut leaver = chat.members.remove(index).client;
        chat.expect_last_words(
            &mut leaver,
            "BYE",
            Problem {
                check: "/quit and STOP get BYE, then the connection is closed".into(),
                did: format!("{name} sent {}", shown(command.as_bytes())),
                hint: "queue \"BYE\\n\" as the last line, then close the way lesson 6 does: \
                       shut down your sending side, and read what the client still sends."
                    .into(),
                section: COMMANDS.into(),
                ..Problem::default()
            },
        );
        chat.expect_member(
            0,
            &format!("* {name} left"),
            Problem {
                check: "the others hear that a client left".into(),
                did: format!("{name} sent {}", shown(command.as_bytes())),
                hint: "tell the room in one place that every way out passes: a guard's Drop."
                    .into(),
                section: LEAVING.into(),
                ..Problem::default()
            },
        );
    }
    chat.finish();
}

/// A client that closes its connection, or whose connection is reset, is announced as left
/// all the same.
#[test]
fn left_is_heard_whichever_way_a_client_leaves() {
    let mut chat = Chat::start(&[]);
    chat.join("alice");
    let ways = [
        ("eve", "closed its sending side (end of stream)"),
        (
            "mallory",
            "vanished with lines still unread (its connection was reset)",
        ),
    ];
    for (name, how) in ways {
        let index = chat.join(name);
        let leaver = chat.members.remove(index).client;
        if name == "eve" {
            let _ = leaver.finish_sending();
        } else {
            // Unread bytes in its receive buffer make the OS reset the connection at close.
            chat.say(0, "a line mallory never reads");
            let mut peek = [0u8; 1];
            let _ = leaver.stream().set_read_timeout(Some(STEP));
            let _ = leaver.stream().peek(&mut peek);
        }
        drop(leaver);
        chat.expect_member(
            0,
            &format!("* {name} left"),
            Problem {
                check: "the others hear that a client left, however it left".into(),
                did: format!("{name} joined, then {how}"),
                hint: "an end of stream or a read error ends the conversation as /quit does: \
                       tell the room from a guard's Drop, which runs on every way out."
                    .into(),
                section: LEAVING.into(),
                ..Problem::default()
            },
        );
    }
    chat.finish();
}

/// Once the others have heard that bob left, the name bob is free again: a new client gets it.
#[test]
fn a_name_is_free_again_once_its_owner_left() {
    let mut chat = Chat::start(&[]);
    chat.join("alice");
    for quits in [true, false] {
        let index = chat.join("bob");
        let mut bob = Some(chat.members.remove(index).client);
        let how = if quits {
            // bob keeps its connection open and reads nothing more: a server that frees the
            // name only once the connection is fully closed keeps it too long.
            if let Some(bob) = bob.as_mut() {
                let _ = bob.say("/quit");
            }
            "bob sent /quit (and kept its connection open)"
        } else {
            bob = None;
            "bob closed its connection"
        };
        chat.expect_left(0, "bob");
        let mut again = chat.connect();
        let _ = again.say("bob");
        chat.expect(
            &mut again,
            "Hello bob! 2 online",
            Problem {
                check: "a name is free again once the others have heard its owner leave".into(),
                did: format!(
                    "{how}; alice heard \"* bob left\"; then a new client sent the name \"bob\""
                ),
                hint: "free the name when the client leaves the room, in the same step as the \
                       \"left\" notice, not when its connection is finally closed."
                    .into(),
                section: LEAVING.into(),
                ..Problem::default()
            },
        );
        chat.expect_member(
            0,
            "* bob joined",
            Problem {
                check: "every named client hears who joined".into(),
                did: "a new client took the name \"bob\"".into(),
                section: JOINING.into(),
                ..Problem::default()
            },
        );
        // The new bob leaves too, so that the next round starts from alice alone.
        drop((bob, again));
        chat.expect_left(0, "bob");
    }
    chat.finish();
}
