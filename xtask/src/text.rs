//! Comparing texts line by line, for messages that show what changed.

/// A small line diff (longest common subsequence), indented for a message: `  - ` lines are
/// only in `old`, `  + ` lines only in `new`, the others in both. Good enough for files of a
/// few hundred lines.
pub fn line_diff(old: &str, new: &str) -> String {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    // common[i][j]: length of the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            out.push_str(&format!("    {}\n", old[i]));
            i += 1;
            j += 1;
        } else if i < old.len() && (j == new.len() || common[i + 1][j] >= common[i][j + 1]) {
            out.push_str(&format!("  - {}\n", old[i]));
            i += 1;
        } else {
            out.push_str(&format!("  + {}\n", new[j]));
            j += 1;
        }
    }
    out
}

/// Only the changed lines of a [`line_diff`], each with up to `context` unchanged lines
/// around it, and `...` where lines were left out.
pub fn changes(old: &str, new: &str, context: usize) -> String {
    let diff = line_diff(old, new);
    let lines: Vec<&str> = diff.lines().collect();
    let changed: Vec<bool> = lines.iter().map(|line| !line.starts_with("    ")).collect();
    let near_change = |at: usize| {
        let from = at.saturating_sub(context);
        let to = (at + context + 1).min(lines.len());
        changed[from..to].iter().any(|&c| c)
    };
    let mut out = String::new();
    let mut skipped = false;
    for (at, line) in lines.iter().enumerate() {
        if near_change(at) {
            if skipped {
                out.push_str("    ...\n");
                skipped = false;
            }
            out.push_str(line);
            out.push('\n');
        } else {
            skipped = true;
        }
    }
    if skipped {
        out.push_str("    ...\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_shows_removed_and_added_lines() {
        assert_eq!(
            line_diff("a\nb\nc\n", "a\nx\nc\n"),
            "    a\n  - b\n  + x\n    c\n"
        );
        let many = "1\n2\n3\n4\n5\n6\n7\n";
        assert_eq!(
            changes(many, &many.replace('4', "four"), 1),
            "    ...\n    3\n  - 4\n  + four\n    5\n    ...\n"
        );
    }
}
