//! Shutdown on Ctrl-C and SIGTERM: every client is told, and the server ends.

use super::*;

/// Ctrl-C (SIGINT) with a client that sends nothing and one that talked: each gets `BYE` and
/// a clean close, the server prints `Shut down: 2 clients served` and exits with 0 within
/// 2 s.
pub fn check_shutdown_with_silent_client(lesson: &Lesson, sections: &Sections) {
    let Some(signal) = signals_available("INT") else {
        return;
    };
    let (mut server, address) = start(lesson, &["--idle-timeout", "30"], sections);
    let mut talker = connect(&mut server, address, sections);
    expect_count(
        &mut server,
        &mut talker,
        1,
        "connected one client and asked",
        sections,
    );
    let mut silent = connect(&mut server, address, sections);
    // The silent client may still wait to be accepted: ask until it is counted.
    wait_for_count(
        &mut server,
        &mut talker,
        2,
        "connected a silent client; asked again",
        sections,
    );
    let meter = LoadMeter::start();
    let sent = send_signal(&mut server, signal, sections);
    for peer in [&mut talker, &mut silent] {
        expect_bye(
            &mut server,
            peer,
            sent,
            "sent SIGINT (Ctrl-C) to the server",
            sections,
        );
    }
    drop((talker, silent));
    expect_graceful_exit(
        &mut server,
        sent,
        &meter,
        2,
        "SIGINT, with a silent client",
        sections,
    );
}

/// SIGTERM with a client that sent many lines and never reads the replies, and a polite
/// client: the polite one is still answered, then gets `BYE`, and the server exits with 0
/// within 2 s.
///
/// (Filling the server's socket buffers for real, so that its writes block, takes millions of
/// replies on loopback, where the buffers grow to megabytes: too slow for a test. The book's
/// shutdown section explains write timeouts and the grace period that handle that case.)
pub fn check_shutdown_with_client_that_never_reads(lesson: &Lesson, sections: &Sections) {
    let Some(signal) = signals_available("TERM") else {
        return;
    };
    let (mut server, address) = start(lesson, &["--idle-timeout", "30"], sections);
    let deaf = connect(&mut server, address, sections);
    let sending = deaf.send_in_background(b"x\n".repeat(128 * 1024));
    let mut polite = connect(&mut server, address, sections);
    expect_count(
        &mut server,
        &mut polite,
        2,
        "connected a client that never reads, then this one",
        sections,
    );
    // Once the deaf client's lines stop showing up, its replies sit unread. The other
    // client must not notice.
    wait_until_log_goes_quiet(&mut server, "-> x");
    expect_count(
        &mut server,
        &mut polite,
        2,
        "connected a client that sent 128 Ki lines and never reads the replies; once the \
         server had read them, asked from another client",
        sections,
    );
    let meter = LoadMeter::start();
    let sent = send_signal(&mut server, signal, sections);
    expect_bye(
        &mut server,
        &mut polite,
        sent,
        "sent SIGTERM to the server",
        sections,
    );
    drop(polite);
    expect_graceful_exit(
        &mut server,
        sent,
        &meter,
        2,
        "SIGTERM, with a client that never reads",
        sections,
    );
    drop(deaf);
    let _ = sending.join();
}

/// Waits until `needle` shows up in the server's output, then until nothing more comes for
/// 300 ms (at most a few seconds in all).
pub(super) fn wait_until_log_goes_quiet(server: &mut Running, needle: &str) {
    let give_up = Instant::now() + 2 * STEP;
    if server.read_until(needle, STEP).is_err() {
        return;
    }
    while Instant::now() < give_up {
        if server.read_until("\n", Duration::from_millis(300)).is_err() {
            return;
        }
    }
}

/// Shutdown while `count` clients are connected: every one gets `BYE` and a clean close,
/// and the server exits with 0 within 2 s (lesson 7, where clients are cheap).
pub fn check_shutdown_with_many_clients(lesson: &Lesson, sections: &Sections, count: usize) {
    let Some(signal) = signals_available("INT") else {
        return;
    };
    if !enough_open_files(count) {
        return;
    }
    let (mut server, address) = start(lesson, &["--idle-timeout", "60"], sections);
    let mut peers = connect_many(&mut server, address, count, sections);
    let meter = LoadMeter::start();
    let sent = send_signal(&mut server, signal, sections);
    let did = format!("connected {count} clients, then sent SIGINT to the server");
    for peer in &mut peers {
        expect_bye(&mut server, peer, sent, &did, sections);
    }
    drop(peers);
    expect_graceful_exit(&mut server, sent, &meter, count, &did, sections);
}

