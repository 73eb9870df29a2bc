//! The captures of "Watching the wire" (`book/src/wire.md`): sessions of lessons 1 to 4,
//! played while tcpdump watches the loopback interface ([`Tcpdump`]).
//!
//! Each one starts the capture after the server's listening line (or, with nothing
//! listening, on a free port), plays, waits for every program to end, and only then stops
//! the capture, so that the last packets (the FINs, the reset) are in it.

use std::io::{Read, Write};
use std::net::TcpStream;

use super::super::capture::{Filter, Tcpdump};
use super::super::terminal::{Terminal, free_port, free_udp_port};
use super::super::{Programs, SHOWN_PORT, SHOWN_TIME, STEP, Transcript, normalise};
use super::Session;

/// [`SHOWN_TIME`] as a server in UTC prints it.
const UTC_TIME: &str = "2026-11-28T09:15:00Z";

/// The sessions that capture packets, in the order the chapter shows them. They are
/// skipped, with a note, where tcpdump cannot capture (`capture::can_capture`).
pub const CAPTURES: [Session; 5] = [
    Session {
        lessons: &[1, 2],
        files: &["wire-tcp-client.txt", "wire-tcp.txt"],
        play: tcp_conversation,
    },
    Session {
        lessons: &[1],
        files: &["wire-refused.txt"],
        play: connection_refused,
    },
    Session {
        lessons: &[2],
        files: &["wire-too-long.txt"],
        play: line_too_long,
    },
    Session {
        lessons: &[3, 4],
        files: &["wire-udp.txt"],
        play: udp_conversation,
    },
    Session {
        lessons: &[3],
        files: &["wire-udp-refused.txt"],
        play: udp_nothing_listens,
    },
];

fn shown_address() -> String {
    format!("127.0.0.1:{SHOWN_PORT}")
}

/// The lesson 1 client sends one line to the time server, reads the time, and ends with
/// Ctrl-D: the handshake, two data segments and their ACKs, and a FIN from each side. Ctrl-D
/// rather than STOP, so that the client closes first and the server only after it has read
/// the end of the stream: with STOP both close at once, in no fixed order.
///
/// The server runs in UTC (`TZ=UTC`), so that its reply has the same length on every
/// machine: `2026-11-28T09:15:00Z` and a newline, 21 bytes.
///
/// `wire-tcp-client.txt` (the client's terminal) and `wire-tcp.txt` (the capture).
fn tcp_conversation(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let mut server = Terminal::start_with_env(programs, 2, &["0"], "1234", &[("TZ", "UTC")])?;
    let port = server.listening_port()?;
    let capture = Tcpdump::start(port, Filter::Tcp)?;
    let address = format!("127.0.0.1:{port}");
    let mut client = Terminal::start(programs, 1, &[&address], &shown_address())?;
    client.expect_out(">> ")?;
    client.type_line("Hello!")?;
    client.expect_out(">> ")?;
    let client_screen = client.finish(0)?;
    server.finish(0)?;
    let packets = capture.finish()?;
    let ports = [(port, SHOWN_PORT)];
    let client_screen = normalise(&client_screen, &ports).replace(SHOWN_TIME, UTC_TIME);
    Ok(vec![
        Transcript::new("wire-tcp-client.txt", client_screen),
        Transcript::new("wire-tcp.txt", packets),
    ])
}

/// The lesson 1 client with nothing listening on the port: a SYN, answered by a reset.
///
/// `wire-refused.txt`. The client's terminal is `lesson1-refused.txt`.
fn connection_refused(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let port = free_port()?;
    let capture = Tcpdump::start(port, Filter::Tcp)?;
    let address = format!("127.0.0.1:{port}");
    let client = Terminal::start(programs, 1, &[&address], &shown_address())?;
    client.finish_showing_status(1)?;
    Ok(vec![Transcript::new("wire-refused.txt", capture.finish()?)])
}

