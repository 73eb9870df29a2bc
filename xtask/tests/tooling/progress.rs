//! `progress`, as a table and as JSON for grading scripts.

use std::fs;

use super::{BUILD, QUICK, cargo_turn, run, scratch, succeeded, text, xtask};

/// The line of the progress table for one lesson.
fn table_row(stdout: &str, lesson: u32) -> String {
    stdout
        .lines()
        .find(|line| line.split_whitespace().next() == Some(&lesson.to_string()))
        .unwrap_or_else(|| panic!("no row for lesson {lesson} in:\n{stdout}"))
        .to_string()
}

/// On a fresh clone, nothing is started and lesson 1 comes next (no test needs to run:
/// git shows the skeletons are untouched).
#[test]
#[ignore = "builds the lessons in a scratch workspace (slow on a fresh clone); CI runs it with --ignored"]
fn progress_on_an_untouched_copy_shows_lesson_1_not_started() {
    let root = scratch("progress-untouched");
    let output = run(xtask(&root, &["progress", "1", "2"]), QUICK);
    let stdout = text(&output.stdout);
    assert!(succeeded(&output), "{stdout}{}", text(&output.stderr));
    assert!(table_row(&stdout, 1).contains("not started"), "{stdout}");
    assert!(table_row(&stdout, 2).contains("not started"), "{stdout}");
    assert!(
        stdout.contains("Next: start lesson 1, \"A TCP client\" (book/src/lesson1.md)"),
        "{stdout}"
    );
}

/// A lesson that passes its tests is "passed"; one the learner has begun is "in progress",
/// with the TODO their program stops at next.
#[test]
#[ignore = "builds the lessons in a scratch workspace (slow on a fresh clone); CI runs it with --ignored"]
fn progress_tells_passed_from_in_progress() {
    let _turn = cargo_turn();
    let root = scratch("progress-worked");
    fs::copy(
        root.join("solutions/lesson1/src/main.rs"),
        root.join("lessons/lesson1/src/main.rs"),
    )
    .expect("put the solution in place of lesson 1");
    let lesson2 = root.join("lessons/lesson2/src/main.rs");
    let mut program = fs::read_to_string(&lesson2).expect("read lesson 2");
    program.push_str("\n// I have read the chapter.\n");
    fs::write(&lesson2, program).expect("touch lesson 2");

    let output = run(xtask(&root, &["progress", "1", "2"]), BUILD);
    let stdout = text(&output.stdout);
    assert!(succeeded(&output), "{stdout}{}", text(&output.stderr));
    assert!(table_row(&stdout, 1).contains("passed"), "{stdout}");
    let row = table_row(&stdout, 2);
    assert!(
        row.contains("in progress: ") && row.contains("next: TODO(1)"),
        "{stdout}"
    );
    assert!(row.contains(" tests pass"), "{stdout}");
    assert!(stdout.contains("Next: finish lesson 2"), "{stdout}");

    // The same, for a grading script: valid JSON, with the numbers behind the table.
    let output = run(xtask(&root, &["progress", "--json", "1", "2", "3"]), BUILD);
    let stdout = text(&output.stdout);
    assert!(succeeded(&output), "{stdout}{}", text(&output.stderr));
    let document = json::parse(&stdout).unwrap_or_else(|error| panic!("{error}:\n{stdout}"));
    let lessons = document
        .get("lessons")
        .and_then(Json::items)
        .expect("a list of lessons");
    assert_eq!(lessons.len(), 3, "{stdout}");
    let field = |lesson: usize, key: &str| lessons[lesson].get(key).cloned();
    let number = |lesson: usize, key: &str| field(lesson, key).and_then(|v| v.number());

    assert_eq!(field(0, "passed"), Some(Json::Bool(true)), "{stdout}");
    assert_eq!(field(0, "next_todo"), Some(Json::Null), "{stdout}");
    let total = number(0, "tests_total").expect("lesson 1's tests in all");
    assert!(
        total > 0.0 && number(0, "tests_passed") == Some(total),
        "{stdout}"
    );

    assert_eq!(field(1, "passed"), Some(Json::Bool(false)), "{stdout}");
    assert_eq!(
        field(1, "status"),
        Some(Json::Text("in progress".into())),
        "{stdout}"
    );
    assert_eq!(number(1, "next_todo"), Some(1.0), "{stdout}");
    let (passed, total) = (number(1, "tests_passed"), number(1, "tests_total"));
    assert!(passed.zip(total).is_some_and(|(p, t)| p < t), "{stdout}");

    assert_eq!(
        field(2, "status"),
        Some(Json::Text("not started".into())),
        "{stdout}"
    );
    assert_eq!(number(2, "tests_passed"), Some(0.0), "{stdout}");
    assert!(
        number(2, "tests_total").is_some_and(|t| t > 0.0),
        "{stdout}"
    );
    assert_eq!(number(2, "next_todo"), Some(1.0), "{stdout}");
}

/// The parser below is strict: it refuses what JSON refuses.
#[test]
fn the_json_check_refuses_what_json_refuses() {
    for good in [
        "{}",
        "[1, -2.5e3, true, false, null]",
        r#"{"a": "\"q\" \\ \n \u00e9", "b": [{}]}"#,
    ] {
        assert!(json::parse(good).is_ok(), "{good}");
    }
    for bad in [
        "",
        "{",
        "[1,]",
        "{\"a\": 1,}",
        "{'a': 1}",
        "\"tab\there\"",
        "\"line\nbreak\"",
        r#""\x41""#,
        "01",
        "1 2",
        "nul",
        "{\"a\" 1}",
    ] {
        assert!(json::parse(bad).is_err(), "{bad:?}");
    }
}

use json::Json;

