//! `cargo xtask demo N [--port P] [--wire] [--tmux] [--room]`: a live demonstration of
//! lesson N that survives a projector.
//!
//! It builds the reference programs the lesson needs, starts the reference server (for a
//! client lesson, the server its client talks to: lesson 2's for lesson 1, lesson 4's for
//! lesson 3) on a port of its own, and puts a small relay in front of it on port 1234
//! ([`relay`], [`datagrams`]). Clients connect to 1234; the relay passes everything on and
//! narrates it beside the server's own output ([`narrate`]). It prints the commands to type
//! in the other terminals ([`banner`]). When the server ends (the lesson 2 server serves one
//! client), Enter starts it again, and port 1234 has stayed the same all along.
//!
//! - `--wire` shows the exact bytes each way.
//! - `--tmux` opens the panes in tmux ([`tmux`]).
//! - `--room` listens on every address and prints what students type ([`room`]).
//! - `cargo xtask demo race` compiles the Go server's data race in Rust ([`race`]).
//!
//! # Nothing is left running
//!
//! - Ctrl-C reaches every process: the terminal sends it to the whole foreground process
//!   group, and everything started here stays in that group.
//! - On a normal end or an error, the server is stopped when it is dropped.
//! - If this process is killed on its own (`kill PID`, a closed IDE panel), the server's
//!   lifeline stops it (see `process::lifeline`); the relay is a thread of this process.

use std::ffi::OsString;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use process::lifeline::Lifeline;
use process::{Capture, Stream, Waited};
use xtask::Error;

use crate::flags::{self, DemoSubject};

mod banner;
mod datagrams;
mod keyboard;
mod narrate;
mod plan;
mod race;
mod relay;
mod room;
mod tmux;

use keyboard::Keyboard;
use narrate::{Narrator, show};
use plan::Plan;
use relay::Upstream;

/// How long a freshly started server has to print its `Listening on` line.
const LISTEN_DEADLINE: Duration = Duration::from_secs(10);

/// Runs `cargo xtask demo ...`.
pub fn run(args: &flags::Demo) -> Result<(), Error> {
    let number = match args.subject {
        DemoSubject::Race => return race::run(),
        DemoSubject::Lesson(number) => number,
    };
    let course = xtask::load_course()?;
    let lesson = xtask::lesson(&course, number)?;
    let plan = Plan::new(&course, lesson)?;
    if args.tmux {
        return tmux::open(&plan, args, &course.root);
    }
    live(&plan, args)
}

/// The demo itself: build, relay, server, banner, and the server's output until Ctrl-C.
fn live(plan: &Plan, args: &flags::Demo) -> Result<(), Error> {
    let server_package = &plan.server.solution.name;
    let mut packages = vec![server_package.as_str()];
    if let Some(client) = plan.client {
        packages.push(&client.solution.name);
    }
    show(&format!(
        "demo: lesson {}, {}\n  ({})\n",
        plan.lesson.number,
        plan.lesson.title,
        plan.lesson.chapter.display()
    ));

    // The port first: if it is taken, say so before a build that may take a while. Until
    // the server runs, a client that connects is told there is none.
    let narrator = Arc::new(Narrator::new(args.wire));
    let upstream = Arc::new(Upstream::default());
    let listen_on = if args.room {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    };
    start_relay(
        plan,
        SocketAddr::new(listen_on, args.port),
        &upstream,
        &narrator,
    )?;

    show(&format!("demo: building {}\n", packages.join(" and ")));
    let program = build(&packages, server_package)?;
    let room = args.room.then(room::lan_addresses);
    let keyboard = Keyboard::start();

    let mut first = true;
    loop {
        let mut server = Server::start(&program, &server_arguments(plan))?;
        // From here on, a line typed in this pane is not an answer to anything.
        keyboard.server_running(true);
        let address = server.listening_address(server_package)?;
        upstream.set(Some(address));
        if first {
            let setting = banner::Setting {
                plan,
                port: args.port,
                server: address,
                wire: args.wire,
                room: room.clone(),
            };
            for line in banner::banner(&setting) {
                show(&format!("{line}\n"));
            }
            first = false;
        } else {
            show(&format!(
                "demo: running again behind port {} ({address})\n",
                args.port
            ));
        }
        let status = server.stream_output();
        keyboard.server_running(false);
        upstream.set(None);
        drop(server);
        show(&format!("---\ndemo: the server ended ({status}).\n"));
        if args.room {
            // A room keeps its address: one student's STOP must not end it for everyone.
            show("demo: starting it again (Ctrl-C ends the demo)\n");
            continue;
        }
        // The moment before the question shows: a line typed after it answers it.
        let asked = Instant::now();
        show(&format!(
            "Enter starts it again on port {}; Ctrl-C ends the demo.\n",
            args.port
        ));
        if !keyboard.enter_after(asked) {
            return Ok(());
        }
    }
}

