//! `cargo xtask progress [N...]`: where the learner stands, lesson by lesson.
//!
//! Each lesson is one of:
//!
//! - **not started**: its program is still exactly the skeleton (as the solution makes it,
//!   see [`xtask::skeleton`]). Its tests are not run: the untouched skeleton fails them by
//!   design (`cargo xtask verify` proves it).
//! - **in progress**: the learner has changed it, and `cargo test -p lessonN` fails.
//! - **passed**: `cargo test -p lessonN` passes (and is remembered, [`xtask::state`]).
//! - **no tests yet**: its test file is missing, so nothing can say (a lesson that is
//!   still being written).
//!
//! `--json` prints the same as one JSON document, for a grading script: per lesson whether
//! it passed, how many of its tests passed out of how many, and the next TODO. (For a lesson
//! not started, the tests are listed, not run: none of them passes on the skeleton.)

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use course::Lesson;
use xtask::Error;
use xtask::skeleton::{generate, todo_numbers};
use xtask::state::{self, STATE_DIR};

use crate::flags;

/// The first run compiles the test dependencies; a slow laptop may need minutes.
const TEST_TIMEOUT: Duration = Duration::from_secs(600);

/// Where one lesson stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    NotStarted,
    /// With a few words on what is left, e.g. "next: TODO(2) (2 TODOs left)".
    InProgress(String),
    Passed,
    NoTests,
}

impl Status {
    fn word(&self) -> String {
        match self {
            Status::NotStarted => "not started".to_string(),
            Status::InProgress(detail) => format!("in progress: {detail}"),
            Status::Passed => "passed".to_string(),
            Status::NoTests => "no tests yet (lesson being written)".to_string(),
        }
    }

    fn key(&self) -> &'static str {
        match self {
            Status::NotStarted => "not started",
            Status::InProgress(_) => "in progress",
            Status::Passed => "passed",
            Status::NoTests => "no tests",
        }
    }
}

/// Where one lesson stands, with what its tests said.
struct Row<'a> {
    lesson: &'a Lesson,
    status: Status,
    /// Tests passed, and tests in all; `None` where they did not run (or not to the end).
    tests: Option<(usize, usize)>,
    /// The first TODO still in the learner's program.
    next_todo: Option<u32>,
}

/// Runs `cargo xtask progress [N...] [--json]` from the workspace root.
pub fn run(args: &flags::Progress) -> Result<(), Error> {
    let course = xtask::load_course()?;
    let lessons = xtask::select(&course, &args.lessons)?;
    let started = Instant::now();
    let mut rows = Vec::new();
    for (index, lesson) in lessons.iter().enumerate() {
        rows.push(row_of(lesson, index + 1, lessons.len(), args.json)?);
    }
    clear_progress_line();
    if args.json {
        println!("{}", json(&rows));
        return Ok(());
    }
    print_table(&rows, started);
    Ok(())
}

/// The table, and what to do next.
fn print_table(rows: &[Row], started: Instant) {
    let title_width = rows
        .iter()
        .map(|row| row.lesson.title.chars().count())
        .max()
        .unwrap_or(0)
        .max("chapter".len());
    println!("{:<6}  {:<title_width$}  status", "lesson", "chapter");
    for row in rows {
        println!(
            "{:<6}  {:<title_width$}  {}",
            row.lesson.number,
            row.lesson.title,
            row.status.word()
        );
    }
    let passed = rows
        .iter()
        .filter(|row| row.status == Status::Passed)
        .count();
    println!(
        "\n{passed} of {} lesson(s) passed (checked in {:.0} s).",
        rows.len(),
        started.elapsed().as_secs_f64()
    );

    let next = rows
        .iter()
        .find(|row| matches!(row.status, Status::NotStarted | Status::InProgress(_)));
    match next {
        Some(Row { lesson, status, .. }) => {
            let verb = if *status == Status::NotStarted {
                "start"
            } else {
                "finish"
            };
            let number = lesson.number;
            println!(
                "\nNext: {verb} lesson {number}, {}.",
                lesson.describe_chapter()
            );
            println!(
                "  cargo xtask watch {number}   reruns its tests whenever you save\n  \
                 cargo xtask hint {number}    shows a hint, one at a time"
            );
        }
        None if passed == rows.len() => println!("Every lesson checked passes. Well done!"),
        None => println!("Every lesson with tests passes; the others are still being written."),
    }
}

