//! # harness: how the lesson tests run your program
//!
//! Every lesson test starts your real program, talks to it through real sockets and reads
//! what it prints. Three rules keep those tests fast and honest:
//!
//! - **Every wait has a deadline.** A read, a connect, the wait for the program to end: none
//!   waits longer than [`STEP`]. A program stuck forever fails in seconds, never hangs.
//! - **Nothing waits by sleeping.** Servers listen on port 0 and print the real address; the
//!   test reads that line instead of guessing when the server is ready.
//! - **Nothing outlives its test.** A started program is killed when the test ends, passed or
//!   failed ([`Running`] implements `Drop`).
//!
//! When a check fails, [`Lesson::fail`] explains it the way a teacher would: what the test
//! did, what it expected, what came back (bytes escaped, so a missing `\n` is visible), a hint
//! and the book section. If your program stopped at a `todo!()`, it says which TODO is next.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub use assert_cmd;
pub use predicates;

pub mod chat;
pub mod common;
pub mod protected;

/// The deadline for one step: a reply, a printed line, a connection, a program's exit.
///
/// On loopback a correct program answers in well under a millisecond, so three seconds is
/// only ever reached by a program that is stuck.
pub const STEP: Duration = Duration::from_secs(3);

/// Which lesson a test file checks, so that failures can point at the right files.
#[derive(Clone, Copy, Debug)]
pub struct Lesson {
    /// The lesson number, 1 to 5.
    pub number: u8,
    /// The path of the binary under test (from `CARGO_BIN_EXE_<package>`).
    pub program: &'static str,
    /// The Cargo package under test: `lesson1` for the learner, `lesson1-solution` for ours.
    pub package: &'static str,
}

/// The lesson under test, for a test file shared by `lessonN` and `lessonN-solution`.
///
/// Cargo compiles the same file once per package and tells each copy where that package's
/// binary is, so one test file checks both the learner's program and the reference.
#[macro_export]
macro_rules! lesson {
    ($number:expr) => {
        $crate::Lesson {
            number: $number,
            program: env!(concat!("CARGO_BIN_EXE_", env!("CARGO_PKG_NAME"))),
            package: env!("CARGO_PKG_NAME"),
        }
    };
}

/// One failed check, in words a beginner can act on.
#[derive(Debug, Default)]
pub struct Problem {
    /// The behaviour being checked, as a sentence: "the client sends each line once".
    pub check: String,
    /// What the test did: the bytes typed or sent, the arguments given.
    pub did: String,
    /// What a correct program does.
    pub expected: String,
    /// What your program did instead.
    pub got: String,
    /// A hint: where to look, what usually causes this.
    pub hint: String,
    /// The section of the lesson's book chapter that explains this.
    pub section: String,
}

/// What a program printed and how it ended, for the failure report.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// `None` while the program is still running (or was killed at a deadline).
    pub status: Option<ExitStatus>,
}

impl From<&Output> for Seen {
    fn from(output: &Output) -> Self {
        Seen {
            stdout: output.stdout.clone(),
            stderr: output.stderr.clone(),
            status: Some(output.status),
        }
    }
}

impl Lesson {
    /// Where the learner edits this lesson.
    pub fn source_file(&self) -> String {
        if self.package.ends_with("-solution") {
            format!("solutions/lesson{}/src/main.rs", self.number)
        } else {
            format!("lessons/lesson{}/src/main.rs", self.number)
        }
    }

    /// Fails the test with a report a beginner can act on. Never returns.
    ///
    /// The report goes to the test's output, which `cargo test` shows under the failing
    /// test's name. `resume_unwind` then fails the test without a panic message or a
    /// backtrace of the test itself: the report is all a learner needs to read.
    pub fn fail(&self, problem: Problem, seen: &Seen) -> ! {
        eprintln!("\n{}", self.report(&problem, seen));
        std::panic::resume_unwind(Box::new(format!("lesson {} check failed", self.number)))
    }

