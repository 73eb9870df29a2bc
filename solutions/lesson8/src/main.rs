//! # Lesson 8: a chat server that slow readers cannot stall
//!
//! Everyone who connects picks a name; from then on every line they send goes to everyone
//! else as `name: text`. `/who` lists who is online, `/quit` (or `STOP`) says goodbye.
//!
//! ```text
//! $ cargo run -p lesson8-solution -- 1234
//! Listening on 127.0.0.1:1234
//! alice joined from 127.0.0.1:50312
//! bob joined from 127.0.0.1:50318
//! 127.0.0.1:50318 was too slow and is cut off
//! ```
//!
//! Join from other terminals with `nc 127.0.0.1 1234`.
//!
//! What you will see in this file: a task per client that reads its lines and a task that
//! writes to it, a bounded queue between them so that a client who stops reading is cut off
//! instead of stalling everyone or filling our memory, the names of the room behind one
//! `Mutex` that is never held across an `.await`, and a guard whose `Drop` tells the others
//! that a client left, however it left.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use netkit::{Line, Setting};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until, timeout, timeout_at};

/// `--idle-timeout SECS`: how long a client may go without sending a whole line.
const IDLE_TIMEOUT: Setting = Setting {
    flag: "--idle-timeout",
    placeholder: "SECS",
    range: 1..=86_400,
    default: 300,
};

// ANCHOR: bounds
/// A client's queue holds at most this many lines...
const QUEUE_LINES: usize = 1_000;
/// ...and at most this many bytes: past either bound the client is too slow, and cut off.
const QUEUE_BYTES: usize = 1024 * 1024;
// ANCHOR_END: bounds

/// How long a leaving client has to read its last words before we hang up anyway.
const LINGER: Duration = Duration::from_secs(1);
/// How long the shutdown waits for the clients' goodbyes: the process ends within 2 s.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);
/// How long the accept loop rests after `accept` failed.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

// ANCHOR: main
#[tokio::main]
async fn main() -> ExitCode {
    let (address, [idle_seconds]) = match netkit::server_arguments_with(&[IDLE_TIMEOUT]) {
        Ok(arguments) => arguments,
        Err(usage_error) => return usage_error,
    };
    netkit::exit_with(serve(&address, Duration::from_secs(idle_seconds)).await)
}
// ANCHOR_END: main

// ANCHOR: serve
/// Accepts clients until Ctrl-C or SIGTERM, then says `BYE` to each of them and returns.
async fn serve(address: &str, idle: Duration) -> Result<(), String> {
    // Watched before the listening line: a signal sent right after it must find us ready.
    let shutdown = shutdown_signal()
        .map_err(|error| netkit::error_line("could not watch for Ctrl-C", &error))?;
    let listener = listen(address).await?;
    let room = Room::default();
    // Every client task holds a receiver: `send_replace` tells them all to say goodbye, and
    // `closed` completes when the last of them has finished.
    let (stop, stopping) = watch::channel(());
    let mut served = 0;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    served += 1;
                    let client = serve_client(socket, peer, room.clone(), idle, stopping.clone());
                    tokio::spawn(client);
                }
                Err(error) => rest_after_accept_error(&error).await,
            },
            () = &mut shutdown => break,
        }
    }
    drop((listener, stopping));
    stop.send_replace(());
    let _ = timeout(SHUTDOWN_GRACE, stop.closed()).await;
    netkit::log_line(&format!("Shut down: {served} clients served"));
    Ok(())
}
// ANCHOR_END: serve

/// Binds the listening socket and prints `Listening on <ip>:<port>`.
async fn listen(address: &str) -> Result<TcpListener, String> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|error| netkit::error_line(&format!("could not listen on {address}"), &error))?;
    let bound = listener
        .local_addr()
        .map_err(|error| netkit::error_line("could not read the bound address", &error))?;
    netkit::log_line(&format!("Listening on {bound}"));
    Ok(listener)
}

/// Ctrl-C, and SIGTERM (what `kill` and service managers send), as one future.
#[cfg(unix)]
fn shutdown_signal() -> io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    // `signal` installs the handler now, not when the future is first polled.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Ctrl-C (Windows has no SIGTERM), as a future.
#[cfg(not(unix))]
fn shutdown_signal() -> io::Result<impl Future<Output = ()>> {
    let mut ctrl_c = tokio::signal::windows::ctrl_c()?;
    Ok(async move {
        ctrl_c.recv().await;
    })
}

