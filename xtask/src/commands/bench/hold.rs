//! Holding many connections: open K idle connections, then make every one of them do one
//! round trip; then close them all and ask from one new connection.

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use super::connection::{Connection, open_in_waves};
use super::request_reply::{mebibytes, shown};
use super::server::RunningServer;
use super::{REPLY_TIMEOUT, WAVE};

/// How long the server's CPU time is watched while every connection is idle.
const IDLE_WATCH: Duration = Duration::from_secs(2);

// Holding many connections

/// What holding many connections showed, for a table that puts servers side by side.
#[derive(Debug, Clone, Default)]
pub(super) struct HoldReport {
    pub(super) connected: usize,
    pub(super) connect_seconds: f64,
    /// The server's share of one CPU while every connection was idle (polling costs this).
    pub(super) idle_cpu: Option<f64>,
    pub(super) answered: usize,
    pub(super) round_seconds: f64,
    pub(super) threads: Option<u64>,
    pub(super) peak_rss: Option<u64>,
    /// What a new client was told once all were closed, and when.
    pub(super) after_close: String,
}

/// Holds `count` connections, then one round trip on each.
pub(super) fn hold(
    address: SocketAddr,
    count: usize,
    message: &str,
    server: &mut RunningServer,
) -> Result<HoldReport, String> {
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
    // Idle connections should cost nothing; a server that polls them pays for it here.
    let cpu_before = server.cpu_seconds();
    thread::sleep(IDLE_WATCH);
    let idle_cpu = match (cpu_before, server.cpu_seconds()) {
        (Some(before), Some(after)) => Some((after - before) / IDLE_WATCH.as_secs_f64()),
        _ => None,
    };
    println!(
        "  while all {} sat idle for {} s, the server used {} of a CPU",
        connections.len(),
        IDLE_WATCH.as_secs(),
        percent(idle_cpu)
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
    let connected = connections.len();
    drop(connections);
    let after_close = ask_after_all_closed(address, &line);
    println!("  after closing them all, a new client was told {after_close}");
    Ok(HoldReport {
        connected,
        connect_seconds: connect_time.as_secs_f64(),
        idle_cpu,
        answered,
        round_seconds: round_time.as_secs_f64(),
        threads,
        peak_rss,
        after_close,
    })
}

/// A share of one CPU, as a percentage.
pub(super) fn percent(share: Option<f64>) -> String {
    share.map_or("-".into(), |share| format!("{:.1} %", share * 100.0))
}

/// After every connection is closed, one new client asks until it is told `1` (a counting
/// server needs a moment to notice thousands of closed connections), for at most
/// [`REPLY_TIMEOUT`]. Any other server's answer is shown as it is: `"1" (0.52 s later)`.
fn ask_after_all_closed(address: SocketAddr, line: &[u8]) -> String {
    let closed = Instant::now();
    let mut connection = match Connection::open(address) {
        Ok(connection) => connection,
        Err(error) => return format!("nothing: the connection failed ({error})"),
    };
    let mut last = String::new();
    while closed.elapsed() < REPLY_TIMEOUT {
        match connection.round_trip(line) {
            Ok(()) => {
                last = String::from_utf8_lossy(&connection.reply)
                    .trim_end()
                    .to_string()
            }
            Err(error) => return format!("nothing: {error}"),
        }
        if last == "1" {
            break;
        }
    }
    format!("{last:?} ({:.2} s later)", closed.elapsed().as_secs_f64())
}
