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
//! - On a normal end or an error, [`Server`]'s `Drop` stops what was started.
//! - If this process is killed on its own (`kill PID`, a closed IDE panel, the task
//!   manager), no destructor runs. So the server is not started directly but through a
//!   *lifeline*: this same program, run as `xtask demo --lifeline PROGRAM ARGS...`, which
//!   starts the server and reads its own stdin, a pipe from us. The system closes that pipe
//!   when we end, however we end; the lifeline then reads end-of-file, kills the server and
//!   waits for it. Standard library only, and the same on Unix and Windows.

use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::progress::{self, cargo};
use crate::verify::discover_lessons;

/// How long a freshly started server has to print its `Listening on` line.
const LISTEN_DEADLINE: Duration = Duration::from_secs(10);
/// How long the lifeline gets to stop the server before it is killed itself.
const STOP_DEADLINE: Duration = Duration::from_secs(3);

/// What to run for one lesson.
struct Plan {
    /// The lesson whose reference solution is the server.
    server: u32,
    /// The lesson whose reference solution is the client.
    client: u32,
    udp: bool,
}

/// The programs fit together in pairs: the lesson 1 client talks to the TCP servers of
/// lessons 2 and 5, the lesson 3 client to the UDP server of lesson 4 (see SPEC.md).
fn plan(lesson: u32) -> Option<Plan> {
    let (server, client, udp) = match lesson {
        1 | 2 => (2, 1, false),
        3 | 4 => (4, 3, true),
        5 => (5, 1, false),
        _ => return None,
    };
    Some(Plan {
        server,
        client,
        udp,
    })
}

/// Runs `cargo xtask demo N [--port P]` (or, inside, `demo --lifeline ...`).
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(("--lifeline", rest)) = args.split_first().map(|(a, rest)| (a.as_str(), rest)) {
        return lifeline(rest);
    }
    let (lesson, port) = parse_options(args)?;
    let plan = plan(lesson).ok_or_else(|| {
        format!(
            "demo: no demo is planned for lesson {lesson} yet: add it to `plan` in \
             xtask/src/demo.rs (which reference server, which client, TCP or UDP)"
        )
    })?;
    let server_package = format!("lesson{}-solution", plan.server);
    let client_package = format!("lesson{}-solution", plan.client);
    println!(
        "demo: lesson {lesson}, {}",
        progress::describe_chapter(lesson)
    );
    println!("demo: building {server_package} and {client_package}");
    let program = build(&server_package, &client_package)?;

    let mut port_argument = port.to_string();
    loop {
        let mut server = Server::start(&program, &port_argument)?;
        let address = server.listening_address(&server_package)?;
        // Restarts keep the port, so the commands printed stay right.
        port_argument = address.port().to_string();
        print_commands(lesson, &plan, &server_package, address);
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

fn parse_options(args: &[String]) -> Result<(u32, u16), String> {
    let mut lesson = None;
    let mut port = 0;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" | "-p" => {
                let value = args
                    .next()
                    .ok_or("--port needs a number, e.g. --port 1234")?;
                port = value
                    .parse()
                    .map_err(|_| format!("--port {value}: not a port number (0 to 65535)"))?;
            }
            other if other.starts_with('-') => {
                return Err(format!("demo: unknown option `{other}`"));
            }
            other if lesson.is_none() => {
                lesson = Some(progress::parse_lesson(other, &discover_lessons()?)?);
            }
            other => return Err(format!("demo: one lesson at a time (`{other}` is extra)")),
        }
    }
    let lesson = lesson.ok_or("demo: which lesson? e.g. `cargo xtask demo 2 --port 1234`")?;
    Ok((lesson, port))
}

