//! # Lesson 1: a TCP client
//!
//! Connects to a TCP server, then, for every line you type: sends it, waits for one line
//! back and prints it as `->: <reply>`. Typing `STOP` ends the conversation.
//!
//! ```text
//! $ cargo run -p lesson1-solution -- 127.0.0.1:1234
//! >> hello
//! ->: 2026-11-28T10:15:00+01:00
//! >> STOP
//! TCP client exiting...
//! ```
//!
// ANCHOR: header
//! What you will see in this file: `TcpStream::connect`, writing a whole line with
//! `write_all`, and reading replies through one `BufReader` kept for the whole conversation.
// ANCHOR_END: header

// ANCHOR: imports
use std::io::{self, BufRead, BufReader, Write};
// ANCHOR_END: imports
use std::net::TcpStream;
use std::process::ExitCode;

use netkit::Line;

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
/// The whole conversation: connect, then prompt, send, receive, print, until STOP or the
/// end of the input.
fn talk_to(server: &str) -> Result<(), String> {
    // ANCHOR: todo1
    let stream = connect(server)?;
    // One reader for the whole conversation. A `BufReader` reads ahead: it may already hold
    // the start of the next reply, and a fresh reader each turn would lose those bytes.
    let mut replies = BufReader::new(&stream);
    let mut keyboard = io::stdin().lock();

    while let Some(message) = prompt(&mut keyboard)? {
        send_line(&stream, &message, server)?;
        if netkit::is_stop(&message) {
            netkit::print_line("TCP client exiting...")?;
            return Ok(());
        }
        let reply = receive_line(&mut replies, server)?;
        // The reply is the server's text: escape the control characters in it, or a server
        // could clear your screen or retitle your terminal.
        netkit::print_line(&format!("->: {}", netkit::printable(&reply)))?;
    }
    // The input ended (Ctrl-D, or the end of a piped file): a normal way to finish.
    Ok(())
    // ANCHOR_END: todo1
}
// ANCHOR_END: talk_to

// ANCHOR: connect
/// Opens the TCP connection.
///
/// `connect` takes anything that implements `ToSocketAddrs`: `"127.0.0.1:1234"`,
/// `"[::1]:1234"` or `"localhost:1234"`. A name can resolve to several addresses (IPv6 and
/// IPv4); `connect` tries them in order and returns the first connection that works.
fn connect(server: &str) -> Result<TcpStream, String> {
    // ANCHOR: todo2
    TcpStream::connect(server)
        .map_err(|error| netkit::error_line(&format!("could not connect to {server}"), &error))
    // ANCHOR_END: todo2
}
// ANCHOR_END: connect

// ANCHOR: prompt
/// Shows `>> ` and reads one line from the keyboard; `None` at the end of the input.
fn prompt(keyboard: &mut impl BufRead) -> Result<Option<String>, String> {
    // Text without a newline stays in Rust's stdout buffer. Flush it, or the prompt appears
    // only after the user has typed the line it asks for. (`print!` would panic if stdout is
    // gone; `write!` returns the error.)
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
// ANCHOR_END: prompt

// ANCHOR: send_line
/// Sends one message as one line: the text and exactly one `\n`.
///
/// `&TcpStream` implements `Write`, so we can write through a shared reference while the
/// `BufReader` reads through another one.
// ANCHOR: todo3
fn send_line(mut stream: &TcpStream, message: &str, server: &str) -> Result<(), String> {
    let line = format!("{message}\n");
    // `write` may send only part of the bytes; `write_all` loops until all are sent.
    stream
        .write_all(line.as_bytes())
        .map_err(|error| netkit::error_line(&format!("could not send to {server}"), &error))
}
// ANCHOR_END: todo3
// ANCHOR_END: send_line

// ANCHOR: receive_line
/// Waits for one line from the server.
fn receive_line(replies: &mut impl BufRead, server: &str) -> Result<String, String> {
    // ANCHOR: todo4
    match netkit::read_line(replies) {
        Ok(Line::Text(reply)) => Ok(reply),
        // Reading 0 bytes means the server closed its side of the connection.
        Ok(Line::End) => Err("server closed the connection".to_string()),
        Ok(Line::TooLong) => Err("the server's reply is too long (more than 64 KiB)".to_string()),
        Err(broken) => Err(netkit::error_line(
            &format!("lost the connection to {server}"),
            &broken,
        )),
    }
    // ANCHOR_END: todo4
}
// ANCHOR_END: receive_line
