//! The learner's skeleton, made from the reference solution.
//!
//! The solution is the one source. Each piece the learner writes is a *region* of
//! `solutions/lessonN/src/main.rs`, between `// ANCHOR: name` and `// ANCHOR_END: name`
//! (mdBook anchor lines: the book never shows them, and can include a TODO's reference
//! answer by its name). What the skeleton has instead lives in one file beside the
//! solution, `solutions/lessonN/skeleton.md`: one section per region, `## name`, whose
//! first fenced code block is the replacement (the `// TODO(n): ...` comment and the
//! `todo!(...)`, or a whole function). Besides regions, a section `` ## before `TEXT` ``
//! inserts its block before the one line of the solution that starts with TEXT (a
//! `#[allow(dead_code)]` above a helper), so the solution needs no marker for it.
//!
//! The skeleton is the solution with every such section applied and every anchor line
//! removed. Everything outside the regions is the solution's, line for line: change a line
//! there and the committed skeleton no longer matches (`cargo xtask skeleton --check`).
//!
//! Rules that keep a mistake from reaching a learner: a region whose name starts with
//! `todo` must have a section (or the skeleton would hold the answer); every section must
//! be used; regions that are replaced may not overlap.

use std::collections::BTreeMap;

use course::Lesson;

use crate::anchor::{self, Marker};

/// What one section of `skeleton.md` does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// Replace the inside of this region.
    Region(String),
    /// Insert before the one line that starts with this text (after its indentation).
    Before(String),
}

#[derive(Debug, Clone)]
struct Section {
    target: Target,
    /// The replacement, line by line.
    lines: Vec<String>,
    /// Where the section starts in `skeleton.md` (1-based), for messages.
    line: usize,
}

/// Makes the skeleton of `lesson` from its solution and its `skeleton.md` (paths relative
/// to the current directory, the workspace root).
pub fn generate(lesson: &Lesson) -> Result<String, String> {
    let solution_path = lesson.solution.main_rs();
    let regions_path = lesson.skeleton_regions();
    let solution = crate::fs::read_text(&solution_path)?;
    let regions = crate::fs::read_text(&regions_path)?;
    cut(&solution, &regions).map_err(|problem| {
        format!(
            "lesson {}'s skeleton cannot be made from {} and {}: {problem}",
            lesson.number,
            solution_path.display(),
            regions_path.display()
        )
    })
}

/// The skeleton: `solution` with the sections of `regions` (the text of a `skeleton.md`)
/// applied and every anchor line removed.
pub fn cut(solution: &str, regions: &str) -> Result<String, String> {
    let sections = parse_sections(regions)?;
    let lines: Vec<&str> = solution.lines().collect();
    let spans = find_regions(&lines)?;

    // Which regions are replaced, by the index of their start marker.
    let mut replaced: BTreeMap<usize, (usize, &Section)> = BTreeMap::new();
    for section in &sections {
        let Target::Region(name) = &section.target else {
            continue;
        };
        let &(start, end) = spans.get(name.as_str()).ok_or_else(|| {
            format!(
                "skeleton.md line {}: the solution has no region `{name}` \
                 (mark it with `// ANCHOR: {name}` and `// ANCHOR_END: {name}`)",
                section.line
            )
        })?;
        replaced.insert(start, (end, section));
    }
    let mut last_end = None;
    for (&start, &(end, section)) in &replaced {
        if last_end.is_some_and(|last_end| start < last_end) {
            return Err(format!(
                "skeleton.md line {}: region {:?} overlaps another replaced region",
                section.line, section.target
            ));
        }
        last_end = Some(end);
    }
    if let Some(name) = spans
        .iter()
        .filter(|(name, _)| name.starts_with("todo"))
        .find(|(_, (start, _))| !replaced.contains_key(start))
        .map(|(name, _)| name)
    {
        return Err(format!(
            "region `{name}` of the solution has no `## {name}` section in skeleton.md: the \
             skeleton would hold its answer"
        ));
    }

    let hidden = |at: usize| {
        replaced
            .iter()
            .any(|(&start, &(end, _))| (start..=end).contains(&at))
    };
    let mut inserts: BTreeMap<usize, &Section> = BTreeMap::new();
    for section in &sections {
        let Target::Before(text) = &section.target else {
            continue;
        };
        let found: Vec<usize> = (0..lines.len())
            .filter(|&at| !hidden(at) && lines[at].trim_start().starts_with(text.as_str()))
            .collect();
        match found.as_slice() {
            [at] => {
                inserts.insert(*at, section);
            }
            [] => {
                return Err(format!(
                    "skeleton.md line {}: no line of the solution (outside the replaced \
                     regions) starts with `{text}`",
                    section.line
                ));
            }
            _ => {
                return Err(format!(
                    "skeleton.md line {}: {} lines of the solution start with `{text}`; \
                     give more of the line so that it names one",
                    section.line,
                    found.len()
                ));
            }
        }
    }

    let mut out: Vec<&str> = Vec::with_capacity(lines.len());
    let mut at = 0;
    while at < lines.len() {
        if let Some(&(end, section)) = replaced.get(&at) {
            out.extend(section.lines.iter().map(String::as_str));
            at = end + 1;
            continue;
        }
        if let Some(section) = inserts.get(&at) {
            out.extend(section.lines.iter().map(String::as_str));
        }
        if !anchor::is_marker(lines[at]) {
            out.push(lines[at]);
        }
        at += 1;
    }
    let mut skeleton = out.join("\n");
    if solution.ends_with('\n') {
        skeleton.push('\n');
    }
    Ok(skeleton)
}

