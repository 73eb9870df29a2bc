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
    /// `None` while the program is still running.
    pub status: Option<ExitStatus>,
    /// The test stopped (killed) the program at a deadline: its `status` then tells how the
    /// test ended it, not how the program behaved.
    pub stopped_by_test: bool,
}

impl From<&Output> for Seen {
    fn from(output: &Output) -> Self {
        Seen {
            stdout: output.stdout.clone(),
            stderr: output.stderr.clone(),
            status: Some(output.status),
            stopped_by_test: false,
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

    /// The heading of the chapter's section about TODO(n): the first heading that starts
    /// with "TODO(n)" (`## TODO(1): a thread per client`), else "Your TODO list", else
    /// `"TODO(n)"` itself.
    pub fn todo_section(&self, number: u32) -> String {
        let todo = format!("TODO({number})");
        let chapter = course().and_then(|course| {
            let lesson = course.lesson(u32::from(self.number))?;
            std::fs::read_to_string(course.root.join(&lesson.chapter)).ok()
        });
        let headings: Vec<String> = chapter
            .as_deref()
            .unwrap_or_default()
            .lines()
            .filter(|line| line.starts_with('#'))
            .map(|line| line.trim_start_matches('#').trim().to_string())
            .collect();
        headings
            .iter()
            .find(|heading| heading.starts_with(&todo))
            .or_else(|| headings.iter().find(|heading| *heading == "Your TODO list"))
            .cloned()
            .unwrap_or(todo)
    }

    /// Fails the test with a report a beginner can act on. Never returns.
    ///
    /// The report goes to the test's output, which `cargo test` shows under the failing
    /// test's name. `resume_unwind` then fails the test without a panic message or a
    /// backtrace of the test itself: the report is all a learner needs to read.
    ///
    /// Reports come out in the order of the tests' names (see [`crate::next_step`]), and
    /// when several tests stopped at the same `todo!()`, only the first of them explains it
    /// ("Next: TODO(n)"); the others say so in one line.
    pub fn fail(&self, problem: Problem, seen: &Seen) -> ! {
        let stderr = String::from_utf8_lossy(&seen.stderr);
        let todo = todo_reached(&stderr).map(Todo::from_message);
        let first = crate::next_step::wait_for_turn(todo.as_ref().map(|todo| todo.key.as_str()));
        let text = match (&todo, first) {
            (Some(todo), Some(first)) => self.same_todo_line(todo, &first),
            _ => format!("\n{}", self.report(&problem, seen)),
        };
        eprintln!("{text}");
        std::panic::resume_unwind(Box::new(format!("lesson {} check failed", self.number)))
    }

    /// The one line of a test that stopped at the same `todo!()` as `first`, a test whose
    /// name sorts before it and whose report explains that TODO. (cargo shows this test's
    /// name above the line.)
    pub fn same_todo_line(&self, todo: &Todo, first: &str) -> String {
        let key = &todo.key;
        format!(
            "✗ lesson {}: stopped at {key} too: see \"Next: {key}\" above, under {first}",
            self.number
        )
    }

    /// The text of a failure report (public so that its wording can be tested).
    pub fn report(&self, problem: &Problem, seen: &Seen) -> String {
        let chapter = self.chapter();
        let stderr = String::from_utf8_lossy(&seen.stderr);
        let mut text = format!(
            "✗ lesson {}: {}\n  (checking `{}`)\n\n",
            self.number, problem.check, self.package
        );
        if let Some(message) = todo_reached(&stderr) {
            // The evidence names the TODO: the report sends the learner there and nowhere
            // else (not to the check's own section, which may be about another TODO).
            let todo = Todo::from_message(message);
            let section = match todo.number {
                Some(number) => format!("section \"{}\"", self.todo_section(number)),
                None => "\"Your TODO list\"".to_string(),
            };
            let _ = writeln!(
                text,
                "Next: {} in {}\n  \
                 Your program stopped at this todo!():\n    {message}\n  \
                 That is your next step: replace the todo!() with your code, then run the \
                 tests again.\n  \
                 Book: {chapter}, {section}.",
                todo.key,
                self.source_file(),
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
        let ending = if seen.stopped_by_test {
            "it was still running at the deadline, so the test stopped it".to_string()
        } else {
            match seen.status {
                Some(status) => format!("it {}", describe_status(status)),
                // Panicked, but not gone: a program that hangs in its panic (under a memory
                // limit, printing a backtrace can) is not "still running" its code.
                None if main_panicked(&stderr) => "its main thread panicked, and it had not \
                    exited yet when the check failed (the test stops it)"
                    .to_string(),
                None => {
                    "it was still running when the check failed (the test stops it)".to_string()
                }
            }
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

/// `todo!("TODO(3): accept one client")` prints "not yet implemented: TODO(3): ...": the
/// message of the first `todo!()` the program reached (its line), if it reached one.
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

/// Whether the program's main thread panicked ("thread 'main' panicked at ...").
pub(crate) fn main_panicked(stderr: &str) -> bool {
    stderr
        .lines()
        .any(|line| line.starts_with("thread 'main'") && line.contains("panicked at"))
}

/// The `todo!()` a program stopped at, as its message names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Todo {
    /// n, from a message that starts "TODO(n)"; `None` for a bare `todo!()`.
    pub number: Option<u32>,
    /// "TODO(n)", or "a todo!() with no TODO number": what reports call it, and what tells
    /// two stops apart.
    pub key: String,
}

impl Todo {
    /// From the message after "not yet implemented: " ("TODO(2): send the line").
    pub fn from_message(message: &str) -> Todo {
        let number = message
            .trim_start()
            .strip_prefix("TODO(")
            .and_then(|rest| rest.split_once(')'))
            .and_then(|(digits, _)| digits.trim().parse::<u32>().ok());
        let key = match number {
            Some(number) => format!("TODO({number})"),
            None => "a todo!() with no TODO number".to_string(),
        };
        Todo { number, key }
    }
}

/// How a program ended by itself: "exited with status 1", "was ended by signal 6 (SIGABRT:
/// it aborted)". (A program the test stopped is not described by its status: see
/// [`Seen::stopped_by_test`].)
pub(crate) fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                6 => " (SIGABRT: it aborted)",
                9 => " (SIGKILL: something killed it)",
                11 => " (SIGSEGV: it crashed)",
                13 => " (SIGPIPE: it wrote to a closed pipe)",
                15 => " (SIGTERM)",
                _ => "",
            };
            return format!("was ended by signal {signal}{name}");
        }
    }
    "was ended without an exit status".to_string()
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
        assert!(report.contains("Next: TODO(2) in "), "{report}");
        assert!(report.contains("TODO(2): send the line"), "{report}");
        assert!(report.contains("lessons/lesson1/src/main.rs"), "{report}");
    }

    /// The evidence names the TODO: a check about TODO(1) whose program stopped at TODO(3)
    /// sends the learner to TODO(3), never to the check's own section or hint.
    #[test]
    fn a_report_follows_the_todo_the_program_reached() {
        let seen = Seen {
            stderr: b"thread '<unnamed>' panicked at src/main.rs:9:5:\n\
                      not yet implemented: TODO(3): reply\n"
                .to_vec(),
            ..Seen::default()
        };
        let problem = Problem {
            check: "serves two clients at once".into(),
            hint: "see TODO(1)".into(),
            section: "TODO(1): a thread per client".into(),
            ..Problem::default()
        };
        let report = lesson().report(&problem, &seen);
        assert!(report.contains("Next: TODO(3)"), "{report}");
        assert!(!report.contains("TODO(1)"), "{report}");
    }

    #[test]
    fn a_todo_is_named_by_its_message() {
        let todo = Todo::from_message("TODO(12): count {peer}");
        assert_eq!(todo.number, Some(12));
        assert_eq!(todo.key, "TODO(12)");
        let bare = Todo::from_message("not yet implemented");
        assert_eq!(bare.number, None);
        let seen = Seen {
            stderr: b"thread 'main' panicked at src/main.rs:3:5:\nnot yet implemented\n".to_vec(),
            ..Seen::default()
        };
        let report = lesson().report(&Problem::default(), &seen);
        assert!(report.contains("\"Your TODO list\""), "{report}");
    }

    /// A program the test killed at a deadline is "stopped by the test", not a crash.
    #[cfg(unix)]
    #[test]
    fn a_program_the_test_stopped_is_not_a_crash() {
        use std::os::unix::process::ExitStatusExt;
        let killed = Seen {
            status: Some(ExitStatus::from_raw(9)),
            stopped_by_test: true,
            ..Seen::default()
        };
        let report = lesson().report(&Problem::default(), &killed);
        assert!(report.contains("so the test stopped it"), "{report}");
        assert!(!report.contains("signal"), "{report}");
        let crashed = Seen {
            status: Some(ExitStatus::from_raw(11)),
            ..Seen::default()
        };
        let report = lesson().report(&Problem::default(), &crashed);
        assert!(
            report.contains("signal 11 (SIGSEGV: it crashed)"),
            "{report}"
        );
        let exited = Seen {
            status: Some(ExitStatus::from_raw(1 << 8)),
            ..Seen::default()
        };
        let report = lesson().report(&Problem::default(), &exited);
        assert!(report.contains("it exited with status 1"), "{report}");
    }

    #[test]
    fn bytes_are_shown_escaped() {
        assert_eq!(shown(b"hi\n\n"), "\"hi\\n\\n\"");
        assert_eq!(shown(b"\xff"), "\"\\xff\"");
    }
}
