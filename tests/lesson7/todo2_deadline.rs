//! TODO(2): a deadline for each line, raced against the shutdown with `select!`. A client
//! that does not finish a line in time is cut (its last words are TODO(3)'s), and a line
//! that arrives in pieces is still one line.

use harness::protected;

use crate::{LESSON, SECTIONS};

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

/// A line that arrives in two pieces, 300 ms apart, is answered once, whole.
#[test]
fn a_line_in_pieces_is_one_line() {
    protected::check_line_in_pieces(&LESSON, &SECTIONS);
}
