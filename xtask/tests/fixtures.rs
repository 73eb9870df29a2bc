//! Every program kept in `tests/fixtures/` still applies to its lesson's solution: the wrong
//! ones (`tests/fixtures/lessonN/*.diff`) and the correct alternatives
//! (`tests/fixtures/lessonN/alternatives/*.diff`).
//!
//! `cargo xtask verify` runs them against the tests (minutes); this quick check runs in
//! every `cargo test`, so a change to a solution that breaks a fixture's diff shows up at
//! once, with the fixture named.

use std::fs;

use xtask::fixture::Fixture;

#[test]
fn every_fixture_applies_to_its_solution_and_changes_it() {
    let course = xtask::load_course().expect("course.toml loads");
    let mut problems = Vec::new();
    let mut wrong = 0;
    for lesson in &course.lessons {
        let solution = fs::read_to_string(course.path(&lesson.solution.main_rs()))
            .expect("each lesson has a solution");
        for (dir, count) in [
            (lesson.fixtures.clone(), Some(&mut wrong)),
            (lesson.alternatives(), None),
        ] {
            let dir = course.path(&dir);
            let paths = xtask::fs::files_ending(&dir, "diff").expect("a readable folder");
            if let Some(count) = count {
                *count += paths.len();
            }
            for path in paths {
                let text = fs::read_to_string(&path).unwrap_or_default();
                match Fixture::parse(&text).and_then(|fixture| fixture.apply(&solution)) {
                    Ok(program) if program != without_anchors(&solution) => {}
                    Ok(_) => problems.push(format!("{}: changes nothing", path.display())),
                    Err(problem) => problems.push(format!("{}: {problem}", path.display())),
                }
            }
        }
    }
    assert!(wrong >= 25, "only {wrong} wrong programs found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The solution as a fixture sees it: anchor lines left out.
fn without_anchors(solution: &str) -> String {
    let mut kept: Vec<&str> = solution
        .lines()
        .filter(|line| !xtask::anchor::is_marker(line))
        .collect();
    kept.push("");
    kept.join("\n")
}
