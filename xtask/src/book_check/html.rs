//! The built HTML: what a broken include leaves behind once mdbook has run (a raw `{{#`, or
//! a code block that shows nothing).

use std::path::Path;

use super::Problem;

pub(super) fn check_page(page: &Path, html: &str) -> Vec<Problem> {
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
