//! Fan-out (`--fan-out`): a chat room of N clients (lesson 8's protocol), and how fast lines
//! reach everyone else.
//!
//! For each N, two runs, each on a fresh server: **one sender** (client 0 talks, the others
//! listen) and **all sending** (every client talks, in turn, and listens). Every line carries
//! the moment it was written, so each receiver measures the *delivery latency* (from the
//! sender's write to its own read, through the server's queue) of every line it hears.
//! Reported: lines delivered per second (one line heard by one client is one delivery),
//! latency p50 and p99, and the server's peak memory and CPU time.
//!
//! The senders never run more than a window of lines ahead of the slowest listener. Without
//! that, a bench that writes as fast as it can overruns the listeners, and a correct server
//! cuts them off as too slow: that would measure the cut-off, not the fan-out. The window is
//! small enough that a listener's lines fit in the system's socket buffers, so the server's
//! queues stay nearly empty and nobody is cut.
//!
//! Then two memory figures: the server's resident memory with N clients connected and idle
//! (the largest N), and its peak while 100 clients that never read are sent to until the
//! server has cut them all off.

use std::net::TcpStream;
use std::time::Instant;

use super::request_reply::{mebibytes, percentile};
use super::server::{Launch, ServerSpec};

mod room;

use room::{Room, WINDOW, join_one};

/// Clients that never read, in the memory run.
const DEAF: usize = 100;
/// Clients that read, in the memory run.
const HEARING: usize = 10;
/// The line the memory run sends: 1 KiB, so that the deaf clients' buffers fill soon.
const LONG_TEXT: usize = 1000;

/// What every run needs: the server to start, and how long to send.
pub(super) struct FanOut<'a> {
    pub(super) server: &'a ServerSpec,
    /// Pinning and `{idle}`, as for every server the bench starts.
    pub(super) launch: &'a Launch,
    pub(super) seconds: f64,
}

/// The three runs of each room size.
#[derive(Clone, Copy)]
enum Load {
    /// Client 0 sends as fast as the window lets it.
    OneSender,
    /// Every client sends, in turn, as fast as the window lets them.
    AllSending,
    /// Client 0 sends one line, and the next once everyone has heard it: no queueing.
    OneAtATime,
}

impl Load {
    fn senders(self, clients: usize) -> usize {
        match self {
            Load::AllSending => clients,
            Load::OneSender | Load::OneAtATime => 1,
        }
    }

    fn window(self) -> u64 {
        match self {
            Load::OneAtATime => 1,
            Load::OneSender | Load::AllSending => WINDOW,
        }
    }
}

/// Columns a projected terminal pane shows: every line the bench prints fits.
const WIDTH: usize = 60;

/// Runs every room size, each way, then the memory runs; prints one table (Markdown, ready
/// to paste into the book). Returns the number of lines delivered in all.
pub(super) fn run(bench: &FanOut, sizes: &[usize]) -> Result<u64, String> {
    let about = format!(
        "fan-out: {:.1} s per run, each on a fresh server. lines/s counts deliveries: \
         one line heard by one client. The senders keep at most {WINDOW} lines ahead of the slowest listener; \
         1* sends one line at a time, the next once everyone has heard it.",
        bench.seconds
    );
    println!("{}\n", xtask::text::wrap(&about, 0, WIDTH));
    println!("{}", row(HEADINGS));
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut delivered = 0;
    let mut idle_memory = None;
    for &clients in sizes {
        for load in [Load::OneSender, Load::AllSending, Load::OneAtATime] {
            let server = bench.server.start(false, bench.launch)?;
            let before = server.resident();
            let room = Room::join(server.address, clients, "c")?;
            if let Load::AllSending = load {
                idle_memory = before
                    .zip(server.resident())
                    .map(|memory| (clients, memory));
            }
            let senders = load.senders(clients);
            let measured = room.measure(bench.seconds, senders, load.window(), 0, None)?;
            let (_, peak) = server.threads_and_peak();
            delivered += measured.delivered;
            let senders = match load {
                Load::OneAtATime => "1*".to_string(),
                _ => thousands(senders as u64),
            };
            println!(
                "{}",
                row([
                    &thousands(clients as u64),
                    &senders,
                    &thousands(measured.per_second()),
                    &latency(percentile(&measured.latencies, 0.5)),
                    &latency(percentile(&measured.latencies, 0.99)),
                    &peak.map_or("-".into(), |peak| format!("{:.1}", peak as f64 / 1024.0)),
                ])
            );
            if let Some(note) = measured.note() {
                println!("{}", xtask::text::wrap(&note, 2, WIDTH));
            }
            server.report_stderr();
        }
    }
    println!();
    if let Some((clients, (baseline, connected))) = idle_memory {
        let per_client = connected.saturating_sub(baseline) as f64 / clients as f64;
        let idle = format!(
            "memory: {} clients connected and idle: server RSS {} ({} before they joined, \
             about {per_client:.1} KiB per client)",
            thousands(clients as u64),
            mebibytes(connected),
            mebibytes(baseline)
        );
        println!("{}", xtask::text::wrap(&idle, 0, WIDTH));
    }
    deaf_clients(bench)?;
    Ok(delivered)
}

