//! The `{{#include}}`, `{{#rustdoc_include}}` and `{{#quiz}}` directives of the Markdown:
//! each names a file that exists and, when it names an anchor, an anchor that opens and
//! closes in that file.

use std::fs;
use std::path::Path;

use super::Problem;

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

pub(super) fn check_includes(page: &Path, text: &str) -> Vec<Problem> {
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

#[cfg(test)]
mod tests {
    use super::super::TempDir;
    use super::*;

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
}
