//! `program | cat`, for a program whose stdout must go away exactly when the test says so.
//!
//! Closing our own end of a child's stdout pipe is not enough to make its next write fail:
//! when another thread of ours starts a program at that moment, the new process holds a copy
//! of every pipe we have open, from `fork` until its `exec` closes them, and on a busy
//! machine that lasts long enough for a few writes to get through. (Measured: lesson 5's
//! server with `println!` survived 1 full test run in 30 that way.)
//!
//! So the program writes into `cat`, which passes its output on to us. The program's pipe is
//! open in our process only while `cat` starts, and we keep a second writer on it, the
//! probe. To hang up, we kill `cat`, then write into the pipe ourselves until that fails:
//! then no process at all can read it, and the program's next write fails too.

use std::fs::File;
use std::io::Write;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long [`Relay::hang_up`] waits for other processes to drop their copy of the pipe.
const HANG_UP_WITHIN: Duration = Duration::from_secs(3);

/// A `cat` between a program's stdout and us.
struct Relay {
    cat: Child,
    probe: Option<File>,
}

impl Relay {
    /// Starts `cat`. Returns the relay, what to give the program as its stdout, and `cat`'s
    /// output to read. `None` where there is no `cat` (Windows).
    fn start() -> Option<(Relay, Stdio, ChildStdout)> {
        let mut cat = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let (into_cat, probe) = split_writer(cat.stdin.take()?);
        let passed_on = cat.stdout.take()?;
        Some((Relay { cat, probe }, into_cat, passed_on))
    }

    /// Stops `cat`, then waits until nobody can read the program's stdout any more: until a
    /// write of our own into it fails. `pause` waits a moment between two tries (nothing
    /// announces that another process has dropped its copy).
    fn hang_up(&mut self, mut pause: impl FnMut(Duration)) {
        self.stop();
        let Some(mut probe) = self.probe.take() else {
            return;
        };
        let deadline = Instant::now() + HANG_UP_WITHIN;
        // A newline is harmless if anybody ever reads it.
        while probe.write_all(b"\n").is_ok() && Instant::now() < deadline {
            pause(Duration::from_millis(5));
        }
    }

    /// Kills `cat` (if it still runs) and waits for it.
    fn stop(&mut self) {
        let _ = self.cat.kill();
        let _ = self.cat.wait();
    }
}

/// `cat`'s stdin as the program's stdout, and a second writer on the same pipe.
#[cfg(unix)]
fn split_writer(stdin: std::process::ChildStdin) -> (Stdio, Option<File>) {
    use std::os::fd::OwnedFd;
    let writer = OwnedFd::from(stdin);
    let probe = writer.try_clone().ok().map(File::from);
    (Stdio::from(writer), probe)
}

#[cfg(not(unix))]
fn split_writer(stdin: std::process::ChildStdin) -> (Stdio, Option<File>) {
    (Stdio::from(stdin), None)
}

/// The relay of one `Spawned`, shared with the thread that reads through it: empty when the
/// program's stdout goes straight to us.
#[derive(Clone, Default)]
pub(crate) struct RelayHandle(Arc<Mutex<Option<Relay>>>);

impl RelayHandle {
    /// If `wanted` (and there is a `cat`), starts a relay and makes it `command`'s stdout.
    /// Returns the handle and, with a relay, what it passes on for us to read.
    pub(crate) fn wire(command: &mut Command, wanted: bool) -> (RelayHandle, Option<ChildStdout>) {
        let Some((relay, into_cat, passed_on)) = wanted.then(Relay::start).flatten() else {
            return (RelayHandle::default(), None);
        };
        command.stdout(into_cat);
        (
            RelayHandle(Arc::new(Mutex::new(Some(relay)))),
            Some(passed_on),
        )
    }

    /// See [`Relay::hang_up`]; nothing without a relay.
    pub(crate) fn hang_up(&self, pause: impl FnMut(Duration)) {
        if let Some(relay) = self.lock().as_mut() {
            relay.hang_up(pause);
        }
    }

    /// The program has ended: let `cat` read the end of its output. Skipped while the relay
    /// is hanging up (the output ends then anyway).
    pub(crate) fn release(&self) {
        if let Ok(mut relay) = self.0.try_lock() {
            if let Some(relay) = relay.as_mut() {
                relay.probe = None;
            }
        }
    }

    /// Stops `cat`, if there is one.
    pub(crate) fn stop(&self) {
        if let Some(relay) = self.lock().as_mut() {
            relay.stop();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Relay>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