/// The table's columns: latencies (from the sender's write to the listener's read) in
/// milliseconds, the server's peak resident memory in MiB.
const HEADINGS: [&str; 6] = [
    "clients", "senders", "lines/s", "p50 ms", "p99 ms", "RSS MiB",
];

/// One row of the Markdown table.
fn row(cells: [&str; 6]) -> String {
    format!("| {} |", cells.join(" | "))
}

/// The memory run: `HEARING` clients that read, `DEAF` that never do, and client 0 sending
/// 1 KiB lines until every deaf client has been cut off (or the time is up).
fn deaf_clients(bench: &FanOut) -> Result<(), String> {
    let server = bench.server.start(false, bench.launch)?;
    let room = Room::join(server.address, HEARING, "h")?;
    // Joined last, so that each reading client's `* ... left` notices are the cut-offs.
    let deaf: Vec<TcpStream> = (0..DEAF)
        .map(|index| join_one(server.address, &format!("d{index}")))
        .collect::<Result<_, _>>()?;
    let started = Instant::now();
    let seconds = bench.seconds.max(10.0);
    let measured = room.measure(seconds, 1, WINDOW, LONG_TEXT, Some(DEAF))?;
    let (_, peak) = server.threads_and_peak();
    let memory = format!(
        "memory: {HEARING} clients reading and {DEAF} never reading, one sender of 1 KiB \
         lines: server peak RSS {}; {} of {DEAF} cut off in {:.1} s ({} lines sent){}",
        peak.map_or("-".into(), mebibytes),
        measured.cut_off,
        started.elapsed().as_secs_f64(),
        thousands(measured.sent),
        measured
            .note()
            .map_or(String::new(), |note| format!(" {note}"))
    );
    println!("{}", xtask::text::wrap(&memory, 0, WIDTH));
    drop(deaf);
    server.report_stderr();
    Ok(())
}

/// `1234567` as `1,234,567`.
fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Microseconds, shown in milliseconds: one decimal below 10 ms.
fn latency(micros: Option<u64>) -> String {
    match micros {
        None => "-".into(),
        Some(micros) if micros < 10_000 => format!("{:.1}", micros as f64 / 1000.0),
        Some(micros) => thousands(micros / 1000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_fits_a_projected_pane() {
        let widest = [
            row(HEADINGS),
            row(["10,000", "10,000", "9,999,999", "99,999", "99,999", "999.9"]),
        ];
        for line in widest {
            assert!(line.chars().count() <= WIDTH, "{line}");
        }
        assert_eq!(latency(Some(7_250)), "7.2");
        assert_eq!(latency(Some(952_100)), "952");
        assert_eq!(latency(Some(12_000_000)), "12,000");
    }

    #[test]
    fn big_numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
