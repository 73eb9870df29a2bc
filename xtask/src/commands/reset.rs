//! `cargo xtask reset N [--yes]`: puts a lesson's program back to its skeleton.
//!
//! The skeleton is made afresh from the reference solution and its `skeleton.md`, exactly
//! as `cargo xtask skeleton` makes the committed one (see [`xtask::skeleton`]): no git, no
//! guessing which commit was "as shipped", and a learner who pulled a corrected lesson gets
//! the corrected skeleton.
//!
//! Only the program, `lessons/lessonN/src/main.rs`, is written: it is the learner's work.
//! Before it is overwritten, its current content is copied to
//! `target/xtask/reset-backups/`, so even a hasty `--yes` loses nothing. Other files the
//! learner added beside it are listed and left alone. This is the one command that writes
//! a learner's file.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use course::Lesson;
use xtask::Error;
use xtask::fs::{create_dir, files_under, read_text, write_text};
use xtask::state::{HintsSeen, STATE_DIR};

use crate::flags;

/// Runs `cargo xtask reset N [--yes]` from the workspace root.
pub fn run(args: &flags::Reset) -> Result<(), Error> {
    let course = xtask::load_course()?;
    let lesson = xtask::lesson(&course, args.lesson)?;
    let number = lesson.number;
    let program = lesson.skeleton.main_rs();
    let skeleton = xtask::skeleton::generate(lesson)?;
    let current = std::fs::read_to_string(&program).ok();
    let extra = extra_files(lesson, &program);

    if current.as_deref() == Some(skeleton.as_str()) {
        println!("reset: lesson {number}'s program is already the skeleton; nothing to do.");
        print_extra(&extra);
        return Ok(());
    }
    match &current {
        Some(_) => println!(
            "reset: lesson {number} goes back to its skeleton:\n  {}  (your changes are \
             replaced)",
            program.display()
        ),
        None => println!(
            "reset: lesson {number} gets its skeleton back:\n  {}  (missing: put back)",
            program.display()
        ),
    }
    if !args.yes && !confirmed(number)? {
        println!("reset: nothing changed.");
        return Ok(());
    }
    let backup = match &current {
        Some(_) => Some(back_up(lesson, &program)?),
        None => None,
    };
    write_text(&program, &skeleton)?;
    println!("restored: {}", program.display());
    if let Some(backup) = backup {
        println!("Your previous version is kept in {}.", backup.display());
    }
    print_extra(&extra);
    let mut seen = HintsSeen::load();
    seen.forget(lesson);
    // Failing to write only means the next `hint` does not start from hint 1.
    let _ = seen.save();
    println!(
        "Lesson {number} starts over: `cargo xtask hint {number}` starts again from hint 1, \
         and the skeleton's TODOs are yours again."
    );
    Ok(())
}

/// Copies the program to `target/xtask/reset-backups/<package>-<seconds>/<its path>`.
fn back_up(lesson: &Lesson, program: &Path) -> Result<PathBuf, String> {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or(0);
    let backup = Path::new(STATE_DIR)
        .join("reset-backups")
        .join(format!("{}-{seconds}", lesson.skeleton.name));
    let copy = backup.join(program);
    if let Some(dir) = copy.parent() {
        create_dir(dir)?;
    }
    let text = read_text(program)?;
    write_text(&copy, &text).map_err(|err| format!("{err} (nothing was reset)"))?;
    Ok(backup)
}

/// Source files the learner added beside the program (left alone by reset).
fn extra_files(lesson: &Lesson, program: &Path) -> Vec<PathBuf> {
    files_under(&lesson.skeleton.dir.join("src"))
        .into_iter()
        .filter(|path| path != program)
        .collect()
}

/// Asks on the terminal. Without one (a pipe, a closed stdin) nobody can answer, so the
/// answer is an error that says how to reset without asking.
fn confirmed(lesson: u32) -> Result<bool, String> {
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return Err(format!(
            "reset: not resetting without a confirmation, and there is no terminal to ask on; \
             `cargo xtask reset {lesson} --yes` resets without asking"
        ));
    }
    print!("Reset lesson {lesson}? [y/N] ");
    io::stdout()
        .flush()
        .map_err(|err| format!("could not write to the terminal: {err}"))?;
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|err| format!("could not read the answer: {err}"))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn print_extra(extra: &[PathBuf]) {
    if extra.is_empty() {
        return;
    }
    println!(
        "Not part of the skeleton, so left as they are (delete them if you do not need them):"
    );
    for path in extra {
        println!("  {}", path.display());
    }
}
