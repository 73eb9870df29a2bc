//! The part of TOML that `course.toml` uses, read by hand (no dependencies).
//!
//! Supported: `# comments`, `key = value` lines, `[table]` and `[[array of tables]]`
//! headers, and values that are strings (`"basic"` with `\` escapes, `'literal'`), whole
//! numbers, `true`/`false`, and arrays of those (over several lines, with a trailing comma if
//! you like). Anything else (floats, dates, inline tables, multi-line strings) is refused
//! with a message that names the line, rather than read wrongly.

use std::fmt;

/// One value of a `key = value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    String(String),
    Integer(i64),
    Boolean(bool),
    Array(Vec<Value>),
}

impl Value {
    /// How a message names the kind of value: "a string", "a whole number", ...
    pub fn kind(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "a whole number",
            Value::Boolean(_) => "true or false",
            Value::Array(_) => "an array",
        }
    }
}

/// A `[header]` (or the top of the file, before any header) and the keys under it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    /// `None` for the keys before the first header.
    pub name: Option<String>,
    /// Written `[[name]]`: one element of an array of tables.
    pub repeated: bool,
    /// The line of the header (1-based), for messages.
    pub line: usize,
    /// Keys in file order, each with the line it is on.
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: Value,
    pub line: usize,
}

impl Section {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.key == key)
    }
}

/// What went wrong, and on which line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Reads a whole document into its sections, in file order.
pub fn parse(text: &str) -> Result<Vec<Section>, Error> {
    let mut reader = Reader {
        chars: text.chars().collect(),
        at: 0,
        line: 1,
    };
    let mut sections = vec![Section {
        line: 1,
        ..Section::default()
    }];
    loop {
        reader.skip_blank_lines();
        let Some(next) = reader.peek() else {
            return Ok(sections);
        };
        if next == '[' {
            sections.push(reader.header()?);
        } else {
            let line = reader.line;
            let (key, value) = reader.key_value()?;
            let section = sections
                .last_mut()
                .ok_or_else(|| reader.error("no section"))?;
            if section.get(&key).is_some() {
                return Err(reader.error(&format!("`{key}` is given twice in this table")));
            }
            section.entries.push(Entry { key, value, line });
        }
        reader.end_of_line()?;
    }
}

struct Reader {
    chars: Vec<char>,
    at: usize,
    line: usize,
}

impl Reader {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next(&mut self) -> Option<char> {
        let next = self.peek()?;
        self.at += 1;
        if next == '\n' {
            self.line += 1;
        }
        Some(next)
    }

    fn error(&self, message: &str) -> Error {
        Error {
            line: self.line,
            message: message.to_string(),
        }
    }

