//! `cargo xtask watch [N] [--manual]`: reruns a lesson's tests whenever its files change.
//!
//! Changes are found by polling: every [`POLL`], the size and modification time of every
//! file under `lessons/lessonN` are compared with the last look. That works the same on
//! every system and file system (network drives and containers included) with the standard
//! library alone. A burst of writes (an editor saving several files, or writing a temporary
//! file and renaming it) is one change: the tests start once the files have stayed the same
//! for one more poll. Changes made while the tests run are noticed after they end, because
//! the snapshot is taken before they start.
//!
//! Pressing Enter reruns the tests at once, and `q` then Enter quits. `--manual` turns
//! polling off, for the rare place where modification times do not move: then only Enter
//! reruns, and the end of the input quits.
//!
//! Ctrl-C ends everything: the terminal sends it to the whole foreground process group,
//! which holds this program, the `cargo test` it started, and the programs the tests run.
//! There is no other child: each `cargo test` is waited for before the next one starts.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, SystemTime};

use course::{Course, Lesson};
use xtask::Error;
use xtask::state;

use crate::flags;

/// How often the files are looked at. Short enough to feel immediate, long enough to cost
/// nothing.
const POLL: Duration = Duration::from_millis(400);
/// "Clear the screen, cursor to the top left": understood by the terminals of Linux, macOS
/// and Windows 10 and later.
const CLEAR_SCREEN: &str = "\x1b[2J\x1b[H";

/// What the keyboard asked for.
enum Key {
    Rerun,
    Quit,
    /// The input ended (Ctrl-D, or a closed pipe).
    Closed,
}

/// Runs `cargo xtask watch [N] [--manual]` from the workspace root.
pub fn run(args: &flags::Watch) -> Result<(), Error> {
    let course = xtask::load_course()?;
    let lesson = match args.lesson {
        Some(number) => xtask::lesson(&course, number)?,
        None => state::first_unfinished(&course).ok_or(
            "every lesson passes, so there is no next lesson to watch; \
             name one: `cargo xtask watch 2`",
        )?,
    };
    let dir = &lesson.skeleton.dir;
    let keys = read_keys();

    loop {
        let before = snapshot(dir);
        run_tests(&course, lesson);
        if args.manual {
            println!("Press Enter to run the tests again, or q and Enter to quit.");
        } else {
            println!(
                "Watching {} for changes: the tests run again when you save. \
                 (Enter: run now, q and Enter: quit, Ctrl-C: stop.)",
                dir.display()
            );
        }
        let _ = io::stdout().flush();
        match wait_for_change(dir, before, &keys, args.manual) {
            Next::Rerun => {}
            Next::Quit => return Ok(()),
        }
    }
}

enum Next {
    Rerun,
    Quit,
}

