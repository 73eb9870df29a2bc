//! "Going further": the chapter's extension exercises. These tests are off by default, as
//! the lesson's program does not do this yet; run them with
//! `cargo test -p lesson8 -- --ignored` once you have tried an exercise.

use harness::Problem;

use crate::FURTHER;
use crate::chat::Chat;

/// Exercise 1: `/msg <name> <text>` reaches that member alone, as
/// `<sender> (privately): <text>`; a name nobody has gets `ERROR no such name`.
#[test]
#[ignore = "Going further: run with `cargo test -p lesson8 -- --ignored`"]
fn further_msg_reaches_one_member_alone() {
    let mut chat = Chat::start(&[]);
    for name in ["alice", "bob", "carol"] {
        chat.join(name);
    }
    chat.say(0, "/msg bob see you at noon");
    chat.expect_member(
        1,
        "alice (privately): see you at noon",
        Problem {
            check: "/msg NAME TEXT reaches that member".into(),
            did: "alice sent \"/msg bob see you at noon\"".into(),
            hint: "look the name up under the room's lock and offer the line to that one \
                   queue."
                .into(),
            section: FURTHER.into(),
            ..Problem::default()
        },
    );
    chat.say(0, "/msg nobody are you there?");
    chat.expect_member(
        0,
        "ERROR no such name",
        Problem {
            check: "/msg to a name nobody has is an error, to the sender alone".into(),
            did: "alice sent \"/msg nobody are you there?\"".into(),
            section: FURTHER.into(),
            ..Problem::default()
        },
    );
    // Had carol heard either, it would come before this line.
    chat.say(0, "lunch, anyone?");
    for index in [1, 2] {
        chat.expect_member(
            index,
            "alice: lunch, anyone?",
            Problem {
                check: "a private line reaches no one else".into(),
                did: "alice sent a /msg to bob, one to nobody, then \"lunch, anyone?\"".into(),
                section: FURTHER.into(),
                ..Problem::default()
            },
        );
    }
    chat.finish();
}

/// Exercise 2: a newcomer hears, right after its greeting, the last 5 lines said in the
/// room, oldest first, as they were relayed.
#[test]
#[ignore = "Going further: run with `cargo test -p lesson8 -- --ignored`"]
fn further_newcomers_hear_the_last_five_lines() {
    let mut chat = Chat::start(&[]);
    chat.join("alice");
    chat.join("bob");
    for number in 1..=7 {
        chat.say(0, &format!("line {number}"));
        chat.expect_member(
            1,
            &format!("alice: line {number}"),
            Problem {
                check: "a line goes to every other named client".into(),
                did: format!("alice sent \"line {number}\""),
                section: FURTHER.into(),
                ..Problem::default()
            },
        );
    }
    let mut dave = chat.connect();
    chat.name(&mut dave, "dave");
    for number in 3..=7 {
        chat.expect(
            &mut dave,
            &format!("alice: line {number}"),
            Problem {
                check: "a newcomer hears the last 5 lines, oldest first".into(),
                did: "alice sent \"line 1\" to \"line 7\"; then dave joined".into(),
                hint: "keep the last lines in the room, under the same lock as the members, \
                       and queue them for the newcomer right after its greeting."
                    .into(),
                section: FURTHER.into(),
                ..Problem::default()
            },
        );
    }
    chat.finish();
}
