//! The learner and instructor commands (`progress`, `watch`, `hint`, `reset`, `demo`), run
//! as a learner runs them: the real xtask binary, in a workspace of its own.
//!
//! Each test works on a scratch copy of the workspace under `target/tooling-tests/`,
//! made into a git repository of its own, so the real lessons are never touched and the
//! real git history is never read. The binary is pointed at the copy with
//! `XTASK_WORKSPACE_ROOT`. Every copy builds into one shared `target/tooling-tests/target/`,
//! and keeps the modification times of the originals (except the learner's packages, see
//! [`cargo_turn`]), so after the first run Cargo finds netkit, the harness and the solutions
//! already built and the tests take seconds. The tests that build take turns within one
//! run; two runs of this file at the same moment on one checkout could still build over
//! each other's lessons (as two `cargo xtask verify` would), so do not start two.
//!
//! The tests that build lessons (`progress`, `watch`, `demo`) are `#[ignore]`d so that a
//! plain `cargo test` on a fresh clone stays quick; CI runs them with
//! `cargo test -p xtask -- --ignored`.
//!
//! Every wait has a deadline, generous only for steps that may have to compile (the first
//! run on a fresh machine builds the test dependencies), and every started program is
//! killed when its test ends.
//!
//! Longer than 400 lines on purpose: the scratch workspaces these tests share are set up
//! once, here, for every command they check.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use process::{Capture, Ran, Spawned, Stream, Waited};

/// For a step that may compile (only the very first run really does).
const BUILD: Duration = Duration::from_secs(600);
/// For a step that compiles nothing.
const QUICK: Duration = Duration::from_secs(30);

fn real_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is inside the workspace")
        .to_path_buf()
}

fn shared_target() -> PathBuf {
    real_root().join("target/tooling-tests/target")
}

/// A scratch directory, `target/tooling-tests/NAME-PID/`: the process id keeps two test
/// runs at once from deleting each other's copies. Removed when the test passes, kept for a
/// look when it fails.
struct Scratch(PathBuf);

impl Scratch {
    fn empty(name: &str) -> Scratch {
        let dir = real_root()
            .join("target/tooling-tests")
            .join(format!("{name}-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).expect("clear the old scratch directory");
        }
        Scratch(dir)
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !thread::panicking() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

/// A fresh copy of the workspace, committed into a git repository of its own.
fn scratch(name: &str) -> Scratch {
    let root = Scratch::empty(name);
    // What `cargo xtask verify` copies, and what the commands read besides: the book's
    // sources (they name chapters) and `.gitignore` (the copy is a git repository).
    xtask::fs::copy_workspace(&real_root(), &root, &["book/src", ".gitignore"])
        .expect("copy the workspace");
    // The learner's packages get a fresh modification time; see `cargo_turn`.
    touch_all(&root.join("lessons"));
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "the course as shipped"]);
    root
}

fn touch_all(path: &Path) {
    if path.is_dir() {
        for entry in fs::read_dir(path).expect("list a directory") {
            touch_all(&entry.expect("list a directory").path());
        }
    } else {
        fs::File::options()
            .write(true)
            .open(path)
            .and_then(|file| file.set_modified(SystemTime::now()))
            .expect("touch a file");
    }
}

/// Tests that run cargo take turns.
///
/// All scratch copies build into one target directory, and Cargo gives a package the same
/// artifacts whichever copy it is built from (its hash does not depend on the directory),
/// judging freshness by modification times only. So two copies with different versions of
/// `lessons/lesson1` must not build at the same time, and each copy's lessons must look
/// newer than anything built before from another copy: `scratch` gives them the current
/// time. Only the learner's packages are rebuilt that way; netkit, the harness and the
/// solutions keep their times and stay built.
fn cargo_turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs git in `dir` with a throwaway identity; panics if it fails.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=Tooling Test",
            "-c",
            "user.email=tooling@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("git runs (the tests of reset and progress need it)");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The xtask binary, set up to work on the copy at `root`.
fn xtask(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .args(args)
        .current_dir(root)
        .env("XTASK_WORKSPACE_ROOT", root)
        .env("CARGO_TARGET_DIR", shared_target())
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null());
    command
}

