//! The book is written in our own words: no run of eight words is copied from the guide.
//!
//! The guide the lessons grew from (kept beside the repository, in `../shared/seed/`) may be
//! used for facts, but its licence (CC BY-ND) forbids derivatives: no sentence of it may
//! appear in the book or the README. This test looks for any eight words in a row that both
//! share, outside code blocks (program output may well match). Where the guide is not beside
//! the repository (a learner's clone), there is nothing to compare with and it says so.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Eight words in a row is a copied phrase, not a shared term like "TCP client and server".
const RUN: usize = 8;

/// The guide's title may be cited, as the introduction does when it names its source.
const CITED: &str = "create a tcp and udp client and server using go";

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Prose only: fenced code blocks (code, transcripts, program output) are left out.
fn prose(markdown: &str) -> String {
    let mut in_code = false;
    let mut kept = String::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code {
            kept.push_str(line);
            kept.push(' ');
        }
    }
    // One line of lowercase words, so that a title broken over two lines still matches.
    let flat = kept
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    flat.replace(CITED, " ")
}

fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            markdown_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "md") {
            found.push(path);
        }
    }
}

#[test]
fn no_run_of_eight_words_is_copied_from_the_guide() {
    let root = xtask::workspace_root();
    let seed = root.join("../shared/seed");
    let guide = fs::read_dir(&seed)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "txt"));
    let Some(guide) = guide else {
        eprintln!(
            "skipped: the guide is not beside this clone ({})",
            seed.display()
        );
        return;
    };
    let guide_words = words(
        &fs::read_to_string(&guide)
            .unwrap_or_default()
            .to_lowercase(),
    );
    let runs: HashSet<&[String]> = guide_words.windows(RUN).collect();

    let mut files = vec![root.join("README.md")];
    markdown_files(&root.join("book/src"), &mut files);
    let mut copied = Vec::new();
    for file in files {
        let text = prose(&fs::read_to_string(&file).unwrap_or_default());
        for run in words(&text).windows(RUN) {
            if runs.contains(run) {
                copied.push(format!("{}: \"{}\"", file.display(), run.join(" ")));
            }
        }
    }
    assert!(
        copied.is_empty(),
        "these words are copied from the guide; say it in our own words:\n{}",
        copied.join("\n")
    );
}
