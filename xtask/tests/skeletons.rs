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

/// The chapter a skeleton's header names, `(chapter "A TCP client")` or `(chapter 7, "...")`:
/// the quoted text after "(chapter", from the header's `//!` lines joined.
fn chapter_named(program: &str) -> Option<String> {
    let header: Vec<&str> = program
        .lines()
        .map_while(|line| line.strip_prefix("//!"))
        .map(str::trim)
        .collect();
    let header = header.join(" ");
    let after = &header[header.find("(chapter")?..];
    let quoted = &after[after.find('"')? + 1..];
    Some(quoted[..quoted.find('"')?].to_string())
}

/// Each skeleton's header sends the learner to the book's chapter by its real title: the one
/// in course.toml, which another test keeps equal to the book's SUMMARY.md.
#[test]
fn every_skeleton_header_names_its_chapter_by_its_title() {
    let course = xtask::load_course().expect("course.toml loads");
    let mut wrong = Vec::new();
    for lesson in &course.lessons {
        let path = course.path(&lesson.skeleton.main_rs());
        let program = fs::read_to_string(&path).unwrap_or_else(|err| panic!("{err}"));
        let named = chapter_named(&program);
        if named.as_deref() != Some(lesson.title.as_str()) {
            wrong.push(format!(
                "{}: its header names the chapter {named:?}, the book calls it {:?}",
                lesson.skeleton.main_rs().display(),
                lesson.title
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_chapter_is_read_from_a_header_over_two_lines() {
    let program = "//! Your task: ... (chapter\n//! 7, \"The same server on async I/O\"). More.\n\
                   \nfn main() {}\n";
    assert_eq!(
        chapter_named(program).as_deref(),
        Some("The same server on async I/O")
    );
    assert_eq!(chapter_named("//! no chapter here\n"), None);
}

/// No file the learner works in carries the book's `ANCHOR` markers: they belong to the
/// solutions, which the book includes from (every folder under lessons/, in course.toml
/// or not yet).
#[test]
fn no_learner_file_has_anchor_markers() {
    let course = xtask::load_course().expect("course.toml loads");
    let mut marked = Vec::new();
    for file in xtask::fs::files_under(&course.root.join("lessons")) {
        let text = fs::read_to_string(&file).unwrap_or_default();
        let count = text.matches("ANCHOR").count();
        if count > 0 {
            marked.push(format!("{}: {count} ANCHOR markers", file.display()));
        }
    }
    assert!(marked.is_empty(), "{}", marked.join("\n"));
}
