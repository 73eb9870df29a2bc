//! # Lesson 8: a chat server that slow readers cannot stall
//!
//! Everyone who connects picks a name; from then on every line they send goes to everyone
//! else as `name: text`. `/who` lists who is online, `/quit` (or `STOP`) says goodbye. Join
//! from other terminals with `nc 127.0.0.1 1234`.
//!
//! Your task: fill in the four TODOs, in order. After each one, run `cargo test -p lesson8`:
//! the first failing test tells you what is missing and where the book explains it (chapter
//! "A chat server"). The comments say what must hold, not how: the design is yours.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use netkit::{Line, Setting};
// TODO(2) needs two more traits of `tokio::io` in scope; the compiler will name them.
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until, timeout, timeout_at};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

const IDLE_TIMEOUT: Setting = Setting::new("--idle-timeout", "SECS", 1..=86_400, 300);
/// A client's queue holds at most this many lines and bytes: past either, the client is cut off.
const QUEUE_LINES: usize = 1_000;
const QUEUE_BYTES: usize = 1024 * 1024;
/// How long a leaving client has to read its last words before we hang up anyway.
const LINGER: Duration = Duration::from_secs(2);
/// After Ctrl-C, how long the clients get to hear `BYE`: the process ends within 2 s.
const GRACE: Duration = Duration::from_millis(1500);

#[tokio::main]
async fn main() -> ExitCode {
    let (address, [idle_seconds]) = match netkit::server_arguments_with(&[IDLE_TIMEOUT]) {
        Ok(arguments) => arguments,
        Err(usage_error) => return usage_error,
    };
    netkit::exit_with(serve(&address, Duration::from_secs(idle_seconds)).await)
}

/// Accepts clients until Ctrl-C or SIGTERM, then says `BYE` to each of them and returns.
async fn serve(address: &str, idle: Duration) -> Result<(), String> {
    // Watched before the listening line: a signal sent right after it must find us ready.
    let signal = shutdown_signal()
        .map_err(|error| netkit::error_line("could not watch for Ctrl-C", &error))?;
    let listener = TcpListener::bind(address)
        .await
        .map_err(|error| netkit::error_line(&format!("could not listen on {address}"), &error))?;
    let bound = listener
        .local_addr()
        .map_err(|error| netkit::error_line("could not read the bound address", &error))?;
    netkit::log_line(&format!("Listening on {bound}"));
    let room = Room::default();
    // The shutdown, as in lesson 7: one signal every client sees, and the clients' tasks.
    let (shutdown, tasks) = (CancellationToken::new(), TaskTracker::new());
    let mut served = 0;
    tokio::pin!(signal);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    served += 1;
                    let client = Client { peer, room: room.clone(), idle, shutdown: shutdown.clone() };
                    tasks.spawn(client.serve(socket));
                }
                Err(error) => {
                    eprintln!("{}", netkit::error_line("could not accept a client", &error));
                    // Usually "too many open files": a rest lets clients leave and free some.
                    sleep(Duration::from_millis(100)).await;
                }
            },
            () = &mut signal => break,
        }
    }
    drop(listener); // stop accepting: the OS now refuses newcomers
    shutdown.cancel();
    tasks.close();
    // A client that never reads cannot hold the server open: after GRACE, we go anyway.
    let _ = timeout(GRACE, tasks.wait()).await;
    netkit::log_line(&format!("Shut down: {served} clients served"));
    Ok(())
}

/// Resolves at Ctrl-C, or SIGTERM where the system has it; it listens from this call on.
fn shutdown_signal() -> io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        let mut ctrl_c = tokio::signal::windows::ctrl_c()?;
        Ok(async move {
            ctrl_c.recv().await;
        })
    }
}

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
    /// Cancelled when the client is past a bound: its writer task then hangs up.
    cut: CancellationToken,
}

impl Outbox {
    /// A new, empty queue: its sending end, and the receiving end for the writer task.
    fn new() -> (Outbox, mpsc::Receiver<Arc<str>>) {
        let (lines, inbox) = mpsc::channel(QUEUE_LINES);
        let backlog = Arc::default();
        (Outbox { lines, backlog }, inbox)
    }

