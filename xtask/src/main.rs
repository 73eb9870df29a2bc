//! `cargo xtask`: the project's own tooling, written in Rust so it runs wherever cargo does.
//!
//! The alias in `.cargo/config.toml` turns `cargo xtask <command>` into
//! `cargo run --package xtask -- <command>`. [`flags`] declares the commands and reads the
//! command line; this file only sends each command to its module in `commands/`. What
//! several commands share lives in the library (`src/lib.rs`), never in another command:
//! ARCHITECTURE.md has the map.

use std::ffi::OsString;
use std::process::ExitCode;

use xtask::Error;

mod commands;
mod flags;

use flags::Task;

fn main() -> ExitCode {
    let words: Vec<OsString> = std::env::args_os().skip(1).collect();
    // A child started through a lifeline runs this program again as its guardian (see
    // `process::lifeline`).
    if words
        .first()
        .is_some_and(|word| word == process::lifeline::COMMAND)
    {
        return match process::lifeline::serve(&words[1..]) {
            Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            Err(message) => fail(&Error::Failed(message)),
        };
    }
    let words: Vec<String> = words
        .iter()
        .map(|word| word.to_string_lossy().into_owned())
        .collect();
    let result = flags::parse(&words)
        .map_err(Error::Usage)
        .and_then(dispatch);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

fn dispatch(task: Task) -> Result<(), Error> {
    // Every path below is relative to the workspace root, wherever cargo was started from.
    let root = xtask::workspace_root();
    std::env::set_current_dir(&root)
        .map_err(|err| format!("could not change to {}: {err}", root.display()))?;
    match task {
        Task::Help(None) => {
            println!("{}", flags::overview());
            Ok(())
        }
        Task::Help(Some(command)) => {
            print!("{}", flags::page(command));
            Ok(())
        }
        Task::Verify(args) => commands::verify::run(&args),
        Task::Skeleton(args) => commands::skeleton::run(&args),
        Task::Flake(args) => commands::flake::run(&args),
        Task::Book(args) => commands::book::run(&args),
        Task::Transcripts(args) => commands::transcripts::run(&args),
        Task::Progress(args) => commands::progress::run(&args),
        Task::Watch(args) => commands::watch::run(&args),
        Task::Hint(args) => commands::hint::run(&args),
        Task::Reset(args) => commands::reset::run(&args),
        Task::Demo(args) => commands::demo::run(&args),
        Task::Bench(args) => commands::bench::run(&args),
        Task::Doctor => commands::doctor::run(),
    }
}

/// One line on stderr; status 2 for a command line that makes no sense, 1 for a failure.
fn fail(error: &Error) -> ExitCode {
    match error {
        Error::Usage(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Error::Failed(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
