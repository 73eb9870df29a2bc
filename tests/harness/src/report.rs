//! A failed check, explained the way a teacher would: what the test did, what it expected,
//! what came back, a hint, and the section of the book that explains it.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{ExitStatus, Output};
use std::sync::OnceLock;

use course::Course;

/// Which lesson a test file checks, so that failures can point at the right files.
#[derive(Clone, Copy, Debug)]
pub struct Lesson {
    /// The lesson number, 1 to 5.
    pub number: u8,
    /// The path of the binary under test (from `CARGO_BIN_EXE_<package>`).
    pub program: &'static str,
    /// The Cargo package under test: `lesson1` for the learner, `lesson1-solution` for ours.
    pub package: &'static str,
}

#[derive(Debug, Default)]
pub struct Problem {
    /// The behaviour being checked, as a sentence: "the client sends each line once".
    pub check: String,
    /// What the test did: the bytes typed or sent, the arguments given.
    pub did: String,
    /// What a correct program does.
    pub expected: String,
    /// What your program did instead.
    pub got: String,
    /// A hint: where to look, what usually causes this.
    pub hint: String,
    /// The section of the lesson's book chapter that explains this.
    pub section: String,
}

/// What a program printed and how it ended, for the failure report.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// `None` while the program is still running (or was killed at a deadline).
    pub status: Option<ExitStatus>,
}

impl From<&Output> for Seen {
    fn from(output: &Output) -> Self {
        Seen {
            stdout: output.stdout.clone(),
            stderr: output.stderr.clone(),
            status: Some(output.status),
        }
    }
}

impl Lesson {
    /// The file of the program under test, `lessons/lesson1/src/main.rs` for the learner's
    /// (from `course.toml`).
    pub fn source_file(&self) -> String {
        let from_course = course().and_then(|course| {
            let lesson = course.lesson(u32::from(self.number))?;
            let package = lesson.package(self.package)?;
            Some(package.main_rs().display().to_string())
        });
        from_course.unwrap_or_else(|| "src/main.rs of the package under test".to_string())
    }

    /// The lesson's chapter, `book/src/lesson1.md` (from `course.toml`).
    pub fn chapter(&self) -> String {
        course()
            .and_then(|course| course.lesson(u32::from(self.number)))
            .map(|lesson| lesson.chapter.display().to_string())
            .unwrap_or_else(|| format!("the book's chapter of lesson {}", self.number))
    }

    /// Fails the test with a report a beginner can act on. Never returns.
    ///
    /// The report goes to the test's output, which `cargo test` shows under the failing
    /// test's name. `resume_unwind` then fails the test without a panic message or a
    /// backtrace of the test itself: the report is all a learner needs to read.
    pub fn fail(&self, problem: Problem, seen: &Seen) -> ! {
        eprintln!("\n{}", self.report(&problem, seen));
        std::panic::resume_unwind(Box::new(format!("lesson {} check failed", self.number)))
    }

    /// The text of a failure report (public so that its wording can be tested).
    pub fn report(&self, problem: &Problem, seen: &Seen) -> String {
        let chapter = self.chapter();
        let stderr = String::from_utf8_lossy(&seen.stderr);
        let mut text = format!(
            "✗ lesson {}: {}\n  (checking `{}`)\n\n",
            self.number, problem.check, self.package
        );
        if let Some(todo) = todo_reached(&stderr) {
            let _ = writeln!(
                text,
                "Your program stopped at a todo!():\n    {todo}\n\
                 That is your next step: open {} and write the code for it.\n\
                 Book: {chapter}, \"{}\" explains it.",
                self.source_file(),
                todo.split(':').next().unwrap_or("the TODO")
            );
            return text;
        }
        let mut line = |label: &str, value: &str| {
            if !value.is_empty() {
                let _ = writeln!(text, "  {label:<10} {}", indent(value));
            }
        };
        line("did:", &problem.did);
        line("expected:", &problem.expected);
        line("got:", &problem.got);
        line("hint:", &problem.hint);
        line(
            "book:",
            &format!("{chapter}, section \"{}\"", problem.section),
        );
        text.push('\n');
        let _ = writeln!(text, "  your program printed: {}", shown(&seen.stdout));
        if !seen.stderr.is_empty() {
            let _ = writeln!(text, "  and on stderr:        {}", shown(&seen.stderr));
        }
        let ending = match seen.status {
            Some(status) => format!("it exited with {}", describe_status(status)),
            None => "it was still running (stopped by the test)".to_string(),
        };
        let _ = writeln!(text, "  {ending}");
        if stderr.contains("panicked") {
            text.push_str(
                "  Note: your program panicked. Network input and user input must never \
                 crash it:\n  return an error line instead (see the book's lesson 1).\n",
            );
        }
        text
    }
}

/// The course manifest, read once per test run from the workspace the test runs in (cargo
/// runs a test from its package's folder, below `course.toml`). `None` if it cannot be
/// read: the report then names things more vaguely, but still fails the test.
fn course() -> Option<&'static Course> {
    static COURSE: OnceLock<Option<Course>> = OnceLock::new();
    COURSE
        .get_or_init(|| {
            let here = std::env::current_dir().ok()?;
            Course::find_from(&here).ok()
        })
        .as_ref()
}

/// `todo!("TODO(3): accept one client")` prints "not yet implemented: TODO(3): ...".
pub(crate) fn todo_reached(stderr: &str) -> Option<&str> {
    let start = stderr.find("not yet implemented")?;
    let rest = &stderr[start..];
    let message = rest.lines().next().unwrap_or(rest);
    Some(
        message
            .strip_prefix("not yet implemented: ")
            .unwrap_or(message),
    )
}

pub(crate) fn describe_status(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("status {code}"),
        None => "no status (killed by a signal)".to_string(),
    }
}

fn indent(text: &str) -> String {
    text.replace('\n', "\n             ")
}

/// Bytes as a quoted, escaped string: a missing or doubled `\n` is visible.
pub fn shown(bytes: &[u8]) -> String {
    const LIMIT: usize = 400;
    if bytes.len() > LIMIT {
        let head = &bytes[..LIMIT];
        return format!(
            "\"{}\"... ({} bytes in all)",
            head.escape_ascii(),
            bytes.len()
        );
    }
    format!("\"{}\"", bytes.escape_ascii())
}

/// The file name of a path, for messages.
pub fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson() -> Lesson {
        Lesson {
            number: 1,
            program: "lesson1",
            package: "lesson1",
        }
    }

    #[test]
    fn a_todo_panic_becomes_the_next_step() {
        let seen = Seen {
            stderr: b"thread 'main' panicked at lessons/lesson1/src/main.rs:40:5:\n\
                      not yet implemented: TODO(2): send the line\nnote: ..."
                .to_vec(),
            ..Seen::default()
        };
        let problem = Problem {
            check: "sends lines".into(),
            section: "Sending a line".into(),
            ..Problem::default()
        };
        let report = lesson().report(&problem, &seen);
        assert!(report.contains("TODO(2): send the line"), "{report}");
        assert!(report.contains("lessons/lesson1/src/main.rs"), "{report}");
        assert!(report.contains("\"TODO(2)\" explains it"), "{report}");
    }

    #[test]
    fn bytes_are_shown_escaped() {
        assert_eq!(shown(b"hi\n\n"), "\"hi\\n\\n\"");
        assert_eq!(shown(b"\xff"), "\"\\xff\"");
    }
}
