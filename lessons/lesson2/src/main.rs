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
//! Your task: fill in the four TODOs, in order. After each one, run `cargo test -p lesson2`:
//! the first failing test tells you what is missing and where the book explains it (chapter
//! "A TCP time server"). The comments say what must hold, not how: the code is yours.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;

// The finished program needs a few more names (from std::io, chrono and netkit): add each
// `use` when the compiler asks for it.

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
    // TODO(1): open the listening socket on `address`, and announce it with one line,
    // `Listening on <ip>:<port>`, naming the address the system really gave the socket (with
    // port 0, the system picks the port). Whoever started the server waits for that line
    // before connecting. Print with `netkit::log_line`; each failure is one line naming what
    // failed (`netkit::error_line`).
    todo!("TODO(1): listen on {address} and announce the address")
}

/// Waits until a client connects. Returns its own socket and its address.
fn accept_client(listener: &TcpListener) -> Result<(TcpStream, SocketAddr), String> {
    // TODO(2): wait for one client to connect; return its connection and its address, or the
    // failure as one line (`netkit::error_line`).
    todo!("TODO(2): wait for a client on {listener:?}")
}

/// Reads lines until STOP or the end of the stream, answering each with the time.
fn answer_lines(client: &TcpStream) -> std::io::Result<()> {
    // TODO(3): the conversation with this client, designed by you. Answer every line with the
    // time (`send_time`, TODO(4)) until one of three things ends it: STOP (log
    // `Exiting TCP server!`, and no reply), the client leaving (log `client disconnected`), or
    // a line longer than netkit accepts (log it, and tell the client `ERROR line too long`
    // before closing the connection: `netkit::send_and_close`). Log every line received as
    // `-> <line>` before deciding anything, its control characters escaped
    // (`netkit::printable`). Lines that arrive together must all be answered. Log with
    // `netkit::log_line`; an I/O error ends the conversation as this function's result.
    todo!("TODO(3): answer every line from {client:?}")
}

/// Sends the current local time, in RFC 3339 at seconds precision, as one line.
#[allow(dead_code)] // TODO(3) calls it; delete this line then.
fn send_time(client: &TcpStream) -> std::io::Result<()> {
    // TODO(4): send the current local time as one line: RFC 3339 to the second, with the
    // offset from UTC (`Z` when the local time is UTC), then `\n`. All of it, or the error.
    todo!("TODO(4): send the time as one line to {client:?}")
}
