//! The sessions the book shows. Each one plays the reference programs the way a learner
//! would in a terminal, and returns the transcripts it writes: the files that chapters
//! include as `transcripts/NAME.txt`.
//!
//! A session waits for each reply before it types the next line, as a person does. That
//! also makes the order of every screen the same from run to run.

use std::net::{TcpListener, TcpStream, UdpSocket};

use super::terminal::{
    TcpNetcat, Terminal, UdpNetcatClient, UdpNetcatServer, free_port, free_udp_port, local_port,
    udp_port,
};
use super::{Programs, SHOWN_PORT, Transcript, normalise, replace_numbers};

mod chat;
mod protected;
mod wire;
use chat::chat_of_three;
pub use wire::CAPTURES;

/// A scripted session: which programs it runs, which files it writes, and how it plays.
pub struct Session {
    /// The lessons whose reference solutions it runs. A session whose lessons are not in
    /// the course yet (a lesson still being written) is skipped.
    pub lessons: &'static [u32],
    /// The transcripts it writes, in the order `play` returns them.
    pub files: &'static [&'static str],
    pub play: fn(&Programs) -> Result<Vec<Transcript>, String>,
}

const TCP: &[u32] = &[1, 2];
const UDP: &[u32] = &[3, 4];

/// Every session, in the order the book meets them.
pub const SESSIONS: [Session; 14] = [
    Session {
        lessons: TCP,
        files: &["tcp-client.txt", "tcp-server.txt"],
        play: tcp_conversation,
    },
    Session {
        lessons: &[2],
        files: &["lesson2-netcat.txt", "lesson2-server.txt"],
        play: tcp_client_leaves,
    },
    Session {
        lessons: &[1],
        files: &["lesson1-refused.txt"],
        play: connection_refused,
    },
    Session {
        lessons: TCP,
        files: &["netkit-usage.txt", "lesson2-usage.txt"],
        play: bad_arguments,
    },
    Session {
        lessons: &[2],
        files: &["lesson2-in-use.txt", "lesson2-port-zero.txt"],
        play: port_taken_and_port_zero,
    },
    Session {
        lessons: UDP,
        files: &["udp-client.txt", "udp-server.txt"],
        play: udp_conversation,
    },
    Session {
        lessons: &[3],
        files: &["lesson3-retries.txt", "lesson3-netcat.txt"],
        play: udp_lost_datagrams,
    },
    Session {
        lessons: &[3],
        files: &["lesson3-refused.txt"],
        play: udp_nothing_listens,
    },
    Session {
        lessons: &[4],
        files: &["lesson4-netcat.txt", "lesson4-server-netcat.txt"],
        play: udp_server_and_netcat,
    },
    Session {
        lessons: UDP,
        files: &[
            "lesson3-usage.txt",
            "lesson4-usage.txt",
            "lesson4-in-use.txt",
        ],
        play: udp_bad_arguments_and_port_taken,
    },
    Session {
        lessons: &[5],
        files: &[
            "lesson5-server.txt",
            "lesson5-ada.txt",
            "lesson5-bob.txt",
            "lesson5-cy.txt",
        ],
        play: concurrent_clients,
    },
    Session {
        lessons: &[6],
        files: &protected::FILES,
        play: protected::play,
    },
    Session {
        lessons: &[7],
        files: &protected::FILES_7,
        play: protected::play_7,
    },
    Session {
        lessons: &[8],
        files: &[
            "lesson8-server.txt",
            "lesson8-ada.txt",
            "lesson8-bob.txt",
            "lesson8-cy.txt",
        ],
        play: chat_of_three,
    },
];

/// The random numbers of the lesson 4 server, in the order they come, are shown as these.
const SHOWN_NUMBERS: [&str; 4] = ["464", "942", "611", "87"];

/// `127.0.0.1:1234`, the address the book shows for every server.
fn shown_address() -> String {
    format!("127.0.0.1:{SHOWN_PORT}")
}

