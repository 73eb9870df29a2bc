//! TODO(3): last words on tokio. A line too long gets its error, and the close after it is a
//! clean one even though the client sent a megabyte the server never read.

use harness::protected;

use crate::{LESSON, SECTIONS};

/// A line over 64 KiB gets `ERROR line too long` and a clean close, never a reset.
#[test]
fn a_line_too_long_gets_its_error_before_a_clean_close() {
    protected::check_too_long_arrives(&LESSON, &SECTIONS);
}
