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
// ANCHOR: header
//! What you will see in this file: `UdpSocket::bind`, `recv_from` (which says who sent the
//! datagram) and `send_to` (which says where the reply goes): a server with no connections
//! and nothing to remember between datagrams.
// ANCHOR_END: header

// ANCHOR: imports
use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
// ANCHOR_END: imports

// ANCHOR: constants
/// 64 KiB, 65,536 bytes: room for the largest datagram (65,507 bytes of data over IPv4,
/// 65,527 over IPv6). `recv_from` cuts a longer datagram to the size of the buffer, and on
/// Linux and macOS the rest is lost without a word: a small buffer (the Go original had 1024
/// bytes) loses data silently.
const BUFFER_SIZE: usize = netkit::MAX_LINE;

/// The replies are whole numbers from 1 to 1000, both included.
const LOWEST: u32 = 1;
const HIGHEST: u32 = 1000;
// ANCHOR_END: constants

// ANCHOR: main
fn main() -> ExitCode {
    let address = match netkit::server_argument() {
        Ok(address) => address,
        Err(usage_error) => return usage_error,
    };
    netkit::exit_with(serve(&address))
}
// ANCHOR_END: main

// ANCHOR: serve
/// Binds, announces the address, and answers datagrams until one says STOP.
fn serve(address: &str) -> Result<(), String> {
    let socket = listen(address)?;
    answer_datagrams(&socket)
}
// ANCHOR_END: serve

// ANCHOR: listen
/// Binds the UDP socket and prints `Listening on <ip>:<port>`.
fn listen(address: &str) -> Result<UdpSocket, String> {
    // ANCHOR: todo1
    // For UDP, binding is all there is to "listening": no `listen`, no `accept`. From now on
    // the OS keeps datagrams sent to this port until we ask for them.
    let socket = UdpSocket::bind(address)
        .map_err(|error| netkit::error_line(&format!("could not listen on {address}"), &error))?;
    // With port 0 the OS picks a free port: ask the socket which one it got.
    let bound = socket
        .local_addr()
        .map_err(|error| netkit::error_line("could not read the bound address", &error))?;
    // Flushed at the newline, so whoever waits for this line sees it now. `netkit::log_line`
    // prints like `println!` but never panics: the server goes on when nobody reads its output.
    netkit::log_line(&format!("Listening on {bound}"));
    Ok(socket)
    // ANCHOR_END: todo1
}
// ANCHOR_END: listen

// ANCHOR: answer_datagrams
/// Receives datagrams one by one, from any client, and answers each with a number.
fn answer_datagrams(socket: &UdpSocket) -> Result<(), String> {
    // ANCHOR: todo2
    // One buffer, reused for every datagram: `recv_from` tells how much of it is new.
    let mut buffer = vec![0u8; BUFFER_SIZE];
    loop {
        let (size, client) = match socket.recv_from(&mut buffer) {
            Ok(received) => received,
            // Windows reports here that an earlier reply found no one ("port unreachable"
            // for a client that has left). Not our problem: wait for the next datagram.
            Err(error) if error.kind() == ErrorKind::ConnectionReset => continue,
            Err(error) => {
                return Err(netkit::error_line("could not receive a datagram", &error));
            }
        };
        // `buffer[..size]` is this datagram, and it may be empty: `size - 1` would panic.
        let text = datagram_text(&buffer[..size]);
        // Anyone can send us anything: escape its control characters before they reach the
        // terminal, where they could clear the screen or retitle the window.
        netkit::log_line(&format!("-> {}", netkit::printable(&text)));
        if netkit::is_stop(&text) {
            netkit::log_line("Exiting UDP server!");
            return Ok(());
        }
        if let Err(error) = send_random_number(socket, client) {
            // One client we cannot answer is no reason to stop answering the others.
            eprintln!(
                "{}",
                netkit::error_line(&format!("could not answer {client}"), &error)
            );
        }
    }
    // ANCHOR_END: todo2
}
// ANCHOR_END: answer_datagrams

// ANCHOR: send_random_number
/// Sends one random number from 1 to 1000, in decimal ASCII with no newline, to `client`.
// ANCHOR: todo3
fn send_random_number(socket: &UdpSocket, client: SocketAddr) -> io::Result<()> {
    // `..=` includes the upper end: `LOWEST..HIGHEST` would never give 1000.
    let number = rand::random_range(LOWEST..=HIGHEST);
    netkit::log_line(&format!("data: {number}"));
    // The socket is not connected to anyone: every reply says where it goes.
    socket.send_to(number.to_string().as_bytes(), client)?;
    Ok(())
}
// ANCHOR_END: todo3
// ANCHOR_END: send_random_number

// ANCHOR: datagram_text
/// The datagram as text: a trailing `\n` or `\r\n` removed, bytes that are not UTF-8 as `�`.
fn datagram_text(datagram: &[u8]) -> String {
    let text = datagram.strip_suffix(b"\n").unwrap_or(datagram);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    String::from_utf8_lossy(text).into_owned()
}
// ANCHOR_END: datagram_text