// Lessons 1 and 2: TCP, one client, one server

/// The lesson 1 client talks to the time server, then sends STOP, which ends both.
///
/// `tcp-client.txt`: the client's terminal. `tcp-server.txt`: the server's, the listening
/// line first, then one line per message received.
fn tcp_conversation(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let mut server = Terminal::start(programs, 2, &["0"], "1234")?;
    let port = server.listening_port()?;
    let address = format!("127.0.0.1:{port}");
    let mut client = Terminal::start(programs, 1, &[&address], &shown_address())?;
    for line in ["Hello!", "how late is it?", "STOP"] {
        client.expect_out(">> ")?;
        client.type_line(line)?;
    }
    // From here on each program just runs to its end: whatever it prints is the transcript,
    // so a change in its last words shows up as a difference, not as a stuck session.
    let client_screen = client.finish(0)?;
    let server_screen = server.finish(0)?;
    let ports = [(port, SHOWN_PORT)];
    Ok(vec![
        Transcript::new("tcp-client.txt", normalise(&client_screen, &ports)),
        Transcript::new("tcp-server.txt", normalise(&server_screen, &ports)),
    ])
}

/// A netcat client sends two lines to the time server and leaves (Ctrl-C) without STOP.
///
/// `lesson2-netcat.txt`: the netcat terminal. `lesson2-server.txt`: the server's.
fn tcp_client_leaves(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let mut server = Terminal::start(programs, 2, &["0"], "1234")?;
    let port = server.listening_port()?;
    let mut netcat = TcpNetcat::connect(port)?;
    for line in ["Hello!", "anyone there?"] {
        netcat.type_line(line)?;
        netcat.show_reply()?;
    }
    let netcat_screen = netcat.close()?;
    let server_screen = server.finish(0)?;
    let ports = [(port, SHOWN_PORT)];
    Ok(vec![
        Transcript::new("lesson2-netcat.txt", normalise(&netcat_screen, &ports)),
        Transcript::new("lesson2-server.txt", normalise(&server_screen, &ports)),
    ])
}

/// The lesson 1 client with no server on the port: `lesson1-refused.txt`, with the status.
fn connection_refused(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let port = free_port()?;
    let address = format!("127.0.0.1:{port}");
    let client = Terminal::start(programs, 1, &[&address], &shown_address())?;
    let screen = client.finish_showing_status(1)?;
    Ok(vec![Transcript::new(
        "lesson1-refused.txt",
        normalise(&screen, &[(port, SHOWN_PORT)]),
    )])
}

/// Arguments that do not even look like an address: `netkit-usage.txt` (a client, with the
/// exit status) and `lesson2-usage.txt`.
fn bad_arguments(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let client = Terminal::start(programs, 1, &["no-port-here"], "no-port-here")?;
    let client_screen = client.finish_showing_status(2)?;
    let server = Terminal::start(programs, 2, &["not-a-port"], "not-a-port")?;
    let server_screen = server.finish(2)?;
    Ok(vec![
        Transcript::new("netkit-usage.txt", normalise(&client_screen, &[])),
        Transcript::new("lesson2-usage.txt", normalise(&server_screen, &[])),
    ])
}

/// Binding a port that is taken fails; binding port 0 gets a free one.
///
/// `lesson2-in-use.txt` and `lesson2-port-zero.txt`. The port the system picks for port 0 is
/// shown as 37239, not 1234, so the reader sees that it is a different one.
fn port_taken_and_port_zero(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let taken = TcpListener::bind("127.0.0.1:0")
        .map_err(|err| format!("could not bind a port to take: {err}"))?;
    let port = local_port(&taken)?;
    let server = Terminal::start(programs, 2, &[&port.to_string()], "1234")?;
    let in_use = server.finish(1)?;
    drop(taken);

    let mut server = Terminal::start(programs, 2, &["0"], "0")?;
    let picked = server.listening_port()?;
    let port_zero = server.screen_so_far();
    // End it the polite way: a client that connects and leaves.
    drop(
        TcpStream::connect(("127.0.0.1", picked))
            .map_err(|err| format!("could not connect to lesson2-solution: {err}"))?,
    );
    server.finish(0)?;
    Ok(vec![
        Transcript::new(
            "lesson2-in-use.txt",
            normalise(&in_use, &[(port, SHOWN_PORT)]),
        ),
        Transcript::new(
            "lesson2-port-zero.txt",
            normalise(&port_zero, &[(picked, 37239)]),
        ),
    ])
}

