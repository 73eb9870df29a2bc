//! `cargo xtask bench`: a load generator for the lesson servers, or any line-protocol server.
//!
//! Two measurements, both over loopback only:
//!
//! - **request/reply** (the default): N connections, each in a thread of its own, send a line
//!   and wait for the reply line, again and again for D seconds. Reports replies per second,
//!   the 50th, 99th and 99.9th percentile of the round-trip time, and errors. With `--udp`,
//!   each of the N clients is a UDP socket sending one datagram and waiting for one back
//!   (lesson 4).
//! - **hold** (`--hold K`): opens K connections that stay idle, then makes every one of them do
//!   one round trip. Reports how many succeeded and how long connecting them all took. Then it
//!   closes them all and asks from one new connection: a counting server (lesson 5) that
//!   uncounts its clients answers `1`.
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
//! ## Open files
//!
//! Every connection is a file handle in the bench and one in the server. The usual limit
//! (`ulimit -n`, often 1024 by default) is far below `--hold 10000`, and Rust's standard
//! library has no call to raise it (`setrlimit` needs `unsafe` or a crate). So the limit is
//! raised the way a user would do it, by the shell: the server is started as
//! `sh -c 'ulimit -S -n <hard limit>; exec SERVER...'`, and when the bench itself needs more
//! handles than its own limit, it re-runs itself the same way, once. (Go programs raise their
//! own limit at start-up since Go 1.19; Rust programs keep the one they were given.) Only the
//! soft limit can be raised this way, up to the hard limit set by the system.
//!
//! ## The listen backlog
//!
//! A listening socket holds a queue of connections that the kernel has completed but the
//! program has not accepted yet. Rust's `TcpListener::bind` asks for 128 places; Go asks for
//! the system maximum (`/proc/sys/net/core/somaxconn`, 4096 on recent Linux). When the queue
//! is full, Linux drops new connection requests, and the client retries only after a second.
//! So the bench connects in waves of [`WAVE`], and ends each wave with a round trip on its
//! last connection: the server answers it only after accepting it, and accepts in order.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: cargo xtask bench [SERVER] [--connections N[,N...]] [--seconds D] [--udp] [--message TEXT]
       cargo xtask bench [SERVER] --hold K

