//! `cargo xtask progress [N...]`: where the learner stands, lesson by lesson.
//!
//! Each lesson is one of:
//!
//! - **not started**: `lessons/lessonN` is still exactly the skeleton as shipped (git has the
//!   shipped copy, see [`crate::reset`]). Its tests are not run: the untouched skeleton
//!   fails them by design (`cargo xtask verify` proves it). Without git, a lesson whose
//!   tests fail while its `todo!("TODO(1)...")` is still in place counts as not started.
//! - **in progress**: the learner has changed it, and `cargo test -p lessonN` fails.
//! - **passed**: `cargo test -p lessonN` passes.
//! - **no tests yet**: there is no `tests/lessonN.rs`, so nothing can say (a lesson that is
//!   still being written).
//!
//! This module also holds what the other learner commands share: the lesson's chapter and
//! its title, the TODOs left in a skeleton, which lesson comes next, and a small record of
//! the lessons seen passing (`target/xtask/passed.txt`) that lets `watch` and `hint` pick
//! the first unfinished lesson without running every test suite.

use std::fs::{self, File};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::reset;
use crate::verify::discover_lessons;

/// Where the learner tooling keeps its small state files (inside `target/`, so that the
/// lessons directory only ever holds the learner's work and `cargo clean` forgets it all).
pub(crate) const STATE_DIR: &str = "target/xtask";
/// The first run compiles the test dependencies; a slow laptop may need minutes.
const TEST_TIMEOUT: Duration = Duration::from_secs(600);

/// Where one lesson stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Status {
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
pub fn run(args: &[String]) -> Result<(), String> {
    let lessons = select(args)?;
    let started = Instant::now();
    let mut rows = Vec::new();
    for (index, &lesson) in lessons.iter().enumerate() {
        let status = status_of(lesson, index + 1, lessons.len())?;
        rows.push((lesson, status));
    }
    clear_progress_line();

    let title_width = rows
        .iter()
        .map(|(lesson, _)| chapter_title(*lesson).chars().count())
        .max()
        .unwrap_or(0)
        .max("chapter".len());
    println!("{:<6}  {:<title_width$}  status", "lesson", "chapter");
    for (lesson, status) in &rows {
        println!(
            "{:<6}  {:<title_width$}  {}",
            lesson,
            chapter_title(*lesson),
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
            println!(
                "\nNext: {verb} lesson {lesson}, {}.",
                describe_chapter(*lesson)
            );
            println!(
                "  cargo xtask watch {lesson}   reruns its tests whenever you save\n  \
                 cargo xtask hint {lesson}    shows a hint, one at a time"
            );
        }
        None if passed == rows.len() => println!("Every lesson checked passes. Well done!"),
        None => println!("Every lesson with tests passes; the others are still being written."),
    }
    Ok(())
}

/// The lessons named on the command line (`2`, `lesson2`), or all of them.
fn select(args: &[String]) -> Result<Vec<u32>, String> {
    let available = discover_lessons()?;
    if available.is_empty() {
        return Err("no lessons found: expected lessons/lessonN next to solutions/lessonN".into());
    }
    if args.is_empty() {
        return Ok(available);
    }
    args.iter()
        .map(|arg| parse_lesson(arg, &available))
        .collect()
}

/// A lesson number as typed (`2` or `lesson2`), checked against the lessons that exist.
pub(crate) fn parse_lesson(arg: &str, available: &[u32]) -> Result<u32, String> {
    let number: u32 = arg
        .strip_prefix("lesson")
        .unwrap_or(arg)
        .parse()
        .map_err(|_| {
            format!(
                "`{arg}` is not a lesson number (lessons: {})",
                list(available)
            )
        })?;
    if available.contains(&number) {
        Ok(number)
    } else {
        Err(format!(
            "there is no lesson {number} (lessons: {})",
            list(available)
        ))
    }
}

fn list(lessons: &[u32]) -> String {
    let words: Vec<String> = lessons.iter().map(u32::to_string).collect();
    words.join(", ")
}