// Lessons 3 and 4: UDP

/// The lesson 3 client asks the lesson 4 server twice, then sends STOP, which ends both.
///
/// `udp-client.txt` and `udp-server.txt`.
fn udp_conversation(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let mut server = Terminal::start(programs, 4, &["0"], "1234")?;
    let port = server.listening_port()?;
    let address = format!("127.0.0.1:{port}");
    let mut client = Terminal::start(programs, 3, &[&address], &shown_address())?;
    for line in ["hello", "another one, please", "STOP"] {
        client.expect_out(">> ")?;
        client.type_line(line)?;
    }
    let client_screen = client.finish(0)?;
    let server_screen = server.finish(0)?;
    let ports = [(port, SHOWN_PORT)];
    let client_screen = replace_numbers(&client_screen, "Reply: ", &SHOWN_NUMBERS);
    let server_screen = replace_numbers(&server_screen, "data: ", &SHOWN_NUMBERS);
    Ok(vec![
        Transcript::new("udp-client.txt", normalise(&client_screen, &ports)),
        Transcript::new("udp-server.txt", normalise(&server_screen, &ports)),
    ])
}

/// The lesson 3 client against `nc -u -l`, which answers only what a person types: the first
/// line is sent three times and given up; the second is answered by hand.
///
/// `lesson3-retries.txt` (the client) and `lesson3-netcat.txt` (netcat). Takes 6 seconds:
/// the client's three tries.
fn udp_lost_datagrams(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let mut netcat = UdpNetcatServer::bind()?;
    let port = netcat.port();
    let address = format!("127.0.0.1:{port}");
    let mut client = Terminal::start(programs, 3, &[&address], &shown_address())?;
    client.expect_out(">> ")?;
    client.type_line("hello")?;
    for _try in 0..3 {
        netcat.show_datagram()?;
    }
    client.expect_err("\n")?;
    client.expect_out(">> ")?;
    client.type_line("are you there?")?;
    netcat.show_datagram()?;
    netcat.type_line("yes, I am")?;
    client.expect_out(">> ")?;
    client.type_line("STOP")?;
    netcat.show_datagram()?;
    let client_screen = client.finish(0)?;
    let ports = [(port, SHOWN_PORT)];
    Ok(vec![
        Transcript::new("lesson3-retries.txt", normalise(&client_screen, &ports)),
        Transcript::new("lesson3-netcat.txt", normalise(&netcat.screen(), &ports)),
    ])
}

/// The lesson 3 client with nothing on the port: the system reports it, the client stops.
///
/// `lesson3-refused.txt`, with the exit status.
fn udp_nothing_listens(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let port = free_udp_port()?;
    let address = format!("127.0.0.1:{port}");
    let mut client = Terminal::start(programs, 3, &[&address], &shown_address())?;
    client.expect_out(">> ")?;
    client.type_line("hello")?;
    let screen = client.finish_showing_status(1)?;
    Ok(vec![Transcript::new(
        "lesson3-refused.txt",
        normalise(&screen, &[(port, SHOWN_PORT)]),
    )])
}