/// Waits until the files change (and then stay still for one poll), Enter is pressed, or
/// the learner quits.
fn wait_for_change(dir: &Path, mut last: Snapshot, keys: &Receiver<Key>, manual: bool) -> Next {
    let mut changed = false;
    let mut input_open = true;
    loop {
        if input_open {
            match keys.recv_timeout(POLL) {
                Ok(Key::Rerun) => return Next::Rerun,
                Ok(Key::Quit) => return Next::Quit,
                Ok(Key::Closed) | Err(RecvTimeoutError::Disconnected) => {
                    if manual {
                        return Next::Quit;
                    }
                    // Without a keyboard (started in the background), files still count.
                    input_open = false;
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        } else {
            thread::sleep(POLL);
        }
        if manual {
            continue;
        }
        let now = snapshot(dir);
        if now != last {
            changed = true;
            last = now;
        } else if changed {
            // Still for one whole poll since the last change: the save is complete.
            return Next::Rerun;
        }
    }
}

/// Clears the screen and runs `cargo test -p lessonN` in the foreground, its output
/// straight to the terminal; then says where the lesson stands.
fn run_tests(course: &Course, lesson: &Lesson) {
    let mut stdout = io::stdout();
    if stdout.is_terminal() {
        let _ = write!(stdout, "{CLEAR_SCREEN}");
    }
    let number = lesson.number;
    let package = &lesson.skeleton.name;
    println!(
        "watch: lesson {number}, {}: cargo test -p {package}\n",
        lesson.describe_chapter()
    );
    let _ = stdout.flush();
    // stdin is not passed on: the keyboard belongs to this program (Enter, q).
    let status = Command::new(process::cargo())
        .args(["test", "-p", package])
        .stdin(Stdio::null())
        .status();
    println!();
    match status {
        Ok(status) if status.success() => {
            state::record_pass(lesson);
            println!("✓ Lesson {number} is done: all its tests pass.");
            print_next_after(course, lesson);
        }
        Ok(_) => {
            println!("✗ Lesson {number} is not done yet: the first failure above says why.");
            let program = lesson.skeleton.main_rs();
            let text = fs::read_to_string(&program).unwrap_or_default();
            if let Some(next) = xtask::skeleton::todo_numbers(&text).first() {
                println!(
                    "  The first todo!() left in {} is TODO({next}).",
                    program.display()
                );
            }
            println!("  Stuck? `cargo xtask hint {number}` gives a hint.");
        }
        Err(err) => println!("watch: could not start cargo: {err}"),
    }
    println!();
}

/// Prints what comes after a lesson that has just passed.
fn print_next_after(course: &Course, lesson: &Lesson) {
    match course.after(lesson.number) {
        Some(next) => {
            let number = next.number;
            println!("Next: lesson {number}, {}.", next.describe_chapter());
            println!(
                "  cargo xtask watch {number}   to work on it with its tests rerun as you save"
            );
        }
        None => println!("{}", after_the_last(state::first_unfinished(course))),
    }
}

/// What follows the last lesson's pass: "well done" only when `progress` would agree, every
/// lesson seen passing; otherwise the first lesson that has not been (by its number).
fn after_the_last(open: Option<&Lesson>) -> String {
    match open.map(|lesson| lesson.number) {
        None => "That was the last lesson, and every lesson passes. Well done!".to_string(),
        Some(number) => format!(
            "That was the last lesson, but lesson {number} has not been seen passing yet.\n  \
             cargo xtask progress   checks where every lesson stands\n  \
             cargo xtask watch {number}    to work on it"
        ),
    }
}

/// Size and modification time of every file that matters, by path.
type Snapshot = BTreeMap<PathBuf, (u64, Option<SystemTime>)>;

fn snapshot(dir: &Path) -> Snapshot {
    xtask::fs::files_under(dir)
        .into_iter()
        .filter(|path| !is_editor_scratch(path))
        .filter_map(|path| {
            let metadata = fs::metadata(&path).ok()?;
            Some((path, (metadata.len(), metadata.modified().ok())))
        })
        .collect()
}

/// Files editors write beside the real one (swap files, backups, lock files): saving them
/// is not a change of the program.
fn is_editor_scratch(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy())
        .unwrap_or_default();
    name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
}

/// Reads the keyboard in a thread of its own: each line is Enter (rerun) or `q` (quit).
fn read_keys() -> Receiver<Key> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let stdin = io::stdin();
        let mut line = String::new();
        loop {
            line.clear();
            let key = match stdin.lock().read_line(&mut line) {
                Ok(0) | Err(_) => Key::Closed,
                Ok(_) if matches!(line.trim(), "q" | "Q" | "quit" | "exit") => Key::Quit,
                Ok(_) => Key::Rerun,
            };
            let last = matches!(key, Key::Closed | Key::Quit);
            if sender.send(key).is_err() || last {
                return;
            }
        }
    });
    receiver
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_done_only_when_every_lesson_passes() {
        let course = xtask::load_course().expect("course.toml loads");
        assert!(after_the_last(None).contains("Well done"));
        let open = after_the_last(course.lesson(2));
        assert!(!open.contains("Well done"), "{open}");
        assert!(
            open.contains("lesson 2 has not been seen passing"),
            "{open}"
        );
        assert!(open.contains("cargo xtask progress"), "{open}");
    }

    #[test]
    fn editor_scratch_files_are_not_changes() {
        assert!(is_editor_scratch(Path::new("src/.main.rs.swp")));
        assert!(is_editor_scratch(Path::new("src/main.rs~")));
        assert!(!is_editor_scratch(Path::new("src/main.rs")));
    }
}