    /// The text of a failure report (public so that its wording can be tested).
    pub fn report(&self, problem: &Problem, seen: &Seen) -> String {
        let chapter = format!("book/src/lesson{}.md", self.number);
        let stderr = String::from_utf8_lossy(&seen.stderr);
        let mut text = format!(
            "✗ lesson {}: {}\n  (checking `{}`)\n\n",
            self.number, problem.check, self.package
        );
        if let Some(todo) = todo_reached(&stderr) {
            let _ = writeln!(
                text,
                "Your program stopped at a todo!():\n    {todo}\n\
                 That is your next step: open {} and write the code for it.\n\
                 Book: {chapter}, \"{}\" explains it.",
                self.source_file(),
                todo.split(':').next().unwrap_or("the TODO")
            );
            return text;
        }
        let mut line = |label: &str, value: &str| {
            if !value.is_empty() {
                let _ = writeln!(text, "  {label:<10} {}", indent(value));
            }
        };
        line("did:", &problem.did);
        line("expected:", &problem.expected);
        line("got:", &problem.got);
        line("hint:", &problem.hint);
        line(
            "book:",
            &format!("{chapter}, section \"{}\"", problem.section),
        );
        text.push('\n');
        let _ = writeln!(text, "  your program printed: {}", shown(&seen.stdout));
        if !seen.stderr.is_empty() {
            let _ = writeln!(text, "  and on stderr:        {}", shown(&seen.stderr));
        }
        let ending = match seen.status {
            Some(status) => format!("it exited with {}", describe_status(status)),
            None => "it was still running (stopped by the test)".to_string(),
        };
        let _ = writeln!(text, "  {ending}");
        if stderr.contains("panicked") {
            text.push_str(
                "  Note: your program panicked. Network input and user input must never \
                 crash it:\n  return an error line instead (see the book's lesson 1).\n",
            );
        }
        text
    }
}

/// `todo!("TODO(3): accept one client")` prints "not yet implemented: TODO(3): ...".
fn todo_reached(stderr: &str) -> Option<&str> {
    let start = stderr.find("not yet implemented")?;
    let rest = &stderr[start..];
    let message = rest.lines().next().unwrap_or(rest);
    Some(
        message
            .strip_prefix("not yet implemented: ")
            .unwrap_or(message),
    )
}

fn describe_status(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("status {code}"),
        None => "no status (killed by a signal)".to_string(),
    }
}

fn indent(text: &str) -> String {
    text.replace('\n', "\n             ")
}

/// Bytes as a quoted, escaped string: a missing or doubled `\n` is visible.
pub fn shown(bytes: &[u8]) -> String {
    const LIMIT: usize = 400;
    if bytes.len() > LIMIT {
        let head = &bytes[..LIMIT];
        return format!(
            "\"{}\"... ({} bytes in all)",
            head.escape_ascii(),
            bytes.len()
        );
    }
    format!("\"{}\"", bytes.escape_ascii())
}

// ---------------------------------------------------------------------------------------
// Running a program to completion (clients with a fixed input, usage errors).
// ---------------------------------------------------------------------------------------

/// Runs the program with these arguments and this standard input, and waits at most
/// `within` for it to end (after which it is killed and `timed_out` is set).
pub fn run_to_end(lesson: &Lesson, args: &[&str], stdin: &[u8], within: Duration) -> Finished {
    let started = Instant::now();
    let output = assert_cmd::Command::new(lesson.program)
        .args(args)
        .write_stdin(stdin.to_vec())
        .timeout(within)
        .output();
    let finished = match output {
        Ok(output) => Finished {
            timed_out: started.elapsed() >= within,
            seen: Seen::from(&output),
        },
        Err(error) => panic!("could not start {}: {error}", lesson.program),
    };
    fail_on_panic(lesson, args, stdin, &finished);
    finished
}

/// A program must never panic, whatever its input: a panic fails the test at once, before
/// any check that would only wait for what the crashed program can no longer do. (A
/// `todo!()` is a panic too: the report then names the TODO to do next.)
fn fail_on_panic(lesson: &Lesson, args: &[&str], stdin: &[u8], finished: &Finished) {
    let stderr = String::from_utf8_lossy(&finished.seen.stderr);
    if !stderr.contains("panicked at") {
        return;
    }
    let check = if todo_reached(&stderr).is_some() {
        "the program runs to its end (it is not finished yet)"
    } else {
        "the program never panics, whatever its input"
    };
    lesson.fail(
        Problem {
            check: check.into(),
            did: format!(
                "ran it with the arguments {args:?} and the input {}",
                shown(stdin)
            ),
            expected: "no panic: a clear one-line error and an exit status (see SPEC.md)".into(),
            got: "a panic (see stderr below)".into(),
            hint: "do not unwrap() or index past the end on network bytes or user input: \
                   turn the error into a line with netkit::error_line and return it."
                .into(),
            section: "Arguments and exit codes".into(),
        },
        &finished.seen,
    );
}

