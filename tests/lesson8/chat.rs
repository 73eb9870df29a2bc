//! The server under test and the chat clients a test has named: start it, connect, join,
//! and check what each client hears, with a report that names the client.

use std::net::SocketAddr;

use harness::chat::{ChatClient, Heard};
use harness::{Problem, Running, STEP, shown};

use crate::{FAN_OUT, JOINING, LEAVING, LESSON, LISTENING, PROTOCOL};

/// What a client hears first.
const WELCOME: &str = "Welcome! Your name?";

/// A server under test and the chat clients the test has named, in the order they joined.
pub(crate) struct Chat {
    pub(crate) server: Running,
    pub(crate) address: SocketAddr,
    pub(crate) members: Vec<Member>,
}

/// A named chat client.
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) client: ChatClient,
}

impl Chat {
    /// Starts the server with these options and the port `0`.
    pub(crate) fn start(options: &[&str]) -> Chat {
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
    pub(crate) fn connect(&mut self) -> ChatClient {
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
    pub(crate) fn join(&mut self, name: &str) -> usize {
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
    pub(crate) fn name(&mut self, client: &mut ChatClient, name: &str) {
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
            let heard = self.members[index].client.hear();
            if heard.line() == Some(&format!("* {name} joined")) {
                continue;
            }
            let member = self.members[index].name.clone();
            // Its own notice, heard after its greeting: it was sent to everyone.
            let echoed = heard.line() == Some(&format!("* {member} joined"));
            self.fail(Problem {
                check: "every named client hears who joined, and never of itself".into(),
                did: format!("a new client took the name {name:?}"),
                expected: format!("{member} hears \"* {name} joined\""),
                got: format!("{member} heard {}", heard.describe(STEP)),
                hint: if echoed {
                    format!(
                        "{member} heard of its own arrival: send a notice or a line to every \
                         member but the one it is about, or from."
                    )
                } else {
                    "after adding the name, send \"* <name> joined\" to every other member, \
                     still under the lock."
                        .into()
                },
                section: if echoed { FAN_OUT } else { JOINING }.into(),
            });
        }
    }

    /// Fails with `problem` unless `client` hears exactly `expected` next. `problem.expected`
    /// defaults to the line itself; `got` is filled in here.
    pub(crate) fn expect(&mut self, client: &mut ChatClient, expected: &str, problem: Problem) {
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
    pub(crate) fn expect_member(&mut self, index: usize, expected: &str, problem: Problem) {
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
    pub(crate) fn expect_last_words(
        &mut self,
        client: &mut ChatClient,
        expected: &str,
        problem: Problem,
    ) {
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
    pub(crate) fn say(&mut self, index: usize, text: &str) {
        // A failed send shows up in the check that follows, with the server's output.
        let _ = self.members[index].client.say(text);
    }

    /// Fails the test if the server panicked, even in a task that the others survived: a
    /// `todo!()` still in the program is named, so the learner knows what to do next.
    pub(crate) fn finish(mut self) {
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

    pub(crate) fn fail(&mut self, problem: Problem) -> ! {
        self.server.fail(problem)
    }

    /// Fails unless member `index` hears `* <name> left` next.
    pub(crate) fn expect_left(&mut self, index: usize, name: &str) {
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
