//! What `cargo xtask verify` prints: a table row per case as it finishes, each wrong
//! program's first failing test and hint, the output of every surprise, and a summary.

use std::fs;
use std::time::Duration;

use course::Lesson;

use super::{Expect, Got, Outcome};

/// How much of a surprising case's output to print (the whole log stays on disk).
const LOG_TAIL_LINES: usize = 150;
/// Where a hint is wrapped in the table.
const WIDTH: usize = 100;

/// Column widths for one table, fixed before the first row is printed so that rows can be
/// shown as soon as each case finishes.
pub(super) struct Table {
    case_width: usize,
}

impl Table {
    pub(super) fn new<'a>(names: impl Iterator<Item = &'a str>) -> Table {
        Table {
            case_width: names.map(str::len).max().unwrap_or(0).max("case".len()),
        }
    }

    pub(super) fn print_header(&self) {
        println!(
            "{:<6}  {:<w$}  {:<8}  {:<11}  {:<8}  {:>7}  {:>6}  about",
            "lesson",
            "case",
            "expected",
            "got",
            "verdict",
            "build s",
            "test s",
            w = self.case_width
        );
    }

    pub(super) fn print_row(&self, outcome: &Outcome, about: &str) {
        let verdict = if outcome.is_surprise() {
            "SURPRISE"
        } else {
            "ok"
        };
        println!(
            "{:<6}  {:<w$}  {:<8}  {:<11}  {:<8}  {:>7.1}  {:>6.1}  {about}",
            outcome.lesson,
            outcome.name,
            expect_word(outcome.expect),
            got_word(outcome.got),
            verdict,
            outcome.build_time.as_secs_f64(),
            outcome.test_time.as_secs_f64(),
            w = self.case_width
        );
        // A wrong program that failed: which test caught it first, and what it told the
        // learner. (The skeleton's first failure is always "do TODO(1)".)
        let is_fixture = !matches!(outcome.name.as_str(), "skeleton" | "solution");
        if outcome.expect == Expect::NoBuild && outcome.got == Got::BuildError {
            // What the learner reads instead of a test's report: the compiler's words.
            let log = fs::read_to_string(&outcome.log).unwrap_or_default();
            let indent = " ".repeat(8);
            let error = first_compile_error(&log).unwrap_or("(no error line found)");
            println!("{}", wrap(&format!("compiler: {error}"), &indent, WIDTH));
        }
        if is_fixture && outcome.expect == Expect::Fail && outcome.got == Got::Fail {
            let log = fs::read_to_string(&outcome.log).unwrap_or_default();
            let indent = " ".repeat(8);
            match first_failure(&log) {
                Some((test, hint)) => {
                    println!("{indent}first failing test: {test}");
                    let hint = hint.unwrap_or_else(|| "(its report has no hint line)".into());
                    println!("{}", wrap(&format!("hint: {hint}"), &indent, WIDTH));
                }
                None => println!(
                    "{indent}(no failing test found in {})",
                    outcome.log.display()
                ),
            }
        }
    }
}

fn expect_word(expect: Expect) -> &'static str {
    match expect {
        Expect::Pass => "pass",
        Expect::Fail => "fail",
        Expect::NoBuild => "no build",
    }
}

fn got_word(got: Got) -> &'static str {
    match got {
        Got::Pass => "pass",
        Got::Fail => "fail",
        Got::BuildError => "build error",
        Got::OtherBuildError => "other error",
        Got::TimedOut => "timeout",
    }
}

/// The first failing test of a `cargo test` log, in the order cargo lists failures at the
/// end (by name, so the same every run), with the hint of its report: the text after
/// `hint:`, continuation lines joined. A program stopped at a `todo!()` gives its "Next:
/// TODO(n) in ..." line and the `todo!()`'s message instead (or, from a test whose report is
/// one line because an earlier test explains that TODO, that line).
pub(super) fn first_failure(log: &str) -> Option<(String, Option<String>)> {
    let lines: Vec<&str> = log.lines().collect();
    // `failures:` comes twice: before the captured output of each failed test, and before
    // the list of their names. The list is the last one.
    let list_at = lines.iter().rposition(|line| *line == "failures:")?;
    let first = lines[list_at + 1..]
        .iter()
        .map(|line| line.trim())
        .find(|line| !line.is_empty())?
        .to_string();
    let header = format!("---- {first} stdout ----");
    let section_at = lines.iter().position(|line| *line == header)?;
    let section: Vec<&str> = lines[section_at + 1..]
        .iter()
        .take_while(|line| !line.starts_with("---- ") && **line != "failures:")
        .copied()
        .collect();
    let hint = section
        .iter()
        .position(|line| line.trim_start().starts_with("hint:"))
        .map(|at| {
            let mut text = section[at].trim_start()["hint:".len()..].trim().to_string();
            // The report indents a long value's further lines under its first.
            for more in section[at + 1..]
                .iter()
                .take_while(|l| l.starts_with("             "))
            {
                text.push(' ');
                text.push_str(more.trim());
            }
            text
        })
        .or_else(|| {
            let next = section.iter().position(|line| line.starts_with("Next: "))?;
            let message = section[next + 1..]
                .iter()
                .skip_while(|line| !line.contains("todo!()"))
                .nth(1)
                .map(|line| line.trim())
                .unwrap_or_default();
            Some(format!("{} ({message})", section[next].trim()))
        })
        .or_else(|| {
            section
                .iter()
                .find(|line| line.contains("todo!()") || line.contains("stopped at TODO("))
                .map(|line| line.trim().to_string())
        });
    Some((first, hint))
}