SERVER is one of (default: --lesson 5):
  --lesson N            build lessonN-solution in release mode and start it
  --server-cmd \"CMD\"    start CMD (split at spaces); `{port}` in it becomes a free port
  --addr HOST:PORT      use a server that is already running on loopback

  --connections N,...   request/reply with N connections at once, for each N (default 10)
  --seconds D           how long each request/reply run lasts (default 5)
  --udp                 UDP request/reply: N sockets, one datagram each way (lesson 4)
  --message TEXT        the line (or datagram) sent (default \"hello\")
  --hold K              open K idle connections, then one round trip on each";

/// Connections opened before a round trip proves the server has accepted them all. Below
/// the 128 places of a Rust listener's queue.
const WAVE: usize = 100;
/// The longest a reply, a connection or a wave may take before it counts as an error.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a started server has to become ready.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// A reply line longer than this is an error, not a reason to fill the bench's memory.
const MAX_REPLY: u64 = 64 * 1024;
/// Set in the environment of the bench when it re-runs itself with a raised limit.
const RAISED_MARK: &str = "XTASK_BENCH_RAISED_NOFILE";
/// File handles the bench needs besides its connections (stdio, pipes, /proc files).
const SPARE_FILES: u64 = 64;
/// Each request/reply client thread needs little stack.
const CLIENT_STACK: usize = 256 * 1024;

/// Where the server comes from.
enum Target {
    Lesson(u32),
    Command(Vec<String>),
    Address(SocketAddr),
}

struct Options {
    target: Target,
    connections: Vec<usize>,
    seconds: f64,
    udp: bool,
    message: String,
    hold: Option<usize>,
}

/// Runs `cargo xtask bench ...` from the workspace root.
pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|arg| arg == "-h" || arg == "--help") {
        println!("{USAGE}");
        return Ok(());
    }
    let options = parse_options(args)?;
    let needed_files = match options.hold {
        Some(hold) => hold as u64,
        None => options.connections.iter().copied().max().unwrap_or(1) as u64,
    } + SPARE_FILES;
    if let Some(status) = rerun_with_more_files(needed_files)? {
        return status;
    }
    let server = ServerSpec::prepare(&options)?;
    let label = server.label();
    let protocol = if options.udp { "UDP" } else { "TCP" };
    println!("bench: {label}, {protocol}, loopback");
    match options.hold {
        Some(count) => {
            let mut running = server.start(options.udp)?;
            let result = hold(running.address, count, &options.message, &mut running);
            running.report_stderr();
            result
        }
        None => {
            println!(
                "{:>11} {:>11} {:>9} {:>9} {:>9} {:>7} {:>8} {:>10} {:>8} {:>10}",
                "connections",
                "replies/s",
                "p50",
                "p99",
                "p99.9",
                "errors",
                "threads",
                "peak RSS",
                "CPU s",
                "CPU/reply"
            );
            for &connections in &options.connections {
                // A fresh server for each level, so that one run's memory peak and CPU time
                // do not carry over into the next.
                let mut running = server.start(options.udp)?;
                let result = request_reply(&options, connections, &mut running);
                running.report_stderr();
                result?;
            }
            Ok(())
        }
    }
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        target: Target::Lesson(5),
        connections: vec![10],
        seconds: 5.0,
        udp: false,
        message: "hello".into(),
        hold: None,
    };
    let mut lesson_given = false;
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = |name: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value\n\n{USAGE}"))
        };
        match flag.as_str() {
            "--lesson" => {
                let number = value("--lesson")?;
                let number = number
                    .parse()
                    .map_err(|_| format!("--lesson {number}: not a lesson number"))?;
                options.target = Target::Lesson(number);
                lesson_given = true;
            }
            "--server-cmd" => {
                let command = value("--server-cmd")?;
                let words: Vec<String> = command.split_whitespace().map(String::from).collect();
                if !words.iter().any(|word| word.contains("{port}")) {
                    return Err(format!(
                        "--server-cmd \"{command}\": put `{{port}}` where the server takes its \
                         port, for example \"/tmp/concTCP {{port}}\""
                    ));
                }
                options.target = Target::Command(words);
            }
            "--addr" => options.target = Target::Address(loopback_address(&value("--addr")?)?),
            "--connections" => {
                let list = value("--connections")?;
                options.connections = list
                    .split(',')
                    .map(|n| n.trim().parse::<usize>().ok().filter(|&n| n > 0))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("--connections {list}: whole numbers above 0"))?;
            }
            "--seconds" => {
                let seconds = value("--seconds")?;
                options.seconds = seconds
                    .parse::<f64>()
                    .ok()
                    .filter(|s| (0.1..=600.0).contains(s))
                    .ok_or_else(|| format!("--seconds {seconds}: from 0.1 to 600"))?;
            }
            "--udp" => options.udp = true,
            "--message" => options.message = value("--message")?,
            "--hold" => {
                let count = value("--hold")?;
                options.hold = Some(
                    count
                        .parse::<usize>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("--hold {count}: a whole number above 0"))?,
                );
            }
            other => return Err(format!("unknown option `{other}`\n\n{USAGE}")),
        }
    }
    // Lesson 4 is the UDP server: benchmark it over UDP without being told.
    if lesson_given && matches!(options.target, Target::Lesson(4)) {
        options.udp = true;
    }
    if options.udp && options.hold.is_some() {
        return Err("--hold is for TCP: UDP has no connections to hold".into());
    }
    if options.message.contains('\n') {
        return Err("--message is one line: leave out the newline, the bench adds it".into());
    }
    Ok(options)
}

/// The bench opens thousands of connections: it only ever does that to this machine.
fn loopback_address(text: &str) -> Result<SocketAddr, String> {
    let addresses: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|error| format!("--addr {text}: {error}"))?
        .collect();
    addresses
        .into_iter()
        .find(|address| address.ip().is_loopback())
        .ok_or_else(|| format!("--addr {text}: the bench only targets loopback (127.0.0.1, ::1)"))
}

// ---------------------------------------------------------------------------------------
// Open files

/// The soft and hard limits on open files, from `/proc/self/limits` (Linux only).
fn open_files_limit() -> Option<(u64, u64)> {
    let limits = fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    let mut numbers = line["Max open files".len()..]
        .split_whitespace()
        .map(|word| word.parse::<u64>().unwrap_or(u64::MAX));
    Some((numbers.next()?, numbers.next()?))
}

