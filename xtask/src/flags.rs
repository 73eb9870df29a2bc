//! Every command of `cargo xtask` and its arguments, declared once.
//!
//! Each entry of [`COMMANDS`] says how the command is called, what it does, which options
//! it takes, and how its words become a typed [`Task`]. The help text and the parser both
//! come from that one entry, so they cannot disagree: an option not declared there is
//! refused, with one line, and the program exits with status 2.
//!
//! (rust-analyzer's `xtask/src/flags.rs` does the same with the `xflags` macro; this is the
//! same idea by hand, without dependencies.)

use std::collections::VecDeque;
use std::str::FromStr;

/// What the command line asked for.
#[derive(Debug, PartialEq)]
pub enum Task {
    /// `help`, `--help`, `CMD --help`: the overview, or one command's page.
    Help(Option<&'static Command>),
    Verify(Verify),
    Skeleton(Skeleton),
    Flake(Flake),
    Book(Book),
    Transcripts(Transcripts),
    Progress(Progress),
    Watch(Watch),
    Hint(Hint),
    Reset(Reset),
    Demo(Demo),
    Bench(Bench),
}

#[derive(Debug, PartialEq)]
pub struct Verify {
    pub lessons: Vec<u32>,
}

#[derive(Debug, PartialEq)]
pub struct Skeleton {
    pub check: bool,
    pub lessons: Vec<u32>,
}

#[derive(Debug, PartialEq)]
pub struct Flake {
    pub lessons: Vec<u32>,
    pub runs: u32,
    pub hogs: u32,
}

#[derive(Debug, PartialEq)]
pub struct Book {
    pub mode: BookMode,
    pub port: Option<u16>,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum BookMode {
    Serve,
    BuildOnly,
    Browser,
}

#[derive(Debug, PartialEq)]
pub struct Transcripts {
    pub check: bool,
}

#[derive(Debug, PartialEq)]
pub struct Progress {
    pub lessons: Vec<u32>,
}

#[derive(Debug, PartialEq)]
pub struct Watch {
    pub lesson: Option<u32>,
    pub manual: bool,
}

#[derive(Debug, PartialEq)]
pub struct Hint {
    pub lesson: Option<u32>,
    pub hint: Option<u32>,
}

#[derive(Debug, PartialEq)]
pub struct Reset {
    pub lesson: u32,
    pub yes: bool,
}

#[derive(Debug, PartialEq)]
pub struct Demo {
    pub lesson: u32,
    pub port: u16,
}

/// `None` everywhere means "the default from course.toml's [bench]".
#[derive(Debug, PartialEq, Default)]
pub struct Bench {
    pub server: Option<BenchServer>,
    pub connections: Option<Vec<usize>>,
    pub seconds: Option<f64>,
    pub udp: bool,
    pub message: Option<String>,
    pub hold: Option<usize>,
}

#[derive(Debug, PartialEq)]
pub enum BenchServer {
    Lesson(u32),
    /// The command's words; one of them holds `{port}`.
    Command(Vec<String>),
    /// `HOST:PORT`, checked to be loopback by the bench.
    Address(String),
}

/// Who a command is for, which groups the overview.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Audience {
    Authors,
    Learners,
    Instructors,
}

/// One command: how it is called, what it does, its options, and its parser.
#[derive(Debug)]
pub struct Command {
    pub name: &'static str,
    /// What follows the name in a synopsis: `[--check] [N...]`.
    pub synopsis: &'static str,
    pub about: &'static str,
    pub options: &'static [Opt],
    pub audience: Audience,
    parse: fn(&mut Args) -> Result<Task, String>,
}

impl PartialEq for Command {
    fn eq(&self, other: &Command) -> bool {
        self.name == other.name
    }
}

/// One option of a command.
#[derive(Debug)]
pub struct Opt {
    pub long: &'static str,
    pub short: Option<&'static str>,
    /// The name of its value (`P` for `--port P`); `None` for a flag.
    pub value: Option<&'static str>,
    pub about: &'static str,
}

const fn flag(long: &'static str, about: &'static str) -> Opt {
    Opt {
        long,
        short: None,
        value: None,
        about,
    }
}

const fn valued(long: &'static str, value: &'static str, about: &'static str) -> Opt {
    Opt {
        long,
        short: None,
        value: Some(value),
        about,
    }
}

/// Every command, in the order the overview lists them.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "verify",
        synopsis: "[N...]",
        about: "Prove each lesson's tests (or only lessons N...): the untouched skeleton fails, \
                the solution and every correct alternative in tests/fixtures/lessonN/alternatives/ \
                pass, and every wrong program in tests/fixtures/lessonN/ fails. Prints each \
                wrong program's first failing test and its hint.",
        options: &[],
        audience: Audience::Authors,
        parse: |args| {
            Ok(Task::Verify(Verify {
                lessons: args.lessons()?,
            }))
        },
    },
    Command {
        name: "skeleton",
        synopsis: "[--check] [N...]",
        about: "Write each lesson's skeleton (lessons/lessonN/src/main.rs) from its solution, \
                with the regions named in solutions/lessonN/skeleton.md replaced. Only for \
                authors: it overwrites the learner's file.",
        options: &[flag(
            "--check",
            "write nothing; fail if a committed skeleton differs (CI runs this)",
        )],
        audience: Audience::Authors,
        parse: |args| {
            Ok(Task::Skeleton(Skeleton {
                check: args.flag("--check"),
                lessons: args.lessons()?,
            }))
        },
    },
    Command {
        name: "flake",
        synopsis: "[N...] [--runs K] [--hog H]",
        about: "Hunt for flaky tests: run the test binaries of the solutions (of lessons N..., \
                or all) K times each, with H threads burning CPU beside them, and report every \
                failure with its output.",
        options: &[
            valued("--runs", "K", "runs of each test binary (default 20)"),
            valued(
                "--hog",
                "H",
                "CPU-burning threads while they run (default 2)",
            ),
        ],
        audience: Audience::Authors,
        parse: |args| {
            Ok(Task::Flake(Flake {
                runs: args.number("--runs")?.unwrap_or(20),
                hogs: args.number("--hog")?.unwrap_or(2),
                lessons: args.lessons()?,
            }))
        },
    },
    Command {
        name: "book",
        synopsis: "[--build-only | --browser] [--port P]",
        about: "Install the pinned mdBook tools, then serve the book and open it in a browser \
                (stopping `cargo xtask book` stops the server too).",
        options: &[
            flag(
                "--build-only",
                "build once and check it (includes, anchors, links, snippets) instead",
            ),
            flag(
                "--browser",
                "build and check, then open every page in headless Chromium (needs node \
                 and chromium)",
            ),
            Opt {
                long: "--port",
                short: Some("-p"),
                value: Some("P"),
                about: "serve on port P (default 3000)",
            },
        ],
        audience: Audience::Authors,
        parse: |args| {
            let mode = match (args.flag("--build-only"), args.flag("--browser")) {
                (false, false) => BookMode::Serve,
                (true, false) => BookMode::BuildOnly,
                (_, true) => BookMode::Browser,
            };
            let port = args.number("--port")?;
            if mode != BookMode::Serve && port.is_some() {
                return Err(
                    "--port is for serving; it does nothing with --build-only or \
                            --browser"
                        .into(),
                );
            }
            args.no_positionals()?;
            Ok(Task::Book(Book { mode, port }))
        },
    },
    Command {
        name: "transcripts",
        synopsis: "[--check]",
        about: "Play the book's terminal sessions with the solutions and write \
                book/src/transcripts/.",
        options: &[flag(
            "--check",
            "write nothing; fail if a committed transcript differs (CI runs this)",
        )],
        audience: Audience::Authors,
        parse: |args| {
            args.no_positionals()?;
            Ok(Task::Transcripts(Transcripts {
                check: args.flag("--check"),
            }))
        },
    },
    Command {
        name: "progress",
        synopsis: "[N...]",
        about: "Which lessons pass, which are in progress, and what is next.",
        options: &[],
        audience: Audience::Learners,
        parse: |args| {
            Ok(Task::Progress(Progress {
                lessons: args.lessons()?,
            }))
        },
    },
    Command {
        name: "watch",
        synopsis: "[N] [--manual]",
        about: "Rerun lesson N's tests (the first unfinished lesson by default) whenever its \
                files change.",
        options: &[flag("--manual", "rerun only when Enter is pressed")],
        audience: Audience::Learners,
        parse: |args| {
            Ok(Task::Watch(Watch {
                manual: args.flag("--manual"),
                lesson: args.optional_lesson()?,
            }))
        },
    },
    Command {
        name: "hint",
        synopsis: "[N [K]]",
        about: "The next hint for lesson N (the first unfinished lesson by default), or hint K \
                again.",
        options: &[],
        audience: Audience::Learners,
        parse: |args| {
            let lesson = args.optional_lesson()?;
            let hint = args.optional_positional("a hint number")?;
            args.no_positionals()?;
            Ok(Task::Hint(Hint { lesson, hint }))
        },
    },
    Command {
        name: "reset",
        synopsis: "N [--yes]",
        about: "Put lesson N's program back to its skeleton, made afresh from the solution. \
                Asks first, and keeps your version in target/xtask/reset-backups/.",
        options: &[Opt {
            long: "--yes",
            short: Some("-y"),
            value: None,
            about: "do not ask",
        }],
        audience: Audience::Learners,
        parse: |args| {
            Ok(Task::Reset(Reset {
                yes: args.flag("--yes"),
                lesson: args.required_lesson("which lesson? e.g. `cargo xtask reset 1`")?,
            }))
        },
    },
    Command {
        name: "demo",
        synopsis: "N [--port P]",
        about: "Start the reference server lesson N needs and print the commands (netcat, the \
                client) to type in a second terminal.",
        options: &[Opt {
            long: "--port",
            short: Some("-p"),
            value: Some("P"),
            about: "the server's port (default: one the system picks)",
        }],
        audience: Audience::Instructors,
        parse: |args| {
            Ok(Task::Demo(Demo {
                port: args.number("--port")?.unwrap_or(0),
                lesson: args.required_lesson("which lesson? e.g. `cargo xtask demo 2`")?,
            }))
        },
    },
    Command {
        name: "bench",
        synopsis: "[--lesson N | --server-cmd CMD | --addr HOST:PORT] [OPTIONS]",
        about: "Load a server over loopback: replies per second and latency with N connections, \
                or K idle connections held at once. Defaults come from course.toml's [bench].",
        options: &[
            valued(
                "--lesson",
                "N",
                "build lessonN-solution in release mode and start it",
            ),
            valued(
                "--server-cmd",
                "CMD",
                "start CMD (split at spaces); `{port}` in it becomes a free port",
            ),
            valued(
                "--addr",
                "HOST:PORT",
                "use a server already running on loopback",
            ),
            valued(
                "--connections",
                "N,...",
                "request/reply with N connections at once, for each N",
            ),
            valued("--seconds", "D", "how long each request/reply run lasts"),
            flag("--udp", "UDP: N sockets, one datagram each way"),
            valued("--message", "TEXT", "the line (or datagram) sent"),
            valued(
                "--hold",
                "K",
                "open K idle connections, then one round trip on each",
            ),
        ],
        audience: Audience::Instructors,
        parse: parse_bench,
    },
];

