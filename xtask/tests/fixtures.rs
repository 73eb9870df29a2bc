//! Every wrong program kept in `tests/fixtures/` still applies to its lesson's solution.
//!
//! `cargo xtask verify` runs them against the tests (minutes); this quick check runs in
//! every `cargo test`, so a change to a solution that breaks a fixture's diff shows up at
//! once, with the fixture named.

use std::fs;

use xtask::fixture::Fixture;

#[test]
fn every_fixture_applies_to_its_solution_and_changes_it() {
    let root = xtask::workspace_root();
    let mut problems = Vec::new();
    let mut count = 0;
    let lessons = fs::read_dir(root.join("tests/fixtures")).expect("tests/fixtures exists");
    for lesson in lessons.flatten() {
        let name = lesson.file_name().to_string_lossy().into_owned();
        let solution_path = root.join("solutions").join(&name).join("src/main.rs");
        let solution = fs::read_to_string(&solution_path).expect("each lesson has a solution");
        for entry in fs::read_dir(lesson.path())
            .expect("a fixture folder")
            .flatten()
        {
            let path = entry.path();
            let text = fs::read_to_string(&path).unwrap_or_default();
            count += 1;
            match Fixture::parse(&text).and_then(|fixture| fixture.apply(&solution)) {
                Ok(wrong) if wrong != solution => {}
                Ok(_) => problems.push(format!("{}: changes nothing", path.display())),
                Err(problem) => problems.push(format!("{}: {problem}", path.display())),
            }
        }
    }
    assert!(count >= 25, "only {count} fixtures found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
