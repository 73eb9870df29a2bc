//! Holding many connections: open K idle connections, then make every one of them do one
//! round trip; then close them all and ask from one new connection.
//!
//! What a connection costs the server in memory: its resident memory (`VmRSS`) is read
//! before the first connection, once all K sit idle, and once each has had its round trip
//! (buffers that a server allocates only when a line arrives show up there). The growth
//! divided by the connections held is the cost of one: a stack for a thread-per-client
//! server, a task and its buffers for an async one.

use std::net::{IpAddr, SocketAddr};
use std::thread;
use std::time::{Duration, Instant};

use super::connection::{Connection, open_in_waves};
use super::request_reply::{mebibytes, shown};
use super::server::RunningServer;
use super::sources;
use super::{REPLY_TIMEOUT, WAVE, WIDTH};

/// How long the server's CPU time is watched while every connection is idle.
const IDLE_WATCH: Duration = Duration::from_secs(2);

// Holding many connections

/// What holding many connections showed, for a table that puts servers side by side.
#[derive(Debug, Clone)]
pub(super) struct HoldReport {
    pub(super) connected: usize,
    pub(super) connect_seconds: f64,
    /// The server's share of one CPU while every connection was idle (polling costs this).
    pub(super) idle_cpu: Option<f64>,
    pub(super) answered: usize,
    pub(super) round_seconds: f64,
    pub(super) threads: Option<u64>,
    pub(super) memory: Memory,
    /// What a new client was told once all were closed, and when.
    pub(super) after_close: AfterClose,
}

/// The server's resident memory in KiB while it held the connections.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Memory {
    /// Before the first connection.
    pub(super) before: Option<u64>,
    /// With all of them connected and idle.
    pub(super) idle: Option<u64>,
    /// Once each had its round trip, all still open.
    pub(super) after_round: Option<u64>,
    /// The peak (`VmHWM`).
    pub(super) peak: Option<u64>,
    /// The connections held.
    pub(super) connections: usize,
}

impl Memory {
    /// KiB per held connection, all of them idle.
    pub(super) fn idle_per_connection(&self) -> Option<f64> {
        per_connection(self.before, self.idle, self.connections)
    }

    /// KiB per held connection, once each has had its round trip.
    pub(super) fn after_round_per_connection(&self) -> Option<f64> {
        per_connection(self.before, self.after_round, self.connections)
    }

    /// Two lines for the run's report.
    fn lines(&self) -> [String; 2] {
        let rss = |kib: Option<u64>| kib.map_or("-".into(), mebibytes);
        [
            format!(
                "  server RSS: {} before connecting, {} with all idle ({} per connection)",
                rss(self.before),
                rss(self.idle),
                kibibytes(self.idle_per_connection())
            ),
            format!(
                "  after the round trips: {} ({} per connection); peak {}",
                rss(self.after_round),
                kibibytes(self.after_round_per_connection()),
                rss(self.peak)
            ),
        ]
    }
}

/// How much the server's resident memory grew from `before` to `now` (KiB), per connection.
/// Negative if it shrank (memory handed back to the system meanwhile); `None` without both
/// readings or without a connection.
pub(super) fn per_connection(
    before: Option<u64>,
    now: Option<u64>,
    connections: usize,
) -> Option<f64> {
    let (before, now) = (before?, now?);
    (connections > 0).then(|| (now as f64 - before as f64) / connections as f64)
}

/// `10.3 KiB`: one decimal, so that a 4 KiB page shared by many connections still shows.
pub(super) fn kibibytes(kib: Option<f64>) -> String {
    kib.map_or("-".into(), |kib| format!("{kib:.1} KiB"))
}

