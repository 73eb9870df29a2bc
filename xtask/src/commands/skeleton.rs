//! `cargo xtask skeleton [--check] [N...]`: writes (or checks) each lesson's skeleton, made
//! from its solution and `skeleton.md` (see [`xtask::skeleton`]).
//!
//! Writing is for authors, after changing a solution or a TODO text: it overwrites
//! `lessons/lessonN/src/main.rs`, the learner's file. (A learner who wants the skeleton
//! back uses `cargo xtask reset N`, which asks first and keeps a backup.) `--check` writes
//! nothing and fails if a committed skeleton differs from the one made now; CI runs it, and
//! so does a quick test in `cargo test` (`xtask/tests/skeletons.rs`).

use xtask::Error;
use xtask::fs::{read_text, write_text};

use crate::flags;

/// Lines of unchanged context shown around each difference.
const CONTEXT: usize = 2;

/// Runs `cargo xtask skeleton [--check] [N...]` from the workspace root.
pub fn run(args: &flags::Skeleton) -> Result<(), Error> {
    let course = xtask::load_course()?;
    let lessons = xtask::select(&course, &args.lessons)?;
    let mut stale = Vec::new();
    for lesson in &lessons {
        let made = xtask::skeleton::generate(lesson)?;
        let path = lesson.skeleton.main_rs();
        let committed = read_text(&path).unwrap_or_default();
        if made == committed {
            continue;
        }
        if args.check {
            println!(
                "skeleton: {} is not what lesson {}'s solution and {} make \
                 (- committed, + made now):\n{}",
                path.display(),
                lesson.number,
                lesson.skeleton_regions().display(),
                xtask::text::changes(&committed, &made, CONTEXT)
            );
        } else {
            write_text(&path, &made)?;
            println!("skeleton: wrote {}", path.display());
        }
        stale.push(lesson.number.to_string());
    }
    match (args.check, stale.is_empty()) {
        (_, true) => {
            println!(
                "skeleton: all {} skeleton(s) match their solutions",
                lessons.len()
            );
            Ok(())
        }
        (true, false) => Err(Error::Failed(format!(
            "the skeleton of lesson(s) {} differs from what its solution makes (above): a \
             change to a solution outside its TODO regions reaches the learner's file only \
             through `cargo xtask skeleton`; run it, and review `git diff lessons/`",
            stale.join(", ")
        ))),
        (false, false) => {
            println!("skeleton: review the change with `git diff lessons/`");
            Ok(())
        }
    }
}
