//! Fan-out: a line goes to everyone else, never back to its sender, and every receiver gets
//! each sender's lines whole and in order.

use std::collections::HashMap;
use std::sync::{Arc, Barrier};
use std::thread;

use harness::{Problem, STEP};

use crate::chat::Chat;
use crate::{FAN_OUT, FRAMING};

/// A line goes to everyone else as `<name>: <text>`, and never back to its sender.
#[test]
fn a_line_goes_to_everyone_else_and_not_back() {
    let mut chat = Chat::start(&[]);
    for name in ["alice", "bob", "carol"] {
        chat.join(name);
    }
    chat.say(0, "hello, everyone");
    for index in [1, 2] {
        chat.expect_member(
            index,
            "alice: hello, everyone",
            Problem {
                check: "a line goes to every other named client".into(),
                did: "alice, bob and carol joined; alice sent \"hello, everyone\"".into(),
                hint: "send `<name>: <text>` to every member of the room but the sender.".into(),
                section: FAN_OUT.into(),
                ..Problem::default()
            },
        );
    }
    // A copy to alice would have been queued before bob's reply, so it would come first.
    chat.say(1, "hello, alice");
    chat.expect_member(
        0,
        "bob: hello, alice",
        Problem {
            check: "the sender gets no copy of its own line".into(),
            did: "alice sent \"hello, everyone\"; after bob heard it, bob answered".into(),
            hint: "skip the sender's own queue when you send a line to the room.".into(),
            section: FAN_OUT.into(),
            ..Problem::default()
        },
    );
    chat.finish();
}

/// Three clients send 200 lines each, all at the same time, while a fourth listens: every
/// receiver gets every line of every other sender, each sender's lines in the order sent.
#[test]
fn every_receiver_gets_each_sender_s_lines_in_order() {
    const LINES: usize = 200;
    let names = ["ann", "ben", "cat", "dan"];
    let senders = &names[..3];
    let mut chat = Chat::start(&[]);
    for name in names {
        chat.join(name);
    }
    let start = Arc::new(Barrier::new(senders.len()));
    // The members are in the order they joined: the three senders come first.
    let sending: Vec<_> = senders
        .iter()
        .zip(&chat.members)
        .map(|(&name, member)| {
            let stream = member.client.stream().try_clone();
            let start = Arc::clone(&start);
            thread::spawn(move || {
                let Ok(mut stream) = stream else { return };
                start.wait();
                for number in 0..LINES {
                    // One write per line: the lines of the three senders interleave.
                    let line = format!("{name} says {number}\n");
                    if std::io::Write::write_all(&mut stream, line.as_bytes()).is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    for sender in sending {
        let _ = sender.join();
    }
    for (receiver, receiver_name) in names.into_iter().enumerate() {
        let expected_senders: Vec<&str> = senders
            .iter()
            .copied()
            .filter(|&sender| sender != receiver_name)
            .collect();
        let mut next: HashMap<&str, usize> = expected_senders.iter().map(|&s| (s, 0)).collect();
        let total = expected_senders.len() * LINES;
        for _ in 0..total {
            let heard = chat.members[receiver].client.hear();
            let line = heard.line().unwrap_or("");
            // `<sender>: <sender> says <n>`, or a line of a sender without the name in front.
            let (relayed, text) = match line.split_once(": ") {
                Some((_, text)) => (true, text),
                None => (false, line),
            };
            let said = text.split_once(" says ").and_then(|(sender, number)| {
                Some((
                    *next.get_key_value(sender)?.0,
                    number.parse::<usize>().ok()?,
                ))
            });
            let due = said.map(|(sender, _)| next[sender]);
            if let Some((sender, number)) = said
                && relayed
                && Some(number) == due
            {
                *next.entry(sender).or_default() += 1;
                continue;
            }
            // Framing mistakes show up here first: two lines read as one (relayed with an
            // escaped `\n` inside, or the second without a name in front), a line cut where a
            // read ended, or lines lost between two reads (a number skipped).
            let framing = heard.line().is_some()
                && (text.contains("\\n")
                    || said.is_none()
                    || !relayed
                    || said.zip(due).is_some_and(|((_, number), due)| number > due));
            let so_far: Vec<String> = next.iter().map(|(s, n)| format!("{n} of {s}'s")).collect();
            chat.fail(Problem {
                check: "each receiver gets one sender's lines whole and in the order sent".into(),
                did: format!(
                    "ann, ben and cat each sent {LINES} lines (\"<name> says <n>\") at the \
                     same time, one write per line; dan only listened"
                ),
                expected: format!(
                    "{receiver_name} hears every line of {} in order, each as \
                     \"<sender>: <sender> says <n>\"",
                    expected_senders.join(" and ")
                ),
                got: format!(
                    "after {} lines, {receiver_name} heard {}",
                    so_far.join(", "),
                    heard.describe(STEP)
                ),
                hint: if framing {
                    "lines were glued together or lost on the way in: a line is everything up \
                     to its \\n, however the reads cut the bytes, and what one read brings past \
                     the \\n belongs to the next line (keep one buffered reader per client)."
                } else {
                    "put each line in every queue before the next line of anyone, and write \
                     each client's queue in order: one queue, one writer."
                }
                .into(),
                section: if framing { FRAMING } else { FAN_OUT }.into(),
            });
        }
    }
    chat.finish();
}
