//! The reports of a test run, as a learner reads them: one "Next: TODO(n)" block per `todo!()`
//! however many tests stopped there, carried by the first of them by name whichever finished
//! first, and the reports in the order of the tests' names.
//!
//! The `demo_*` tests below are the learner's run: they fail as lesson tests do, with the
//! stderr of a program that stopped at a `todo!()`. They do nothing unless `NEXT_STEP_DEMO`
//! is set; the `a_run_*` tests run this very test binary again with it set, and read what
//! cargo's test runner printed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use harness::{Lesson, Problem, Seen};

/// How the demo tests run: `plain`, or `race` (the first test finishes last, see below).
const DEMO: &str = "NEXT_STEP_DEMO";
/// In a `race`, the FIFO through which `demo_3` lets `demo_1` finish.
const FIFO: &str = "NEXT_STEP_FIFO";

const LESSON: Lesson = Lesson {
    number: 1,
    program: "lesson1",
    package: "lesson1",
};

/// Fails like a lesson test whose program stopped at `todo!("TODO(n): ...")`.
fn stop_at(todo: u32) -> ! {
    let seen = Seen {
        stderr: format!(
            "thread 'main' panicked at lessons/lesson1/src/main.rs:40:5:\n\
             not yet implemented: TODO({todo}): the step\n"
        )
        .into_bytes(),
        ..Seen::default()
    };
    let problem = Problem {
        check: format!("a check that needs TODO({todo})"),
        section: "Sending a line".into(),
        ..Problem::default()
    };
    LESSON.fail(problem, &seen)
}

fn demo() -> Option<String> {
    std::env::var(DEMO).ok()
}

/// First by name, last to finish in a race: it waits until `demo_3` has stopped at the same
/// TODO (opening a FIFO for reading waits for its writer).
#[test]
fn demo_1_stops_at_todo1() {
    let Some(mode) = demo() else { return };
    if mode == "race" {
        let fifo = std::env::var(FIFO).expect("the FIFO's path");
        let _ = std::fs::read(fifo);
    }
    stop_at(1)
}

#[test]
fn demo_2_stops_at_todo2() {
    if demo().is_some() {
        stop_at(2)
    }
}

/// Stops at TODO(1) as soon as `demo_1` waits; in a race, its report is written first.
#[test]
fn demo_3_stops_at_todo1_too() {
    let Some(mode) = demo() else { return };
    if mode == "race" {
        let fifo = std::env::var(FIFO).expect("the FIFO's path");
        std::fs::write(fifo, b"go").expect("demo_1 reads the FIFO");
    }
    stop_at(1)
}

#[test]
fn demo_4_passes() {}

#[test]
fn demo_5_stops_at_todo2_too() {
    if demo().is_some() {
        stop_at(2)
    }
}

/// Runs the demo tests (those that `filter` selects) in a test binary of their own, and
/// returns what the test runner printed.
fn run_demo(mode: &str, filter: &[&str], threads: usize, fifo: Option<&Path>) -> String {
    let program = std::env::current_exe().expect("the test binary");
    let mut command = Command::new(program);
    command
        .args(filter)
        .arg(format!("--test-threads={threads}"))
        .env(DEMO, mode);
    if let Some(fifo) = fifo {
        command.env(FIFO, fifo);
    }
    let ran = process::run(&mut command, b"", Duration::from_secs(60)).expect("the demo runs");
    assert!(!ran.timed_out, "the demo run hung");
    String::from_utf8_lossy(&ran.stdout).into_owned()
}

/// The reports of a run: each failed test's name and what it printed, in the order shown.
fn reports(output: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in output.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|rest| rest.strip_suffix(" stdout ----"))
        {
            found.extend(current.take());
            current = Some((name.to_string(), String::new()));
        } else if line == "failures:" {
            found.extend(current.take());
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    found.extend(current);
    found
}

/// The checks every run of all five demos passes, whatever the threads did.
fn check_run(output: &str) {
    let reports = reports(output);
    let names: Vec<&str> = reports.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "demo_1_stops_at_todo1",
            "demo_2_stops_at_todo2",
            "demo_3_stops_at_todo1_too",
            "demo_5_stops_at_todo2_too"
        ],
        "reports in the order of the names:\n{output}"
    );
    assert_eq!(output.matches("Next: TODO(1)").count(), 2, "{output}");
    assert_eq!(output.matches("Next: TODO(2)").count(), 2, "{output}");
    let text = |at: usize| reports[at].1.trim();
    assert!(text(0).contains("Next: TODO(1) in "), "{output}");
    assert!(text(1).contains("Next: TODO(2) in "), "{output}");
    assert_eq!(
        text(2),
        "✗ lesson 1: stopped at TODO(1) too: see \"Next: TODO(1)\" above, under \
         demo_1_stops_at_todo1",
        "{output}"
    );
    assert_eq!(
        text(3),
        "✗ lesson 1: stopped at TODO(2) too: see \"Next: TODO(2)\" above, under \
         demo_2_stops_at_todo2",
        "{output}"
    );
}

#[test]
fn a_run_explains_each_todo_once_in_the_first_test_by_name() {
    for threads in [1, 2, 8] {
        check_run(&run_demo("plain", &["demo_"], threads, None));
    }
}

/// The first test by name carries the block even when it is the last to finish.
#[cfg(unix)]
#[test]
fn a_run_explains_a_todo_in_the_first_test_even_when_it_finishes_last() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("next-step-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder for the FIFO");
    let fifo = dir.join("go");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|status| status.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    // Enough threads for demo_1 and demo_3 to run at the same time.
    let output = run_demo("race", &["demo_"], 5, Some(&fifo));
    let _ = std::fs::remove_dir_all(&dir);
    check_run(&output);
}

/// A test run alone explains its TODO itself.
#[test]
fn a_test_run_alone_explains_its_todo() {
    let output = run_demo("plain", &["demo_3_stops_at_todo1_too", "--exact"], 2, None);
    let reports = reports(&output);
    assert_eq!(reports.len(), 1, "{output}");
    assert!(reports[0].1.contains("Next: TODO(1) in "), "{output}");
}
