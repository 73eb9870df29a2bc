//! Options, usage errors, and what stays from lesson 5.

use super::*;

/// Each bad command line prints a usage line on stderr and exits with status 2.
pub fn check_usage_errors(lesson: &Lesson, sections: &Sections) {
    let bad_addresses: [&[&str]; 3] = [&["1234", "extra"], &["not-a-port"], &["70000"]];
    for args in BAD_OPTIONS.iter().chain(&bad_addresses) {
        expect_usage_error(
            lesson,
            args,
            "a bad command line prints a usage line and exits with 2",
            "read the command line with netkit::server_arguments_with and the two Settings \
             (their ranges: N from 1 to 100000, SECS from 1 to 86400); return its exit code \
             when it refuses.",
            sections.options,
        );
    }
}

/// Runs the server with `args` and fails unless it prints a usage line on stderr and exits
/// with status 2.
pub fn expect_usage_error(lesson: &Lesson, args: &[&str], check: &str, hint: &str, section: &str) {
    let run = run_to_end(lesson, args, b"", STEP);
    if run.code() != Some(2) || !run.stderr().to_lowercase().contains("usage") {
        lesson.fail(
            Problem {
                check: check.into(),
                did: format!("ran your server with the arguments {args:?}"),
                expected: "a line starting \"usage:\" on stderr, exit status 2".into(),
                got: format!(
                    "stderr {} and {}",
                    shown(&run.seen.stderr),
                    run.ending(STEP)
                ),
                hint: hint.into(),
                section: section.into(),
            },
            &run.seen,
        );
    }
}

/// Options in either order come before the address; the first line is still `Listening on`.
pub fn check_options_then_listening(lesson: &Lesson, sections: &Sections) {
    for options in [
        &["--idle-timeout", "1", "--max-clients", "3"][..],
        &["--max-clients", "3", "--idle-timeout", "1"],
        &[],
    ] {
        let (mut server, address) = start(lesson, options, sections);
        if address.ip().to_string() != "127.0.0.1" || address.port() == 0 {
            server.fail(Problem {
                check: "options come before the port; a bare port listens on 127.0.0.1".into(),
                did: format!("started your server with {:?}", with_port(options)),
                expected: "\"Listening on 127.0.0.1:<the port the OS chose>\"".into(),
                got: format!("the address {address}"),
                hint: "print listener.local_addr(), not the argument.".into(),
                section: sections.options.into(),
            });
        }
    }
}

/// Lesson 5's behaviour stays: the count as the reply, STOP closing only that client, the
/// received line on the screen.
pub fn check_answers_like_lesson5(lesson: &Lesson, sections: &Sections) {
    let (mut server, address) = start(lesson, &["--max-clients", "3"], sections);
    let mut first = connect(&mut server, address, sections);
    expect_count(
        &mut server,
        &mut first,
        1,
        "connected one client and asked",
        sections,
    );
    let mut second = connect(&mut server, address, sections);
    expect_count(
        &mut server,
        &mut second,
        2,
        "connected a second client and asked",
        sections,
    );
    let stopped = second
        .send(b"STOP\n")
        .and_then(|()| second.receive_to_end());
    if !matches!(&stopped, Ok(rest) if rest.is_empty()) {
        server.fail(Problem {
            check: "STOP closes that connection, without a reply".into(),
            did: "from the second client, sent \"STOP\\n\"".into(),
            expected: "no reply, and the connection closed".into(),
            got: describe_read(&stopped),
            hint: "check netkit::is_stop(&text) before replying, and end this client only.".into(),
            section: sections.lesson5.into(),
        });
    }
    wait_for_count(
        &mut server,
        &mut first,
        1,
        "the second client sent STOP",
        sections,
    );
    if server.read_until("-> how many?", STEP).is_err() {
        server.fail(Problem {
            check: "every received line is printed".into(),
            did: "sent \"how many?\\n\" and read the reply".into(),
            expected: "\"-> how many?\" on your server's standard output".into(),
            got: "no such line".into(),
            hint: "log each line as lesson 5 did, through the log of this lesson.".into(),
            section: sections.log.into(),
        });
    }
}

/// A line over 64 KiB gets `ERROR line too long`, then a clean end of stream: the megabyte
/// the server did not read must not turn the close into a reset that destroys the line.
pub fn check_too_long_arrives(lesson: &Lesson, sections: &Sections) {
    let (mut server, address) = start(lesson, &[], sections);
    let mut flooder = connect(&mut server, address, sections);
    let sending = flooder.send_in_background(vec![b'y'; 1 << 20]);
    expect_last_words(
        &mut server,
        &mut flooder,
        "ERROR line too long\n",
        "sent 1 MiB without a newline",
        sections.last_words,
    );
    let _ = sending.join();
    drop(flooder);
    let mut other = connect(&mut server, address, sections);
    wait_for_count(
        &mut server,
        &mut other,
        1,
        "after a client was closed for a line over 64 KiB, connected another and asked",
        sections,
    );
}
