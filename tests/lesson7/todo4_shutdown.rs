//! TODO(4): shutting down. Ctrl-C and SIGTERM tell every task, which says `BYE`; the server
//! waits for them a little, never for ever, then prints its last line and exits with 0.
//! (Windows has no signal a test can send one program: these checks skip there.)

use harness::protected;

use crate::{LESSON, MANY, SECTIONS};

/// Ctrl-C: `BYE` to every client, even a silent one, the summary line, exit 0 within 2 s.
#[test]
fn ctrl_c_says_bye_to_every_client() {
    protected::check_shutdown_with_silent_client(&LESSON, &SECTIONS);
}

/// Ctrl-C with 1,000 clients connected: `BYE` to each, the summary, exit 0 within 2 s.
#[test]
fn ctrl_c_with_a_thousand_clients() {
    protected::check_shutdown_with_many_clients(&LESSON, &SECTIONS, MANY);
}

/// SIGTERM with a client that never reads still exits 0 within 2 s.
#[test]
fn sigterm_is_not_held_up_by_a_client_that_never_reads() {
    protected::check_shutdown_with_client_that_never_reads(&LESSON, &SECTIONS);
}
