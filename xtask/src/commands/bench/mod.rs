//! `cargo xtask bench`: a load generator for the lesson servers, or any line-protocol server.
//!
//! Four measurements, all over loopback only:
//!
//! - **request/reply** (the default): N connections, each in a thread of its own, send a line
//!   and wait for the reply line, again and again for D seconds. Reports replies per second,
//!   the 50th, 99th and 99.9th percentile of the round-trip time, and errors. With `--udp`,
//!   each of the N clients is a UDP socket sending one datagram and waiting for one back
//!   (lesson 4).
//! - **hold** (`--hold K`): opens K connections that stay idle, then makes every one of them do
//!   one round trip. Reports how many succeeded and how long connecting them all took. Then it
//!   closes them all and asks from one new connection: a counting server (lesson 5) that
//!   uncounts its clients answers `1`. Meanwhile it watches the server's CPU for two seconds
//!   while every connection is idle: a server that polls its idle connections pays for it.
//!   And what one connection costs the server in memory, idle and after its round trip: the
//!   growth of its resident memory (`VmRSS`) since before the first, per connection.
//!   Beyond the local ports of one address (about 28,000), it connects from 127.0.0.1,
//!   127.0.0.2, ... on Linux, or from as many as `--sources N` says (see [`sources`]).
//! - **slowloris** (`--slowloris N`): N connections each send one byte of a line and then
//!   nothing, while one more asks every 10 ms; each second, that client's latency and the
//!   stalled connections the server still holds (see [`slowloris`]).
//! - **fan-out** (`--fan-out`): a chat room of N clients speaking lesson 8's protocol, one
//!   sender or all sending: lines delivered per second, delivery latency, and the server's
//!   memory with clients that never read (see [`fan_out`]).
//!
//! `--compare 5,6,go` runs the chosen measurement against several servers, one after the
//! other, and prints one Markdown table with the conditions of the run (see [`compare`]);
//! `go` is the Go original, built from the guide's `concTCP.go` when it and `go` are there
//! ([`go`]). A server the bench starts is pinned to CPU 0 and the bench to the others
//! ([`pin`]), and `{idle}` in a lesson's `bench_args` becomes `--idle-timeout`.
//!
//! When the bench starts the server itself (`--lesson N` or `--server-cmd`), it also reports
//! the server's peak memory (`VmHWM`), its thread count and its CPU time, read from
//! `/proc/<pid>/status` and `/proc/<pid>/stat` (Linux only; elsewhere they show as `-`).
//!
//! ## Starting the server
//!
//! The bench picks a free port itself (outside the range the system hands out for port 0,
//! so nothing else is given it meanwhile) and passes
//! `127.0.0.1:PORT` to a lesson's solution, or puts the port where `{port}` appears in
//! `--server-cmd`. The server's stdout goes to `/dev/null` (every server in the comparison
//! prints each line it receives, and a pipe that the bench had to drain would steal CPU from
//! the measurement); its stderr goes to a file under `target/bench/`. A TCP server is ready
//! once the kernel lists a listening socket on that port (`/proc/net/tcp`; elsewhere, once a
//! connection succeeds), a UDP server once it answers a datagram. The Go original prints no
//! `Listening on` line, so this works for every server, and no test connection is left
//! behind in a server's count.
//!
//! The open-files limit, which `--hold 10000` needs raised, is dealt with in [`files`], and
//! the hard limit, which the bench cannot raise, is named there; the local ports in
//! [`sources`].
//!
//! ## The listen backlog
//!
//! A listening socket holds a queue of connections that the kernel has completed but the
//! program has not accepted yet. Rust's `TcpListener::bind` asks for 128 places; Go asks for
//! the system maximum (`/proc/sys/net/core/somaxconn`, 4096 on recent Linux). When the queue
//! is full, Linux drops new connection requests, and the client retries only after a second.
//! So the bench connects in waves of [`WAVE`], and ends each wave with a round trip on its
//! last connection: the server answers it only after accepting it, and accepts in order.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use course::{Course, Role, Transport};
use xtask::Error;

use crate::flags::{self, BenchServer, Contender};

mod compare;
mod connection;
mod fan_out;
mod files;
mod go;
mod hold;
mod pin;
mod request_reply;
mod server;
mod slowloris;
mod sources;

