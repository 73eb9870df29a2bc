//! A child process whose output is read with deadlines, and which is killed on drop.
//!
//! Two threads read the child's stdout and stderr as they come, into one shared record
//! guarded by a mutex; a condition variable wakes whoever waits for more. So every wait is
//! a wait on an event with a deadline (the next bytes, the end of a stream), never a sleep,
//! and a full pipe can never block the child.
//!
//! Longer than 400 lines: the child, its two reader threads and the record they share are one
//! piece; the relay that closes stdout exactly has a module of its own.

use std::io::{self, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::find;
use crate::relay::RelayHandle;

/// One of a program's two output streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

impl std::fmt::Display for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stream::Out => "stdout",
            Stream::Err => "stderr",
        })
    }
}

/// Why a wait on the program's output ended without what was waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waited {
    /// The deadline passed.
    TimedOut,
    /// The program closed that output (usually: it exited or crashed).
    Ended,
}

/// Which outputs are read here; the others go where the `Command` says (by default, where
/// ours go: the terminal, a log).
#[derive(Clone, Copy, Debug)]
pub struct Capture {
    pub stdout: bool,
    pub stderr: bool,
}

impl Capture {
    pub const ALL: Capture = Capture {
        stdout: true,
        stderr: true,
    };
    pub const STDOUT: Capture = Capture {
        stdout: true,
        stderr: false,
    };
    pub const NONE: Capture = Capture {
        stdout: false,
        stderr: false,
    };
}

/// What has come out of one stream so far.
#[derive(Default)]
struct Output {
    bytes: Vec<u8>,
    ended: bool,
    /// How much of `bytes` the owner has taken with [`Spawned::read_until`] and friends.
    taken: usize,
}

#[derive(Default)]
struct Outputs {
    out: Output,
    err: Output,
}

impl Outputs {
    fn of(&mut self, stream: Stream) -> &mut Output {
        match stream {
            Stream::Out => &mut self.out,
            Stream::Err => &mut self.err,
        }
    }
}

/// The record both reader threads write to, and the signal that it changed.
#[derive(Default)]
struct Shared {
    outputs: Mutex<Outputs>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Outputs> {
        // A reader thread never panics while holding the lock; if one did, the bytes are
        // still worth reading.
        self.outputs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a change, at most until `deadline`. `None` once the deadline has passed.
    fn wait<'a>(
        &self,
        guard: MutexGuard<'a, Outputs>,
        deadline: Instant,
    ) -> Option<MutexGuard<'a, Outputs>> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        Some(match self.changed.wait_timeout(guard, left) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        })
    }
}

/// A program started with its stdin piped from us and its output read by us, killed (and
/// waited for) when this is dropped, so it never outlives its test or command.
pub struct Spawned {
    child: Child,
    stdin: Option<ChildStdin>,
    shared: Arc<Shared>,
    /// The `cat` its stdout goes through, to be closed exactly (see `relay`).
    relay: RelayHandle,
}

impl Spawned {
    /// Starts `command` with stdin, stdout and stderr piped.
    pub fn start(command: &mut Command) -> io::Result<Spawned> {
        Spawned::start_capturing(command, Capture::ALL)
    }

    /// Starts `command` like [`Spawned::start`], but stops reading its stdout once it has
    /// shown each of `until`, in order, and closes the pipe: the program's next writes to
    /// stdout fail ("broken pipe"), as with `program | head -1`. What it printed up to then
    /// is there to read.
    pub fn start_closing_stdout_after(
        command: &mut Command,
        until: &[&[u8]],
    ) -> io::Result<Spawned> {
        let until: Vec<Vec<u8>> = until.iter().map(|needle| needle.to_vec()).collect();
        Spawned::start_reading(command, Capture::ALL, until)
    }

    /// Starts `command` with stdin piped and the outputs in `capture` read here; the others
    /// go where `command` says (by default, where ours go). A stream that is not captured
    /// counts as ended from the start.
    pub fn start_capturing(command: &mut Command, capture: Capture) -> io::Result<Spawned> {
        Spawned::start_reading(command, capture, Vec::new())
    }

