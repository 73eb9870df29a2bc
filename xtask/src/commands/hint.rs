//! `cargo xtask hint [N [k]]`: staged hints, from a gentle nudge to nearly the answer.
//!
//! The hints of lesson N live next to its skeleton, in `lessons/lessonN/hints.md`, as
//! sections headed `## Hint 1`, `## Hint 2`, ... (text before the first one is a note for
//! authors and is not shown). `hint N` shows the first hint not shown yet, `hint N k` shows
//! hint k (again); with no N, the first unfinished lesson is meant. Which hints were shown
//! is remembered in `target/xtask/hints-seen.txt`, outside the lessons, so the learner's
//! files stay theirs; `cargo xtask reset N` forgets it for that lesson.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use crate::progress::{self, STATE_DIR};
use crate::verify::discover_lessons;

/// One hint: its number as written in the heading, and its text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Hint {
    pub number: u32,
    pub text: String,
}

/// Runs `cargo xtask hint [N [k]]` from the workspace root.
pub fn run(args: &[String]) -> Result<(), String> {
    let available = discover_lessons()?;
    let lesson = match args.first() {
        Some(arg) => progress::parse_lesson(arg, &available)?,
        None => progress::first_unfinished()?.ok_or(
            "every lesson passes, so there is no next lesson to give a hint for; \
             name one: `cargo xtask hint 2`",
        )?,
    };
    let wanted = match args.get(1) {
        Some(arg) => Some(
            arg.parse::<u32>()
                .map_err(|_| format!("`{arg}` is not a hint number (try `hint {lesson} 1`)"))?,
        ),
        None => None,
    };
    if let Some(extra) = args.get(2) {
        return Err(format!(
            "hint: unexpected `{extra}` (usage: cargo xtask hint [N [k]])"
        ));
    }

    let path = hints_file(lesson);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) => {
            println!(
                "Lesson {lesson} has no hints yet ({} is missing). The chapter {} explains \
                 every TODO, and the reference solution is in solutions/lesson{lesson}/src/main.rs.",
                path.display(),
                progress::describe_chapter(lesson)
            );
            return Ok(());
        }
    };
    let hints = parse(&text);
    if hints.is_empty() {
        return Err(format!(
            "{} has no `## Hint 1` section: nothing to show",
            path.display()
        ));
    }
    let total = hints.len();
    let mut seen = load_seen();
    let shown_before = seen.get(lesson);

    let hint = match wanted {
        Some(number) => hints
            .iter()
            .find(|hint| hint.number == number)
            .ok_or_else(|| format!("lesson {lesson} has hints 1 to {total}, not {number}"))?,
        None => match hints
            .iter()
            .find(|hint| !shown_before.contains(&hint.number))
        {
            Some(hint) => hint,
            None => {
                println!(
                    "You have seen all {total} hints for lesson {lesson}. \
                     `cargo xtask hint {lesson} K` shows hint K again (1 to {total}).\n\
                     Still stuck? Compare with the reference solution, \
                     solutions/lesson{lesson}/src/main.rs, or run it: \
                     `cargo test -p lesson{lesson}-solution` passes the same tests."
                );
                return Ok(());
            }
        },
    };

    println!(
        "Lesson {lesson}, {}: hint {} of {total}\n",
        progress::describe_chapter(lesson),
        hint.number
    );
    println!("{}\n", hint.text);
    seen.mark(lesson, hint.number);
    seen.save()?;

    let left = hints
        .iter()
        .filter(|other| !seen.get(lesson).contains(&other.number))
        .count();
    match left {
        0 => println!(
            "That was the last hint for lesson {lesson}. The reference solution is in \
             solutions/lesson{lesson}/src/main.rs."
        ),
        1 => println!("1 more hint: `cargo xtask hint {lesson}` shows it."),
        _ => println!("{left} more hints: `cargo xtask hint {lesson}` shows the next one."),
    }
    Ok(())
}

fn hints_file(lesson: u32) -> PathBuf {
    PathBuf::from(format!("lessons/lesson{lesson}/hints.md"))
}

