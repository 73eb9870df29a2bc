//! Reading `course.toml` into a [`Course`]: every key checked, every mistake named with
//! its line.

use std::path::{Path, PathBuf};

use crate::toml::{self, Entry, Section, Value};
use crate::{Bench, Course, Error, Lesson, MANIFEST, Package, Role, Transport};

impl Course {
    /// Reads the manifest's text; `package_name` says what a package folder's `Cargo.toml`
    /// calls it.
    pub fn parse(
        root: &Path,
        text: &str,
        package_name: impl Fn(&Path) -> Result<String, String>,
    ) -> Result<Course, Error> {
        let in_manifest =
            |line: usize, message: &str| Error(format!("{MANIFEST}:{line}: {message}"));
        let sections =
            toml::parse(text).map_err(|error| in_manifest(error.line, &error.message))?;
        let mut lessons = Vec::new();
        let mut bench = None;
        for section in &sections {
            let fields = Fields {
                section,
                file: MANIFEST,
            };
            match (section.name.as_deref(), section.repeated) {
                (None, _) => fields.only(&[])?,
                (Some("lesson"), true) => lessons.push(fields.lesson(&package_name)?),
                (Some("bench"), false) => bench = Some(fields.bench()?),
                (Some(other), _) => {
                    return Err(in_manifest(
                        section.line,
                        &format!("unknown section `{other}` (expected [[lesson]] or [bench])"),
                    ));
                }
            }
        }
        let bench = bench.ok_or_else(|| Error(format!("{MANIFEST}: no [bench] section")))?;
        let course = Course {
            root: root.to_path_buf(),
            lessons,
            bench,
        };
        course.check()?;
        Ok(course)
    }

