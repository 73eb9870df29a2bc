//! Texts for people: line diffs for messages that show what changed, words wrapped to a
//! width (a projector shows about 60 columns), bytes shown as escaped text.

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

/// Words of `text` in lines of at most `width` characters, each indented by `indent`. A
/// word longer than the width gets a line of its own.
pub fn wrap(text: &str, indent: usize, width: usize) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let length = line.chars().count();
        if !line.is_empty() && indent + length + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    let pad = " ".repeat(indent);
    lines
        .iter()
        .map(|line| format!("{pad}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Bytes as a Rust-like string literal without the quotes: `hello\n` for `hello` and a
/// newline, `\x80` for a byte that is not UTF-8, `\"` and `\\` escaped. Text in any
/// language stays as it is; control characters are escaped, so what is shown is exactly
/// what was sent, and nothing sent can move the cursor or change the terminal's colours.
pub fn escaped(bytes: &[u8]) -> String {
    let mut shown = String::new();
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => shown.push_str("\\n"),
                '\r' => shown.push_str("\\r"),
                '\t' => shown.push_str("\\t"),
                '"' => shown.push_str("\\\""),
                '\\' => shown.push_str("\\\\"),
                c if c.is_control() => shown.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
                c => shown.push(c),
            }
        }
        for byte in chunk.invalid() {
            shown.push_str(&format!("\\x{byte:02x}"));
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_within_the_width() {
        let text = "one two three four five six";
        assert_eq!(wrap(text, 2, 12), "  one two\n  three four\n  five six");
        assert!(wrap(text, 0, 60).lines().all(|line| line.len() <= 60));
    }

    #[test]
    fn bytes_are_shown_escaped() {
        assert_eq!(escaped(b"hello\n"), "hello\\n");
        assert_eq!(escaped(b"\n"), "\\n");
        assert_eq!(escaped(b"a\"b\\c\r\t"), "a\\\"b\\\\c\\r\\t");
        assert_eq!(escaped(b"\x1b[2J\xff"), "\\u{1b}[2J\\xff");
        assert_eq!(escaped("caf\u{e9}".as_bytes()), "caf\u{e9}");
    }

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
