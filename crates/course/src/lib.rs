//! # course: every fact about the lessons, from one file
//!
//! `course.toml`, at the root of the workspace, lists the lessons: number, title, chapter,
//! the skeleton and solution packages, transport and role, which program a demo pairs it
//! with, the bench's defaults. This crate reads it into one [`Lesson`] type, and everything
//! else asks here: every `cargo xtask` command, the test harness's pointers into the book,
//! the transcripts. Adding a lesson is a new `[[lesson]]` entry; no code names a lesson's
//! paths.
//!
//! A package's name is read from its own `Cargo.toml`, so it is written only there.
//!
//! Standard library only: the TOML it needs is read by the small reader in [`toml`].

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

mod manifest;
pub mod toml;

pub use manifest::package_name;

/// The manifest's file name, at the root of the workspace.
pub const MANIFEST: &str = "course.toml";

/// The whole course, as `course.toml` describes it.
#[derive(Debug, Clone)]
pub struct Course {
    /// The workspace root; every path in the course is relative to it.
    pub root: PathBuf,
    /// In increasing order of their numbers.
    pub lessons: Vec<Lesson>,
    pub bench: Bench,
}

/// One lesson.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    pub number: u32,
    /// As the book's table of contents shows it: "A TCP client".
    pub title: String,
    /// The chapter file, e.g. `book/src/lesson1.md`.
    pub chapter: PathBuf,
    /// The learner's package.
    pub skeleton: Package,
    /// The reference solution's package.
    pub solution: Package,
    /// The one test file both packages run.
    pub tests: PathBuf,
    /// Wrong programs, as diffs against the solution; `alternatives/` inside holds correct
    /// ones written differently.
    pub fixtures: PathBuf,
    pub transport: Transport,
    pub role: Role,
    /// The lesson whose program plays the other end in a demo: a client lesson's server, a
    /// server lesson's client (if any).
    pub peer: Option<u32>,
    /// A sentence the demo adds for this lesson.
    pub demo_note: Option<String>,
    /// The server's arguments when the bench starts it; `{port}` becomes the port.
    pub bench_args: Vec<String>,
    /// The server's options when `cargo xtask demo` starts it, before the port it is given
    /// (`--max-clients 3`, so that a class sees the cap). Empty: the program's defaults.
    pub demo_args: Vec<String>,
}

/// A Cargo package of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// As its `Cargo.toml` names it: `lesson1`, `lesson1-solution`.
    pub name: String,
    /// Its folder, relative to the root: `lessons/lesson1`.
    pub dir: PathBuf,
}

impl Package {
    /// The program's source file (every lesson program is one binary, `src/main.rs`).
    pub fn main_rs(&self) -> PathBuf {
        self.dir.join("src").join("main.rs")
    }
}

/// Which end of the conversation the lesson's program plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Connects to a server; reads `HOST:PORT` with `netkit::client_argument()`.
    Client,
    /// Waits for clients; reads `PORT` or `HOST:PORT` with `netkit::server_argument()`.
    Server,
}

impl Role {
    /// `"client"` or `"server"`, for the words of a message.
    pub fn noun(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }
}

/// The transport a lesson's program speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    /// `"TCP"` or `"UDP"`.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
        }
    }
}

/// What `cargo xtask bench` does when it is told nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bench {
    pub lesson: u32,
    /// The chat server that `--fan-out` measures unless another server is named.
    pub chat_lesson: u32,
    pub connections: Vec<usize>,
    pub seconds: u32,
    pub message: String,
    /// The server's arguments for lessons that do not give their own `bench_args`.
    pub server_args: Vec<String>,
}

impl Lesson {
    /// Staged hints for `cargo xtask hint`, beside the skeleton.
    pub fn hints(&self) -> PathBuf {
        self.skeleton.dir.join("hints.md")
    }

    /// What replaces each TODO region of the solution in the skeleton (`cargo xtask
    /// skeleton`), beside the solution.
    pub fn skeleton_regions(&self) -> PathBuf {
        self.solution.dir.join("skeleton.md")
    }

    /// Correct programs written differently, which the tests must accept.
    pub fn alternatives(&self) -> PathBuf {
        self.fixtures.join("alternatives")
    }