/// A program that ran to its end (or was stopped at the deadline).
#[derive(Debug)]
pub struct Finished {
    pub seen: Seen,
    pub timed_out: bool,
}

impl Finished {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.seen.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.seen.stderr).into_owned()
    }

    /// The exit code, `None` if it was killed (for example at the deadline).
    pub fn code(&self) -> Option<i32> {
        if self.timed_out {
            return None;
        }
        self.seen.status.and_then(|status| status.code())
    }

    /// "exited with status 1", "still running after 3 s": for the `got:` line of a report.
    pub fn ending(&self, within: Duration) -> String {
        if self.timed_out {
            return format!(
                "still running after {} s, so the test stopped it",
                within.as_secs()
            );
        }
        match self.seen.status {
            Some(status) => format!("exited with {}", describe_status(status)),
            None => "did not run".to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Running a program alongside the test (servers, interactive clients).
// ---------------------------------------------------------------------------------------

/// A program started by a test and killed when the test ends.
pub struct Running {
    lesson: Lesson,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout_chunks: Receiver<Vec<u8>>,
    /// Everything read from stdout so far.
    stdout: Vec<u8>,
    /// How much of `stdout` the test has consumed with `read_line` / `read_until`.
    consumed: usize,
    stdout_ended: bool,
    stderr: Arc<(Mutex<StderrSoFar>, Condvar)>,
}

#[derive(Default)]
struct StderrSoFar {
    bytes: Vec<u8>,
    ended: bool,
}

/// Why a wait on the program's output ended without what the test wanted.
#[derive(Debug, PartialEq, Eq)]
pub enum Waited {
    /// The deadline passed.
    TimedOut,
    /// The program closed its output (usually: it exited or crashed).
    Ended,
}

impl Running {
    /// Starts the lesson's program with these arguments, stdin, stdout and stderr piped.
    pub fn start(lesson: Lesson, args: &[&str]) -> Running {
        Running::start_other(lesson, lesson.program, args)
    }

    /// Starts another program (netcat, a Go original, ...) the same way, for interop tests.
    /// Failures are still reported against `lesson`.
    pub fn start_other(lesson: Lesson, program: &str, args: &[&str]) -> Running {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("could not start {program}: {error}"));
        let stdin = child.stdin.take();
        let stdout_chunks = forward_chunks(child.stdout.take());
        let stderr = collect_stderr(child.stderr.take());
        Running {
            lesson,
            child,
            stdin,
            stdout_chunks,
            stdout: Vec::new(),
            consumed: 0,
            stdout_ended: false,
            stderr,
        }
    }

    /// Waits for the next line on stdout (returned without its `\n`).
    pub fn read_line(&mut self, within: Duration) -> Result<String, Waited> {
        let line = self.read_until("\n", within)?;
        Ok(line.trim_end_matches('\n').to_string())
    }

    /// Waits until stdout shows `needle`; returns what came before it, needle included.
    pub fn read_until(&mut self, needle: &str, within: Duration) -> Result<String, Waited> {
        let deadline = Instant::now() + within;
        loop {
            let unread = &self.stdout[self.consumed..];
            if let Some(at) = find(unread, needle.as_bytes()) {
                let end = at + needle.len();
                let text = String::from_utf8_lossy(&unread[..end]).into_owned();
                self.consumed += end;
                return Ok(text);
            }
            self.receive_stdout(deadline)?;
        }
    }

    /// Stdout printed since the last `read_line` / `read_until`, waiting until `within`
    /// has passed or the program closed its stdout.
    pub fn rest_of_stdout(&mut self, within: Duration) -> String {
        let deadline = Instant::now() + within;
        while self.receive_stdout(deadline).is_ok() {}
        let rest = String::from_utf8_lossy(&self.stdout[self.consumed..]).into_owned();
        self.consumed = self.stdout.len();
        rest
    }

    fn receive_stdout(&mut self, deadline: Instant) -> Result<(), Waited> {
        if self.stdout_ended {
            return Err(Waited::Ended);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.stdout_chunks.recv_timeout(left) {
            Ok(chunk) => {
                self.stdout.extend_from_slice(&chunk);
                Ok(())
            }
            Err(RecvTimeoutError::Timeout) => Err(Waited::TimedOut),
            Err(RecvTimeoutError::Disconnected) => {
                self.stdout_ended = true;
                Err(Waited::Ended)
            }
        }
    }

    /// Types into the program's stdin. Errors are ignored: a program that already exited
    /// is reported by the check that follows, with its output.
    pub fn type_text(&mut self, text: &[u8]) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = stdin.write_all(text).and_then(|()| stdin.flush());
        }
    }

    /// Closes stdin: the program sees the end of its input, as after Ctrl-D.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the program to exit.
    pub fn wait_for_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            // Waiting on stdout doubles as a short, event-driven pause: it returns at once
            // when the program prints or exits.
            let step = (Instant::now() + Duration::from_millis(20)).min(deadline);
            if Instant::now() >= deadline {
                return None;
            }
            if self.receive_stdout(step) == Err(Waited::Ended) {
                let left = deadline.saturating_duration_since(Instant::now());
                return self.wait_after_stdout_closed(left);
            }
        }
    }

    fn wait_after_stdout_closed(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            let (lock, changed) = &*self.stderr;
            let guard = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let _ = changed.wait_timeout(guard, Duration::from_millis(10));
        }
    }

    /// The program's process id, for what only the system can do to it from outside (send
    /// it a signal, read its memory use).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the program is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// What the program printed so far, and how it ended if it did.
    pub fn seen(&mut self) -> Seen {
        // A program that just crashed is still writing its panic message: give it a moment.
        let status = self.child.try_wait().ok().flatten();
        let (lock, changed) = &*self.stderr;
        let mut so_far = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if status.is_some() {
            let deadline = Instant::now() + Duration::from_millis(500);
            while !so_far.ended && Instant::now() < deadline {
                so_far = match changed.wait_timeout(so_far, Duration::from_millis(50)) {
                    Ok((guard, _)) => guard,
                    Err(poisoned) => poisoned.into_inner().0,
                };
            }
        }
        let stderr = so_far.bytes.clone();
        drop(so_far);
        while let Ok(chunk) = self.stdout_chunks.try_recv() {
            self.stdout.extend_from_slice(&chunk);
        }
        Seen {
            stdout: self.stdout.clone(),
            stderr,
            status,
        }
    }

    /// Waits until stderr shows `needle`; returns all of stderr so far.
    pub fn wait_for_stderr(&mut self, needle: &str, within: Duration) -> Result<String, Waited> {
        let deadline = Instant::now() + within;
        let (lock, changed) = &*self.stderr;
        let mut so_far = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            if find(&so_far.bytes, needle.as_bytes()).is_some() {
                return Ok(String::from_utf8_lossy(&so_far.bytes).into_owned());
            }
            if so_far.ended {
                return Err(Waited::Ended);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Waited::TimedOut);
            }
            so_far = match changed.wait_timeout(so_far, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Everything printed on stderr so far.
    pub fn stderr(&mut self) -> String {
        String::from_utf8_lossy(&self.seen().stderr).into_owned()
    }

    /// Fails the test, with this program's output in the report.
    pub fn fail(&mut self, problem: Problem) -> ! {
        let seen = self.seen();
        self.lesson.fail(problem, &seen)
    }

    /// Starts a server of the course with this argument (`"0"` for `127.0.0.1` and a port the
    /// OS picks) and reads its `Listening on` line; returns the server and its address.
    /// `section` is the book section a missing line points to.
    pub fn start_server(lesson: Lesson, argument: &str, section: &str) -> (Running, SocketAddr) {
        let mut server = Running::start(lesson, &[argument]);
        let address = server.listening_address(section);
        (server, address)
    }

    /// Reads the first line, `Listening on <ip>:<port>`, and returns the address.
    pub fn listening_address(&mut self, section: &str) -> SocketAddr {
        let line = self.read_line(STEP);
        let address = line
            .as_ref()
            .ok()
            .and_then(|line| line.strip_prefix("Listening on "))
            .and_then(|address| address.trim().parse::<SocketAddr>().ok());
        match address {
            Some(address) => address,
            None => self.fail(Problem {
                check: "a server first prints the address it listens on".into(),
                did: "started the server with port 0 (the OS picks a free port)".into(),
                expected: "a first line like \"Listening on 127.0.0.1:40123\", with the real port"
                    .into(),
                got: match line {
                    Ok(line) => format!("the line {}", shown(line.as_bytes())),
                    Err(Waited::TimedOut) => format!("no line within {} s", STEP.as_secs()),
                    Err(Waited::Ended) => "the program ended without printing it".into(),
                },
                hint: "bind, then print listener.local_addr(): it shows the port the OS chose. \
                       println! flushes at the newline."
                    .into(),
                section: section.into(),
            }),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn forward_chunks(source: Option<impl Read + Send + 'static>) -> Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    if let Some(mut source) = source {
        thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(count @ 1..) = source.read(&mut buffer) {
                if sender.send(buffer[..count].to_vec()).is_err() {
                    break;
                }
            }
        });
    }
    receiver
}

