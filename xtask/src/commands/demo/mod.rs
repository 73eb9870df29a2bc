//! `cargo xtask demo N [--port P]`: one command per lesson for a live demonstration.
//!
//! It builds the reference programs the lesson needs, starts the reference server (for the
//! client lessons, the server their client talks to: lesson 2's for lesson 1, lesson 4's for
//! lesson 3) on port 0 or `--port P`, reads its `Listening on` line, and prints the exact
//! commands to type in a second terminal: netcat and the reference client (and the
//! learner's own). Then it streams what the server prints. When the server ends (the
//! lesson 2 server serves one client), Enter starts it again on the same port.
//!
//! # Nothing is left running
//!
//! - Ctrl-C reaches every process: the terminal sends it to the whole foreground process
//!   group, and everything started here stays in that group.
//! - On a normal end or an error, the server is stopped when it is dropped.
//! - If this process is killed on its own (`kill PID`, a closed IDE panel), the server's
//!   lifeline stops it (see `process::lifeline`).
//!
//! Which programs pair up comes from `course.toml`: a client lesson names the server it
//! talks to (`peer`), a server lesson the client shown beside it.

use std::ffi::OsString;
use std::io::{self, BufRead, IsTerminal};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use course::{Course, Lesson, Role, Transport};
use process::lifeline::Lifeline;
use process::{Capture, Stream, Waited};
use xtask::Error;

use crate::flags;

/// How long a freshly started server has to print its `Listening on` line.
const LISTEN_DEADLINE: Duration = Duration::from_secs(10);

/// What to run for one lesson.
struct Plan<'a> {
    /// The lesson shown.
    lesson: &'a Lesson,
    /// The lesson whose reference solution is the server.
    server: &'a Lesson,
    /// The lesson whose reference solution is the client, if there is one.
    client: Option<&'a Lesson>,
}

impl<'a> Plan<'a> {
    fn new(course: &'a Course, lesson: &'a Lesson) -> Result<Plan<'a>, String> {
        let peer = lesson.peer.and_then(|peer| course.lesson(peer));
        let (server, client) = match lesson.role {
            Role::Server => (lesson, peer),
            Role::Client => (
                peer.ok_or_else(|| {
                    format!(
                        "lesson {} is a client, and course.toml names no server for it                          (peer = N)",
                        lesson.number
                    )
                })?,
                Some(lesson),
            ),
        };
        Ok(Plan {
            lesson,
            server,
            client,
        })
    }

    fn udp(&self) -> bool {
        self.server.transport == Transport::Udp
    }
}

/// Runs `cargo xtask demo N [--port P]`.
pub fn run(args: &flags::Demo) -> Result<(), Error> {
    let course = xtask::load_course()?;
    let lesson = xtask::lesson(&course, args.lesson)?;
    let plan = Plan::new(&course, lesson)?;
    let server_package = &plan.server.solution.name;
    let mut packages = vec![server_package.as_str()];
    if let Some(client) = plan.client {
        packages.push(&client.solution.name);
    }
    println!(
        "demo: lesson {}, {}",
        lesson.number,
        lesson.describe_chapter()
    );
    println!("demo: building {}", packages.join(" and "));
    let program = build(&packages, server_package)?;

    let mut port_argument = args.port.to_string();
    loop {
        let mut server = Server::start(&program, &port_argument)?;
        let address = server.listening_address(server_package)?;
        // Restarts keep the port, so the commands printed stay right.
        port_argument = address.port().to_string();
        print_commands(&plan, address);
        let status = server.stream_output();
        println!("---\ndemo: the server ended ({status}).");
        drop(server);
        if !io::stdin().is_terminal() {
            return Ok(());
        }
        println!("Press Enter to start it again on port {port_argument}, or Ctrl-C to finish.");
        let mut line = String::new();
        match io::stdin().lock().read_line(&mut line) {
            Ok(1..) => {}
            _ => return Ok(()),
        }
    }
}

/// Builds the reference programs (so the client starts at once in the second terminal)
/// and returns the server's executable, as cargo reports it.
fn build(packages: &[&str], server_package: &str) -> Result<OsString, String> {
    let mut args = vec!["build"];
    for package in packages {
        args.extend(["-p", package]);
    }
    xtask::cargo::build(&args)?
        .into_iter()
        .find(|artifact| !artifact.test && artifact.target == server_package)
        .map(|artifact| artifact.executable.into_os_string())
        .ok_or_else(|| format!("cargo built {server_package} but did not say where its program is"))
}