use server::{Launch, ServerSpec};

/// Connections opened before a round trip proves the server has accepted them all. Below
/// the 128 places of a Rust listener's queue.
const WAVE: usize = 100;
/// The longest a reply, a connection or a wave may take before it counts as an error.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// File handles the bench needs besides its connections (stdio, pipes, /proc files).
const SPARE_FILES: u64 = 64;
/// Columns that every line the bench prints fits, so that a terminal projected at a size the
/// back of a room can read shows it whole (`--fan-out`'s table keeps to 60, a pane's width).
const WIDTH: usize = 100;
/// The room sizes of `--fan-out` when `--connections` is not given.
const FAN_OUT_SIZES: [usize; 3] = [10, 100, 1000];
/// The idle timeout (`{idle}` in a lesson's bench_args): short for slowloris, to see the
/// deadline within the run; long for hold, so that no held connection is cut while the
/// others connect; SPEC.md's default otherwise.
const SLOWLORIS_IDLE: u64 = 5;
const HOLD_IDLE: u64 = 3600;
const IDLE: u64 = 60;

/// What to measure, with the defaults of `course.toml`'s `[bench]` filled in.
struct Options {
    /// One server, or several side by side (`--compare`).
    servers: Vec<ServerSpec>,
    compare: bool,
    connections: Vec<usize>,
    seconds: f64,
    udp: bool,
    message: String,
    scenario: Scenario,
    rounds: u32,
    idle_timeout: u64,
    /// `--sources N`: hold's connections from N source addresses.
    sources: Option<usize>,
}

/// What the connections do.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scenario {
    /// Each sends a line and waits for the reply, again and again.
    RequestReply,
    /// K idle connections, then one round trip on each.
    Hold(usize),
    /// N connections stall mid-line while one more keeps asking.
    Slowloris(usize),
}

/// Runs `cargo xtask bench ...` from the workspace root.
pub fn run(args: &flags::Bench) -> Result<(), Error> {
    let course = xtask::load_course()?;
    if args.fan_out {
        return fan_out(&course, args);
    }
    // The most connections open at once (the slowloris run's polite client is one more).
    let connections = match (args.hold, args.slowloris) {
        (Some(count), _) | (None, Some(count)) => count + 1,
        (None, None) => args
            .connections
            .as_ref()
            .unwrap_or(&course.bench.connections)
            .iter()
            .copied()
            .max()
            .unwrap_or(1),
    };
    let needed_files = connections as u64 + SPARE_FILES;
    if let Some(status) = files::rerun_with_more_files(needed_files)? {
        return Ok(status?);
    }
    // Hold's connections are spread over source addresses; it says what it does itself.
    let port_note = match args.hold {
        None => sources::port_note(connections, sources::local_ports()),
        Some(_) => None,
    };
    for note in files::limit_note(needed_files).into_iter().chain(port_note) {
        println!("{note}");
    }
    let mut options = options(&course, args)?;
    for server in &mut options.servers {
        server.build()?;
    }
    let started_here = options.servers.iter().all(ServerSpec::started_here);
    let launch = Launch {
        idle_timeout: options.idle_timeout,
        cpus: std::thread::available_parallelism().map_or(0, usize::from),
        pinning: pin::pin_bench(started_here && !args.no_pin),
    };
    let labels: Vec<String> = options.servers.iter().map(ServerSpec::label).collect();
    let protocol = if options.udp { "UDP" } else { "TCP" };
    println!("bench: {}, {protocol}, loopback", labels.join(" | "));
    let answered = match (options.scenario, options.compare) {
        (Scenario::Hold(count), true) => compare::hold(&options, &launch, count)?,
        (Scenario::Slowloris(count), _) => compare::slowloris(&options, &launch, count)?,
        (Scenario::RequestReply, true) => compare::request_reply(&options, &launch)?,
        (Scenario::Hold(count), false) => {
            let mut running = options.servers[0].start(options.udp, &launch)?;
            let result = hold::hold(
                running.address,
                count,
                options.sources,
                &options.message,
                &mut running,
            );
            running.report_stderr();
            result?.answered
        }
        (Scenario::RequestReply, false) => {
            request_reply::print_header();
            let mut answered = 0;
            for &connections in &options.connections {
                // A fresh server for each level, so that one run's memory peak and CPU time
                // do not carry over into the next.
                let mut running = options.servers[0].start(options.udp, &launch)?;
                let result = request_reply::run(&options, connections, &mut running);
                running.report_stderr();
                let row = result?;
                row.print();
                answered += row.replies;
            }
            answered
        }
    };
    if answered == 0 {
        return Err(format!(
            "no request got a reply from {}: is it the right server, and does it answer \
             every line?",
            labels.join(" or ")
        )
        .into());
    }
    Ok(())
}

