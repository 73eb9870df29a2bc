//! The terminals of a session: our programs, and the stand-ins for netcat.
//!
//! A [`Terminal`] runs one of our programs and records its screen. The netcat stand-ins do
//! what `nc` does in the sessions the book shows (send each typed line, show the bytes that
//! come back), with a plain socket, so their screens are exactly netcat's.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;

use process::{Spawned, Stream, Waited};

use super::{Programs, SHOWN_PORT, STEP};

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

// ---------------------------------------------------------------------------------------
// netcat, as far as the book shows it

/// `nc 127.0.0.1 PORT`: each typed line goes to the TCP server, each line back is shown.
pub struct TcpNetcat {
    stream: TcpStream,
    replies: BufReader<TcpStream>,
    screen: String,
}

impl TcpNetcat {
    pub fn connect(port: u16) -> Result<TcpNetcat, String> {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .map_err(|err| format!("netcat stand-in could not connect: {err}"))?;
        stream
            .set_read_timeout(Some(STEP))
            .map_err(|err| format!("netcat stand-in: {err}"))?;
        let replies = BufReader::new(
            stream
                .try_clone()
                .map_err(|err| format!("netcat stand-in: {err}"))?,
        );
        Ok(TcpNetcat {
            stream,
            replies,
            screen: format!("$ nc 127.0.0.1 {SHOWN_PORT}\n"),
        })
    }

    pub fn type_line(&mut self, line: &str) -> Result<(), String> {
        let typed = format!("{line}\n");
        self.screen.push_str(&typed);
        self.stream
            .write_all(typed.as_bytes())
            .map_err(|err| format!("netcat stand-in could not send: {err}"))
    }

    /// The port of our end of the connection, which the server sees as the client's.
    pub fn local_port(&self) -> Result<u16, String> {
        self.stream
            .local_addr()
            .map(|address| address.port())
            .map_err(|err| format!("netcat stand-in: {err}"))
    }

    /// Waits for one line from the server and shows it.
    pub fn show_reply(&mut self) -> Result<(), String> {
        let mut reply = String::new();
        match self.replies.read_line(&mut reply) {
            Ok(0) => Err("netcat stand-in: the server closed the connection".to_string()),
            Ok(_) => {
                self.screen.push_str(&reply);
                Ok(())
            }
            Err(err) => Err(format!("netcat stand-in got no reply: {err}")),
        }
    }

    /// Ctrl-C, or the server hanging up: the connection closes. Returns once the server has
    /// closed its side too, so that whatever the server does when a client leaves (a
    /// count going down) has happened before the session goes on.
    pub fn close(mut self) -> Result<String, String> {
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        let mut rest = Vec::new();
        self.replies
            .read_to_end(&mut rest)
            .map_err(|err| format!("netcat stand-in: the server did not close: {err}"))?;
        self.screen.push_str(&String::from_utf8_lossy(&rest));
        Ok(self.screen)
    }

    /// The screen so far, for a netcat that is left running.
    pub fn screen(&self) -> String {
        self.screen.clone()
    }
}

/// `nc -u -l PORT`: a UDP "server" that shows every datagram and answers only when a
/// person types something.
pub struct UdpNetcatServer {
    socket: UdpSocket,
    port: u16,
    last_sender: Option<SocketAddr>,
    screen: String,
}

impl UdpNetcatServer {
    pub fn bind() -> Result<UdpNetcatServer, String> {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .map_err(|err| format!("UDP netcat stand-in could not bind: {err}"))?;
        socket
            .set_read_timeout(Some(STEP))
            .map_err(|err| format!("UDP netcat stand-in: {err}"))?;
        let port = udp_port(&socket)?;
        Ok(UdpNetcatServer {
            socket,
            port,
            last_sender: None,
            screen: format!("$ nc -u -l {SHOWN_PORT}\n"),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits for one datagram and shows it as netcat does: its bytes, as they are.
    pub fn show_datagram(&mut self) -> Result<(), String> {
        let mut buffer = [0u8; 65_536];
        let (size, sender) = self
            .socket
            .recv_from(&mut buffer)
            .map_err(|err| format!("UDP netcat stand-in received nothing: {err}"))?;
        self.screen
            .push_str(&String::from_utf8_lossy(&buffer[..size]));
        self.last_sender = Some(sender);
        Ok(())
    }

    /// Typing a line in netcat's terminal sends it back to whoever sent the last datagram.
    pub fn type_line(&mut self, line: &str) -> Result<(), String> {
        let typed = format!("{line}\n");
        self.screen.push_str(&typed);
        let sender = self
            .last_sender
            .ok_or("UDP netcat stand-in: nobody to answer yet")?;
        self.socket
            .send_to(typed.as_bytes(), sender)
            .map(|_| ())
            .map_err(|err| format!("UDP netcat stand-in could not send: {err}"))
    }

    pub fn screen(&self) -> String {
        self.screen.clone()
    }
}

/// `nc -u 127.0.0.1 PORT`: each typed line goes out as one datagram; whatever comes back is
/// shown as it is, without adding a newline.
pub struct UdpNetcatClient {
    socket: UdpSocket,
    screen: String,
}

impl UdpNetcatClient {
    pub fn connect(port: u16) -> Result<UdpNetcatClient, String> {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .and_then(|socket| socket.connect(("127.0.0.1", port)).map(|()| socket))
            .map_err(|err| format!("UDP netcat stand-in could not connect: {err}"))?;
        socket
            .set_read_timeout(Some(STEP))
            .map_err(|err| format!("UDP netcat stand-in: {err}"))?;
        Ok(UdpNetcatClient {
            socket,
            screen: format!("$ nc -u 127.0.0.1 {SHOWN_PORT}\n"),
        })
    }

    pub fn type_line(&mut self, line: &str) -> Result<(), String> {
        let typed = format!("{line}\n");
        self.screen.push_str(&typed);
        self.socket
            .send(typed.as_bytes())
            .map(|_| ())
            .map_err(|err| format!("UDP netcat stand-in could not send: {err}"))
    }

    /// Waits for one datagram and shows it. A reply that is a number (the lesson 4 server's
    /// are random) is shown as `shown_number` instead, so that the transcript stays the same.
    pub fn show_reply(&mut self, shown_number: &str) -> Result<(), String> {
        let mut buffer = [0u8; 65_536];
        let size = self
            .socket
            .recv(&mut buffer)
            .map_err(|err| format!("UDP netcat stand-in got no reply: {err}"))?;
        let reply = String::from_utf8_lossy(&buffer[..size]).into_owned();
        if !reply.is_empty() && reply.bytes().all(|byte| byte.is_ascii_digit()) {
            self.screen.push_str(shown_number);
        } else {
            self.screen.push_str(&reply);
        }
        Ok(())
    }

    pub fn screen(&self) -> String {
        self.screen.clone()
    }
}

// ---------------------------------------------------------------------------------------
// Ports

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
