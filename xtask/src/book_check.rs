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

// ---------------------------------------------------------------------------------------
// SUMMARY.md

/// Every `[Title](chapter.md)` in `SUMMARY.md` must point at a chapter with some content.
fn check_summary(src_dir: &Path) -> Result<Vec<Problem>, String> {
    let summary = src_dir.join("SUMMARY.md");
    if !summary.is_file() {
        return Ok(vec![Problem {
            file: summary,
            line: None,
            message: "missing: mdbook reads the list of chapters from it".to_string(),
        }]);
    }
    let text = read_text(&summary)?;
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for target in chapter_links(line) {
            if let Some(message) = check_chapter(src_dir, target) {
                problems.push(Problem {
                    file: summary.clone(),
                    line: Some(index + 1),
                    message,
                });
            }
        }
    }
    Ok(problems)
}

/// The local link targets in one line of `SUMMARY.md`: `[Intro](intro.md#start)` gives
/// `intro.md`. Draft chapters (`[Later]()`), web links and `#fragment`-only links are skipped.
fn chapter_links(line: &str) -> Vec<&str> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find("](") {
        rest = &rest[open + 2..];
        let Some(close) = rest.find(')') else { break };
        // `[T](file.md "tooltip")`: the path is the first word.
        let link = rest[..close].split_whitespace().next().unwrap_or("");
        let path = link.split('#').next().unwrap_or("");
        if !path.is_empty() && !path.contains("://") {
            targets.push(path);
        }
        rest = &rest[close + 1..];
    }
    targets
}

fn check_chapter(src_dir: &Path, target: &str) -> Option<String> {
    let chapter = src_dir.join(target);
    if !chapter.is_file() {
        return Some(format!("chapter `{target}` does not exist"));
    }
    match fs::read_to_string(&chapter) {
        Ok(text) if text.trim().is_empty() => Some(format!(
            "chapter `{target}` is empty (mdbook creates missing chapters as empty files: \
             write it, or take it out of SUMMARY.md)"
        )),
        Ok(_) => None,
        Err(err) => Some(format!("chapter `{target}` could not be read: {err}")),
    }
}

// ---------------------------------------------------------------------------------------
// {{#include}} directives in the Markdown

/// One `{{#kind argument ...}}` directive found in a Markdown file.
#[derive(Debug, PartialEq, Eq)]
struct Directive<'a> {
    /// 1-based line where the directive starts.
    line: usize,
    /// `include`, `rustdoc_include`, `title`, `playground`, ...
    kind: &'a str,
    /// The first word after the kind: for includes, `path` or `path:anchor` or `path:1:20`.
    argument: &'a str,
    /// The whole directive as written, quoted in messages so it can be searched for.
    text: &'a str,
}

fn check_includes(page: &Path, text: &str) -> Vec<Problem> {
    // Include paths are relative to the Markdown file that contains them.
    let page_dir = page.parent().unwrap_or(Path::new("."));
    find_directives(text)
        .into_iter()
        .filter(|directive| matches!(directive.kind, "include" | "rustdoc_include" | "quiz"))
        .filter_map(|directive| {
            let message = check_include(page_dir, directive.argument)?;
            Some(Problem {
                file: page.to_path_buf(),
                line: Some(directive.line),
                message: format!("`{}`: {message}", directive.text),
            })
        })
        .collect()
}

/// Finds directives the way mdbook's `links` preprocessor does: `{{`, optional spaces, `#`,
/// a name, arguments, `}}`. A backslash before `{{` escapes it (the book may show the
/// syntax itself), so escaped directives are skipped.
fn find_directives(text: &str) -> Vec<Directive<'_>> {
    let mut directives = Vec::new();
    let mut search_from = 0;
    while let Some(offset) = text[search_from..].find("{{") {
        let start = search_from + offset;
        let Some(length) = text[start..].find("}}") else {
            break;
        };
        let end = start + length + 2;
        let escaped = text[..start].ends_with('\\');
        let inside = text[start + 2..end - 2].trim_start();
        match inside.strip_prefix('#') {
            Some(body) if !escaped => {
                let kind_length = body
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(body.len());
                let (kind, arguments) = body.split_at(kind_length);
                directives.push(Directive {
                    line: text[..start].matches('\n').count() + 1,
                    kind,
                    argument: arguments.split_whitespace().next().unwrap_or(""),
                    text: &text[start..end],
                });
                search_from = end;
            }
            // Escaped, or `{{` that is not a directive: look again just after it.
            _ => search_from = start + 2,
        }
    }
    directives
}