/// The rows as one JSON document (written by hand: xtask has no dependencies).
fn json(rows: &[Row]) -> String {
    use xtask::json::{number_or_null, object, string};
    let lessons: Vec<String> = rows
        .iter()
        .map(|row| {
            let detail = match &row.status {
                Status::InProgress(detail) => string(detail),
                _ => "null".into(),
            };
            let fields = [
                ("lesson", row.lesson.number.to_string()),
                ("title", string(&row.lesson.title)),
                ("package", string(&row.lesson.skeleton.name)),
                ("status", string(row.status.key())),
                ("passed", (row.status == Status::Passed).to_string()),
                ("tests_passed", number_or_null(row.tests.map(|t| t.0))),
                ("tests_total", number_or_null(row.tests.map(|t| t.1))),
                ("next_todo", number_or_null(row.next_todo)),
                ("detail", detail),
            ];
            format!("    {}", object(&fields))
        })
        .collect();
    let passed = rows
        .iter()
        .filter(|row| row.status == Status::Passed)
        .count();
    format!(
        "{{\n  \"passed\": {passed},\n  \"lessons_checked\": {},\n  \"lessons\": [\n{}\n  ]\n}}",
        rows.len(),
        lessons.join(",\n")
    )
}

/// Finds out where one lesson stands, running its tests if the learner has touched it
/// (and, for `--json`, listing them if not).
fn row_of<'a>(
    lesson: &'a Lesson,
    position: usize,
    count: usize,
    json: bool,
) -> Result<Row<'a>, String> {
    let mut row = Row {
        lesson,
        status: Status::NoTests,
        tests: None,
        next_todo: None,
    };
    if !lesson.tests.is_file() {
        return Ok(row);
    }
    let program = std::fs::read_to_string(lesson.skeleton.main_rs()).unwrap_or_default();
    let todos = todo_numbers(&program);
    row.next_todo = todos.first().copied();
    // `None`: the skeleton cannot be made (a lesson being written); the tests still say.
    let untouched = generate(lesson).ok().map(|skeleton| skeleton == program);
    if untouched == Some(true) {
        row.status = Status::NotStarted;
        if json {
            row.tests = list_tests(lesson)?.map(|total| (0, total));
        }
        return Ok(row);
    }
    let (outcome, counts) = test_quietly(lesson, position, count)?;
    row.tests = counts;
    row.status = match outcome {
        TestOutcome::Passed => {
            state::record_pass(lesson);
            row.next_todo = None;
            Status::Passed
        }
        TestOutcome::DoesNotCompile => Status::InProgress("does not compile".to_string()),
        TestOutcome::TimedOut => Status::InProgress(format!(
            "the tests did not finish within {} s",
            TEST_TIMEOUT.as_secs()
        )),
        TestOutcome::Failed => {
            let tests = counts.map(|(passed, total)| format!("{passed} of {total} tests pass"));
            let todo = match todos.as_slice() {
                [] => None,
                [only] => Some(format!("next: TODO({only}), the last one")),
                [next, ..] => Some(format!("next: TODO({next}) ({} TODOs left)", todos.len())),
            };
            Status::InProgress(match (tests, todo) {
                (Some(tests), Some(todo)) => format!("{tests}; {todo}"),
                (None, Some(todo)) => todo,
                (Some(tests), None) => tests,
                (None, None) => "tests fail".to_string(),
            })
        }
    };
    Ok(row)
}

enum TestOutcome {
    Passed,
    Failed,
    DoesNotCompile,
    TimedOut,
}

