//! The relay in front of the demo's server: clients connect to the demo's port (1234), the
//! relay connects to the server on a port of its own, copies the bytes both ways, and
//! narrates what passes ([`super::narrate`]).
//!
//! Why a relay, rather than the server on port 1234 itself:
//!
//! - **The port stays.** The relay holds port 1234 for the whole demo; the server behind it
//!   may end (the lesson 2 server serves one client) and start again on any port, and the
//!   address the students copied from the screen stays right.
//! - **The server's pane can say who did what.** The server prints what it received, but
//!   not from whom; the relay sees every connection.
//!
//! The relay copies faithfully, ends included: a client's end of stream (FIN) reaches the
//! server as one, and the server's reaches the client. After the server has closed a
//! connection, netcat (the OpenBSD one) stays open until it sends its next line, which a
//! closed socket answers with a reset; the relay does the same, so netcat behaves through
//! the demo exactly as it would without it.
//!
//! The UDP relay is in [`super::datagrams`].

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use super::narrate::{Direction, Lines, Narrator};

/// Bytes read at a time.
const CHUNK: usize = 8192;

/// Where the server listens now: `None` while it is not running.
#[derive(Default)]
pub(super) struct Upstream(Mutex<Option<SocketAddr>>);

impl Upstream {
    pub fn set(&self, address: Option<SocketAddr>) {
        *self.0.lock().unwrap_or_else(|poison| poison.into_inner()) = address;
    }

    pub fn get(&self) -> Option<SocketAddr> {
        *self.0.lock().unwrap_or_else(|poison| poison.into_inner())
    }
}

/// Accepts clients on `listener` for as long as the demo runs, each in a thread of its own.
pub(super) fn start_tcp(listener: TcpListener, upstream: Arc<Upstream>, narrator: Arc<Narrator>) {
    thread::spawn(move || {
        for client in listener.incoming() {
            // An accept that fails (a client that gave up at once, too many open files)
            // ends only that one attempt.
            let Ok(client) = client else { continue };
            let Ok(peer) = client.peer_addr() else {
                continue;
            };
            let (upstream, narrator) = (Arc::clone(&upstream), Arc::clone(&narrator));
            thread::spawn(move || {
                narrator.connected(peer);
                relay_connection(&client, peer, &upstream, &narrator);
                narrator.left(peer);
            });
        }
    });
}

/// One client's whole connection, through to the server and back.
fn relay_connection(
    client: &TcpStream,
    peer: SocketAddr,
    upstream: &Upstream,
    narrator: &Narrator,
) {
    let Some(address) = upstream.get() else {
        narrator.say(peer, "no server is running: closed");
        return;
    };
    let server = match TcpStream::connect(address) {
        Ok(server) => server,
        Err(error) => {
            narrator.say(peer, &format!("could not reach the server: {error}"));
            return;
        }
    };
    let (Ok(server_reader), Ok(client_writer)) = (server.try_clone(), client.try_clone()) else {
        narrator.say(peer, "could not copy the connection's handle: closed");
        return;
    };
    let ends = Ends::default();
    let back = thread::scope(|scope| {
        let ends = &ends;
        let back =
            scope.spawn(move || from_server(server_reader, client_writer, peer, narrator, ends));
        from_client(client, &server, peer, narrator, ends);
        back.join()
    });
    if back.is_err() {
        narrator.say(peer, "the relay's thread failed");
    }
}

/// Which side has ended its stream, as the two copying threads see it.
#[derive(Default)]
struct Ends {
    client: AtomicBool,
    server: AtomicBool,
}

/// Client to server, until the client's end of stream, an error, or (after the server has
/// closed the connection) the client's next bytes.
fn from_client(
    mut client: &TcpStream,
    mut server: &TcpStream,
    peer: SocketAddr,
    narrator: &Narrator,
    ends: &Ends,
) {
    let mut buffer = vec![0; CHUNK];
    let mut lines = Lines::default();
    loop {
        // Look before reading: bytes that arrive after the server closed stay unread, and
        // closing a socket with unread bytes resets the connection, as the server's own
        // system would have done.
        match client.peek(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(_) if ends.server.load(Ordering::SeqCst) => {
                narrator.say(peer, "sent more after the server closed: reset");
                return;
            }
            Ok(_) => {}
        }
        let count = match client.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(count) => count,
        };
        let bytes = &buffer[..count];
        if narrator.wire() {
            narrator.bytes(peer, Direction::In, bytes);
        } else {
            lines.feed(bytes, |line, total| {
                narrator.line(peer, Direction::In, line, total);
            });
        }
        if server.write_all(bytes).is_err() {
            // The server is gone; the other thread sees it too and closes the client's side.
            let _ = server.shutdown(Shutdown::Both);
            return;
        }
    }
    if let Some((line, total)) = lines.rest() {
        narrator.line(peer, Direction::In, &line, total);
    }
    ends.client.store(true, Ordering::SeqCst);
    narrator.end_of_stream(peer, Direction::In);
    let _ = server.shutdown(Shutdown::Write);
}

/// Server to client, until the server's end of stream or an error on either side.
fn from_server(
    mut server: TcpStream,
    mut client: TcpStream,
    peer: SocketAddr,
    narrator: &Narrator,
    ends: &Ends,
) {
    let mut buffer = vec![0; CHUNK];
    loop {
        let count = match server.read(&mut buffer) {
            Ok(0) => {
                ends.server.store(true, Ordering::SeqCst);
                narrator.end_of_stream(peer, Direction::Out);
                // Worth saying only when the server ends first (after STOP, say): the
                // client is then still connected, and learns of it only when it next reads.
                if !ends.client.load(Ordering::SeqCst) {
                    narrator.say(peer, "the server closed the connection");
                }
                let _ = client.shutdown(Shutdown::Write);
                return;
            }
            Ok(count) => count,
            Err(error) => {
                ends.server.store(true, Ordering::SeqCst);
                narrator.say(peer, &format!("lost the server: {}", describe(&error)));
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
        };
        let bytes = &buffer[..count];
        if narrator.wire() {
            narrator.bytes(peer, Direction::Out, bytes);
        }
        if client.write_all(bytes).is_err() {
            // The client is gone: let the server know, and wake the other thread.
            let _ = server.shutdown(Shutdown::Both);
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// An error's kind in a few words (the system's own text differs between systems).
fn describe(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::ConnectionReset => "connection reset".into(),
        io::ErrorKind::ConnectionAborted => "connection aborted".into(),
        _ => error.to_string(),
    }
}