/// Finds out where one lesson stands, running its tests if the learner has touched it.
fn status_of(lesson: u32, position: usize, count: usize) -> Result<Status, String> {
    if !has_tests(lesson) {
        return Ok(Status::NoTests);
    }
    // `Some(true)`: exactly the shipped skeleton. `None`: git cannot tell (no git, or the
    // lesson is not committed yet).
    let untouched = reset::pristine(lesson, None)
        .ok()
        .map(|pristine| pristine.differences().is_empty());
    if untouched == Some(true) {
        return Ok(Status::NotStarted);
    }
    let outcome = test_quietly(lesson, position, count)?;
    let todos = todos_left(lesson);
    let status = match outcome {
        TestOutcome::Passed => {
            record_pass(lesson);
            Status::Passed
        }
        _ if untouched.is_none() && todos.first() == Some(&1) => Status::NotStarted,
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
/// meanwhile. The log goes to a file, not a pipe, so nothing can block on a full pipe.
fn test_quietly(lesson: u32, position: usize, count: usize) -> Result<TestOutcome, String> {
    fs::create_dir_all(STATE_DIR).map_err(|err| format!("could not create {STATE_DIR}: {err}"))?;
    let log_path = PathBuf::from(format!("{STATE_DIR}/progress-lesson{lesson}.log"));
    let log = File::create(&log_path)
        .map_err(|err| format!("could not create {}: {err}", log_path.display()))?;
    let log_copy = log
        .try_clone()
        .map_err(|err| format!("could not share {}: {err}", log_path.display()))?;
    let package = format!("lesson{lesson}");
    let mut child = Command::new(cargo())
        .args(["test", "-q", "-p", &package])
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_copy)
        .spawn()
        .map_err(|err| format!("could not start cargo: {err}"))?;

    let started = Instant::now();
    let mut first = true;
    loop {
        let line = format!(
            "progress: [{position}/{count}] cargo test -q -p {package} ({} s)",
            started.elapsed().as_secs()
        );
        show_progress_line(&line, first);
        first = false;
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(TestOutcome::Passed),
            Ok(Some(_)) => {
                let output = fs::read_to_string(&log_path).unwrap_or_default();
                return Ok(if output.contains("could not compile") {
                    TestOutcome::DoesNotCompile
                } else {
                    TestOutcome::Failed
                });
            }
            Ok(None) if started.elapsed() > TEST_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(TestOutcome::TimedOut);
            }
            Ok(None) => thread::sleep(Duration::from_millis(200)),
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("could not wait for cargo: {err}"));
            }
        }
    }
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

// ---------------------------------------------------------------------------------------
// Facts about a lesson, shared by the learner commands

/// The cargo that runs `cargo xtask` (cargo tells its children), or the one on the PATH.
pub(crate) fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Whether the lesson has its test file yet (`tests/lessonN.rs`).
pub(crate) fn has_tests(lesson: u32) -> bool {
    Path::new(&format!("tests/lesson{lesson}.rs")).is_file()
}

/// The lesson's chapter file, `book/src/lessonN.md`.
pub(crate) fn chapter_file(lesson: u32) -> String {
    format!("book/src/lesson{lesson}.md")
}

/// The chapter's title as the book's table of contents shows it (`A TCP client`), from
/// `book/src/SUMMARY.md`; failing that, the chapter's first heading; failing that,
/// `Lesson N`.
pub(crate) fn chapter_title(lesson: u32) -> String {
    let link = format!("](lesson{lesson}.md)");
    let from_summary = fs::read_to_string("book/src/SUMMARY.md")
        .ok()
        .and_then(|summary| {
            summary.lines().find_map(|line| {
                let end = line.find(&link)?;
                let start = line[..end].rfind('[')? + 1;
                Some(line[start..end].trim().to_string())
            })
        });
    let from_chapter = || {
        fs::read_to_string(chapter_file(lesson))
            .ok()?
            .lines()
            .find_map(|line| {
                line.strip_prefix("# ")
                    .map(|title| title.trim().to_string())
            })
    };
    from_summary
        .or_else(from_chapter)
        .filter(|title| !title.is_empty())
        .unwrap_or_else(|| format!("Lesson {lesson}"))
}

/// `"A TCP client" (book/src/lesson1.md)`: how messages name a lesson's chapter.
pub(crate) fn describe_chapter(lesson: u32) -> String {
    format!("\"{}\" ({})", chapter_title(lesson), chapter_file(lesson))
}