/// A client sends the lesson 2 server a line of 70,000 bytes. The server answers
/// `ERROR line too long` and closes with a FIN (`netkit::send_and_close` reads what was left
/// first, so no reset); once the server has exited, the client sends one more line, and
/// the system answers for the closed socket with a reset.
///
/// `wire-too-long.txt`.
fn line_too_long(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let mut server = Terminal::start(programs, 2, &["0"], "1234")?;
    let port = server.listening_port()?;
    let mut capture = Tcpdump::start(port, Filter::Tcp)?;
    let failed = |what: &str, err: std::io::Error| format!("the too-long client {what}: {err}");
    let mut client =
        TcpStream::connect(("127.0.0.1", port)).map_err(|err| failed("could not connect", err))?;
    client
        .set_read_timeout(Some(STEP))
        .map_err(|err| failed("could not set a timeout", err))?;
    let line = format!("{}\n", "x".repeat(70_000));
    client
        .write_all(line.as_bytes())
        .map_err(|err| failed("could not send", err))?;
    let mut reply = String::new();
    client
        .read_to_string(&mut reply)
        .map_err(|err| failed("got no reply and end of stream", err))?;
    if reply != "ERROR line too long\n" {
        return Err(format!("the too-long client got {reply:?}"));
    }
    // The server has exited: nothing will ever read from its end of the connection now.
    server.finish(0)?;
    client
        .write_all(b"hello?\n")
        .map_err(|err| failed("could not send after the close", err))?;
    // The reset comes when the server's system has handled the line; the client has no
    // call that waits for it (a read sees the end of the stream at once), the capture does.
    capture.wait_for("Flags [R]")?;
    drop(client);
    Ok(vec![Transcript::new(
        "wire-too-long.txt",
        capture.finish()?,
    )])
}

/// The lesson 3 client asks the lesson 4 server once, then sends STOP: three datagrams, no
/// handshake, no close.
///
/// `wire-udp.txt`. The terminals are those of `udp-client.txt` and `udp-server.txt`.
fn udp_conversation(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let mut server = Terminal::start(programs, 4, &["0"], "1234")?;
    let port = server.listening_port()?;
    let capture = Tcpdump::start(port, Filter::Udp)?;
    let address = format!("127.0.0.1:{port}");
    let mut client = Terminal::start(programs, 3, &[&address], &shown_address())?;
    for line in ["hello", "STOP"] {
        client.expect_out(">> ")?;
        client.type_line(line)?;
    }
    client.finish(0)?;
    server.finish(0)?;
    let packets = capture.finish()?;
    Ok(vec![Transcript::new(
        "wire-udp.txt",
        with_shown_reply_length(&packets),
    )])
}

/// The lesson 3 client with nothing on the port: its datagram, and the ICMP "port
/// unreachable" that the system sends back, which the client sees as "connection refused".
///
/// `wire-udp-refused.txt`. The client's terminal is `lesson3-refused.txt`.
fn udp_nothing_listens(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let port = free_udp_port()?;
    let capture = Tcpdump::start(port, Filter::Udp)?;
    let address = format!("127.0.0.1:{port}");
    let mut client = Terminal::start(programs, 3, &[&address], &shown_address())?;
    client.expect_out(">> ")?;
    client.type_line("hello")?;
    client.finish_showing_status(1)?;
    Ok(vec![Transcript::new(
        "wire-udp-refused.txt",
        capture.finish()?,
    )])
}

/// The server's reply is a random number from 1 to 1000, one to four digits; the
/// transcripts show it as 464 (`udp-client.txt`), three bytes long.
fn with_shown_reply_length(packets: &str) -> String {
    let reply = format!("IP {} > ", shown_address().replace(':', "."));
    packets
        .lines()
        .map(|line| match line.split_once(": UDP, length ") {
            Some((ends, _)) if line.starts_with(&reply) => format!("{ends}: UDP, length 3\n"),
            _ => format!("{line}\n"),
        })
        .collect()
}
