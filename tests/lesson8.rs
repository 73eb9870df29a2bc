//! # Lesson 8 tests: the chat server
//!
//! Each test starts your server on port 0, reads the `Listening on ...` line to learn the
//! address, and plays several chat clients at once, each a real TCP connection: some polite,
//! some that leave rudely, one that never reads. What every client hears is checked line by
//! line, in order.
//!
//! Run them with `cargo test -p lesson8`. The same file also checks the reference solution
//! (`cargo test -p lesson8-solution`).

use std::collections::HashMap;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use harness::chat::{ChatClient, Heard, memory_of};
use harness::common::{self, Role, Transport};
use harness::{Lesson, Problem, Running, STEP, shown};

const LESSON: Lesson = harness::lesson!(8);

// Book sections the reports point to (headings of book/src/lesson8.md).
const LISTENING: &str = "Listening";
const ARGUMENTS: &str = "Arguments and exit codes";
const PROTOCOL: &str = "The protocol";
const QUEUE: &str = "TODO(1): a bounded queue per client";
const FRAMING: &str = "TODO(2): lines in any pieces";
const JOINING: &str = "TODO(3): joining the room";
const LEAVING: &str = "TODO(4): leaving, however a client leaves";
const FAN_OUT: &str = "Fan-out: everyone else, in order";
const COMMANDS: &str = "Commands: /who and /quit";
const SLOW_READER: &str = "Backpressure and the slow reader";
const IDLE: &str = "Idle clients";
const TOO_LONG: &str = "Lines that are too long";
const SHUTDOWN: &str = "Graceful shutdown";
const TERMINAL: &str = "Peer text on the terminal";

const WELCOME: &str = "Welcome! Your name?";

/// A server under test and the chat clients the test has named, in the order they joined.
struct Chat {
    server: Running,
    address: SocketAddr,
    members: Vec<Member>,
}

/// A named chat client.
struct Member {
    name: String,
    client: ChatClient,
}

impl Chat {
    /// Starts the server with these options and the port `0`.
    fn start(options: &[&str]) -> Chat {
        let mut args = options.to_vec();
        args.push("0");
        let mut server = Running::start(LESSON, &args);
        let address = server.listening_address(LISTENING);
        Chat {
            server,
            address,
            members: Vec::new(),
        }
    }

    /// Connects a client and checks that it is welcomed; it has no name yet.
    fn connect(&mut self) -> ChatClient {
        let mut client = match ChatClient::connect(self.address) {
            Ok(client) => client,
            Err(error) => self.fail(Problem {
                check: "the server accepts every client".into(),
                did: format!(
                    "connected to {}, the address your server printed",
                    self.address
                ),
                expected: "the connection is accepted".into(),
                got: format!("the error {error}"),
                hint: "keep the listener alive and accept in a loop, a task per client.".into(),
                section: PROTOCOL.into(),
            }),
        };
        self.expect(
            &mut client,
            WELCOME,
            Problem {
                check: "a client that connects is asked its name".into(),
                did: "connected a new client".into(),
                hint: "queue \"Welcome! Your name?\\n\" for it as soon as it is accepted.".into(),
                section: PROTOCOL.into(),
                ..Problem::default()
            },
        );
        client
    }

    /// Connects a client, names it, and checks the greeting and that every member already
    /// there hears `* <name> joined`. Returns the new member's index.
    fn join(&mut self, name: &str) -> usize {
        let mut client = self.connect();
        self.name(&mut client, name);
        self.members.push(Member {
            name: name.into(),
            client,
        });
        self.members.len() - 1
    }

