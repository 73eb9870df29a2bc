//! A child that ends when we end, however we end.
//!
//! A [`Spawned`] child is killed when it is dropped, and Ctrl-C reaches every process of the
//! terminal's foreground group. But a process killed on its own (`kill PID`, a closed IDE
//! panel, the task manager) runs no destructor, and its children live on: a server holding
//! its port, `mdbook serve` holding port 3000.
//!
//! So such a child is not started directly but through a *lifeline*: this same program, run
//! as `PROGRAM lifeline CHILD ARGS...`, which starts the child and reads its own stdin, a
//! pipe from us. The system closes that pipe when we end, however we end; the lifeline then
//! reads end-of-file, kills the child and waits for it. Standard library only, and the same
//! on Unix and Windows.
//!
//! A program that uses [`Lifeline::start`] must answer its first argument [`COMMAND`] by
//! calling [`serve`] with the arguments after it.

use std::ffi::OsString;
use std::io;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::{Capture, Spawned};

/// The first argument that makes a program act as a lifeline.
pub const COMMAND: &str = "lifeline";

/// How long the lifeline gets to stop its child before it is killed itself.
const STOP_DEADLINE: Duration = Duration::from_secs(3);

/// A child behind its lifeline. Dropping it stops both.
pub struct Lifeline {
    spawned: Spawned,
}

impl Lifeline {
    /// Starts `program` with `args` behind a lifeline; the outputs in `capture` are read
    /// through [`Lifeline::spawned`], the others go to our own.
    pub fn start(program: &OsString, args: &[OsString], capture: Capture) -> io::Result<Lifeline> {
        let this = std::env::current_exe()?;
        let spawned = Spawned::start_capturing(
            Command::new(this).arg(COMMAND).arg(program).args(args),
            capture,
        )?;
        Ok(Lifeline { spawned })
    }

    /// The lifeline process: its output is the child's.
    pub fn spawned(&mut self) -> &mut Spawned {
        &mut self.spawned
    }

    /// Waits until the child ends by itself.
    pub fn wait_forever(&mut self) -> io::Result<ExitStatus> {
        self.spawned.wait_forever()
    }
}

impl Drop for Lifeline {
    fn drop(&mut self) {
        // Cut the cord: the lifeline stops the child and ends. Only if it does not do so in
        // time is it killed (by `Spawned`'s own drop), which would leave the child running:
        // hence the wait.
        self.spawned.close_stdin();
        self.spawned.wait(STOP_DEADLINE);
    }
}

/// `PROGRAM lifeline CHILD ARGS...`: runs CHILD until it ends or our stdin ends, whichever
/// comes first; in the second case CHILD is killed and waited for. Returns the exit code to
/// end with: CHILD's own, or 0 after the cord was cut.
pub fn serve(args: &[OsString]) -> Result<i32, String> {
    let (program, program_args) = args.split_first().ok_or("lifeline: no program to run")?;
    let shown = program.to_string_lossy();
    let mut child = Command::new(program)
        .args(program_args)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|err| format!("could not start {shown}: {err}"))?;

    let (cut, cord_cut) = mpsc::channel::<()>();
    thread::spawn(move || {
        // Nothing is ever sent on the cord: reading returns only at its end.
        let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
        let _ = cut.send(());
    });
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status.code().unwrap_or(1)),
            Ok(None) => {}
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("could not wait for {shown}: {err}"));
            }
        }
        // Check often at first (a child that fails at once), then every 100 ms.
        let poll = if started.elapsed() < Duration::from_secs(1) {
            Duration::from_millis(10)
        } else {
            Duration::from_millis(100)
        };
        match cord_cut.recv_timeout(poll) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(0);
            }
        }
    }
}