/// Every region of the solution: its name, and the indices of its two marker lines.
fn find_regions<'a>(lines: &[&'a str]) -> Result<BTreeMap<&'a str, (usize, usize)>, String> {
    let mut open: BTreeMap<&str, usize> = BTreeMap::new();
    let mut spans = BTreeMap::new();
    for (at, line) in lines.iter().enumerate() {
        match anchor::marker(line) {
            Some((Marker::Start, name)) if open.contains_key(name) || spans.contains_key(name) => {
                return Err(format!(
                    "solution line {}: a second `ANCHOR: {name}`",
                    at + 1
                ));
            }
            Some((Marker::Start, name)) => {
                open.insert(name, at);
            }
            Some((Marker::End, name)) => {
                let start = open.remove(name).ok_or_else(|| {
                    format!(
                        "solution line {}: `ANCHOR_END: {name}` without its `ANCHOR: {name}`",
                        at + 1
                    )
                })?;
                spans.insert(name, (start, at));
            }
            None => {}
        }
    }
    if let Some((name, at)) = open.into_iter().next() {
        return Err(format!(
            "solution line {}: `ANCHOR: {name}` is never ended",
            at + 1
        ));
    }
    Ok(spans)
}

/// The sections of a `skeleton.md`: `## name` or `` ## before `TEXT` ``, each with the
/// first fenced code block under it. Text outside the blocks is for authors.
fn parse_sections(text: &str) -> Result<Vec<Section>, String> {
    let mut sections: Vec<Section> = Vec::new();
    let mut block: Option<Vec<String>> = None;
    let mut has_block = false;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if let Some(lines) = block.as_mut() {
            if line.trim_start().starts_with("```") {
                let section = sections
                    .last_mut()
                    .ok_or("a code block outside any section")?;
                section.lines = block.take().unwrap_or_default();
            } else {
                lines.push(line.to_string());
            }
            continue;
        }
        if let Some(heading) = line.strip_prefix("## ") {
            if sections.last().is_some_and(|_| !has_block) {
                return Err(format!(
                    "skeleton.md line {number}: the section before this one has no code block"
                ));
            }
            has_block = false;
            let target = target(heading.trim(), number)?;
            if sections.iter().any(|section| section.target == target) {
                return Err(format!(
                    "skeleton.md line {number}: `## {}` is there twice",
                    heading.trim()
                ));
            }
            sections.push(Section {
                target,
                lines: Vec::new(),
                line: number,
            });
        } else if line.trim_start().starts_with("```") {
            if sections.is_empty() {
                return Err(format!(
                    "skeleton.md line {number}: a code block before the first `## ` section"
                ));
            }
            if has_block {
                return Err(format!(
                    "skeleton.md line {number}: a second code block in one section (each \
                     section has exactly one: its replacement)"
                ));
            }
            has_block = true;
            block = Some(Vec::new());
        }
    }
    if block.is_some() {
        return Err("skeleton.md: the last code block is never closed".into());
    }
    if sections.last().is_some_and(|_| !has_block) {
        return Err("skeleton.md: the last section has no code block".into());
    }
    Ok(sections)
}

