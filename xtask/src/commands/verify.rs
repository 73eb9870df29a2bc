//! `cargo xtask verify`: proves that every lesson's tests tell right from wrong.
//!
//! For each lesson it runs `cargo test -p <skeleton package>` with these programs in place
//! of the skeleton's `src/main.rs`:
//!
//! - the untouched skeleton, which must fail (it stops at `todo!()`);
//! - the reference solution, which must pass;
//! - every wrong program in `tests/fixtures/lessonN/*.diff`, which must fail; the report
//!   shows the first failing test and its hint, so a reader sees that the hint names the
//!   actual mistake. A mistake that the compiler catches (a missing `move` or `mut`) is a
//!   fixture whose first line starts with `Does not compile (E0373):`: it must fail to build
//!   with that error, and the report shows the compiler's first error line. An error without
//!   a code is named by its message in quotes, `Does not compile ("future cannot be sent
//!   between threads safely"):`;
//! - every correct program written differently, `tests/fixtures/lessonN/alternatives/*.diff`,
//!   which must pass: tests that reject a correct program would teach the wrong thing too.
//!
//! Any surprise fails the command. The first three kinds make the first table, the
//! alternatives the second.
//!
//! The learner's files are never touched: the programs are swapped in and out of a scratch
//! copy of the workspace under `target/verify-workspace/`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use course::Lesson;
use xtask::Error;
use xtask::fixture::Fixture;
use xtask::fs::{copy_workspace, create_dir, files_ending, read_text, remove_dir, write_text};

use crate::flags;

mod report;

use report::Table;

/// The scratch copy of the workspace, rebuilt from the real one on every run.
const SCRATCH: &str = "target/verify-workspace";
/// Where the captured output of each case is kept, for reading after the run.
const LOGS: &str = "target/verify-logs";
/// The first build compiles every dependency, which is slow on a small machine.
const BUILD_TIMEOUT: Duration = Duration::from_secs(600);
/// Each lesson test has its own deadlines; this only catches a run that hangs anyway.
const TEST_TIMEOUT: Duration = Duration::from_secs(180);
/// Fewer wrong programs than this and the tests are probably not exercised enough.
const ENOUGH_FIXTURES: usize = 5;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    Pass,
    Fail,
    /// A wrong program that must not compile, with the error code its fixture names.
    NoBuild,
}

/// What actually happened to one case.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Got {
    Pass,
    Fail,
    /// Did not compile. Wanted only for a fixture that says so, with the error it names:
    /// any other fixture that does not compile proves nothing about the tests, and a skeleton
    /// that does not compile greets the learner with errors.
    BuildError,
    /// Did not compile, but not with the error its fixture names.
    OtherBuildError,
    TimedOut,
}

/// One program to put in place of the skeleton's `src/main.rs`.
struct Case<'a> {
    lesson: &'a Lesson,
    name: String,
    program: String,
    expect: Expect,
    /// For fixtures, the first line of their file: the mistake they make, or how the
    /// alternative differs.
    about: String,
    /// For a fixture that must not compile: how the compiler's error starts in the build
    /// log, `error[E0373]` (or `error: <message>` for an error without a code).
    error_code: Option<String>,
}

/// How one case turned out.
struct Outcome {
    lesson: u32,
    name: String,
    expect: Expect,
    got: Got,
    log: PathBuf,
    build_time: Duration,
    test_time: Duration,
}

impl Outcome {
    fn is_surprise(&self) -> bool {
        !matches!(
            (self.expect, self.got),
            (Expect::Pass, Got::Pass)
                | (Expect::Fail, Got::Fail)
                | (Expect::NoBuild, Got::BuildError)
        )
    }
}