/// Holds `count` connections, then one round trip on each; from as many source addresses
/// as they need, or as `forced` (`--sources`) says (see [`sources`]).
pub(super) fn hold(
    address: SocketAddr,
    count: usize,
    forced: Option<usize>,
    message: &str,
    server: &mut RunningServer,
) -> Result<HoldReport, String> {
    let line = format!("{message}\n").into_bytes();
    let plan = sources::plan(address, count, forced)?;
    if let Some(note) = &plan.note {
        println!("{note}");
    }
    println!("holding {count} connections, opened in waves of {WAVE}");
    if let Some(spread) = plan.sources.line(count) {
        println!("{spread}");
    }
    let rss_before = server.resident();
    let started = Instant::now();
    let (mut connections, problem) = open_in_waves(address, count, &line, &plan.sources);
    let connect_time = started.elapsed();
    let (threads, _) = server.threads_and_peak();
    let connected = format!(
        "connected {} of {count} in {:.2} s{}",
        connections.len(),
        connect_time.as_secs_f64(),
        problem.map_or(String::new(), |problem| format!(" (stopped at {problem})"))
    );
    println!("{}", xtask::text::wrap(&connected, 2, WIDTH));
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
    let rss_idle = server.resident();

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
    let memory = Memory {
        before: rss_before,
        idle: rss_idle,
        after_round: server.resident(),
        peak: server.threads_and_peak().1,
        connections: connections.len(),
    };
    println!(
        "  one round trip on each: {answered} of {} answered in {:.2} s (replies {} to {})",
        connections.len(),
        round_time.as_secs_f64(),
        quoted(&first_reply.unwrap_or_default(), REPLY_CELL + 3),
        quoted(&last_reply.unwrap_or_default(), REPLY_CELL + 3)
    );
    println!(
        "  server: {} threads while holding, CPU {} s",
        shown(threads),
        server
            .cpu_seconds()
            .map_or("-".into(), |cpu| format!("{cpu:.2}"))
    );
    for line in memory.lines() {
        println!("{line}");
    }
    let connected = connections.len();
    drop(connections);
    // From the run's first address: Linux's own pick of a source port avoids every port
    // bound on any address, and a large spread run may have left few of those free.
    let after_close = ask_after_all_closed(address, plan.sources.of(0), &line);
    let told = format!(
        "after closing them all, a new client was told {}",
        after_close.line()
    );
    println!("{}", xtask::text::wrap(&told, 2, WIDTH));
    Ok(HoldReport {
        connected,
        connect_seconds: connect_time.as_secs_f64(),
        idle_cpu,
        answered,
        round_seconds: round_time.as_secs_f64(),
        threads,
        memory,
        after_close,
    })
}

/// The longest reply shown whole after all are closed (a lesson's server replies with a
/// count, but a server that refuses says why).
const REPLY_SHOWN: usize = 20;
/// The longest reply shown whole in a table's cell; in the round-trip line, 3 more.
const REPLY_CELL: usize = 5;

/// `text` in quotes, cut to `most` characters (the last one `…`) when longer.
fn quoted(text: &str, most: usize) -> String {
    format!("{:?}", cut(text, most))
}