/// The numbers of the `todo!("TODO(n)...")` calls still in the lesson's `src/main.rs`, in
/// increasing order: the first one is where the learner's program stops next.
pub(crate) fn todos_left(lesson: u32) -> Vec<u32> {
    let path = format!("lessons/lesson{lesson}/src/main.rs");
    todo_numbers(&fs::read_to_string(path).unwrap_or_default())
}

/// The `n` of every `todo!("TODO(n)...")` in a program, sorted, each once. The message may
/// start on the next line (`todo!(\n    "TODO(3): ...`), as rustfmt writes a long one.
pub(crate) fn todo_numbers(program: &str) -> Vec<u32> {
    let mut numbers: Vec<u32> = program
        .split("todo!(")
        .skip(1)
        .filter_map(|rest| {
            let rest = rest.trim_start().strip_prefix("\"TODO(")?;
            rest.split(')').next()?.parse().ok()
        })
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

/// Prints what comes after a lesson that has just passed.
pub(crate) fn print_next_after(lesson: u32) {
    let later = discover_lessons()
        .unwrap_or_default()
        .into_iter()
        .find(|&other| other > lesson);
    match later {
        Some(next) => {
            println!("Next: lesson {next}, {}.", describe_chapter(next));
            println!("  cargo xtask watch {next}   to work on it with its tests rerun as you save");
        }
        None => println!("That was the last lesson. Well done!"),
    }
}

// ---------------------------------------------------------------------------------------
// The record of passed lessons

/// Remembers that the lesson passed with its files as they are now.
pub(crate) fn record_pass(lesson: u32) {
    let path = PathBuf::from(format!("{STATE_DIR}/passed.txt"));
    let mut lines: Vec<String> = fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.split_whitespace().next() != Some(&format!("lesson{lesson}")))
        .map(str::to_string)
        .collect();
    lines.push(format!("lesson{lesson} {:016x}", fingerprint(lesson)));
    // A record that cannot be written only costs a test run later.
    let _ = fs::create_dir_all(STATE_DIR);
    let _ = fs::write(&path, lines.join("\n") + "\n");
}

/// Whether the lesson was seen passing with exactly its current files and tests.
pub(crate) fn known_passed(lesson: u32) -> bool {
    let wanted = format!("lesson{lesson} {:016x}", fingerprint(lesson));
    fs::read_to_string(format!("{STATE_DIR}/passed.txt"))
        .unwrap_or_default()
        .lines()
        .any(|line| line.trim() == wanted)
}

/// The first lesson with tests not known to pass: what `watch` and `hint` work on when no
/// lesson is named. Cheap: it runs no tests (a lesson that passes but was never seen
/// passing counts as unfinished; its first test run then says it is done).
pub(crate) fn first_unfinished() -> Result<Option<u32>, String> {
    Ok(discover_lessons()?
        .into_iter()
        .find(|&lesson| has_tests(lesson) && !known_passed(lesson)))
}

/// A hash of the lesson's files and of its test file. FNV-1a: tiny, and stable from one
/// Rust release to the next (unlike `DefaultHasher`), so the record stays valid.
fn fingerprint(lesson: u32) -> u64 {
    let mut files = Vec::new();
    collect_files(Path::new(&format!("lessons/lesson{lesson}")), &mut files);
    files.push(PathBuf::from(format!("tests/lesson{lesson}.rs")));
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let name = file.to_string_lossy().into_owned().into_bytes();
        let content = fs::read(&file).unwrap_or_default();
        for byte in name.iter().chain(&[0]).chain(&content).chain(&[0]) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// Every file under `dir`, leaving out build directories.
pub(crate) fn collect_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != "target" {
                collect_files(&path, found);
            }
        } else {
            found.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn todos_are_found_even_when_rustfmt_splits_them() {
        let program =
            "todo!(\"TODO(2): b\")\n// TODO(9) in a comment\ntodo!(\n    \"TODO(1): a {x}\",\n)";
        assert_eq!(todo_numbers(program), vec![1, 2]);
    }

    #[test]
    fn lesson_numbers_are_checked() {
        assert_eq!(parse_lesson("2", &[1, 2, 3]), Ok(2));
        assert_eq!(parse_lesson("lesson3", &[1, 2, 3]), Ok(3));
        assert!(parse_lesson("7", &[1, 2, 3]).is_err());
        assert!(parse_lesson("two", &[1, 2, 3]).is_err());
    }
}