/// If the bench needs more open files than its limit allows, runs itself again through
/// `sh -c 'ulimit ...'` and returns that run's result. `None`: carry on in this process.
fn rerun_with_more_files(needed: u64) -> Result<Option<Result<(), String>>, String> {
    let Some((soft, hard)) = open_files_limit() else {
        return Ok(None);
    };
    if soft >= needed {
        return Ok(None);
    }
    if std::env::var_os(RAISED_MARK).is_some() || soft >= hard {
        println!(
            "bench: note: at most {soft} open files (hard limit {hard}) for {needed} wanted; \
             connections beyond that fail with \"too many open files\""
        );
        return Ok(None);
    }
    let program =
        std::env::current_exe().map_err(|error| format!("could not find the bench: {error}"))?;
    println!("bench: raising the open-files limit from {soft} to {hard} (running again)");
    let status = Command::new("sh")
        .arg("-c")
        .arg(RAISE_AND_EXEC)
        .arg(program)
        .args(std::env::args_os().skip(1))
        .env(RAISED_MARK, "1")
        .status()
        .map_err(|error| format!("could not run sh: {error}"))?;
    Ok(Some(if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the bench, run again with more open files, ended with {status}"
        ))
    }))
}

/// Raises the soft limit on open files to the hard limit, then becomes the given program.
/// `$0` is the program, `"$@"` its arguments.
const RAISE_AND_EXEC: &str = "ulimit -S -n \"$(ulimit -H -n)\" 2>/dev/null; exec \"$0\" \"$@\"";

// ---------------------------------------------------------------------------------------
// The server under test

/// How to get a server to measure, decided once before the runs.
enum ServerSpec {
    /// Start this program with these arguments; `{port}` is replaced by a free port.
    Start { label: String, words: Vec<String> },
    /// Already running.
    Running(SocketAddr),
}

impl ServerSpec {
    fn prepare(options: &Options) -> Result<ServerSpec, String> {
        match &options.target {
            Target::Lesson(number) => {
                let package = format!("lesson{number}-solution");
                build_release(&package)?;
                let program = target_dir().join("release").join(&package);
                Ok(ServerSpec::Start {
                    label: package,
                    words: vec![program.display().to_string(), "127.0.0.1:{port}".into()],
                })
            }
            Target::Command(words) => Ok(ServerSpec::Start {
                label: words.join(" "),
                words: words.clone(),
            }),
            Target::Address(address) => Ok(ServerSpec::Running(*address)),
        }
    }

    fn label(&self) -> String {
        match self {
            ServerSpec::Start { label, .. } => label.clone(),
            ServerSpec::Running(address) => format!("the server at {address}"),
        }
    }

    fn start(&self, udp: bool) -> Result<RunningServer, String> {
        let words = match self {
            ServerSpec::Running(address) => {
                return Ok(RunningServer {
                    address: *address,
                    child: None,
                    stderr_path: None,
                });
            }
            ServerSpec::Start { words, .. } => words,
        };
        let port = free_port(udp)?;
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let words: Vec<String> = words
            .iter()
            .map(|word| word.replace("{port}", &port.to_string()))
            .collect();
        let Some((program, args)) = words.split_first() else {
            return Err("--server-cmd is empty".into());
        };
        let bench_dir = target_dir().join("bench");
        fs::create_dir_all(&bench_dir)
            .map_err(|error| format!("could not create {}: {error}", bench_dir.display()))?;
        let stderr_path = bench_dir.join("server-stderr.log");
        let stderr = File::create(&stderr_path)
            .map_err(|error| format!("could not create {}: {error}", stderr_path.display()))?;
        let mut command = if cfg!(unix) {
            let mut command = Command::new("sh");
            command.arg("-c").arg(RAISE_AND_EXEC).arg(program);
            command
        } else {
            Command::new(program)
        };
        let child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|error| format!("could not start {program}: {error}"))?;
        let mut server = RunningServer {
            address,
            child: Some(child),
            stderr_path: Some(stderr_path),
        };
        server.wait_until_ready(udp)?;
        Ok(server)
    }
}

/// A server being measured. If the bench started it, it is stopped when this is dropped.
struct RunningServer {
    address: SocketAddr,
    child: Option<Child>,
    stderr_path: Option<PathBuf>,
}

