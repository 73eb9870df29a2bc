//! Reports in the order of the tests' names, and one "Next: TODO(n)" block per `todo!()`.
//!
//! libtest runs a test file's tests in threads, several at once, and prints the report of
//! each failed test in the order the tests *finished*: a race. It starts them in the order
//! of their names, though, and each runs in a thread named after the test. So a failing test
//! waits, before it writes its report, until every test whose name sorts before its own has
//! finished: the reports then come out in the order of the names, which the lessons choose
//! so that the most basic check comes first (`todo1_threads::...` before `todo2_guard::...`).
//!
//! The same wait makes the "Next" block deterministic: when a test's report is written,
//! every test before it has finished, so it knows whether one of them stopped at the same
//! `todo!()`. The first test (by name) that stopped at TODO(n) explains it; the others say
//! "stopped at TODO(n) too" in one line. Run alone, a test is first.
//!
//! How a test is known to have finished: the harness notes each test thread the first time
//! the test calls it ([`enter`]), in a thread-local value dropped when that thread ends.
//! Which tests are in the run: the test binary lists them itself (`--list`, with the same
//! filters). A test that never calls the harness is waited for only [`GRACE`]; any wait ends
//! after [`LONGEST`]. Nothing sleeps: the waits are on a condition variable that every finish
//! and every stop notifies.
//!
//! Only failing tests wait, only in their report, and only for tests that started before
//! them: a chain that always ends, so it cannot deadlock.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::STEP;

/// How long a failing test waits for an earlier test that has not called the harness yet
/// (a test started before it always has, unless it never does: a test that skips at once).
const GRACE: Duration = Duration::from_secs(1);
/// The longest a failing test waits for the tests before it, in all.
const LONGEST: Duration = Duration::from_secs(60);

/// What the test threads of this run have told each other.
#[derive(Default)]
struct Board {
    /// Tests that have called the harness.
    entered: BTreeSet<String>,
    /// Tests whose thread has ended.
    finished: BTreeSet<String>,
    /// For each test that stopped at a `todo!()`: which one ("TODO(2)").
    stopped_at: BTreeMap<String, String>,
}

struct Shared {
    board: Mutex<Board>,
    changed: Condvar,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| Shared {
        board: Mutex::new(Board::default()),
        changed: Condvar::new(),
    })
}

fn board() -> MutexGuard<'static, Board> {
    shared()
        .board
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Marks its test finished when the test's thread ends.
struct Finish(String);

impl Drop for Finish {
    fn drop(&mut self) {
        board().finished.insert(std::mem::take(&mut self.0));
        shared().changed.notify_all();
    }
}

thread_local! {
    static FINISH: RefCell<Option<Finish>> = const { RefCell::new(None) };
}

/// The test this thread runs: libtest names each test's thread after the test.
fn this_test() -> Option<String> {
    let thread = std::thread::current();
    let name = thread.name()?;
    (name != "main").then(|| name.to_string())
}

/// Notes that this thread's test has started, so that a failing test after it waits for it
/// to finish. Called by the harness's entry points; cheap after the first call.
pub(crate) fn enter() {
    let _ = FINISH.try_with(|finish| {
        let mut finish = finish.borrow_mut();
        if finish.is_some() {
            return;
        }
        if let Some(name) = this_test() {
            board().entered.insert(name.clone());
            shared().changed.notify_all();
            *finish = Some(Finish(name));
        }
    });
}

/// Waits until every test of this run whose name sorts before this one has finished (see
/// the module's text), noting first that this test stopped at `todo` if it did.
///
/// Returns the first test (by name) that stopped at the same `todo!()`, if that is another
/// test than this one: this test's report is then one line. `None`: this test writes the
/// whole report.
pub(crate) fn wait_for_turn(todo: Option<&str>) -> Option<String> {
    enter();
    let me = this_test()?;
    let earlier: Vec<String> = match run_list() {
        Some(tests) => tests.iter().filter(|test| **test < me).cloned().collect(),
        None => Vec::new(),
    };
    let mut board = board();
    if let Some(todo) = todo {
        board.stopped_at.insert(me.clone(), todo.to_string());
        shared().changed.notify_all();
    }
    let started = Instant::now();
    loop {
        let waited = started.elapsed();
        let waiting = earlier.iter().any(|test| {
            !board.finished.contains(test) && (board.entered.contains(test) || waited < GRACE)
        });
        if !waiting || waited >= LONGEST {
            break;
        }
        let next = if waited < GRACE { GRACE } else { LONGEST };
        board = match shared().changed.wait_timeout(board, next - waited) {
            Ok((board, _)) => board,
            Err(poisoned) => poisoned.into_inner().0,
        };
    }
    let todo = todo?;
    first_at(&board.stopped_at, todo, &me)
}

