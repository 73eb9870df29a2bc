//! Request/reply: N clients, each in a thread of its own, send a line (or a datagram) and
//! wait for the reply, again and again for D seconds.

use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::Options;
use super::connection::{Connection, open_in_waves};
use super::server::RunningServer;
use super::sources::Sources;

/// Each request/reply client thread needs little stack.
const CLIENT_STACK: usize = 256 * 1024;

// Request/reply

/// What one client thread measured.
#[derive(Default)]
struct Tally {
    /// Round-trip times in nanoseconds.
    latencies: Vec<u64>,
    errors: u64,
}

/// What one request/reply run measured: one row of a table.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) connections: usize,
    /// Replies received, and per second.
    pub(super) replies: usize,
    pub(super) per_second: f64,
    /// Round-trip times in nanoseconds.
    pub(super) p50: Option<u64>,
    pub(super) p99: Option<u64>,
    pub(super) p999: Option<u64>,
    pub(super) errors: u64,
    /// The server's peak thread count and peak memory (KiB), and its CPU seconds.
    pub(super) threads: Option<u64>,
    pub(super) peak_rss: Option<u64>,
    pub(super) cpu: Option<f64>,
}

impl Row {
    /// Server CPU time per reply: unlike replies per second, it hardly depends on what else
    /// the machine is doing at the time.
    pub(super) fn cpu_per_reply(&self) -> String {
        self.cpu
            .filter(|_| self.replies > 0)
            .map_or("-".into(), |cpu| {
                format!("{:.1} µs", cpu * 1e6 / self.replies as f64)
            })
    }

    /// The run's two lines, under [`print_header`]'s headings.
    pub(super) fn print(&self) {
        let latencies = [self.p50, self.p99, self.p999].map(micros);
        println!(
            "{}",
            client_row(
                &self.connections.to_string(),
                &format!("{:.0}", self.per_second),
                [&latencies[0], &latencies[1], &latencies[2]],
                &self.errors.to_string(),
            )
        );
        println!(
            "{}",
            server_row(
                &shown(self.threads),
                &self.peak_rss.map_or("-".into(), mebibytes),
                &self.cpu.map_or("-".into(), |cpu| format!("{cpu:.2}")),
                &self.cpu_per_reply(),
            )
        );
    }
}

/// The column headings of the request/reply table. Each run is two lines, the clients'
/// view and the server's, so that the table fits 60 columns, a terminal pane on a
/// projector (a test checks the widest row).
pub(super) fn print_header() {
    println!(
        "{}",
        client_row("clients", "replies/s", ["p50", "p99", "p99.9"], "errors")
    );
    println!("{SERVER_INDENT}server: threads, peak memory, CPU, CPU per reply");
}

/// Where the server's line of a run starts.
const SERVER_INDENT: &str = "        ";

/// The clients' view of one run, in the header's columns.
fn client_row(clients: &str, replies: &str, latencies: [&str; 3], errors: &str) -> String {
    let [p50, p99, p999] = latencies;
    format!("{clients:>7} {replies:>10} {p50:>9} {p99:>9} {p999:>9} {errors:>7}")
}

/// The server's view of the same run, indented under it.
fn server_row(threads: &str, peak: &str, cpu: &str, per_reply: &str) -> String {
    format!("{SERVER_INDENT}{threads} threads, {peak}, {cpu} s, {per_reply}/reply")
}

/// One row of the table: `connections` clients at once for the options' duration.
pub(super) fn run(
    options: &Options,
    connections: usize,
    server: &mut RunningServer,
) -> Result<Row, String> {
    let mut line = options.message.clone().into_bytes();
    if !options.udp {
        line.push(b'\n');
    }
    let duration = Duration::from_secs_f64(options.seconds);
    let start = Arc::new(Barrier::new(connections + 1));
    let mut clients = Vec::with_capacity(connections);
    let mut setup_errors = 0;
    if options.udp {
        for _ in 0..connections {
            let (start, line) = (Arc::clone(&start), line.clone());
            let address = server.address;
            clients.push(spawn_client(move || {
                udp_client(address, &line, &start, duration)
            })?);
        }
    } else {
        let (opened, problem) =
            open_in_waves(server.address, connections, &line, &Sources::default());
        if let Some(problem) = problem {
            println!("  could not open all {connections} connections: {problem}");
            setup_errors = (connections - opened.len()) as u64;
        }
        // Threads that could not get a connection still meet at the start line.
        for _ in opened.len()..connections {
            let start = Arc::clone(&start);
            clients.push(spawn_client(move || {
                start.wait();
                Tally::default()
            })?);
        }
        for connection in opened {
            let (start, line) = (Arc::clone(&start), line.clone());
            clients.push(spawn_client(move || {
                tcp_client(connection, &line, &start, duration)
            })?);
        }
    }

    start.wait();
    let started = Instant::now();
    let cpu_before = server.cpu_seconds();
    // While the clients run, watch the server's thread count (the peak is what counts).
    let mut peak_threads = None;
    while started.elapsed() < duration {
        peak_threads = peak_threads.max(server.threads_and_peak().0);
        thread::sleep(Duration::from_millis(100));
    }
    let mut all = Tally {
        errors: setup_errors,
        ..Tally::default()
    };
    for client in clients {
        let tally = client
            .join()
            .map_err(|_| "a client thread of the bench panicked".to_string())?;
        all.latencies.extend(tally.latencies);
        all.errors += tally.errors;
    }
    let elapsed = started.elapsed();
    let cpu = match (cpu_before, server.cpu_seconds()) {
        (Some(before), Some(after)) => Some(after - before),
        _ => None,
    };
    let (_, peak_rss) = server.threads_and_peak();
    all.latencies.sort_unstable();
    Ok(Row {
        connections,
        replies: all.latencies.len(),
        per_second: all.latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&all.latencies, 0.50),
        p99: percentile(&all.latencies, 0.99),
        p999: percentile(&all.latencies, 0.999),
        errors: all.errors,
        threads: peak_threads,
        peak_rss,
        cpu,
    })
}