/// Builds both reference programs (so the client starts at once in the second terminal)
/// and returns the server's executable, as cargo reports it: that is right whatever the
/// target directory is.
fn build(server_package: &str, client_package: &str) -> Result<PathBuf, String> {
    let output = Command::new(cargo())
        .args([
            "build",
            "-p",
            server_package,
            "-p",
            client_package,
            "--message-format=json-render-diagnostics",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("could not start cargo: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "could not build {server_package} and {client_package} (cargo's messages are above)"
        ));
    }
    let messages = String::from_utf8_lossy(&output.stdout);
    messages
        .lines()
        .filter(|line| {
            line.contains("\"reason\":\"compiler-artifact\"")
                && line.contains(&format!("\"name\":\"{server_package}\""))
        })
        .find_map(executable)
        .ok_or_else(|| format!("cargo built {server_package} but did not say where its program is"))
}

/// The `"executable"` of one cargo JSON message: a JSON string, unescaped.
fn executable(message: &str) -> Option<PathBuf> {
    let start = message.find("\"executable\":\"")? + "\"executable\":\"".len();
    let mut path = String::new();
    let mut chars = message[start..].chars();
    loop {
        match chars.next()? {
            '"' => return Some(PathBuf::from(path)),
            '\\' => match chars.next()? {
                'n' => path.push('\n'),
                't' => path.push('\t'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    path.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => path.push(other), // `\\`, `\"`, `\/`
            },
            other => path.push(other),
        }
    }
}

fn print_commands(lesson: u32, plan: &Plan, server_package: &str, address: SocketAddr) {
    // A server listening on every address is reached locally through loopback.
    let ip = if address.ip().is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        address.ip()
    };
    let target = SocketAddr::new(ip, address.port());
    let port = address.port();
    let netcat = if plan.udp {
        format!("nc -u {ip} {port}")
    } else {
        format!("nc {ip} {port}")
    };
    let client = format!("cargo run -p lesson{}-solution -- {target}", plan.client);
    let learner = format!("cargo run -p lesson{} -- {target}", plan.client);
    let width = [&netcat, &client, &learner]
        .iter()
        .map(|command| command.len())
        .max()
        .unwrap_or(0);

    println!("\ndemo: {server_package} is listening on {address}.");
    if lesson == plan.client {
        println!(
            "Lesson {lesson}'s program is the client. In a second terminal, start it, type a \
             line or two, then STOP:"
        );
        println!("  {client:<width$}   the reference client");
        println!("  {learner:<width$}   a learner's own client");
        println!("Or play the client's part with netcat:");
        println!("  {netcat:<width$}   {}", netcat_note(plan));
    } else {
        println!("In a second terminal, talk to it with netcat or the reference client:");
        println!("  {netcat:<width$}   {}", netcat_note(plan));
        println!("  {client:<width$}   the lesson {} client", plan.client);
        if plan.server == 5 {
            println!("Open two or three of them at once: each client gets its own thread.");
        }
    }
    println!("Type STOP to end a session. Ctrl-C here stops the server and this demo.");
    println!("--- what the server prints:");
}

fn netcat_note(plan: &Plan) -> &'static str {
    if plan.udp {
        "each line is one datagram (replies have no newline)"
    } else {
        "type lines; Ctrl-C leaves"
    }
}

// ---------------------------------------------------------------------------------------
// The server, behind its lifeline

/// The running server (through its lifeline). Dropping it stops both.
struct Server {
    lifeline: Child,
    /// Our end of the lifeline's stdin: closing it tells the lifeline to stop the server.
    cord: Option<ChildStdin>,
    /// The server's stdout, line by line (ends when the server ends).
    lines: Receiver<String>,
}