impl RunningServer {
    /// Waits until the server answers: a connection is accepted (TCP) or a datagram answered.
    fn wait_until_ready(&mut self, udp: bool) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let ready = if udp {
                udp_probe(self.address)
            } else {
                // Connecting to find out would be a client of its own: it would end a
                // one-client server (lesson 2) and stay counted forever by the Go original.
                // So ask the kernel's table of sockets instead, where there is one.
                tcp_listening(self.address.port()).unwrap_or_else(|| {
                    TcpStream::connect_timeout(&self.address, Duration::from_millis(200)).is_ok()
                })
            };
            if ready {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!(
                    "the server ended with {status} before it was ready: {}",
                    self.stderr_tail()
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the server did not answer on {} within {} s",
                    self.address,
                    START_TIMEOUT.as_secs()
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `(threads, peak RSS in KiB)` from `/proc/<pid>/status`.
    fn threads_and_peak(&self) -> (Option<u64>, Option<u64>) {
        let Some(status) = self
            .pid()
            .and_then(|pid| fs::read_to_string(format!("/proc/{pid}/status")).ok())
        else {
            return (None, None);
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|number| number.parse::<u64>().ok())
        };
        (field("Threads:"), field("VmHWM:"))
    }

    /// User plus system CPU time so far, in seconds, from `/proc/<pid>/stat`.
    fn cpu_seconds(&self) -> Option<f64> {
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.pid()?)).ok()?;
        // The command name, in parentheses, may hold spaces: count fields after it.
        let after_name = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        // Fields 14 and 15 of the line (utime, stime) are 12 and 13 after the name.
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        // Linux reports these in units of 1/100 s (USER_HZ) on every common platform.
        Some(ticks as f64 / 100.0)
    }

    fn stderr_tail(&self) -> String {
        let text = self
            .stderr_path
            .as_ref()
            .and_then(|path| fs::read_to_string(path).ok())
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(5)..].join(" / ");
        if tail.is_empty() {
            "(nothing on stderr)".into()
        } else {
            tail
        }
    }

    /// A server that complained during the run says so, in a line or two.
    fn report_stderr(&self) {
        let Some(path) = &self.stderr_path else {
            return;
        };
        let lines = fs::read_to_string(path)
            .map(|text| text.lines().count())
            .unwrap_or(0);
        if lines > 0 {
            println!(
                "  (the server printed {lines} line(s) on stderr, the last: {}; all in {})",
                self.stderr_tail(),
                path.display()
            );
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn build_release(package: &str) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    println!("bench: cargo build --release -p {package}");
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--release", "-p", package])
        .status()
        .map_err(|error| format!("could not run cargo: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo build --release -p {package} failed"))
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// A port nobody uses right now, and that no `bind(0)` on this machine is given meanwhile
/// (see `process::ports`): the server starts on it a moment later.
fn free_port(udp: bool) -> Result<u16, String> {
    let port = if udp {
        process::ports::unused_udp()
    } else {
        process::ports::unused_tcp()
    };
    port.map_err(|error| format!("could not find a free port: {error}"))
}

/// Whether some socket listens on this TCP port, from `/proc/net/tcp` and `/proc/net/tcp6`
/// (Linux only; `None` elsewhere). Each line there shows a local address as `IP:PORT` in
/// hexadecimal, then the remote address, then the state, `0A` for listening.
fn tcp_listening(port: u16) -> Option<bool> {
    let mut tables = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|path| fs::read_to_string(path).ok())
        .peekable();
    tables.peek()?;
    let wanted = format!(":{port:04X}");
    Some(tables.any(|table| {
        table.lines().skip(1).any(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            matches!(fields.as_slice(), [_, local, _, "0A", ..] if local.ends_with(&wanted))
        })
    }))
}

fn udp_probe(address: SocketAddr) -> bool {
    let Ok(socket) = UdpSocket::bind("127.0.0.1:0") else {
        return false;
    };
    let mut buffer = [0u8; 2048];
    socket.connect(address).is_ok()
        && socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .is_ok()
        && socket.send(b"ready?\n").is_ok()
        && socket.recv(&mut buffer).is_ok()
}

// ---------------------------------------------------------------------------------------
// Talking to the server

/// One TCP connection of the bench, with its own small reader. One file handle: replies
/// are read through the reader, lines are written through `&TcpStream` (`get_ref`).
struct Connection {
    reader: BufReader<TcpStream>,
    reply: Vec<u8>,
}

impl Connection {
    fn open(address: SocketAddr) -> std::io::Result<Connection> {
        let stream = TcpStream::connect_timeout(&address, REPLY_TIMEOUT)?;
        stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
        stream.set_write_timeout(Some(REPLY_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            reader: BufReader::with_capacity(256, stream),
            reply: Vec::new(),
        })
    }

