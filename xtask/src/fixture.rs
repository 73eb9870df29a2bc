//! Wrong programs, kept as diffs against the reference solution.
//!
//! A fixture in `tests/fixtures/lessonN/NAME.diff` is a realistic mistake: a sentence saying
//! what it does wrong, then a unified diff (as `diff -u` or `git diff` print it) from
//! `solutions/lessonN/src/main.rs` to the wrong program. Keeping only the diff shows the
//! mistake in a few lines, and keeps one copy of the program: when the solution changes, the
//! fixtures follow, or say clearly that they no longer apply.
//!
//! The line numbers in `@@` headers are only a hint: each hunk is placed where its context
//! and removed lines match the solution, the match nearest to the hint winning, so a diff
//! still applies after lines were added above it.
//!
//! Anchor lines (`// ANCHOR: name`, see [`crate::anchor`]) are left out on both sides
//! before matching: marking a new region in the solution, or moving one, never breaks a
//! fixture, and the program it makes has no anchor lines.
//!
//! The same format holds the *alternatives* of `tests/fixtures/lessonN/alternatives/`:
//! correct programs written differently, which the tests must accept.

/// One wrong program: what it gets wrong, and how to make it from the solution.
#[derive(Debug)]
pub struct Fixture {
    /// The first line of the file: the mistake, in a sentence.
    pub about: String,
    hunks: Vec<Hunk>,
}

#[derive(Debug, Default)]
struct Hunk {
    /// Where the hunk starts in the solution, 0-based, from its `@@ -START,...` header.
    near: usize,
    /// The lines it expects to find (context and removed lines).
    before: Vec<String>,
    /// What it puts in their place (context and added lines).
    after: Vec<String>,
}

impl Fixture {
    /// Reads a fixture's text: description first, then the diff.
    pub fn parse(text: &str) -> Result<Fixture, String> {
        let mut lines = text.lines();
        let mut description = Vec::new();
        for line in lines.by_ref() {
            if line.starts_with("--- ") {
                break;
            }
            description.push(line);
        }
        let about = description
            .iter()
            .find(|line| !line.trim().is_empty())
            .map(|line| line.trim().to_string())
            .ok_or("it does not start with a sentence saying what mistake it makes")?;

        let mut hunks: Vec<Hunk> = Vec::new();
        for line in lines {
            if line.starts_with("+++ ") || line.starts_with('\\') {
                continue;
            }
            if let Some(header) = line.strip_prefix("@@ -") {
                hunks.push(Hunk {
                    near: start_line(header)?,
                    ..Hunk::default()
                });
                continue;
            }
            let Some(hunk) = hunks.last_mut() else {
                return Err(format!(
                    "a diff line comes before any `@@` header: {line:?}"
                ));
            };
            // Some editors strip the single space that marks an empty context line.
            let (mark, content) = match line.char_indices().nth(1) {
                Some((at, _)) => (&line[..1], &line[at..]),
                None => (if line.is_empty() { " " } else { line }, ""),
            };
            if crate::anchor::is_marker(content) {
                continue;
            }
            match mark {
                " " => {
                    hunk.before.push(content.to_string());
                    hunk.after.push(content.to_string());
                }
                "-" => hunk.before.push(content.to_string()),
                "+" => hunk.after.push(content.to_string()),
                _ => return Err(format!("not a line of a unified diff: {line:?}")),
            }
        }
        if hunks.is_empty() {
            return Err("it holds no diff (no `@@` hunk)".to_string());
        }
        Ok(Fixture { about, hunks })
    }

