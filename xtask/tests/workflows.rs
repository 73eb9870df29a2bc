//! The GitHub Actions workflows under `.github/workflows/`: they cannot run here, so what
//! can be checked without GitHub is checked on every `cargo test`.
//!
//! - They name only actions whose names, versions and inputs were checked against the
//!   actions' own repositories (a misspelt action fails only on GitHub, after a push).
//! - The autograding workflow grades every lesson of `course.toml`, each through the
//!   learner's own package, and reports every grader it runs.
//!
//! That the files are valid YAML is checked where Python is: `python3 -c 'import yaml; ...'`
//! (see CONTRIBUTING.md).

use std::fs;
use std::path::PathBuf;

/// Every action a workflow may use, as `owner/name@version`.
const KNOWN_ACTIONS: &[&str] = &[
    "actions/checkout@v4",
    "dtolnay/rust-toolchain@stable",
    "classroom-resources/autograding-command-grader@v1",
    "classroom-resources/autograding-grading-reporter@v1",
];

fn workflow(name: &str) -> String {
    let path: PathBuf = xtask::workspace_root().join(".github/workflows").join(name);
    fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The values of `key: value` lines, wherever they are nested.
fn values<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_start().trim_start_matches("- ");
            line.strip_prefix(key)?.strip_prefix(':').map(str::trim)
        })
        .collect()
}

#[test]
fn workflows_use_only_known_actions() {
    for name in ["ci.yml", "classroom.yml"] {
        let text = workflow(name);
        for action in values(&text, "uses") {
            assert!(
                KNOWN_ACTIONS.contains(&action),
                "{name} uses {action}, which is not among the checked actions: check its name, \
                 version and inputs in its repository, then add it to KNOWN_ACTIONS"
            );
        }
        assert!(!text.contains('\t'), "{name}: YAML does not allow tabs");
    }
}

#[test]
fn autograding_grades_every_lesson_through_the_learners_package() {
    let text = workflow("classroom.yml");
    // GitHub Classroom reads the results only under these names.
    assert!(
        text.contains("name: Autograding Tests\n"),
        "the workflow's name"
    );
    assert!(
        text.contains("  run-autograding-tests:\n"),
        "the job's name"
    );

    let ids = values(&text, "id");
    let runners = values(&text, "runners");
    assert_eq!(runners.len(), 1, "one reporter");
    let runners: Vec<&str> = runners[0].split(',').collect();
    assert_eq!(runners, ids, "the reporter reports every grader, in order");
    for id in &ids {
        // The reporter's own rule for runner ids.
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
        let results = format!(
            "{}_RESULTS: \"${{{{ steps.{id}.outputs.result }}}}\"",
            id.to_uppercase()
        );
        assert!(text.contains(&results), "no `{results}`");
    }

    let course = xtask::load_course().expect("course.toml loads");
    for lesson in &course.lessons {
        let package = &lesson.skeleton.name;
        let command = format!("command: cargo test --quiet -p {package}\n");
        assert!(
            text.contains(&command),
            "lesson {} is not graded: no `{}`",
            lesson.number,
            command.trim()
        );
        assert!(
            ids.contains(&package.as_str()),
            "no grader with id {package}"
        );
    }
    for command in values(&text, "command") {
        let package = command.rsplit(' ').next().unwrap_or("");
        let dir = xtask::workspace_root().join("lessons").join(package);
        assert!(
            dir.join("Cargo.toml").is_file(),
            "`{command}`: no package {package} in lessons/"
        );
    }
}