fn collect_stderr(
    mut source: Option<impl Read + Send + 'static>,
) -> Arc<(Mutex<StderrSoFar>, Condvar)> {
    let shared = Arc::new((Mutex::new(StderrSoFar::default()), Condvar::new()));
    let writer = Arc::clone(&shared);
    thread::spawn(move || {
        let (lock, changed) = &*writer;
        let mut buffer = [0u8; 8192];
        loop {
            let count = match source.as_mut().map(|source| source.read(&mut buffer)) {
                Some(Ok(count)) => count,
                _ => 0,
            };
            let mut so_far = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if count == 0 {
                so_far.ended = true;
                changed.notify_all();
                return;
            }
            so_far.bytes.extend_from_slice(&buffer[..count]);
            changed.notify_all();
        }
    });
    shared
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

// ---------------------------------------------------------------------------------------
// Talking to a server under test.
// ---------------------------------------------------------------------------------------

/// A TCP client played by the test, with a deadline on every read and write.
pub struct Peer {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Peer {
    /// Connects within [`STEP`].
    pub fn connect(address: SocketAddr) -> io::Result<Peer> {
        let stream = TcpStream::connect_timeout(&address, STEP)?;
        stream.set_read_timeout(Some(STEP))?;
        stream.set_write_timeout(Some(STEP))?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(Peer { stream, reader })
    }

    /// Sends bytes as they are.
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads one line, `\n` included, so the test can see whether the newline came.
    /// An empty result means the server closed the connection.
    pub fn receive_line(&mut self) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line)?;
        Ok(line)
    }

    /// Waits for the server to close the connection, discarding what it still sends.
    /// Returns what it sent before closing.
    pub fn receive_to_end(&mut self) -> io::Result<Vec<u8>> {
        let mut rest = Vec::new();
        self.reader.read_to_end(&mut rest)?;
        Ok(rest)
    }

    /// Sends bytes from a thread of their own; join the handle to wait until they are sent
    /// (or the connection failed). A server may stop reading part way, for example after a
    /// line that is too long, and a write that nobody reads would block the test.
    pub fn send_in_background(&self, bytes: Vec<u8>) -> thread::JoinHandle<()> {
        let writer = self.stream.try_clone();
        thread::spawn(move || {
            if let Ok(mut stream) = writer {
                let _ = stream.write_all(&bytes);
            }
        })
    }

    /// Half-closes: the server reads the end of the stream, but can still answer.
    pub fn finish_sending(&self) -> io::Result<()> {
        self.stream.shutdown(std::net::Shutdown::Write)
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }
}

