//! # Lesson 4: a UDP random-number server
//!
//! Binds a UDP port and answers every datagram, from whoever sent it, with a random number
//! from 1 to 1000. A datagram saying `STOP` ends the server.
//!
//! ```text
//! $ cargo run -p lesson4-solution -- 1234
//! Listening on 127.0.0.1:1234
//! -> hello
//! data: 713
//! -> STOP
//! Exiting UDP server!
//! ```
//!
//! Your task: fill in the three TODOs, in order. After each one, run
//! `cargo test -p lesson4`: the first failing test tells you what is missing and where the
//! book explains it (chapter "A UDP random-number server"). The comments say what must hold,
//! not how.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
// TODO(2) needs one more name from `std::io`; the compiler will name it.

/// 64 KiB, 65,536 bytes: room for the largest datagram (65,507 bytes of data over IPv4,
/// 65,527 over IPv6). `recv_from` cuts a longer datagram to the size of the buffer, and on
/// Linux and macOS the rest is lost without a word: a small buffer (the Go original had 1024
/// bytes) loses data silently.
const BUFFER_SIZE: usize = netkit::MAX_LINE;

/// The replies are whole numbers from 1 to 1000, both included.
const LOWEST: u32 = 1;
const HIGHEST: u32 = 1000;

fn main() -> ExitCode {
    let address = match netkit::server_argument() {
        Ok(address) => address,
        Err(usage_error) => return usage_error,
    };
    netkit::exit_with(serve(&address))
}

/// Binds, announces the address, and answers datagrams until one says STOP.
fn serve(address: &str) -> Result<(), String> {
    let socket = listen(address)?;
    answer_datagrams(&socket)
}

/// Binds the UDP socket and prints `Listening on <ip>:<port>`.
fn listen(address: &str) -> Result<UdpSocket, String> {
    // TODO(1): a UDP socket bound to `address`, and the line `Listening on <ip>:<port>` with
    // the address it really got (port 0 means "any free port"), printed so that the server
    // never panics when nobody reads its output. Each error becomes one line that says what
    // failed (`netkit::error_line`).
    todo!("TODO(1): bind a UDP socket to {address} and say where it listens")
}

/// Receives datagrams one by one, from any client, and answers each with a number.
fn answer_datagrams(socket: &UdpSocket) -> Result<(), String> {
    // TODO(2): design the receive loop, the whole function. Receive datagrams one after the
    // other, from anyone, each whole, into one buffer for the whole loop, and print each as
    // `-> <text>` (`datagram_text`, shown through `netkit::printable`). STOP gets no reply:
    // print `Exiting UDP server!` and end the server without an error. Every other datagram
    // is answered (`send_random_number`) at the address it came from. Nothing a client sends
    // or does may end the server or make it panic: not an empty datagram, not a client that
    // cannot be answered, not the report (on Windows) that an earlier reply found no one.
    todo!("TODO(2): receive datagrams of up to {BUFFER_SIZE} bytes on {socket:?} and answer each")
}

/// Sends one random number from 1 to 1000, in decimal ASCII with no newline, to `client`.
#[allow(dead_code)] // `answer_datagrams` calls it once TODO(2) is done; delete this line then.
fn send_random_number(socket: &UdpSocket, client: SocketAddr) -> io::Result<()> {
    // TODO(3): pick a whole number from LOWEST to HIGHEST, both ends included, print it as
    // `data: <number>`, and send it to `client` as one datagram: the number in decimal
    // digits, with no newline.
    todo!("TODO(3): send a random number from {LOWEST} to {HIGHEST} to {client} through {socket:?}")
}

/// The datagram as text: a trailing `\n` or `\r\n` removed, bytes that are not UTF-8 as `�`.
#[allow(dead_code)] // `answer_datagrams` calls it once TODO(2) is done; delete this line then.
fn datagram_text(datagram: &[u8]) -> String {
    let text = datagram.strip_suffix(b"\n").unwrap_or(datagram);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    String::from_utf8_lossy(text).into_owned()
}