fn parse_bench(args: &mut Args) -> Result<Task, String> {
    let mut bench = Bench::default();
    let lesson = args.value("--lesson");
    let command = args.value("--server-cmd");
    let address = args.value("--addr");
    bench.server = match (lesson, command, address) {
        (None, None, None) => None,
        (Some(lesson), None, None) => Some(BenchServer::Lesson(lesson_number(&lesson)?)),
        (None, Some(command), None) => {
            let words: Vec<String> = command.split_whitespace().map(String::from).collect();
            if !words.iter().any(|word| word.contains("{port}")) {
                return Err(format!(
                    "--server-cmd \"{command}\": put `{{port}}` where the server takes its port, \
                     for example \"/tmp/concTCP {{port}}\""
                ));
            }
            Some(BenchServer::Command(words))
        }
        (None, None, Some(address)) => Some(BenchServer::Address(address)),
        _ => return Err("give one server: --lesson, --server-cmd or --addr".into()),
    };
    if let Some(list) = args.value("--connections") {
        let numbers = list
            .split(',')
            .map(|n| n.trim().parse::<usize>().ok().filter(|&n| n > 0))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("--connections {list}: whole numbers above 0"))?;
        bench.connections = Some(numbers);
    }
    if let Some(seconds) = args.value("--seconds") {
        let value = seconds
            .parse::<f64>()
            .ok()
            .filter(|s| (0.1..=600.0).contains(s))
            .ok_or_else(|| format!("--seconds {seconds}: from 0.1 to 600"))?;
        bench.seconds = Some(value);
    }
    bench.udp = args.flag("--udp");
    bench.message = args.value("--message");
    if bench.message.as_deref().is_some_and(|m| m.contains('\n')) {
        return Err("--message is one line: leave out the newline, the bench adds it".into());
    }
    bench.hold = match args.number::<usize>("--hold")? {
        Some(0) => return Err("--hold 0: a whole number above 0".into()),
        other => other,
    };
    if bench.udp && bench.hold.is_some() {
        return Err("--hold is for TCP: UDP has no connections to hold".into());
    }
    args.no_positionals()?;
    Ok(Task::Bench(bench))
}