/// Runs a command to its end, failing the test if it is still running at the deadline.
fn run(mut command: Command, within: Duration) -> Ran {
    let ran = process::run(&mut command, b"", within).expect("start the xtask binary");
    assert!(
        !ran.timed_out,
        "{command:?} still ran after {} s",
        within.as_secs()
    );
    ran
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn succeeded(ran: &Ran) -> bool {
    ran.status.is_some_and(|status| status.success())
}

/// A long-running command (`watch`, `demo`), read line by line, killed when dropped.
struct Session {
    child: Spawned,
    seen: String,
}

impl Session {
    fn start(mut command: Command) -> Session {
        let child = Spawned::start_capturing(&mut command, Capture::STDOUT)
            .expect("start the xtask binary");
        Session {
            child,
            seen: String::new(),
        }
    }

    /// Waits for a line containing `needle` and returns it.
    fn wait_for(&mut self, needle: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.child.read_until(Stream::Out, b"\n", left) {
                Ok(line) => {
                    let line = text(&line);
                    self.seen.push_str(&line);
                    if line.contains(needle) {
                        return line.trim_end().to_string();
                    }
                }
                Err(Waited::TimedOut) => panic!(
                    "no line with {needle:?} within {} s; the output so far:\n{}",
                    within.as_secs(),
                    self.seen
                ),
                Err(Waited::Ended) => panic!(
                    "the program ended before printing {needle:?}; its output:\n{}",
                    self.seen
                ),
            }
        }
    }

    fn type_line(&mut self, line: &str) {
        self.child
            .write(format!("{line}\n").as_bytes())
            .expect("type into the program");
    }

    fn exits_within(&mut self, within: Duration) -> bool {
        self.child
            .wait(within)
            .is_some_and(|status| status.success())
    }
}

/// The line of the progress table for one lesson.
fn table_row(stdout: &str, lesson: u32) -> String {
    stdout
        .lines()
        .find(|line| line.split_whitespace().next() == Some(&lesson.to_string()))
        .unwrap_or_else(|| panic!("no row for lesson {lesson} in:\n{stdout}"))
        .to_string()
}

// ---------------------------------------------------------------------------------------
// progress

/// On a fresh clone, nothing is started and lesson 1 comes next (no test needs to run:
/// git shows the skeletons are untouched).
#[test]
#[ignore = "builds the lessons in a scratch workspace (slow on a fresh clone); CI runs it with --ignored"]
fn progress_on_an_untouched_copy_shows_lesson_1_not_started() {
    let root = scratch("progress-untouched");
    let output = run(xtask(&root, &["progress", "1", "2"]), QUICK);
    let stdout = text(&output.stdout);
    assert!(succeeded(&output), "{stdout}{}", text(&output.stderr));
    assert!(table_row(&stdout, 1).contains("not started"), "{stdout}");
    assert!(table_row(&stdout, 2).contains("not started"), "{stdout}");
    assert!(
        stdout.contains("Next: start lesson 1, \"A TCP client\" (book/src/lesson1.md)"),
        "{stdout}"
    );
}

/// A lesson that passes its tests is "passed"; one the learner has begun is "in progress",
/// with the TODO their program stops at next.
#[test]
#[ignore = "builds the lessons in a scratch workspace (slow on a fresh clone); CI runs it with --ignored"]
fn progress_tells_passed_from_in_progress() {
    let _turn = cargo_turn();
    let root = scratch("progress-worked");
    fs::copy(
        root.join("solutions/lesson1/src/main.rs"),
        root.join("lessons/lesson1/src/main.rs"),
    )
    .expect("put the solution in place of lesson 1");
    let lesson2 = root.join("lessons/lesson2/src/main.rs");
    let mut program = fs::read_to_string(&lesson2).expect("read lesson 2");
    program.push_str("\n// I have read the chapter.\n");
    fs::write(&lesson2, program).expect("touch lesson 2");

    let output = run(xtask(&root, &["progress", "1", "2"]), BUILD);
    let stdout = text(&output.stdout);
    assert!(succeeded(&output), "{stdout}{}", text(&output.stderr));
    assert!(table_row(&stdout, 1).contains("passed"), "{stdout}");
    assert!(
        table_row(&stdout, 2).contains("in progress: next: TODO(1)"),
        "{stdout}"
    );
    assert!(stdout.contains("Next: finish lesson 2"), "{stdout}");
}

// ---------------------------------------------------------------------------------------
// hint

