//! # Lesson 7 tests: the same server on async I/O
//!
//! Lesson 7 keeps every promise of lesson 6, so its tests are lesson 6's checks
//! (`harness::protected`, one source for both lessons): the two servers must behave the same
//! from the outside. Each test starts your server with small settings (`--idle-timeout 1`,
//! `--max-clients 3`) on port 0, and plays clients that misbehave: silent ones, one that drips
//! bytes without a newline, one too many, one that never reads. On Unix the shutdown tests
//! send your server SIGINT and SIGTERM, as Ctrl-C and `kill` do. Two checks connect 1,000
//! clients at once, which a task per client makes cheap.
//!
//! Run them with `cargo test -p lesson7`. The same file also checks the reference solution
//! (`cargo test -p lesson7-solution`). The tests are in parts, in the folder `lesson7/`, named
//! so that their reports follow the TODOs (libtest runs and reports them by name):
//!
//! - `todo1_cap.rs`: the cap, and the count of admitted clients (TODO(1));
//! - `todo2_deadline.rs`: a deadline for each line, and a line in pieces (TODO(2));
//! - `todo3_last_words.rs`: last words that arrive, before a clean close (TODO(3));
//! - `todo4_shutdown.rs`: Ctrl-C and SIGTERM: BYE to everyone, then exit in time (TODO(4));
//! - `whole_server.rs`: options, usage, lesson 5's answers, the log, and 1,000 clients;
//! - `further.rs`: the chapter's "Going further" extensions, off by default (`-- --ignored`).
//!
//! A check of TODO(1) needs TODO(2) to answer its clients: until then, its report says
//! "Next: TODO(2)", which is the step to take.

use harness::Lesson;
use harness::protected::Sections;

#[path = "lesson7/further.rs"]
mod further;
#[path = "lesson7/todo1_cap.rs"]
mod todo1_cap;
#[path = "lesson7/todo2_deadline.rs"]
mod todo2_deadline;
#[path = "lesson7/todo3_last_words.rs"]
mod todo3_last_words;
#[path = "lesson7/todo4_shutdown.rs"]
mod todo4_shutdown;
#[path = "lesson7/whole_server.rs"]
mod whole_server;

const LESSON: Lesson = harness::lesson!(7);

/// Headings of book/src/lesson7.md that the reports point to.
const SECTIONS: Sections = Sections {
    options: "The same contract, on tokio",
    lesson5: "The same contract, on tokio",
    cap: "TODO(1): a task per client, under a cap",
    last_words: "TODO(3): last words on tokio",
    deadline: "TODO(2): a deadline for each line, with select!",
    shutdown: "TODO(4): shutting down: cancel, then wait",
    log: "A log thread beside the runtime",
    stalls: "Blocking inside async code",
};

/// How many clients the two checks of many clients connect.
const MANY: usize = 1_000;
