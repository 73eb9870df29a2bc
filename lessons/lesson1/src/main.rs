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
//! Your task: fill in the three TODOs, in order. After each one, run
//! `cargo test -p lesson1`: the first failing test tells you what is missing and where the
//! book explains it (chapter "Lesson 1: a TCP client").

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::ExitCode;

use netkit::Line;

fn main() -> ExitCode {
    let server = match netkit::client_argument() {
        Ok(server) => server,
        Err(usage_error) => return usage_error,
    };
    netkit::exit_with(talk_to(&server))
}

/// The whole conversation: connect, then prompt, send, receive, print, until STOP or the
/// end of the input.
fn talk_to(server: &str) -> Result<(), String> {
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
}

/// Opens the TCP connection.
///
/// `connect` takes anything that implements `ToSocketAddrs`: `"127.0.0.1:1234"`,
/// `"[::1]:1234"` or `"localhost:1234"`. A name can resolve to several addresses (IPv6 and
/// IPv4); `connect` tries them in order and returns the first connection that works.
fn connect(server: &str) -> Result<TcpStream, String> {
    // TODO(1): open a TCP connection to `server` with `TcpStream::connect`. If it fails,
    // return the error as one line: `netkit::error_line("could not connect to ...", &error)`.
    todo!("TODO(1): connect to {server} with TcpStream::connect")
}

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

/// Sends one message as one line: the text and exactly one `\n`.
///
/// `&TcpStream` implements `Write`, so we can write through a shared reference while the
/// `BufReader` reads through another one.
fn send_line(stream: &TcpStream, message: &str, server: &str) -> Result<(), String> {
    // TODO(2): send `message` followed by exactly one `\n` with `write_all`.
    // Writing needs a mutable binding: declare the parameter as `mut stream: &TcpStream`.
    todo!("TODO(2): send {message:?} plus one newline to {server} through {stream:?}")
}

/// Waits for one line from the server.
fn receive_line(replies: &mut impl BufRead, server: &str) -> Result<String, String> {
    // TODO(3): read one line with `netkit::read_line(replies)` and return its text.
    // `Line::End` means the server closed the connection: return the error
    // "server closed the connection".
    let _ = replies;
    todo!("TODO(3): read one reply line from {server} with netkit::read_line")
}
