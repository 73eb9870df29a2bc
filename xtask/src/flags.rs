//! Every command of `cargo xtask` and its arguments, declared once.
//!
//! Each entry of [`COMMANDS`] says how the command is called, what it does, which options
//! it takes, and how its words become a typed [`Task`]. The help text and the parser both
//! come from that one entry, so they cannot disagree: an option not declared there is
//! refused, with one line, and the program exits with status 2.
//!
//! (rust-analyzer's `xtask/src/flags.rs` does the same with the `xflags` macro; this is the
//! same idea by hand, without dependencies.) Reading the words is in `flags/parser.rs`,
//! the help texts in `flags/help.rs`.
//!
//! Longer than 400 lines on purpose: it is the one table of every command and its
//! arguments, which reads best in one place.

mod help;
mod parser;

pub use help::{overview, page};
pub use parser::parse;
use parser::{Args, lesson_number};

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
    Doctor,
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
    pub jobs: u32,
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
    /// One JSON document on stdout instead of the table, for grading scripts.
    pub json: bool,
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
    pub subject: DemoSubject,
    /// The port clients connect to (the demo's relay); the server itself listens on a port
    /// of its own behind it.
    pub port: u16,
    /// Show the exact bytes each way.
    pub wire: bool,
    /// Open tmux panes: the demo in one, three clients typed in (not run) in the others.
    pub tmux: bool,
    /// Listen on every address, for students' laptops.
    pub room: bool,
}

/// What `cargo xtask demo` shows.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum DemoSubject {
    /// A lesson's server with its clients.
    Lesson(u32),
    /// The compiler refusing the Go server's data race (`cargo xtask demo race`).
    Race,
}

/// The port the guide and the students' commands use, kept across restarts.
pub const DEMO_PORT: u16 = 1234;

/// `None` everywhere means "the default from course.toml's [bench]" (or the scenario's).
#[derive(Debug, PartialEq, Default)]
pub struct Bench {
    pub server: Option<BenchServer>,
    pub connections: Option<Vec<usize>>,
    pub seconds: Option<f64>,
    pub udp: bool,
    pub message: Option<String>,
    pub hold: Option<usize>,
    /// Hold's connections from this many source addresses, 127.0.0.1 up (Linux).
    pub sources: Option<usize>,
    pub fan_out: bool,
    /// Clients that send one byte and stall, while one more keeps asking.
    pub slowloris: Option<usize>,
    /// What `{idle}` becomes in a server's arguments (`--idle-timeout {idle}`).
    pub idle_timeout: Option<u64>,
    /// Request/reply runs of each server at each level; the median one is shown.
    pub rounds: Option<u32>,
    pub no_pin: bool,
}

#[derive(Debug, PartialEq)]
pub enum BenchServer {
    Lesson(u32),
    /// The command's words; one of them holds `{port}`.
    Command(Vec<String>),
    /// `HOST:PORT`, checked to be loopback by the bench.
    Address(String),
    /// Several servers, measured one after the other, side by side in one table.
    Compare(Vec<Contender>),
}

