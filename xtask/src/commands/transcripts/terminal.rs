//! The terminals of a session: our programs, and the stand-ins for netcat.
//!
//! A [`Terminal`] runs one of our programs and records its screen. The netcat stand-ins
//! (`terminal/netcat.rs`) do what `nc` does in the sessions the book shows. At the end, the
//! ports a session needs.

use std::net::{TcpListener, UdpSocket};
use std::process::Command;

use process::{Spawned, Stream, Waited};

use super::{Programs, STEP};

mod netcat;

pub use netcat::{TcpNetcat, UdpNetcatClient, UdpNetcatServer};

/// One program in one terminal: what it prints, and what is typed into it.
///
/// stdout and stderr are read separately, so the order in which their bytes arrive here is
/// not the order in which the program wrote them. The session says instead what it waits
/// for, on which stream ([`Terminal::expect_out`], [`Terminal::expect_err`]), and the
/// screen is built in that order. The program's output is the real one; only the
/// session's knowledge of the protocol decides how stdout and stderr interleave.
pub struct Terminal {
    program: String,
    child: Spawned,
    screen: Vec<u8>,
}

impl Terminal {
    /// Starts lesson `lesson`'s reference solution with `args`. The screen begins with the
    /// command a learner types, `cargo run -q -p PACKAGE -- SHOWN_ARGUMENT`.
    pub fn start(
        programs: &Programs,
        lesson: u32,
        args: &[&str],
        shown_argument: &str,
    ) -> Result<Terminal, String> {
        Terminal::start_with_env(programs, lesson, args, shown_argument, &[])
    }

    /// [`Terminal::start`], with these environment variables set (such as `TZ`).
    pub fn start_with_env(
        programs: &Programs,
        lesson: u32,
        args: &[&str],
        shown_argument: &str,
        env: &[(&str, &str)],
    ) -> Result<Terminal, String> {
        let (package, executable) = programs.solution(lesson)?;
        let child = Spawned::start(
            Command::new(executable)
                .args(args)
                .envs(env.iter().copied()),
        )
        .map_err(|err| format!("could not start {package}: {err}"))?;
        Ok(Terminal {
            program: package.clone(),
            child,
            screen: format!("$ cargo run -q -p {package} -- {shown_argument}\n").into_bytes(),
        })
    }

    /// Waits until the program has printed `text` on stdout, and shows everything it printed
    /// there up to and including `text`.
    pub fn expect_out(&mut self, text: &str) -> Result<(), String> {
        self.expect(Stream::Out, text)
    }

    /// The same for stderr.
    pub fn expect_err(&mut self, text: &str) -> Result<(), String> {
        self.expect(Stream::Err, text)
    }

    fn expect(&mut self, stream: Stream, text: &str) -> Result<(), String> {
        match self.child.read_until(stream, text.as_bytes(), STEP) {
            Ok(shown) => {
                self.screen.extend(shown);
                Ok(())
            }
            Err(Waited::Ended) => Err(self.stuck(&format!("its {stream} ended before {text:?}"))),
            Err(Waited::TimedOut) => {
                Err(self.stuck(&format!("no {text:?} on its {stream} within {STEP:?}")))
            }
        }
    }

    /// Reads `Listening on 127.0.0.1:PORT` and returns the port.
    pub fn listening_port(&mut self) -> Result<u16, String> {
        self.expect_out("Listening on ")?;
        let start = self.screen.len();
        self.expect_out("\n")?;
        let line = String::from_utf8_lossy(&self.screen[start..]).into_owned();
        line.trim()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .ok_or_else(|| self.stuck(&format!("no port in the listening line {line:?}")))
    }

    /// Types `line` and Enter: the terminal shows it, and the program reads it.
    pub fn type_line(&mut self, line: &str) -> Result<(), String> {
        let typed = format!("{line}\n");
        self.screen.extend(typed.as_bytes());
        self.child
            .write(typed.as_bytes())
            .map_err(|err| format!("could not type into {}: {err}", self.program))
    }

    pub fn screen_so_far(&self) -> String {
        String::from_utf8_lossy(&self.screen).into_owned()
    }

    /// Ends the input (Ctrl-D), waits for the program to exit with `status`, and returns the
    /// whole screen, with any output not expected yet at its end.
    pub fn finish(mut self, status: i32) -> Result<String, String> {
        self.child.close_stdin();
        if !self.child.wait_for_ends(&[Stream::Out, Stream::Err], STEP) {
            return Err(self.stuck("its output did not end"));
        }
        let Some(exit) = self.child.wait(STEP) else {
            return Err(self.stuck("the program did not exit"));
        };
        self.show_the_rest();
        if exit.code() != Some(status) {
            return Err(self.stuck(&format!(
                "it exited with status {:?}, the session expects {status}",
                exit.code()
            )));
        }
        Ok(self.screen_so_far())
    }

    /// For a server that runs until it is stopped: Ctrl-C (here, killing it), then the whole
    /// screen. Everything it printed before is on the screen, since the session waited for
    /// each reply, and so for the line the server printed before it.
    pub fn finish_stopped(mut self) -> Result<String, String> {
        self.child.kill();
        if !self.child.wait_for_ends(&[Stream::Out, Stream::Err], STEP) {
            return Err(self.stuck("its output did not end"));
        }
        self.show_the_rest();
        Ok(self.screen_so_far())
    }

    /// Ctrl-C: sends SIGINT (Unix only; the sessions run on Linux) and shows `^C`, as the
    /// terminal echoes it. The program goes on until it ends by itself: [`Terminal::finish`].
    pub fn interrupt(&mut self) -> Result<(), String> {
        let sent = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        if !sent.as_ref().is_ok_and(|status| status.success()) {
            return Err(self.stuck(&format!("`kill -INT` did not work: {sent:?}")));
        }
        self.screen.extend(b"^C");
        Ok(())
    }

    /// [`Terminal::finish`], followed by `$ echo $?` and the status.
    pub fn finish_showing_status(self, status: i32) -> Result<String, String> {
        let screen = self.finish(status)?;
        Ok(format!("{screen}$ echo $?\n{status}\n"))
    }

    /// Puts what the program printed and no step waited for at the end of the screen.
    fn show_the_rest(&mut self) {
        let out = self.child.take_unread(Stream::Out);
        let err = self.child.take_unread(Stream::Err);
        self.screen.extend(out);
        self.screen.extend(err);
    }

    /// An error message for a session that went wrong, with what the screen shows so far.
    fn stuck(&mut self, why: &str) -> String {
        let out = self.child.take_unread(Stream::Out);
        let err = self.child.take_unread(Stream::Err);
        format!(
            "the session with {} went wrong: {why}\n--- its terminal so far ---\n{}{}{}\n---",
            self.program,
            String::from_utf8_lossy(&self.screen),
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&err),
        )
    }
}

/// A TCP port on which nothing listens, and that no `bind(0)` is given meanwhile.
pub fn free_port() -> Result<u16, String> {
    process::ports::unused_tcp().map_err(|err| format!("could not find a free port: {err}"))
}

/// A UDP port on which nothing listens, and that no `bind(0)` is given meanwhile.
pub fn free_udp_port() -> Result<u16, String> {
    process::ports::unused_udp().map_err(|err| format!("could not find a free UDP port: {err}"))
}

pub fn local_port(listener: &TcpListener) -> Result<u16, String> {
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|err| format!("could not read a local address: {err}"))
}

pub fn udp_port(socket: &UdpSocket) -> Result<u16, String> {
    socket
        .local_addr()
        .map(|address| address.port())
        .map_err(|err| format!("could not read a local address: {err}"))
}