    /// The wrong program: the solution with every hunk applied.
    pub fn apply(&self, solution: &str) -> Result<String, String> {
        // `trim_end_matches('\r')`: a checkout with Windows line endings still matches.
        let mut lines: Vec<String> = solution
            .lines()
            .map(|line| line.trim_end_matches('\r').to_string())
            .filter(|line| !crate::anchor::is_marker(line))
            .collect();
        let mut searched_up_to = 0;
        let mut shift: isize = 0;
        for (number, hunk) in self.hunks.iter().enumerate() {
            let expected_at = hunk.near.saturating_add_signed(shift);
            let found = (searched_up_to..=lines.len().saturating_sub(hunk.before.len()))
                .filter(|&at| lines[at..at + hunk.before.len()] == hunk.before[..])
                .min_by_key(|&at| at.abs_diff(expected_at))
                .ok_or_else(|| {
                    format!(
                        "hunk {} (near line {}) no longer matches the solution; \
                         make the diff again from the current solution",
                        number + 1,
                        hunk.near + 1
                    )
                })?;
            lines.splice(found..found + hunk.before.len(), hunk.after.iter().cloned());
            searched_up_to = found + hunk.after.len();
            shift += hunk.after.len() as isize - hunk.before.len() as isize;
        }
        let mut program = lines.join("\n");
        program.push('\n');
        Ok(program)
    }
}

/// `12,7 +12,8 @@ ...` gives 11: the 0-based line where the hunk starts in the old file.
fn start_line(header: &str) -> Result<usize, String> {
    let number = header
        .split([',', ' '])
        .next()
        .and_then(|start| start.parse::<usize>().ok())
        .ok_or_else(|| format!("an `@@` header without a line number: @@ -{header}"))?;
    Ok(number.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOLUTION: &str = "fn main() {\n    let a = 1;\n    println!(\"{a}\");\n}\n";

    #[test]
    fn applies_a_hunk_and_reads_the_description() {
        let text = "Prints the wrong number.\n\n--- a\n+++ b\n@@ -1,4 +1,4 @@\n fn main() {\n-    let a = 1;\n+    let a = 2;\n     println!(\"{a}\");\n }\n";
        let fixture = Fixture::parse(text).expect("a valid fixture");
        assert_eq!(fixture.about, "Prints the wrong number.");
        let wrong = fixture.apply(SOLUTION).expect("it applies");
        assert_eq!(wrong, SOLUTION.replace("= 1", "= 2"));
    }

    #[test]
    fn still_applies_when_lines_moved() {
        let moved = format!("// a new comment\n// and another\n{SOLUTION}");
        let text = "Mistake.\n--- a\n+++ b\n@@ -2,1 +2,1 @@\n-    let a = 1;\n+    let a = 2;\n";
        let fixture = Fixture::parse(text).expect("a valid fixture");
        let wrong = fixture.apply(&moved).expect("it applies");
        assert!(wrong.contains("let a = 2;") && wrong.starts_with("// a new comment"));
    }

    #[test]
    fn says_when_the_solution_changed_under_it() {
        let text = "Mistake.\n--- a\n+++ b\n@@ -2,1 +2,1 @@\n-    let b = 1;\n+    let b = 2;\n";
        let fixture = Fixture::parse(text).expect("a valid fixture");
        let error = fixture.apply(SOLUTION).expect_err("nothing to match");
        assert!(error.contains("no longer matches"), "{error}");
    }

    #[test]
    fn anchor_lines_are_left_out_on_both_sides() {
        let marked = SOLUTION.replace("    let a", "    // ANCHOR: todo1\n    let a");
        let text = "Mistake.\n--- a\n+++ b\n@@ -1,3 +1,3 @@\n fn main() {\n-    let a = 1;\n+    let a = 2;\n     println!(\"{a}\");\n";
        let fixture = Fixture::parse(text).expect("a valid fixture");
        let wrong = fixture
            .apply(&marked)
            .expect("it applies across the marker");
        assert_eq!(wrong, SOLUTION.replace("= 1", "= 2"));
    }

    #[test]
    fn needs_a_description_and_a_hunk() {
        assert!(Fixture::parse("--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n").is_err());
        assert!(Fixture::parse("Mistake.\n").is_err());
    }
}
