//! The learner and instructor commands (`progress`, `watch`, `hint`, `reset`, `demo`,
//! `doctor`), run as a learner runs them: the real xtask binary, in a workspace of its own.
//! This file sets the workspaces up; each command's tests are in a module of their own.
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
//! `cargo test -p xtask --test tooling -- --ignored`.
//!
//! Every wait has a deadline, generous only for steps that may have to compile (the first
//! run on a fresh machine builds the test dependencies), and every started program is
//! killed when its test ends.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use process::{Capture, Ran, Spawned, Stream, Waited};

mod demo;
mod doctor;
mod learner;
mod progress;

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