fn print_commands(plan: &Plan, address: SocketAddr) {
    // A server listening on every address is reached locally through loopback.
    let ip = if address.ip().is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        address.ip()
    };
    let target = SocketAddr::new(ip, address.port());
    let port = address.port();
    let netcat = if plan.udp() {
        format!("nc -u {ip} {port}")
    } else {
        format!("nc {ip} {port}")
    };
    let client = plan
        .client
        .map(|client| format!("cargo run -p {} -- {target}", client.solution.name));
    let learner = plan
        .client
        .map(|client| format!("cargo run -p {} -- {target}", client.skeleton.name));
    let width = [Some(&netcat), client.as_ref(), learner.as_ref()]
        .iter()
        .flatten()
        .map(|command| command.len())
        .max()
        .unwrap_or(0);

    let number = plan.lesson.number;
    println!(
        "\ndemo: {} is listening on {address}.",
        plan.server.solution.name
    );
    match (plan.lesson.role, &client, &learner) {
        (Role::Client, Some(client), Some(learner)) => {
            println!(
                "Lesson {number}'s program is the client. In a second terminal, start it, type \
                 a line or two, then STOP:"
            );
            println!("  {client:<width$}   the reference client");
            println!("  {learner:<width$}   a learner's own client");
            println!("Or play the client's part with netcat:");
            println!("  {netcat:<width$}   {}", netcat_note(plan));
        }
        _ => {
            println!("In a second terminal, talk to it with netcat or the reference client:");
            println!("  {netcat:<width$}   {}", netcat_note(plan));
            if let (Some(client), Some(lesson)) = (&client, plan.client) {
                println!("  {client:<width$}   the lesson {} client", lesson.number);
            }
        }
    }
    if let Some(note) = &plan.lesson.demo_note {
        println!("{note}");
    }
    println!("Type STOP to end a session. Ctrl-C here stops the server and this demo.");
    println!("--- what the server prints:");
}

fn netcat_note(plan: &Plan) -> &'static str {
    if plan.udp() {
        "each line is one datagram (replies have no newline)"
    } else {
        "type lines; Ctrl-C leaves"
    }
}

/// The running server, behind its lifeline. Dropping it stops both.
struct Server {
    lifeline: Lifeline,
}

impl Server {
    fn start(program: &OsString, port: &str) -> Result<Server, String> {
        let lifeline = Lifeline::start(program, &[OsString::from(port)], Capture::STDOUT)
            .map_err(|err| format!("could not start {}: {err}", Path::new(program).display()))?;
        Ok(Server { lifeline })
    }

    /// Waits for `Listening on <address>`, the first line of every server (SPEC.md).
    fn listening_address(&mut self, package: &str) -> Result<SocketAddr, String> {
        let line = self
            .lifeline
            .spawned()
            .read_until(Stream::Out, b"\n", LISTEN_DEADLINE);
        match line {
            Ok(line) => {
                let line = String::from_utf8_lossy(&line);
                line.trim()
                    .strip_prefix("Listening on ")
                    .and_then(|address| address.trim().parse().ok())
                    .ok_or_else(|| {
                        format!("{package} printed {line:?} first, not `Listening on <ip>:<port>`")
                    })
            }
            Err(Waited::TimedOut) => Err(format!(
                "{package} printed no `Listening on` line within {} s",
                LISTEN_DEADLINE.as_secs()
            )),
            Err(Waited::Ended) => Err(format!(
                "{package} ended without printing its `Listening on` line ({}); its own \
                 message, if it printed one, is above",
                self.wait()
            )),
        }
    }

    /// Prints the server's lines until it ends; returns how it ended.
    fn stream_output(&mut self) -> String {
        let spawned = self.lifeline.spawned();
        // A server runs for as long as the demo does: wait a day at a time.
        let day = Duration::from_secs(24 * 60 * 60);
        loop {
            match spawned.read_until(Stream::Out, b"\n", day) {
                Ok(line) => print!("{}", String::from_utf8_lossy(&line)),
                Err(Waited::TimedOut) => {}
                Err(Waited::Ended) => break,
            }
        }
        let rest = spawned.take_unread(Stream::Out);
        print!("{}", String::from_utf8_lossy(&rest));
        self.wait()
    }

    fn wait(&mut self) -> String {
        match self.lifeline.wait_forever() {
            Ok(status) => match status.code() {
                Some(code) => format!("status {code}"),
                None => "stopped by a signal".to_string(),
            },
            Err(err) => format!("could not wait for it: {err}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lesson_has_a_plan_with_a_server() {
        let course = xtask::load_course().expect("course.toml loads");
        for lesson in &course.lessons {
            let plan = Plan::new(&course, lesson).expect("a plan");
            assert_eq!(plan.server.role, Role::Server);
            assert!(plan.client.is_none_or(|client| client.role == Role::Client));
        }
    }
}