/// Tests passed and in all, from the `test result:` lines of a `cargo test` run (one per
/// test binary). Ignored tests are the chapter's "Going further" extensions, off by default:
/// they are not part of the lesson, so they do not count.
fn test_counts(output: &str) -> Option<(usize, usize)> {
    let mut seen = false;
    let (mut passed, mut total) = (0, 0);
    for line in output
        .lines()
        .filter(|line| line.starts_with("test result:"))
    {
        seen = true;
        for part in line.split([';', '.']) {
            let mut words = part.split_whitespace();
            let (Some(number), Some(what)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(number) = number.parse::<usize>() else {
                continue;
            };
            match what {
                "passed" => {
                    passed += number;
                    total += number;
                }
                "failed" => total += number,
                _ => {}
            }
        }
    }
    seen.then_some((passed, total))
}

/// How many tests the lesson has, by listing them (`cargo test -- --list`): no test runs.
/// The ignored ones ("Going further") are left out, as in [`test_counts`].
fn list_tests(lesson: &Lesson) -> Result<Option<usize>, String> {
    let (Some(all), Some(ignored)) = (listed(lesson, &[])?, listed(lesson, &["--ignored"])?) else {
        return Ok(None);
    };
    Ok(Some(all.saturating_sub(ignored)))
}

/// How many tests `cargo test -p <skeleton> -- --list <extra>` lists.
fn listed(lesson: &Lesson, extra: &[&str]) -> Result<Option<usize>, String> {
    let package = &lesson.skeleton.name;
    let ran = process::run(
        Command::new(process::cargo())
            .args(["test", "-q", "-p", package, "--", "--list"])
            .args(extra),
        b"",
        TEST_TIMEOUT,
    )
    .map_err(|err| format!("could not run cargo: {err}"))?;
    if !ran.status.is_some_and(|status| status.success()) {
        return Ok(None);
    }
    let count = String::from_utf8_lossy(&ran.stdout)
        .lines()
        .filter(|line| line.ends_with(": test"))
        .count();
    Ok(Some(count))
}

/// Runs `cargo test -q -p lessonN` with its output in a log file, showing a progress line
/// meanwhile; returns how it went, and the tests passed and in all.
fn test_quietly(
    lesson: &Lesson,
    position: usize,
    count: usize,
) -> Result<(TestOutcome, Option<(usize, usize)>), String> {
    let package = &lesson.skeleton.name;
    let log_path = Path::new(STATE_DIR).join(format!("progress-{package}.log"));
    xtask::fs::create_dir(Path::new(STATE_DIR))?;
    let log = File::create(&log_path)
        .map_err(|err| format!("could not create {}: {err}", log_path.display()))?;
    let mut first = true;
    let ran = process::run_to_log(
        Command::new(process::cargo()).args(["test", "-q", "-p", package]),
        &log,
        TEST_TIMEOUT,
        |elapsed| {
            let line = format!(
                "progress: [{position}/{count}] cargo test -q -p {package} ({} s)",
                elapsed.as_secs()
            );
            show_progress_line(&line, first);
            first = false;
        },
    )
    .map_err(|err| format!("could not run cargo: {err}"))?;
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    let outcome = match ran.status {
        Some(status) if status.success() => TestOutcome::Passed,
        Some(_) if output.contains("could not compile") => TestOutcome::DoesNotCompile,
        Some(_) => TestOutcome::Failed,
        None => TestOutcome::TimedOut,
    };
    let counts = match outcome {
        TestOutcome::Passed | TestOutcome::Failed => test_counts(&output),
        TestOutcome::DoesNotCompile | TestOutcome::TimedOut => None,
    };
    Ok((outcome, counts))
}

/// One line on stderr that rewrites itself on a terminal; elsewhere (a log, a test) only
/// the first message of each lesson is printed, so the output stays readable.
fn show_progress_line(text: &str, first: bool) {
    let mut stderr = std::io::stderr();
    if stderr.is_terminal() {
        let _ = write!(stderr, "\r\x1b[2K{text}");
        let _ = stderr.flush();
    } else if first {
        let _ = writeln!(stderr, "{text}");
    }
}

fn clear_progress_line() {
    let mut stderr = std::io::stderr();
    if stderr.is_terminal() {
        let _ = write!(stderr, "\r\x1b[2K");
        let _ = stderr.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_come_from_every_test_binary() {
        let output = "\
running 0 tests
test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
running 12 tests
test result: FAILED. 9 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 3.10s
";
        // The ignored test is a "Going further" extension: not counted.
        assert_eq!(test_counts(output), Some((9, 11)));
        assert_eq!(test_counts("error: could not compile `lesson1`"), None);
    }
}