/// An `accept` that failed is reported, and the server goes on after a short rest.
async fn rest_after_accept_error(error: &io::Error) {
    eprintln!("{}", netkit::error_line("could not accept a client", error));
    // Usually "too many open files": trying again at once would fail at once, a loop
    // burning a core. Resting lets other clients leave and free their handles.
    sleep(ACCEPT_PAUSE).await;
}

// ANCHOR: queue
/// Where the other clients' tasks put lines for one client: the sending end of its queue.
#[derive(Clone)]
struct Outbox {
    lines: mpsc::Sender<Arc<str>>,
    backlog: Arc<Backlog>,
}

/// What both ends of a client's queue share, besides the lines.
#[derive(Default)]
struct Backlog {
    /// Bytes queued and not yet taken by the writer task.
    bytes: AtomicUsize,
    /// Rung when the client is past a bound: the writer task then hangs up.
    cut: Notify,
}

impl Outbox {
    /// A new, empty queue for one client: its sending end, and the receiving end for the one
    /// task that writes to the client.
    fn new() -> (Outbox, mpsc::Receiver<Arc<str>>) {
        let (lines, inbox) = mpsc::channel(QUEUE_LINES);
        let backlog = Arc::default();
        (Outbox { lines, backlog }, inbox)
    }

    /// Queues a line for this client without ever waiting.
    ///
    /// Waiting for room would let one client that stops reading stall the sender, and with
    /// it everyone. Growing without a limit would let it fill our memory. So a client whose
    /// queue is past a bound is cut off: it can never silently miss a line and stay.
    fn offer(&self, line: &Arc<str>) {
        let queued = self.backlog.bytes.fetch_add(line.len(), Ordering::Relaxed) + line.len();
        if queued > QUEUE_BYTES || self.lines.try_send(Arc::clone(line)).is_err() {
            self.backlog.cut.notify_one();
        }
    }
}
// ANCHOR_END: queue

// ANCHOR: serve_client
/// The whole life of one client: start its writer, converse, say goodbye, hang up.
async fn serve_client(
    socket: TcpStream,
    peer: SocketAddr,
    room: Room,
    idle: Duration,
    mut stop: watch::Receiver<()>,
) {
    let (reader, writer) = socket.into_split();
    let (outbox, inbox) = Outbox::new();
    let delivery = tokio::spawn(deliver(writer, inbox, Arc::clone(&outbox.backlog), peer));
    let mut reader = BufReader::new(reader);
    let ending = converse(&mut reader, &outbox, &room, peer, idle, &mut stop).await;
    if let Some(last_words) = ending.last_words() {
        outbox.offer(&last_words.into());
    }
    // The room's copy went with the membership: with this one, the queue is closed.
    drop(outbox);
    hang_up(reader, delivery).await;
    // `stop` is dropped only now: the shutdown waits until this goodbye is over.
}
// ANCHOR_END: serve_client

/// Why a conversation ended.
enum Ending {
    Quit,
    ShuttingDown,
    LineTooLong,
    IdleTimeout,
    /// End of stream, a read error, or the writer task gave up (too slow, write error).
    Gone,
}

impl Ending {
    /// The line the client is told last, if there is one.
    fn last_words(&self) -> Option<&'static str> {
        match self {
            Ending::Quit | Ending::ShuttingDown => Some("BYE\n"),
            Ending::LineTooLong => Some("ERROR line too long\n"),
            Ending::IdleTimeout => Some("ERROR idle timeout\n"),
            Ending::Gone => None,
        }
    }
}

