//! TODO(1): every client is served at once, in a thread of its own. These tests check only
//! that each client is answered, not what number it is told: the count is TODO(2)'s.

use crate::{Company, QUESTION, ask, connect, start_server};

/// A second client is answered while the first one stays connected, and the first is still
/// answered after it.
#[test]
fn a_second_client_is_answered_while_the_first_stays() {
    let (mut server, address) = start_server();
    let mut first = connect(&mut server, address);
    ask(
        &mut server,
        &mut first,
        QUESTION,
        Company::Alone,
        "connected one client",
    );
    let mut second = connect(&mut server, address);
    ask(
        &mut server,
        &mut second,
        QUESTION,
        Company::Others,
        "kept the first client connected (it had been answered), connected a second one",
    );
    ask(
        &mut server,
        &mut first,
        QUESTION,
        Company::Others,
        "with a second client connected, the first one asked again",
    );
}

/// A client that sends nothing, and one that sends half a line and waits, do not hold up
/// anybody else; the half line, once finished, is answered.
#[test]
fn a_silent_client_does_not_block_others() {
    let (mut server, address) = start_server();
    let mut first = connect(&mut server, address);
    ask(
        &mut server,
        &mut first,
        QUESTION,
        Company::Alone,
        "connected one client",
    );
    let _silent = connect(&mut server, address);
    let mut halfway = connect(&mut server, address);
    // A failed send shows up in the asks below, with the server's output.
    let _ = halfway.send(b"half a li");
    let mut polite = connect(&mut server, address);
    ask(
        &mut server,
        &mut polite,
        QUESTION,
        Company::Others,
        "kept one client connected (it had been answered), then connected a client that \
         sends nothing, one that sent \"half a li\" without a newline, and a fourth one",
    );
    ask(
        &mut server,
        &mut halfway,
        b"ne\n",
        Company::Others,
        "sent \"half a li\", and, after another client was answered, the rest of the line",
    );
}
