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
