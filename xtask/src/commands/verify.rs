//! `cargo xtask verify`: proves that every lesson's tests tell right from wrong.
//!
//! For each lesson it runs `cargo test -p lessonN` with three kinds of `src/main.rs`:
//!
//! - the untouched skeleton, which must fail (it stops at `todo!()`);
//! - the reference solution from `solutions/lessonN`, which must pass;
//! - every wrong program in `tests/fixtures/lessonN/`, which must fail.
//!
//! A test suite that lets a wrong program through, or rejects the right one, would teach
//! the wrong thing, so any such surprise fails the command.
//!
//! The learner's files are never touched: the cases are swapped in and out of a scratch
//! copy of the workspace under `target/verify-workspace/`.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use xtask::fixture::Fixture;

/// The scratch copy of the workspace, rebuilt from the real one on every run.
const SCRATCH: &str = "target/verify-workspace";
/// What the scratch copy needs to build the lessons. `target/`, `book/` and `.git` stay out.
const COPIED: [&str; 8] = [
    "Cargo.toml",
    "Cargo.lock",
    ".cargo",
    "netkit",
    "tests",
    "lessons",
    "solutions",
    "xtask",
];
/// Where the captured output of each case is kept, for reading after the run.
const LOGS: &str = "target/verify-logs";
/// The first build compiles every dependency, which is slow on a small machine.
const BUILD_TIMEOUT: Duration = Duration::from_secs(600);
/// Each lesson test has its own deadlines; this only catches a run that hangs anyway.
const TEST_TIMEOUT: Duration = Duration::from_secs(180);
/// Fewer wrong programs than this and the tests are probably not exercised enough.
const ENOUGH_FIXTURES: usize = 5;
/// How much of a surprising case's output to print (the whole log stays on disk).
const LOG_TAIL_LINES: usize = 150;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Pass,
    Fail,
}

/// What actually happened to one case.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Got {
    Pass,
    Fail,
    /// Did not compile. Never what we want: a fixture that does not compile proves nothing
    /// about the tests, and a skeleton that does not compile greets the learner with errors.
    BuildError,
    TimedOut,
}

/// One program to put in place of the skeleton's `src/main.rs`.
struct Case {
    name: String,
    program: String,
    expect: Expect,
    /// For fixtures, the first line of their file: the mistake they make.
    about: String,
}

struct Lesson {
    number: u32,
    cases: Vec<Case>,
    fixture_count: usize,
    warnings: Vec<String>,
}

struct Outcome {
    lesson: u32,
    case_name: String,
    expect: Expect,
    got: Got,
    log: PathBuf,
}

impl Outcome {
    fn is_surprise(&self) -> bool {
        !matches!(
            (self.expect, self.got),
            (Expect::Pass, Got::Pass) | (Expect::Fail, Got::Fail)
        )
    }
}

/// Runs `cargo xtask verify [N...]`. Expects the current directory to be the workspace root.
pub fn run(args: &[String], root: &Path) -> Result<(), String> {
    let started = Instant::now();
    let lessons = select_lessons(args)?
        .into_iter()
        .map(plan_lesson)
        .collect::<Result<Vec<_>, _>>()?;

    println!("Copying the workspace to {SCRATCH}/ (your files are never changed)");
    sync_scratch()?;

    let table = Table::new(&lessons);
    table.print_header();
    let mut outcomes = Vec::new();
    for lesson in &lessons {
        outcomes.extend(verify_lesson(lesson, root, &table)?);
    }

    print_surprises(&outcomes);
    print_summary(&lessons, &outcomes, started.elapsed())
}

// ---------------------------------------------------------------------------------------
// Which lessons, which cases

/// The lessons named on the command line (`1`, `lesson1`), or all of them.
fn select_lessons(args: &[String]) -> Result<Vec<u32>, String> {
    let available = discover_lessons()?;
    if available.is_empty() {
        return Err("no lessons found: expected lessons/lessonN next to solutions/lessonN".into());
    }
    if args.is_empty() {
        return Ok(available);
    }
    let mut chosen = Vec::new();
    for arg in args {
        let number: u32 = arg
            .strip_prefix("lesson")
            .unwrap_or(arg)
            .parse()
            .map_err(|_| format!("`{arg}` is not a lesson number (try `verify 1 2`)"))?;
        if !available.contains(&number) {
            return Err(format!(
                "no lesson {number}: expected lessons/lesson{number} and solutions/lesson{number}"
            ));
        }
        chosen.push(number);
    }
    Ok(chosen)
}

