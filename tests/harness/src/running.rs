//! A program running beside the test: a server the test talks to, or an interactive client
//! the test types into. Its output is read with a deadline on every wait, and it is killed
//! when the test ends (it is a [`process::Spawned`]).

use std::net::SocketAddr;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use process::{Spawned, Stream, Waited};

use crate::{Lesson, Problem, STEP, Seen, shown};

/// Sets `RUST_BACKTRACE=0` for a program a test starts: a panic then prints its message and
/// place in one line, not a backtrace that would fill the report's "on stderr" (the learner
/// may have `RUST_BACKTRACE=1` set for their own use). It also keeps a panic cheap: printing
/// a backtrace needs memory, and a program under a memory limit (`ulimit -v`) can hang in it.
pub(crate) fn quiet_panics(command: &mut Command) -> &mut Command {
    command.env("RUST_BACKTRACE", "0")
}

/// How long a program that is ending gets to exit before a report describes it.
const EXITING: Duration = Duration::from_millis(500);

/// A program started by a test and killed when the test ends.
pub struct Running {
    lesson: Lesson,
    child: Spawned,
}

impl Running {
    /// Starts the lesson's program with these arguments, stdin, stdout and stderr piped.
    pub fn start(lesson: Lesson, args: &[&str]) -> Running {
        Running::start_other(lesson, lesson.program, args)
    }

    /// Starts another program (netcat, a Go original, ...) the same way, for interop tests.
    /// Failures are still reported against `lesson`.
    pub fn start_other(lesson: Lesson, program: &str, args: &[&str]) -> Running {
        crate::next_step::enter();
        let child = Spawned::start(quiet_panics(Command::new(program).args(args)))
            .unwrap_or_else(|error| panic!("could not start {program}: {error}"));
        Running { lesson, child }
    }

    /// Starts the lesson's program like [`Running::start`], then stops reading its stdout once
    /// it has shown each of `until`, in order (`&["\n"]`: after the first line, as
    /// `lesson5 0 | head -1`). From then on the program's writes to stdout fail ("broken
    /// pipe"), every time (see `process`'s relay). What it printed before is there for
    /// [`Running::read_line`].
    pub fn start_with_stdout_gone_after(lesson: Lesson, args: &[&str], until: &[&str]) -> Running {
        crate::next_step::enter();
        let until: Vec<&[u8]> = until.iter().map(|text| text.as_bytes()).collect();
        let child = Spawned::start_closing_stdout_after(
            quiet_panics(Command::new(lesson.program).args(args)),
            &until,
        )
        .unwrap_or_else(|error| panic!("could not start {}: {error}", lesson.program));
        Running { lesson, child }
    }

    /// Starts the lesson's program as `program ARGS | head -n 1` would: its first line
    /// reaches the test, then nobody reads its stdout any more.
    pub fn start_behind_head(lesson: Lesson, args: &[&str]) -> Running {
        Running::start_with_stdout_gone_after(lesson, args, &["\n"])
    }

    /// Waits for the next line on stdout that `wanted` accepts, skipping the others: SPEC.md
    /// lets a program print lines of its own between the lines it names. Returns the line,
    /// without its `\n`.
    pub fn read_line_matching(
        &mut self,
        wanted: impl Fn(&str) -> bool,
        within: Duration,
    ) -> Result<String, Waited> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.read_line(left)?;
            if wanted(&line) {
                return Ok(line);
            }
        }
    }

    /// Waits for the next line on stdout (returned without its `\n`).
    pub fn read_line(&mut self, within: Duration) -> Result<String, Waited> {
        let line = self.read_until("\n", within)?;
        Ok(line.trim_end_matches('\n').to_string())
    }

    /// Waits until stdout shows `needle`; returns what came before it, needle included.
    pub fn read_until(&mut self, needle: &str, within: Duration) -> Result<String, Waited> {
        let bytes = self
            .child
            .read_until(Stream::Out, needle.as_bytes(), within)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Stdout printed since the last `read_line` / `read_until`, waiting until `within`
    /// has passed or the program closed its stdout.
    pub fn rest_of_stdout(&mut self, within: Duration) -> String {
        self.child.wait_for_end(Stream::Out, within);
        String::from_utf8_lossy(&self.child.take_unread(Stream::Out)).into_owned()
    }

    /// Types into the program's stdin. Errors are ignored: a program that already exited
    /// is reported by the check that follows, with its output.
    pub fn type_text(&mut self, text: &[u8]) {
        let _ = self.child.write(text);
    }

    /// Closes stdin: the program sees the end of its input, as after Ctrl-D.
    pub fn close_stdin(&mut self) {
        self.child.close_stdin();
    }

    /// Waits for the program to exit.
    pub fn wait_for_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        self.child.wait(within)
    }

    /// The program's process id, for what only the system can do to it from outside (send
    /// it a signal, read its memory use).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The lesson this program is checked against, for reports made elsewhere.
    pub fn lesson(&self) -> Lesson {
        self.lesson
    }

    /// Whether the program is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.is_running()
    }

    /// What the program printed so far, and how it ended if it did.
    ///
    /// A program that is ending (its main thread panicked, or it closed both outputs, as it
    /// does when it exits or crashes) is waited for, at most [`EXITING`]: the report then
    /// says how it ended, not that it was still running. That also holds behind a shell
    /// (`sh -c '...; exec program'`), whose outputs are the program's.
    pub fn seen(&mut self) -> Seen {
        let mut status = self.child.status();
        // (Not for a program stopped at a `todo!()`: its report names the TODO, not how the
        // program ended.)
        if status.is_none() && self.is_ending() && !self.stopped_at_todo() {
            status = self.child.wait(EXITING);
        }
        if status.is_some() {
            // A program that just crashed is still writing its panic message: give it a
            // moment to finish.
            self.child
                .wait_for_ends(&[Stream::Out, Stream::Err], Duration::from_millis(500));
        }
        Seen {
            stdout: self.child.output(Stream::Out),
            stderr: self.child.output(Stream::Err),
            status,
            stopped_by_test: false,
        }
    }

    /// Whether the program printed the panic of a `todo!()`.
    fn stopped_at_todo(&self) -> bool {
        let stderr = self.child.output(Stream::Err);
        crate::report::todo_reached(&String::from_utf8_lossy(&stderr)).is_some()
    }

    /// Whether the program shows it is on its way out: both outputs closed, or a panic of
    /// its main thread on stderr.
    fn is_ending(&self) -> bool {
        let closed = self
            .child
            .wait_for_ends(&[Stream::Out, Stream::Err], Duration::ZERO);
        let stderr = self.child.output(Stream::Err);
        closed || crate::report::main_panicked(&String::from_utf8_lossy(&stderr))
    }

    /// Waits until stderr shows `needle`; returns all of stderr so far.
    pub fn wait_for_stderr(&mut self, needle: &str, within: Duration) -> Result<String, Waited> {
        let bytes = self
            .child
            .wait_contains(Stream::Err, needle.as_bytes(), within)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Everything printed on stderr so far.
    pub fn stderr(&mut self) -> String {
        String::from_utf8_lossy(&self.seen().stderr).into_owned()
    }

    /// Fails the test, with this program's output in the report.
    ///
    /// A program still running gets [`EXITING`] to end first: the check often failed because
    /// the program is crashing (its connection reset as a `todo!()` unwound), and its panic
    /// message, already written, may not have been read yet. Without it the report would
    /// blame the check's own step instead of the `todo!()` the program stopped at.
    pub fn fail(&mut self, problem: Problem) -> ! {
        if self.child.status().is_none() {
            self.child.wait(EXITING);
        }
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
