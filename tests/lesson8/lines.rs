//! Lines: in any pieces (TODO(2)), too long, too slow in coming (the idle timeout), and
//! never shown raw on the server's terminal.

use std::thread;
use std::time::{Duration, Instant};

use harness::chat::{ChatClient, Heard};
use harness::{Problem, STEP, shown};

use crate::chat::Chat;
use crate::{FRAMING, IDLE, JOINING, LEAVING, PROTOCOL, TERMINAL, TOO_LONG};

/// A name and a line sent one byte at a time, each byte in a packet of its own, arrive whole.
#[test]
fn lines_sent_a_byte_at_a_time_arrive_whole() {
    let mut chat = Chat::start(&[]);
    chat.join("alice");
    let mut client = chat.connect();
    send_byte_by_byte(&mut chat, &mut client, b"carol\r\n");
    chat.expect(
        &mut client,
        "Hello carol! 2 online",
        Problem {
            check: "a name sent in pieces is read whole".into(),
            did: "sent \"carol\\r\\n\" one byte per packet".into(),
            hint: "keep one buffered reader per connection and read until the \\n: a line \
                   is not what one read returns."
                .into(),
            section: FRAMING.into(),
            ..Problem::default()
        },
    );
    chat.expect_member(
        0,
        "* carol joined",
        Problem {
            check: "every named client hears who joined".into(),
            did: "carol joined, its name sent one byte per packet".into(),
            section: JOINING.into(),
            ..Problem::default()
        },
    );
    send_byte_by_byte(&mut chat, &mut client, b"hello in pieces\n");
    chat.expect_member(
        0,
        "carol: hello in pieces",
        Problem {
            check: "a line sent in pieces arrives whole, once".into(),
            did: "carol sent \"hello in pieces\\n\" one byte per packet".into(),
            hint: "keep one buffered reader per connection and read until the \\n: a line \
                   is not what one read returns."
                .into(),
            section: FRAMING.into(),
            ..Problem::default()
        },
    );
    chat.finish();
}

/// Sends `bytes` one per packet, waiting a moment after each so that the server gets them
/// one by one; fails if anything comes back before the line has ended.
fn send_byte_by_byte(chat: &mut Chat, client: &mut ChatClient, bytes: &[u8]) {
    let moment = Duration::from_millis(10);
    for (index, byte) in bytes.iter().enumerate() {
        let _ = client.send(&[*byte]);
        if index + 1 == bytes.len() {
            return;
        }
        // The wait doubles as a check: silence, since the line has not ended yet.
        let heard = client.hear_within(moment);
        if heard
            != (Heard::Silence {
                partial: Vec::new(),
            })
        {
            chat.fail(Problem {
                check: "nothing is answered before a line has ended".into(),
                did: format!(
                    "sent {} one byte per packet; {} so far",
                    shown(bytes),
                    shown(&bytes[..=index])
                ),
                expected: "no reply before the \\n".into(),
                got: heard.describe(moment),
                hint: "a line is everything up to the \\n, not what one read returns: keep \
                       reading until the \\n comes."
                    .into(),
                section: FRAMING.into(),
            });
        }
    }
}

/// A name and 100 lines sent in one write all arrive, in order, each on its own.
#[test]
fn many_lines_in_one_write_all_arrive_in_order() {
    let mut chat = Chat::start(&[]);
    chat.join("alice");
    let mut client = chat.connect();
    let mut burst = String::from("bob\n");
    for number in 1..=100 {
        burst.push_str(&format!("line {number}\n"));
    }
    let _ = client.send(burst.as_bytes());
    chat.expect(
        &mut client,
        "Hello bob! 2 online",
        Problem {
            check: "a name followed at once by more lines is read alone".into(),
            did: "sent \"bob\\nline 1\\nline 2\\n...line 100\\n\" in one write".into(),
            hint: "a read may bring several lines: split at each \\n and keep the rest for \
                   the next line."
                .into(),
            section: FRAMING.into(),
            ..Problem::default()
        },
    );
    let mut expected = vec!["* bob joined".to_string()];
    expected.extend((1..=100).map(|number| format!("bob: line {number}")));
    for line in expected {
        chat.expect_member(
            0,
            &line,
            Problem {
                check: "several lines in one read are each delivered, in order".into(),
                did: "bob sent its name and 100 lines in one write".into(),
                hint: "a read may bring several lines: split at each \\n and keep the rest \
                       (a BufReader does) for the next line."
                    .into(),
                section: FRAMING.into(),
                ..Problem::default()
            },
        );
    }
    chat.finish();
}