/// Lessons are found, not listed: every `lessons/lessonN` with a `solutions/lessonN` beside
/// it, so adding lesson 6 needs no change here. (`progress`, `watch` and the other learner
/// commands find lessons with this function too.)
pub(crate) fn discover_lessons() -> Result<Vec<u32>, String> {
    let mut numbers = Vec::new();
    for entry in read_dir(Path::new("lessons"))? {
        let name = entry.to_string_lossy().into_owned();
        let Some(number) = name
            .strip_prefix("lesson")
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // `lesson01` would parse as 1 but is not the directory `lesson1`.
        if name == format!("lesson{number}") && Path::new("solutions").join(&name).is_dir() {
            numbers.push(number);
        }
    }
    numbers.sort_unstable();
    Ok(numbers)
}

/// The cases for one lesson, in the order they run: skeleton, solution, fixtures by name.
fn plan_lesson(number: u32) -> Result<Lesson, String> {
    let solution = read_text(&solution_main(number))?;
    let mut cases = vec![
        Case {
            name: "skeleton".into(),
            program: read_text(&skeleton_main(number))?,
            expect: Expect::Fail,
            about: "the learner's starting point, untouched".into(),
        },
        Case {
            name: "solution".into(),
            program: solution.clone(),
            expect: Expect::Pass,
            about: "the reference solution".into(),
        },
    ];

    let mut warnings = Vec::new();
    let fixtures = find_fixtures(number, &solution)?;
    let fixture_count = fixtures.len();
    if fixture_count < ENOUGH_FIXTURES {
        warnings.push(format!(
            "lesson {number} has {fixture_count} fixture(s) in tests/fixtures/lesson{number}/; \
             aim for at least {ENOUGH_FIXTURES}, one per typical mistake"
        ));
    }
    cases.extend(fixtures);
    Ok(Lesson {
        number,
        cases,
        fixture_count,
        warnings,
    })
}

fn skeleton_main(number: u32) -> PathBuf {
    PathBuf::from(format!("lessons/lesson{number}/src/main.rs"))
}

fn solution_main(number: u32) -> PathBuf {
    PathBuf::from(format!("solutions/lesson{number}/src/main.rs"))
}

/// The wrong programs of `tests/fixtures/lessonN/*.diff`, each made from the solution by
/// applying its diff (see `xtask::fixture`). A diff that no longer applies stops the run:
/// it must be made again from the current solution.
fn find_fixtures(number: u32, solution: &str) -> Result<Vec<Case>, String> {
    let dir = PathBuf::from(format!("tests/fixtures/lesson{number}"));
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut fixtures = Vec::new();
    for name in read_dir(&dir)? {
        let path = dir.join(&name);
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".diff")) else {
            continue;
        };
        let fixture = Fixture::parse(&read_text(&path)?)
            .and_then(|fixture| Ok((fixture.apply(solution)?, fixture.about)))
            .map_err(|problem| format!("{}: {problem}", path.display()))?;
        let (program, about) = fixture;
        fixtures.push(Case {
            name: stem.to_string(),
            program,
            expect: Expect::Fail,
            about,
        });
    }
    Ok(fixtures)
}

// ---------------------------------------------------------------------------------------
// The scratch workspace

