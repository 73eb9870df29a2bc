//! The whole client: what it must survive once every TODO is done.

use harness::FakeServer;
use harness::common;

use crate::{CONVERSATION, LESSON, numbered_replies};

/// When nobody reads the client's output any more (`lesson1 HOST:PORT | head -1`), the client
/// ends with one error line and status 1, without a panic.
#[test]
fn a_lost_stdout_ends_the_client_with_status_1() {
    let server = FakeServer::start(numbered_replies());
    common::check_client_survives_stdout_gone(
        &LESSON,
        server.address(),
        ("hello\n", "->: reply 1"),
        "world\n",
        CONVERSATION,
    );
}