    fn send(&mut self, line: &[u8]) -> std::io::Result<()> {
        self.reader.get_ref().write_all(line)
    }

    /// Reads one reply line; the end of the stream or a line without end is an error.
    fn receive(&mut self) -> std::io::Result<&[u8]> {
        self.reply.clear();
        let read = (&mut self.reader)
            .take(MAX_REPLY)
            .read_until(b'\n', &mut self.reply);
        if let Err(error) = read {
            let timed_out = matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut);
            return Err(if timed_out {
                std::io::Error::other("no reply in time")
            } else {
                error
            });
        }
        if self.reply.ends_with(b"\n") {
            Ok(&self.reply)
        } else if self.reply.is_empty() {
            Err(std::io::Error::other("the server closed the connection"))
        } else {
            Err(std::io::Error::other("a reply without its newline"))
        }
    }

    fn round_trip(&mut self, line: &[u8]) -> std::io::Result<()> {
        self.send(line)?;
        self.receive().map(|_| ())
    }
}

/// Opens `count` connections in waves of [`WAVE`], each wave closed by a round trip on its
/// last connection (see "The listen backlog" above). Stops at the first failure.
fn open_in_waves(
    address: SocketAddr,
    count: usize,
    line: &[u8],
) -> (Vec<Connection>, Option<String>) {
    let mut connections = Vec::with_capacity(count);
    while connections.len() < count {
        let wave = WAVE.min(count - connections.len());
        for _ in 0..wave {
            match Connection::open(address) {
                Ok(connection) => connections.push(connection),
                Err(error) => {
                    let opened = connections.len();
                    return (
                        connections,
                        Some(format!("connection {}: {error}", opened + 1)),
                    );
                }
            }
        }
        if let Some(last) = connections.last_mut()
            && let Err(error) = last.round_trip(line)
        {
            let opened = connections.len();
            return (
                connections,
                Some(format!("round trip on connection {opened}: {error}")),
            );
        }
    }
    (connections, None)
}

// ---------------------------------------------------------------------------------------
// Request/reply

/// What one client thread measured.
#[derive(Default)]
struct Tally {
    /// Round-trip times in nanoseconds.
    latencies: Vec<u64>,
    errors: u64,
}

fn request_reply(
    options: &Options,
    connections: usize,
    server: &mut RunningServer,
) -> Result<(), String> {
    let mut line = options.message.clone().into_bytes();
    if !options.udp {
        line.push(b'\n');
    }
    let duration = Duration::from_secs_f64(options.seconds);
    let start = Arc::new(Barrier::new(connections + 1));
    let mut clients = Vec::with_capacity(connections);
    let mut setup_errors = 0;
    if options.udp {
        for _ in 0..connections {
            let (start, line) = (Arc::clone(&start), line.clone());
            let address = server.address;
            clients.push(spawn_client(move || {
                udp_client(address, &line, &start, duration)
            })?);
        }
    } else {
        let (opened, problem) = open_in_waves(server.address, connections, &line);
        if let Some(problem) = problem {
            println!("  could not open all {connections} connections: {problem}");
            setup_errors = (connections - opened.len()) as u64;
        }
        // Threads that could not get a connection still meet at the start line.
        for _ in opened.len()..connections {
            let start = Arc::clone(&start);
            clients.push(spawn_client(move || {
                start.wait();
                Tally::default()
            })?);
        }
        for connection in opened {
            let (start, line) = (Arc::clone(&start), line.clone());
            clients.push(spawn_client(move || {
                tcp_client(connection, &line, &start, duration)
            })?);
        }
    }

    start.wait();
    let started = Instant::now();
    let cpu_before = server.cpu_seconds();
    // While the clients run, watch the server's thread count (the peak is what counts).
    let mut peak_threads = None;
    while started.elapsed() < duration {
        peak_threads = peak_threads.max(server.threads_and_peak().0);
        thread::sleep(Duration::from_millis(100));
    }
    let mut all = Tally {
        errors: setup_errors,
        ..Tally::default()
    };
    for client in clients {
        let tally = client
            .join()
            .map_err(|_| "a client thread of the bench panicked".to_string())?;
        all.latencies.extend(tally.latencies);
        all.errors += tally.errors;
    }
    let elapsed = started.elapsed();
    let cpu = match (cpu_before, server.cpu_seconds()) {
        (Some(before), Some(after)) => Some(after - before),
        _ => None,
    };
    let (_, peak_rss) = server.threads_and_peak();
    all.latencies.sort_unstable();
    // Server CPU time per reply: unlike replies per second, it hardly depends on what else
    // the machine is doing at the time.
    let replies = all.latencies.len();
    let cpu_per_reply = cpu.filter(|_| replies > 0).map_or("-".into(), |cpu| {
        format!("{:.1} µs", cpu * 1e6 / replies as f64)
    });
    println!(
        "{:>11} {:>11} {:>9} {:>9} {:>9} {:>7} {:>8} {:>10} {:>8} {:>10}",
        connections,
        format!("{:.0}", all.latencies.len() as f64 / elapsed.as_secs_f64()),
        micros(percentile(&all.latencies, 0.50)),
        micros(percentile(&all.latencies, 0.99)),
        micros(percentile(&all.latencies, 0.999)),
        all.errors,
        shown(peak_threads),
        peak_rss.map_or("-".into(), mebibytes),
        cpu.map_or("-".into(), |cpu| format!("{cpu:.2}")),
        cpu_per_reply,
    );
    Ok(())
}

