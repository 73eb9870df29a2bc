//! The other bound of a client's queue: 1 MiB, which long lines reach long before 1,000
//! lines. A slow reader is cut off there, and the client that reads misses nothing.

use harness::{Problem, STEP};

use crate::chat::Chat;
use crate::{QUEUE, SLOW_READER};

/// Lines the long-line test sends, and the length of each: 250 × 60,000 bytes, 15 MB in
/// all, more than the socket buffers of any system take plus the 1 MiB of a queue.
const LONG_LINES: usize = 250;
const LONG_LINE: usize = 60_000;

/// A client that never reads while another sends long lines: the 1 MiB bound cuts it off
/// long before 1,000 lines would (1,000 lines of 60 kB are 60 MB), and the client that
/// reads hears every line.
#[test]
fn long_lines_count_against_the_1_mib_bound() {
    let mut chat = Chat::start(&[]);
    for name in ["alice", "carol", "snail"] {
        chat.join(name);
    }
    let mut snail_left = false;
    for number in 0..LONG_LINES {
        let mut line = format!("{number:03} ");
        line.extend(std::iter::repeat_n('~', LONG_LINE - line.len()));
        chat.say(0, &line);
        let mut heard = chat.members[1].client.hear();
        if !snail_left && heard.line() == Some("* snail left") {
            snail_left = true;
            heard = chat.members[1].client.hear();
        }
        if heard.line().and_then(|l| l.strip_prefix("alice: ")) != Some(line.as_str()) {
            chat.fail(Problem {
                check: "a client that reads hears every line, however another one reads".into(),
                did: format!(
                    "alice, carol and snail joined; snail never read; alice sent {LONG_LINE}-byte \
                     lines, each once carol had heard the one before; this was line {number}"
                ),
                expected: format!("carol hears \"alice: {number:03} ~~~...\""),
                got: format!("carol heard {}", shown_start(&heard.describe(STEP))),
                hint: "never wait for room in a client's queue: a full queue means that client \
                       is too slow, so cut it off."
                    .into(),
                section: SLOW_READER.into(),
            });
        }
    }
    // snail reads only now: what the system had buffered for it, then the end.
    let mut snail = chat.members.remove(2).client;
    let (lines, end) = snail.hear_to_end(STEP * 2);
    if !end.is_end() {
        chat.fail(Problem {
            check: "a queue holds at most 1 MiB, however few lines that is".into(),
            did: format!(
                "snail never read while alice sent {LONG_LINES} lines of {LONG_LINE} bytes \
                 ({} MB); then snail read what it had been sent",
                LONG_LINES * LONG_LINE / 1_000_000
            ),
            expected: "snail was cut off: the connection ends after some of the lines".into(),
            got: format!(
                "{} lines, then {}: still connected",
                lines.len(),
                shown_start(&end.describe(STEP * 2))
            ),
            hint: "count the bytes in each queue as well as the lines: past 1 MiB the client \
                   is too slow, even with far fewer than 1,000 lines queued."
                .into(),
            section: QUEUE.into(),
        });
    }
    if !snail_left {
        chat.expect_left(1, "snail");
    }
    chat.finish();
}

/// The start of a long description, for a report that stays readable.
fn shown_start(text: &str) -> String {
    match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}... ({} bytes in all)", &text[..cut], text.len()),
        None => text.to_string(),
    }
}
