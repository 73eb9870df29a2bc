//! A program run to its end, with a timeout: its output collected ([`run`]) or written to a
//! log file ([`run_to_log`]).

use std::fs::File;
use std::io::{self, Write};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::{Spawned, Stream};

/// How long a killed program's output gets to arrive (its pipes close as it dies).
const SETTLE: Duration = Duration::from_secs(1);

/// A program that ran to its end, or was stopped at the deadline.
#[derive(Debug, Clone)]
pub struct Ran {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// `None` if it could not be waited for after it was killed.
    pub status: Option<ExitStatus>,
    /// It was still running at the deadline, so it was killed.
    pub timed_out: bool,
    pub elapsed: Duration,
}

/// Runs `command` with `stdin` as its whole input and waits at most `within` for it to end;
/// a program still running then is killed and `timed_out` is set.
pub fn run(command: &mut Command, stdin: &[u8], within: Duration) -> io::Result<Ran> {
    let started = Instant::now();
    let mut child = Spawned::start(command)?;
    // Written by a thread: a program that never reads its input must not block us on a
    // full pipe. Writing fails harmlessly if it exits first.
    let input = stdin.to_vec();
    let mut stdin_pipe = child.take_stdin();
    thread::spawn(move || {
        if let Some(pipe) = stdin_pipe.as_mut() {
            let _ = pipe.write_all(&input);
        }
    });
    let mut status = child.wait(within);
    let timed_out = status.is_none();
    if timed_out {
        child.kill();
        status = child.status();
    }
    child.wait_for_ends(&[Stream::Out, Stream::Err], SETTLE);
    Ok(Ran {
        stdout: child.output(Stream::Out),
        stderr: child.output(Stream::Err),
        status,
        timed_out,
        elapsed: started.elapsed(),
    })
}

/// How a program run to a log ended.
#[derive(Debug, Clone, Copy)]
pub struct Logged {
    /// `None`: it was still running at the deadline and was killed.
    pub status: Option<ExitStatus>,
    pub elapsed: Duration,
}

impl Logged {
    pub fn success(&self) -> bool {
        self.status.is_some_and(|status| status.success())
    }

    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }
}

/// Runs `command` with no input and its stdout and stderr appended to `log`, for at most
/// `within`; `tick` is called about every 100 ms with the time so far (to show progress).
///
/// Output goes to a file, not a pipe: nothing can block on a full pipe, or wait for the end
/// of output from a grandchild that outlives a killed child. At the deadline only the
/// child itself is killed, with `Child::kill`; a grandchild it started (a test binary under
/// cargo) runs on until its own deadlines end it, writing to the log. The log says so.
///
/// Deliberately not done: killing the child's whole process group with the `kill` program.
/// The `kill` of procps-ng 4.0 (Debian 12) turns `kill -KILL -PGID` into `kill(-1)`, which
/// kills every process the user may signal; as root, the whole machine.
pub fn run_to_log(
    command: &mut Command,
    log: &File,
    within: Duration,
    mut tick: impl FnMut(Duration),
) -> io::Result<Logged> {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log.try_clone()?)
        .spawn()?;
    loop {
        tick(started.elapsed());
        if let Some(status) = child.try_wait()? {
            return Ok(Logged {
                status: Some(status),
                elapsed: started.elapsed(),
            });
        }
        if started.elapsed() > within {
            let _ = child.kill();
            let _ = child.wait();
            let mut log = log;
            let _ = writeln!(log, "\nstopped after {} s", within.as_secs());
            return Ok(Logged {
                status: None,
                elapsed: started.elapsed(),
            });
        }
        thread::sleep(Duration::from_millis(100));
    }
}