    /// Puts a line in this client's queue without ever waiting: past a bound, it is cut off.
    fn offer(&self, line: &Arc<str>) {
        // TODO(1): put `line` in this client's queue, and never wait: the caller may hold
        // the room's lock, and this client may never read again. A client whose queue would
        // then hold more than QUEUE_LINES lines or QUEUE_BYTES bytes is too slow: cut it
        // off through its backlog (its writer task then hangs up) instead of queueing. Keep
        // the backlog's byte count up to date: `deliver` takes off what it writes.
        todo!(
            "TODO(1): queue {line:?}, or cut this client off past {QUEUE_LINES} lines or {QUEUE_BYTES} bytes"
        )
    }
}

/// One connected client and what its tasks need from the server.
struct Client {
    peer: SocketAddr,
    room: Room,
    idle: Duration,
    shutdown: CancellationToken,
}

impl Client {
    /// The whole life of one client: start its writer, converse, say goodbye, hang up.
    async fn serve(self, socket: TcpStream) {
        let (reader, writer) = socket.into_split();
        let (outbox, inbox) = Outbox::new();
        let backlog = Arc::clone(&outbox.backlog);
        let delivery = tokio::spawn(deliver(writer, inbox, backlog, self.peer));
        let mut reader = BufReader::new(reader);
        if let Some(last_words) = self.converse(&mut reader, &outbox).await {
            outbox.offer(&last_words.into());
        }
        // The room's copy went with the membership: with this one, the queue is closed.
        drop(outbox);
        hang_up(reader, delivery).await;
    }

    /// Reads the client's lines, its name first, until it goes; returns its last words, if any.
    async fn converse(
        &self,
        reader: &mut BufReader<OwnedReadHalf>,
        outbox: &Outbox,
    ) -> Option<&'static str> {
        outbox.offer(&"Welcome! Your name?\n".into());
        // Dropped when this function returns, however it returns: that tells the others.
        let mut membership: Option<Membership> = None;
        loop {
            // From the last whole line: bytes trickling in do not make a client less idle.
            let deadline = Instant::now() + self.idle;
            let text = tokio::select! {
                line = read_line(reader) => match line {
                    Ok(Line::Text(text)) => text,
                    Ok(Line::TooLong) => return Some("ERROR line too long\n"),
                    Ok(Line::End) | Err(_) => return None,
                },
                () = sleep_until(deadline) => return Some("ERROR idle timeout\n"),
                () = self.shutdown.cancelled() => return Some("BYE\n"),
                // The writer task is gone (cut off, or the connection broke): so is the client.
                () = outbox.lines.closed() => return None,
            };
            if netkit::is_stop(&text) || text.trim() == "/quit" {
                return Some("BYE\n");
            }
            match &membership {
                Some(_) if text.trim() == "/who" => outbox.offer(&self.room.who().into()),
                Some(member) => member.say(&text),
                None if !is_valid_name(&text) => outbox.offer(&"ERROR bad name\n".into()),
                None => match self.room.join(&text, outbox) {
                    Some(joined) => {
                        netkit::log_line(&format!("{text} joined from {}", self.peer));
                        membership = Some(joined);
                    }
                    None => outbox.offer(&"ERROR name taken\n".into()),
                },
            }
        }
    }
}

/// 1 to 32 ASCII letters, digits, `_` or `-`: nothing that could fake a line or a notice.
fn is_valid_name(name: &str) -> bool {
    let allowed = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-';
    (1..=32).contains(&name.len()) && name.bytes().all(allowed)
}

/// Reads one line of at most 64 KiB, whatever pieces its bytes arrive in.
async fn read_line(reader: &mut BufReader<OwnedReadHalf>) -> io::Result<Line> {
    // TODO(2): read the client's next line, however its bytes arrive: one at a time, or
    // several lines in one read, where what follows the `\n` must wait for the next call.
    // Whatever the client sends, never hold much more than a line of netkit::MAX_LINE
    // bytes (netkit::LINE_READ_LIMIT is how much to read at most). netkit::finish_line
    // makes the bytes you read into a `Line`.
    todo!(
        "TODO(2): read one line ({} bytes already read ahead)",
        reader.buffer().len()
    )
}