    fn start_reading(
        command: &mut Command,
        capture: Capture,
        close_stdout_after: Vec<Vec<u8>>,
    ) -> io::Result<Spawned> {
        command.stdin(Stdio::piped());
        if capture.stdout {
            command.stdout(Stdio::piped());
        }
        if capture.stderr {
            command.stderr(Stdio::piped());
        }
        let closing = capture.stdout && !close_stdout_after.is_empty();
        let (relay, relayed) = RelayHandle::wire(command, closing);
        let mut child = command.spawn()?;
        let shared = Arc::new(Shared::default());
        let stdout = relayed.or_else(|| child.stdout.take());
        let hang_up = (close_stdout_after, relay.clone());
        read_into(stdout, Stream::Out, &shared, hang_up);
        let never = (Vec::new(), RelayHandle::default());
        read_into(child.stderr.take(), Stream::Err, &shared, never);
        let stdin = child.stdin.take();
        Ok(Spawned {
            child,
            stdin,
            shared,
            relay,
        })
    }

    /// The process id, for the system's tables (`/proc/<pid>/...`).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Writes to the program's stdin and flushes.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::BrokenPipe, "stdin already closed"))?;
        stdin.write_all(bytes)?;
        stdin.flush()
    }

    /// Closes stdin: the program reads the end of its input, as after Ctrl-D.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The pipe to the program's stdin, for a writer of its own (closed when dropped).
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.stdin.take()
    }

    /// Waits until `stream` shows `needle` after what was already taken; takes and returns
    /// everything up to and including it.
    pub fn read_until(
        &mut self,
        stream: Stream,
        needle: &[u8],
        within: Duration,
    ) -> Result<Vec<u8>, Waited> {
        self.wait_on(stream, within, |output| {
            let start = output.taken;
            let at = find(&output.bytes[start..], needle)?;
            output.taken = start + at + needle.len();
            Some(output.bytes[start..output.taken].to_vec())
        })
    }

    /// Takes and returns what `stream` printed since the last take, without waiting.
    pub fn take_unread(&mut self, stream: Stream) -> Vec<u8> {
        let mut outputs = self.shared.lock();
        let output = outputs.of(stream);
        let rest = output.bytes[output.taken..].to_vec();
        output.taken = output.bytes.len();
        rest
    }

    /// Waits until `stream` has shown `needle` anywhere (taken or not); returns all of it.
    pub fn wait_contains(
        &self,
        stream: Stream,
        needle: &[u8],
        within: Duration,
    ) -> Result<Vec<u8>, Waited> {
        self.wait_on(stream, within, |output| {
            find(&output.bytes, needle).map(|_| output.bytes.clone())
        })
    }

    /// Waits until `found` finds what it looks for in `stream`'s output (it is asked again
    /// after every change), the stream ends, or `within` has passed.
    fn wait_on<T>(
        &self,
        stream: Stream,
        within: Duration,
        mut found: impl FnMut(&mut Output) -> Option<T>,
    ) -> Result<T, Waited> {
        let deadline = Instant::now() + within;
        let mut outputs = self.shared.lock();
        loop {
            let output = outputs.of(stream);
            if let Some(value) = found(output) {
                return Ok(value);
            }
            if output.ended {
                return Err(Waited::Ended);
            }
            outputs = self
                .shared
                .wait(outputs, deadline)
                .ok_or(Waited::TimedOut)?;
        }
    }

    /// Waits until the program has closed `stream`; `false` if it still had it open at the
    /// deadline.
    pub fn wait_for_end(&self, stream: Stream, within: Duration) -> bool {
        self.wait_for_ends(&[stream], within)
    }

    /// Waits until the program has closed every stream in `streams`.
    pub fn wait_for_ends(&self, streams: &[Stream], within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let mut outputs = self.shared.lock();
        loop {
            if streams.iter().all(|&stream| outputs.of(stream).ended) {
                return true;
            }
            match self.shared.wait(outputs, deadline) {
                Some(guard) => outputs = guard,
                None => return false,
            }
        }
    }

    /// Everything `stream` has shown so far, taken or not.
    pub fn output(&self, stream: Stream) -> Vec<u8> {
        self.shared.lock().of(stream).bytes.clone()
    }

    /// The exit status, if the program has ended.
    pub fn status(&mut self) -> Option<ExitStatus> {
        let status = self.child.try_wait().ok().flatten();
        if status.is_some() {
            self.relay.release();
        }
        status
    }

    /// Whether the program is still running.
    pub fn is_running(&mut self) -> bool {
        let running = matches!(self.child.try_wait(), Ok(None));
        if !running {
            self.relay.release();
        }
        running
    }

    /// Waits for the program to exit, at most `within`. The standard library cannot wait
    /// for a child with a deadline, so this checks every few milliseconds, and at once
    /// whenever the program prints or closes an output (which it does as it exits).
    pub fn wait(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.status() {
                return Some(status);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            let outputs = self.shared.lock();
            let _ = self
                .shared
                .wait(outputs, (now + Duration::from_millis(10)).min(deadline));
        }
    }

    /// Waits for the program to exit, however long that takes.
    pub fn wait_forever(&mut self) -> io::Result<ExitStatus> {
        self.child.wait()
    }

    /// Kills the program (if it still runs) and waits for it.
    pub fn kill(&mut self) {
        // Errors mean it had already ended: either way it is gone.
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.relay.stop();
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads `source` to its end in a thread of its own, into `stream`'s record. With no
/// source (not captured), the stream counts as ended. With texts in `close_after`, reading
/// stops (and the pipe closes, through `relay` if there is one) once each has come, in order.
fn read_into(
    source: Option<impl Read + Send + 'static>,
    stream: Stream,
    shared: &Arc<Shared>,
    (close_after, relay): (Vec<Vec<u8>>, RelayHandle),
) {
    let Some(mut source) = source else {
        shared.lock().of(stream).ended = true;
        return;
    };
    let shared = Arc::clone(shared);
    thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        let mut waiting_for = close_after.into_iter().peekable();
        let watching = waiting_for.peek().is_some();
        let mut seen = Vec::new();
        loop {
            let count = source.read(&mut buffer).unwrap_or(0);
            if watching {
                seen.extend_from_slice(&buffer[..count]);
                // Each text is looked for after the one before it.
                while let Some(end) = waiting_for
                    .peek()
                    .and_then(|needle| find(&seen, needle).map(|at| at + needle.len()))
                {
                    seen.drain(..end);
                    waiting_for.next();
                }
            }
            let hang_up = watching && waiting_for.peek().is_none();
            if hang_up {
                // Closed before anyone can read the chunk that completed the texts.
                relay.hang_up(|pause| drop(shared.wait(shared.lock(), Instant::now() + pause)));
                drop(source);
                record(&shared, stream, &buffer[..count], true);
                return;
            }
            record(&shared, stream, &buffer[..count], count == 0);
            if count == 0 {
                return;
            }
        }
    });
}

