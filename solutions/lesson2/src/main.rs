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
// ANCHOR: header
//! What you will see in this file: `TcpListener::bind`, `local_addr`, `accept`, and a
//! read-reply loop over one connection. Serving many clients at once is lesson 5.
// ANCHOR_END: header

// ANCHOR: imports
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;

use chrono::{Local, SecondsFormat};
use netkit::Line;
// ANCHOR_END: imports

// ANCHOR: main
fn main() -> ExitCode {
    let address = match netkit::server_argument() {
        Ok(address) => address,
        Err(usage_error) => return usage_error,
    };
    netkit::exit_with(serve_one_client(&address))
}
// ANCHOR_END: main

// ANCHOR: serve_one_client
/// Binds, announces the address, waits for one client and talks with it.
fn serve_one_client(address: &str) -> Result<(), String> {
    let listener = listen(address)?;
    let (client, peer) = accept_client(&listener)?;
    answer_lines(&client)
        .map_err(|error| netkit::error_line(&format!("lost the connection to {peer}"), &error))
}
// ANCHOR_END: serve_one_client

// ANCHOR: listen
/// Binds the listening socket and prints `Listening on <ip>:<port>`.
fn listen(address: &str) -> Result<TcpListener, String> {
    // ANCHOR: todo1
    let listener = TcpListener::bind(address)
        .map_err(|error| netkit::error_line(&format!("could not listen on {address}"), &error))?;
    // With port 0 the OS picks a free port: ask the socket which one it got.
    let bound = listener
        .local_addr()
        .map_err(|error| netkit::error_line("could not read the bound address", &error))?;
    // Rust flushes stdout at each newline, so whoever waits for this line (a test, an
    // instructor) sees it before we block in `accept`. `netkit::log_line` is `println!`
    // that cannot panic: the server goes on even when nobody reads its output any more.
    netkit::log_line(&format!("Listening on {bound}"));
    Ok(listener)
    // ANCHOR_END: todo1
}
// ANCHOR_END: listen

// ANCHOR: accept_client
/// Waits until a client connects. Returns its own socket and its address.
fn accept_client(listener: &TcpListener) -> Result<(TcpStream, SocketAddr), String> {
    // ANCHOR: todo2
    // The listener only accepts; each connection gets a new `TcpStream` of its own.
    listener
        .accept()
        .map_err(|error| netkit::error_line("could not accept a client", &error))
    // ANCHOR_END: todo2
}
// ANCHOR_END: accept_client

// ANCHOR: answer_lines
/// Reads lines until STOP or the end of the stream, answering each with the time.
fn answer_lines(client: &TcpStream) -> std::io::Result<()> {
    // ANCHOR: todo3
    // One reader for the whole connection: if the client sends several lines at once, the
    // reader holds the ones we have not handled yet.
    let mut requests = BufReader::new(client);
    loop {
        let text = match netkit::read_line(&mut requests)? {
            Line::Text(text) => text,
            Line::End => {
                netkit::log_line("client disconnected");
                return Ok(());
            }
            Line::TooLong => {
                // A line over 64 KiB: refuse it and end the session rather than hold it.
                netkit::log_line("client sent a line longer than 64 KiB, closing the connection");
                return netkit::send_and_close(client, "ERROR line too long\n");
            }
        };
        // The client's text, with its control characters escaped: it must not be able to
        // clear the screen or retitle the terminal of whoever watches this log.
        netkit::log_line(&format!("-> {}", netkit::printable(&text)));
        if netkit::is_stop(&text) {
            netkit::log_line("Exiting TCP server!");
            return Ok(());
        }
        send_time(client)?;
    }
    // ANCHOR_END: todo3
}
// ANCHOR_END: answer_lines

// ANCHOR: send_time
/// Sends the current local time, in RFC 3339 at seconds precision, as one line.
// ANCHOR: todo4
fn send_time(mut client: &TcpStream) -> std::io::Result<()> {
    // `true`: write `Z` rather than `+00:00` when the local time is UTC, as Go does.
    let now = Local::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    client.write_all(format!("{now}\n").as_bytes())
}
// ANCHOR_END: todo4
// ANCHOR_END: send_time
