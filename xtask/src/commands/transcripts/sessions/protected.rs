//! The sessions of the protected server (lessons 6 and 7): a cap, an idle timeout, and Ctrl-C.
//!
//! The first two end the server with Ctrl-C ([`Terminal::interrupt`], SIGINT sent with the
//! system's `kill`), so they play on Unix only, as CI does. One entry of `sessions.rs` plays
//! all three for lesson 6 ([`play`]), another the first again for lesson 7 ([`play_7`]): the
//! same contract on tokio, and the same screens.

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

/// The files of lesson 7's session, in the order [`play_7`] returns them.
pub(super) const FILES_7: [&str; 4] = [
    "lesson7-server.txt",
    "lesson7-ada.txt",
    "lesson7-bob.txt",
    "lesson7-cy.txt",
];

/// Plays the three sessions, one after the other.
pub(super) fn play(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let files = [FILES[0], FILES[1], FILES[2], FILES[3]];
    let mut transcripts = protected_server(programs, 6, files)?;
    transcripts.extend(idle_client_cut(programs)?);
    transcripts.extend(options_after_the_address(programs)?);
    Ok(transcripts)
}

/// Lesson 7's server in the first session of lesson 6: the same clients, the same screens.
pub(super) fn play_7(programs: &Programs) -> Result<Vec<Transcript>, String> {
    protected_server(programs, 7, FILES_7)
}

/// The server of `lesson` with room for two clients: Ada and Bob are admitted, Cy finds the
/// server full and is not counted, and Ctrl-C says BYE to Ada and Bob before the last line.
/// Everything happens well within the 3-second idle timeout, so nobody is cut.
///
/// `files`: the server's screen, then Ada's, Bob's and Cy's (`lesson6-server.txt`, ...).
fn protected_server(
    programs: &Programs,
    lesson: u32,
    files: [&'static str; 4],
) -> Result<Vec<Transcript>, String> {
    let options = ["--max-clients", "2", "--idle-timeout", "3"];
    let mut server = Terminal::start(
        programs,
        lesson,
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
    let [server_file, ada_file, bob_file, cy_file] = files;
    Ok(vec![
        Transcript::new(server_file, normalise(&server_screen, &ports)),
        Transcript::new(ada_file, normalise(&ada_screen, &ports)),
        Transcript::new(bob_file, normalise(&bob_screen, &ports)),
        Transcript::new(cy_file, normalise(&cy_screen, &ports)),
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