fn spawn_client(
    work: impl FnOnce() -> Tally + Send + 'static,
) -> Result<thread::JoinHandle<Tally>, String> {
    thread::Builder::new()
        .stack_size(CLIENT_STACK)
        .spawn(work)
        .map_err(|error| format!("the bench could not start a client thread: {error}"))
}

/// One TCP client: round trips until the time is up or the connection fails.
fn tcp_client(
    mut connection: Connection,
    line: &[u8],
    start: &Barrier,
    duration: Duration,
) -> Tally {
    let mut tally = Tally::default();
    start.wait();
    let end = Instant::now() + duration;
    while Instant::now() < end {
        let sent = Instant::now();
        match connection.round_trip(line) {
            Ok(()) => tally.latencies.push(sent.elapsed().as_nanos() as u64),
            Err(_) => {
                // A connection that failed once is not used again: the error counts once.
                tally.errors += 1;
                break;
            }
        }
    }
    tally
}

/// One UDP client: a datagram out, a datagram back. A lost one counts as an error after
/// one second, and the client goes on.
fn udp_client(address: SocketAddr, datagram: &[u8], start: &Barrier, duration: Duration) -> Tally {
    let mut tally = Tally::default();
    let socket = UdpSocket::bind("127.0.0.1:0").and_then(|socket| {
        socket.connect(address)?;
        socket.set_read_timeout(Some(Duration::from_secs(1)))?;
        Ok(socket)
    });
    start.wait();
    let Ok(socket) = socket else {
        tally.errors += 1;
        return tally;
    };
    let mut buffer = vec![0u8; 65_536];
    let end = Instant::now() + duration;
    while Instant::now() < end {
        let sent = Instant::now();
        match socket.send(datagram).and_then(|_| socket.recv(&mut buffer)) {
            Ok(_) => tally.latencies.push(sent.elapsed().as_nanos() as u64),
            Err(_) => tally.errors += 1,
        }
    }
    tally
}

/// The value below which a share `q` of the sorted samples lie.
pub(super) fn percentile(sorted: &[u64], q: f64) -> Option<u64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = ((q * sorted.len() as f64).ceil() as usize).saturating_sub(1);
    sorted.get(rank.min(last)).copied()
}

pub(super) fn micros(nanos: Option<u64>) -> String {
    match nanos {
        None => "-".into(),
        Some(nanos) if nanos < 10_000_000 => format!("{} µs", nanos / 1000),
        Some(nanos) => format!("{} ms", nanos / 1_000_000),
    }
}

pub(super) fn mebibytes(kibibytes: u64) -> String {
    format!("{:.1} MiB", kibibytes as f64 / 1024.0)
}

pub(super) fn shown(value: Option<u64>) -> String {
    value.map_or("-".into(), |value| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_fits_a_projected_pane() {
        let widest = [
            client_row("clients", "replies/s", ["p50", "p99", "p99.9"], "errors"),
            client_row(
                "100000",
                "1234567",
                ["9999 µs", "9999 µs", "9999 µs"],
                "100000",
            ),
            server_row("100001", "9999.9 MiB", "999.99", "999.9 µs"),
        ];
        for row in widest {
            assert!(
                row.chars().count() <= 60,
                "{} columns: {row}",
                row.chars().count()
            );
        }
    }

    #[test]
    fn percentiles_pick_the_sample_at_or_above_the_share() {
        let samples: Vec<u64> = (1..=1000).collect();
        assert_eq!(percentile(&samples, 0.5), Some(500));
        assert_eq!(percentile(&samples, 0.99), Some(990));
        assert_eq!(percentile(&samples, 0.999), Some(999));
        assert_eq!(percentile(&[7], 0.999), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