// ANCHOR: converse
/// Reads the client's lines, its name first, until it leaves or has to go.
async fn converse(
    reader: &mut BufReader<OwnedReadHalf>,
    outbox: &Outbox,
    room: &Room,
    peer: SocketAddr,
    idle: Duration,
    stop: &mut watch::Receiver<()>,
) -> Ending {
    outbox.offer(&"Welcome! Your name?\n".into());
    // Dropped when this function returns, whatever the reason: that tells the others.
    let mut membership: Option<Membership> = None;
    loop {
        // From the last whole line: bytes trickling in do not make a client less idle.
        let deadline = Instant::now() + idle;
        let text = tokio::select! {
            line = read_line(reader) => match line {
                Ok(Line::Text(text)) => text,
                Ok(Line::TooLong) => return Ending::LineTooLong,
                Ok(Line::End) | Err(_) => return Ending::Gone,
            },
            () = sleep_until(deadline) => return Ending::IdleTimeout,
            _ = stop.changed() => return Ending::ShuttingDown,
            // The writer task is gone, and with it the queue's receiving end.
            () = outbox.lines.closed() => return Ending::Gone,
        };
        if netkit::is_stop(&text) || text.trim() == "/quit" {
            return Ending::Quit;
        }
        match &membership {
            None => membership = take_name(&text, outbox, room, peer),
            Some(_) if text.trim() == "/who" => outbox.offer(&room.who().into()),
            Some(member) => member.say(&text),
        }
    }
}
// ANCHOR_END: converse

/// A client's first lines are its name: one that is valid and free joins the room, anything
/// else gets an error, and the client may try again.
fn take_name(name: &str, outbox: &Outbox, room: &Room, peer: SocketAddr) -> Option<Membership> {
    if !is_valid_name(name) {
        outbox.offer(&"ERROR bad name\n".into());
        return None;
    }
    let Some(membership) = room.join(name, outbox) else {
        outbox.offer(&"ERROR name taken\n".into());
        return None;
    };
    netkit::log_line(&format!("{name} joined from {peer}"));
    Some(membership)
}

/// 1 to 32 ASCII letters, digits, `_` or `-`: nothing that could fake a line or a notice.
fn is_valid_name(name: &str) -> bool {
    let allowed = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-';
    (1..=32).contains(&name.len()) && name.bytes().all(allowed)
}

// ANCHOR: read_line
/// Reads one line of at most 64 KiB, whatever pieces its bytes arrive in.
///
/// `read_until` keeps asking the socket for more until a `\n` comes, and what it reads past
/// the `\n` stays in the `BufReader` for the next call: a line split over many reads comes
/// out whole, and many lines in one read come out one by one.
async fn read_line(reader: &mut BufReader<OwnedReadHalf>) -> io::Result<Line> {
    let mut bytes = Vec::new();
    // `take` stops reading after the limit, whether or not a newline came.
    let limit = (netkit::MAX_LINE + "\r\n".len()) as u64;
    let count = reader.take(limit).read_until(b'\n', &mut bytes).await?;
    if count == 0 {
        return Ok(Line::End);
    }
    let ended = bytes.ends_with(b"\n");
    if ended {
        bytes.pop();
        if bytes.ends_with(b"\r") {
            bytes.pop();
        }
    }
    if bytes.len() > netkit::MAX_LINE || (!ended && count as u64 == limit) {
        return Ok(Line::TooLong);
    }
    Ok(Line::Text(String::from_utf8_lossy(&bytes).into_owned()))
}
// ANCHOR_END: read_line

// ANCHOR: room
/// The named clients and the queue of each: the one thing every client task shares.
///
/// A `std` `Mutex`, not tokio's: it is held only to look at names and to put lines in
/// queues, which never waits, so no task ever holds it across an `.await`.
#[derive(Clone, Default)]
struct Room {
    members: Arc<Mutex<HashMap<String, Outbox>>>,
}

impl Room {
    fn members(&self) -> MutexGuard<'_, HashMap<String, Outbox>> {
        // A panic while the lock was held leaves the map as valid as it was: carry on.
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives `name` to the client if it is free, greets it and tells the others.
    fn join(&self, name: &str, outbox: &Outbox) -> Option<Membership> {
        let mut members = self.members();
        if members.contains_key(name) {
            return None;
        }
        members.insert(name.to_string(), outbox.clone());
        // Queued while we hold the lock: no one's line can reach the client before it.
        outbox.offer(&format!("Hello {name}! {} online\n", members.len()).into());
        broadcast(&members, name, &format!("* {name} joined\n").into());
        Some(Membership {
            room: self.clone(),
            name: name.to_string(),
        })
    }

