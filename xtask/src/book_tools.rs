//! The mdBook tools the book is built with, each pinned to a version that works with the
//! others: `cargo xtask book` installs them, `cargo xtask doctor` reports them.
//!
//! mdBook and its plugins change between versions in ways that break a book (mdbook 0.5
//! broke several plugins), so a tool counts as installed only when `TOOL --version` shows
//! exactly its pinned version.

use std::process::Command;

/// One mdBook tool, pinned to a version that works with the others.
pub struct Tool {
    /// The crate name, which is also the program name.
    pub name: &'static str,
    pub version: &'static str,
    /// Installed only if `book/book.toml` mentions this word; `None` means always needed.
    pub trigger: Option<&'static str>,
}

pub const TOOLS: [Tool; 4] = [
    Tool {
        name: "mdbook",
        version: "0.5.4",
        trigger: None,
    },
    Tool {
        name: "mdbook-mermaid",
        version: "0.17.1",
        trigger: Some("mermaid"),
    },
    Tool {
        name: "mdbook-linkcheck2",
        version: "0.13.0",
        trigger: Some("linkcheck2"),
    },
    Tool {
        name: "mdbook-quiz",
        version: "0.5.0",
        trigger: Some("quiz"),
    },
];

/// A tool is needed if it has no trigger, or if `book.toml` mentions the trigger word
/// outside a comment (e.g. `[preprocessor.mermaid]`).
pub fn is_needed(tool: &Tool, book_toml: &str) -> bool {
    match tool.trigger {
        None => true,
        Some(word) => book_toml.lines().any(|line| {
            let before_comment = line.split('#').next().unwrap_or("");
            before_comment.contains(word)
        }),
    }
}

/// What `TOOL --version` prints (`mdbook v0.5.4`), trimmed; `None` if it does not run.
pub fn version_line(tool: &Tool) -> Option<String> {
    let output = Command::new(tool.name).arg("--version").output().ok()?;
    Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Does `TOOL --version` print exactly the pinned version? A tool that is missing simply
/// counts as not having it.
pub fn has_version(tool: &Tool) -> bool {
    version_line(tool).is_some_and(|line| shows_version(&line, tool.version))
}

fn shows_version(line: &str, version: &str) -> bool {
    line.split_whitespace()
        .any(|word| word.trim_start_matches('v') == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_PLUGINS: &str = "\
# We tried mdbook-quiz once; it is not used now.
[book]
title = \"Sockets in Rust\"

[preprocessor.mermaid]
command = \"mdbook-mermaid\"

[output.html]

[output.linkcheck2]
";

    fn needed(book_toml: &str) -> Vec<&'static str> {
        TOOLS
            .iter()
            .filter(|tool| is_needed(tool, book_toml))
            .map(|tool| tool.name)
            .collect()
    }

    #[test]
    fn tools_follow_book_toml_but_not_its_comments() {
        assert_eq!(
            needed(WITH_PLUGINS),
            vec!["mdbook", "mdbook-mermaid", "mdbook-linkcheck2"]
        );
        assert_eq!(needed("[book]\ntitle = \"t\"\n"), vec!["mdbook"]);
    }

    #[test]
    fn the_version_is_read_with_or_without_a_v() {
        assert!(shows_version("mdbook v0.5.4", "0.5.4"));
        assert!(shows_version("mdbook-quiz 0.5.0", "0.5.0"));
        assert!(!shows_version("mdbook v0.5.40", "0.5.4"));
    }
}
