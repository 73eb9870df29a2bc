//! `SUMMARY.md`: every chapter it lists exists and has content (mdbook creates a missing
//! one as an empty file, and says nothing).

use std::fs;
use std::path::Path;

use super::{Problem, read_text};

/// Every `[Title](chapter.md)` in `SUMMARY.md` must point at a chapter with some content.
pub(super) fn check_summary(src_dir: &Path) -> Result<Vec<Problem>, String> {
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

#[cfg(test)]
mod tests {
    use super::super::{TempDir, check_sources};

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
}