    /// `"A TCP client" (book/src/lesson1.md)`: how messages name the lesson's chapter.
    pub fn describe_chapter(&self) -> String {
        format!("\"{}\" ({})", self.title, self.chapter.display())
    }

    /// The package that a test binary of this lesson checks, by its package name.
    pub fn package(&self, name: &str) -> Option<&Package> {
        [&self.skeleton, &self.solution]
            .into_iter()
            .find(|package| package.name == name)
    }
}

/// A problem with the manifest, in one line that names the file (and the line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Error> for String {
    fn from(error: Error) -> String {
        error.0
    }
}

impl Course {
    /// Reads `course.toml` in `root`, and the package names from each package's
    /// `Cargo.toml`.
    pub fn load(root: &Path) -> Result<Course, Error> {
        let path = root.join(MANIFEST);
        let text = fs::read_to_string(&path)
            .map_err(|err| Error(format!("could not read {}: {err}", path.display())))?;
        Course::parse(root, &text, |dir| {
            let cargo_toml = root.join(dir).join("Cargo.toml");
            let text = fs::read_to_string(&cargo_toml)
                .map_err(|err| format!("could not read {}: {err}", cargo_toml.display()))?;
            package_name(&text).ok_or_else(|| {
                format!(
                    "{} has no `name = \"...\"` under [package]",
                    cargo_toml.display()
                )
            })
        })
    }

    /// Finds the workspace root at or above `start` (the first folder with a
    /// `course.toml`) and loads the course there.
    pub fn find_from(start: &Path) -> Result<Course, Error> {
        let root = start
            .ancestors()
            .find(|dir| dir.join(MANIFEST).is_file())
            .ok_or_else(|| {
                Error(format!(
                    "no {MANIFEST} in {} or any folder above it",
                    start.display()
                ))
            })?;
        Course::load(root)
    }

    /// The lesson with this number.
    pub fn lesson(&self, number: u32) -> Option<&Lesson> {
        self.lessons.iter().find(|lesson| lesson.number == number)
    }

    /// The lessons with these numbers, in the order given; every lesson if none is given.
    pub fn select(&self, numbers: &[u32]) -> Result<Vec<&Lesson>, String> {
        if numbers.is_empty() {
            return Ok(self.lessons.iter().collect());
        }
        numbers
            .iter()
            .map(|&number| {
                self.lesson(number).ok_or_else(|| {
                    format!("there is no lesson {number} (lessons: {})", self.numbers())
                })
            })
            .collect()
    }

    /// `1, 2, 3, 4, 5`: the lesson numbers, for messages.
    pub fn numbers(&self) -> String {
        let numbers: Vec<String> = self.lessons.iter().map(|l| l.number.to_string()).collect();
        numbers.join(", ")
    }

    /// The lesson after this one, if any.
    pub fn after(&self, number: u32) -> Option<&Lesson> {
        self.lessons.iter().find(|lesson| lesson.number > number)
    }

    /// The lesson a package belongs to, by package name.
    pub fn lesson_of_package(&self, name: &str) -> Option<&Lesson> {
        self.lessons
            .iter()
            .find(|lesson| lesson.package(name).is_some())
    }

    /// A path of the course (relative to the root) as a path to open.
    pub fn path(&self, relative: &Path) -> PathBuf {
        self.root.join(relative)
    }
}

impl Lesson {
    /// The server's arguments when the bench starts it, `{port}` still in place.
    pub fn bench_arguments<'a>(&'a self, bench: &'a Bench) -> &'a [String] {
        if self.bench_args.is_empty() {
            &bench.server_args
        } else {
            &self.bench_args
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The workspace's own manifest loads, and its packages are the ones Cargo knows.
    #[test]
    fn the_course_manifest_of_this_workspace_loads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let course = Course::load(&root).unwrap_or_else(|error| panic!("{error}"));
        for lesson in &course.lessons {
            assert!(course.path(&lesson.chapter).is_file(), "{lesson:?}");
            assert!(
                course.path(&lesson.solution.main_rs()).is_file(),
                "{lesson:?}"
            );
            assert!(
                course.path(&lesson.skeleton.main_rs()).is_file(),
                "{lesson:?}"
            );
        }
        let found = Course::find_from(&root.join("lessons")).expect("found from below");
        assert_eq!(found.lessons, course.lessons);
    }
}
