//! # Lesson 2: a TCP time server
//!
//! Listens on a port, accepts one client, and answers every line that client sends with the
//! current local time in RFC 3339 (`2026-11-28T10:15:00+01:00`). `STOP` ends the server.
//!
//! ```text
//! $ cargo run -p lesson2-solution -- 1234
//! Listening on 127.0.0.1:1234
//! -> hello
//! -> STOP
//! Exiting TCP server!
//! ```
//!
//! Your task: fill in the four TODOs, in order. After each one, run
//! `cargo test -p lesson2`: the first failing test tells you what is missing and where the
//! book explains it (chapter "Lesson 2: a TCP time server").

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;

// As you fill in the TODOs you will also need these; add them when the compiler asks:
// use std::io::{BufReader, Write};
// use chrono::{Local, SecondsFormat};
// use netkit::Line;

fn main() -> ExitCode {
    let address = match netkit::server_argument() {
        Ok(address) => address,
        Err(usage_error) => return usage_error,
    };
    netkit::exit_with(serve_one_client(&address))
}

/// Binds, announces the address, waits for one client and talks with it.
fn serve_one_client(address: &str) -> Result<(), String> {
    let listener = listen(address)?;
    let (client, peer) = accept_client(&listener)?;
    answer_lines(&client)
        .map_err(|error| netkit::error_line(&format!("lost the connection to {peer}"), &error))
}

/// Binds the listening socket and prints `Listening on <ip>:<port>`.
fn listen(address: &str) -> Result<TcpListener, String> {
    // TODO(1): bind a `TcpListener` to `address`, then print `Listening on <ip>:<port>` with
    // the address the OS really gave you (`listener.local_addr()`: port 0 means "any free
    // port") through `netkit::log_line`. Turn errors into one line with `netkit::error_line`.
    todo!("TODO(1): bind a TcpListener to {address} and print the Listening on line")
}

/// Waits until a client connects. Returns its own socket and its address.
fn accept_client(listener: &TcpListener) -> Result<(TcpStream, SocketAddr), String> {
    // TODO(2): wait for one client with `listener.accept()`.
    todo!("TODO(2): accept one client on {listener:?}")
}

/// Reads lines until STOP or the end of the stream, answering each with the time.
fn answer_lines(client: &TcpStream) -> std::io::Result<()> {
    // TODO(3): make ONE `BufReader` over `client`, then loop: read a line with
    // `netkit::read_line`, print `-> <line>`, stop on STOP (print `Exiting TCP server!`),
    // otherwise reply with `send_time(client)?`. At `Line::End` print `client disconnected`.
    // For `Line::TooLong` use `netkit::send_and_close(client, "ERROR line too long\n")`.
    // Print with `netkit::log_line` (a server must not die when nobody reads its output), and
    // show the client's text through `netkit::printable` (it must not drive your terminal).
    todo!("TODO(3): read lines from {client:?} and answer each one")
}

/// Sends the current local time, in RFC 3339 at seconds precision, as one line.
#[allow(dead_code)] // `answer_lines` calls it once TODO(3) is done; delete this line then.
fn send_time(client: &TcpStream) -> std::io::Result<()> {
    // TODO(4): send the current local time as one line: RFC 3339 at seconds precision
    // (`Local::now().to_rfc3339_opts(SecondsFormat::Secs, true)`) and `\n`, with `write_all`.
    // Writing needs a mutable binding: declare the parameter as `mut client: &TcpStream`.
    todo!("TODO(4): send the time in RFC 3339 and a newline to {client:?}")
}
