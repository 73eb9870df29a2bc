//! `cargo xtask flake [N...] [--runs K] [--hog H] [--jobs J]`: hunts for tests that fail now
//! and then.
//!
//! A test that fails once in a few hundred runs on correct code costs a learner an evening
//! of hunting a bug that is not there. This builds the test binaries of the reference
//! solutions (of lessons N..., or all), then runs each one K times in a row, as `cargo test`
//! would (from the package's folder, with the same `RUST_TEST_THREADS`), while H threads
//! burn CPU beside them: a busy machine is where timing assumptions break. With `--jobs J`,
//! J runs of the same binary go at once: more load still, and J times faster for suites
//! that spend their time waiting on timeouts (lesson 3's retries). Every failure is
//! reported with the test's own output, and any failure fails the command.
//!
//! The solutions pass every test by construction, so whatever fails here is the test's
//! fault (or the harness's), never the program's.

use std::hint::black_box;
use std::io::{IsTerminal, Write};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use course::Lesson;
use xtask::Error;

use crate::flags;

/// One run of one test binary; its own deadlines end a stuck test long before.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);
/// How much of a failed run's output to show (from its `failures:` section on).
const OUTPUT_LINES: usize = 80;

/// One test binary of one solution.
struct Suite<'a> {
    lesson: &'a Lesson,
    /// `lesson1` (the lesson's test file) or `interop`.
    target: String,
    executable: std::path::PathBuf,
}

/// One failed run.
struct Failure {
    suite: String,
    run: u32,
    tests: Vec<String>,
    output: String,
}

/// Runs `cargo xtask flake [N...] [--runs K] [--hog H]` from the workspace root.
pub fn run(args: &flags::Flake) -> Result<(), Error> {
    let course = xtask::load_course()?;
    let lessons = xtask::select(&course, &args.lessons)?;
    if args.runs == 0 || args.jobs == 0 {
        return Err(Error::Usage(
            "flake: --runs 0 or --jobs 0 runs nothing".into(),
        ));
    }
    let mut cargo_args = vec!["test", "--no-run", "--quiet"];
    for lesson in &lessons {
        cargo_args.extend(["-p", lesson.solution.name.as_str()]);
    }
    println!(
        "flake: building the test binaries (cargo {})",
        cargo_args.join(" ")
    );
    let built = xtask::cargo::build(&cargo_args)?;
    let suites: Vec<Suite> = lessons
        .iter()
        .flat_map(|lesson| {
            built
                .iter()
                .filter(|artifact| artifact.test && artifact.package == lesson.solution.name)
                .map(|artifact| Suite {
                    lesson,
                    target: artifact.target.clone(),
                    executable: artifact.executable.clone(),
                })
        })
        .collect();

    println!(
        "flake: {} run(s) of each of {} test binaries, {} at a time, {} CPU-burning \
         thread(s) beside them",
        args.runs,
        suites.len(),
        args.jobs,
        args.hogs
    );
    let hogs = Hogs::start(args.hogs);
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for suite in &suites {
        let name = format!("{} / {}", suite.lesson.solution.name, suite.target);
        let suite_started = Instant::now();
        let found = run_many(suite, &name, args.runs, args.jobs)?;
        let failed = found.len() as u32;
        failures.extend(found);
        clear_progress();
        println!(
            "  {name:<34} {:>5} runs  {failed:>4} failed  {:>7.1} s",
            args.runs,
            suite_started.elapsed().as_secs_f64()
        );
        rows.push(failed);
    }
    drop(hogs);

    for failure in &failures {
        println!(
            "\n==== {}, run {}: {} ====",
            failure.suite,
            failure.run,
            if failure.tests.is_empty() {
                "failed".to_string()
            } else {
                format!("failed: {}", failure.tests.join(", "))
            }
        );
        println!("{}", failure.output);
    }
    let total: u32 = rows.iter().sum();
    println!(
        "\nflake: {} runs in {:.0} s, {total} failed",
        u64::from(args.runs) * suites.len() as u64,
        started.elapsed().as_secs_f64()
    );
    if total > 0 {
        return Err(
            format!("{total} run(s) failed on correct programs (their output is above)").into(),
        );
    }
    Ok(())
}

