//! The sessions of the protected server (lesson 6): a cap, an idle timeout, and Ctrl-C.
//!
//! The first two end the server with Ctrl-C ([`Terminal::interrupt`], SIGINT sent with the
//! system's `kill`), so they play on Unix only, as CI does. One entry of `sessions.rs` plays
//! all three ([`play`]).

use super::super::terminal::{TcpNetcat, Terminal};
use super::super::{Programs, SHOWN_PORT, Transcript, normalise};

/// The files the three sessions write, in the order [`play`] returns them.
pub(super) const FILES: [&str; 7] = [
    "lesson6-server.txt",
    "lesson6-ada.txt",
    "lesson6-bob.txt",
    "lesson6-cy.txt",
    "lesson6-idle-server.txt",
    "lesson6-idle-netcat.txt",
    "lesson6-usage.txt",
];

/// Plays the three sessions, one after the other.
pub(super) fn play(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let mut transcripts = protected_server(programs)?;
    transcripts.extend(idle_client_cut(programs)?);
    transcripts.extend(options_after_the_address(programs)?);
    Ok(transcripts)
}

/// The lesson 6 server with room for two clients: Ada and Bob are admitted, Cy finds the
/// server full and is not counted, and Ctrl-C says BYE to Ada and Bob before the last line.
/// Everything happens well within the 3-second idle timeout, so nobody is cut.
///
/// `lesson6-server.txt`, and `lesson6-ada.txt`, `lesson6-bob.txt`, `lesson6-cy.txt`.
fn protected_server(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let options = ["--max-clients", "2", "--idle-timeout", "3"];
    let mut server = Terminal::start(
        programs,
        6,
        &[&options[..], &["0"]].concat(),
        &format!("{} 1234", options.join(" ")),
    )?;
    let port = server.listening_port()?;
    let mut ada = TcpNetcat::connect(port)?;
    ada.type_line("hello from Ada")?;
    ada.show_reply()?;
    let mut bob = TcpNetcat::connect(port)?;
    bob.type_line("hi, Bob here")?;
    bob.show_reply()?;
    let mut cy = TcpNetcat::connect(port)?;
    cy.show_reply()?;
    let cy_screen = cy.close()?;
    ada.type_line("who else is here?")?;
    ada.show_reply()?;
    // The log comes from the server's logging thread a moment later: wait for its last line,
    // so that the screen shows it before the ^C.
    server.expect_out("-> who else is here?\n")?;
    server.interrupt()?;
    ada.show_reply()?;
    bob.show_reply()?;
    let (ada_screen, bob_screen) = (ada.close()?, bob.close()?);
    let server_screen = server.finish(0)?;
    let ports = [(port, SHOWN_PORT)];
    Ok(vec![
        Transcript::new("lesson6-server.txt", normalise(&server_screen, &ports)),
        Transcript::new("lesson6-ada.txt", normalise(&ada_screen, &ports)),
        Transcript::new("lesson6-bob.txt", normalise(&bob_screen, &ports)),
        Transcript::new("lesson6-cy.txt", normalise(&cy_screen, &ports)),
    ])
}

/// A netcat that connects and says nothing is cut after the 1-second idle timeout; then
/// Ctrl-C stops the server, which has served that one client.
///
/// `lesson6-idle-server.txt` and `lesson6-idle-netcat.txt`.
fn idle_client_cut(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let mut server = Terminal::start(
        programs,
        6,
        &["--idle-timeout", "1", "0"],
        "--idle-timeout 1 1234",
    )?;
    let port = server.listening_port()?;
    let mut netcat = TcpNetcat::connect(port)?;
    netcat.show_reply()?;
    let netcat_screen = netcat.close()?;
    server.interrupt()?;
    let server_screen = server.finish(0)?;
    let ports = [(port, SHOWN_PORT)];
    Ok(vec![
        Transcript::new("lesson6-idle-server.txt", normalise(&server_screen, &ports)),
        Transcript::new("lesson6-idle-netcat.txt", normalise(&netcat_screen, &ports)),
    ])
}

/// Options after the address are a usage error, with the exit status.
///
/// `lesson6-usage.txt`.
fn options_after_the_address(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let server = Terminal::start(
        programs,
        6,
        &["1234", "--max-clients", "3"],
        "1234 --max-clients 3",
    )?;
    let screen = server.finish_showing_status(2)?;
    Ok(vec![Transcript::new(
        "lesson6-usage.txt",
        normalise(&screen, &[]),
    )])
}