/// `cargo xtask bench --fan-out`: the chat server (lesson 8's, unless another is named).
fn fan_out(course: &Course, args: &flags::Bench) -> Result<(), Error> {
    let sizes = args
        .connections
        .clone()
        .unwrap_or_else(|| FAN_OUT_SIZES.to_vec());
    let largest = sizes.iter().copied().max().unwrap_or(1) as u64;
    // Each client is one handle in the bench, and its clone for the listener another.
    let needed_files = 2 * largest + SPARE_FILES;
    if let Some(status) = files::rerun_with_more_files(needed_files)? {
        return Ok(status?);
    }
    let port_note = sources::port_note(largest as usize, sources::local_ports());
    for note in files::limit_note(needed_files).into_iter().chain(port_note) {
        println!("{note}");
    }
    let mut server = match &args.server {
        None => lesson_server(course, course.bench.chat_lesson)?.0,
        Some(BenchServer::Lesson(number)) => lesson_server(course, *number)?.0,
        Some(BenchServer::Command(words)) => ServerSpec::command(words.clone()),
        Some(BenchServer::Address(text)) => {
            ServerSpec::Running(loopback_address(text).map_err(Error::Usage)?)
        }
        Some(BenchServer::Compare(_)) => {
            return Err(Error::Usage(
                "bench: --fan-out measures one chat server: name it with --lesson, \
                 --server-cmd or --addr, not --compare"
                    .into(),
            ));
        }
    };
    server.build()?;
    let launch = Launch {
        idle_timeout: args.idle_timeout.unwrap_or(IDLE),
        cpus: std::thread::available_parallelism().map_or(0, usize::from),
        pinning: pin::pin_bench(server.started_here() && !args.no_pin),
    };
    println!("bench: {}, chat room over TCP, loopback", server.label());
    let bench = fan_out::FanOut {
        server: &server,
        launch: &launch,
        seconds: args.seconds.unwrap_or(f64::from(course.bench.seconds)),
    };
    if fan_out::run(&bench, &sizes)? == 0 {
        return Err(format!(
            "no line reached anyone through {}: is it a chat server (lesson 8's protocol)?",
            server.label()
        )
        .into());
    }
    Ok(())
}

/// The command line's choices, or course.toml's defaults where it made none.
fn options(course: &Course, args: &flags::Bench) -> Result<Options, Error> {
    let defaults = &course.bench;
    let (servers, udp) = match &args.server {
        None => lesson_server(course, defaults.lesson).map(|(s, udp)| (vec![s], udp))?,
        Some(BenchServer::Lesson(number)) => {
            lesson_server(course, *number).map(|(s, udp)| (vec![s], udp))?
        }
        Some(BenchServer::Command(words)) => (vec![ServerSpec::command(words.clone())], args.udp),
        Some(BenchServer::Address(text)) => (
            vec![ServerSpec::Running(
                loopback_address(text).map_err(Error::Usage)?,
            )],
            args.udp,
        ),
        Some(BenchServer::Compare(contenders)) => compared_servers(course, contenders)?,
    };
    let udp = udp || args.udp;
    if udp && (args.hold.is_some() || args.slowloris.is_some()) {
        return Err(Error::Usage(
            "bench: --hold and --slowloris are for TCP: UDP has no connections".into(),
        ));
    }
    let scenario = match (args.hold, args.slowloris) {
        (Some(count), _) => Scenario::Hold(count),
        (None, Some(count)) => Scenario::Slowloris(count),
        (None, None) => Scenario::RequestReply,
    };
    let idle_timeout = args.idle_timeout.unwrap_or(match scenario {
        Scenario::Slowloris(_) => SLOWLORIS_IDLE,
        Scenario::Hold(_) => HOLD_IDLE,
        Scenario::RequestReply => IDLE,
    });
    // A slowloris run lasts past the deadline, long enough to see what follows it.
    let seconds = match (args.seconds, scenario) {
        (Some(seconds), _) => seconds,
        (None, Scenario::Slowloris(_)) => (idle_timeout + 5) as f64,
        (None, _) => f64::from(defaults.seconds),
    };
    Ok(Options {
        compare: servers.len() > 1,
        servers,
        connections: args
            .connections
            .clone()
            .unwrap_or_else(|| defaults.connections.clone()),
        seconds,
        udp,
        message: args
            .message
            .clone()
            .unwrap_or_else(|| defaults.message.clone()),
        scenario,
        rounds: args.rounds.unwrap_or(1),
        idle_timeout,
        sources: args.sources,
    })
}

