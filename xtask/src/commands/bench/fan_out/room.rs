//! The clients of one fan-out run: joining them, the senders, the listeners, and what they
//! measured.

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::super::REPLY_TIMEOUT;

/// Each listener thread needs little stack.
const LISTENER_STACK: usize = 256 * 1024;
/// How many lines the slowest listener may be behind before the senders wait: enough to keep
/// the server busy, and well under a client's queue of 1,000 lines, since the system's
/// buffers hold only a few hundred short lines sent one by one.
pub(super) const WINDOW: u64 = 500;
/// Lines sent between two looks at the slowest listener.
const BATCH: u64 = 50;
/// How long listeners get, after the senders stop, to hear what is still on its way.
const DRAIN: Duration = Duration::from_secs(10);

/// The clients of one run, each with a listener thread that started as soon as it joined
/// (a client that does not read while hundreds join after it would be cut off by their
/// `* joined` notices).
pub(super) struct Room {
    writers: Vec<TcpStream>,
    listeners: Vec<JoinHandle<Heard>>,
    shared: Arc<Shared>,
}

impl Room {
    /// Connects `count` clients one after the other and names them `<prefix>0`, `<prefix>1`,
    /// ..., each waiting for its greeting, so the server's listen backlog never overflows.
    pub(super) fn join(address: SocketAddr, count: usize, prefix: &str) -> Result<Room, String> {
        let shared = Arc::new(Shared {
            epoch: Instant::now(),
            sent_by: (0..count).map(|_| AtomicU64::new(0)).collect(),
            heard_by: (0..count).map(|_| AtomicU64::new(0)).collect(),
            left: AtomicU64::new(0),
            stop_at: AtomicU64::new(u64::MAX),
            sending: AtomicBool::new(true),
        });
        let mut room = Room {
            writers: Vec::with_capacity(count),
            listeners: Vec::with_capacity(count),
            shared,
        };
        for index in 0..count {
            let client = join_one(address, &format!("{prefix}{index}"))?;
            let reader = client
                .try_clone()
                .map_err(|error| format!("could not clone a connection: {error}"))?;
            let shared = Arc::clone(&room.shared);
            let listener = thread::Builder::new()
                .stack_size(LISTENER_STACK)
                .spawn(move || listen(reader, index, &shared))
                .map_err(|error| format!("could not start a listener thread: {error}"))?;
            room.writers.push(client);
            room.listeners.push(listener);
        }
        Ok(room)
    }

    /// Sends for `seconds` from the first `senders` clients, taking turns, at most
    /// `window` lines ahead of the slowest listener, with `padding` bytes added to each
    /// line. With `until_cut = Some(k)`, sending also stops once client 0 has heard that
    /// `k` clients left.
    pub(super) fn measure(
        mut self,
        seconds: f64,
        senders: usize,
        window: u64,
        padding: usize,
        until_cut: Option<usize>,
    ) -> Result<Row, String> {
        let senders: Vec<usize> = (0..senders.min(self.writers.len())).collect();
        let shared = &self.shared;
        let started = shared.epoch.elapsed();
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let pace = Pace {
            window,
            deadline,
            until_cut,
        };
        send(&mut self.writers, &senders, shared, padding, &pace);
        let stopped = shared.epoch.elapsed();
        shared.stop_at.store(stopped.as_micros() as u64, Relaxed);
        shared.sending.store(false, Relaxed);
        collect(self.listeners, stopped - started, shared)
    }
}

/// Connects one client and gives it `name`; returns once it is greeted.
pub(super) fn join_one(address: SocketAddr, name: &str) -> Result<TcpStream, String> {
    let stream = TcpStream::connect_timeout(&address, REPLY_TIMEOUT)
        .map_err(|error| format!("{name} could not connect: {error}"))?;
    stream
        .set_read_timeout(Some(REPLY_TIMEOUT))
        .and_then(|()| stream.set_nodelay(true))
        .map_err(|error| format!("{name}: {error}"))?;
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    for expected in ["Welcome", "Hello"] {
        line.clear();
        reader
            .read_line(&mut line)
            .map_err(|error| format!("{name} heard no {expected:?}: {error}"))?;
        if expected == "Welcome" {
            (&stream)
                .write_all(format!("{name}\n").as_bytes())
                .map_err(|error| format!("{name} could not send its name: {error}"))?;
        } else if !line.starts_with(expected) {
            return Err(format!("{name} was not greeted: the server said {line:?}"));
        }
    }
    // A `BufReader` on `&stream` read only up to the greeting: nothing is lost with it.
    Ok(stream)
}

/// What the threads of one run share.
struct Shared {
    epoch: Instant,
    /// Lines each client has sent, and lines it has heard from the others.
    sent_by: Vec<AtomicU64>,
    heard_by: Vec<AtomicU64>,
    /// `* <name> left` notices heard by client 0 (cut-off clients, in the memory run).
    left: AtomicU64,
    /// When the senders stopped, in microseconds since `epoch`.
    stop_at: AtomicU64,
    sending: AtomicBool,
}

impl Shared {
    /// How many lines the listener furthest behind still has to hear.
    fn most_behind(&self) -> u64 {
        let total: u64 = self.sent_by.iter().map(|sent| sent.load(Relaxed)).sum();
        self.sent_by
            .iter()
            .zip(&self.heard_by)
            .map(|(sent, heard)| total - sent.load(Relaxed) - heard.load(Relaxed).min(total))
            .max()
            .unwrap_or(0)
    }
}

