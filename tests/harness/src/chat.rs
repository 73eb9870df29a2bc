//! # Chat clients played by the test (lesson 8)
//!
//! A chat server is tested with many clients at once, each reading what the others cause.
//! [`ChatClient`] is one of them: it sends lines and hears lines, every wait on a deadline,
//! and keeps the bytes of a line that arrived only in part, so that a line split over many
//! reads is still heard whole. What it hears is a [`Heard`], which a failure report can
//! describe.
//!
//! Also here: [`memory_of`], the memory a process uses right now and at most so far (read
//! from `/proc` on Linux), for the test that a client who never reads cannot make the server
//! grow without limit.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::{STEP, is_timeout, shown};

/// What a chat client heard when it waited for a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A whole line, without its `\n` (or `\r\n`).
    Line(String),
    /// The server closed the connection; `partial` is what came after the last `\n`.
    Closed { partial: Vec<u8> },
    /// Nothing within the deadline; `partial` is the start of a line that has not ended.
    Silence { partial: Vec<u8> },
    /// The connection failed (for example, it was reset).
    Failed(io::ErrorKind),
}

impl Heard {
    /// The line heard, if a whole line was.
    pub fn line(&self) -> Option<&str> {
        match self {
            Heard::Line(line) => Some(line),
            _ => None,
        }
    }

    /// Whether the connection ended (closed, or failed), as opposed to a line or silence.
    pub fn is_end(&self) -> bool {
        matches!(self, Heard::Closed { .. } | Heard::Failed(_))
    }

    /// For the `got:` line of a report.
    pub fn describe(&self, within: Duration) -> String {
        let wait = format!("{:.1} s", within.as_secs_f64());
        match self {
            Heard::Line(line) => format!("the line {}", shown(line.as_bytes())),
            Heard::Closed { partial } if partial.is_empty() => {
                "the connection closed (no more lines)".into()
            }
            Heard::Closed { partial } => format!(
                "{} and then the connection closed, without a \\n",
                shown(partial)
            ),
            Heard::Silence { partial } if partial.is_empty() => format!("nothing within {wait}"),
            Heard::Silence { partial } => format!(
                "{} and then nothing within {wait}: the line never ended",
                shown(partial)
            ),
            Heard::Failed(kind) => format!("the connection failed: {kind}"),
        }
    }
}

/// One chat client played by the test.
pub struct ChatClient {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
    /// Bytes of a line that has not ended yet.
    partial: Vec<u8>,
    /// Once the connection has ended, every later wait hears that again at once.
    ended: Option<Heard>,
}

impl ChatClient {
    /// Connects within [`STEP`]. `Nagle` is turned off, so that each `send` leaves at once,
    /// in a segment of its own: "one byte at a time" then really is.
    pub fn connect(address: SocketAddr) -> io::Result<ChatClient> {
        crate::next_step::enter();
        let stream = TcpStream::connect_timeout(&address, STEP)?;
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(STEP))?;
        let reader = BufReader::new(stream.try_clone()?);
        Ok(ChatClient {
            stream,
            reader,
            partial: Vec::new(),
            ended: None,
        })
    }

    /// Sends bytes as they are, in one write.
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Sends `text` and one `\n`, in one write.
    pub fn say(&mut self, text: &str) -> io::Result<()> {
        self.send(format!("{text}\n").as_bytes())
    }

    /// Waits at most [`STEP`] for the next line.
    pub fn hear(&mut self) -> Heard {
        self.hear_within(STEP)
    }

    /// Waits at most `within` for the next line.
    pub fn hear_within(&mut self, within: Duration) -> Heard {
        if let Some(ended) = &self.ended {
            return ended.clone();
        }
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return self.silence();
            }
            // A zero timeout means "no timeout" to the OS: never ask for that.
            if let Err(error) = self
                .stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            {
                return self.end(Heard::Failed(error.kind()));
            }
            match self.reader.read_until(b'\n', &mut self.partial) {
                Ok(0) => {
                    let partial = std::mem::take(&mut self.partial);
                    return self.end(Heard::Closed { partial });
                }
                Ok(_) if self.partial.ends_with(b"\n") => return Heard::Line(self.take_line()),
                // Bytes without a `\n`, then the end of the stream: the next read says so.
                Ok(_) => continue,
                Err(error) if is_timeout(&error) => return self.silence(),
                // A signal to the test process (another test's program exiting) interrupts
                // the wait: wait for the rest of the time.
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return self.end(Heard::Failed(error.kind())),
            }
        }
    }

    /// Waits, line after line, until a line equal to `wanted` (within [`STEP`] of the one
    /// before). Returns the lines heard before it; or, if it never came, those lines and what
    /// was heard instead.
    pub fn hear_until(&mut self, wanted: &str) -> Result<Vec<String>, (Vec<String>, Heard)> {
        let mut before = Vec::new();
        loop {
            match self.hear() {
                Heard::Line(line) if line == wanted => return Ok(before),
                Heard::Line(line) => before.push(line),
                other => return Err((before, other)),
            }
        }
    }

    /// Reads and discards until the server closes the connection, for at most `within`.
    /// Returns the whole lines heard on the way, and how it ended (closed, failed, or silence
    /// when the deadline came first).
    pub fn hear_to_end(&mut self, within: Duration) -> (Vec<String>, Heard) {
        let deadline = Instant::now() + within;
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.hear_within(left) {
                Heard::Line(line) => lines.push(line),
                other => return (lines, other),
            }
        }
    }

    /// Closes only the sending side: the server reads the end of the stream.
    pub fn finish_sending(&self) -> io::Result<()> {
        self.stream.shutdown(std::net::Shutdown::Write)
    }

    /// The connection, for what the helpers do not cover.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    fn take_line(&mut self) -> String {
        let mut bytes = std::mem::take(&mut self.partial);
        bytes.pop();
        if bytes.ends_with(b"\r") {
            bytes.pop();
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn silence(&self) -> Heard {
        Heard::Silence {
            partial: self.partial.clone(),
        }
    }

    fn end(&mut self, heard: Heard) -> Heard {
        self.ended = Some(heard.clone());
        heard
    }
}

/// A process's memory in KiB: resident now (`VmRSS`) and the most it has been (`VmHWM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    pub resident_kib: u64,
    pub peak_kib: u64,
}

/// The memory of process `pid`, from `/proc/<pid>/status`. `None` where there is no `/proc`
/// (macOS, Windows) or the process is gone.
pub fn memory_of(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some(Memory {
        resident_kib: field("VmRSS:")?,
        peak_kib: field("VmHWM:")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process_memory_on_linux() {
        let memory = memory_of(std::process::id());
        if cfg!(target_os = "linux") {
            let memory = memory.expect("/proc/self/status has VmRSS and VmHWM");
            assert!(memory.resident_kib > 0 && memory.peak_kib >= memory.resident_kib);
        }
    }

    #[test]
    fn describes_what_was_heard() {
        let closed = Heard::Closed {
            partial: b"hal".to_vec(),
        };
        assert!(closed.describe(STEP).contains("\"hal\""));
        assert!(closed.is_end());
        assert_eq!(Heard::Line("a".into()).line(), Some("a"));
    }
}