/// Reads the command line (without the program name).
pub fn parse(words: &[String]) -> Result<Task, String> {
    let Some((name, rest)) = words.split_first() else {
        return Err("no command given: `cargo xtask help` lists them".into());
    };
    if matches!(name.as_str(), "help" | "--help" | "-h") {
        return match rest.first() {
            None => Ok(Task::Help(None)),
            Some(topic) => find(topic).map(|command| Task::Help(Some(command))),
        };
    }
    let command = find(name)?;
    if rest.iter().any(|word| word == "--help" || word == "-h") {
        return Ok(Task::Help(Some(command)));
    }
    let mut args = Args::split(command, rest).map_err(|e| in_command(command, &e))?;
    let task = (command.parse)(&mut args).map_err(|e| in_command(command, &e))?;
    args.no_positionals().map_err(|e| in_command(command, &e))?;
    Ok(task)
}

fn in_command(command: &Command, message: &str) -> String {
    format!(
        "{}: {message} (`cargo xtask {} --help` shows how to call it)",
        command.name, command.name
    )
}

fn find(name: &str) -> Result<&'static Command, String> {
    COMMANDS
        .iter()
        .find(|command| command.name == name)
        .ok_or_else(|| format!("unknown command `{name}`: `cargo xtask help` lists them"))
}