/// Makes `target/verify-workspace/` a fresh copy of the parts of the workspace that build.
///
/// Modification times are copied too: Cargo decides what to rebuild by comparing them, so
/// keeping them lets `target/verify/` reuse earlier builds of netkit, the harness and the
/// tests, and only the swapped-in `main.rs` gets recompiled.
fn sync_scratch() -> Result<(), String> {
    let scratch = Path::new(SCRATCH);
    if scratch.exists() {
        fs::remove_dir_all(scratch).map_err(|err| format!("could not clear {SCRATCH}: {err}"))?;
    }
    fs::create_dir_all(scratch).map_err(|err| format!("could not create {SCRATCH}: {err}"))?;
    for item in COPIED {
        let from = Path::new(item);
        if from.exists() {
            xtask::copy_tree(from, &scratch.join(item))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Running the cases

fn verify_lesson(lesson: &Lesson, root: &Path, table: &Table) -> Result<Vec<Outcome>, String> {
    let skeleton_path = skeleton_main(lesson.number);
    let skeleton_text = read_text(&skeleton_path)?;
    let scratch_main = Path::new(SCRATCH).join(&skeleton_path);

    let mut outcomes = Vec::new();
    for case in &lesson.cases {
        // `fs::write` gives the file a new modification time, which is what tells Cargo to
        // recompile it. (This relies on the file system keeping sub-second times, as ext4,
        // APFS and NTFS do.)
        write_text(&scratch_main, &case.program)?;
        let result = run_case(lesson.number, case, root);
        // Put the skeleton back before anything else can go wrong.
        write_text(&scratch_main, &skeleton_text)?;
        let (outcome, build_time, test_time) = result?;
        table.print_row(&outcome, build_time, test_time, &case.about);
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Builds, then tests, one case. Building first, as its own step, tells "does not compile"
/// apart from "compiles but the tests fail", and keeps compile time out of the test time.
fn run_case(
    lesson: u32,
    case: &Case,
    root: &Path,
) -> Result<(Outcome, Duration, Duration), String> {
    let package = format!("lesson{lesson}");
    let log = PathBuf::from(format!("{LOGS}/lesson{lesson}/{}.log", case.name));
    if let Some(dir) = log.parent() {
        fs::create_dir_all(dir)
            .map_err(|err| format!("could not create {}: {err}", dir.display()))?;
    }
    let log_file =
        File::create(&log).map_err(|err| format!("could not create {}: {err}", log.display()))?;

    let build_args = ["test", "--no-run", "--quiet", "-p", &package];
    let (build, build_time) = run_cargo(&build_args, root, &log_file, BUILD_TIMEOUT)?;
    let (got, test_time) = match build {
        Finished::Success => {
            let test_args = ["test", "--quiet", "-p", &package];
            let (test, test_time) = run_cargo(&test_args, root, &log_file, TEST_TIMEOUT)?;
            let got = match test {
                Finished::Success => Got::Pass,
                Finished::Failure => Got::Fail,
                Finished::TimedOut => Got::TimedOut,
            };
            (got, test_time)
        }
        Finished::Failure => (Got::BuildError, Duration::ZERO),
        Finished::TimedOut => (Got::TimedOut, Duration::ZERO),
    };
    let outcome = Outcome {
        lesson,
        case_name: case.name.clone(),
        expect: case.expect,
        got,
        log,
    };
    Ok((outcome, build_time, test_time))
}

enum Finished {
    Success,
    Failure,
    TimedOut,
}

/// Runs cargo in the scratch workspace, with stdout and stderr going to `log`.
///
/// Output goes to a file rather than a pipe: nothing can then block on a full pipe, or wait
/// for the end of output from a test binary that outlives a killed cargo. And
/// `CARGO_TARGET_DIR` points into the real `target/` so builds are reused from run to run.
fn run_cargo(
    args: &[&str],
    root: &Path,
    log: &File,
    timeout: Duration,
) -> Result<(Finished, Duration), String> {
    let clone_log = || {
        log.try_clone()
            .map_err(|err| format!("could not share the log: {err}"))
    };
    // `cargo xtask` runs under cargo, which tells us which cargo binary it is.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(args)
        .current_dir(SCRATCH)
        .env("CARGO_TARGET_DIR", root.join("target/verify"))
        .stdin(Stdio::null())
        .stdout(clone_log()?)
        .stderr(clone_log()?);

    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|err| format!("could not start cargo: {err}"))?;
    loop {
        let status = child
            .try_wait()
            .map_err(|err| format!("could not wait for cargo: {err}"))?;
        if let Some(status) = status {
            let finished = if status.success() {
                Finished::Success
            } else {
                Finished::Failure
            };
            return Ok((finished, started.elapsed()));
        }
        if started.elapsed() > timeout {
            stop(&mut child);
            // Say so in the log, which is what gets printed for a surprise.
            let mut log = log;
            let _ = writeln!(log, "\nxtask: stopped cargo after {} s", timeout.as_secs());
            return Ok((Finished::TimedOut, started.elapsed()));
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Stops a cargo run that went past its timeout.
///
/// Only cargo itself is killed, through `Child::kill`, which signals exactly that one
/// process. A test binary cargo had started may run on until its own deadlines end it;
/// its output goes to the log file, so nothing here waits for it.
///
/// Deliberately not done: killing cargo's whole process group with the `kill` program.
/// The `kill` of procps-ng 4.0 (Debian 12) turns `kill -KILL -PGID` into `kill(-1)`, which
/// kills every process the user may signal; as root, the whole machine.
fn stop(child: &mut Child) {
    // Errors are ignored: cargo may have just ended by itself, and either way it is gone.
    let _ = child.kill();
    let _ = child.wait();
}

// ---------------------------------------------------------------------------------------
// Reporting

/// Column widths for the results table, fixed before the first row is printed so that rows
/// can be shown as soon as each case finishes.
struct Table {
    case_width: usize,
}

impl Table {
    fn new(lessons: &[Lesson]) -> Table {
        let longest_name = lessons
            .iter()
            .flat_map(|lesson| &lesson.cases)
            .map(|case| case.name.len())
            .max()
            .unwrap_or(0);
        Table {
            case_width: longest_name.max("case".len()),
        }
    }

    fn print_header(&self) {
        println!();
        println!(
            "{:<6}  {:<w$}  {:<8}  {:<11}  {:<8}  {:>7}  {:>6}  about",
            "lesson",
            "case",
            "expected",
            "got",
            "verdict",
            "build s",
            "test s",
            w = self.case_width
        );
    }

    fn print_row(&self, outcome: &Outcome, build_time: Duration, test_time: Duration, about: &str) {
        let verdict = if outcome.is_surprise() {
            "SURPRISE"
        } else {
            "ok"
        };
        println!(
            "{:<6}  {:<w$}  {:<8}  {:<11}  {:<8}  {:>7.1}  {:>6.1}  {about}",
            outcome.lesson,
            outcome.case_name,
            expect_word(outcome.expect),
            got_word(outcome.got),
            verdict,
            build_time.as_secs_f64(),
            test_time.as_secs_f64(),
            w = self.case_width
        );
    }
}

fn expect_word(expect: Expect) -> &'static str {
    match expect {
        Expect::Pass => "pass",
        Expect::Fail => "fail",
    }
}

fn got_word(got: Got) -> &'static str {
    match got {
        Got::Pass => "pass",
        Got::Fail => "fail",
        Got::BuildError => "build error",
        Got::TimedOut => "timeout",
    }
}

/// For every surprise, the end of what cargo printed: the evidence to start from.
fn print_surprises(outcomes: &[Outcome]) {
    for outcome in outcomes.iter().filter(|outcome| outcome.is_surprise()) {
        println!();
        println!(
            "==== lesson {} / {}: expected {}, got {} (full output: {}) ====",
            outcome.lesson,
            outcome.case_name,
            expect_word(outcome.expect),
            got_word(outcome.got),
            outcome.log.display()
        );
        match fs::read_to_string(&outcome.log) {
            Ok(text) => print_tail(&text),
            Err(err) => println!("(could not read the log: {err})"),
        }
    }
}

fn print_tail(text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(LOG_TAIL_LINES);
    if skip > 0 {
        println!("... ({skip} earlier lines cut)");
    }
    for line in &lines[skip..] {
        println!("{line}");
    }
}

fn print_summary(
    lessons: &[Lesson],
    outcomes: &[Outcome],
    elapsed: Duration,
) -> Result<(), String> {
    println!();
    let mut lessons_without_fixtures = Vec::new();
    for lesson in lessons {
        let mine: Vec<&Outcome> = outcomes
            .iter()
            .filter(|outcome| outcome.lesson == lesson.number)
            .collect();
        let as_expected = mine.iter().filter(|outcome| !outcome.is_surprise()).count();
        println!(
            "lesson {}: {} of {} cases as expected ({} fixtures)",
            lesson.number,
            as_expected,
            mine.len(),
            lesson.fixture_count
        );
        if lesson.fixture_count == 0 {
            lessons_without_fixtures.push(lesson.number.to_string());
        }
    }
    for warning in lessons.iter().flat_map(|lesson| &lesson.warnings) {
        println!("warning: {warning}");
    }

    let surprises = outcomes
        .iter()
        .filter(|outcome| outcome.is_surprise())
        .count();
    println!(
        "verify: {} cases in {:.0} s, {surprises} surprise(s)",
        outcomes.len(),
        elapsed.as_secs_f64()
    );
    if surprises > 0 {
        return Err(format!(
            "{surprises} case(s) did not turn out as expected (their output is above)"
        ));
    }
    if !lessons_without_fixtures.is_empty() {
        return Err(format!(
            "no wrong programs in tests/fixtures/ for lesson(s) {}: nothing shows their tests \
             reject a wrong program",
            lessons_without_fixtures.join(", ")
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Small file helpers with error messages that name the file

/// The names in a directory, sorted so that every run goes in the same order.
fn read_dir(dir: &Path) -> Result<Vec<std::ffi::OsString>, String> {
    let entries =
        fs::read_dir(dir).map_err(|err| format!("could not list {}: {err}", dir.display()))?;
    let mut names = entries
        .map(|entry| entry.map(|entry| entry.file_name()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| format!("could not list {}: {err}", dir.display()))?;
    names.sort();
    Ok(names)
}

fn read_text(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|err| format!("could not read {}: {err}", path.display()))
}

fn write_text(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|err| format!("could not write {}: {err}", path.display()))
}