/// The named clients and the queue of each: the one thing every client task shares.
/// A `std` `Mutex`: it is held only for work that never waits, never across an `.await`.
#[derive(Clone, Default)]
struct Room {
    members: Arc<Mutex<HashMap<String, Outbox>>>,
}

impl Room {
    /// The map of members, locked until the guard returned is dropped.
    fn members(&self) -> MutexGuard<'_, HashMap<String, Outbox>> {
        // A panic while the lock was held leaves the map as valid as it was: carry on.
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives `name` to the client if it is free, greets it and tells the others.
    fn join(&self, name: &str, outbox: &Outbox) -> Option<Membership> {
        // TODO(3): if `name` is free, the client joins: the room lists its queue under that
        // name, it is greeted "Hello <name>! <k> online" (k counts it too), every other
        // member hears "* <name> joined", and it gets its `Membership`. A name in use:
        // `None`. Two clients may ask for the same name at the same moment, and no one
        // else's line may reach the newcomer before its greeting: decide what must happen
        // while you hold the lock.
        todo!(
            "TODO(3): let {name:?} join, its queue ready for {} lines",
            outbox.lines.capacity()
        )
    }

    /// `* online: alice, bob, carol`: everyone named, sorted.
    fn who(&self) -> String {
        let members = self.members();
        let mut names: Vec<&str> = members.keys().map(String::as_str).collect();
        names.sort_unstable();
        format!("* online: {}\n", names.join(", "))
    }
}

/// Offers `line` to every member but `sender`. Called with the lock held: each line is in
/// every queue before the next one of anyone is, so every receiver keeps each sender's order.
fn broadcast(members: &HashMap<String, Outbox>, sender: &str, line: &Arc<str>) {
    for (name, outbox) in members {
        if name != sender {
            outbox.offer(line);
        }
    }
}

/// A client's place in the room, under its name. While it exists, the name is taken.
#[allow(dead_code)] // built by `Room::join` once TODO(3) is done; delete this line then.
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

/// Leaving the room, however the client goes: `/quit`, end of stream, error, timeout, too
/// slow, shutdown. (And a panic: `Drop` runs while the stack unwinds.)
impl Drop for Membership {
    fn drop(&mut self) {
        // TODO(4): this member leaves the room, whichever way its client went (/quit, STOP,
        // the end of its stream, an error, the idle timeout, cut off as too slow, the
        // shutdown). Every remaining member hears "* <name> left", and the name is free
        // from that moment: no other task may find the name free before the notice is
        // queued, or the notice queued while the name is still taken.
        todo!("TODO(4): {:?} leaves the room", self.name)
    }
}

/// Writes one client's queue to its socket until the queue is closed and empty, or cut off.
async fn deliver(
    mut writer: OwnedWriteHalf,
    mut inbox: mpsc::Receiver<Arc<str>>,
    backlog: Arc<Backlog>,
    peer: SocketAddr,
) {
    let write_queue = async {
        while let Some(line) = inbox.recv().await {
            backlog.bytes.fetch_sub(line.len(), Relaxed);
            writer.write_all(line.as_bytes()).await?;
        }
        // Everything said: the client reads the end of the stream.
        writer.shutdown().await
    };
    tokio::select! {
        // `biased`: once a client is cut off, it gets no more of its queue.
        biased;
        () = backlog.cut.cancelled() => {}
        _ = write_queue => return,
    }
    netkit::log_line(&format!("{peer} was too slow and is cut off"));
    let last_words = async {
        writer.write_all(b"ERROR too slow\n").await?;
        writer.shutdown().await
    };
    let _ = timeout(LINGER, last_words).await;
}

/// Waits for the last words to go out, then drains what the client sends until it hangs up
/// (unread bytes would turn the close into a reset): `LINGER` at most for both.
async fn hang_up(mut reader: BufReader<OwnedReadHalf>, mut delivery: JoinHandle<()>) {
    let deadline = Instant::now() + LINGER;
    if timeout_at(deadline, &mut delivery).await.is_err() {
        delivery.abort();
    }
    let mut sink = tokio::io::sink();
    let _ = timeout_at(deadline, tokio::io::copy(&mut reader, &mut sink)).await;
}