/// A command's words, split into options (checked against its declaration) and the rest.
pub struct Args {
    options: Vec<(&'static str, Option<String>)>,
    positionals: VecDeque<String>,
}

impl Args {
    fn split(command: &Command, words: &[String]) -> Result<Args, String> {
        let mut options = Vec::new();
        let mut positionals = VecDeque::new();
        let mut words = words.iter();
        while let Some(word) = words.next() {
            if !word.starts_with('-') || word == "-" {
                positionals.push_back(word.clone());
                continue;
            }
            let (name, inline_value) = match word.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
                _ => (word.as_str(), None),
            };
            let opt = command
                .options
                .iter()
                .find(|opt| opt.long == name || opt.short == Some(name))
                .ok_or_else(|| format!("unknown option `{word}`"))?;
            let value =
                match (opt.value, inline_value) {
                    (None, None) => None,
                    (None, Some(_)) => return Err(format!("{} takes no value", opt.long)),
                    (Some(_), Some(value)) => Some(value),
                    (Some(what), None) => Some(words.next().cloned().ok_or_else(|| {
                        format!("{} needs a value: {} {what}", opt.long, opt.long)
                    })?),
                };
            if options.iter().any(|(seen, _)| *seen == opt.long) {
                return Err(format!("{} is given twice", opt.long));
            }
            options.push((opt.long, value));
        }
        Ok(Args {
            options,
            positionals,
        })
    }