/// Describes a failed read from a peer, for the `got:` line of a report.
pub fn describe_read(result: &io::Result<Vec<u8>>) -> String {
    match result {
        Ok(bytes) if bytes.is_empty() => "the connection was closed with no reply".into(),
        Ok(bytes) if !bytes.ends_with(b"\n") => format!(
            "{} and then nothing: no newline came, so the line never ended",
            shown(bytes)
        ),
        Ok(bytes) => shown(bytes),
        Err(error) if is_timeout(error) => format!("no reply within {} s", STEP.as_secs()),
        Err(error) => format!("an error: {error}"),
    }
}

/// A read that ran into its deadline reports `WouldBlock` on Unix and `TimedOut` on Windows.
pub fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

// ---------------------------------------------------------------------------------------
// A server played by the test, for client lessons.
// ---------------------------------------------------------------------------------------

/// What the test's server does with one line from the client (or, for a [`FakeUdpServer`],
/// with one datagram).
pub enum Answer {
    /// Sends these bytes back (over UDP: as one datagram).
    Reply(Vec<u8>),
    /// Sends nothing and keeps listening. Over UDP this is also how a lost datagram looks.
    Silence,
    /// Closes the connection (over UDP: closes the socket, so the OS refuses what comes next).
    Hangup,
}