/// `hint 1` shows hint 1, then hint 2, and says how many are left; `hint 1 K` shows hint K;
/// what was shown is kept outside the lessons.
#[test]
fn hint_shows_the_next_hint_each_time() {
    let root = scratch("hint");
    let hints = fs::read_to_string(root.join("lessons/lesson1/hints.md")).expect("hints.md");
    let total = hints.lines().filter(|l| l.starts_with("## Hint ")).count();
    assert!(total >= 4, "lesson 1 has {total} hints");

    let first = text(&run(xtask(&root, &["hint", "1"]), QUICK).stdout);
    assert!(first.contains(&format!("hint 1 of {total}")), "{first}");
    assert!(
        first.contains(&format!("{} more hints", total - 1)),
        "{first}"
    );

    let second = text(&run(xtask(&root, &["hint", "1"]), QUICK).stdout);
    assert!(second.contains(&format!("hint 2 of {total}")), "{second}");
    assert!(
        second.contains(&format!("{} more hints", total - 2)),
        "{second}"
    );

    let last = text(&run(xtask(&root, &["hint", "1", &total.to_string()]), QUICK).stdout);
    assert!(last.contains(&format!("hint {total} of {total}")), "{last}");

    let third = text(&run(xtask(&root, &["hint", "1"]), QUICK).stdout);
    assert!(third.contains(&format!("hint 3 of {total}")), "{third}");

    assert!(root.join("target/xtask/hints-seen.txt").is_file());
    let changed = git(&root, &["status", "--porcelain", "--", "lessons"]);
    assert!(changed.is_empty(), "hint changed the lessons: {changed}");
}

// ---------------------------------------------------------------------------------------
// reset