    /// Sends `name` as the name of a welcomed client and checks the replies, to it and to the
    /// members, as [`Chat::join`] does.
    fn name(&mut self, client: &mut ChatClient, name: &str) {
        let _ = client.say(name);
        let online = self.members.len() + 1;
        self.expect(
            client,
            &format!("Hello {name}! {online} online"),
            Problem {
                check: "a client with a valid, free name is greeted with the number online".into(),
                did: format!(
                    "with {} named clients connected, a new client sent the name {name:?}",
                    online - 1
                ),
                hint: "the count includes the new client. Greet it before anyone else's line \
                       can reach it: queue the greeting while you hold the room's lock."
                    .into(),
                section: JOINING.into(),
                ..Problem::default()
            },
        );
        for index in 0..self.members.len() {
            self.expect_member(
                index,
                &format!("* {name} joined"),
                Problem {
                    check: "every named client hears who joined".into(),
                    did: format!("a new client took the name {name:?}"),
                    hint: "after adding the name, send \"* <name> joined\" to every other \
                           member, still under the lock."
                        .into(),
                    section: JOINING.into(),
                    ..Problem::default()
                },
            );
        }
    }

    /// Fails with `problem` unless `client` hears exactly `expected` next. `problem.expected`
    /// defaults to the line itself; `got` is filled in here.
    fn expect(&mut self, client: &mut ChatClient, expected: &str, problem: Problem) {
        let heard = client.hear();
        if heard.line() != Some(expected) {
            self.fail(Problem {
                expected: if problem.expected.is_empty() {
                    format!("the line {}", shown(expected.as_bytes()))
                } else {
                    problem.expected
                },
                got: heard.describe(STEP),
                ..problem
            });
        }
    }

    /// [`Chat::expect`] for the member at `index`, named in the report.
    fn expect_member(&mut self, index: usize, expected: &str, problem: Problem) {
        let heard = self.members[index].client.hear();
        if heard.line() != Some(expected) {
            let name = self.members[index].name.clone();
            self.fail(Problem {
                expected: format!("{name} hears {}", shown(expected.as_bytes())),
                got: format!("{name} heard {}", heard.describe(STEP)),
                ..problem
            });
        }
    }

    /// Fails unless `client` hears `expected` and then the end of the connection, a clean
    /// one: no reset, nothing after the line.
    fn expect_last_words(&mut self, client: &mut ChatClient, expected: &str, problem: Problem) {
        let last = client.hear();
        let after = if last.line() == Some(expected) {
            client.hear()
        } else {
            Heard::Silence {
                partial: Vec::new(),
            }
        };
        let clean = matches!(&after, Heard::Closed { partial } if partial.is_empty());
        if last.line() != Some(expected) || !clean {
            self.fail(Problem {
                expected: format!(
                    "the line {}, then the connection closed cleanly",
                    shown(expected.as_bytes())
                ),
                got: format!("{}, then {}", last.describe(STEP), after.describe(STEP)),
                ..problem
            });
        }
    }

    /// Member `index` sends `text` as one line.
    fn say(&mut self, index: usize, text: &str) {
        // A failed send shows up in the check that follows, with the server's output.
        let _ = self.members[index].client.say(text);
    }

    /// Fails the test if the server panicked, even in a task that the others survived: a
    /// `todo!()` still in the program is named, so the learner knows what to do next.
    fn finish(mut self) {
        if self.server.stderr().contains("panicked") {
            self.fail(Problem {
                check: "the server never panics, whatever its clients do".into(),
                did: "ran the whole test".into(),
                expected: "no panic".into(),
                got: "a panic in one of its tasks (see stderr below)".into(),
                hint: "a panic in a task ends that task only, so the server seemed to go on; \
                       find the line in the message below."
                    .into(),
                section: PROTOCOL.into(),
            });
        }
    }

    fn fail(&mut self, problem: Problem) -> ! {
        self.server.fail(problem)
    }
}