/// Runs `cargo xtask verify [N...]` from the workspace root.
pub fn run(args: &flags::Verify) -> Result<(), Error> {
    let started = Instant::now();
    let course = xtask::load_course()?;
    let lessons = xtask::select(&course, &args.lessons)?;
    let mut proving = Vec::new();
    let mut alternatives = Vec::new();
    let mut warnings = Vec::new();
    for lesson in &lessons {
        let (cases, correct) = plan(lesson, &mut warnings)?;
        proving.extend(cases);
        alternatives.extend(correct);
    }

    println!("Copying the workspace to {SCRATCH}/ (your files are never changed)");
    sync_scratch()?;
    let root = course.root.clone();

    println!("\nThe tests must tell right from wrong:");
    let mut outcomes = run_table(&proving, &root)?;
    println!(
        "\nCorrect programs written differently must pass \
         (tests/fixtures/lessonN/alternatives/):"
    );
    if alternatives.is_empty() {
        println!("  none yet: each lesson may keep some in its fixtures' alternatives/ folder");
    } else {
        outcomes.extend(run_table(&alternatives, &root)?);
    }

    report::print_surprises(&outcomes);
    report::print_summary(&lessons, &outcomes, &warnings, started.elapsed())
}

/// The cases of one lesson: skeleton, solution and wrong programs; then the alternatives.
fn plan<'a>(
    lesson: &'a Lesson,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Case<'a>>, Vec<Case<'a>>), String> {
    let solution = read_text(&lesson.solution.main_rs())?;
    let mut cases = vec![
        Case {
            lesson,
            name: "skeleton".into(),
            program: read_text(&lesson.skeleton.main_rs())?,
            expect: Expect::Fail,
            about: "the learner's starting point, untouched".into(),
            error_code: None,
        },
        Case {
            lesson,
            name: "solution".into(),
            program: solution.clone(),
            expect: Expect::Pass,
            about: "the reference solution".into(),
            error_code: None,
        },
    ];
    let wrong = fixtures(lesson, &lesson.fixtures, &solution, Expect::Fail)?;
    if wrong.len() < ENOUGH_FIXTURES {
        warnings.push(format!(
            "lesson {} has {} wrong program(s) in {}/; aim for at least {ENOUGH_FIXTURES}, one \
             per typical mistake",
            lesson.number,
            wrong.len(),
            lesson.fixtures.display()
        ));
    }
    cases.extend(wrong);
    let correct = fixtures(lesson, &lesson.alternatives(), &solution, Expect::Pass)?;
    Ok((cases, correct))
}

/// The programs of `dir/*.diff`, each made from the solution by applying its diff (see
/// `xtask::fixture`). A diff that no longer applies stops the run: it must be made again
/// from the current solution.
fn fixtures<'a>(
    lesson: &'a Lesson,
    dir: &Path,
    solution: &str,
    expect: Expect,
) -> Result<Vec<Case<'a>>, String> {
    let mut cases = Vec::new();
    for path in files_ending(dir, "diff")? {
        let name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let fixture = Fixture::parse(&read_text(&path)?)
            .map_err(|problem| format!("{}: {problem}", path.display()))?;
        let program = fixture
            .apply(solution)
            .map_err(|problem| format!("{}: {problem}", path.display()))?;
        let error_code = compile_error_named(&fixture.about);
        cases.push(Case {
            lesson,
            name,
            program,
            expect: if error_code.is_some() {
                Expect::NoBuild
            } else {
                expect
            },
            about: fixture.about,
            error_code,
        });
    }
    Ok(cases)
}

/// The compiler error that a fixture's first line promises, as the build log starts it: for
/// `Does not compile (E0373): no move on the thread's closure`, `error[E0373]`; for an error
/// that has no code, named by its message in quotes (`Does not compile ("future cannot be
/// sent between threads safely"): ...`), `error: future cannot be sent between threads
/// safely`.
fn compile_error_named(about: &str) -> Option<String> {
    let named = about.strip_prefix("Does not compile (")?;
    if let Some(quoted) = named.strip_prefix('"') {
        let message = quoted.split('"').next()?;
        let closed = quoted[message.len()..].starts_with("\")");
        return (closed && !message.is_empty()).then(|| format!("error: {message}"));
    }
    let code = named.split(')').next()?;
    let is_code =
        code.len() == 5 && code.starts_with('E') && code[1..].chars().all(|c| c.is_ascii_digit());
    is_code.then(|| format!("error[{code}]"))
}

/// Makes `target/verify-workspace/` a fresh copy of the parts of the workspace that build.
///
/// Modification times are copied too: Cargo decides what to rebuild by comparing them, so
/// keeping them lets `target/verify/` reuse earlier builds of netkit, the harness and the
/// tests, and only the swapped-in `main.rs` gets recompiled.
fn sync_scratch() -> Result<(), String> {
    let scratch = Path::new(SCRATCH);
    remove_dir(scratch)?;
    create_dir(scratch)?;
    copy_workspace(Path::new("."), scratch, &[])
}