/// How fast the senders may go, and for how long.
struct Pace {
    /// The most lines the slowest listener may be behind.
    window: u64,
    deadline: Instant,
    /// Stop once client 0 has heard this many clients leave.
    until_cut: Option<usize>,
}

/// The senders take turns, one line each, until the deadline; each line is
/// `<time in µs> <padding>`. They wait while a listener is the window's lines behind.
fn send(
    writers: &mut [TcpStream],
    senders: &[usize],
    shared: &Shared,
    padding: usize,
    pace: &Pace,
) {
    let pad = ".".repeat(padding);
    let batch = BATCH.min(pace.window);
    let mut turn = 0;
    while Instant::now() < pace.deadline {
        if pace
            .until_cut
            .is_some_and(|cut| shared.left.load(Relaxed) >= cut as u64)
        {
            return;
        }
        if shared.most_behind() + batch > pace.window {
            // One line at a time: the next goes as soon as the last is heard.
            if pace.window > 1 {
                thread::sleep(Duration::from_micros(50));
            }
            continue;
        }
        for _ in 0..batch {
            let sender = senders[turn % senders.len()];
            turn += 1;
            let now = shared.epoch.elapsed().as_micros();
            let line = format!("{now} {pad}\n");
            if writers[sender].write_all(line.as_bytes()).is_ok() {
                shared.sent_by[sender].fetch_add(1, Relaxed);
            }
        }
    }
}

/// One listener: hears lines until the senders have stopped and it has heard everything
/// sent to it (or `DRAIN` has passed). Returns the latencies, in µs, of the lines heard
/// before the senders stopped.
fn listen(stream: TcpStream, index: usize, shared: &Shared) -> Heard {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let mut heard = Heard::default();
    let mut line = Vec::new();
    let mut drain_until = None;
    loop {
        if !shared.sending.load(Relaxed) {
            let until = *drain_until.get_or_insert_with(|| Instant::now() + DRAIN);
            let total: u64 = shared.sent_by.iter().map(|sent| sent.load(Relaxed)).sum();
            let mine = total - shared.sent_by[index].load(Relaxed);
            if shared.heard_by[index].load(Relaxed) >= mine || Instant::now() > until {
                return heard;
            }
        }
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => {
                heard.closed = true;
                return heard;
            }
            Ok(_) => {}
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                continue;
            }
            Err(_) => {
                heard.closed = true;
                return heard;
            }
        }
        let text = String::from_utf8_lossy(&line);
        if text.starts_with("* ") {
            if index == 0 && text.trim_end().ends_with(" left") {
                shared.left.fetch_add(1, Relaxed);
            }
            continue;
        }
        // `c3: 1234567 ...`: the time the line was written, after the name.
        let Some(sent) = text
            .split_once(": ")
            .and_then(|(_, rest)| rest.split(' ').next())
            .and_then(|micros| micros.trim().parse::<u64>().ok())
        else {
            continue;
        };
        shared.heard_by[index].fetch_add(1, Relaxed);
        let now = shared.epoch.elapsed().as_micros() as u64;
        // Only what was heard while the senders were at it.
        if now <= shared.stop_at.load(Relaxed) {
            heard.latencies.push(now.saturating_sub(sent));
        }
    }
}

/// What one listener heard.
#[derive(Default)]
struct Heard {
    latencies: Vec<u64>,
    closed: bool,
}

/// One row of the table.
pub(super) struct Row {
    pub(super) delivered: u64,
    pub(super) sent: u64,
    seconds: f64,
    pub(super) latencies: Vec<u64>,
    pub(super) cut_off: u64,
    closed: usize,
    missing: u64,
}

impl Row {
    pub(super) fn per_second(&self) -> u64 {
        (self.delivered as f64 / self.seconds.max(1e-9)) as u64
    }

    /// Anything that makes the numbers suspect, if anything did.
    pub(super) fn note(&self) -> Option<String> {
        let mut notes = Vec::new();
        if self.closed > 0 {
            notes.push(format!("{} clients were disconnected", self.closed));
        }
        if self.missing > 0 {
            notes.push(format!("{} lines never arrived", self.missing));
        }
        (!notes.is_empty()).then(|| format!("({})", notes.join("; ")))
    }
}

/// Waits for the listeners and sums up what they heard.
fn collect(
    listeners: Vec<JoinHandle<Heard>>,
    stopped: Duration,
    shared: &Shared,
) -> Result<Row, String> {
    let mut latencies = Vec::new();
    let mut closed = 0;
    for listener in listeners {
        let heard = listener
            .join()
            .map_err(|_| "a listener thread panicked".to_string())?;
        closed += usize::from(heard.closed);
        latencies.extend(heard.latencies);
    }
    latencies.sort_unstable();
    let total: u64 = shared.sent_by.iter().map(|sent| sent.load(Relaxed)).sum();
    let owed: u64 = shared
        .sent_by
        .iter()
        .map(|sent| total - sent.load(Relaxed))
        .sum();
    let heard: u64 = shared
        .heard_by
        .iter()
        .map(|heard| heard.load(Relaxed))
        .sum();
    Ok(Row {
        delivered: latencies.len() as u64,
        sent: total,
        seconds: stopped.as_secs_f64(),
        latencies,
        cut_off: shared.left.load(Relaxed),
        closed,
        missing: owed.saturating_sub(heard),
    })
}
