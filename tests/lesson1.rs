//! # Lesson 1 tests: the TCP client
//!
//! Each test starts a small TCP server inside the test (a [`FakeServer`] that records every
//! byte it receives), runs your client against it with some typed input, and checks what
//! arrived on the wire and what your client printed.
//!
//! Run them with `cargo test -p lesson1`. The same file also checks the reference solution
//! (`cargo test -p lesson1-solution`). The tests are in parts, in the folder `lesson1/`, named
//! so that their reports follow the TODOs (libtest runs and reports them by name):
//!
//! - here: the command line and the prompt, which are written for you;
//! - `todo1_conversation.rs`: the conversation loop, from the first line to STOP (TODO(1));
//! - `todo2_connect.rs`: connecting, by address or by name, and a refused connection (TODO(2));
//! - `todo3_send.rs`: every line sent with exactly one newline (TODO(3));
//! - `todo4_reply.rs`: the replies, odd ones, and a server that hangs up (TODO(4));
//! - `whole_client.rs`: what the whole program must survive (an output nobody reads);
//! - `further.rs`: the "Going further" exercises, off by default
//!   (`cargo test -p lesson1 -- --ignored`).
//!
//! Below: what the parts share, then the tests of what is written for you.

use harness::common::{self, Role};
use harness::{Answer, FakeServer, Finished, Lesson, STEP, shown};

#[path = "lesson1/further.rs"]
mod further;
#[path = "lesson1/todo1_conversation.rs"]
mod todo1_conversation;
#[path = "lesson1/todo2_connect.rs"]
mod todo2_connect;
#[path = "lesson1/todo3_send.rs"]
mod todo3_send;
#[path = "lesson1/todo4_reply.rs"]
mod todo4_reply;
#[path = "lesson1/whole_client.rs"]
mod whole_client;

const LESSON: Lesson = harness::lesson!(1);

// Book sections the reports point to (headings of book/src/lesson1.md).
const ARGUMENTS: &str = "Arguments and exit codes";
const PROMPT: &str = "The prompt";
const CONVERSATION: &str = "TODO(1): the conversation";
const CONNECTING: &str = "TODO(2): connecting";
const SENDING: &str = "TODO(3): sending a line";
const REPLY: &str = "TODO(4): reading the reply";
const FURTHER: &str = "Going further";

/// Replies `reply 1`, `reply 2`, ... to each line except STOP, which gets no reply.
fn numbered_replies() -> impl FnMut(&[u8]) -> Answer + Send + 'static {
    let mut count = 0;
    move |line| {
        if String::from_utf8_lossy(line).trim() == "STOP" {
            return Answer::Silence;
        }
        count += 1;
        Answer::Reply(format!("reply {count}\n").into_bytes())
    }
}

/// A server that sends these replies, one per line received, then stays silent.
fn scripted_replies(replies: Vec<Vec<u8>>) -> impl FnMut(&[u8]) -> Answer + Send + 'static {
    let mut replies = replies.into_iter();
    move |_| match replies.next() {
        Some(reply) => Answer::Reply(reply),
        None => Answer::Silence,
    }
}

/// Runs the client against `server` with `typed` as its whole input.
fn run_client(server: &FakeServer, typed: &str) -> Finished {
    let address = server.address().to_string();
    harness::run_to_end(&LESSON, &[&address], typed.as_bytes(), STEP)
}

/// What the bytes a server received show about how lines are sent, when they show a mistake
/// of TODO(3): the hint and its section. A test that saw the wrong bytes, or a reply that
/// never came, asks this first, so that the report names the mistake the evidence shows
/// rather than the one its own check is about.
fn sending_mistake(received: &[u8]) -> Option<(String, &'static str)> {
    if received.windows(2).any(|pair| pair == b"\n\n") {
        return Some((
            format!(
                "the server received {}: every line was followed by an empty one. The line \
                 your program sends must end with exactly one \\n: the text from the \
                 keyboard has none left, add one, not two.",
                shown(received)
            ),
            SENDING,
        ));
    }
    if !received.is_empty() && !received.ends_with(b"\n") {
        return Some((
            format!(
                "the server received {} and no \\n after it, so for the server the line has \
                 not ended: it waits for the rest, and never replies. Send the text and then \
                 one \\n.",
                shown(received)
            ),
            SENDING,
        ));
    }
    None
}

/// A missing, extra or malformed argument prints a usage line and exits 2.
#[test]
fn bad_arguments_print_usage_and_exit_2() {
    common::check_usage_errors(
        &LESSON,
        Role::Client,
        &common::BAD_CLIENT_ARGUMENTS,
        ARGUMENTS,
    );
}

/// The prompt `>> ` is printed, and flushed, before the client waits for input.
#[test]
fn prints_the_prompt_before_waiting_for_input() {
    let server = FakeServer::start(numbered_replies());
    common::check_prompt_before_input(&LESSON, server.address(), PROMPT);
}