/// Checks one include argument (`path`, `path:anchor`, `path:10`, `path:10:20`, `path::20`)
/// relative to `page_dir`. Returns what is wrong, or `None` if the include is fine.
fn check_include(page_dir: &Path, argument: &str) -> Option<String> {
    let (path, selector) = argument.split_once(':').unwrap_or((argument, ""));
    if path.is_empty() {
        return Some("no file named".to_string());
    }
    let file = page_dir.join(path);
    if !file.is_file() {
        return Some(format!(
            "file `{path}` does not exist (looked for {})",
            file.display()
        ));
    }
    // mdbook reads what follows the path as a line range if it starts with a number or
    // is empty (`path::20`), and as an anchor name otherwise.
    let anchor = selector.split(':').next().unwrap_or("");
    if anchor.is_empty() || anchor.parse::<usize>().is_ok() {
        return None;
    }
    match fs::read_to_string(&file) {
        Ok(contents) => check_anchor(&contents, anchor),
        Err(err) => Some(format!("file `{path}` could not be read: {err}")),
    }
}

/// An anchor is usable only if some line has `ANCHOR: name` and a later line has
/// `ANCHOR_END: name`. Otherwise mdbook silently shows nothing or the rest of the file.
fn check_anchor(contents: &str, anchor: &str) -> Option<String> {
    let mut lines = contents.lines().enumerate();
    let Some((start_index, _)) = lines.find(|(_, line)| names_anchor(line, "ANCHOR:", anchor))
    else {
        return Some(format!(
            "anchor `{anchor}` not found: no line contains `ANCHOR: {anchor}`"
        ));
    };
    // `lines` continues after the start line, so only later lines can close the anchor.
    if lines.any(|(_, line)| names_anchor(line, "ANCHOR_END:", anchor)) {
        None
    } else {
        Some(format!(
            "anchor `{anchor}` opens on line {} but no later line contains `ANCHOR_END: {anchor}`",
            start_index + 1
        ))
    }
}

/// Does `line` contain `marker` (`ANCHOR:` or `ANCHOR_END:`) followed by exactly this name?
/// Whole names are compared, so `ANCHOR: connect_loop` does not count as `connect`.
fn names_anchor(line: &str, marker: &str, anchor: &str) -> bool {
    line.match_indices(marker).any(|(at, _)| {
        let after = line[at + marker.len()..].trim_start();
        let name_length = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len());
        &after[..name_length] == anchor
    })
}

// ---------------------------------------------------------------------------------------
// Built HTML

fn check_page(page: &Path, html: &str) -> Vec<Problem> {
    let problem = |line: usize, message: &str| Problem {
        file: page.to_path_buf(),
        line: Some(line),
        message: message.to_string(),
    };
    let mut problems = Vec::new();
    for (index, line) in html.lines().enumerate() {
        if line.contains("{{#") {
            problems.push(problem(
                index + 1,
                "leftover `{{#` directive: mdbook could not resolve an include here",
            ));
        }
    }
    for (at, _) in html.match_indices("<code") {
        let Some(tag_length) = html[at..].find('>') else {
            continue;
        };
        let body_start = at + tag_length + 1;
        let Some(body_length) = html[body_start..].find("</code>") else {
            continue;
        };
        let body = &html[body_start..body_start + body_length];
        if shown_text(body).trim().is_empty() {
            problems.push(problem(
                html[..at].matches('\n').count() + 1,
                "code block shows nothing: probably an include whose anchor or line range is wrong",
            ));
        }
    }
    problems.sort_by_key(|problem| problem.line);
    problems
}

