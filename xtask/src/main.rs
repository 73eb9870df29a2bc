//! `cargo xtask`: the project's own tooling, written in Rust so it runs wherever cargo does.
//!
//! The alias in `.cargo/config.toml` turns `cargo xtask <command>` into
//! `cargo run --package xtask -- <command>`. See `USAGE` below for the commands.

use std::env;
use std::process::ExitCode;

mod book;
mod verify;

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
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}
