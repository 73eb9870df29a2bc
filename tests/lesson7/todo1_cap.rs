//! TODO(1): a task per client, under a cap. The client over the cap is refused at once and
//! never counted; the admitted ones are counted for as long as their task lives.

use harness::protected;

use crate::{LESSON, SECTIONS};

/// The client over the cap gets `ERROR server full`, is never counted, and the others go on.
#[test]
fn the_client_over_the_cap_is_refused() {
    protected::check_cap(&LESSON, &SECTIONS);
}
