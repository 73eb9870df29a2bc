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
}

/// Runs `cargo xtask progress [N...]` from the workspace root.
pub fn run(args: &flags::Progress) -> Result<(), Error> {
    let course = xtask::load_course()?;
    let lessons = xtask::select(&course, &args.lessons)?;
    let started = Instant::now();
    let mut rows = Vec::new();
    for (index, lesson) in lessons.iter().enumerate() {
        let status = status_of(lesson, index + 1, lessons.len())?;
        rows.push((*lesson, status));
    }
    clear_progress_line();

    let title_width = rows
        .iter()
        .map(|(lesson, _)| lesson.title.chars().count())
        .max()
        .unwrap_or(0)
        .max("chapter".len());
    println!("{:<6}  {:<title_width$}  status", "lesson", "chapter");
    for (lesson, status) in &rows {
        println!(
            "{:<6}  {:<title_width$}  {}",
            lesson.number,
            lesson.title,
            status.word()
        );
    }
    let passed = rows.iter().filter(|(_, s)| *s == Status::Passed).count();
    println!(
        "\n{passed} of {} lesson(s) passed (checked in {:.0} s).",
        rows.len(),
        started.elapsed().as_secs_f64()
    );

    let next = rows
        .iter()
        .find(|(_, status)| matches!(status, Status::NotStarted | Status::InProgress(_)));
    match next {
        Some((lesson, status)) => {
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
    Ok(())
}

/// Finds out where one lesson stands, running its tests if the learner has touched it.
fn status_of(lesson: &Lesson, position: usize, count: usize) -> Result<Status, String> {
    if !lesson.tests.is_file() {
        return Ok(Status::NoTests);
    }
    let program = std::fs::read_to_string(lesson.skeleton.main_rs()).unwrap_or_default();
    // `None`: the skeleton cannot be made (a lesson being written); the tests still say.
    let untouched = generate(lesson).ok().map(|skeleton| skeleton == program);
    if untouched == Some(true) {
        return Ok(Status::NotStarted);
    }
    let outcome = test_quietly(lesson, position, count)?;
    let todos = todo_numbers(&program);
    let status = match outcome {
        TestOutcome::Passed => {
            state::record_pass(lesson);
            Status::Passed
        }
        TestOutcome::DoesNotCompile => Status::InProgress("does not compile".to_string()),
        TestOutcome::TimedOut => Status::InProgress(format!(
            "the tests did not finish within {} s",
            TEST_TIMEOUT.as_secs()
        )),
        TestOutcome::Failed => Status::InProgress(match todos.as_slice() {
            [] => "tests fail".to_string(),
            [only] => format!("next: TODO({only}), the last one"),
            [next, ..] => format!("next: TODO({next}) ({} TODOs left)", todos.len()),
        }),
    };
    Ok(status)
}

enum TestOutcome {
    Passed,
    Failed,
    DoesNotCompile,
    TimedOut,
}

/// Runs `cargo test -q -p lessonN` with its output in a log file, showing a progress line
/// meanwhile.
fn test_quietly(lesson: &Lesson, position: usize, count: usize) -> Result<TestOutcome, String> {
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
    Ok(match ran.status {
        Some(status) if status.success() => TestOutcome::Passed,
        Some(_) => {
            let output = std::fs::read_to_string(&log_path).unwrap_or_default();
            if output.contains("could not compile") {
                TestOutcome::DoesNotCompile
            } else {
                TestOutcome::Failed
            }
        }
        None => TestOutcome::TimedOut,
    })
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
