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
//! Your task: fill in the four TODOs, in order. After each one, run
//! `cargo test -p lesson3`: the first failing test tells you what is missing and where the
//! book explains it (chapter "A UDP client"). The comments say what must hold, not how.

use std::io::{self, BufRead, ErrorKind, Write};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket}; // TODO(1) may need more names from here
use std::process::ExitCode;
use std::time::Duration;
use std::vec;

use netkit::Line;

/// How long to wait for a reply before sending the message again.
const REPLY_TIMEOUT: Duration = Duration::from_secs(2);
/// How many times one message is sent, in all, before the client gives up on it.
const TRIES: u32 = 3;
/// 64 KiB: more than the largest datagram (65,507 bytes of data over IPv4, 65,527 over IPv6).
/// A datagram longer than the buffer given to `recv` is cut to fit, and the rest is lost:
/// without a word on Linux and macOS, with an error on Windows.
const BUFFER_SIZE: usize = netkit::MAX_LINE;

fn main() -> ExitCode {
    let server = match netkit::client_argument() {
        Ok(server) => server,
        Err(usage_error) => return usage_error,
    };
    netkit::exit_with(talk_to(&server))
}

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

/// A UDP socket on a free local port, connected to the server.
///
/// UDP has no connection. On a UDP socket, `connect` sends nothing at all: it records a
/// default peer, so that `send` and `recv` need no address, and from then on the OS drops
/// datagrams from anyone else. It also lets the OS tell us when the server's machine answers
/// "port unreachable": a later `recv` fails (`ConnectionRefused`; `ConnectionReset` on Windows).
fn open_socket(server: SocketAddr) -> io::Result<UdpSocket> {
    // TODO(1): return a UDP socket of this program's own, on a port the system picks, that
    // can reach `server` (mind its family: IPv4 or IPv6), aimed at `server` so that sending
    // and receiving need no address and only the server's datagrams come in. Any error goes
    // back to the caller as it is.
    todo!("TODO(1): a UDP socket of our own, aimed at {server}")
}

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

/// Sends `message` and waits for the reply, sending it again after each timeout, `TRIES`
/// times in all. `None` if no reply came.
fn ask(socket: &UdpSocket, message: &str, buffer: &mut [u8]) -> io::Result<Option<String>> {
    // TODO(2): design the asking, the whole function. Send `message` and wait for the reply
    // (`send_line` and `receive_reply` are one step each). A wait that ran out means that
    // the message or its reply may have been lost: send the same message again, TRIES
    // times in all, and return the first reply. When no try got one, return `Ok(None)`:
    // `talk_to` says so and goes on. An error ends the asking at once.
    todo!(
        "TODO(2): ask {message:?} through {socket:?}, {TRIES} tries at most, \
         with a buffer of {} bytes",
        buffer.len()
    )
}

/// Sends one message as one datagram: the text and exactly one `\n`.
fn send_line(socket: &UdpSocket, message: &str) -> io::Result<()> {
    // TODO(3): send `message` to the server as one datagram: its text followed by exactly
    // one newline, whatever the text (an empty line too).
    todo!("TODO(3): send {message:?} as one datagram through {socket:?}")
}

/// Waits at most `REPLY_TIMEOUT` for one datagram; `None` if none came in time.
#[allow(dead_code)] // `ask` calls it once TODO(2) is done; delete this line then.
fn receive_reply(socket: &UdpSocket, buffer: &mut [u8]) -> io::Result<Option<String>> {
    // TODO(4): wait for one datagram from the server, but never longer than REPLY_TIMEOUT.
    // A datagram is `Ok(Some(text))`, the text made by `reply_text` from the bytes that
    // arrived and no others. A wait that ran out is no error here but `Ok(None)`, on every
    // system. Any other error goes back as it is.
    todo!(
        "TODO(4): wait at most {REPLY_TIMEOUT:?} for one datagram on {socket:?}, \
         into a buffer of {} bytes",
        buffer.len()
    )
}

/// The reply as text: its trailing `\n` or `\r\n` removed, bytes that are not UTF-8 as `�`.
#[allow(dead_code)] // `receive_reply` calls it once TODO(4) is done; delete this line then.
fn reply_text(datagram: &[u8]) -> String {
    let text = datagram.strip_suffix(b"\n").unwrap_or(datagram);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    String::from_utf8_lossy(text).into_owned()
}

/// The error line for a failed exchange: `could not talk to 127.0.0.1:1234: connection refused`.
fn trouble(address: SocketAddr, error: &io::Error) -> String {
    netkit::error_line(&format!("could not talk to {address}"), error)
}
