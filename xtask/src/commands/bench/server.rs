//! The server under test: started by the bench (a lesson's solution or any command), or
//! already running. A server the bench starts is stopped when it is dropped.

use std::fs::{self, File};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use process::{Capture, Spawned};

use super::files::RAISE_AND_EXEC;
use super::pin::Pinning;

/// How long a started server has to become ready.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How to get a server to measure, decided once before the runs.
pub(super) enum ServerSpec {
    /// A lesson's solution, built in release mode before its first start; `args` hold
    /// `{port}` where the port goes.
    Lesson {
        package: String,
        args: Vec<String>,
        program: Option<PathBuf>,
    },
    /// Start this program with these arguments; `{port}` is replaced by a free port.
    Command(Vec<String>),
    /// The Go original, built by `go build`: started as `PROGRAM {port}`.
    Go(PathBuf),
    /// Already running.
    Running(SocketAddr),
}

/// How every server of a run is started.
#[derive(Debug, Clone)]
pub(super) struct Launch {
    /// What `{idle}` becomes in a server's arguments.
    pub(super) idle_timeout: u64,
    /// The machine's CPUs (counted before the bench pinned itself to some of them).
    pub(super) cpus: usize,
    /// The CPU the server is pinned to, if any.
    pub(super) pinning: Option<Pinning>,
}

impl ServerSpec {
    pub(super) fn lesson(package: &str, args: Vec<String>) -> ServerSpec {
        ServerSpec::Lesson {
            package: package.to_string(),
            args,
            program: None,
        }
    }

    pub(super) fn command(words: Vec<String>) -> ServerSpec {
        ServerSpec::Command(words)
    }

    pub(super) fn label(&self) -> String {
        match self {
            ServerSpec::Lesson { package, .. } => package.clone(),
            ServerSpec::Command(words) => words.join(" "),
            ServerSpec::Go(_) => "Go concTCP".into(),
            ServerSpec::Running(address) => format!("the server at {address}"),
        }
    }

    /// The name in a table's heading or cell, as the book writes it: `lesson 7`, `Go`.
    pub(super) fn short_label(&self) -> String {
        match self {
            ServerSpec::Lesson { package, .. } => package
                .strip_suffix("-solution")
                .and_then(|name| name.strip_prefix("lesson"))
                .map_or_else(|| package.clone(), |number| format!("lesson {number}")),
            ServerSpec::Go(_) => "Go".into(),
            ServerSpec::Command(_) | ServerSpec::Running(_) => self.label(),
        }
    }

    /// Builds a lesson's solution (once) in release mode.
    pub(super) fn build(&mut self) -> Result<(), String> {
        if let ServerSpec::Lesson {
            package, program, ..
        } = self
            && program.is_none()
        {
            println!("bench: cargo build --release -p {package}");
            let built = xtask::cargo::build(&["build", "--quiet", "--release", "-p", package])?;
            let executable = built
                .into_iter()
                .find(|artifact| !artifact.test && artifact.target == *package)
                .ok_or_else(|| format!("cargo built {package} but did not say where it is"))?;
            *program = Some(executable.executable);
        }
        Ok(())
    }

    /// Whether the bench starts this server (and so can pin it and read its `/proc`).
    pub(super) fn started_here(&self) -> bool {
        !matches!(self, ServerSpec::Running(_))
    }

    pub(super) fn start(&self, udp: bool, launch: &Launch) -> Result<RunningServer, String> {
        let words: Vec<String> = match self {
            ServerSpec::Running(address) => {
                return Ok(RunningServer {
                    address: *address,
                    child: None,
                    stderr_path: None,
                });
            }
            ServerSpec::Lesson {
                package,
                args,
                program,
            } => {
                let program = program
                    .as_ref()
                    .ok_or_else(|| format!("{package} was not built"))?;
                std::iter::once(program.display().to_string())
                    .chain(args.iter().cloned())
                    .collect()
            }
            ServerSpec::Command(words) => words.clone(),
            ServerSpec::Go(program) => vec![program.display().to_string(), "{port}".into()],
        };
        let port = free_port(udp)?;
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let words: Vec<String> = words
            .iter()
            .map(|word| {
                word.replace("{port}", &port.to_string())
                    .replace("{idle}", &launch.idle_timeout.to_string())
            })
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
        let mut command = match (&launch.pinning, cfg!(unix)) {
            (Some(pinning), _) => {
                let prefix = pinning.server_prefix();
                let mut command = Command::new(&prefix[0]);
                command
                    .args(&prefix[1..])
                    .args(["sh", "-c", RAISE_AND_EXEC, program]);
                command
            }
            (None, true) => {
                let mut command = Command::new("sh");
                command.arg("-c").arg(RAISE_AND_EXEC).arg(program);
                command
            }
            (None, false) => Command::new(program),
        };
        // Its stdout goes nowhere: every server in the comparison prints each line it
        // receives, and a pipe that the bench had to drain would steal CPU from the
        // measurement.
        let child = Spawned::start_capturing(
            command.args(args).stdout(Stdio::null()).stderr(stderr),
            Capture::NONE,
        )
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
pub(super) struct RunningServer {
    pub(super) address: SocketAddr,
    child: Option<Spawned>,
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
                process::ports::tcp_listening(self.address.port()).unwrap_or_else(|| {
                    TcpStream::connect_timeout(&self.address, Duration::from_millis(200)).is_ok()
                })
            };
            if ready {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.status()
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
        self.child.as_ref().map(Spawned::id)
    }

    /// `(threads, peak RSS in KiB)` from `/proc/<pid>/status`.
    pub(super) fn threads_and_peak(&self) -> (Option<u64>, Option<u64>) {
        let status = self.proc_status();
        (
            status_field(&status, "Threads:"),
            status_field(&status, "VmHWM:"),
        )
    }

    /// `(threads, RSS now in KiB)` from `/proc/<pid>/status`.
    pub(super) fn threads_and_rss(&self) -> (Option<u64>, Option<u64>) {
        let status = self.proc_status();
        (
            status_field(&status, "Threads:"),
            status_field(&status, "VmRSS:"),
        )
    }

    fn proc_status(&self) -> String {
        self.pid()
            .and_then(|pid| fs::read_to_string(format!("/proc/{pid}/status")).ok())
            .unwrap_or_default()
    }

    /// Resident memory now (`VmRSS`) in KiB, from `/proc/<pid>/status`.
    pub(super) fn resident(&self) -> Option<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        let line = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))?;
        line.split_whitespace().next()?.parse().ok()
    }

    /// User plus system CPU time so far, in seconds, from `/proc/<pid>/stat`.
    pub(super) fn cpu_seconds(&self) -> Option<f64> {
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
    pub(super) fn report_stderr(&self) {
        let Some(path) = &self.stderr_path else {
            return;
        };
        let lines = fs::read_to_string(path)
            .map(|text| text.lines().count())
            .unwrap_or(0);
        if lines > 0 {
            let note = format!(
                "(the server printed {lines} line(s) on stderr, the last: {}; all in {})",
                self.stderr_tail(),
                path.display()
            );
            println!("{}", xtask::text::wrap(&note, 2, super::WIDTH));
        }
    }
}

/// The number after `name` in a `/proc/<pid>/status` text.
fn status_field(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse::<u64>().ok())
}

pub(super) fn target_dir() -> PathBuf {
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
