//! A program run to its end: a client with a fixed input, a program given bad arguments.

use std::process::Command;
use std::time::Duration;

use crate::report::{describe_status, todo_reached};
use crate::{Lesson, Problem, Seen, shown};

/// Runs the program with these arguments and this standard input, and waits at most
/// `within` for it to end (after which it is killed and `timed_out` is set).
pub fn run_to_end(lesson: &Lesson, args: &[&str], stdin: &[u8], within: Duration) -> Finished {
    crate::next_step::enter();
    let mut command = Command::new(lesson.program);
    crate::running::quiet_panics(command.args(args));
    let ran = process::run(&mut command, stdin, within)
        .unwrap_or_else(|error| panic!("could not start {}: {error}", lesson.program));
    let finished = Finished {
        timed_out: ran.timed_out,
        seen: Seen {
            stdout: ran.stdout,
            stderr: ran.stderr,
            status: ran.status,
            stopped_by_test: ran.timed_out,
        },
    };
    fail_on_panic(lesson, args, stdin, &finished);
    finished
}

/// A program must never panic, whatever its input: a panic fails the test at once, before
/// any check that would only wait for what the crashed program can no longer do. (A
/// `todo!()` is a panic too: the report then names the TODO to do next.)
fn fail_on_panic(lesson: &Lesson, args: &[&str], stdin: &[u8], finished: &Finished) {
    let stderr = String::from_utf8_lossy(&finished.seen.stderr);
    if !stderr.contains("panicked at") {
        return;
    }
    let check = if todo_reached(&stderr).is_some() {
        "the program runs to its end (it is not finished yet)"
    } else {
        "the program never panics, whatever its input"
    };
    lesson.fail(
        Problem {
            check: check.into(),
            did: format!(
                "ran it with the arguments {args:?} and the input {}",
                shown(stdin)
            ),
            expected: "no panic: a clear one-line error and an exit status (see SPEC.md)".into(),
            got: "a panic (see stderr below)".into(),
            hint: "do not unwrap() or index past the end on network bytes or user input: \
                   turn the error into a line with netkit::error_line and return it."
                .into(),
            section: "Arguments and exit codes".into(),
        },
        &finished.seen,
    );
}

/// A program that ran to its end (or was stopped at the deadline).
#[derive(Debug)]
pub struct Finished {
    pub seen: Seen,
    pub timed_out: bool,
}

impl Finished {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.seen.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.seen.stderr).into_owned()
    }

    /// The exit code, `None` if it was killed (for example at the deadline).
    pub fn code(&self) -> Option<i32> {
        if self.timed_out {
            return None;
        }
        self.seen.status.and_then(|status| status.code())
    }

    /// "exited with status 1", "still running after 3 s": for the `got:` line of a report.
    pub fn ending(&self, within: Duration) -> String {
        if self.timed_out {
            return format!(
                "still running after {} s, so the test stopped it",
                within.as_secs()
            );
        }
        match self.seen.status {
            Some(status) => describe_status(status),
            None => "did not run".to_string(),
        }
    }
}