/// The servers of `--compare`, in the order given. The Go original is left out, with a
/// note, where it cannot be built; lessons must be TCP servers.
fn compared_servers(
    course: &Course,
    contenders: &[Contender],
) -> Result<(Vec<ServerSpec>, bool), Error> {
    let mut servers = Vec::new();
    for contender in contenders {
        match contender {
            Contender::Lesson(number) => {
                let (server, udp) = lesson_server(course, *number)?;
                if udp {
                    return Err(Error::Usage(format!(
                        "bench: --compare is for TCP servers; lesson {number} is UDP"
                    )));
                }
                servers.push(server);
            }
            Contender::Go => match go::build(&course.root, &server::target_dir().join("bench")) {
                Ok(program) => servers.push(ServerSpec::Go(program)),
                Err(why) => println!("bench: leaving the Go original out: {why}"),
            },
        }
    }
    if servers.is_empty() {
        return Err("bench: no server left to measure".to_string().into());
    }
    Ok((servers, false))
}

/// A lesson's solution as the server, over the lesson's own transport.
fn lesson_server(course: &Course, number: u32) -> Result<(ServerSpec, bool), Error> {
    let lesson = xtask::lesson(course, number)?;
    if lesson.role != Role::Server {
        return Err(Error::Usage(format!(
            "bench: lesson {number} is a client; name a server lesson"
        )));
    }
    let args = lesson.bench_arguments(&course.bench).to_vec();
    Ok((
        ServerSpec::lesson(&lesson.solution.name, args),
        lesson.transport == Transport::Udp,
    ))
}

/// The bench opens thousands of connections: it only ever does that to this machine.
fn loopback_address(text: &str) -> Result<SocketAddr, String> {
    let addresses: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|error| format!("bench: --addr {text}: {error}"))?
        .collect();
    addresses
        .into_iter()
        .find(|address| address.ip().is_loopback())
        .ok_or_else(|| {
            format!("bench: --addr {text}: the bench only targets loopback (127.0.0.1, ::1)")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options_for(line: &str) -> Result<Options, Error> {
        let course = xtask::load_course().expect("course.toml loads");
        let words: Vec<String> = format!("bench {line}")
            .split_whitespace()
            .map(String::from)
            .collect();
        let Ok(flags::Task::Bench(args)) = flags::parse(&words) else {
            panic!("`bench {line}` parses");
        };
        options(&course, &args)
    }

    #[test]
    fn options_default_to_course_toml_and_follow_the_lesson() {
        let course = xtask::load_course().expect("course.toml loads");
        let defaults = options_for("").expect("no arguments is fine");
        assert_eq!(defaults.connections, course.bench.connections);
        assert!(defaults.servers[0].label().contains("solution"));
        assert!(!defaults.compare);
        let list = options_for("--connections 1,10,100")
            .ok()
            .map(|o| o.connections);
        assert_eq!(list, Some(vec![1, 10, 100]));
        let udp_lesson = course
            .lessons
            .iter()
            .find(|l| l.role == Role::Server && l.transport == Transport::Udp)
            .expect("a UDP server lesson");
        let udp = options_for(&format!("--lesson {}", udp_lesson.number));
        assert!(udp.is_ok_and(|o| o.udp));
        let client = course
            .lessons
            .iter()
            .find(|l| l.role == Role::Client)
            .expect("a client");
        assert!(options_for(&format!("--lesson {}", client.number)).is_err());
        assert!(options_for("--addr 192.0.2.1:80").is_err());
    }
}