    /// `* online: alice, bob, carol`: everyone named, sorted.
    fn who(&self) -> String {
        let members = self.members();
        let mut names: Vec<&str> = members.keys().map(String::as_str).collect();
        names.sort_unstable();
        format!("* online: {}\n", names.join(", "))
    }
}

/// Offers `line` to every member but `sender`.
///
/// Called with the lock held: each line is in every queue before the next line of anyone
/// is, so every receiver sees one sender's lines in the order they were sent.
fn broadcast(members: &HashMap<String, Outbox>, sender: &str, line: &Arc<str>) {
    for (name, outbox) in members {
        if name != sender {
            outbox.offer(line);
        }
    }
}
// ANCHOR_END: room

// ANCHOR: membership
/// A client's place in the room, under its name. While it exists, the name is taken.
struct Membership {
    room: Room,
    name: String,
}

impl Membership {
    /// Sends one line of this member to all the others.
    fn say(&self, text: &str) {
        // Escaped, so that no one can send control characters to the others' terminals.
        let line = format!("{}: {}\n", self.name, netkit::printable(text));
        broadcast(&self.room.members(), &self.name, &line.into());
    }
}

/// Leaving the room, however the client goes: `/quit`, end of stream, error, timeout, too slow.
impl Drop for Membership {
    fn drop(&mut self) {
        let left = format!("* {} left\n", self.name);
        let mut members = self.room.members();
        members.remove(&self.name);
        broadcast(&members, &self.name, &left.into());
    }
}
// ANCHOR_END: membership

// ANCHOR: deliver
/// Writes one client's queue to its socket, line after line, until the queue is closed and
/// empty, or until the client is cut off for being too slow.
async fn deliver(
    mut writer: OwnedWriteHalf,
    mut inbox: mpsc::Receiver<Arc<str>>,
    backlog: Arc<Backlog>,
    peer: SocketAddr,
) {
    loop {
        let next = tokio::select! {
            // `biased`: a client that is cut off gets no more of its queue.
            biased;
            () = backlog.cut.notified() => return cut_off(writer, b"", peer).await,
            next = inbox.recv() => next,
        };
        let Some(line) = next else {
            // Everything said: the client reads the end of the stream.
            let _ = writer.shutdown().await;
            return;
        };
        backlog.bytes.fetch_sub(line.len(), Ordering::Relaxed);
        let mut unsent = line.as_bytes();
        tokio::select! {
            written = writer.write_all_buf(&mut unsent) => if written.is_err() { return },
            // `write_all_buf` moved `unsent` past what it wrote before it was stopped.
            () = backlog.cut.notified() => return cut_off(writer, unsent, peer).await,
        }
    }
}

/// The end of a client that fell too far behind: the rest of the line it was getting, and
/// `ERROR too slow`, if it reads them soon; then we hang up.
async fn cut_off(mut writer: OwnedWriteHalf, unsent: &[u8], peer: SocketAddr) {
    netkit::log_line(&format!("{peer} was too slow and is cut off"));
    let last_words = async {
        writer.write_all(unsent).await?;
        writer.write_all(b"ERROR too slow\n").await?;
        writer.shutdown().await
    };
    let _ = timeout(LINGER, last_words).await;
}
// ANCHOR_END: deliver

// ANCHOR: hang_up
/// Waits (briefly) for the last words to go out, then closes in a way that lets the client
/// read them.
///
/// Closing a socket while the client's bytes sit unread in our receive buffer makes the OS
/// answer with a reset, which can destroy our last words before the client reads them. So
/// after the writer task has shut down our sending side, we read and discard until the
/// client hangs up too. A client that never does gets `LINGER`, not more.
async fn hang_up(mut reader: BufReader<OwnedReadHalf>, mut delivery: JoinHandle<()>) {
    let deadline = Instant::now() + LINGER;
    if timeout_at(deadline, &mut delivery).await.is_err() {
        delivery.abort();
    }
    let mut nowhere = tokio::io::sink();
    let discard = tokio::io::copy(&mut reader, &mut nowhere);
    let _ = timeout_at(deadline, discard).await;
}
// ANCHOR_END: hang_up