/// The `## Hint n` sections of a hints file, in file order.
pub(crate) fn parse(text: &str) -> Vec<Hint> {
    let mut hints: Vec<Hint> = Vec::new();
    for line in text.lines() {
        let number = line
            .strip_prefix("## Hint ")
            .map(|rest| {
                rest.chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .and_then(|digits| digits.parse().ok());
        match (number, hints.last_mut()) {
            (Some(number), _) => hints.push(Hint {
                number,
                text: String::new(),
            }),
            (None, Some(hint)) => {
                hint.text.push_str(line);
                hint.text.push('\n');
            }
            // Before the first hint: a note for authors.
            (None, None) => {}
        }
    }
    for hint in &mut hints {
        hint.text = hint.text.trim().to_string();
    }
    hints
}

/// Forgets which hints of the lesson were shown (when the lesson starts over).
pub(crate) fn forget(lesson: u32) {
    let mut seen = load_seen();
    seen.lessons.retain(|(number, _)| *number != lesson);
    // Failing to write only means the next `hint` does not start from hint 1.
    let _ = seen.save();
}

/// Which hints were shown, per lesson: `lesson1 1 2` per line in the state file.
struct Seen {
    lessons: Vec<(u32, BTreeSet<u32>)>,
}

fn seen_file() -> PathBuf {
    PathBuf::from(format!("{STATE_DIR}/hints-seen.txt"))
}

fn load_seen() -> Seen {
    let text = fs::read_to_string(seen_file()).unwrap_or_default();
    let lessons = text
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let lesson = words.next()?.strip_prefix("lesson")?.parse().ok()?;
            let hints = words.filter_map(|word| word.parse().ok()).collect();
            Some((lesson, hints))
        })
        .collect();
    Seen { lessons }
}

impl Seen {
    fn get(&self, lesson: u32) -> BTreeSet<u32> {
        self.lessons
            .iter()
            .find(|(number, _)| *number == lesson)
            .map(|(_, hints)| hints.clone())
            .unwrap_or_default()
    }

    fn mark(&mut self, lesson: u32, hint: u32) {
        match self
            .lessons
            .iter_mut()
            .find(|(number, _)| *number == lesson)
        {
            Some((_, hints)) => {
                hints.insert(hint);
            }
            None => self.lessons.push((lesson, BTreeSet::from([hint]))),
        }
    }

    fn save(&self) -> Result<(), String> {
        let mut text = String::new();
        for (lesson, hints) in &self.lessons {
            let numbers: Vec<String> = hints.iter().map(u32::to_string).collect();
            text.push_str(&format!("lesson{lesson} {}\n", numbers.join(" ")));
        }
        fs::create_dir_all(STATE_DIR)
            .map_err(|err| format!("could not create {STATE_DIR}: {err}"))?;
        let path = seen_file();
        fs::write(&path, text).map_err(|err| format!("could not write {}: {err}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_the_sections_after_the_note() {
        let text =
            "A note for authors.\n\n## Hint 1\n\nFirst.\n\n## Hint 2: later\nSecond\nline.\n";
        let hints = parse(text);
        assert_eq!(
            hints,
            vec![
                Hint {
                    number: 1,
                    text: "First.".into()
                },
                Hint {
                    number: 2,
                    text: "Second\nline.".into()
                },
            ]
        );
    }

    /// Every shipped hints file has hints 1, 2, 3, ... in order, none empty; the TODOs they
    /// name exist in the skeleton, and the book sections they name (`Book: "Section"`) are
    /// headings of the lesson's chapter. Hints that point at nothing would confuse more
    /// than help.
    #[test]
    fn shipped_hints_point_at_real_todos_and_sections() {
        let root = xtask::workspace_root();
        for lesson in 1..100 {
            let Ok(text) =
                fs::read_to_string(root.join(format!("lessons/lesson{lesson}/hints.md")))
            else {
                continue;
            };
            let hints = parse(&text);
            assert!(
                (4..=6).contains(&hints.len()),
                "lesson {lesson}: {} hints; write 4 to 6",
                hints.len()
            );
            let skeleton =
                fs::read_to_string(root.join(format!("lessons/lesson{lesson}/src/main.rs")))
                    .unwrap_or_default();
            let chapter = fs::read_to_string(root.join(format!("book/src/lesson{lesson}.md")))
                .unwrap_or_default();
            for (index, hint) in hints.iter().enumerate() {
                let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
                assert_eq!(hint.number, number, "lesson {lesson}: hints out of order");
                assert!(
                    !hint.text.is_empty(),
                    "lesson {lesson}, hint {number} is empty"
                );
                let todos = progress::todo_numbers(&skeleton);
                for todo in hint.text.split("TODO(").skip(1) {
                    let todo = todo.split(')').next().unwrap_or("");
                    assert!(
                        todo.parse().is_ok_and(|todo| todos.contains(&todo)),
                        "lesson {lesson}, hint {number} names TODO({todo}), not in the skeleton"
                    );
                }
                let book_lines = hint.text.lines().filter(|line| line.starts_with("Book: "));
                let sections: Vec<&str> = book_lines
                    .flat_map(|line| line.split('"').skip(1).step_by(2))
                    .collect();
                assert!(
                    !sections.is_empty(),
                    "lesson {lesson}, hint {number}: no `Book: \"Section\"` line"
                );
                for section in sections {
                    assert!(
                        chapter.lines().any(|line| line == format!("## {section}")),
                        "lesson {lesson}, hint {number}: book/src/lesson{lesson}.md has no \
                         section \"{section}\""
                    );
                }
            }
        }
    }
}