/// The first error line of a build log, `error[E....]: ...` or, for an error without a
/// code, `error: ...` (but not cargo's closing `error: could not compile ...`).
fn first_compile_error(log: &str) -> Option<&str> {
    log.lines().map(str::trim).find(|line| {
        line.starts_with("error[E")
            || (line.starts_with("error: ") && !line.starts_with("error: could not compile"))
    })
}

/// `text` in lines of at most `width` characters, each starting with `indent`; further
/// lines are indented two more.
fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut lines = Vec::new();
    let mut line = indent.to_string();
    for word in text.split_whitespace() {
        if !line.trim().is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::replace(&mut line, format!("{indent}  ")));
        }
        if !line.trim().is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.join("\n")
}

/// For every surprise, the end of what cargo printed: the evidence to start from.
pub(super) fn print_surprises(outcomes: &[Outcome]) {
    for outcome in outcomes.iter().filter(|outcome| outcome.is_surprise()) {
        println!();
        println!(
            "==== lesson {} / {}: expected {}, got {} (full output: {}) ====",
            outcome.lesson,
            outcome.name,
            expect_word(outcome.expect),
            got_word(outcome.got),
            outcome.log.display()
        );
        match fs::read_to_string(&outcome.log) {
            Ok(text) => {
                let lines: Vec<&str> = text.lines().collect();
                let skip = lines.len().saturating_sub(LOG_TAIL_LINES);
                if skip > 0 {
                    println!("... ({skip} earlier lines cut)");
                }
                for line in &lines[skip..] {
                    println!("{line}");
                }
            }
            Err(err) => println!("(could not read the log: {err})"),
        }
    }
}

pub(super) fn print_summary(
    lessons: &[&Lesson],
    outcomes: &[Outcome],
    warnings: &[String],
    elapsed: Duration,
) -> Result<(), xtask::Error> {
    println!();
    let mut without_fixtures = Vec::new();
    for lesson in lessons {
        let mine: Vec<&Outcome> = outcomes
            .iter()
            .filter(|outcome| outcome.lesson == lesson.number)
            .collect();
        let as_expected = mine.iter().filter(|outcome| !outcome.is_surprise()).count();
        let count = |expect: Expect| {
            mine.iter()
                .filter(|o| {
                    o.expect == expect && !matches!(o.name.as_str(), "skeleton" | "solution")
                })
                .count()
        };
        let wrong = count(Expect::Fail) + count(Expect::NoBuild);
        println!(
            "lesson {}: {} of {} cases as expected ({wrong} wrong programs, {} alternatives)",
            lesson.number,
            as_expected,
            mine.len(),
            count(Expect::Pass)
        );
        if wrong == 0 {
            without_fixtures.push(lesson.number.to_string());
        }
    }
    for warning in warnings {
        println!("warning: {warning}");
    }
    let surprises = outcomes.iter().filter(|o| o.is_surprise()).count();
    println!(
        "verify: {} cases in {:.0} s, {surprises} surprise(s)",
        outcomes.len(),
        elapsed.as_secs_f64()
    );
    if surprises > 0 {
        return Err(format!(
            "{surprises} case(s) did not turn out as expected (their output is above)"
        )
        .into());
    }
    if !without_fixtures.is_empty() {
        return Err(format!(
            "no wrong programs in tests/fixtures/ for lesson(s) {}: nothing shows their tests \
             reject a wrong program",
            without_fixtures.join(", ")
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
running 3 tests
...
failures:

---- sends_each_line stdout ----

✗ lesson 1: each line is sent once
  did:       typed \"hello\"
  hint:      the line you read has no newline left: send the text
             and then one \\n.
  book:      book/src/lesson1.md, section \"Sending a line\"

---- a_prompt_first stdout ----

✗ lesson 1: the prompt comes first
  got:       nothing
  hint:      flush the prompt.


failures:
    a_prompt_first
    sends_each_line

test result: FAILED. 1 passed; 2 failed
";

    #[test]
    fn the_first_failure_by_name_and_its_hint_are_found() {
        assert_eq!(
            first_failure(LOG),
            Some(("a_prompt_first".into(), Some("flush the prompt.".into())))
        );
        let one = LOG.replace("    a_prompt_first\n", "");
        assert_eq!(
            first_failure(&one),
            Some((
                "sends_each_line".into(),
                Some(
                    "the line you read has no newline left: send the text and then one \\n.".into()
                )
            ))
        );
        assert_eq!(first_failure("test result: ok."), None);
    }

    #[test]
    fn a_program_stopped_at_a_todo_gives_its_next_step() {
        let log = "\
failures:

---- a_first stdout ----

✗ lesson 5: every line gets one reply line
  (checking `lesson5`)

Next: TODO(1) in lessons/lesson5/src/main.rs
  Your program stopped at this todo!():
    TODO(1): count the client
  That is your next step: replace the todo!() with your code, then run the tests again.
  Book: book/src/lesson5.md, section \"TODO(1): a thread per client\".


---- b_second stdout ----
✗ lesson 5: stopped at TODO(1) too: see \"Next: TODO(1)\" above, under a_first


failures:
    a_first
    b_second
";
        let next = "Next: TODO(1) in lessons/lesson5/src/main.rs (TODO(1): count the client)";
        assert_eq!(
            first_failure(log),
            Some(("a_first".into(), Some(next.into())))
        );
        let alone = log.replace("    a_first\n", "");
        let line = "✗ lesson 5: stopped at TODO(1) too: see \"Next: TODO(1)\" above, under a_first";
        assert_eq!(
            first_failure(&alone),
            Some(("b_second".into(), Some(line.into())))
        );
    }

    #[test]
    fn long_hints_are_wrapped_under_their_label() {
        let wrapped = wrap("hint: one two three four", "    ", 18);
        assert_eq!(wrapped, "    hint: one two\n      three four");
    }
}