/// The first line is `Listening on <ip>:<port>` with the real port, on 127.0.0.1 for a bare
/// port number.
#[test]
fn prints_the_real_address_it_listens_on() {
    common::check_real_address_printed(
        &LESSON,
        "print listener.local_addr(), not the argument.",
        LISTENING,
    );
}

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
            let in_order = heard.line().and_then(|line| {
                let (sender, rest) = line.split_once(": ")?;
                let number: usize = rest
                    .strip_prefix(sender)?
                    .strip_prefix(" says ")?
                    .parse()
                    .ok()?;
                let expected = next.get_mut(sender)?;
                (number == *expected).then(|| *expected += 1)
            });
            if in_order.is_none() {
                let so_far: Vec<String> =
                    next.iter().map(|(s, n)| format!("{n} of {s}'s")).collect();
                chat.fail(Problem {
                    check: "each receiver gets one sender's lines whole and in the order sent"
                        .into(),
                    did: format!(
                        "ann, ben and cat each sent {LINES} lines (\"<name> says <n>\") at the \
                         same time; dan only listened"
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
                    hint: "put each line in every queue before the next line of anyone, and \
                           write each client's queue in order: one queue, one writer."
                        .into(),
                    section: FAN_OUT.into(),
                });
            }
        }
    }
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

