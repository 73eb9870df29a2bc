//! `cargo xtask hint [N [k]]`: staged hints, from a gentle nudge to nearly the answer.
//!
//! The hints of lesson N live next to its skeleton, in `lessons/lessonN/hints.md`, as
//! sections headed `## Hint 1`, `## Hint 2`, ... (text before the first one is a note for
//! authors and is not shown). `hint N` shows the first hint not shown yet, `hint N k` shows
//! hint k (again); with no N, the first unfinished lesson is meant. Which hints were shown
//! is remembered in `target/xtask/hints-seen.txt`, outside the lessons, so the learner's
//! files stay theirs; `cargo xtask reset N` forgets it for that lesson.

use course::Lesson;
use xtask::Error;
use xtask::state::{self, HintsSeen};

use crate::flags;

/// One hint: its number as written in the heading, and its text.
#[derive(Debug, PartialEq, Eq)]
struct Hint {
    number: u32,
    text: String,
}

/// Runs `cargo xtask hint [N [k]]` from the workspace root.
pub fn run(args: &flags::Hint) -> Result<(), Error> {
    let course = xtask::load_course()?;
    let lesson = match args.lesson {
        Some(number) => xtask::lesson(&course, number)?,
        None => state::first_unfinished(&course).ok_or(
            "every lesson passes, so there is no next lesson to give a hint for; \
             name one: `cargo xtask hint 2`",
        )?,
    };
    let number = lesson.number;
    let solution = lesson.solution.main_rs();
    let path = lesson.hints();
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!(
            "Lesson {number} has no hints yet ({} is missing). The chapter {} explains every \
             TODO, and the reference solution is in {}.",
            path.display(),
            lesson.describe_chapter(),
            solution.display()
        );
        return Ok(());
    };
    let hints = parse(&text);
    if hints.is_empty() {
        return Err(format!(
            "{} has no `## Hint 1` section: nothing to show",
            path.display()
        )
        .into());
    }
    let total = hints.len();
    let mut seen = HintsSeen::load();
    let shown_before = seen.shown(lesson);

    let hint = match args.hint {
        Some(wanted) => hints
            .iter()
            .find(|hint| hint.number == wanted)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "lesson {number} has hints 1 to {total}, not {wanted}"
                ))
            })?,
        None => match hints
            .iter()
            .find(|hint| !shown_before.contains(&hint.number))
        {
            Some(hint) => hint,
            None => {
                println!(
                    "You have seen all {total} hints for lesson {number}. \
                     `cargo xtask hint {number} K` shows hint K again (1 to {total}).\n\
                     Still stuck? Compare with the reference solution, {}, or run it: \
                     `cargo test -p {}` passes the same tests.",
                    solution.display(),
                    lesson.solution.name
                );
                return Ok(());
            }
        },
    };

    println!(
        "Lesson {number}, {}: hint {} of {total}\n",
        lesson.describe_chapter(),
        hint.number
    );
    println!("{}\n", hint.text);
    seen.mark(lesson, hint.number);
    seen.save()?;
    print_left(lesson, &hints, &seen);
    Ok(())
}

fn print_left(lesson: &Lesson, hints: &[Hint], seen: &HintsSeen) {
    let number = lesson.number;
    let shown = seen.shown(lesson);
    let left = hints
        .iter()
        .filter(|hint| !shown.contains(&hint.number))
        .count();
    match left {
        0 => println!(
            "That was the last hint for lesson {number}. The reference solution is in {}.",
            lesson.solution.main_rs().display()
        ),
        1 => println!("1 more hint: `cargo xtask hint {number}` shows it."),
        _ => println!("{left} more hints: `cargo xtask hint {number}` shows the next one."),
    }
}

/// The `## Hint n` sections of a hints file, in file order.
fn parse(text: &str) -> Vec<Hint> {
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
    /// Every shipped hints file has hints 1, 2, 3, ... in order, none empty; the TODOs they
    /// name exist in the skeleton, and the book sections they name (`Book: "Section"`) are
    /// headings of the lesson's chapter. Hints that point at nothing would confuse more
    /// than help.
    #[test]
    fn shipped_hints_point_at_real_todos_and_sections() {
        let course = xtask::load_course().expect("course.toml loads");
        for lesson in &course.lessons {
            let number = lesson.number;
            let Ok(text) = std::fs::read_to_string(course.path(&lesson.hints())) else {
                continue;
            };
            let hints = parse(&text);
            assert!(
                (4..=6).contains(&hints.len()),
                "lesson {number}: {} hints; write 4 to 6",
                hints.len()
            );
            let skeleton = std::fs::read_to_string(course.path(&lesson.skeleton.main_rs()))
                .unwrap_or_default();
            let chapter = std::fs::read_to_string(course.path(&lesson.chapter)).unwrap_or_default();
            let todos = xtask::skeleton::todo_numbers(&skeleton);
            for (index, hint) in hints.iter().enumerate() {
                let expected = u32::try_from(index + 1).unwrap_or(u32::MAX);
                assert_eq!(hint.number, expected, "lesson {number}: hints out of order");
                assert!(
                    !hint.text.is_empty(),
                    "lesson {number}, hint {expected} is empty"
                );
                for todo in hint.text.split("TODO(").skip(1) {
                    let todo = todo.split(')').next().unwrap_or("");
                    assert!(
                        todo.parse().is_ok_and(|todo| todos.contains(&todo)),
                        "lesson {number}, hint {expected} names TODO({todo}), not in the skeleton"
                    );
                }
                let book_lines = hint.text.lines().filter(|line| line.starts_with("Book: "));
                let sections: Vec<&str> = book_lines
                    .flat_map(|line| line.split('"').skip(1).step_by(2))
                    .collect();
                assert!(
                    !sections.is_empty(),
                    "lesson {number}, hint {expected}: no `Book: \"Section\"` line"
                );
                for section in sections {
                    assert!(
                        chapter.lines().any(|line| line == format!("## {section}")),
                        "lesson {number}, hint {expected}: {} has no section \"{section}\"",
                        lesson.chapter.display()
                    );
                }
            }
        }
    }
}