impl Server {
    fn start(program: &PathBuf, port: &str) -> Result<Server, String> {
        let this = std::env::current_exe()
            .map_err(|err| format!("could not find this program to start the lifeline: {err}"))?;
        let mut lifeline = Command::new(this)
            .arg("demo")
            .arg("--lifeline")
            .arg(program)
            .arg(port)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|err| format!("could not start {}: {err}", program.display()))?;
        let cord = lifeline.stdin.take();
        let lines = forward_lines(lifeline.stdout.take());
        Ok(Server {
            lifeline,
            cord,
            lines,
        })
    }

    /// Waits for `Listening on <address>`, the first line of every server (SPEC.md).
    fn listening_address(&mut self, package: &str) -> Result<SocketAddr, String> {
        match self.lines.recv_timeout(LISTEN_DEADLINE) {
            Ok(line) => line
                .strip_prefix("Listening on ")
                .and_then(|address| address.trim().parse().ok())
                .ok_or_else(|| {
                    format!("{package} printed {line:?} first, not `Listening on <ip>:<port>`")
                }),
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "{package} printed no `Listening on` line within {} s",
                LISTEN_DEADLINE.as_secs()
            )),
            Err(RecvTimeoutError::Disconnected) => Err(format!(
                "{package} ended without printing its `Listening on` line ({}); its own \
                 message, if it printed one, is above",
                self.wait()
            )),
        }
    }

    /// Prints the server's lines until it ends; returns how it ended.
    fn stream_output(&mut self) -> String {
        while let Ok(line) = self.lines.recv() {
            println!("{line}");
        }
        self.wait()
    }

    fn wait(&mut self) -> String {
        match self.lifeline.wait() {
            Ok(status) => match status.code() {
                Some(code) => format!("status {code}"),
                None => "stopped by a signal".to_string(),
            },
            Err(err) => format!("could not wait for it: {err}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Cut the cord: the lifeline stops the server and ends. Only if it does not do so
        // in time is it killed (which would leave the server running: hence the wait).
        self.cord = None;
        let deadline = Instant::now() + STOP_DEADLINE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.lifeline.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.lifeline.kill();
        let _ = self.lifeline.wait();
    }
}

fn forward_lines(source: Option<impl Read + Send + 'static>) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    if let Some(source) = source {
        thread::spawn(move || {
            for line in BufReader::new(source).lines() {
                let Ok(line) = line else { return };
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
    }
    receiver
}

/// `demo --lifeline PROGRAM ARGS...`: runs PROGRAM until it ends or our stdin ends,
/// whichever comes first; in the second case PROGRAM is killed and waited for. Exits with
/// PROGRAM's status.
fn lifeline(args: &[String]) -> Result<(), String> {
    let (program, program_args) = args
        .split_first()
        .ok_or("demo --lifeline needs a program to run")?;
    let mut server = Command::new(program)
        .args(program_args)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|err| format!("could not start {program}: {err}"))?;

    let (cut, cord_cut) = mpsc::channel::<()>();
    thread::spawn(move || {
        // Nothing is ever sent on the cord: reading returns only at its end.
        let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
        let _ = cut.send(());
    });
    loop {
        match server.try_wait() {
            Ok(Some(status)) => std::process::exit(status.code().unwrap_or(1)),
            Ok(None) => {}
            Err(err) => {
                let _ = server.kill();
                let _ = server.wait();
                return Err(format!("could not wait for {program}: {err}"));
            }
        }
        match cord_cut.recv_timeout(Duration::from_millis(100)) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                let _ = server.kill();
                let _ = server.wait();
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_executable_comes_from_cargos_message() {
        let message = r#"{"reason":"compiler-artifact","target":{"name":"lesson2-solution"},"executable":"C:\\work\\target\\debug\\lesson2-solution.exe","fresh":true}"#;
        assert_eq!(
            executable(message),
            Some(PathBuf::from(r"C:\work\target\debug\lesson2-solution.exe"))
        );
        assert_eq!(executable(r#"{"executable":null}"#), None);
    }

    #[test]
    fn every_lesson_up_to_5_has_a_plan() {
        for lesson in 1..=5 {
            let plan = plan(lesson).expect("a plan");
            assert!(plan.server % 2 == 0 || plan.server == 5);
        }
        assert!(plan(6).is_none());
    }
}