    fn flag(&self, long: &str) -> bool {
        self.options.iter().any(|(name, _)| *name == long)
    }

    fn value(&self, long: &str) -> Option<String> {
        self.options
            .iter()
            .find(|(name, _)| *name == long)
            .and_then(|(_, value)| value.clone())
    }

    /// An option's value as a number (ports, counts); digits only.
    fn number<T: FromStr>(&self, long: &str) -> Result<Option<T>, String> {
        let Some(text) = self.value(long) else {
            return Ok(None);
        };
        digits(&text)
            .and_then(|digits| digits.parse().ok())
            .map(Some)
            .ok_or_else(|| format!("{long} {text}: not a number in range"))
    }

    /// Every remaining word as a lesson number.
    fn lessons(&mut self) -> Result<Vec<u32>, String> {
        self.positionals
            .drain(..)
            .map(|w| lesson_number(&w))
            .collect()
    }

    fn optional_lesson(&mut self) -> Result<Option<u32>, String> {
        self.positionals
            .pop_front()
            .map(|word| lesson_number(&word))
            .transpose()
    }

    fn required_lesson(&mut self, missing: &str) -> Result<u32, String> {
        self.optional_lesson()?.ok_or_else(|| missing.to_string())
    }

    fn optional_positional(&mut self, what: &str) -> Result<Option<u32>, String> {
        self.positionals
            .pop_front()
            .map(|word| {
                digits(&word)
                    .and_then(|digits| digits.parse().ok())
                    .ok_or_else(|| format!("`{word}` is not {what}"))
            })
            .transpose()
    }

    /// Fails if words are left that no part of the command took.
    fn no_positionals(&self) -> Result<(), String> {
        match self.positionals.front() {
            Some(extra) => Err(format!("unexpected `{extra}`")),
            None => Ok(()),
        }
    }
}

fn digits(text: &str) -> Option<&str> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then_some(text)
}

/// `3` or `lesson3`.
fn lesson_number(word: &str) -> Result<u32, String> {
    digits(word.strip_prefix("lesson").unwrap_or(word))
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| format!("`{word}` is not a lesson number (try 1, or lesson1)"))
}

/// `cargo xtask help`: every command, grouped by who it is for.
pub fn overview() -> String {
    let mut text = String::from("usage: cargo xtask <command> [arguments]\n");
    for (audience, heading) in [
        (Audience::Learners, "for learners"),
        (Audience::Instructors, "for instructors"),
        (Audience::Authors, "for course authors"),
    ] {
        text.push_str(&format!("\n{heading}:\n"));
        for command in COMMANDS.iter().filter(|c| c.audience == audience) {
            let call = format!("{} {}", command.name, command.synopsis);
            let summary = command.about.split(". ").next().unwrap_or(command.about);
            let summary = summary.trim_end_matches('.');
            text.push_str(&format!("  {call}\n{}\n", wrap(summary, 6, 90)));
        }
    }
    text.push_str("\n`cargo xtask <command> --help` tells more about one command.");
    text
}

/// `cargo xtask CMD --help`: the command's page.
pub fn page(command: &Command) -> String {
    let mut text = format!(
        "usage: cargo xtask {} {}\n\n{}\n",
        command.name,
        command.synopsis,
        wrap(command.about, 0, 90)
    );
    if !command.options.is_empty() {
        text.push_str("\noptions:\n");
        for opt in command.options {
            let mut call = opt.long.to_string();
            if let Some(short) = opt.short {
                call = format!("{short}, {call}");
            }
            if let Some(value) = opt.value {
                call = format!("{call} {value}");
            }
            text.push_str(&format!("  {call}\n{}\n", wrap(opt.about, 6, 90)));
        }
    }
    text
}

