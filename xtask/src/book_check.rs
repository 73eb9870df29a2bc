//! Checks for the mistakes that `mdbook build` lets through silently.
//!
//! mdBook 0.5 logs a missing `{{#include}}` file but still exits 0 and leaves the raw
//! directive in the page; a misspelt anchor gives an empty code block with no message at
//! all; and a chapter listed in `SUMMARY.md` but missing on disk is created empty. So the
//! book's code listings can break without anyone noticing. These functions look for exactly
//! those mistakes: in the Markdown sources before a build ([`check_sources`]) and in the
//! HTML after it ([`check_html`]).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

mod html;
mod includes;
mod summary;

use html::check_page;
use includes::check_includes;
use summary::check_summary;

/// One thing wrong in the book, pinned to a file and, when it makes sense, a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based line number; `None` when the whole file is the problem (e.g. it is missing).
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `file:line: message` is the form editors and terminals turn into a clickable link.
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// Checks the Markdown sources in `src_dir` (normally `book/src`):
/// every chapter listed in `SUMMARY.md` exists and is not empty, every
/// `{{#include}}` / `{{#rustdoc_include}}` names an existing file and, if it names an
/// anchor, that file has both `ANCHOR: name` and a later `ANCHOR_END: name`, and every
/// `{{#quiz}}` names an existing quiz file.
///
/// Run it before `mdbook build`: the build creates missing chapters as empty files.
/// `Err` means the check itself could not run (e.g. a file could not be read).
pub fn check_sources(src_dir: &Path) -> Result<Vec<Problem>, String> {
    let mut problems = check_summary(src_dir)?;
    for page in files_with_extension(src_dir, "md")? {
        let text = read_text(&page)?;
        problems.extend(check_includes(&page, &text));
    }
    Ok(problems)
}

/// Checks the built HTML in `html_dir` for the traces of a broken include:
/// a leftover `{{#` (mdbook could not find the file) or an empty `<code>` block
/// (mdbook found the file but not the anchor, or the line range was out of bounds).
pub fn check_html(html_dir: &Path) -> Result<Vec<Problem>, String> {
    let pages = files_with_extension(html_dir, "html")?;
    if pages.is_empty() {
        return Ok(vec![Problem {
            file: html_dir.to_path_buf(),
            line: None,
            message: "no HTML pages here: did the build write them somewhere else?".to_string(),
        }]);
    }
    let mut problems = Vec::new();
    // `print.html` repeats every chapter on one page: checking it would report each
    // problem twice.
    for page in pages.iter().filter(|page| !page.ends_with("print.html")) {
        let html = read_text(page)?;
        problems.extend(check_page(page, &html));
    }
    Ok(problems)
}

/// All files under `dir` (recursively) whose name ends in `.{extension}`, sorted so that
/// reports come out in the same order every time. A missing `dir` is an error.
pub fn files_with_extension(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    collect_files(dir, extension, &mut found)?;
    found.sort();
    Ok(found)
}

fn collect_files(dir: &Path, extension: &str, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        fs::read_dir(dir).map_err(|err| format!("could not list {}: {err}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|err| format!("could not list {}: {err}", dir.display()))?
            .path();
        if path.is_dir() {
            collect_files(&path, extension, found)?;
        } else if path.extension().is_some_and(|ext| ext == extension) {
            found.push(path);
        }
    }
    Ok(())
}

fn read_text(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|err| format!("could not read {}: {err}", path.display()))
}

/// A fresh directory under the system temp dir, removed again when the test ends.
#[cfg(test)]
struct TempDir(PathBuf);

#[cfg(test)]
impl TempDir {
    fn new(test_name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "xtask-book-check-{test_name}-{}",
            std::process::id()
        ));
        // Leftovers from an earlier, interrupted run would confuse the test.
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    fn write(&self, relative: &str, contents: &str) -> PathBuf {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create parent dir");
        }
        fs::write(&path, contents).expect("write temp file");
        path
    }
}

#[cfg(test)]
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
