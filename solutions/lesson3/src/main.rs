//! # Lesson 3: a UDP client
//!
//! Sends every line you type to a UDP server as one datagram and prints the datagram that
//! comes back as `Reply: <text>`. UDP may lose either of them without telling anyone, so the
//! client waits at most 2 seconds, sends the line again, and gives up on it after 3 tries.
//! Typing `STOP` ends the client.
//!
//! ```text
//! $ cargo run -p lesson3-solution -- 127.0.0.1:1234
//! The UDP server is 127.0.0.1:1234
//! >> hello
//! Reply: 713
//! >> STOP
//! Exiting UDP client!
//! ```
//!
// ANCHOR: header
//! What you will see in this file: `UdpSocket::bind` and `connect`, `send` and `recv` of
//! whole datagrams, a read timeout with `set_read_timeout`, and a retry loop.
// ANCHOR_END: header

use std::io::{self, BufRead, ErrorKind, Write};
// ANCHOR: imports
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
// ANCHOR_END: imports
use std::process::ExitCode;
use std::time::Duration;
use std::vec;

use netkit::Line;

// ANCHOR: constants
/// How long to wait for a reply before sending the message again.
const REPLY_TIMEOUT: Duration = Duration::from_secs(2);
/// How many times one message is sent, in all, before the client gives up on it.
const TRIES: u32 = 3;
/// 64 KiB: more than the largest datagram (65,507 bytes of data over IPv4, 65,527 over IPv6).
/// A datagram longer than the buffer given to `recv` is cut to fit, and the rest is lost:
/// without a word on Linux and macOS, with an error on Windows.
const BUFFER_SIZE: usize = netkit::MAX_LINE;
// ANCHOR_END: constants

// ANCHOR: main
fn main() -> ExitCode {
    let server = match netkit::client_argument() {
        Ok(server) => server,
        Err(usage_error) => return usage_error,
    };
    netkit::exit_with(talk_to(&server))
}
// ANCHOR_END: main

// ANCHOR: talk_to
/// The whole conversation: aim a socket at the server, then prompt, ask, print, until STOP
/// or the end of the input.
fn talk_to(server: &str) -> Result<(), String> {
    // A name can stand for several addresses (`localhost` may be ::1 and 127.0.0.1). We aim
    // at the first one and keep the others in `untried`, in case nothing listens there.
    let mut untried = server
        .to_socket_addrs()
        .map_err(|error| netkit::error_line(&format!("could not resolve {server}"), &error))?;
    let (mut socket, mut address) = aim_at_next(&mut untried, server)?;
    let mut keyboard = io::stdin().lock();
    // One receive buffer for the whole conversation.
    let mut buffer = vec![0u8; BUFFER_SIZE];

    while let Some(message) = prompt(&mut keyboard)? {
        if netkit::is_stop(&message) {
            // The server never answers STOP: send it and leave without waiting.
            send_line(&socket, &message).map_err(|error| trouble(address, &error))?;
            netkit::print_line("Exiting UDP client!")?;
            return Ok(());
        }
        let answer = loop {
            match ask(&socket, &message, &mut buffer) {
                // "Port unreachable": nothing listens there. If the name had another
                // address, aim at that one and ask again.
                Err(error) if nothing_listens(&error) && untried.len() > 0 => {
                    eprintln!("{}, trying the next address", trouble(address, &error));
                    (socket, address) = aim_at_next(&mut untried, server)?;
                }
                answer => break answer,
            }
        };
        match answer.map_err(|error| trouble(address, &error))? {
            // The server's text, its control characters escaped: a reply must not be able to
            // clear your screen or retitle your terminal.
            Some(reply) => netkit::print_line(&format!("Reply: {}", netkit::printable(&reply)))?,
            None => eprintln!("no reply from {address} after {TRIES} tries"),
        }
    }
    // The input ended (Ctrl-D, or the end of a piped file): a normal way to finish.
    Ok(())
}
// ANCHOR_END: talk_to

// ANCHOR: aim_at_next
/// Opens a socket aimed at the next untried address that takes one, and says which it is.
fn aim_at_next(
    untried: &mut vec::IntoIter<SocketAddr>,
    server: &str,
) -> Result<(UdpSocket, SocketAddr), String> {
    while let Some(address) = untried.next() {
        match open_socket(address) {
            Ok(socket) => {
                netkit::print_line(&format!("The UDP server is {address}"))?;
                return Ok((socket, address));
            }
            // `bind` or `connect` can fail for one family (IPv6 switched off, say) and work
            // for the other: move on, as `TcpStream::connect` does.
            Err(error) if untried.len() > 0 => {
                eprintln!("{}, trying the next address", trouble(address, &error));
            }
            Err(error) => return Err(trouble(address, &error)),
        }
    }
    Err(format!("could not resolve {server}: no address found"))
}

