//! `hint`, `reset`, `watch`, and the command line of every command.

use std::fs;
use std::path::{Path, PathBuf};

use super::{BUILD, QUICK, Session, cargo_turn, git, run, scratch, succeeded, text, xtask};

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
    // Windows prints the path with `\` where it joins folders.
    let stdout = text(&output.stdout).replace('\\', "/");
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
    // `--help` works for every command, whatever else is on the line.
    let overview = text(&run(xtask(&root, &["help"]), QUICK).stdout);
    let commands: Vec<&str> = overview
        .lines()
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(commands.len() >= 12, "{overview}");
    for command in commands {
        for args in [&[command, "--help"][..], &[command, "1", "-h"]] {
            let help = run(xtask(&root, args), QUICK);
            assert!(succeeded(&help), "{args:?}: {}", text(&help.stderr));
            let page = text(&help.stdout);
            assert!(
                page.contains(&format!("usage: cargo xtask {command}")),
                "{page}"
            );
        }
    }
}

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