    /// Spaces and tabs.
    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.next();
        }
    }

    /// Spaces, a comment, and the line end: nothing else may follow a value or a header.
    fn end_of_line(&mut self) -> Result<(), Error> {
        self.skip_spaces();
        self.skip_comment();
        match self.peek() {
            None => Ok(()),
            Some('\n') => {
                self.next();
                Ok(())
            }
            Some('\r') if self.chars.get(self.at + 1) == Some(&'\n') => {
                self.next();
                self.next();
                Ok(())
            }
            Some(other) => Err(self.error(&format!(
                "unexpected `{other}` after the value (one `key = value` per line)"
            ))),
        }
    }

    fn skip_comment(&mut self) {
        if self.peek() == Some('#') {
            while !matches!(self.peek(), None | Some('\n')) {
                self.next();
            }
        }
    }

    /// Blank lines and comment lines, including inside arrays.
    fn skip_blank_lines(&mut self) {
        loop {
            self.skip_spaces();
            self.skip_comment();
            match self.peek() {
                Some('\n' | '\r') => {
                    self.next();
                }
                _ => return,
            }
        }
    }

    /// `[name]` or `[[name]]`.
    fn header(&mut self) -> Result<Section, Error> {
        let line = self.line;
        self.next();
        let repeated = self.peek() == Some('[');
        if repeated {
            self.next();
        }
        self.skip_spaces();
        let name = self.key()?;
        self.skip_spaces();
        let closing = if repeated { "]]" } else { "]" };
        for expected in closing.chars() {
            if self.next() != Some(expected) {
                return Err(self.error(&format!("a header must end with `{closing}`")));
            }
        }
        Ok(Section {
            name: Some(name),
            repeated,
            line,
            entries: Vec::new(),
        })
    }

    /// A bare key (`title`, `bench_args`), possibly dotted (`edition.workspace`).
    fn key(&mut self) -> Result<String, Error> {
        let mut key = String::new();
        while let Some(next) = self.peek() {
            if next.is_ascii_alphanumeric() || matches!(next, '_' | '-' | '.') {
                key.push(next);
                self.next();
            } else {
                break;
            }
        }
        if key.is_empty() {
            let found = self
                .peek()
                .map_or("the end".to_string(), |c| format!("`{c}`"));
            return Err(self.error(&format!(
                "expected a key (letters, digits, _ or -), found {found}"
            )));
        }
        Ok(key)
    }

    fn key_value(&mut self) -> Result<(String, Value), Error> {
        let key = self.key()?;
        self.skip_spaces();
        if self.next() != Some('=') {
            return Err(self.error(&format!("expected `=` after `{key}`")));
        }
        self.skip_spaces();
        let value = self.value()?;
        Ok((key, value))
    }

    fn value(&mut self) -> Result<Value, Error> {
        match self.peek() {
            Some('"') => self.basic_string().map(Value::String),
            Some('\'') => self.literal_string().map(Value::String),
            Some('[') => self.array(),
            Some('{') => Err(self.error(
                "inline tables `{ ... }` are not supported here: write one `key = value` per line",
            )),
            Some('t' | 'f') => self.boolean(),
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' => self.integer(),
            Some(other) => Err(self.error(&format!("`{other}` does not start a value"))),
            None => Err(self.error("a value is missing at the end of the file")),
        }
    }

    fn basic_string(&mut self) -> Result<String, Error> {
        self.next();
        if self.peek() == Some('"') && self.chars.get(self.at + 1) == Some(&'"') {
            return Err(self.error("multi-line strings `\"\"\"` are not supported here"));
        }
        let mut text = String::new();
        loop {
            if matches!(self.peek(), Some('\n') | None) {
                return Err(self.error("a string is not closed on its line"));
            }
            match self.next() {
                Some('"') => return Ok(text),
                Some('\\') => text.push(self.escape()?),
                Some(other) => text.push(other),
                None => {}
            }
        }
    }

    fn escape(&mut self) -> Result<char, Error> {
        match self.next() {
            Some('n') => Ok('\n'),
            Some('t') => Ok('\t'),
            Some('r') => Ok('\r'),
            Some('"') => Ok('"'),
            Some('\\') => Ok('\\'),
            Some('u') => {
                let hex: String = (0..4).filter_map(|_| self.next()).collect();
                u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| self.error(&format!("`\\u{hex}` is not a character")))
            }
            other => Err(self.error(&format!(
                "unknown escape `\\{}` in a string",
                other.unwrap_or(' ')
            ))),
        }
    }

    fn literal_string(&mut self) -> Result<String, Error> {
        self.next();
        let mut text = String::new();
        loop {
            if matches!(self.peek(), Some('\n') | None) {
                return Err(self.error("a string is not closed on its line"));
            }
            match self.next() {
                Some('\'') => return Ok(text),
                Some(other) => text.push(other),
                None => {}
            }
        }
    }

    fn boolean(&mut self) -> Result<Value, Error> {
        for (word, value) in [("true", true), ("false", false)] {
            let end = self.at + word.len();
            if self
                .chars
                .get(self.at..end)
                .is_some_and(|c| c.iter().copied().eq(word.chars()))
            {
                self.at = end;
                return Ok(Value::Boolean(value));
            }
        }
        Err(self.error("expected true or false (strings need quotes)"))
    }

    fn integer(&mut self) -> Result<Value, Error> {
        let mut digits = String::new();
        while let Some(next) = self.peek() {
            if next.is_ascii_alphanumeric() || matches!(next, '+' | '-' | '_' | '.') {
                digits.push(next);
                self.next();
            } else {
                break;
            }
        }
        digits
            .replace('_', "")
            .parse()
            .map(Value::Integer)
            .map_err(|_| self.error(&format!("`{digits}` is not a whole number")))
    }

    fn array(&mut self) -> Result<Value, Error> {
        self.next();
        let mut items = Vec::new();
        loop {
            self.skip_blank_lines();
            if self.peek() == Some(']') {
                self.next();
                return Ok(Value::Array(items));
            }
            items.push(self.value()?);
            self.skip_blank_lines();
            match self.next() {
                Some(',') => {}
                Some(']') => return Ok(Value::Array(items)),
                _ => return Err(self.error("expected `,` or `]` in an array")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keys_and_values_are_read_in_order() {
        let text = "\
# a comment
name = \"course\" # and another
[bench]
lesson = 5
list = [
  \"a\", 'b\\c',   # literal: no escapes
  \"\\u00e9\\n\",
]
[[lesson]]
number = 1
ok = true
[[lesson]]
number = -2
";
        let sections = parse(text).expect("valid");
        assert_eq!(sections.len(), 4);
        assert_eq!(
            sections[0].get("name").map(|e| &e.value),
            Some(&Value::String("course".into()))
        );
        assert_eq!(sections[1].name.as_deref(), Some("bench"));
        assert_eq!(
            sections[1].get("list").map(|e| &e.value),
            Some(&Value::Array(vec![
                Value::String("a".into()),
                Value::String("b\\c".into()),
                Value::String("é\n".into()),
            ]))
        );
        assert!(sections[2].repeated && sections[3].repeated);
        assert_eq!(sections[3].get("number").map(|e| e.line), Some(13));
        assert_eq!(
            sections[3].get("number").map(|e| &e.value),
            Some(&Value::Integer(-2))
        );
    }

    #[test]
    fn mistakes_name_their_line() {
        let error = |text: &str| parse(text).expect_err("invalid");
        assert_eq!(error("a = 1\nb = \"open\n").line, 2);
        assert!(error("a = 1.5\n").message.contains("whole number"));
        assert!(error("a = { b = 1 }\n").message.contains("inline tables"));
        assert!(error("a = 1\na = 2\n").message.contains("twice"));
        assert!(error("a = 1 2\n").message.contains("after the value"));
        assert!(error("[bench\n").message.contains("`]`"));
        assert!(
            error("a = yes\n")
                .message
                .contains("does not start a value")
        );
        assert!(error("= 1\n").message.contains("expected a key"));
    }

    #[test]
    fn dotted_keys_are_kept_whole() {
        let sections = parse("[package]\nedition.workspace = true\n").expect("valid");
        assert!(sections[1].get("edition.workspace").is_some());
    }
}