/// Whether `error` is the system passing on "port unreachable": nothing listens there.
///
/// Linux and macOS report it as `ConnectionRefused`. Windows reports it as
/// `ConnectionReset` (WSAECONNRESET), the same kind it uses for a reset TCP connection.
fn nothing_listens(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
    )
}
// ANCHOR_END: aim_at_next

// ANCHOR: open_socket
/// A UDP socket on a free local port, connected to the server.
///
/// UDP has no connection. On a UDP socket, `connect` sends nothing at all: it records a
/// default peer, so that `send` and `recv` need no address, and from then on the OS drops
/// datagrams from anyone else. It also lets the OS tell us when the server's machine answers
/// "port unreachable": a later `recv` fails (`ConnectionRefused`; `ConnectionReset` on Windows).
fn open_socket(server: SocketAddr) -> io::Result<UdpSocket> {
    // ANCHOR: todo1
    // Port 0: any free port. The local address must be of the same family as the server's:
    // an IPv4 socket cannot send to an IPv6 address.
    let local = if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(local)?;
    socket.connect(server)?;
    Ok(socket)
    // ANCHOR_END: todo1
}
// ANCHOR_END: open_socket

/// Shows `>> ` and reads one line from the keyboard; `None` at the end of the input.
fn prompt(keyboard: &mut impl BufRead) -> Result<Option<String>, String> {
    // Text without a newline stays in Rust's stdout buffer: flush it before waiting.
    // (`print!` would panic if stdout is gone; `write!` returns the error.)
    let mut stdout = io::stdout();
    write!(stdout, ">> ")
        .and_then(|()| stdout.flush())
        .map_err(|error| netkit::error_line(netkit::STDOUT_GONE, &error))?;
    match netkit::read_line(keyboard) {
        Ok(Line::Text(message)) => Ok(Some(message)),
        Ok(Line::End) => Ok(None),
        Ok(Line::TooLong) => Err("that line is too long (more than 64 KiB)".to_string()),
        Err(error) => Err(netkit::error_line("could not read the input", &error)),
    }
}

// ANCHOR: ask
/// Sends `message` and waits for the reply, sending it again after each timeout, `TRIES`
/// times in all. `None` if no reply came.
fn ask(socket: &UdpSocket, message: &str, buffer: &mut [u8]) -> io::Result<Option<String>> {
    // ANCHOR: todo2
    for _ in 0..TRIES {
        send_line(socket, message)?;
        if let Some(reply) = receive_reply(socket, buffer)? {
            return Ok(Some(reply));
        }
        // No reply in time: our datagram or the reply was lost, or the server is slow. Asking
        // again does no harm here, but if both tries are answered in the end, one answer is
        // left over for the next message (see "Late replies" in the book).
    }
    Ok(None)
    // ANCHOR_END: todo2
}
// ANCHOR_END: ask

// ANCHOR: send_line
/// Sends one message as one datagram: the text and exactly one `\n`.
fn send_line(socket: &UdpSocket, message: &str) -> io::Result<()> {
    // ANCHOR: todo3
    let datagram = format!("{message}\n");
    // One `send` is one datagram. It leaves whole or not at all (there is no partial send to
    // finish as with TCP's `write`), and the server receives it whole or not at all.
    socket.send(datagram.as_bytes())?;
    Ok(())
    // ANCHOR_END: todo3
}
// ANCHOR_END: send_line

// ANCHOR: receive_reply
/// Waits at most `REPLY_TIMEOUT` for one datagram; `None` if none came in time.
fn receive_reply(socket: &UdpSocket, buffer: &mut [u8]) -> io::Result<Option<String>> {
    // ANCHOR: todo4
    // Without a timeout, `recv` would wait forever for a reply that was lost.
    socket.set_read_timeout(Some(REPLY_TIMEOUT))?;
    match socket.recv(buffer) {
        Ok(size) => Ok(Some(reply_text(&buffer[..size]))),
        // A read that runs into its timeout fails with `WouldBlock` on Unix, `TimedOut` on
        // Windows. It is not an error here: it only means "no reply yet".
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            Ok(None)
        }
        Err(error) => Err(error),
    }
    // ANCHOR_END: todo4
}
// ANCHOR_END: receive_reply

// ANCHOR: helpers
/// The reply as text: its trailing `\n` or `\r\n` removed, bytes that are not UTF-8 as `�`.
fn reply_text(datagram: &[u8]) -> String {
    let text = datagram.strip_suffix(b"\n").unwrap_or(datagram);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    String::from_utf8_lossy(text).into_owned()
}

/// The error line for a failed exchange: `could not talk to 127.0.0.1:1234: connection refused`.
fn trouble(address: SocketAddr, error: &io::Error) -> String {
    netkit::error_line(&format!("could not talk to {address}"), error)
}
// ANCHOR_END: helpers