/// A TCP server that accepts one client, records every byte it receives and answers each
/// line as the test decides.
pub struct FakeServer {
    address: SocketAddr,
    received: Arc<(Mutex<Vec<u8>>, Condvar)>,
}

impl FakeServer {
    /// Listens on `127.0.0.1`, on a port the OS picks.
    pub fn start(answer: impl FnMut(&[u8]) -> Answer + Send + 'static) -> FakeServer {
        FakeServer::start_on("127.0.0.1:0", answer)
    }

    /// Listens on the given address (for example `[::1]:0`).
    pub fn start_on(
        address: impl ToSocketAddrs,
        mut answer: impl FnMut(&[u8]) -> Answer + Send + 'static,
    ) -> FakeServer {
        let listener = TcpListener::bind(address).expect("the test could not bind its server");
        let address = listener
            .local_addr()
            .expect("a bound listener has an address");
        let received = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let record = Arc::clone(&received);
        // The thread ends when the client disconnects; if no client ever comes, it ends
        // with the test process.
        thread::spawn(move || {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut writer = &stream;
            let mut reader = BufReader::new(&stream);
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(1..) => {}
                    _ => return,
                }
                let (lock, changed) = &*record;
                lock.lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .extend_from_slice(&line);
                changed.notify_all();
                if !line.ends_with(b"\n") {
                    return;
                }
                match answer(&line) {
                    Answer::Reply(bytes) => {
                        if writer.write_all(&bytes).is_err() {
                            return;
                        }
                    }
                    Answer::Silence => {}
                    Answer::Hangup => return,
                }
            }
        });
        FakeServer { address, received }
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Every byte received so far.
    pub fn received(&self) -> Vec<u8> {
        recorded(&self.received)
    }

    /// Waits (at most `within`) until the received bytes satisfy `done`, and returns them.
    pub fn wait_received(&self, within: Duration, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        wait_recorded(&self.received, within, done)
    }
}

/// A copy of what a fake server's thread has recorded so far.
fn recorded<T: Clone>(record: &(Mutex<Vec<T>>, Condvar)) -> Vec<T> {
    let (lock, _) = record;
    lock.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// Waits (at most `within`) until what a fake server's thread has recorded satisfies `done`,
/// and returns a copy of it. The thread notifies the condition variable after each record.
fn wait_recorded<T: Clone>(
    record: &(Mutex<Vec<T>>, Condvar),
    within: Duration,
    done: impl Fn(&[T]) -> bool,
) -> Vec<T> {
    let deadline = Instant::now() + within;
    let (lock, changed) = record;
    let mut items = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    while !done(&items) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        items = match changed.wait_timeout(items, left) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        };
    }
    items.clone()
}

/// A TCP address on which nothing listens, and that no other test can be given: its port is
/// outside the range the system hands out for port 0 (see [`process::ports`]).
pub fn closed_port() -> SocketAddr {
    process::ports::closed_tcp_address().expect("the test could not find a free port")
}

/// Whether this machine has IPv6 loopback (some containers and CI runners do not).
pub fn has_ipv6_loopback() -> bool {
    TcpListener::bind("[::1]:0").is_ok()
}

/// Whether an outside program (netcat, a Go original) can be started, for interop tests.
///
/// Without it the interop test is skipped with a note; on CI (the `CI` variable is set),
/// which installs these tools, a missing one fails the test instead: a silently skipped
/// interop test would prove nothing.
pub fn tool_available(program: &str) -> bool {
    let found = Command::new(program)
        .arg("-h")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is not installed, but CI must run this interop test"
        );
        eprintln!("skipped: {program} is not installed");
    }
    found
}

// ---------------------------------------------------------------------------------------
// UDP: a server played by the test (for client lessons) and a client played by the test
// (for server lessons).
// ---------------------------------------------------------------------------------------

