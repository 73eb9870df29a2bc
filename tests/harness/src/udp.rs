//! UDP: a server played by the test (for client lessons) and a client played by the test
//! (for server lessons).

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::record::{Record, push, recorded, wait_recorded};
use crate::tcp::{Answer, is_timeout};
use crate::{STEP, shown};

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
    received: Arc<Record<Datagram>>,
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
        crate::next_step::enter();
        let socket = UdpSocket::bind(address).expect("the test could not bind its UDP server");
        let address = socket.local_addr().expect("a bound socket has an address");
        // A short read timeout lets the thread notice `stop` soon after the test ends.
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("the test could set a read timeout");
        let received: Arc<Record<Datagram>> = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
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
                push(&record, [datagram.clone()]);
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
        crate::next_step::enter();
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
    crate::next_step::enter();
    process::ports::closed_udp_address().expect("the test could not find a free UDP port")
}
