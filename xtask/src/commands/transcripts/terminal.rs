//! The terminals of a session: our programs, and the stand-ins for netcat.
//!
//! A [`Terminal`] runs one of our programs and records its screen. The netcat stand-ins do
//! what `nc` does in the sessions the book shows (send each typed line, show the bytes that
//! come back), with a plain socket, so their screens are exactly netcat's.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use super::{Programs, SHOWN_PORT, STEP};

/// Which of a program's two output streams a chunk of bytes came from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
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

/// One program in one terminal: what it prints, and what is typed into it.
///
/// stdout and stderr are read by two threads, so the order in which their bytes arrive
/// here is not the order in which the program wrote them. The session says instead what
/// it waits for, on which stream ([`Terminal::expect_out`], [`Terminal::expect_err`]), and
/// the screen is built in that order. The program's output is the real one; only the
/// session's knowledge of the protocol decides how stdout and stderr interleave.
pub struct Terminal {
    program: String,
    child: Child,
    stdin: Option<ChildStdin>,
    chunks: Receiver<(Stream, Option<Vec<u8>>)>,
    /// Bytes received but not yet put on the screen, per stream.
    pending_out: Vec<u8>,
    pending_err: Vec<u8>,
    /// Streams whose end has been reached.
    closed: Vec<Stream>,
    screen: Vec<u8>,
}

impl Terminal {
    /// Starts `program` with `args`. The screen begins with the command a learner types,
    /// `cargo run -q -p PROGRAM -- SHOWN_ARGUMENT`.
    pub fn start(
        programs: &Programs,
        program: &str,
        args: &[&str],
        shown_argument: &str,
    ) -> Result<Terminal, String> {
        let mut child = Command::new(programs.path(program))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| format!("could not start {program}: {err}"))?;
        let (sender, chunks) = mpsc::channel();
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let stderr = child.stderr.take().ok_or("no stderr pipe")?;
        for (stream, mut reader) in [
            (Stream::Out, Box::new(stdout) as Box<dyn Read + Send>),
            (Stream::Err, Box::new(stderr) as Box<dyn Read + Send>),
        ] {
            let sender = sender.clone();
            thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                loop {
                    match reader.read(&mut buffer) {
                        Ok(0) | Err(_) => {
                            let _ = sender.send((stream, None));
                            return;
                        }
                        Ok(count) => {
                            if sender
                                .send((stream, Some(buffer[..count].to_vec())))
                                .is_err()
                            {
                                return;
                            }
                        }
                    }
                }
            });
        }
        let stdin = child.stdin.take();
        Ok(Terminal {
            program: program.to_string(),
            child,
            stdin,
            chunks,
            pending_out: Vec::new(),
            pending_err: Vec::new(),
            closed: Vec::new(),
            screen: format!("$ cargo run -q -p {program} -- {shown_argument}\n").into_bytes(),
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
        let deadline = Instant::now() + STEP;
        loop {
            let pending = match stream {
                Stream::Out => &mut self.pending_out,
                Stream::Err => &mut self.pending_err,
            };
            if let Some(at) = find(pending, text.as_bytes()) {
                let shown: Vec<u8> = pending.drain(..at + text.len()).collect();
                self.screen.extend(shown);
                return Ok(());
            }
            if self.closed.contains(&stream) {
                return Err(self.stuck(&format!("its {stream} ended before {text:?}")));
            }
            self.receive(deadline)
                .map_err(|why| self.stuck(&format!("{why} while waiting for {text:?}")))?;
        }
    }

    /// Takes in one chunk of output, or fails at the deadline.
    fn receive(&mut self, deadline: Instant) -> Result<(), String> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.chunks.recv_timeout(left) {
            Ok((Stream::Out, Some(bytes))) => self.pending_out.extend(bytes),
            Ok((Stream::Err, Some(bytes))) => self.pending_err.extend(bytes),
            Ok((stream, None)) => self.closed.push(stream),
            Err(RecvTimeoutError::Timeout) => return Err(format!("no output for {STEP:?}")),
            Err(RecvTimeoutError::Disconnected) => return Err("output closed".to_string()),
        }
        Ok(())
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
        let stdin = self.stdin.as_mut().ok_or("stdin already closed")?;
        stdin
            .write_all(typed.as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|err| format!("could not type into {}: {err}", self.program))
    }

    pub fn screen_so_far(&self) -> String {
        String::from_utf8_lossy(&self.screen).into_owned()
    }

    /// Ends the input (Ctrl-D), waits for the program to exit with `status`, and returns the
    /// whole screen, with any output not expected yet at its end.
    pub fn finish(mut self, status: i32) -> Result<String, String> {
        self.stdin = None;
        let deadline = Instant::now() + STEP;
        while self.closed.len() < 2 {
            self.receive(deadline)
                .map_err(|why| self.stuck(&format!("{why} while waiting for the end")))?;
        }
        let exited = loop {
            match self.child.try_wait() {
                Ok(Some(exit)) => break exit.code(),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
                Ok(None) => return Err(self.stuck("the program did not exit")),
                Err(err) => return Err(format!("could not wait for {}: {err}", self.program)),
            }
        };
        let rest_out = std::mem::take(&mut self.pending_out);
        let rest_err = std::mem::take(&mut self.pending_err);
        self.screen.extend(rest_out);
        self.screen.extend(rest_err);
        if exited != Some(status) {
            return Err(self.stuck(&format!(
                "it exited with status {exited:?}, the session expects {status}"
            )));
        }
        Ok(self.screen_so_far())
    }

    /// For a server that runs until it is stopped: Ctrl-C (here, killing it), then the whole
    /// screen. Everything it printed before is on the screen, since the session waited for
    /// each reply, and so for the line the server printed before it.
    pub fn finish_stopped(mut self) -> Result<String, String> {
        self.child
            .kill()
            .map_err(|err| format!("could not stop {}: {err}", self.program))?;
        let deadline = Instant::now() + STEP;
        while self.closed.len() < 2 {
            self.receive(deadline)
                .map_err(|why| self.stuck(&format!("{why} while waiting for the end")))?;
        }
        let _ = self.child.wait();
        let rest_out = std::mem::take(&mut self.pending_out);
        let rest_err = std::mem::take(&mut self.pending_err);
        self.screen.extend(rest_out);
        self.screen.extend(rest_err);
        Ok(self.screen_so_far())
    }

    /// [`Terminal::finish`], followed by `$ echo $?` and the status.
    pub fn finish_showing_status(self, status: i32) -> Result<String, String> {
        let screen = self.finish(status)?;
        Ok(format!("{screen}$ echo $?\n{status}\n"))
    }

    /// An error message for a session that went wrong, with what the screen shows so far.
    fn stuck(&self, why: &str) -> String {
        format!(
            "the session with {} went wrong: {why}\n--- its terminal so far ---\n{}{}{}\n---",
            self.program,
            String::from_utf8_lossy(&self.screen),
            String::from_utf8_lossy(&self.pending_out),
            String::from_utf8_lossy(&self.pending_err),
        )
    }
}

impl Drop for Terminal {
    /// A session that failed half-way must not leave its programs running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
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