/// Room for any UDP datagram (the largest carries 65,507 bytes over IPv4).
const DATAGRAM_ROOM: usize = 64 * 1024;

/// One datagram received by a [`FakeUdpServer`].
#[derive(Clone, Debug)]
pub struct Datagram {
    /// The bytes, exactly as they arrived.
    pub bytes: Vec<u8>,
    /// Who sent it.
    pub from: SocketAddr,
    /// When it arrived: shows how long a client waited before sending again.
    pub at: Instant,
}

/// Datagrams as a list of escaped strings, `["hello\n", "hello\n"]`, for reports.
pub fn shown_datagrams(datagrams: &[Datagram]) -> String {
    let shown: Vec<String> = datagrams.iter().map(|d| shown(&d.bytes)).collect();
    format!("[{}]", shown.join(", "))
}

/// A UDP server that records every datagram it receives and answers each one as the test
/// decides: [`Answer::Reply`] sends one datagram back to the sender, [`Answer::Silence`]
/// plays a lost datagram, [`Answer::Hangup`] closes the socket.
///
/// It stops (and closes its socket) when dropped, at the latest 100 ms later.
pub struct FakeUdpServer {
    address: SocketAddr,
    received: Arc<(Mutex<Vec<Datagram>>, Condvar)>,
    stop: Arc<AtomicBool>,
}

impl FakeUdpServer {
    /// Listens on `127.0.0.1`, on a port the OS picks.
    pub fn start(answer: impl FnMut(&Datagram) -> Answer + Send + 'static) -> FakeUdpServer {
        FakeUdpServer::start_on("127.0.0.1:0", answer)
    }

    /// Listens on the given address (for example `[::1]:0`).
    pub fn start_on(
        address: impl ToSocketAddrs,
        mut answer: impl FnMut(&Datagram) -> Answer + Send + 'static,
    ) -> FakeUdpServer {
        let socket = UdpSocket::bind(address).expect("the test could not bind its UDP server");
        let address = socket.local_addr().expect("a bound socket has an address");
        // A short read timeout lets the thread notice `stop` soon after the test ends.
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("the test could set a read timeout");
        let received = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (record, stopped) = (Arc::clone(&received), Arc::clone(&stop));
        thread::spawn(move || {
            let mut buffer = vec![0u8; DATAGRAM_ROOM];
            while !stopped.load(Ordering::Relaxed) {
                let (size, from) = match socket.recv_from(&mut buffer) {
                    Ok(received) => received,
                    // Windows reports an earlier reply's "port unreachable" here, and a signal
                    // to the test process interrupts the wait: neither is fatal.
                    Err(error) if is_timeout(&error) || is_passing(&error) => continue,
                    Err(_) => return,
                };
                let datagram = Datagram {
                    bytes: buffer[..size].to_vec(),
                    from,
                    at: Instant::now(),
                };
                // Recorded before answering: once the client has its reply, the test
                // already sees the datagram that asked for it.
                let (lock, changed) = &*record;
                lock.lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(datagram.clone());
                changed.notify_all();
                match answer(&datagram) {
                    Answer::Reply(bytes) => {
                        let _ = socket.send_to(&bytes, from);
                    }
                    Answer::Silence => {}
                    Answer::Hangup => return,
                }
            }
        });
        FakeUdpServer {
            address,
            received,
            stop,
        }
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Every datagram received so far, in order of arrival.
    pub fn received(&self) -> Vec<Datagram> {
        recorded(&self.received)
    }

    /// Waits (at most `within`) until the datagrams received satisfy `done`, and returns
    /// them.
    pub fn wait_received(
        &self,
        within: Duration,
        done: impl Fn(&[Datagram]) -> bool,
    ) -> Vec<Datagram> {
        wait_recorded(&self.received, within, done)
    }
}

impl Drop for FakeUdpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A UDP client played by the test: a socket connected to the server under test, with a
/// deadline on every receive.
pub struct UdpPeer {
    socket: UdpSocket,
}

impl UdpPeer {
    /// Binds a free port of the server's family and connects to the server, so that only
    /// its datagrams are received.
    pub fn connect(server: SocketAddr) -> io::Result<UdpPeer> {
        let local = if server.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(server)?;
        socket.set_read_timeout(Some(STEP))?;
        Ok(UdpPeer { socket })
    }