/// A line of exactly 64 KiB is relayed; a longer one gets `ERROR line too long` and a clean
/// close, and the others hear that the client left.
#[test]
fn too_long_lines_get_an_error_and_the_client_is_let_go() {
    let mut chat = Chat::start(&[]);
    chat.join("alice");
    let index = chat.join("mallory");
    let longest = "x".repeat(netkit::MAX_LINE);
    chat.say(index, &longest);
    let relayed = chat.members[0].client.hear();
    if relayed.line().map(str::len) != Some("mallory: ".len() + netkit::MAX_LINE) {
        chat.fail(Problem {
            check: "a line of exactly 64 KiB is still a line".into(),
            did: "mallory sent a line of 65,536 \"x\"".into(),
            expected: "alice hears \"mallory: xxx...\" with all 65,536 x".into(),
            got: format!("alice heard {}", relayed.describe(STEP)),
            hint: "the limit is on the text, not counting the \\n or \\r\\n.".into(),
            section: TOO_LONG.into(),
        });
    }
    let mut mallory = chat.members.remove(index).client;
    // A megabyte without a newline, from a thread: the server stops reading part way.
    let flood = mallory.stream().try_clone();
    let sending = thread::spawn(move || {
        if let Ok(mut stream) = flood {
            let _ = std::io::Write::write_all(&mut stream, &vec![b'y'; 1 << 20]);
        }
    });
    chat.expect_last_words(
        &mut mallory,
        "ERROR line too long",
        Problem {
            check: "a line over 64 KiB is refused and that connection closed".into(),
            did: "mallory sent 1 MiB without a newline".into(),
            hint: "stop reading at 64 KiB: answer \"ERROR line too long\", then close as \
                   lesson 6 does, reading and discarding what still comes for a moment."
                .into(),
            section: TOO_LONG.into(),
            ..Problem::default()
        },
    );
    let _ = sending.join();
    let heard = chat.members[0].client.hear();
    if heard.line() != Some("* mallory left") {
        // Part of the megabyte relayed as a line: the line was cut where a read ended.
        let relayed = heard
            .line()
            .is_some_and(|line| line.starts_with("mallory: y"));
        chat.fail(Problem {
            check: "a line over 64 KiB is never relayed, not even in part".into(),
            did: "mallory sent 1 MiB without a newline, and heard \"ERROR line too long\"".into(),
            expected: "alice hears \"* mallory left\"".into(),
            got: format!("alice heard {}", heard.describe(STEP)),
            hint: if relayed {
                "a line ends at its \\n, not where a read ends: read until the \\n, or until \
                 the limit."
            } else {
                "tell the room from a guard's Drop, which runs on every way out."
            }
            .into(),
            section: if relayed { FRAMING } else { LEAVING }.into(),
        });
    }
    chat.finish();
}

