//! The book's sources are checked on every `cargo test`, not only when someone builds the
//! book: `mdbook build` exits 0 even when an `{{#include}}` names a missing file or anchor,
//! so without this test a broken code listing could go unnoticed.

use xtask::book_check;

#[test]
fn book_includes_and_chapters_resolve() {
    let src = xtask::workspace_root().join("book/src");
    // The book is written alongside the code; until it has a page there is nothing to check.
    let pages = if src.is_dir() {
        book_check::files_with_extension(&src, "md").expect("list book/src")
    } else {
        Vec::new()
    };
    if pages.is_empty() {
        println!(
            "note: no Markdown in {} yet; book check skipped",
            src.display()
        );
        return;
    }

    let problems = book_check::check_sources(&src).expect("the book check could run");
    let listing: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        problems.is_empty(),
        "{} problem(s) in the book:\n{}",
        problems.len(),
        listing.join("\n")
    );
}

/// The lesson titles of `course.toml` are the chapter titles of the book's table of
/// contents, and each names the chapter file the manifest gives.
#[test]
fn lesson_titles_match_the_table_of_contents() {
    let course = xtask::load_course().expect("course.toml loads");
    let summary = std::fs::read_to_string(course.root.join("book/src/SUMMARY.md"))
        .expect("book/src/SUMMARY.md");
    for lesson in &course.lessons {
        let file = lesson
            .chapter
            .strip_prefix("book/src")
            .expect("chapters are in book/src");
        let entry = format!("[{}]({})", lesson.title, file.display());
        assert!(
            summary.contains(&entry),
            "SUMMARY.md has no `{entry}`: course.toml and the book disagree on lesson {}",
            lesson.number
        );
    }
}
