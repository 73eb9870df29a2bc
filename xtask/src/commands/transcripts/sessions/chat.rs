//! Lesson 8's session: three people in a chat room.

use super::super::terminal::{TcpNetcat, Terminal};
use super::super::{Programs, SHOWN_PORT, Transcript, normalise};

/// The ports the book shows for Ada's, Bob's and Cy's ends of their connections.
const SHOWN_CLIENT_PORTS: [u16; 3] = [50312, 50318, 50324];

/// Ada, Bob and Cy chat through the lesson 8 server with netcat. Bob first asks for a name
/// that is taken; Cy asks `/who`; Bob leaves with Ctrl-C, Cy with `/quit`; then the server
/// is stopped with Ctrl-C, and Ada hears `BYE`.
///
/// `lesson8-server.txt`, and `lesson8-ada.txt`, `lesson8-bob.txt`, `lesson8-cy.txt`. Each
/// step waits for the lines it causes, at every client that hears them.
pub(super) fn chat_of_three(programs: &Programs) -> Result<Vec<Transcript>, String> {
    let mut server = Terminal::start(programs, 8, &["0"], "1234")?;
    let port = server.listening_port()?;
    let mut ada = TcpNetcat::connect(port)?;
    ada.show_reply()?;
    ada.type_line("Ada")?;
    ada.show_reply()?;
    server.expect_out("Ada joined from ")?;
    server.expect_out("\n")?;
    let mut bob = TcpNetcat::connect(port)?;
    bob.show_reply()?;
    for name in ["Ada", "Bob"] {
        bob.type_line(name)?;
        bob.show_reply()?;
    }
    ada.show_reply()?;
    server.expect_out("Bob joined from ")?;
    server.expect_out("\n")?;
    let mut cy = TcpNetcat::connect(port)?;
    cy.show_reply()?;
    cy.type_line("Cy")?;
    cy.show_reply()?;
    ada.show_reply()?;
    bob.show_reply()?;
    server.expect_out("Cy joined from ")?;
    server.expect_out("\n")?;

    ada.type_line("hi both! lunch at noon?")?;
    bob.show_reply()?;
    cy.show_reply()?;
    cy.type_line("/who")?;
    cy.show_reply()?;
    bob.type_line("noon works, see you. my train is here")?;
    ada.show_reply()?;
    cy.show_reply()?;
    let client_ports = [ada.local_port()?, bob.local_port()?, cy.local_port()?];
    // `close` returns once the server has closed Bob's connection, after telling the others.
    let bob_screen = bob.close()?;
    ada.show_reply()?;
    cy.show_reply()?;
    cy.type_line("/quit")?;
    let cy_screen = cy.close()?;
    ada.show_reply()?;
    server.interrupt()?;
    ada.show_reply()?;
    let ada_screen = ada.close()?;
    let server_screen = server.finish(0)?;

    let mut ports = vec![(port, SHOWN_PORT)];
    ports.extend(client_ports.into_iter().zip(SHOWN_CLIENT_PORTS));
    Ok(vec![
        Transcript::new("lesson8-server.txt", normalise(&server_screen, &ports)),
        Transcript::new("lesson8-ada.txt", normalise(&ada_screen, &ports)),
        Transcript::new("lesson8-bob.txt", normalise(&bob_screen, &ports)),
        Transcript::new("lesson8-cy.txt", normalise(&cy_screen, &ports)),
    ])
}