impl Chat {
    /// Fails unless member `index` hears `* <name> left` next.
    fn expect_left(&mut self, index: usize, name: &str) {
        self.expect_member(
            index,
            &format!("* {name} left"),
            Problem {
                check: "the others hear that a client left, however it left".into(),
                did: format!("{name} left"),
                hint: "tell the room from a guard's Drop, which runs on every way out.".into(),
                section: LEAVING.into(),
                ..Problem::default()
            },
        );
    }
}

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
fn a_line_over_64_kib_gets_an_error_and_the_client_is_let_go() {
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
    chat.expect_left(0, "mallory");
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

// ---------------------------------------------------------------------------------------
// The slow reader
// ---------------------------------------------------------------------------------------

/// Bytes of each line the flood sends, `\n` included.
const FLOOD_LINE: usize = 1024;
/// Lines each of the two senders sends: 2 × 5,120 lines of 1 KiB make 10 MiB in all.
const FLOOD_LINES: usize = 5 * 1024;
/// How many lines a sender may be ahead of the slowest client that reads. The server's queue
/// for a reading client then never holds more than 2 × 200 lines of 1 KiB, well under the
/// bounds (1,000 lines, 1 MiB), so a correct server never cuts off a client that reads.
const WINDOW: usize = 200;
/// A client that reads must hear a line at least this often while the flood lasts.
const FLOOD_STEP: Duration = Duration::from_secs(10);
/// The most the server may take, at its peak, while the flood lasts: its queues and buffers
/// for 1 MiB per client plus what its runtime needs, and room to spare. A server that kept
/// the 10 MiB it could not deliver would still fit: that one is caught by the cut-off check.
const MEMORY_BOUND_MIB: u64 = 32;

/// How far each receiver got in each sender's lines, shared by the test's threads.
struct Progress {
    heard: Mutex<HashMap<(String, String), usize>>,
    changed: Condvar,
}

impl Progress {
    /// Records that `receiver` has heard line `number` of `sender`.
    fn record(&self, receiver: &str, sender: &str, number: usize) {
        let mut heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
        heard.insert((receiver.into(), sender.into()), number + 1);
        self.changed.notify_all();
    }

    /// Waits until every one of `receivers` has heard at least `count` lines of `sender`.
    fn wait_for(&self, receivers: &[&str], sender: &str, count: usize) -> bool {
        let deadline = Instant::now() + FLOOD_STEP;
        let mut heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let slowest = receivers
                .iter()
                .map(|r| {
                    *heard
                        .get(&((*r).to_string(), sender.to_string()))
                        .unwrap_or(&0)
                })
                .min()
                .unwrap_or(count);
            if slowest >= count {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            heard = match self.changed.wait_timeout(heard, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

/// One flood line: `"<sender> <number> ...padding"`, `FLOOD_LINE` bytes with the `\n`.
fn flood_line(sender: &str, number: usize) -> String {
    let mut line = format!("{sender} {number:05} ");
    line.extend(std::iter::repeat_n('.', FLOOD_LINE - 1 - line.len()));
    line.push('\n');
    line
}

/// Checks one relayed flood line: `"<sender>: <sender> <number> ..."`, the next one of that
/// sender. Returns the sender's name.
fn check_flood_line<'a>(
    line: &str,
    senders: &[&'a str],
    next: &mut HashMap<&'a str, usize>,
) -> Result<&'a str, String> {
    let wrong = || format!("the line {}", shown(line.as_bytes()));
    let (sender, text) = line.split_once(": ").ok_or_else(wrong)?;
    let sender = *senders.iter().find(|s| **s == sender).ok_or_else(wrong)?;
    let expected = next.get_mut(sender).ok_or_else(wrong)?;
    if text != flood_line(sender, *expected).trim_end_matches('\n') {
        return Err(format!(
            "{} where line {} of {sender} was due",
            wrong(),
            *expected
        ));
    }
    *expected += 1;
    Ok(sender)
}

/// The two clients that send the flood, and the three that read it.
const SENDERS: [&str; 2] = ["alice", "bob"];
const READERS: [&str; 3] = ["alice", "bob", "carol"];

/// A reading client of the flood: hears every line of the senders (but its own) in order,
/// records its progress, and notes `* snail left`; returns when it has heard all of that, or
/// what went wrong instead.
fn listen_to_flood(name: &str, client: &mut ChatClient, progress: &Progress) -> Option<String> {
    let from: Vec<&str> = SENDERS.into_iter().filter(|s| *s != name).collect();
    let mut next: HashMap<&str, usize> = from.iter().map(|s| (*s, 0)).collect();
    let mut snail_left = false;
    while !(snail_left && next.values().all(|count| *count == FLOOD_LINES)) {
        let heard = client.hear_within(FLOOD_STEP);
        let problem = match heard.line() {
            Some("* snail left") if !snail_left => {
                snail_left = true;
                continue;
            }
            Some(line) => match check_flood_line(line, &from, &mut next) {
                Ok(sender) => {
                    progress.record(name, sender, next[sender] - 1);
                    continue;
                }
                Err(problem) => problem,
            },
            None => heard.describe(FLOOD_STEP),
        };
        let so_far: Vec<String> = next
            .iter()
            .map(|(s, n)| format!("{n} lines of {s}"))
            .collect();
        let notice = if snail_left { "and" } else { "but not yet" };
        return Some(format!(
            "{name}, after {} {notice} \"* snail left\", heard {problem}",
            so_far.join(" and ")
        ));
    }
    None
}

/// A client that never reads, while two others send 10 MiB in all: it is cut off (with
/// `ERROR too slow` if that can still reach it), the others hear every line and that it
/// left, and the server's memory stays under a bound.
#[test]
fn a_client_that_never_reads_is_cut_off_and_the_others_miss_nothing() {
    let mut chat = Chat::start(&[]);
    for name in READERS.into_iter().chain(["snail"]) {
        chat.join(name);
    }
    let before = memory_of(chat.server.id());
    let mut readers = std::mem::take(&mut chat.members);
    let Some(snail) = readers.pop() else { return };
    let progress = Arc::new(Progress {
        heard: Mutex::new(HashMap::new()),
        changed: Condvar::new(),
    });
    let started = Instant::now();
    let (mut threads, mut listeners) = (Vec::new(), Vec::new());
    for (name, member) in READERS.into_iter().zip(readers) {
        if SENDERS.contains(&name) {
            let stream = member.client.stream().try_clone();
            let progress = Arc::clone(&progress);
            threads.push(thread::spawn(move || match stream {
                Ok(stream) => send_flood(name, stream, &progress),
                Err(error) => Some(format!("the test could not send from {name}: {error}")),
            }));
        }
        let progress = Arc::clone(&progress);
        // The listener hands its client back: every connection stays open until all threads
        // are done, so that no one's leaving blurs what the others report.
        listeners.push(thread::spawn(move || {
            let mut client = member.client;
            (listen_to_flood(name, &mut client, &progress), client)
        }));
    }
    let mut problems: Vec<String> = threads
        .into_iter()
        .filter_map(|thread| {
            thread
                .join()
                .unwrap_or(Some("a test thread panicked".into()))
        })
        .collect();
    let mut still_open = Vec::new();
    for listener in listeners {
        match listener.join() {
            Ok((problem, client)) => {
                problems.extend(problem);
                still_open.push(client);
            }
            Err(_) => problems.push("a test thread panicked".into()),
        }
    }
    let took = started.elapsed();
    let after = memory_of(chat.server.id());
    if let Some(problem) = problems.first() {
        let others = match problems.len() {
            1 => String::new(),
            more => format!(" (and {} more problems)", more - 1),
        };
        chat.fail(Problem {
            check: "a client that never reads slows no one down, and no one misses a line".into(),
            did: "alice, bob, carol and snail joined; snail never read again, while alice \
                  and bob each sent 5 MiB (5,120 lines of 1 KiB), never more than 200 lines \
                  ahead of the slowest reader"
                .into(),
            expected: "alice, bob and carol hear every line of the others, in order, and \
                       \"* snail left\""
                .into(),
            got: format!("{problem}{others}"),
            hint: "never wait for room in a client's queue, and never hold the room's lock \
                   across an .await: a full queue means that client is too slow, so cut it \
                   off. (A queue without a bound would grow instead.)"
                .into(),
            section: SLOW_READER.into(),
        });
    }
    check_snail_was_cut_off(&mut chat, snail.client);
    check_memory(&mut chat, before, after, took);
    drop(still_open);
    chat.finish();
}

/// One sender of the flood: `FLOOD_LINES` lines, each sent once the other readers have heard
/// the line `WINDOW` before it. Returns what went wrong, if anything.
fn send_flood(name: &str, mut stream: TcpStream, progress: &Progress) -> Option<String> {
    let readers: Vec<&str> = READERS.into_iter().filter(|r| *r != name).collect();
    for number in 0..FLOOD_LINES {
        if number >= WINDOW && !progress.wait_for(&readers, name, number + 1 - WINDOW) {
            return Some(format!(
                "{name} had sent {number} lines; for {} s, one of {} did not hear line {}",
                FLOOD_STEP.as_secs(),
                readers.join(", "),
                number - WINDOW
            ));
        }
        let line = flood_line(name, number);
        if let Err(error) = std::io::Write::write_all(&mut stream, line.as_bytes()) {
            return Some(format!("{name} could not send line {number}: {error}"));
        }
    }
    None
}

/// The client that never read: once it reads, it finds its connection closed after lines
/// with no gap (the last one perhaps cut short), and perhaps `ERROR too slow`.
fn check_snail_was_cut_off(chat: &mut Chat, mut snail: ChatClient) {
    let (lines, end) = snail.hear_to_end(STEP * 2);
    let mut next: HashMap<&str, usize> = SENDERS.iter().map(|s| (*s, 0)).collect();
    let said_why = lines
        .last()
        .is_some_and(|line| line.ends_with("ERROR too slow"));
    let mut problem = None;
    for (index, line) in lines.iter().enumerate() {
        let last = index + 1 == lines.len();
        // Best effort: the last words may come after a line cut short, or even glued to it.
        let (line, before_last_words) = match line.strip_suffix("ERROR too slow") {
            Some(rest) if last => (rest, true),
            _ => (line.as_str(), said_why && index + 2 == lines.len()),
        };
        let cut_short = |line: &str| {
            SENDERS.iter().any(|sender| {
                let due = format!("{sender}: {}", flood_line(sender, next[sender]));
                due.starts_with(line)
            })
        };
        if (last && line.is_empty()) || (before_last_words && cut_short(line)) {
            continue;
        }
        if let Err(wrong) = check_flood_line(line, &SENDERS, &mut next) {
            problem = Some(format!("after {index} lines, {wrong}"));
            break;
        }
    }
    let cut_off = end.is_end();
    eprintln!(
        "note: the client that never read then heard {} lines, {}, then {}",
        lines.len(),
        if said_why {
            "the last \"ERROR too slow\""
        } else {
            "no \"ERROR too slow\""
        },
        end.describe(STEP * 2)
    );
    if problem.is_some() || !cut_off {
        let heard: Vec<String> = next
            .iter()
            .map(|(s, n)| format!("{n} lines of {s}"))
            .collect();
        chat.fail(Problem {
            check: "a client past its bound is cut off, and never silently skips lines".into(),
            did: "snail never read while 10 MiB went by; then the test read what it had been \
                  sent"
                .into(),
            expected: "lines of alice and bob in order with none missing, then (perhaps) \
                       \"ERROR too slow\", then the connection closed"
                .into(),
            got: match problem {
                Some(problem) => problem,
                None => format!(
                    "{} and then {}: still connected",
                    heard.join(" and "),
                    end.describe(STEP * 2)
                ),
            },
            hint: "when a line does not fit in a client's queue, do not drop it and go on: \
                   cut that client off (ERROR too slow, then close), so that it knows."
                .into(),
            section: QUEUE.into(),
        });
    }
}

/// The server's peak memory stays under [`MEMORY_BOUND_MIB`]. Read from `/proc` on Linux;
/// elsewhere this part is skipped, with a note.
fn check_memory(
    chat: &mut Chat,
    before: Option<harness::chat::Memory>,
    after: Option<harness::chat::Memory>,
    took: Duration,
) {
    let (Some(before), Some(after)) = (before, after) else {
        eprintln!("note: the server's memory is not checked here (no /proc on this system)");
        return;
    };
    eprintln!(
        "note: flood of 10 MiB in {:.2} s; server memory: {} KiB before, {} KiB after, \
         {} KiB at its peak",
        took.as_secs_f64(),
        before.resident_kib,
        after.resident_kib,
        after.peak_kib
    );
    if after.peak_kib > MEMORY_BOUND_MIB * 1024 {
        chat.fail(Problem {
            check: "the server's memory stays bounded however clients read".into(),
            did: "a client never read while 10 MiB were sent to the room".into(),
            expected: format!("a peak under {MEMORY_BOUND_MIB} MiB"),
            got: format!(
                "{} MiB at the peak ({} MiB before the flood)",
                after.peak_kib / 1024,
                before.resident_kib / 1024
            ),
            hint: "bound every client's queue (1,000 lines or 1 MiB) and share one copy of \
                   each line between the queues (Arc<str>)."
                .into(),
            section: SLOW_READER.into(),
        });
    }
}

// ---------------------------------------------------------------------------------------
// Shutdown and the command line
// ---------------------------------------------------------------------------------------

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

/// A missing, extra or malformed argument or option prints a usage line and exits 2.
#[test]
fn bad_arguments_print_usage_and_exit_2() {
    common::check_usage_errors(
        &LESSON,
        Role::Server,
        &common::BAD_SERVER_ARGUMENTS,
        ARGUMENTS,
    );
    let lesson_8: [&[&str]; 7] = [
        &["--idle-timeout", "0", "1234"],
        &["--idle-timeout", "86401", "1234"],
        &["--idle-timeout", "soon", "1234"],
        &["--idle-timeout", "1234"],
        &["--idle-timeout", "5", "--idle-timeout", "6", "1234"],
        &["--max-clients", "5", "1234"],
        &["1234", "--idle-timeout", "5"],
    ];
    common::check_usage_errors(&LESSON, Role::Server, &lesson_8, ARGUMENTS);
}

/// A port already taken by another program: one error line naming it, exit status 1.
#[test]
fn a_port_in_use_is_one_line_and_status_1() {
    common::check_port_in_use(&LESSON, Transport::Tcp, LISTENING);
}