/// `text` cut to `most` characters, the last one `…`, when it is longer.
fn cut(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        text.to_string()
    } else {
        let kept: String = text.chars().take(most.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

/// What one new client was told once every held connection was closed.
#[derive(Debug, Clone)]
pub(super) enum AfterClose {
    /// Its last reply, and the seconds from closing them all to that reply.
    Told(String, f64),
    /// Why it got no reply.
    Failed(String),
}

impl AfterClose {
    /// For the run's report: `"1" (0.52 s later)`, or what went wrong.
    pub(super) fn line(&self) -> String {
        match self {
            AfterClose::Told(reply, seconds) => {
                format!("{} ({seconds:.2} s later)", quoted(reply, REPLY_SHOWN))
            }
            AfterClose::Failed(why) => format!("nothing: {why}"),
        }
    }

    /// For a table's cell, at most 13 columns: `1, 0.5 s` (the asking takes at most 15 s);
    /// the whole reply is in the line.
    pub(super) fn cell(&self) -> String {
        match self {
            AfterClose::Told(reply, seconds) => {
                format!("{}, {seconds:.1} s", cut(reply, REPLY_CELL))
            }
            AfterClose::Failed(_) => "no reply".into(),
        }
    }
}

/// A share of one CPU, as a percentage.
pub(super) fn percent(share: Option<f64>) -> String {
    share.map_or("-".into(), |share| format!("{:.1} %", share * 100.0))
}

/// After every connection is closed, one new client asks until it is told `1` (a counting
/// server needs a moment to notice thousands of closed connections), for at most
/// [`REPLY_TIMEOUT`]. Any other server's answer is kept as it is.
fn ask_after_all_closed(address: SocketAddr, source: Option<IpAddr>, line: &[u8]) -> AfterClose {
    let closed = Instant::now();
    let mut connection = match Connection::open(address, source) {
        Ok(connection) => connection,
        Err(error) => return AfterClose::Failed(format!("the connection failed ({error})")),
    };
    let mut last = String::new();
    while closed.elapsed() < REPLY_TIMEOUT {
        match connection.round_trip(line) {
            Ok(()) => {
                last = String::from_utf8_lossy(&connection.reply)
                    .trim_end()
                    .to_string()
            }
            Err(error) => return AfterClose::Failed(error.to_string()),
        }
        if last == "1" {
            break;
        }
    }
    AfterClose::Told(last, closed.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_per_connection_is_the_growth_divided_by_the_connections() {
        assert_eq!(per_connection(Some(3000), Some(23_000), 2000), Some(10.0));
        assert_eq!(per_connection(Some(3000), Some(3000), 2000), Some(0.0));
        // RSS can shrink meanwhile; that shows rather than wrapping around.
        assert_eq!(per_connection(Some(3000), Some(2000), 1000), Some(-1.0));
        assert_eq!(per_connection(None, Some(3000), 10), None);
        assert_eq!(per_connection(Some(3000), None, 10), None);
        assert_eq!(per_connection(Some(3000), Some(4000), 0), None);
        assert_eq!(kibibytes(Some(10.25)), "10.2 KiB");
        assert_eq!(kibibytes(Some(2.0 / 3.0)), "0.7 KiB");
        assert_eq!(kibibytes(Some(-1.0)), "-1.0 KiB");
        assert_eq!(kibibytes(None), "-");
    }

    #[test]
    fn the_memory_lines_show_before_idle_after_and_peak() {
        let memory = Memory {
            before: Some(3 * 1024),
            idle: Some(3 * 1024 + 2000 * 5),
            after_round: Some(3 * 1024 + 2000 * 9),
            peak: Some(25 * 1024),
            connections: 2000,
        };
        assert_eq!(memory.idle_per_connection(), Some(5.0));
        assert_eq!(memory.after_round_per_connection(), Some(9.0));
        let [idle, after] = memory.lines();
        assert_eq!(
            idle,
            "  server RSS: 3.0 MiB before connecting, 12.8 MiB with all idle (5.0 KiB per connection)"
        );
        assert_eq!(
            after,
            "  after the round trips: 20.6 MiB (9.0 KiB per connection); peak 25.0 MiB"
        );
        let unknown = Memory {
            connections: 2000,
            ..Memory::default()
        };
        assert_eq!(
            unknown.lines()[0],
            "  server RSS: - before connecting, - with all idle (- per connection)"
        );
    }

    #[test]
    fn the_run_lines_fit_a_projected_terminal() {
        let widest = Memory {
            before: Some(9999 * 1024),
            idle: Some(9999 * 1024),
            after_round: Some(9999 * 1024),
            peak: Some(9999 * 1024),
            connections: 1,
        };
        let told = AfterClose::Told("ERROR server full, and then some".into(), 14.99);
        assert_eq!(told.cell(), "ERRO…, 15.0 s");
        assert_eq!(AfterClose::Told("1".into(), 0.52).cell(), "1, 0.5 s");
        assert_eq!(AfterClose::Failed("refused".into()).cell(), "no reply");
        assert_eq!(told.line(), "\"ERROR server full, …\" (14.99 s later)");
        let round_trip = format!(
            "  one round trip on each: {0} of {0} answered in 99.99 s (replies {1} to {1})",
            100_000,
            quoted("ERROR server full", REPLY_CELL + 3)
        );
        assert!(round_trip.ends_with("(replies \"ERROR s…\" to \"ERROR s…\")"));
        let lines = [
            widest.lines()[0].clone(),
            widest.lines()[1].clone(),
            format!(
                "  after closing them all, a new client was told {}",
                told.line()
            ),
            round_trip,
        ];
        for line in lines {
            assert!(line.chars().count() <= WIDTH, "{line}");
        }
    }
}