/// The lesson 4 server with `nc -u` as its client: the replies have no newline, so each one
/// sits in front of the next line typed.
///
/// `lesson4-netcat.txt` and `lesson4-server-netcat.txt`.
fn udp_server_and_netcat(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let mut server = Terminal::start(programs, 4, &["0"], "1234")?;
    let port = server.listening_port()?;
    let mut netcat = UdpNetcatClient::connect(port)?;
    let shown_numbers = ["947", "80"];
    for (line, shown_number) in ["hello", "again"].into_iter().zip(shown_numbers) {
        netcat.type_line(line)?;
        netcat.show_reply(shown_number)?;
    }
    netcat.type_line("STOP")?;
    let server_screen = server.finish(0)?;
    let netcat_screen = netcat.screen();
    let server_screen = replace_numbers(&server_screen, "data: ", &shown_numbers);
    let ports = [(port, SHOWN_PORT)];
    Ok(vec![
        Transcript::new("lesson4-netcat.txt", normalise(&netcat_screen, &ports)),
        Transcript::new(
            "lesson4-server-netcat.txt",
            normalise(&server_screen, &ports),
        ),
    ])
}

/// A lesson 3 client given no port, the lesson 4 server given a port that does not exist,
/// and one that is taken.
///
/// `lesson3-usage.txt`, `lesson4-usage.txt` and `lesson4-in-use.txt`.
fn udp_bad_arguments_and_port_taken(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let client = Terminal::start(programs, 3, &["localhost"], "localhost")?;
    let client_usage = client.finish(2)?;
    let server = Terminal::start(programs, 4, &["70000"], "70000")?;
    let usage = server.finish(2)?;
    let taken = UdpSocket::bind("127.0.0.1:0")
        .map_err(|err| format!("could not bind a UDP port to take: {err}"))?;
    let port = udp_port(&taken)?;
    let server = Terminal::start(programs, 4, &[&port.to_string()], "1234")?;
    let in_use = server.finish(1)?;
    drop(taken);
    Ok(vec![
        Transcript::new("lesson3-usage.txt", normalise(&client_usage, &[])),
        Transcript::new("lesson4-usage.txt", normalise(&usage, &[])),
        Transcript::new(
            "lesson4-in-use.txt",
            normalise(&in_use, &[(port, SHOWN_PORT)]),
        ),
    ])
}

// Lesson 5: many clients at once

/// Three netcat clients, Ada, Bob and Cy, connect one after the other; Bob leaves with
/// Ctrl-C, Cy sends STOP, and each answer is the number of clients connected at that moment.
/// The server runs until it is stopped (Ctrl-C, here a kill).
///
/// `lesson5-server.txt`, and `lesson5-ada.txt`, `lesson5-bob.txt`, `lesson5-cy.txt`.
fn concurrent_clients(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let mut server = Terminal::start(programs, 5, &["0"], "1234")?;
    let port = server.listening_port()?;
    let mut ada = TcpNetcat::connect(port)?;
    ada.type_line("hello from Ada")?;
    ada.show_reply()?;
    let mut bob = TcpNetcat::connect(port)?;
    bob.type_line("hello from Bob")?;
    bob.show_reply()?;
    let mut cy = TcpNetcat::connect(port)?;
    cy.type_line("hi, Cy here")?;
    cy.show_reply()?;
    // `close` returns once the server has closed Bob's connection, and so uncounted him.
    let bob_screen = bob.close()?;
    ada.type_line("still there?")?;
    ada.show_reply()?;
    cy.type_line("STOP")?;
    let cy_screen = cy.close()?;
    ada.type_line("and now?")?;
    ada.show_reply()?;
    let ada_screen = ada.screen();
    let server_screen = server.finish_stopped()?;
    let ports = [(port, SHOWN_PORT)];
    Ok(vec![
        Transcript::new("lesson5-server.txt", normalise(&server_screen, &ports)),
        Transcript::new("lesson5-ada.txt", normalise(&ada_screen, &ports)),
        Transcript::new("lesson5-bob.txt", normalise(&bob_screen, &ports)),
        Transcript::new("lesson5-cy.txt", normalise(&cy_screen, &ports)),
    ])
}