/// The learner worked on two lessons and wants lesson 1 back. `reset 1` refuses without a
/// terminal unless given `--yes`; with it, lesson 1's program is exactly the skeleton as
/// committed (made afresh from the solution, whatever git holds), lesson 2 keeps the
/// learner's work, and the replaced version is kept as a backup.
#[test]
fn reset_restores_the_skeleton_and_nothing_else() {
    let root = scratch("reset");
    let lesson1 = root.join("lessons/lesson1/src/main.rs");
    let lesson2 = root.join("lessons/lesson2/src/main.rs");
    let shipped = fs::read(&lesson1).expect("read lesson 1");
    let append = |path: &Path, line: &str| {
        let mut program = fs::read_to_string(path).expect("read a lesson");
        program.push_str(line);
        fs::write(path, program).expect("write a lesson");
    };
    append(&lesson1, "// committed work\n");
    append(&lesson2, "// committed work\n");
    // Committed work is the learner's too: reset does not look at git.
    git(&root, &["commit", "-q", "-a", "-m", "my work"]);
    append(&lesson1, "// work in progress\n");
    let worked_on = fs::read(&lesson1).expect("read lesson 1");
    let lesson2_work = fs::read(&lesson2).expect("read lesson 2");

    let refused = run(xtask(&root, &["reset", "1"]), QUICK);
    assert!(!succeeded(&refused), "reset without --yes and no terminal");
    assert!(
        text(&refused.stderr).contains("--yes"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(fs::read(&lesson1).expect("read lesson 1"), worked_on);

    let output = run(xtask(&root, &["reset", "1", "--yes"]), QUICK);
    let stdout = text(&output.stdout);
    assert!(succeeded(&output), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.contains("restored: lessons/lesson1/src/main.rs"),
        "{stdout}"
    );
    assert_eq!(fs::read(&lesson1).expect("read lesson 1"), shipped);
    assert_eq!(fs::read(&lesson2).expect("read lesson 2"), lesson2_work);

    let backups: Vec<PathBuf> = fs::read_dir(root.join("target/xtask/reset-backups"))
        .expect("a backup directory")
        .map(|entry| entry.expect("list backups").path())
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    let kept = fs::read(backups[0].join("lessons/lesson1/src/main.rs")).expect("the backup");
    assert_eq!(kept, worked_on);

    let again = run(xtask(&root, &["reset", "1", "--yes"]), QUICK);
    assert!(
        text(&again.stdout).contains("nothing to do"),
        "{}",
        text(&again.stdout)
    );
}

/// Bad arguments are one line on stderr and exit status 2, for every command.
#[test]
fn bad_arguments_are_one_line_and_status_2() {
    let root = scratch("usage");
    for args in [
        &["reset"][..],
        &["reset", "99"],
        &["verify", "--fast"],
        &["frobnicate"],
        &["hint", "1", "x"],
    ] {
        let output = run(xtask(&root, args), QUICK);
        let stderr = text(&output.stderr);
        assert_eq!(
            output.status.and_then(|s| s.code()),
            Some(2),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    }
    let help = run(xtask(&root, &["reset", "--help"]), QUICK);
    assert!(succeeded(&help));
    assert!(text(&help.stdout).contains("usage: cargo xtask reset"));
}

// ---------------------------------------------------------------------------------------
// watch

/// The tests run at once, run again when a file of the lesson changes, and say when the
/// lesson is done and what comes next; `q` quits.
#[test]
#[ignore = "builds the lessons in a scratch workspace (slow on a fresh clone); CI runs it with --ignored"]
fn watch_reruns_the_tests_when_the_lesson_changes() {
    let _turn = cargo_turn();
    // Lesson 2: its skeleton fails its tests in half a second, lesson 1's takes longer.
    let root = scratch("watch");
    let mut watch = Session::start(xtask(&root, &["watch", "2"]));
    watch.wait_for("watch: lesson 2", QUICK);
    watch.wait_for("is TODO(1).", BUILD);
    watch.wait_for("Watching lessons/lesson2", QUICK);

    fs::copy(
        root.join("solutions/lesson2/src/main.rs"),
        root.join("lessons/lesson2/src/main.rs"),
    )
    .expect("save the finished program");
    watch.wait_for("watch: lesson 2", QUICK);
    watch.wait_for("Lesson 2 is done", BUILD);
    watch.wait_for("Next: lesson 3, ", QUICK);
    watch.wait_for("Watching lessons/lesson2", QUICK);

    watch.type_line("q");
    assert!(watch.exits_within(QUICK), "watch did not quit on q");
}

/// `--manual` reruns on Enter only, and ends at the end of its input.
#[test]
#[ignore = "builds the lessons in a scratch workspace (slow on a fresh clone); CI runs it with --ignored"]
fn watch_manual_reruns_on_enter() {
    let _turn = cargo_turn();
    let root = scratch("watch-manual");
    let mut watch = Session::start(xtask(&root, &["watch", "2", "--manual"]));
    watch.wait_for("Press Enter", BUILD);
    watch.type_line("");
    watch.wait_for("watch: lesson 2", QUICK);
    watch.wait_for("Press Enter", BUILD);
    watch.child.close_stdin();
    assert!(
        watch.exits_within(QUICK),
        "watch --manual did not end with its input"
    );
}

// ---------------------------------------------------------------------------------------
// demo

/// The demo starts the lesson 2 server, prints the netcat and client commands with the
/// real port, streams what the server prints; and once the demo is killed, its server is
/// gone too.
#[test]
#[ignore = "builds the lessons in a scratch workspace (slow on a fresh clone); CI runs it with --ignored"]
fn demo_prints_the_commands_and_leaves_nothing_behind() {
    let _turn = cargo_turn();
    let root = scratch("demo");
    let mut demo = Session::start(xtask(&root, &["demo", "2"]));
    let netcat = demo.wait_for("nc 127.0.0.1 ", BUILD);
    let port: u16 = netcat
        .split_whitespace()
        .nth(2)
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {netcat:?}"));
    demo.wait_for(
        &format!("cargo run -p lesson1-solution -- 127.0.0.1:{port}"),
        QUICK,
    );

    let mut client = TcpStream::connect(("127.0.0.1", port)).expect("connect to the demo");
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a read deadline");
    client.write_all(b"hello\n").expect("send a line");
    let mut reader = BufReader::new(client.try_clone().expect("clone the stream"));
    let mut reply = String::new();
    reader.read_line(&mut reply).expect("the time comes back");
    assert!(reply.ends_with('\n') && reply.contains('T'), "{reply:?}");
    demo.wait_for("-> hello", QUICK);

    // Killed on its own, as by `kill PID`: no destructor runs in the demo.
    demo.child.kill();

    // The server was blocked reading from us: the connection ends only if it is gone.
    // (A reset counts as ended too; only running into the read deadline means it lives.)
    let mut rest = Vec::new();
    if let Err(error) = reader.read_to_end(&mut rest) {
        assert!(
            !matches!(
                error.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "the server still held the connection 5 s after the demo was killed"
        );
    }
    #[cfg(target_os = "linux")]
    assert_no_process_mentions(&shared_target().join("debug/lesson2-solution"));
}

/// No running process has `needle` in its command line (within a few seconds).
#[cfg(target_os = "linux")]
fn assert_no_process_mentions(needle: &Path) {
    let needle = needle.to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let found: Vec<String> = fs::read_dir("/proc")
            .expect("list /proc")
            .flatten()
            .filter_map(|entry| fs::read(entry.path().join("cmdline")).ok())
            .map(|bytes| text(&bytes).replace('\0', " "))
            .filter(|cmdline| cmdline.contains(&needle))
            .collect();
        if found.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still running after the demo was killed: {found:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}
