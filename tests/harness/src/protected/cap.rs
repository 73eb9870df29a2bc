//! The cap on clients: the one too many is refused with a line.

use super::*;

/// With `--max-clients 3`, a fourth client gets `ERROR server full` and a clean close, while
/// the three are still answered; it is never counted, and a place freed by STOP is taken.
pub fn check_cap(lesson: &Lesson, sections: &Sections) {
    let (mut server, address) = start(
        lesson,
        &["--idle-timeout", "30", "--max-clients", "3"],
        sections,
    );
    let mut admitted = Vec::new();
    for count in 1..=3 {
        let mut peer = connect(&mut server, address, sections);
        expect_count(
            &mut server,
            &mut peer,
            count,
            &format!("connected client {count} of 3"),
            sections,
        );
        admitted.push(peer);
    }
    refused_when_full(
        &mut server,
        address,
        "with 3 clients connected (the cap)",
        sections,
    );
    for (number, peer) in admitted.iter_mut().enumerate() {
        expect_count(
            &mut server,
            peer,
            3,
            &format!(
                "a fourth client was refused; then client {} asked",
                number + 1
            ),
            sections,
        );
    }
    if let Some(mut leaving) = admitted.pop() {
        let _ = leaving
            .send(b"STOP\n")
            .and_then(|()| leaving.receive_to_end());
    }
    if let Some(first) = admitted.first_mut() {
        wait_for_count(&mut server, first, 2, "client 3 sent STOP", sections);
    }
    let mut newcomer = connect(&mut server, address, sections);
    expect_count(
        &mut server,
        &mut newcomer,
        3,
        "client 3 left; a new client asked",
        sections,
    );
    refused_when_full(&mut server, address, "with the cap reached again", sections);
}

/// Connects one client too many, which sends a line at once, and fails unless it gets
/// `ERROR server full` and a clean close, not an answer.
pub(super) fn refused_when_full(
    server: &mut Running,
    address: SocketAddr,
    when: &str,
    sections: &Sections,
) {
    let mut extra = connect(server, address, sections);
    let _ = extra.send(QUESTION);
    let did = format!("{when}, connected one more client, which sent \"how many?\\n\"");
    let reply = extra.receive_line();
    if !matches!(&reply, Ok(line) if line == b"ERROR server full\n") {
        let hint = if parse_count(&reply).is_some() {
            "the client over the cap was admitted and answered: refuse as soon as the count \
             has reached --max-clients, not only once it is above it."
        } else {
            "check the count before the client gets a thread or a task: at the cap, send the \
             line, close, and never count it."
        };
        server.fail(Problem {
            check: "a client over the cap is refused at once".into(),
            did,
            expected: "\"ERROR server full\\n\", then the connection closed".into(),
            got: describe_read(&reply),
            hint: hint.into(),
            section: sections.cap.into(),
        });
    }
    expect_clean_end(
        server,
        &mut extra,
        "ERROR server full\n",
        sections.last_words,
    );
}