/// A small, strict JSON parser (RFC 8259), written here rather than taken from xtask, so
/// that the writer is checked by code that does not share its mistakes.
mod json {
    #[derive(Debug, Clone, PartialEq)]
    pub enum Json {
        Null,
        Bool(bool),
        Number(f64),
        Text(String),
        List(Vec<Json>),
        Object(Vec<(String, Json)>),
    }

    impl Json {
        pub fn get(&self, key: &str) -> Option<&Json> {
            match self {
                Json::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                _ => None,
            }
        }

        pub fn items(&self) -> Option<&Vec<Json>> {
            match self {
                Json::List(items) => Some(items),
                _ => None,
            }
        }

        pub fn number(&self) -> Option<f64> {
            match self {
                Json::Number(number) => Some(*number),
                _ => None,
            }
        }
    }

    /// The one value in `text`, with nothing but whitespace around it.
    pub fn parse(text: &str) -> Result<Json, String> {
        let mut parser = Parser {
            chars: text.chars().collect(),
            at: 0,
        };
        let value = parser.value()?;
        parser.space();
        if parser.at != parser.chars.len() {
            return Err(format!("text after the value, at {}", parser.at));
        }
        Ok(value)
    }

    struct Parser {
        chars: Vec<char>,
        at: usize,
    }

    impl Parser {
        fn peek(&self) -> Option<char> {
            self.chars.get(self.at).copied()
        }

        fn next(&mut self) -> Result<char, String> {
            let c = self.peek().ok_or("unexpected end")?;
            self.at += 1;
            Ok(c)
        }

        fn expect(&mut self, wanted: char) -> Result<(), String> {
            match self.next()? {
                c if c == wanted => Ok(()),
                c => Err(format!(
                    "expected {wanted:?}, found {c:?} at {}",
                    self.at - 1
                )),
            }
        }

        fn space(&mut self) {
            while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
                self.at += 1;
            }
        }

        fn value(&mut self) -> Result<Json, String> {
            self.space();
            match self.peek().ok_or("expected a value")? {
                '{' => self.object(),
                '[' => self.list(),
                '"' => self.string().map(Json::Text),
                't' => self.word("true", Json::Bool(true)),
                'f' => self.word("false", Json::Bool(false)),
                'n' => self.word("null", Json::Null),
                '-' | '0'..='9' => self.number(),
                c => Err(format!("unexpected {c:?} at {}", self.at)),
            }
        }

        fn word(&mut self, word: &str, value: Json) -> Result<Json, String> {
            for wanted in word.chars() {
                self.expect(wanted)?;
            }
            Ok(value)
        }

        fn number(&mut self) -> Result<Json, String> {
            let start = self.at;
            if self.peek() == Some('-') {
                self.at += 1;
            }
            match self.next()? {
                '0' => {}
                '1'..='9' => self.digits(),
                c => return Err(format!("bad number at {c:?}")),
            }
            if self.peek() == Some('.') {
                self.at += 1;
                self.one_or_more_digits()?;
            }
            if matches!(self.peek(), Some('e' | 'E')) {
                self.at += 1;
                if matches!(self.peek(), Some('+' | '-')) {
                    self.at += 1;
                }
                self.one_or_more_digits()?;
            }
            let text: String = self.chars[start..self.at].iter().collect();
            text.parse()
                .map(Json::Number)
                .map_err(|_| format!("bad number {text}"))
        }

        fn digits(&mut self) {
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.at += 1;
            }
        }

        fn one_or_more_digits(&mut self) -> Result<(), String> {
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(format!("expected a digit at {}", self.at));
            }
            self.digits();
            Ok(())
        }

        fn string(&mut self) -> Result<String, String> {
            self.expect('"')?;
            let mut text = String::new();
            loop {
                match self.next()? {
                    '"' => return Ok(text),
                    '\\' => match self.next()? {
                        '"' => text.push('"'),
                        '\\' => text.push('\\'),
                        '/' => text.push('/'),
                        'b' => text.push('\u{8}'),
                        'f' => text.push('\u{c}'),
                        'n' => text.push('\n'),
                        'r' => text.push('\r'),
                        't' => text.push('\t'),
                        'u' => {
                            let hex: String =
                                (0..4).map(|_| self.next()).collect::<Result<_, _>>()?;
                            let code = u32::from_str_radix(&hex, 16).map_err(|_| "bad \\u")?;
                            text.push(char::from_u32(code).ok_or("bad \\u code")?);
                        }
                        c => return Err(format!("bad escape \\{c}")),
                    },
                    c if u32::from(c) < 0x20 => {
                        return Err("a control character in a string".into());
                    }
                    c => text.push(c),
                }
            }
        }

        fn list(&mut self) -> Result<Json, String> {
            self.expect('[')?;
            let mut items = Vec::new();
            self.space();
            if self.peek() == Some(']') {
                self.at += 1;
                return Ok(Json::List(items));
            }
            loop {
                items.push(self.value()?);
                self.space();
                match self.next()? {
                    ',' => {}
                    ']' => return Ok(Json::List(items)),
                    c => return Err(format!("expected , or ] but found {c:?}")),
                }
            }
        }

        fn object(&mut self) -> Result<Json, String> {
            self.expect('{')?;
            let mut fields = Vec::new();
            self.space();
            if self.peek() == Some('}') {
                self.at += 1;
                return Ok(Json::Object(fields));
            }
            loop {
                self.space();
                let key = self.string()?;
                self.space();
                self.expect(':')?;
                fields.push((key, self.value()?));
                self.space();
                match self.next()? {
                    ',' => {}
                    '}' => return Ok(Json::Object(fields)),
                    c => return Err(format!("expected , or }} but found {c:?}")),
                }
            }
        }
    }
}
