//! Every committed skeleton is exactly what its solution and `skeleton.md` make
//! (`cargo xtask skeleton --check` in every `cargo test`), and the check notices a change
//! to a solution outside its regions.

use std::fs;

use xtask::skeleton::cut;

#[test]
fn every_committed_skeleton_is_made_from_its_solution() {
    let course = xtask::load_course().expect("course.toml loads");
    for lesson in &course.lessons {
        let read = |path: std::path::PathBuf| {
            fs::read_to_string(course.path(&path))
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        };
        let solution = read(lesson.solution.main_rs());
        let regions = read(lesson.skeleton_regions());
        let committed = read(lesson.skeleton.main_rs());
        let made = cut(&solution, &regions).unwrap_or_else(|problem| panic!("{problem}"));
        assert!(
            made == committed,
            "lesson {}: {} is not what its solution makes; run `cargo xtask skeleton {}` and \
             review `git diff lessons/`:\n{}",
            lesson.number,
            lesson.skeleton.main_rs().display(),
            lesson.number,
            xtask::text::changes(&committed, &made, 2)
        );
        assert!(!made.contains("ANCHOR"), "lesson {}", lesson.number);
    }
}

/// A line of a solution that is outside every replaced region reaches the skeleton: change
/// it, and the skeleton made no longer matches the committed one.
#[test]
fn a_one_line_change_outside_the_regions_shows_up() {
    let course = xtask::load_course().expect("course.toml loads");
    let lesson = &course.lessons[0];
    let solution =
        fs::read_to_string(course.path(&lesson.solution.main_rs())).expect("the solution");
    let regions = fs::read_to_string(course.path(&lesson.skeleton_regions())).expect("skeleton.md");
    let committed =
        fs::read_to_string(course.path(&lesson.skeleton.main_rs())).expect("the skeleton");
    let line = solution
        .lines()
        .find(|line| line.starts_with("fn main()"))
        .expect("a main function outside the regions");
    let changed = solution.replacen(line, &format!("{line} // changed"), 1);
    let made = cut(&changed, &regions).expect("it still cuts");
    assert_ne!(made, committed);
    assert!(made.contains("// changed"));
}