/// One server of `--compare`.
#[derive(Debug, PartialEq, Clone, Copy)]
pub enum Contender {
    Lesson(u32),
    /// The Go original, `concTCP.go`, built with `go build`.
    Go,
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
        synopsis: "[N...] [--runs K] [--hog H] [--jobs J]",
        about: "Hunt for flaky tests: run the test binaries of the solutions (of lessons N..., \
                or all) K times each, J runs at a time, with H threads burning CPU beside them, \
                and report every failure with its output.",
        options: &[
            valued("--runs", "K", "runs of each test binary (default 20)"),
            valued(
                "--hog",
                "H",
                "CPU-burning threads while they run (default 2)",
            ),
            valued(
                "--jobs",
                "J",
                "runs of the same binary at once (default 1); more is more load, and faster \
                 for suites that mostly wait on timeouts",
            ),
        ],
        audience: Audience::Authors,
        parse: |args| {
            Ok(Task::Flake(Flake {
                runs: args.number("--runs")?.unwrap_or(20),
                hogs: args.number("--hog")?.unwrap_or(2),
                jobs: args.number("--jobs")?.unwrap_or(1),
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
        synopsis: "[N...] [--json]",
        about: "Which lessons pass, which are in progress, and what is next.",
        options: &[flag(
            "--json",
            "print one JSON document instead (per lesson: passed, tests passed and in all, \
             the next TODO), for grading scripts",
        )],
        audience: Audience::Learners,
        parse: |args| {
            Ok(Task::Progress(Progress {
                json: args.flag("--json"),
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
        synopsis: "N | race [--port P] [--wire] [--tmux] [--room]",
        about: "Start the reference server lesson N needs behind a small relay on port 1234, \
                print the commands to type in other terminals (netcat, the reference client, \
                the learner's own), and narrate each client: connected, every line, left. \
                `demo race` shows the compiler refusing the Go server's data race.",
        options: &[
            Opt {
                long: "--port",
                short: Some("-p"),
                value: Some("P"),
                about: "the port clients connect to (default 1234, kept across restarts)",
            },
            flag("--wire", "show the exact bytes each way, escaped"),
            flag(
                "--tmux",
                "open tmux panes: the demo, and three clients typed in but not run",
            ),
            flag(
                "--room",
                "listen on every address (0.0.0.0) so that students' laptops can connect; \
                 prints this machine's addresses and the students' commands",
            ),
        ],
        audience: Audience::Instructors,
        parse: |args| {
            let port = args.number("--port")?.unwrap_or(DEMO_PORT);
            let (wire, tmux, room) = (
                args.flag("--wire"),
                args.flag("--tmux"),
                args.flag("--room"),
            );
            let missing = "which lesson? e.g. `cargo xtask demo 2` (or `demo race`)";
            let subject = match args.optional_word() {
                None => return Err(missing.into()),
                Some(word) if word == "race" => {
                    if args.value("--port").is_some() || wire || tmux || room {
                        return Err("`demo race` compiles one file and takes no options".into());
                    }
                    DemoSubject::Race
                }
                Some(word) => DemoSubject::Lesson(lesson_number(&word)?),
            };
            if port == 0 {
                return Err(
                    "--port 0: give a fixed port, so that the commands printed stay \
                            right"
                        .into(),
                );
            }
            Ok(Task::Demo(Demo {
                subject,
                port,
                wire,
                tmux,
                room,
            }))
        },
    },
    Command {
        name: "doctor",
        synopsis: "",
        about: "Check this machine for what the course needs (Rust, netcat, loopback, IPv6, \
                open files, mdBook) and print the fix for each problem found.",
        options: &[],
        audience: Audience::Learners,
        parse: |args| {
            args.no_positionals()?;
            Ok(Task::Doctor)
        },
    },
    Command {
        name: "bench",
        synopsis: "[--lesson N | --server-cmd CMD | --addr HOST:PORT | --compare N,...] [OPTIONS]",
        about: "Load a server over loopback: replies per second and latency with N connections, \
                K idle connections held at once, clients that stall mid-line (slowloris), or \
                a chat room's fan-out. \
                With --compare, several servers one after the other, in one table. A server \
                the bench starts is pinned to CPU 0 and the bench to the others (Linux, \
                taskset). Defaults come from course.toml's [bench].",
        options: &[
            valued(
                "--lesson",
                "N",
                "build lessonN-solution in release mode and start it",
            ),
            valued(
                "--compare",
                "N,...",
                "measure several servers side by side: lesson numbers, and `go` for the Go \
                 original concTCP.go (built with `go build` when go is installed)",
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
                "open K idle connections, then one round trip on each; on Linux, from \
                 127.0.0.1, 127.0.0.2, ... when K outnumbers one address's local ports",
            ),
            valued(
                "--sources",
                "N",
                "with --hold: connect from N source addresses, 127.0.0.1 to 127.0.0.N \
                 (Linux; at most 254)",
            ),
            flag(
                "--fan-out",
                "a chat room of N clients (lesson 8; N from --connections, default \
                 10,100,1000): lines delivered per second and delivery latency, one sender \
                 and all sending; then the memory with clients that never read",
            ),
            valued(
                "--slowloris",
                "N",
                "N clients send one byte and stall while one more asks every 10 ms; its \
                 latency, the server's threads and the stalled clients still open, each second",
            ),
            valued(
                "--idle-timeout",
                "SECS",
                "what `{idle}` becomes in a lesson's bench_args (default 60; 5 with --slowloris, \
                 3600 with --hold)",
            ),
            valued(
                "--rounds",
                "R",
                "request/reply: R runs of each server at each level, the median one shown \
                 (default 1)",
            ),
            flag(
                "--no-pin",
                "do not pin the server and the bench to separate CPUs",
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
    let compare = args.value("--compare");
    bench.server = match (lesson, command, address, compare) {
        (None, None, None, None) => None,
        (Some(lesson), None, None, None) => Some(BenchServer::Lesson(lesson_number(&lesson)?)),
        (None, Some(command), None, None) => {
            let words: Vec<String> = command.split_whitespace().map(String::from).collect();
            if !words.iter().any(|word| word.contains("{port}")) {
                return Err(format!(
                    "--server-cmd \"{command}\": put `{{port}}` where the server takes its port, \
                     for example \"/tmp/concTCP {{port}}\""
                ));
            }
            Some(BenchServer::Command(words))
        }
        (None, None, Some(address), None) => Some(BenchServer::Address(address)),
        (None, None, None, Some(list)) => Some(BenchServer::Compare(contenders(&list)?)),
        _ => return Err("give one server: --lesson, --server-cmd, --addr or --compare".into()),
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
    bench.sources = match args.number::<usize>("--sources")? {
        Some(n) if !(1..=254).contains(&n) => {
            return Err(format!(
                "--sources {n}: from 1 to 254 (127.0.0.1 to 127.0.0.254)"
            ));
        }
        Some(_) if bench.hold.is_none() => {
            return Err("--sources spreads the connections of --hold: give --hold K".into());
        }
        other => other,
    };
    bench.fan_out = args.flag("--fan-out");
    if bench.fan_out && (bench.udp || bench.hold.is_some() || bench.message.is_some()) {
        return Err(
            "--fan-out measures a chat room over TCP: without --udp, --hold or \
                    --message"
                .into(),
        );
    }
    bench.slowloris = match args.number::<usize>("--slowloris")? {
        Some(0) => return Err("--slowloris 0: a whole number above 0".into()),
        other => other,
    };
    if bench.slowloris.is_some() && (bench.udp || bench.hold.is_some() || bench.fan_out) {
        return Err(
            "--slowloris is a TCP scenario of its own: no --udp, --hold or --fan-out".into(),
        );
    }
    bench.idle_timeout = args.number("--idle-timeout")?;
    if bench.idle_timeout == Some(0) {
        return Err("--idle-timeout 0: a whole number of seconds above 0".into());
    }
    bench.rounds = match args.number::<u32>("--rounds")? {
        Some(0) => return Err("--rounds 0: a whole number above 0".into()),
        other => other,
    };
    bench.no_pin = args.flag("--no-pin");
    args.no_positionals()?;
    Ok(Task::Bench(bench))
}

/// `5,6,go`: lesson numbers, and `go` for the Go original.
fn contenders(list: &str) -> Result<Vec<Contender>, String> {
    let contenders = list
        .split(',')
        .map(str::trim)
        .map(|word| match word {
            "go" | "Go" => Ok(Contender::Go),
            _ => lesson_number(word).map(Contender::Lesson),
        })
        .collect::<Result<Vec<_>, String>>()
        .map_err(|problem| format!("--compare {list}: {problem}"))?;
    if contenders.len() < 2 {
        return Err(format!(
            "--compare {list}: name two servers or more, e.g. --compare 5,6,go"
        ));
    }
    Ok(contenders)
}