/// Runs the cases in order, printing each row of their table as soon as it is known.
fn run_table(cases: &[Case], root: &Path) -> Result<Vec<Outcome>, String> {
    let table = Table::new(cases.iter().map(|case| case.name.as_str()));
    table.print_header();
    let mut outcomes = Vec::new();
    for case in cases {
        let skeleton_path = case.lesson.skeleton.main_rs();
        let skeleton_text = read_text(&skeleton_path)?;
        let scratch_main = Path::new(SCRATCH).join(&skeleton_path);
        // `fs::write` gives the file a new modification time, which is what tells Cargo to
        // recompile it. (This relies on the file system keeping sub-second times, as ext4,
        // APFS and NTFS do.)
        write_text(&scratch_main, &case.program)?;
        let outcome = run_case(case, root);
        // Put the skeleton back before anything else can go wrong.
        write_text(&scratch_main, &skeleton_text)?;
        let outcome = outcome?;
        table.print_row(&outcome, &case.about);
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Builds, then tests, one case. Building first, as its own step, tells "does not compile"
/// apart from "compiles but the tests fail", and keeps compile time out of the test time.
fn run_case(case: &Case, root: &Path) -> Result<Outcome, String> {
    let package = &case.lesson.skeleton.name;
    let log = Path::new(LOGS)
        .join(package)
        .join(format!("{}.log", case.name));
    if let Some(dir) = log.parent() {
        create_dir(dir)?;
    }
    let log_file =
        File::create(&log).map_err(|err| format!("could not create {}: {err}", log.display()))?;
    let cargo = |args: &[&str], within: Duration| {
        let mut command = Command::new(process::cargo());
        command
            .args(args)
            .current_dir(SCRATCH)
            // Builds go to the real `target/`, so they are reused from run to run.
            .env("CARGO_TARGET_DIR", root.join("target/verify"));
        process::run_to_log(&mut command, &log_file, within, |_| {})
            .map_err(|err| format!("could not run cargo: {err}"))
    };
    let build = cargo(
        &["test", "--no-run", "--quiet", "-p", package],
        BUILD_TIMEOUT,
    )?;
    let (got, test_time) = if build.success() {
        let test = cargo(&["test", "--quiet", "-p", package], TEST_TIMEOUT)?;
        let got = match test.status {
            Some(status) if status.success() => Got::Pass,
            Some(_) => Got::Fail,
            None => Got::TimedOut,
        };
        (got, test.elapsed)
    } else if build.timed_out() {
        (Got::TimedOut, Duration::ZERO)
    } else {
        let log_text = read_text(&log).unwrap_or_default();
        match &case.error_code {
            Some(wanted) if !log_text.contains(wanted.as_str()) => {
                (Got::OtherBuildError, Duration::ZERO)
            }
            _ => (Got::BuildError, Duration::ZERO),
        }
    };
    Ok(Outcome {
        lesson: case.lesson.number,
        name: case.name.clone(),
        expect: case.expect,
        got,
        log,
        build_time: build.elapsed,
        test_time,
    })
}

#[cfg(test)]
mod tests {
    use super::compile_error_named;

    #[test]
    fn a_fixture_that_must_not_compile_names_its_error() {
        assert_eq!(
            compile_error_named("Does not compile (E0373): no `move` on the closure."),
            Some("error[E0373]".into())
        );
        assert_eq!(compile_error_named("Forgets the newline."), None);
        assert_eq!(compile_error_named("Does not compile (a typo): ..."), None);
    }

    /// An error without a code (the `Send` check of a spawned future) is named by its
    /// message, in quotes; the quotes must close, and hold something.
    #[test]
    fn an_error_without_a_code_is_named_by_its_message() {
        assert_eq!(
            compile_error_named(
                "Does not compile (\"future cannot be sent between threads safely\"): a \
                 std MutexGuard held across .await."
            ),
            Some("error: future cannot be sent between threads safely".into())
        );
        assert_eq!(
            compile_error_named("Does not compile (\"unclosed): ..."),
            None
        );
        assert_eq!(compile_error_named("Does not compile (\"\"): ..."), None);
    }
}
