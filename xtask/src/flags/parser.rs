//! Reading a command line against the declarations of [`COMMANDS`](super::COMMANDS).

use std::collections::VecDeque;
use std::str::FromStr;

use super::{COMMANDS, Command, Task};

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

    pub(super) fn flag(&self, long: &str) -> bool {
        self.options.iter().any(|(name, _)| *name == long)
    }

    pub(super) fn value(&self, long: &str) -> Option<String> {
        self.options
            .iter()
            .find(|(name, _)| *name == long)
            .and_then(|(_, value)| value.clone())
    }

    /// An option's value as a number (ports, counts); digits only.
    pub(super) fn number<T: FromStr>(&self, long: &str) -> Result<Option<T>, String> {
        let Some(text) = self.value(long) else {
            return Ok(None);
        };
        digits(&text)
            .and_then(|digits| digits.parse().ok())
            .map(Some)
            .ok_or_else(|| format!("{long} {text}: not a number in range"))
    }

    /// Every remaining word as a lesson number.
    pub(super) fn lessons(&mut self) -> Result<Vec<u32>, String> {
        self.positionals
            .drain(..)
            .map(|w| lesson_number(&w))
            .collect()
    }

    pub(super) fn optional_lesson(&mut self) -> Result<Option<u32>, String> {
        self.positionals
            .pop_front()
            .map(|word| lesson_number(&word))
            .transpose()
    }

    pub(super) fn required_lesson(&mut self, missing: &str) -> Result<u32, String> {
        self.optional_lesson()?.ok_or_else(|| missing.to_string())
    }

    /// The next word as it is, if there is one.
    pub(super) fn optional_word(&mut self) -> Option<String> {
        self.positionals.pop_front()
    }

    pub(super) fn optional_positional(&mut self, what: &str) -> Result<Option<u32>, String> {
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
    pub(super) fn no_positionals(&self) -> Result<(), String> {
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
pub(super) fn lesson_number(word: &str) -> Result<u32, String> {
    digits(word.strip_prefix("lesson").unwrap_or(word))
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| format!("`{word}` is not a lesson number (try 1, or lesson1)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::*;

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
            parsed("flake 1 --runs 500 --hog=2 --jobs 4"),
            Ok(Task::Flake(Flake {
                lessons: vec![1],
                runs: 500,
                hogs: 2,
                jobs: 4
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
            parsed("demo 5 --port 4321 --wire"),
            Ok(Task::Demo(Demo {
                subject: DemoSubject::Lesson(5),
                port: 4321,
                wire: true,
                tmux: false,
                room: false,
            }))
        );
        assert!(matches!(
            parsed("demo lesson2 --room --tmux"),
            Ok(Task::Demo(Demo {
                subject: DemoSubject::Lesson(2),
                port: DEMO_PORT,
                room: true,
                tmux: true,
                ..
            }))
        ));
        assert!(matches!(
            parsed("demo race"),
            Ok(Task::Demo(Demo {
                subject: DemoSubject::Race,
                ..
            }))
        ));
        assert_eq!(parsed("doctor"), Ok(Task::Doctor));
        assert_eq!(
            parsed("progress --json 1"),
            Ok(Task::Progress(Progress {
                lessons: vec![1],
                json: true
            }))
        );
        let Ok(Task::Bench(bench)) = parsed("bench --lesson 4 --connections 1,10 --seconds 0.5")
        else {
            panic!("bench parses");
        };
        assert_eq!(bench.server, Some(BenchServer::Lesson(4)));
        assert_eq!(bench.connections, Some(vec![1, 10]));
        let Ok(Task::Bench(fan_out)) = parsed("bench --fan-out --connections 10,100") else {
            panic!("bench --fan-out parses");
        };
        assert!(fan_out.fan_out && fan_out.server.is_none());
        let Ok(Task::Bench(bench)) =
            parsed("bench --compare 5,lesson6,go --slowloris 1000 --no-pin")
        else {
            panic!("bench --compare parses");
        };
        assert_eq!(
            bench.server,
            Some(BenchServer::Compare(vec![
                Contender::Lesson(5),
                Contender::Lesson(6),
                Contender::Go
            ]))
        );
        assert_eq!((bench.slowloris, bench.no_pin), (Some(1000), true));
        let Ok(Task::Bench(spread)) = parsed("bench --lesson 7 --hold 3000 --sources 3") else {
            panic!("bench --sources parses");
        };
        assert_eq!((spread.hold, spread.sources), (Some(3000), Some(3)));
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
        // Every command answers --help, wherever it stands among the other words.
        for command in COMMANDS {
            for line in [
                format!("{} --help", command.name),
                format!("{} 1 -h", command.name),
            ] {
                assert!(
                    matches!(parsed(&line), Ok(Task::Help(Some(c))) if c.name == command.name),
                    "{line}"
                );
            }
        }
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
            ("demo", "which lesson"),
            ("demo two", "`two` is not a lesson number"),
            ("demo 2 --port 0", "a fixed port"),
            ("demo race --wire", "takes no options"),
            ("doctor 1", "unexpected `1`"),
            ("book --build-only --port 3000", "--port is for serving"),
            ("transcripts --check --check", "given twice"),
            ("bench --hold 5 --udp", "--hold is for TCP"),
            (
                "bench --fan-out --udp",
                "--fan-out measures a chat room over TCP",
            ),
            ("bench --server-cmd x", "{port}"),
            ("bench --compare 5", "two servers or more"),
            ("bench --compare 5,java", "`java` is not a lesson number"),
            ("bench --compare 5,6 --lesson 5", "give one server"),
            (
                "bench --slowloris 10 --hold 10",
                "a TCP scenario of its own",
            ),
            ("bench --rounds 0", "--rounds 0"),
            ("bench --hold 10 --sources 0", "from 1 to 254"),
            ("bench --hold 10 --sources 255", "from 1 to 254"),
            ("bench --sources 2", "give --hold K"),
            ("hint 1 x", "not a hint number"),
        ] {
            let error = parsed(line).expect_err(line);
            assert!(error.contains(says), "{line}: {error}");
            assert!(!error.contains('\n'), "{line}: {error}");
        }
    }
}