/// Adds bytes to a stream's record (and notes its end), and wakes whoever waits.
fn record(shared: &Shared, stream: Stream, bytes: &[u8], ended: bool) {
    let mut outputs = shared.lock();
    let output = outputs.of(stream);
    output.bytes.extend_from_slice(bytes);
    output.ended |= ended;
    shared.changed.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sh` is on every Unix; these tests show the mechanics, the lesson tests use them.
    #[cfg(unix)]
    fn shell(script: &str) -> Spawned {
        Spawned::start(Command::new("sh").args(["-c", script])).expect("sh starts")
    }

    #[cfg(unix)]
    #[test]
    fn output_is_read_up_to_a_needle_and_then_on() {
        let mut child = shell("printf 'one\\ntwo\\n'; printf 'oops' >&2");
        let second = Duration::from_secs(5);
        assert_eq!(
            child.read_until(Stream::Out, b"\n", second),
            Ok(b"one\n".to_vec())
        );
        assert_eq!(
            child.read_until(Stream::Out, b"\n", second),
            Ok(b"two\n".to_vec())
        );
        assert_eq!(
            child.read_until(Stream::Out, b"\n", second),
            Err(Waited::Ended)
        );
        assert!(child.wait_contains(Stream::Err, b"oops", second).is_ok());
        assert_eq!(child.wait(second).and_then(|s| s.code()), Some(0));
    }

    #[cfg(unix)]
    #[test]
    fn a_closed_stdout_makes_the_next_write_fail() {
        let mut child = Spawned::start_closing_stdout_after(
            Command::new("sh").args(["-c", "echo one; read go; echo two; echo three"]),
            &[b"one\n"],
        )
        .expect("sh starts");
        let second = Duration::from_secs(5);
        assert_eq!(
            child.read_until(Stream::Out, b"\n", second),
            Ok(b"one\n".to_vec())
        );
        child.write(b"go\n").expect("sh reads");
        let status = child.wait(second).expect("sh ends");
        assert!(!status.success(), "{status:?}");
        assert_eq!(child.output(Stream::Out), b"one\n");
    }

    #[cfg(unix)]
    #[test]
    fn a_silent_program_times_out_and_is_killed_on_drop() {
        let mut child = shell("read line");
        let short = Duration::from_millis(50);
        assert_eq!(
            child.read_until(Stream::Out, b"\n", short),
            Err(Waited::TimedOut)
        );
        assert_eq!(child.wait(short), None);
        assert!(child.is_running());
        drop(child);
    }
}
