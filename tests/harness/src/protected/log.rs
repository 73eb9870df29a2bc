//! The log, and many clients at once.

use super::*;

/// 500 lines from 10 clients at once (one burst each) all appear in the log, escaped.
pub fn check_log_complete(lesson: &Lesson, sections: &Sections) {
    const CLIENTS: usize = 10;
    const LINES_EACH: usize = 50;
    let (mut server, address) = start(lesson, &[], sections);
    let mut peers: Vec<Peer> = (0..CLIENTS)
        .map(|_| connect(&mut server, address, sections))
        .collect();
    let bursts: Vec<_> = peers
        .iter()
        .enumerate()
        .map(|(client, peer)| {
            let lines: String = (0..LINES_EACH)
                .map(|line| format!("log {client}-{line}\x1b[2J\n"))
                .collect();
            peer.send_in_background(lines.into_bytes())
        })
        .collect();
    for burst in bursts {
        let _ = burst.join();
    }
    for peer in &mut peers {
        for _ in 0..LINES_EACH {
            if !matches!(peer.receive_line(), Ok(line) if line.ends_with(b"\n")) {
                break;
            }
        }
    }
    let mut missing = Vec::new();
    let mut log = String::new();
    let deadline = Instant::now() + STEP;
    for client in 0..CLIENTS {
        for line in 0..LINES_EACH {
            let wanted = format!("log {client}-{line}\\x1b[2J");
            while !log.contains(&wanted) {
                let left = deadline.saturating_duration_since(Instant::now());
                match server.read_until("\n", left) {
                    Ok(more) => log.push_str(&more),
                    Err(_) => break,
                }
            }
            if !log.contains(&wanted) {
                missing.push(wanted);
            }
        }
    }
    if !missing.is_empty() || log.contains('\x1b') {
        server.fail(Problem {
            check: "every line received appears in the log, escaped".into(),
            did: format!(
                "{CLIENTS} clients each sent {LINES_EACH} lines like \"log 3-7\\x1b[2J\" in one burst"
            ),
            expected: "every line in the log, with the escape character shown as \\x1b".into(),
            got: if missing.is_empty() {
                "a raw escape character in the log".into()
            } else {
                format!("{} lines missing, the first: {}", missing.len(), missing[0])
            },
            hint: "clients hand their lines to one logger (a channel) without waiting for it; \
                   the logger prints each with netkit::printable. Drop a line only when the \
                   logger is truly overwhelmed, never in a burst like this one."
                .into(),
            section: sections.log.into(),
        });
    }
}

/// A client that connects and sends nothing does not keep `count` others from being
/// answered (lesson 7: a blocking call in one task would stall them all).
pub fn check_silent_client_with_many_others(lesson: &Lesson, sections: &Sections, count: usize) {
    if !enough_open_files(count) {
        return;
    }
    let (mut server, address) = start(lesson, &["--idle-timeout", "60"], sections);
    let _silent = connect(&mut server, address, sections);
    let peers = connect_many(&mut server, address, count, sections);
    drop(peers);
}

/// Connects `count` clients, each of which asks once and is answered with a count, in waves
/// of 50 (a listening socket queues only about 128 connections not yet accepted).
pub(super) fn connect_many(
    server: &mut Running,
    address: SocketAddr,
    count: usize,
    sections: &Sections,
) -> Vec<Peer> {
    const WAVE: usize = 50;
    let mut peers: Vec<Peer> = Vec::with_capacity(count);
    while peers.len() < count {
        let wave_start = peers.len();
        for _ in wave_start..(wave_start + WAVE).min(count) {
            let mut peer = connect(server, address, sections);
            let _ = peer.send(QUESTION);
            peers.push(peer);
        }
        for (number, peer) in peers.iter_mut().enumerate().skip(wave_start) {
            let reply = peer.receive_line();
            if parse_count(&reply).is_none() {
                server.fail(Problem {
                    check: "every client is answered while others are connected".into(),
                    did: format!("connected {} clients that each asked once", number + 1),
                    expected: format!("client {} answered with the count", number + 1),
                    got: describe_read(&reply),
                    hint: "nothing that one client does may hold up the others: never block a \
                           thread or task that others depend on (a blocking call inside async \
                           code stalls every task of its thread)."
                        .into(),
                    section: sections.stalls.into(),
                });
            }
        }
    }
    peers
}

/// Whether the test may open `count` connections (each takes a file on both sides), with a
/// note when the system's limit is too low.
pub(super) fn enough_open_files(count: usize) -> bool {
    if !cfg!(unix) {
        return true;
    }
    let limit = Command::new("sh")
        .args(["-c", "ulimit -n"])
        .output()
        .ok()
        .and_then(|output| {
            String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse::<u64>()
                .ok()
        });
    // "unlimited" does not parse: plenty.
    let needed = 3 * count as u64 + 200;
    match limit {
        Some(limit) if limit < needed => {
            eprintln!(
                "skipped: this check opens {count} connections, but `ulimit -n` is {limit}; \
                 raise it to {needed} (ulimit -n {needed}) to run it"
            );
            false
        }
        _ => true,
    }
}