/// Binds the demo's port and starts relaying to whichever server runs behind it.
fn start_relay(
    plan: &Plan,
    address: SocketAddr,
    upstream: &Arc<Upstream>,
    narrator: &Arc<Narrator>,
) -> Result<(), String> {
    let taken = |error: io::Error| port_problem(address, &error);
    if plan.udp() {
        let socket = UdpSocket::bind(address).map_err(taken)?;
        datagrams::start_udp(socket, Arc::clone(upstream), Arc::clone(narrator));
    } else {
        let listener = TcpListener::bind(address).map_err(taken)?;
        relay::start_tcp(listener, Arc::clone(upstream), Arc::clone(narrator));
    }
    Ok(())
}

/// The one line that says why the demo's port cannot be had, and what to do.
fn port_problem(address: SocketAddr, error: &io::Error) -> String {
    let port = address.port();
    match error.kind() {
        // Short enough for a projected pane, with the `error: ` in front.
        io::ErrorKind::AddrInUse => {
            format!("port {port} is taken: stop what uses it, or --port P")
        }
        io::ErrorKind::PermissionDenied => {
            format!("port {port} is not allowed here: --port 1024 or above")
        }
        _ => format!("could not listen on {address}: {error}"),
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

/// The server's arguments: its `demo_args` from course.toml (options such as
/// `--max-clients 3`, chosen so that a class sees what the lesson is about), then port 0,
/// on 127.0.0.1 behind the relay.
fn server_arguments(plan: &Plan) -> Vec<OsString> {
    plan.server
        .demo_args
        .iter()
        .map(OsString::from)
        .chain([OsString::from("0")])
        .collect()
}

/// The running server, behind its lifeline. Dropping it stops both.
struct Server {
    lifeline: Lifeline,
}

impl Server {
    /// Starts the server with `args` ([`server_arguments`]: on a port the system picks).
    fn start(program: &OsString, args: &[OsString]) -> Result<Server, String> {
        let lifeline = Lifeline::start(program, args, Capture::STDOUT)
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
                Ok(line) => show(&String::from_utf8_lossy(&line)),
                Err(Waited::TimedOut) => {}
                Err(Waited::Ended) => break,
            }
        }
        let rest = spawned.take_unread(Stream::Out);
        show(&String::from_utf8_lossy(&rest));
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
    fn a_taken_port_is_one_line_that_says_what_to_do() {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, 1234));
        let taken = port_problem(address, &io::Error::from(io::ErrorKind::AddrInUse));
        assert!(taken.contains("port 1234 is taken") && taken.contains("--port P"));
        let denied = port_problem(address, &io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(denied.contains("1024 or above"), "{denied}");
        for line in [taken, denied] {
            assert!(!line.contains("  "), "{line}");
            // As printed: `error: ` and the line, for the largest port.
            let widest = format!("error: {line}").replace("1234", "65535");
            assert!(widest.len() <= banner::WIDTH, "{widest}");
        }
    }

    /// `cargo xtask demo 6` starts the protected server with a cap and a timeout small
    /// enough for a class to see within a minute (course.toml's `demo_args`), its options
    /// before the port; a lesson without `demo_args` gets port 0 alone.
    #[test]
    fn the_server_gets_its_demo_args_before_port_zero() {
        let course = xtask::load_course().expect("course.toml loads");
        let arguments = |number: u32| {
            let lesson = course.lesson(number).expect("the lesson is in course.toml");
            let plan = Plan::new(&course, lesson).expect("a plan");
            server_arguments(&plan)
        };
        assert_eq!(
            arguments(6),
            ["--max-clients", "3", "--idle-timeout", "10", "0"].map(OsString::from)
        );
        assert_eq!(arguments(5), [OsString::from("0")]);
        // A client lesson's demo starts its peer, with the peer's options.
        assert_eq!(arguments(1), [OsString::from("0")]);
    }
}