/// The text of a code block that a reader actually sees. mdbook wraps hidden lines (those
/// starting with `#`, and the `fn main() {` it adds around snippets) in
/// `<span class="boring">`; a `{{#rustdoc_include}}` with a wrong anchor shows only those.
fn shown_text(code_body: &str) -> String {
    const HIDDEN: &str = "<span class=\"boring\">";
    let mut shown = String::new();
    let mut rest = code_body;
    while let Some(start) = rest.find(HIDDEN) {
        shown.push_str(&rest[..start]);
        rest = match rest[start..].find("</span>") {
            Some(end) => &rest[start + end + "</span>".len()..],
            None => "",
        };
    }
    shown.push_str(rest);
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system temp dir, removed again when the test ends.
    struct TempDir(PathBuf);

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

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    const CODE: &str = "\
fn main() {
    // ANCHOR: connect
    let stream = connect();
    // ANCHOR_END: connect
    // ANCHOR: unfinished
    send(stream);
}
";

    /// Writes a chapter `src/page.md` with `body`, next to `src/code.rs`, and checks it.
    fn problems_for(test_name: &str, body: &str) -> Vec<Problem> {
        let dir = TempDir::new(test_name);
        dir.write("src/code.rs", CODE);
        let page = dir.write("src/page.md", body);
        check_includes(&page, body)
    }

    #[test]
    fn a_good_include_has_no_problems() {
        let body = "# Page\n\
                    {{#include code.rs}}\n\
                    {{#include code.rs:connect}}\n\
                    {{#rustdoc_include code.rs:2:4}}\n\
                    {{ #include code.rs::3 }}\n";
        assert_eq!(problems_for("good", body), vec![]);
    }

    #[test]
    fn a_missing_file_is_reported_with_its_line() {
        let problems = problems_for(
            "missing-file",
            "# Page\n\n{{#include nowhere.rs:connect}}\n",
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, Some(3));
        assert!(problems[0].message.contains("`nowhere.rs` does not exist"));
    }

    #[test]
    fn a_missing_quiz_file_is_reported() {
        let problems = problems_for("missing-quiz", "{{#quiz quizzes/lesson9.toml}}\n");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .message
                .contains("`quizzes/lesson9.toml` does not exist")
        );
    }

    #[test]
    fn a_missing_anchor_is_reported() {
        let problems = problems_for("missing-anchor", "{{#include code.rs:conect}}\n");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("anchor `conect` not found"));
    }

    #[test]
    fn an_anchor_without_its_end_is_reported() {
        let problems = problems_for("no-end", "text\n{{#rustdoc_include code.rs:unfinished}}\n");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, Some(2));
        assert!(problems[0].message.contains("opens on line 5"));
        assert!(problems[0].message.contains("ANCHOR_END: unfinished"));
    }

    #[test]
    fn an_anchor_name_must_match_whole() {
        assert!(names_anchor("// ANCHOR: connect", "ANCHOR:", "connect"));
        assert!(names_anchor("# ANCHOR:connect", "ANCHOR:", "connect"));
        assert!(!names_anchor(
            "// ANCHOR: connect_loop",
            "ANCHOR:",
            "connect"
        ));
        assert!(!names_anchor(
            "// ANCHOR_END: connect",
            "ANCHOR:",
            "connect"
        ));
    }

    #[test]
    fn escaped_and_other_directives_are_not_includes() {
        let body = "\\{{#include nowhere.rs}}\n{{#title Lesson 1}}\n{{ not a directive }}\n";
        assert_eq!(problems_for("escaped", body), vec![]);
        let kinds: Vec<&str> = find_directives(body).iter().map(|d| d.kind).collect();
        assert_eq!(kinds, vec!["title"]);
    }

    #[test]
    fn summary_chapters_must_exist_and_have_content() {
        let dir = TempDir::new("summary");
        dir.write(
            "src/SUMMARY.md",
            "# Summary\n\n[Intro](intro.md)\n- [Lesson 1](lesson1.md#start)\n\
             - [Lesson 2](lesson2.md)\n- [Later]()\n- [Docs](https://doc.rust-lang.org)\n",
        );
        dir.write("src/intro.md", "# Intro\n");
        dir.write("src/lesson1.md", "  \n");
        let problems = check_sources(&dir.0.join("src")).expect("check runs");
        let found: Vec<(Option<usize>, bool)> = problems
            .iter()
            .map(|p| (p.line, p.message.contains("empty")))
            .collect();
        assert_eq!(
            found,
            vec![(Some(4), true), (Some(5), false)],
            "{problems:?}"
        );
    }

    #[test]
    fn a_missing_summary_is_reported() {
        let dir = TempDir::new("no-summary");
        dir.write("src/intro.md", "# Intro\n");
        let problems = check_sources(&dir.0.join("src")).expect("check runs");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].file.ends_with("SUMMARY.md"));
    }

    #[test]
    fn html_with_leftovers_or_empty_code_is_reported() {
        // Lines 1-2 are fine; 3 is a missing file, 4-5 a missing anchor, 6-8 a
        // `rustdoc_include` with a missing anchor (every line hidden).
        let html = "<p>ok</p>\n\
                    <pre><code class=\"language-rust\">fn main() {}</code></pre>\n\
                    <p>{{#include gone.rs}}</p>\n\
                    <pre><code class=\"language-text\">\n\
                    </code></pre>\n\
                    <pre><code class=\"language-rust no_run\"><span class=\"boring\">fn a() {}\n\
                    </span><span class=\"boring\">fn b() {}</span></code></pre>\n\
                    <pre><code><span class=\"boring\">fn main() {\n</span>shown();</code></pre>\n";
        let lines: Vec<Option<usize>> = check_page(Path::new("page.html"), html)
            .iter()
            .map(|p| p.line)
            .collect();
        assert_eq!(lines, vec![Some(3), Some(4), Some(6)]);
    }
}