    /// Sends these bytes as one datagram.
    pub fn send(&self, bytes: &[u8]) -> io::Result<()> {
        self.socket.send(bytes).map(|_| ())
    }

    /// Waits at most [`STEP`] for one datagram.
    pub fn receive(&self) -> io::Result<Vec<u8>> {
        self.receive_within(STEP)
    }

    /// Waits at most `within` for one datagram.
    pub fn receive_within(&self, within: Duration) -> io::Result<Vec<u8>> {
        let deadline = Instant::now() + within;
        let mut buffer = vec![0u8; DATAGRAM_ROOM];
        loop {
            // A zero timeout means "no timeout" to the OS: never ask for that.
            let left = deadline.saturating_duration_since(Instant::now());
            self.socket
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
            match self.socket.recv(&mut buffer) {
                Ok(size) => {
                    buffer.truncate(size);
                    return Ok(buffer);
                }
                // A socket read with a timeout is not restarted after a signal: when another
                // test's program exits, the test process gets SIGCHLD and `recv` fails with
                // `Interrupted`. Wait for the rest of the time.
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        }
    }

    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }
}

/// Describes the result of waiting for a datagram, for the `got:` line of a report.
pub fn describe_datagram(result: &io::Result<Vec<u8>>, within: Duration) -> String {
    match result {
        Ok(bytes) => format!("the datagram {}", shown(bytes)),
        Err(error) if is_timeout(error) => {
            format!("no datagram within {:.1} s", within.as_secs_f64())
        }
        Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
            "\"connection refused\": nothing listens on that port (any more)".into()
        }
        Err(error) => format!("an error: {error}"),
    }
}

/// Errors a UDP receive can meet without anything being wrong with the socket: an
/// interrupted wait (`Interrupted`), and on Windows the "port unreachable" of an earlier
/// datagram (`ConnectionReset`).
fn is_passing(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionReset
    )
}

/// A UDP address on which nothing listens, and that no other test can be given (see
/// [`closed_port`]).
pub fn closed_udp_port() -> SocketAddr {
    process::ports::closed_udp_address().expect("the test could not find a free UDP port")
}

/// Starts `nc -l` (with `-u` for UDP) on a port the OS picks and returns it with that port,
/// which `-v` makes netcat print ("Listening on localhost PORT", or "Bound on ..." for UDP).
/// Port 0 if netcat printed none in time: the test then fails on the first exchange.
pub fn start_netcat_listener(lesson: Lesson, udp: bool) -> (Running, u16) {
    let (args, said): (&[&str], _) = if udp {
        (&["-u", "-lv", "127.0.0.1", "0"], "Bound on")
    } else {
        (&["-lv", "127.0.0.1", "0"], "Listening on")
    };
    let mut netcat = Running::start_other(lesson, "nc", args);
    let line = netcat.wait_for_stderr(said, STEP).unwrap_or_default();
    let port = line
        .split_whitespace()
        .filter_map(|word| word.parse::<u16>().ok())
        .next_back()
        .unwrap_or_default();
    (netcat, port)
}

/// The file name of a path, for messages.
pub fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson() -> Lesson {
        Lesson {
            number: 1,
            program: "lesson1",
            package: "lesson1",
        }
    }

    #[test]
    fn a_todo_panic_becomes_the_next_step() {
        let seen = Seen {
            stderr: b"thread 'main' panicked at lessons/lesson1/src/main.rs:40:5:\n\
                      not yet implemented: TODO(2): send the line\nnote: ..."
                .to_vec(),
            ..Seen::default()
        };
        let problem = Problem {
            check: "sends lines".into(),
            section: "Sending a line".into(),
            ..Problem::default()
        };
        let report = lesson().report(&problem, &seen);
        assert!(report.contains("TODO(2): send the line"), "{report}");
        assert!(report.contains("lessons/lesson1/src/main.rs"), "{report}");
        assert!(report.contains("\"TODO(2)\" explains it"), "{report}");
    }

    #[test]
    fn bytes_are_shown_escaped() {
        assert_eq!(shown(b"hi\n\n"), "\"hi\\n\\n\"");
        assert_eq!(shown(b"\xff"), "\"\\xff\"");
    }
}
