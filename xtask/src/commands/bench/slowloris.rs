//! Slowloris: N clients each send one byte of a line and then nothing more, while one polite
//! client keeps asking, a question every 10 ms.
//!
//! A server with a thread per client and no deadline (lesson 5) keeps a thread for each of
//! them for as long as they like; one with a deadline per line (lesson 6) cuts them when it
//! passes. Each second the bench reports the polite client's latency (p50, p99), how many of
//! the stalled connections the server still holds open, and the server's threads, memory and
//! CPU, so that the moment of the deadline shows in the table.

use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::connection::{Connection, open_in_waves};
use super::request_reply::percentile;
use super::server::RunningServer;
use super::sources::Sources;

/// How often the polite client asks.
const ASK_EVERY: Duration = Duration::from_millis(10);

/// One second of the run.
#[derive(Debug, Clone, Default)]
pub(super) struct Second {
    /// The polite client's round trips in this second, in nanoseconds.
    pub(super) p50: Option<u64>,
    pub(super) p99: Option<u64>,
    pub(super) answered: usize,
    pub(super) errors: usize,
    /// Stalled connections the server still holds open at the end of the second.
    pub(super) stalled_open: usize,
    pub(super) threads: Option<u64>,
    /// The server's memory now (KiB) and its share of one CPU during the second.
    pub(super) rss: Option<u64>,
    pub(super) cpu: Option<f64>,
}

/// What a slowloris run showed.
#[derive(Debug, Clone, Default)]
pub(super) struct Report {
    /// Why fewer than `stalled` could be connected, if they could not.
    pub(super) problem: Option<String>,
    pub(super) seconds: Vec<Second>,
}

/// `stalled` clients that stall mid-line for `duration`, beside one polite client.
pub(super) fn run(
    server: &mut RunningServer,
    stalled: usize,
    duration: Duration,
    message: &str,
) -> Result<Report, String> {
    let line = format!("{message}\n").into_bytes();
    let polite = Connection::open(server.address, None)
        .map_err(|error| format!("the polite client could not connect: {error}"))?;
    let samples = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let asker = {
        let (samples, stop, line) = (Arc::clone(&samples), Arc::clone(&stop), line.clone());
        thread::Builder::new()
            .spawn(move || ask_until_stopped(polite, &line, &samples, &stop))
            .map_err(|error| format!("could not start the polite client: {error}"))?
    };

    // Each wave ends with a whole line on its last connection (see `open_in_waves`); then
    // every connection sends one byte of a line that never ends.
    let (mut connections, problem) =
        open_in_waves(server.address, stalled, &line, &Sources::default());
    for connection in &mut connections {
        let stream = connection.reader.get_ref();
        let _ = (&*stream).write_all(b"x");
        let _ = stream.set_nonblocking(true);
    }
    println!(
        "  {} clients sent one byte and stalled{}",
        connections.len(),
        problem
            .as_ref()
            .map_or(String::new(), |problem| format!(" (stopped at {problem})"))
    );

    let started = Instant::now();
    let mut open = vec![true; connections.len()];
    let mut seconds = Vec::new();
    let mut cpu_before = server.cpu_seconds();
    for at in 1..=duration.as_secs().max(1) {
        // Row `at` of the table: the second that ends `at` s after the stall began.
        let second_end = started + Duration::from_secs(at);
        thread::sleep(second_end.saturating_duration_since(Instant::now()));
        let mut latencies: Vec<Option<u64>> = std::mem::take(
            &mut *samples
                .lock()
                .map_err(|_| "the polite client panicked".to_string())?,
        );
        let errors = latencies.iter().filter(|sample| sample.is_none()).count();
        let mut answered: Vec<u64> = latencies.drain(..).flatten().collect();
        answered.sort_unstable();
        let cpu_now = server.cpu_seconds();
        let (threads, rss) = server.threads_and_rss();
        seconds.push(Second {
            p50: percentile(&answered, 0.50),
            p99: percentile(&answered, 0.99),
            answered: answered.len(),
            errors,
            stalled_open: count_open(&mut connections, &mut open),
            threads,
            rss,
            cpu: cpu_before.zip(cpu_now).map(|(before, now)| now - before),
        });
        cpu_before = cpu_now;
    }
    stop.store(true, Ordering::Relaxed);
    let _ = asker.join();
    Ok(Report { problem, seconds })
}

/// The polite client: a round trip every [`ASK_EVERY`], each one's time (or `None` for a
/// failure) added to `samples`, until `stop`.
fn ask_until_stopped(
    mut connection: Connection,
    line: &[u8],
    samples: &Mutex<Vec<Option<u64>>>,
    stop: &AtomicBool,
) {
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let sent = Instant::now();
        let sample = match connection.round_trip(line) {
            Ok(()) => Some(sent.elapsed().as_nanos() as u64),
            Err(_) => None,
        };
        if let Ok(mut samples) = samples.lock() {
            samples.push(sample);
        }
        if sample.is_none() {
            // A broken connection fails at once: ask again in a moment, not in a busy loop.
            thread::sleep(ASK_EVERY * 10);
        }
        next += ASK_EVERY;
        thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}

/// How many of the stalled connections the server still holds open: one whose server
/// closed it reads the end of the stream (after `ERROR idle timeout`) or an error.
fn count_open(connections: &mut [Connection], open: &mut [bool]) -> usize {
    let mut buffer = [0u8; 256];
    for (connection, still_open) in connections.iter_mut().zip(open.iter_mut()) {
        while *still_open {
            match connection.reader.get_mut().read(&mut buffer) {
                Ok(0) => *still_open = false,
                Ok(_) => continue, // its last words; the end of the stream follows
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                Err(_) => *still_open = false,
            }
        }
    }
    open.iter().filter(|still_open| **still_open).count()
}