fn spawn_client(
    work: impl FnOnce() -> Tally + Send + 'static,
) -> Result<thread::JoinHandle<Tally>, String> {
    thread::Builder::new()
        .stack_size(CLIENT_STACK)
        .spawn(work)
        .map_err(|error| format!("the bench could not start a client thread: {error}"))
}

/// One TCP client: round trips until the time is up or the connection fails.
fn tcp_client(
    mut connection: Connection,
    line: &[u8],
    start: &Barrier,
    duration: Duration,
) -> Tally {
    let mut tally = Tally::default();
    start.wait();
    let end = Instant::now() + duration;
    while Instant::now() < end {
        let sent = Instant::now();
        match connection.round_trip(line) {
            Ok(()) => tally.latencies.push(sent.elapsed().as_nanos() as u64),
            Err(_) => {
                // A connection that failed once is not used again: the error counts once.
                tally.errors += 1;
                break;
            }
        }
    }
    tally
}

/// One UDP client: a datagram out, a datagram back. A lost one counts as an error after
/// one second, and the client goes on.
fn udp_client(address: SocketAddr, datagram: &[u8], start: &Barrier, duration: Duration) -> Tally {
    let mut tally = Tally::default();
    let socket = UdpSocket::bind("127.0.0.1:0").and_then(|socket| {
        socket.connect(address)?;
        socket.set_read_timeout(Some(Duration::from_secs(1)))?;
        Ok(socket)
    });
    start.wait();
    let Ok(socket) = socket else {
        tally.errors += 1;
        return tally;
    };
    let mut buffer = vec![0u8; 65_536];
    let end = Instant::now() + duration;
    while Instant::now() < end {
        let sent = Instant::now();
        match socket.send(datagram).and_then(|_| socket.recv(&mut buffer)) {
            Ok(_) => tally.latencies.push(sent.elapsed().as_nanos() as u64),
            Err(_) => tally.errors += 1,
        }
    }
    tally
}

/// The value below which a share `q` of the sorted samples lie.
fn percentile(sorted: &[u64], q: f64) -> Option<u64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = ((q * sorted.len() as f64).ceil() as usize).saturating_sub(1);
    sorted.get(rank.min(last)).copied()
}

fn micros(nanos: Option<u64>) -> String {
    match nanos {
        None => "-".into(),
        Some(nanos) if nanos < 10_000_000 => format!("{} µs", nanos / 1000),
        Some(nanos) => format!("{} ms", nanos / 1_000_000),
    }
}

fn mebibytes(kibibytes: u64) -> String {
    format!("{:.1} MiB", kibibytes as f64 / 1024.0)
}

fn shown(value: Option<u64>) -> String {
    value.map_or("-".into(), |value| value.to_string())
}

// ---------------------------------------------------------------------------------------
// Holding many connections