/// Words of `text` in lines of at most `width` characters, each indented by `indent`.
fn wrap(text: &str, indent: usize, width: usize) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent + line.len() + 1 + word.len() > width {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(line: &str) -> Result<Task, String> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse(&words)
    }

    #[test]
    fn commands_become_typed_tasks() {
        assert_eq!(
            parsed("verify 1 lesson3"),
            Ok(Task::Verify(Verify {
                lessons: vec![1, 3]
            }))
        );
        assert_eq!(
            parsed("skeleton --check"),
            Ok(Task::Skeleton(Skeleton {
                check: true,
                lessons: vec![]
            }))
        );
        assert_eq!(
            parsed("flake 1 --runs 500 --hog=2"),
            Ok(Task::Flake(Flake {
                lessons: vec![1],
                runs: 500,
                hogs: 2
            }))
        );
        assert_eq!(
            parsed("book -p 4000"),
            Ok(Task::Book(Book {
                mode: BookMode::Serve,
                port: Some(4000)
            }))
        );
        assert_eq!(
            parsed("hint 2 3"),
            Ok(Task::Hint(Hint {
                lesson: Some(2),
                hint: Some(3)
            }))
        );
        assert_eq!(
            parsed("reset -y 1"),
            Ok(Task::Reset(Reset {
                lesson: 1,
                yes: true
            }))
        );
        assert_eq!(
            parsed("demo 5 --port 1234"),
            Ok(Task::Demo(Demo {
                lesson: 5,
                port: 1234
            }))
        );
        let Ok(Task::Bench(bench)) = parsed("bench --lesson 4 --connections 1,10 --seconds 0.5")
        else {
            panic!("bench parses");
        };
        assert_eq!(bench.server, Some(BenchServer::Lesson(4)));
        assert_eq!(bench.connections, Some(vec![1, 10]));
        assert!(matches!(parsed("watch"), Ok(Task::Watch(_))));
        assert!(matches!(parsed("progress"), Ok(Task::Progress(_))));
        assert!(matches!(parsed("transcripts"), Ok(Task::Transcripts(_))));
    }

    #[test]
    fn help_comes_in_every_form() {
        assert_eq!(parsed("help"), Ok(Task::Help(None)));
        assert_eq!(parsed("--help"), Ok(Task::Help(None)));
        assert!(matches!(parsed("reset --help"), Ok(Task::Help(Some(c))) if c.name == "reset"));
        assert!(matches!(parsed("help bench"), Ok(Task::Help(Some(c))) if c.name == "bench"));
        let overview = overview();
        for command in COMMANDS {
            assert!(overview.contains(command.name), "{overview}");
            assert!(page(command).starts_with("usage: cargo xtask"));
        }
    }

    #[test]
    fn bad_arguments_are_one_line_naming_the_command() {
        for (line, says) in [
            ("", "no command"),
            ("frobnicate", "unknown command"),
            ("verify x", "`x` is not a lesson number"),
            ("verify --fast", "unknown option `--fast`"),
            ("reset", "which lesson"),
            ("reset 1 2", "unexpected `2`"),
            ("demo 2 --port", "--port needs a value"),
            ("demo 2 --port +5", "--port +5: not a number"),
            ("book --build-only --port 3000", "--port is for serving"),
            ("transcripts --check --check", "given twice"),
            ("bench --hold 5 --udp", "--hold is for TCP"),
            ("bench --server-cmd x", "{port}"),
            ("hint 1 x", "not a hint number"),
        ] {
            let error = parsed(line).expect_err(line);
            assert!(error.contains(says), "{line}: {error}");
            assert!(!error.contains('\n'), "{line}: {error}");
        }
    }
}
