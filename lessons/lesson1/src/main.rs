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
//! Your task: fill in the four TODOs, in order. After each one, run `cargo test -p lesson1`:
//! the first failing test tells you what is missing and where the book explains it (chapter
//! "A TCP client"). The comments say what must hold, not how: the code is yours.

use std::io::{self, BufRead, Write}; // TODO(1) needs one more name from here
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
    // TODO(1): the whole conversation, designed by you. Connect to `server` (TODO(2)), then,
    // again and again: prompt for a line (`prompt`), send it (TODO(3)), wait for the server's
    // one-line reply (TODO(4)) and print it after `->: `, its control characters escaped
    // (`netkit::printable`). STOP is sent like any line, and then ends the conversation at
    // once, with the goodbye `TCP client exiting...`: no reply to it ever comes. The end of
    // the input ends it too, as a success. Replies may arrive faster than you read them, two
    // in one packet: no byte the server sent may be lost. Print with `netkit::print_line`,
    // and let any error end the conversation as this function's result.
    todo!("TODO(1): talk with {server} until STOP or the end of the input")
}

/// Opens the TCP connection.
///
/// `connect` takes anything that implements `ToSocketAddrs`: `"127.0.0.1:1234"`,
/// `"[::1]:1234"` or `"localhost:1234"`. A name can resolve to several addresses (IPv6 and
/// IPv4); `connect` tries them in order and returns the first connection that works.
#[allow(dead_code)] // TODO(1) calls it; delete this line then.
fn connect(server: &str) -> Result<TcpStream, String> {
    // TODO(2): open a TCP connection to `server`, written as the user typed it: a host name,
    // an IPv4 address or an [IPv6] one, and a port. If that fails, return one line that
    // names the address and the cause (`netkit::error_line`).
    todo!("TODO(2): connect to {server}")
}

/// Shows `>> ` and reads one line from the keyboard; `None` at the end of the input.
#[allow(dead_code)] // TODO(1) calls it; delete this line then.
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
#[allow(dead_code)] // TODO(1) calls it; delete this line then.
fn send_line(stream: &TcpStream, message: &str, server: &str) -> Result<(), String> {
    // TODO(3): send `message` as one line of our protocol: its text, then exactly one
    // newline. Every byte must go out, or the error come back as one line naming `server`.
    todo!("TODO(3): send {message:?} to {server} as one line, through {stream:?}")
}

/// Waits for one line from the server.
#[allow(dead_code)] // TODO(1) calls it; delete this line then.
fn receive_line(replies: &mut impl BufRead, server: &str) -> Result<String, String> {
    // TODO(4): wait for one line from the server and return its text. Each way the reading
    // can end is its own outcome: a reply; the server hanging up (the error "server closed
    // the connection"); a line longer than netkit accepts; a broken connection (an error
    // line naming `server`).
    let _ = replies;
    todo!("TODO(4): read one reply line from {server}")
}