/// With `--idle-timeout 2`: a client that sends no line for 2 s gets `ERROR idle timeout` and
/// is let go, even if it sends one byte of a line now and then; one that is still welcomed
/// and silent too. A client that sends a line every 0.4 s stays.
#[test]
fn idle_clients_are_let_go_even_if_they_trickle_bytes() {
    let mut chat = Chat::start(&["--idle-timeout", "2"]);
    let mut silent = chat.connect();
    chat.join("alice");
    let trickler = chat.join("tricky");
    let started = Instant::now();
    let give_up = Duration::from_secs(2) + STEP * 2;
    let mut cut = None;
    let mut left_heard = false;
    let mut round = 0;
    while !(cut.is_some() && left_heard) && started.elapsed() < give_up {
        round += 1;
        // tricky: one more byte of a line that never ends.
        let _ = chat.members[trickler].client.send(b"z");
        // alice: a whole line every other round, and it must never be cut.
        if round % 2 == 0 {
            chat.say(0, "still here");
        }
        // Each wait doubles as the pause between bytes (about 0.2 s).
        match chat.members[0]
            .client
            .hear_within(Duration::from_millis(200))
        {
            Heard::Line(line) if line == "* tricky left" => left_heard = true,
            Heard::Silence { partial } if partial.is_empty() => {}
            other => chat.fail(Problem {
                check: "a client that sends a line now and then is never idle".into(),
                did: "with --idle-timeout 2, alice sent a line about every 0.4 s".into(),
                expected: "alice hears nothing but \"* tricky left\"".into(),
                got: format!("alice heard {}", other.describe(STEP)),
                hint: "count the idle time from the client's last whole line, not from its \
                       connection."
                    .into(),
                section: IDLE.into(),
            }),
        }
        if cut.is_none() {
            let heard = chat.members[trickler]
                .client
                .hear_within(Duration::from_millis(1));
            match heard {
                Heard::Line(line) if line == "alice: still here" => {}
                Heard::Silence { .. } => {}
                other => cut = Some(other),
            }
        }
    }
    if cut.as_ref().and_then(Heard::line) != Some("ERROR idle timeout") || !left_heard {
        chat.fail(Problem {
            check: "a client that completes no line in time is let go".into(),
            did: "with --idle-timeout 2, tricky sent one byte of a line every 0.2 s, never a \
                  \\n"
            .into(),
            expected: "tricky hears \"ERROR idle timeout\" after about 2 s; alice hears \
                       \"* tricky left\""
                .into(),
            got: format!(
                "after {:.1} s, tricky heard {}; alice {} \"* tricky left\"",
                started.elapsed().as_secs_f64(),
                cut.map_or("nothing".into(), |heard| heard.describe(STEP)),
                if left_heard { "heard" } else { "did not hear" }
            ),
            hint: "a deadline per line: set it when a line starts being awaited, and do not \
                   move it when bytes arrive."
                .into(),
            section: IDLE.into(),
        });
    }
    chat.expect_last_words(
        &mut silent,
        "ERROR idle timeout",
        Problem {
            check: "a client that never sends its name is let go too".into(),
            did: "with --idle-timeout 2, a client connected and sent nothing".into(),
            hint: "the idle deadline runs from the connection, before the name too.".into(),
            section: IDLE.into(),
            ..Problem::default()
        },
    );
    chat.finish();
}

/// Text from the network never reaches the server's terminal raw: no control characters in
/// its output, whatever clients send.
#[test]
fn peer_text_never_reaches_the_terminal_raw() {
    let mut chat = Chat::start(&[]);
    chat.join("alice");
    let mut client = chat.connect();
    let _ = client.send(b"\x1b[2J\x1b]0;pwned\x07\n");
    chat.expect(
        &mut client,
        "ERROR bad name",
        Problem {
            check: "a name is 1 to 32 ASCII letters, digits, `_` or `-`".into(),
            did: "sent a name made of terminal escape sequences".into(),
            section: PROTOCOL.into(),
            ..Problem::default()
        },
    );
    chat.name(&mut client, "bob");
    let _ = client.send(b"\x1b]0;pwned\x07 hi \x1b[31mred\r\n");
    // Once alice hears it, the server has read it and had every chance to print it.
    let _ = chat.members[0].client.hear();
    let printed = chat.server.rest_of_stdout(Duration::from_millis(300));
    if printed.contains('\x1b') || printed.contains('\x07') {
        chat.fail(Problem {
            check: "control characters from the network are never printed raw".into(),
            did: "a client sent escape sequences as its name and in a line".into(),
            expected: "your server's output shows them escaped (\\x1b), or not at all".into(),
            got: format!("the output {}", shown(printed.as_bytes())),
            hint: "print peer text through netkit::printable.".into(),
            section: TERMINAL.into(),
        });
    }
    chat.finish();
}
