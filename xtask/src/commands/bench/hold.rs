//! Holding many connections: open K idle connections, then make every one of them do one
//! round trip; then close them all and ask from one new connection.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::connection::{Connection, open_in_waves};
use super::request_reply::{mebibytes, shown};
use super::server::RunningServer;
use super::{REPLY_TIMEOUT, WAVE};

// Holding many connections

/// Holds `count` connections, then one round trip on each. Returns how many answered.
pub(super) fn hold(
    address: SocketAddr,
    count: usize,
    message: &str,
    server: &mut RunningServer,
) -> Result<usize, String> {
    let line = format!("{message}\n").into_bytes();
    println!("holding {count} connections, opened in waves of {WAVE}");
    let started = Instant::now();
    let (mut connections, problem) = open_in_waves(address, count, &line);
    let connect_time = started.elapsed();
    let (threads, _) = server.threads_and_peak();
    println!(
        "  connected {} of {count} in {:.2} s{}",
        connections.len(),
        connect_time.as_secs_f64(),
        problem.map_or(String::new(), |problem| format!(" (stopped at {problem})"))
    );

    // Every connection asks at once; then the replies are collected one by one, all within
    // one deadline, so that a server that answers nobody costs seconds, not hours.
    let asked = Instant::now();
    let deadline = asked + REPLY_TIMEOUT;
    let sent: Vec<bool> = connections
        .iter_mut()
        .map(|connection| connection.send(&line).is_ok())
        .collect();
    let mut answered = 0;
    let mut first_reply = None;
    let mut last_reply = None;
    for (connection, was_sent) in connections.iter_mut().zip(sent) {
        let left = deadline.saturating_duration_since(Instant::now());
        // A zero timeout would mean "wait forever" to the system.
        let timeout = left.max(Duration::from_millis(1));
        if !was_sent
            || connection
                .reader
                .get_ref()
                .set_read_timeout(Some(timeout))
                .is_err()
        {
            continue;
        }
        if let Ok(reply) = connection.receive() {
            answered += 1;
            let reply = String::from_utf8_lossy(reply).trim_end().to_string();
            first_reply.get_or_insert_with(|| reply.clone());
            last_reply = Some(reply);
        }
    }
    let round_time = asked.elapsed();
    let (_, peak_rss) = server.threads_and_peak();
    println!(
        "  one round trip on each: {answered} of {} answered in {:.2} s (first reply {:?}, last {:?})",
        connections.len(),
        round_time.as_secs_f64(),
        first_reply.unwrap_or_default(),
        last_reply.unwrap_or_default()
    );
    println!(
        "  server: {} threads while holding, peak RSS {}, CPU {} s",
        shown(threads),
        peak_rss.map_or("-".into(), mebibytes),
        server
            .cpu_seconds()
            .map_or("-".into(), |cpu| format!("{cpu:.2}"))
    );
    drop(connections);
    println!("  {}", ask_after_all_closed(address, &line));
    Ok(answered)
}

/// After every connection is closed, one new client asks until it is told `1` (a counting
/// server needs a moment to notice thousands of closed connections), for at most
/// [`REPLY_TIMEOUT`]. Any other server's answer is shown as it is.
fn ask_after_all_closed(address: SocketAddr, line: &[u8]) -> String {
    let closed = Instant::now();
    let mut connection = match Connection::open(address) {
        Ok(connection) => connection,
        Err(error) => return format!("after closing them all, a new connection failed: {error}"),
    };
    let mut last = String::new();
    while closed.elapsed() < REPLY_TIMEOUT {
        match connection.round_trip(line) {
            Ok(()) => {
                last = String::from_utf8_lossy(&connection.reply)
                    .trim_end()
                    .to_string()
            }
            Err(error) => return format!("after closing them all, a new client got: {error}"),
        }
        if last == "1" {
            break;
        }
    }
    format!(
        "after closing them all, a new client was told {last:?} ({:.2} s after the close)",
        closed.elapsed().as_secs_f64()
    )
}
