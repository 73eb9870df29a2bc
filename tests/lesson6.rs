//! # Lesson 6 tests: a server that protects itself
//!
//! Each test starts your server with small settings (`--idle-timeout 1`, `--max-clients 3`)
//! on port 0, and plays clients that misbehave: silent ones, one that drips bytes without a
//! newline, one too many, one that never reads. On Unix the shutdown tests send your server
//! SIGINT and SIGTERM, as Ctrl-C and `kill` do.
//!
//! Run them with `cargo test -p lesson6`. The same checks run against lesson 7
//! (`harness::protected`): the two servers must behave the same from the outside.

use harness::Lesson;
use harness::protected::{self, Sections};

const LESSON: Lesson = harness::lesson!(6);

/// Headings of book/src/lesson6.md that the reports point to.
const SECTIONS: Sections = Sections {
    options: "Options before the address",
    lesson5: "What stays from lesson 5",
    cap: "TODO(1): a cap on clients",
    last_words: "TODO(2): last words that arrive",
    deadline: "TODO(3): a deadline for each line",
    shutdown: "TODO(4): shutting down gracefully",
    log: "A log nobody waits for",
    stalls: "What stays from lesson 5",
};

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

/// A line over 64 KiB gets `ERROR line too long` and a clean close, never a reset.
#[test]
fn a_line_too_long_gets_its_error_before_a_clean_close() {
    protected::check_too_long_arrives(&LESSON, &SECTIONS);
}

/// A silent client is cut at the idle timeout, and uncounted; a talking one is not cut.
#[test]
fn a_silent_client_is_cut_at_the_idle_timeout() {
    protected::check_silent_client_cut(&LESSON, &SECTIONS);
}

/// A client dripping a byte every 200 ms without a newline is cut like a silent one.
#[test]
fn a_client_dripping_bytes_is_cut_at_the_deadline() {
    protected::check_drip_client_cut(&LESSON, &SECTIONS);
}

/// The client over the cap gets `ERROR server full`, is never counted, and the others go on.
#[test]
fn the_client_over_the_cap_is_refused() {
    protected::check_cap(&LESSON, &SECTIONS);
}

/// Ctrl-C: `BYE` to every client, even a silent one, the summary line, exit 0 within 2 s.
#[test]
fn ctrl_c_says_bye_to_every_client() {
    protected::check_shutdown_with_silent_client(&LESSON, &SECTIONS);
}

/// SIGTERM with a client that never reads still exits 0 within 2 s.
#[test]
fn sigterm_is_not_held_up_by_a_client_that_never_reads() {
    protected::check_shutdown_with_client_that_never_reads(&LESSON, &SECTIONS);
}

/// Lines arriving in bursts from many clients all reach the log, escaped.
#[test]
fn every_line_reaches_the_log() {
    protected::check_log_complete(&LESSON, &SECTIONS);
}

/// A line that arrives in two pieces, 300 ms apart, is answered once, whole.
#[test]
fn a_line_in_pieces_is_one_line() {
    protected::check_line_in_pieces(&LESSON, &SECTIONS);
}