    /// The facts that span lessons: numbers in order and unique, pairings that exist.
    fn check(&self) -> Result<(), Error> {
        if self.lessons.is_empty() {
            return Err(Error(format!("{MANIFEST}: no [[lesson]] entries")));
        }
        for pair in self.lessons.windows(2) {
            if pair[0].number >= pair[1].number {
                return Err(Error(format!(
                    "{MANIFEST}: lesson {} comes after lesson {}: list the lessons in \
                     increasing order, each once",
                    pair[1].number, pair[0].number
                )));
            }
        }
        for lesson in &self.lessons {
            if let Some(peer) = lesson.peer {
                let Some(other) = self.lesson(peer) else {
                    return Err(Error(format!(
                        "{MANIFEST}: lesson {} names peer = {peer}, which is not a lesson",
                        lesson.number
                    )));
                };
                if other.role == lesson.role || other.transport != lesson.transport {
                    return Err(Error(format!(
                        "{MANIFEST}: lesson {} ({} {}) cannot pair with lesson {peer} ({} {})",
                        lesson.number,
                        lesson.transport.name(),
                        lesson.role.noun(),
                        other.transport.name(),
                        other.role.noun()
                    )));
                }
            } else if lesson.role == Role::Client {
                return Err(Error(format!(
                    "{MANIFEST}: lesson {} is a client: name the server it talks to, peer = N",
                    lesson.number
                )));
            }
        }
        for (key, number) in [
            ("lesson", self.bench.lesson),
            ("chat_lesson", self.bench.chat_lesson),
        ] {
            match self.lesson(number) {
                Some(lesson) if lesson.role == Role::Server => {}
                _ => {
                    return Err(Error(format!(
                        "{MANIFEST}: [bench] {key} = {number} is not a server lesson"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// The `name` under `[package]` in a `Cargo.toml`. Only that line is read, so the rest of
/// the file may use any TOML at all.
pub fn package_name(cargo_toml: &str) -> Option<String> {
    let mut in_package = false;
    for line in cargo_toml.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_package = trimmed == "[package]";
        } else if in_package && trimmed.starts_with("name") {
            let section = toml::parse(trimmed).ok()?;
            if let Some(Value::String(name)) = section.first()?.get("name").map(|e| &e.value) {
                return Some(name.clone());
            }
        }
    }
    None
}

/// Typed access to one section's keys, with messages that name the file and line.
struct Fields<'a> {
    section: &'a Section,
    file: &'a str,
}

impl Fields<'_> {
    fn error(&self, line: usize, message: &str) -> Error {
        Error(format!("{}:{line}: {message}", self.file))
    }

    fn entry(&self, key: &str) -> Result<&Entry, Error> {
        self.section.get(key).ok_or_else(|| {
            self.error(
                self.section.line,
                &format!("`{key} = ...` is missing in this section"),
            )
        })
    }

    fn wrong(&self, entry: &Entry, wanted: &str) -> Error {
        self.error(
            entry.line,
            &format!(
                "`{}` must be {wanted}, not {}",
                entry.key,
                entry.value.kind()
            ),
        )
    }

    fn string(&self, key: &str) -> Result<String, Error> {
        let entry = self.entry(key)?;
        match &entry.value {
            Value::String(text) if !text.is_empty() => Ok(text.clone()),
            _ => Err(self.wrong(entry, "a string that is not empty")),
        }
    }

    fn optional_string(&self, key: &str) -> Result<Option<String>, Error> {
        match self.section.get(key) {
            None => Ok(None),
            Some(_) => self.string(key).map(Some),
        }
    }

    fn number(&self, key: &str) -> Result<u32, Error> {
        let entry = self.entry(key)?;
        match &entry.value {
            Value::Integer(number) => u32::try_from(*number)
                .map_err(|_| self.error(entry.line, &format!("`{key}` must be 0 or more"))),
            _ => Err(self.wrong(entry, "a whole number")),
        }
    }

    fn optional_number(&self, key: &str) -> Result<Option<u32>, Error> {
        match self.section.get(key) {
            None => Ok(None),
            Some(_) => self.number(key).map(Some),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, Error> {
        let entry = self.entry(key)?;
        let Value::Array(items) = &entry.value else {
            return Err(self.wrong(entry, "an array of strings"));
        };
        items
            .iter()
            .map(|item| match item {
                Value::String(text) => Ok(text.clone()),
                _ => Err(self.wrong(entry, "an array of strings")),
            })
            .collect()
    }

    fn path(&self, key: &str) -> Result<PathBuf, Error> {
        self.string(key).map(PathBuf::from)
    }

    /// Fails on any key not in `known`: a misspelt key would otherwise be ignored.
    fn only(&self, known: &[&str]) -> Result<(), Error> {
        match self
            .section
            .entries
            .iter()
            .find(|entry| !known.contains(&entry.key.as_str()))
        {
            Some(entry) => Err(self.error(
                entry.line,
                &format!(
                    "unknown key `{}` (known here: {})",
                    entry.key,
                    known.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    fn choice<T: Copy>(&self, key: &str, choices: &[(&str, T)]) -> Result<T, Error> {
        let text = self.string(key)?;
        choices
            .iter()
            .find(|(word, _)| *word == text)
            .map(|(_, value)| *value)
            .ok_or_else(|| {
                let words: Vec<String> = choices.iter().map(|(w, _)| format!("\"{w}\"")).collect();
                self.error(
                    self.section.get(key).map_or(self.section.line, |e| e.line),
                    &format!("`{key}` must be one of {}", words.join(", ")),
                )
            })
    }

    fn lesson(
        &self,
        package_name: &impl Fn(&Path) -> Result<String, String>,
    ) -> Result<Lesson, Error> {
        self.only(&[
            "number",
            "title",
            "chapter",
            "skeleton",
            "solution",
            "tests",
            "fixtures",
            "transport",
            "role",
            "peer",
            "demo_note",
            "bench_args",
            "demo_args",
        ])?;
        let package = |key: &str| -> Result<Package, Error> {
            let dir = self.path(key)?;
            let line = self.entry(key)?.line;
            let name = package_name(&dir).map_err(|message| self.error(line, &message))?;
            Ok(Package { name, dir })
        };
        Ok(Lesson {
            number: self.number("number")?,
            title: self.string("title")?,
            chapter: self.path("chapter")?,
            skeleton: package("skeleton")?,
            solution: package("solution")?,
            tests: self.path("tests")?,
            fixtures: self.path("fixtures")?,
            transport: self.choice(
                "transport",
                &[("tcp", Transport::Tcp), ("udp", Transport::Udp)],
            )?,
            role: self.choice(
                "role",
                &[("client", Role::Client), ("server", Role::Server)],
            )?,
            peer: self.optional_number("peer")?,
            demo_note: self.optional_string("demo_note")?,
            bench_args: match self.section.get("bench_args") {
                Some(_) => self.strings("bench_args")?,
                None => Vec::new(),
            },
            demo_args: match self.section.get("demo_args") {
                Some(_) => self.strings("demo_args")?,
                None => Vec::new(),
            },
        })
    }

    fn bench(&self) -> Result<Bench, Error> {
        self.only(&[
            "lesson",
            "chat_lesson",
            "connections",
            "seconds",
            "message",
            "server_args",
        ])?;
        let entry = self.entry("connections")?;
        let connections = match &entry.value {
            Value::Array(items) if !items.is_empty() => items
                .iter()
                .map(|item| match item {
                    Value::Integer(n) if *n > 0 => usize::try_from(*n).ok(),
                    _ => None,
                })
                .collect::<Option<Vec<usize>>>(),
            _ => None,
        }
        .ok_or_else(|| self.wrong(entry, "an array of whole numbers above 0"))?;
        Ok(Bench {
            lesson: self.number("lesson")?,
            chat_lesson: self.number("chat_lesson")?,
            connections,
            seconds: self.number("seconds")?,
            message: self.string("message")?,
            server_args: self.strings("server_args")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const MANIFEST_TEXT: &str = "\
[bench]
lesson = 2
chat_lesson = 2
connections = [1, 10]
seconds = 5
message = \"hello\"
server_args = [\"127.0.0.1:{port}\"]

[[lesson]]
number = 1
title = \"A TCP client\"
chapter = \"book/src/lesson1.md\"
skeleton = \"lessons/lesson1\"
solution = \"solutions/lesson1\"
tests = \"tests/lesson1.rs\"
fixtures = \"tests/fixtures/lesson1\"
transport = \"tcp\"
role = \"client\"
peer = 2

[[lesson]]
number = 2
title = \"A TCP time server\"
chapter = \"book/src/lesson2.md\"
skeleton = \"lessons/lesson2\"
solution = \"solutions/lesson2\"
tests = \"tests/lesson2.rs\"
fixtures = \"tests/fixtures/lesson2\"
transport = \"tcp\"
role = \"server\"
peer = 1
demo_note = \"One client, then it ends.\"
demo_args = [\"--verbose\"]
";

    /// Package names as the folders' `Cargo.toml` would give them.
    fn names(dir: &Path) -> Result<String, String> {
        let folder = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
        Ok(if dir.starts_with("solutions") {
            format!("{folder}-solution")
        } else {
            folder.to_string()
        })
    }

    fn parsed(text: &str) -> Result<Course, Error> {
        Course::parse(Path::new("/work"), text, names)
    }

    #[test]
    fn lessons_are_read_with_their_packages() {
        let course = parsed(MANIFEST_TEXT).expect("valid");
        assert_eq!(course.lessons.len(), 2);
        let first = course.lesson(1).expect("lesson 1");
        assert_eq!(first.title, "A TCP client");
        assert_eq!(first.solution.name, "lesson1-solution");
        assert_eq!(
            first.skeleton.main_rs(),
            Path::new("lessons/lesson1/src/main.rs")
        );
        assert_eq!(first.role, Role::Client);
        assert_eq!(first.bench_arguments(&course.bench), ["127.0.0.1:{port}"]);
        // demo_args is optional: none, the program's defaults.
        assert!(first.demo_args.is_empty());
        assert_eq!(
            course.lesson(2).map(|l| &l.demo_args[..]),
            Some(&["--verbose".to_string()][..])
        );
        assert_eq!(course.after(1).map(|l| l.number), Some(2));
        assert_eq!(
            course.lesson_of_package("lesson2").map(|l| l.number),
            Some(2)
        );
        assert!(course.select(&[3]).is_err());
        assert_eq!(course.select(&[]).map(|l| l.len()), Ok(2));
    }

    #[test]
    fn mistakes_name_the_line_and_the_key() {
        let error = |text: &str| parsed(text).expect_err("invalid").0;
        let typo = MANIFEST_TEXT.replace("peer = 2", "peers = 2");
        assert!(
            error(&typo).contains("course.toml:19: unknown key `peers`"),
            "{}",
            error(&typo)
        );
        let udp = MANIFEST_TEXT.replace(
            "transport = \"tcp\"\nrole = \"client\"",
            "transport = \"udp\"\nrole = \"client\"",
        );
        assert!(error(&udp).contains("cannot pair"), "{}", error(&udp));
        let missing = MANIFEST_TEXT.replace("title = \"A TCP client\"\n", "");
        assert!(
            error(&missing).contains("`title = ...` is missing"),
            "{}",
            error(&missing)
        );
        let role = MANIFEST_TEXT.replace("role = \"client\"", "role = \"peer\"");
        assert!(
            error(&role).contains("one of \"client\", \"server\""),
            "{}",
            error(&role)
        );
        let order = MANIFEST_TEXT.replace("number = 2", "number = 1");
        assert!(
            error(&order).contains("increasing order"),
            "{}",
            error(&order)
        );
    }

    #[test]
    fn the_package_name_comes_from_cargo_toml() {
        let cargo_toml = "[package]\nname = \"lesson1\"\nedition.workspace = true\n\n\
                          [dependencies]\ntokio = { workspace = true }\n";
        assert_eq!(package_name(cargo_toml).as_deref(), Some("lesson1"));
        assert_eq!(package_name("[dependencies]\nname = \"x\"\n"), None);
    }
}
