//! The help texts, made from the same declarations the parser reads.

use xtask::text::wrap;

use super::{Audience, COMMANDS, Command};

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
