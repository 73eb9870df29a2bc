//! TCP: a client played by the test (for server lessons), and a server played by the test
//! (for client lessons).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use crate::record::{Record, push, recorded, wait_recorded};
use crate::{STEP, shown};

/// A TCP client played by the test, with a deadline on every read and write.
pub struct Peer {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Peer {
    /// Connects within [`STEP`].
    pub fn connect(address: SocketAddr) -> io::Result<Peer> {
        crate::next_step::enter();
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

    /// Reads one line, as [`Peer::receive_line`], except that when the deadline passes after
    /// some bytes of a line have come, it returns those bytes (no `\n` at the end) instead of
    /// the timeout: a report can then show the reply that never ended ("1" without its `\n`).
    pub fn receive_reply(&mut self) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        match self.reader.read_until(b'\n', &mut line) {
            Err(error) if is_timeout(&error) && !line.is_empty() => Ok(line),
            Err(error) => Err(error),
            Ok(_) => Ok(line),
        }
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
    received: Arc<Record<u8>>,
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
        crate::next_step::enter();
        let listener = TcpListener::bind(address).expect("the test could not bind its server");
        let address = listener
            .local_addr()
            .expect("a bound listener has an address");
        let received: Arc<Record<u8>> = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
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
                push(&record, line.iter().copied());
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

/// A TCP address on which nothing listens, and that no other test can be given: its port is
/// outside the range the system hands out for port 0 (see [`process::ports`]).
pub fn closed_port() -> SocketAddr {
    crate::next_step::enter();
    process::ports::closed_tcp_address().expect("the test could not find a free port")
}

/// Whether this machine has IPv6 loopback (some containers and CI runners do not).
pub fn has_ipv6_loopback() -> bool {
    TcpListener::bind("[::1]:0").is_ok()
}