/// The test that sorts first among those that stopped at `todo`, up to `me`, if not `me`.
fn first_at(stopped_at: &BTreeMap<String, String>, todo: &str, me: &str) -> Option<String> {
    stopped_at
        .iter()
        .filter(|(test, at)| test.as_str() <= me && at.as_str() == todo)
        .map(|(test, _)| test.clone())
        .next()
        .filter(|first| first != me)
}

/// The tests this run runs, read once: the test binary's own `--list`, with the arguments
/// it was given (the same filters, `--exact`, `--skip`), without the ignored tests unless it
/// runs them. `None` if the list cannot be read: then no test waits.
fn run_list() -> Option<&'static BTreeSet<String>> {
    static LIST: OnceLock<Option<BTreeSet<String>>> = OnceLock::new();
    LIST.get_or_init(|| {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let listed = list_tests(&args, false)?;
        let runs_ignored = args
            .iter()
            .any(|arg| arg == "--ignored" || arg == "--include-ignored");
        if runs_ignored {
            return Some(listed);
        }
        let ignored = list_tests(&args, true)?;
        Some(listed.difference(&ignored).cloned().collect())
    })
    .as_ref()
}

/// The names `--list` gives with these arguments (and `--ignored`: only the ignored ones).
fn list_tests(args: &[String], only_ignored: bool) -> Option<BTreeSet<String>> {
    let program = std::env::current_exe().ok()?;
    let mut command = Command::new(program);
    command
        .args(listing_args(args))
        .args(["--list", "--format", "terse"]);
    if only_ignored {
        command.arg("--ignored");
    }
    let ran = process::run(&mut command, b"", STEP).ok()?;
    if !ran.status.is_some_and(|status| status.success()) {
        return None;
    }
    Some(parse_list(&String::from_utf8_lossy(&ran.stdout)))
}

/// The run's arguments without those that would change how `--list` prints or where it
/// writes (`--format`, `-q`, `--logfile`).
fn listing_args(args: &[String]) -> Vec<String> {
    let mut kept = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--format" | "--logfile" => {
                rest.next();
            }
            "-q" | "--quiet" => {}
            _ if arg.starts_with("--format=") || arg.starts_with("--logfile=") => {}
            _ => kept.push(arg.clone()),
        }
    }
    kept
}

/// `name: test` lines (benchmarks are not run by `cargo test`).
fn parse_list(listing: &str) -> BTreeSet<String> {
    listing
        .lines()
        .filter_map(|line| line.strip_suffix(": test"))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_test_by_name_explains_a_todo() {
        let stopped: BTreeMap<String, String> = [
            ("a_first", "TODO(2)"),
            ("b_second", "TODO(1)"),
            ("c_third", "TODO(1)"),
            ("d_fourth", "TODO(2)"),
        ]
        .into_iter()
        .map(|(test, todo)| (test.to_string(), todo.to_string()))
        .collect();
        assert_eq!(first_at(&stopped, "TODO(1)", "b_second"), None);
        assert_eq!(
            first_at(&stopped, "TODO(1)", "c_third"),
            Some("b_second".into())
        );
        assert_eq!(
            first_at(&stopped, "TODO(2)", "d_fourth"),
            Some("a_first".into())
        );
        assert_eq!(first_at(&stopped, "TODO(2)", "a_first"), None);
    }

    #[test]
    fn the_list_keeps_the_filters_and_drops_the_format() {
        let args: Vec<String> = ["todo1", "--exact", "-q", "--format", "json", "--logfile=x"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(listing_args(&args), ["todo1", "--exact"]);
        let listing = "a::b: test\nc: test\nbench_it: bench\n";
        let names: Vec<String> = parse_list(listing).into_iter().collect();
        assert_eq!(names, ["a::b", "c"]);
    }
}