/// Runs a suite `runs` times, `jobs` runs at a time; the failures, in run order.
fn run_many(suite: &Suite, name: &str, runs: u32, jobs: u32) -> Result<Vec<Failure>, String> {
    let next_run = AtomicU32::new(1);
    // Each worker thread's failures, or the error that stopped it.
    let outcomes: Vec<Result<Vec<Failure>, String>> = thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs.min(runs))
            .map(|_| {
                scope.spawn(|| {
                    let mut found = Vec::new();
                    loop {
                        let run = next_run.fetch_add(1, Ordering::Relaxed);
                        if run > runs {
                            return Ok(found);
                        }
                        show_progress(&format!("flake: {name}: run {run} of {runs}"));
                        if let Some(failure) = run_once(suite, name, run)? {
                            found.push(failure);
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|_| Err("a flake worker thread panicked".into()))
            })
            .collect()
    });
    let mut failures = Vec::new();
    for outcome in outcomes {
        failures.extend(outcome?);
    }
    failures.sort_by_key(|failure| failure.run);
    Ok(failures)
}

/// Runs a suite once; `Some` with the evidence if it failed.
fn run_once(suite: &Suite, name: &str, run: u32) -> Result<Option<Failure>, String> {
    let package_dir = std::env::current_dir()
        .map_err(|err| format!("could not read the current folder: {err}"))?
        .join(&suite.lesson.solution.dir);
    let mut command = Command::new(&suite.executable);
    // As `cargo test` runs it: from the package's folder, which it is told.
    command
        .current_dir(&package_dir)
        .env("CARGO_MANIFEST_DIR", &package_dir);
    let ran = process::run(&mut command, b"", RUN_TIMEOUT)
        .map_err(|err| format!("could not run {}: {err}", suite.executable.display()))?;
    if ran.status.is_some_and(|status| status.success()) {
        return Ok(None);
    }
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&ran.stdout),
        String::from_utf8_lossy(&ran.stderr)
    );
    let tests = output
        .lines()
        .filter_map(|line| line.strip_prefix("test ")?.strip_suffix(" ... FAILED"))
        .map(str::to_string)
        .collect();
    let mut shown = evidence(&output);
    if ran.timed_out {
        shown.push_str(&format!("\n(stopped after {} s)", RUN_TIMEOUT.as_secs()));
    }
    Ok(Some(Failure {
        suite: name.to_string(),
        run,
        tests,
        output: shown,
    }))
}

/// The part of a failed run's output worth reading: from its `failures:` section on, or
/// its last lines.
fn evidence(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    let from = lines
        .iter()
        .position(|line| *line == "failures:")
        .unwrap_or_else(|| lines.len().saturating_sub(OUTPUT_LINES));
    let shown = &lines[from..];
    let cut = shown.len().saturating_sub(OUTPUT_LINES);
    let mut text = shown[cut..].join("\n");
    if cut > 0 {
        text = format!("... ({cut} lines cut)\n{text}");
    }
    text
}

/// Threads that keep CPU cores busy until they are dropped.
struct Hogs {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Hogs {
    fn start(count: u32) -> Hogs {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..count)
            .map(|seed| {
                let stop = Arc::clone(&stop);
                thread::spawn(move || {
                    let mut x = u64::from(seed) + 1;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..10_000 {
                            x = black_box(
                                x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1),
                            );
                        }
                    }
                })
            })
            .collect();
        Hogs { stop, threads }
    }
}

impl Drop for Hogs {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn show_progress(text: &str) {
    let mut stderr = std::io::stderr();
    if stderr.is_terminal() {
        let _ = write!(stderr, "\r\x1b[2K{text}");
        let _ = stderr.flush();
    }
}

fn clear_progress() {
    show_progress("");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_evidence_starts_at_the_failures() {
        let output = "running 2 tests\ntest a ... ok\ntest b ... FAILED\n\nfailures:\n\n---- b stdout ----\nboom\n";
        assert_eq!(evidence(output), "failures:\n\n---- b stdout ----\nboom");
    }
}