fn target(heading: &str, number: usize) -> Result<Target, String> {
    if let Some(rest) = heading.strip_prefix("before ") {
        let text = rest
            .trim()
            .strip_prefix('`')
            .and_then(|rest| rest.strip_suffix('`'))
            .filter(|text| !text.trim().is_empty())
            .ok_or_else(|| {
                format!("skeleton.md line {number}: write `## before `the start of a line``")
            })?;
        return Ok(Target::Before(text.trim_start().to_string()));
    }
    let is_name = !heading.is_empty()
        && heading
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if is_name {
        Ok(Target::Region(heading.to_string()))
    } else {
        Err(format!(
            "skeleton.md line {number}: `## {heading}` is neither a region name nor \
             ``before `TEXT` ``"
        ))
    }
}

/// The `n` of every `todo!("TODO(n)...")` in a program, sorted, each once. The message may
/// start on the next line (`todo!(\n    "TODO(3): ...`), as rustfmt writes a long one.
pub fn todo_numbers(program: &str) -> Vec<u32> {
    let mut numbers: Vec<u32> = program
        .split("todo!(")
        .skip(1)
        .filter_map(|rest| {
            let rest = rest.trim_start().strip_prefix("\"TODO(")?;
            rest.split(')').next()?.parse().ok()
        })
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOLUTION: &str = "\
//! A program.
// ANCHOR: imports
use std::io::Write;
// ANCHOR_END: imports

// ANCHOR: send
/// Sends.
fn send(mut out: impl Write) -> std::io::Result<()> {
    // ANCHOR: todo1
    out.write_all(b\"hi\\n\")
    // ANCHOR_END: todo1
}
// ANCHOR_END: send

/// Helps.
fn helper() {}
";

    const REGIONS: &str = "\
# How the skeleton is cut (a note for authors)

## imports

```rust
// use std::io::Write;
```

## todo1

Why this is the learner's: it is the lesson.

```rust
    // TODO(1): send hi.
    todo!(\"TODO(1): send hi\")
```

## before `fn helper(`

```rust
#[allow(dead_code)]
```
";

    #[test]
    fn regions_are_replaced_and_markers_removed() {
        let skeleton = cut(SOLUTION, REGIONS).expect("it cuts");
        assert_eq!(
            skeleton,
            "//! A program.\n// use std::io::Write;\n\n/// Sends.\n\
             fn send(mut out: impl Write) -> std::io::Result<()> {\n    // TODO(1): send hi.\n    \
             todo!(\"TODO(1): send hi\")\n}\n\n/// Helps.\n#[allow(dead_code)]\nfn helper() {}\n"
        );
        assert!(!skeleton.contains("ANCHOR"));
        assert_eq!(todo_numbers(&skeleton), vec![1]);
    }

    #[test]
    fn a_todo_region_without_a_section_is_refused() {
        let without = REGIONS.replace("## todo1", "## todo9");
        let error = cut(SOLUTION, &without).expect_err("todo9 is not in the solution");
        assert!(error.contains("no region `todo9`"), "{error}");
        let only_imports = &REGIONS[..REGIONS.find("## todo1").expect("a todo section")];
        let error = cut(SOLUTION, only_imports).expect_err("todo1 left in");
        assert!(error.contains("would hold its answer"), "{error}");
    }

    #[test]
    fn mistakes_in_the_regions_file_are_named() {
        // Each case comes after a valid section for the solution's `todo1`.
        let todo1 = "## todo1\n```\n    todo!()\n```\n";
        let error = |rest: &str| cut(SOLUTION, &format!("{todo1}{rest}")).expect_err(rest);
        assert!(error("## imports\n\nno block\n").contains("no code block"));
        assert!(error("## imports\n```\na\n```\n```\nb\n```\n").contains("second code block"));
        assert!(error("## before `fn nothing(`\n```\n```\n").contains("no line"));
        assert!(error("## before `///`\n```\n```\n").contains("lines of the solution start"));
        assert!(error("## two words\n```\n```\n").contains("neither a region name"));
        assert!(error("## send\n```\n```\n").contains("overlaps"));
        assert!(error("## todo1\n```\n```\n").contains("there twice"));
        let unclosed = SOLUTION.replace("// ANCHOR_END: send\n", "");
        let error = cut(&unclosed, todo1).expect_err("unclosed");
        assert!(error.contains("never ended"), "{error}");
    }

    #[test]
    fn todos_are_found_even_when_rustfmt_splits_them() {
        let program =
            "todo!(\"TODO(2): b\")\n// TODO(9) in a comment\ntodo!(\n    \"TODO(1): a {x}\",\n)";
        assert_eq!(todo_numbers(program), vec![1, 2]);
    }
}
