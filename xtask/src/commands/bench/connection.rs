//! One TCP connection of the bench, and many opened at once without overflowing the
//! server's listen backlog.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};

use super::sources::{self, Sources};
use super::{REPLY_TIMEOUT, WAVE};

/// A reply line longer than this is an error, not a reason to fill the bench's memory.
const MAX_REPLY: u64 = 64 * 1024;

// Talking to the server

/// One TCP connection of the bench, with its own small reader. One file handle: replies
/// are read through the reader, lines are written through `&TcpStream` (`get_ref`).
pub(super) struct Connection {
    pub(super) reader: BufReader<TcpStream>,
    pub(super) reply: Vec<u8>,
}

impl Connection {
    /// A connection to `address`, from `source` if given (else the system picks).
    pub(super) fn open(address: SocketAddr, source: Option<IpAddr>) -> std::io::Result<Connection> {
        let stream = match source {
            None => TcpStream::connect_timeout(&address, REPLY_TIMEOUT)?,
            Some(source) => sources::connect_from(source, address, REPLY_TIMEOUT)?,
        };
        stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
        stream.set_write_timeout(Some(REPLY_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            reader: BufReader::with_capacity(256, stream),
            reply: Vec::new(),
        })
    }

    pub(super) fn send(&mut self, line: &[u8]) -> std::io::Result<()> {
        self.reader.get_ref().write_all(line)
    }

    /// Reads one reply line; the end of the stream or a line without end is an error.
    pub(super) fn receive(&mut self) -> std::io::Result<&[u8]> {
        self.reply.clear();
        let read = (&mut self.reader)
            .take(MAX_REPLY)
            .read_until(b'\n', &mut self.reply);
        if let Err(error) = read {
            let timed_out = matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut);
            return Err(if timed_out {
                std::io::Error::other("no reply in time")
            } else {
                error
            });
        }
        if self.reply.ends_with(b"\n") {
            Ok(&self.reply)
        } else if self.reply.is_empty() {
            Err(std::io::Error::other("the server closed the connection"))
        } else {
            Err(std::io::Error::other("a reply without its newline"))
        }
    }

    pub(super) fn round_trip(&mut self, line: &[u8]) -> std::io::Result<()> {
        self.send(line)?;
        self.receive().map(|_| ())
    }
}

/// Opens `count` connections in waves of [`WAVE`], each wave closed by a round trip on its
/// last connection (see "The listen backlog" above), each from its turn of `sources`. Stops
/// at the first failure.
pub(super) fn open_in_waves(
    address: SocketAddr,
    count: usize,
    line: &[u8],
    sources: &Sources,
) -> (Vec<Connection>, Option<String>) {
    let mut connections = Vec::with_capacity(count);
    while connections.len() < count {
        let wave = WAVE.min(count - connections.len());
        for _ in 0..wave {
            match Connection::open(address, sources.of(connections.len())) {
                Ok(connection) => connections.push(connection),
                Err(error) => {
                    let opened = connections.len();
                    return (
                        connections,
                        Some(format!("connection {}: {error}", opened + 1)),
                    );
                }
            }
        }
        if let Some(last) = connections.last_mut()
            && let Err(error) = last.round_trip(line)
        {
            let opened = connections.len();
            return (
                connections,
                Some(format!("round trip on connection {opened}: {error}")),
            );
        }
    }
    (connections, None)
}