fn hold(
    address: SocketAddr,
    count: usize,
    message: &str,
    server: &mut RunningServer,
) -> Result<(), String> {
    let line = format!("{message}\n").into_bytes();
    println!("holding {count} connections, opened in waves of {WAVE}");
    let started = Instant::now();
    let (mut connections, problem) = open_in_waves(address, count, &line);
    let connect_time = started.elapsed();
    let (threads, _) = server.threads_and_peak();
    println!(
        "  connected {} of {count} in {:.2} s{}",
        connections.len(),
        connect_time.as_secs_f64(),
        problem.map_or(String::new(), |problem| format!(" (stopped at {problem})"))
    );

    // Every connection asks at once; then the replies are collected one by one, all within
    // one deadline, so that a server that answers nobody costs seconds, not hours.
    let asked = Instant::now();
    let deadline = asked + REPLY_TIMEOUT;
    let sent: Vec<bool> = connections
        .iter_mut()
        .map(|connection| connection.send(&line).is_ok())
        .collect();
    let mut answered = 0;
    let mut first_reply = None;
    let mut last_reply = None;
    for (connection, was_sent) in connections.iter_mut().zip(sent) {
        let left = deadline.saturating_duration_since(Instant::now());
        // A zero timeout would mean "wait forever" to the system.
        let timeout = left.max(Duration::from_millis(1));
        if !was_sent
            || connection
                .reader
                .get_ref()
                .set_read_timeout(Some(timeout))
                .is_err()
        {
            continue;
        }
        if let Ok(reply) = connection.receive() {
            answered += 1;
            let reply = String::from_utf8_lossy(reply).trim_end().to_string();
            first_reply.get_or_insert_with(|| reply.clone());
            last_reply = Some(reply);
        }
    }
    let round_time = asked.elapsed();
    let (_, peak_rss) = server.threads_and_peak();
    println!(
        "  one round trip on each: {answered} of {} answered in {:.2} s (first reply {:?}, last {:?})",
        connections.len(),
        round_time.as_secs_f64(),
        first_reply.unwrap_or_default(),
        last_reply.unwrap_or_default()
    );
    println!(
        "  server: {} threads while holding, peak RSS {}, CPU {} s",
        shown(threads),
        peak_rss.map_or("-".into(), mebibytes),
        server
            .cpu_seconds()
            .map_or("-".into(), |cpu| format!("{cpu:.2}"))
    );
    drop(connections);
    println!("  {}", ask_after_all_closed(address, &line));
    Ok(())
}

/// After every connection is closed, one new client asks until it is told `1` (a counting
/// server needs a moment to notice thousands of closed connections), for at most
/// [`REPLY_TIMEOUT`]. Any other server's answer is shown as it is.
fn ask_after_all_closed(address: SocketAddr, line: &[u8]) -> String {
    let closed = Instant::now();
    let mut connection = match Connection::open(address) {
        Ok(connection) => connection,
        Err(error) => return format!("after closing them all, a new connection failed: {error}"),
    };
    let mut last = String::new();
    while closed.elapsed() < REPLY_TIMEOUT {
        match connection.round_trip(line) {
            Ok(()) => {
                last = String::from_utf8_lossy(&connection.reply)
                    .trim_end()
                    .to_string()
            }
            Err(error) => return format!("after closing them all, a new client got: {error}"),
        }
        if last == "1" {
            break;
        }
    }
    format!(
        "after closing them all, a new client was told {last:?} ({:.2} s after the close)",
        closed.elapsed().as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_sample_at_or_above_the_share() {
        let samples: Vec<u64> = (1..=1000).collect();
        assert_eq!(percentile(&samples, 0.5), Some(500));
        assert_eq!(percentile(&samples, 0.99), Some(990));
        assert_eq!(percentile(&samples, 0.999), Some(999));
        assert_eq!(percentile(&[7], 0.999), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn options_default_to_lesson_5_and_check_their_values() {
        let options = parse_options(&[]).expect("no arguments is fine");
        assert!(matches!(options.target, Target::Lesson(5)));
        assert_eq!(options.connections, [10]);
        let list = ["--connections".to_string(), "1,10,100".to_string()];
        assert_eq!(
            parse_options(&list).map(|o| o.connections).ok(),
            Some(vec![1, 10, 100])
        );
        let lesson4 = ["--lesson".to_string(), "4".to_string()];
        assert!(parse_options(&lesson4).is_ok_and(|o| o.udp));
        let no_port = ["--server-cmd".to_string(), "/tmp/concTCP".to_string()];
        assert!(parse_options(&no_port).is_err());
        let remote = ["--addr".to_string(), "192.0.2.1:80".to_string()];
        assert!(parse_options(&remote).is_err());
    }
}