/// Fails unless `peer` is told `BYE`, then a clean close. When it is not, what came instead,
/// and when, names the likely mistake: silence means the client's thread (or task) never
/// noticed the shutdown; a close long after the signal, that it was closed only when the
/// process ended; a close soon after it, that nobody said BYE before closing.
pub(super) fn expect_bye(
    server: &mut Running,
    peer: &mut Peer,
    sent: Instant,
    did: &str,
    sections: &Sections,
) {
    /// A correct server says BYE within a tick or so; a wrong one that waits for nothing
    /// closes about its grace period after the signal.
    const LATE_CLOSE: Duration = Duration::from_millis(700);
    let line = peer.receive_line();
    let after = sent.elapsed();
    let closed = match &line {
        Ok(line) => line.is_empty(),
        Err(error) => error.kind() == std::io::ErrorKind::ConnectionReset,
    };
    let hint = match &line {
        Err(error) if crate::is_timeout(error) => {
            "the client's thread (or task) did not notice the shutdown while it waited for \
             the client's next line: wait in short turns and look at the shutdown flag \
             between them (in async code, race the read against the shutdown signal)."
        }
        _ if closed && after >= LATE_CLOSE => {
            "the connection was closed without BYE only when the server exited: the \
             client's thread (or task) did not notice the shutdown while it waited for a \
             line. Look at the shutdown flag between short waits (in async code, tell every \
             task, and race its wait for a line against that signal), and answer it with BYE."
        }
        _ if closed => {
            "the connection ended without BYE: either the client's thread (or task) closed \
             without saying it, or the server exited before its client threads or tasks had \
             said it (wait for all of them, up to a grace period, before the last line)."
        }
        _ => "say BYE as the very last line to every connected client, then close cleanly.",
    };
    expect_line(server, peer, &line, "BYE\n", did, hint, sections.shutdown);
}

/// Fails unless the server, signalled at `sent`, prints `Shut down: <served> clients
/// served` and exits with status 0 within 2 s (plus slack when the machine is busy).
pub(super) fn expect_graceful_exit(
    server: &mut Running,
    sent: Instant,
    meter: &LoadMeter,
    served: usize,
    did: &str,
    sections: &Sections,
) {
    let status = server.wait_for_exit(SHUTDOWN_LIMIT + SLACK + STEP);
    let elapsed = sent.elapsed();
    let late = meter.worst_lateness();
    let in_time = elapsed <= SHUTDOWN_LIMIT + SLACK + late;
    if !status.is_some_and(|status| status.success()) || !in_time {
        server.fail(Problem {
            check: "a signal shuts the server down gracefully, within 2 s".into(),
            did: did.into(),
            expected: "exit status 0 within 2 s, even with clients that are silent or never \
                       read"
                .into(),
            got: match status {
                Some(status) => format!("{} after {:.2} s", ending(status), elapsed.as_secs_f64()),
                None => format!(
                    "still running {:.1} s after the signal",
                    elapsed.as_secs_f64()
                ),
            },
            hint: format!(
                "do not wait for clients without a limit: a client thread or task must notice \
                 the shutdown while it waits for a line, and a client that never reads must \
                 not hold the server (a write timeout, or stop waiting after a grace \
                 period). A TaskTracker's wait returns only once the tracker is closed.{}",
                busy_hint_for(late)
            ),
            section: sections.shutdown.into(),
        });
    }
    let expected = format!("Shut down: {served} clients served");
    let printed = server.seen();
    let all = [printed.stdout, printed.stderr].concat();
    if !String::from_utf8_lossy(&all)
        .lines()
        .any(|line| line.trim_end() == expected)
    {
        server.fail(Problem {
            check: "the last line counts every client accepted since the start".into(),
            did: did.into(),
            expected: format!("the line \"{expected}\""),
            got: "no such line (see the output below)".into(),
            hint: "count each client you accept (not the refused ones) in a second counter \
                   that never goes down, and print it once everyone has been told BYE."
                .into(),
            section: sections.shutdown.into(),
        });
    }
}

/// The signal named (`INT`, `TERM`) where a test can send one: on Unix with the system's
/// `kill`. Windows has no signals to send to one process, and its Ctrl-C event reaches
/// every program of the console, the test runner included: the check says so and is skipped.
pub(super) fn signals_available(signal: &'static str) -> Option<&'static str> {
    if cfg!(unix) {
        return Some(signal);
    }
    eprintln!(
        "skipped: on Windows a test cannot send Ctrl-C to one program only (the console's \
         Ctrl-C reaches every program attached to it, the test runner too); try Ctrl-C by hand"
    );
    None
}

/// Sends `kill -<signal> <pid>` to the server (its own PID only, never a group) and returns
/// when it was sent.
pub(super) fn send_signal(server: &mut Running, signal: &str, sections: &Sections) -> Instant {
    // A server that already exited would be reported by the checks that follow; its PID is
    // still its own here because the test has not collected its exit status yet.
    let pid = server.id().to_string();
    let sent = Instant::now();
    let status = Command::new("kill")
        .args([format!("-{signal}"), pid])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !status.is_ok_and(|status| status.success()) {
        server.fail(Problem {
            check: "the server runs until it is signalled".into(),
            did: format!("sent SIG{signal} to your server with the system's kill"),
            expected: "the signal delivered to the running server".into(),
            got: "kill failed: the server had already exited".into(),
            hint: "a server runs until Ctrl-C or SIGTERM".into(),
            section: sections.shutdown.into(),
        });
    }
    sent
}

pub(super) fn ending(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => "killed by the signal (no handler: the default action ends the program)".into(),
    }
}
