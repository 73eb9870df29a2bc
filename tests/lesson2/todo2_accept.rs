//! TODO(2): accepting a client. A client that connects is accepted and its first line
//! answered (with anything, for now: what the reply says is TODO(4)'s). Until TODO(3) and
//! TODO(4) are done, this test stops at their `todo!()`s: that is your next step.

use crate::{ask, connect, start_server};

/// A client that connects after the `Listening on` line is accepted, and its line answered.
#[test]
fn accepts_a_client_and_answers_it() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    ask(&mut server, &mut peer, b"hello\n");
}
