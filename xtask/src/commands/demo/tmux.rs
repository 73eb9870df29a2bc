//! `cargo xtask demo N --tmux`: the demo's panes, set up in tmux.
//!
//! The demo itself runs in the left pane; the three client commands are *typed* into three
//! panes on the right and not run, so the instructor starts each one when the room is
//! ready. Inside tmux, the panes open in a new window of the current session; outside, in a
//! new session `demo-N`, which this command then attaches to (or, without a terminal, says
//! how to).

use std::io::IsTerminal;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use xtask::Error;

use super::plan::Plan;
use crate::flags;

/// The longest a new pane's shell gets to show its prompt.
const PROMPT_DEADLINE: Duration = Duration::from_secs(5);

/// Opens the panes for `plan`; `args` are the demo's own, passed on to the left pane.
pub(super) fn open(plan: &Plan, args: &flags::Demo, root: &Path) -> Result<(), Error> {
    if xtask::tools::find_program("tmux").is_none() {
        return Err(
            "tmux is not installed (apt install tmux, brew install tmux; none on \
                    Windows outside WSL). Without it, open the terminals yourself: \
                    `cargo xtask demo N` prints the commands"
                .into(),
        );
    }
    let number = plan.lesson.number;
    let name = format!("demo-{number}");
    let inside = std::env::var_os("TMUX").is_some_and(|value| !value.is_empty());
    let root = root.to_string_lossy();
    let first = if inside {
        tmux(&[
            "new-window",
            "-P",
            "-F",
            "#{pane_id}",
            "-n",
            &name,
            "-c",
            &root,
        ])?
    } else {
        if tmux(&["has-session", "-t", &format!("={name}")]).is_ok() {
            return Err(format!(
                "a tmux session {name} is already open: `tmux attach -t {name}`, or end it \
                 with `tmux kill-session -t {name}`"
            )
            .into());
        }
        // A size for the detached session; attaching gives it the terminal's own.
        tmux(&[
            "new-session",
            "-d",
            "-P",
            "-F",
            "#{pane_id}",
            "-s",
            &name,
            "-x",
            "200",
            "-y",
            "50",
            "-c",
            &root,
        ])?
    };

    let local = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let mut commands = plan.local_commands(local);
    // Three client panes; netcat fills in for a lesson with fewer clients.
    while commands.len() < 3 {
        commands.push(plan.netcat(local.ip(), args.port));
    }
    let mut previous = first.clone();
    let mut panes = Vec::new();
    for (index, command) in commands.iter().take(3).enumerate() {
        let split = if index == 0 { "-h" } else { "-v" };
        let pane = tmux(&[
            "split-window",
            split,
            "-P",
            "-F",
            "#{pane_id}",
            "-t",
            &previous,
            "-c",
            &root,
        ])?;
        previous = pane.clone();
        panes.push((pane, command.line.clone()));
    }
    tmux(&["select-layout", "-t", &first, "main-vertical"])?;
    for (pane, line) in &panes {
        // `-l`: the text as it is, not key names; no Enter, so it waits to be run.
        wait_for_prompt(pane);
        tmux(&["send-keys", "-t", pane, "-l", line])?;
    }
    wait_for_prompt(&first);
    tmux(&["send-keys", "-t", &first, "-l", &demo_command(number, args)])?;
    tmux(&["send-keys", "-t", &first, "Enter"])?;
    tmux(&["select-pane", "-t", &first])?;

    if inside {
        println!("demo: opened window {name}");
    } else if std::io::stdout().is_terminal() {
        let status = Command::new("tmux")
            .args(["attach", "-t", &format!("={name}")])
            .status()
            .map_err(|error| format!("could not run tmux: {error}"))?;
        if !status.success() {
            return Err(format!("`tmux attach -t {name}` failed").into());
        }
    } else {
        println!("demo: tmux session {name} is ready: tmux attach -t {name}");
    }
    Ok(())
}

/// The demo, as the left pane runs it: the same options, without `--tmux`.
fn demo_command(number: u32, args: &flags::Demo) -> String {
    let mut command = format!("cargo xtask demo {number} --port {}", args.port);
    if args.wire {
        command.push_str(" --wire");
    }
    if args.room {
        command.push_str(" --room");
    }
    command
}

/// Waits (up to [`PROMPT_DEADLINE`]) until the pane's shell has printed something, its
/// prompt: keys sent before would be echoed once by the terminal and again by the shell.
/// tmux tells no event for it, so the pane is looked at every 50 ms.
fn wait_for_prompt(pane: &str) {
    let started = Instant::now();
    while started.elapsed() < PROMPT_DEADLINE {
        let shown = tmux(&["capture-pane", "-p", "-t", pane]).unwrap_or_default();
        if !shown.trim().is_empty() {
            return;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `tmux ARGS`; returns what it printed (a pane's id, with `-P`), trimmed.
fn tmux(args: &[&str]) -> Result<String, String> {
    let output = Command::new("tmux")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("could not run tmux: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`tmux {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}
