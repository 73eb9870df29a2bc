//! `cargo xtask`: the project's own tooling, written in Rust so it runs wherever cargo does.
//!
//! The alias in `.cargo/config.toml` turns `cargo xtask <command>` into
//! `cargo run --package xtask -- <command>`. See `USAGE` below for the commands.

use std::env;
use std::process::ExitCode;

mod bench;
mod book;
mod demo;
mod hint;
mod progress;
mod reset;
mod transcripts;
mod verify;
mod watch;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  verify [N...]                    prove each lesson's tests (or only lessons N...): the
                                   untouched skeleton fails, the solution passes, and every
                                   wrong program in tests/fixtures/lessonN/ fails
  book [--build-only] [--port P]   install the pinned mdBook tools, then serve the book
                                   and open it in a browser (port 3000 unless P is given);
                                   with --build-only, build it once and check it for
                                   broken includes and missing chapters instead
  book --browser                   build and check the book, then open every page in
                                   headless Chromium and fail on what a reader would see
                                   broken (needs node and chromium)
  transcripts [--check]            play the book's terminal sessions with the solutions
                                   and write book/src/transcripts/; --check compares instead

for learners:
  progress [N...]                  which lessons pass, which are in progress, what is next
  watch [N] [--manual]             rerun lesson N's tests (the first unfinished one by
                                   default) whenever its files change; --manual: on Enter
  hint [N [k]]                     the next hint for lesson N, or hint k
  reset N [--yes] [--from REF]     put lesson N back to its skeleton as shipped (asks first)

for instructors:
  demo N [--port P]                start the reference server lesson N needs and print the
                                   commands (netcat, client) to type in a second terminal
  bench [--lesson N] [--hold K]    load a server over loopback: replies/s and latency with
                                   N connections, or K idle connections held at once
                                   (`cargo xtask bench --help` for every option)

  help                             show this message";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    // Every path below is relative to the workspace root, wherever cargo was started from.
    let root = xtask::workspace_root();
    env::set_current_dir(&root)
        .map_err(|err| format!("could not change to {}: {err}", root.display()))?;

    let Some((command, rest)) = args.split_first() else {
        return Err(format!("no command given\n\n{USAGE}"));
    };
    match command.as_str() {
        "verify" => verify::run(rest, &root),
        "book" => book::run(rest),
        "transcripts" => transcripts::run(rest),
        "progress" => progress::run(rest),
        "watch" => watch::run(rest),
        "hint" => hint::run(rest),
        "reset" => reset::run(rest),
        "demo" => demo::run(rest),
        "bench" => bench::run(rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}
