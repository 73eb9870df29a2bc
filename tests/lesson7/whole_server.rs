//! The rest of the server, which the skeleton already has: options and usage, lesson 5's
//! answers, the log thread, and 1,000 clients at once. A failure here after the TODOs are
//! done usually comes from a change outside them, or from something that blocks the runtime.

use harness::protected;

use crate::{LESSON, MANY, SECTIONS};

/// Bad options (out of range, unknown, twice, after the address) print usage and exit 2.
#[test]
fn bad_options_print_usage_and_exit_2() {
    protected::check_usage_errors(&LESSON, &SECTIONS);
}

/// Options come before the port, in any order; the first line shows the real address.
#[test]
fn options_come_before_the_port() {
    protected::check_options_then_listening(&LESSON, &SECTIONS);
}

/// Replies are the count, STOP closes only that client, each line is printed.
#[test]
fn answers_like_lesson_5() {
    protected::check_answers_like_lesson5(&LESSON, &SECTIONS);
}

/// Lines arriving in bursts from many clients all reach the log, escaped.
#[test]
fn every_line_reaches_the_log() {
    protected::check_log_complete(&LESSON, &SECTIONS);
}

/// A client that connects and sends nothing does not keep 1,000 others from being answered.
#[test]
fn a_silent_client_does_not_stall_a_thousand_others() {
    protected::check_silent_client_with_many_others(&LESSON, &SECTIONS, MANY);
}
