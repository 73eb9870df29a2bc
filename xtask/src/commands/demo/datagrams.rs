//! The UDP relay: datagrams to the demo's port go on to the server, its replies come back.
//!
//! UDP has no connections, so the relay keeps one socket of its own per sender: the server
//! then sees each sender at an address of its own and answers it there, and whatever
//! arrives on that socket goes back to that sender. Every datagram is narrated, with its
//! sender's address (`[127.0.0.1:50000] -> hello`); `--wire` shows the replies too, exactly
//! (`<- "417"`: the lesson 4 server's replies have no newline).

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::thread;

use super::narrate::{Direction, Narrator};
use super::relay::Upstream;

/// Larger than the largest datagram (65,507 bytes of data over IPv4, 65,527 over IPv6).
const DATAGRAM: usize = 65_536;

/// Senders remembered at most: each holds a socket. A demo has a room's worth.
const MOST_SENDERS: usize = 500;

/// One sender's socket towards the server, and the server address it is connected to.
struct Route {
    socket: Arc<UdpSocket>,
    server: SocketAddr,
}

/// Relays datagrams arriving on `public` for as long as the demo runs.
pub(super) fn start_udp(public: UdpSocket, upstream: Arc<Upstream>, narrator: Arc<Narrator>) {
    let public = Arc::new(public);
    thread::spawn(move || {
        let mut routes: HashMap<SocketAddr, Route> = HashMap::new();
        let mut buffer = vec![0; DATAGRAM];
        loop {
            let (count, sender) = match public.recv_from(&mut buffer) {
                Ok(received) => received,
                // Windows reports a "port unreachable" for an earlier reply here; it
                // concerns a sender that left, not the relay.
                Err(error) if gone(&error) => continue,
                Err(error) => {
                    super::narrate::show(&format!("demo: the UDP relay stopped: {error}\n"));
                    return;
                }
            };
            let datagram = &buffer[..count];
            if !routes.contains_key(&sender) {
                narrator.new_sender(sender);
            }
            if narrator.wire() {
                narrator.bytes(sender, Direction::In, datagram);
            } else {
                narrator.line(sender, Direction::In, datagram, datagram.len());
            }
            let Some(server) = upstream.get() else {
                narrator.say(sender, "no server is running: dropped");
                continue;
            };
            match route(&mut routes, sender, server, &public, &narrator) {
                Ok(socket) => {
                    if let Err(error) = socket.send(datagram) {
                        narrator.say(sender, &format!("could not pass it on: {error}"));
                    }
                }
                Err(error) => narrator.say(sender, &format!("could not relay: {error}")),
            }
        }
    });
}

/// The sender's socket towards the server, made (with its thread for the replies) on its
/// first datagram, and pointed at the server's new port after a restart.
fn route(
    routes: &mut HashMap<SocketAddr, Route>,
    sender: SocketAddr,
    server: SocketAddr,
    public: &Arc<UdpSocket>,
    narrator: &Arc<Narrator>,
) -> io::Result<Arc<UdpSocket>> {
    if let Some(route) = routes.get_mut(&sender) {
        if route.server != server {
            route.socket.connect(server)?;
            route.server = server;
        }
        return Ok(Arc::clone(&route.socket));
    }
    if routes.len() >= MOST_SENDERS {
        return Err(io::Error::other(format!(
            "more than {MOST_SENDERS} senders; restart the demo"
        )));
    }
    let local: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::LOCALHOST, 0).into()
    } else {
        (Ipv6Addr::LOCALHOST, 0).into()
    };
    let socket = Arc::new(UdpSocket::bind(local)?);
    socket.connect(server)?;
    let (replies, public, narrator) = (
        Arc::clone(&socket),
        Arc::clone(public),
        Arc::clone(narrator),
    );
    thread::spawn(move || pass_replies_back(&replies, &public, sender, &narrator));
    routes.insert(
        sender,
        Route {
            socket: Arc::clone(&socket),
            server,
        },
    );
    Ok(socket)
}

/// Every datagram the server sends to this sender's socket goes back to the sender, from
/// the demo's port (the address the sender wrote to, so a connected client accepts it).
fn pass_replies_back(
    socket: &UdpSocket,
    public: &UdpSocket,
    sender: SocketAddr,
    narrator: &Narrator,
) {
    let mut buffer = vec![0; DATAGRAM];
    loop {
        let count = match socket.recv(&mut buffer) {
            Ok(count) => count,
            // The server is not running (between two runs): its system said so. The next
            // datagram may find it again.
            Err(error) if gone(&error) => continue,
            Err(_) => return,
        };
        let reply = &buffer[..count];
        if narrator.wire() {
            narrator.bytes(sender, Direction::Out, reply);
        }
        if let Err(error) = public.send_to(reply, sender) {
            narrator.say(sender, &format!("could not send the reply back: {error}"));
        }
    }
}

/// A "port unreachable" report: refused on Linux and macOS, reset on Windows.
fn gone(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
    )
}
