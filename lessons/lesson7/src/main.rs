//! # Lesson 7: the same server on async I/O
//!
//! Lesson 6's server, promise for promise, on tokio: a task per client instead of a thread.
//! A task costs a KiB or two where a thread costs its stack and more, so the cap goes up to
//! 100,000, and a task waiting for a line can be told to stop at once, no polling needed.
//!
//! ```text
//! $ cargo run -p lesson7-solution -- --idle-timeout 10 1234
//! Listening on 127.0.0.1:1234
//! -> hello
//! ^CShut down: 1 clients served
//! ```
//!
//! Your task: fill in the four TODOs, in order. After each one, run `cargo test -p lesson7`:
//! the first failing test tells you what is missing and where the book explains it (chapter
//! 7, "The same server on async I/O").

use std::io::{self, Read as _, Write as _};
use std::net::Shutdown;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc::{self, SyncSender};
use std::thread;
use std::time::Duration;

use netkit::{Line, Setting};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::ReadHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, timeout};
// use tokio::time::timeout_at; // for TODO(2): a timeout that ends at an instant
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// After Ctrl-C, how long the clients get to receive `BYE` before the server exits anyway.
const GRACE: Duration = Duration::from_secs(1);
/// Log lines that may wait for the terminal; past that, lines are dropped, not waited for.
const LOG_BACKLOG: usize = 4096;
/// How long the logger lets a burst of lines gather before it prints them with one write.
const LOG_GATHER: Duration = Duration::from_millis(10);

const MAX_CLIENTS: Setting = Setting::new("--max-clients", "N", 1..=100_000, 100_000);
const IDLE_TIMEOUT: Setting = Setting::new("--idle-timeout", "SECS", 1..=86_400, 60);

fn main() -> ExitCode {
    let (address, [max_clients, idle_seconds]) =
        match netkit::server_arguments_with(&[MAX_CLIENTS, IDLE_TIMEOUT]) {
            Ok(arguments) => arguments,
            Err(usage_error) => return usage_error,
        };
    // One thread runs every task: waiting on sockets costs no thread at all, and a program
    // that blocks by mistake shows it at once, as every client stalls.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return netkit::exit_with(Err(netkit::error_line("no runtime", &error))),
    };
    // Writing to a terminal blocks, and nothing may block the runtime: a thread logs.
    let (events, log) = mpsc::sync_channel::<String>(LOG_BACKLOG);
    let logger = thread::spawn(move || {
        while let Ok(first) = log.recv() {
            // Waking this thread for every line would cost more than printing it.
            thread::sleep(LOG_GATHER);
            let lines: Vec<String> = std::iter::once(first).chain(log.try_iter()).collect();
            netkit::log_line(&lines.join("\n"));
        }
    });
    let server = Server {
        max_clients: usize::try_from(max_clients).unwrap_or(usize::MAX),
        idle_timeout: Duration::from_secs(idle_seconds),
        client_count: AtomicUsize::new(0),
        served: AtomicUsize::new(0),
        events,
    };
    let result = runtime.block_on(serve_until_shutdown(&address, Arc::new(server)));
    // Dropping the runtime drops the tasks a client still held (and their log senders):
    // the logger then prints what is left, the last line last, and ends.
    drop(runtime);
    let _ = logger.join();
    netkit::exit_with(result)
}

/// Everything the tasks of the server share, behind one `Arc`.
struct Server {
    max_clients: usize,
    idle_timeout: Duration,
    /// Clients connected now (lesson 5's count) and clients admitted since the start.
    client_count: AtomicUsize,
    served: AtomicUsize,
    events: SyncSender<String>,
}

impl Server {
    /// Hands a line to the logger thread. Never waits: if the terminal fell [`LOG_BACKLOG`]
    /// lines behind, the line is dropped instead.
    fn log(&self, line: String) {
        let _ = self.events.try_send(line);
    }
}

/// Listens and accepts clients until Ctrl-C or SIGTERM, then shuts down gracefully.
async fn serve_until_shutdown(address: &str, server: Arc<Server>) -> Result<(), String> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|error| netkit::error_line(&format!("could not listen on {address}"), &error))?;
    let bound = listener
        .local_addr()
        .map_err(|error| netkit::error_line("could not read the bound address", &error))?;
    let signal = shutdown_signal()
        .map_err(|error| netkit::error_line("could not listen for Ctrl-C", &error))?;
    println!("Listening on {bound}");
    let shutdown = CancellationToken::new();
    let tasks = TaskTracker::new();
    tokio::pin!(signal);
    loop {
        // `accept` is cancel-safe: when the signal wins, no client is lost half-accepted.
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => welcome(client, &server, &tasks, &shutdown),
                Err(error) => {
                    eprintln!("{}", netkit::error_line("could not accept a client", &error));
                    // Usually "too many open files": a rest lets clients leave and free some.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            () = &mut signal => break,
        }
    }
    drop(listener); // stop accepting: the OS now refuses newcomers
    shut_down(&server, &tasks, &shutdown).await;
    Ok(())
}

/// Admits a client (counted, in a task of its own) or refuses it.
fn welcome(
    client: TcpStream,
    server: &Arc<Server>,
    tasks: &TaskTracker,
    shutdown: &CancellationToken,
) {
    // TODO(1): the cap, as lesson 6 promised it. While `server.max_clients` clients are
    // connected, turn this client away with the words SPEC.md gives for it: never counted,
    // never given a task, and without waiting for it (this is the accept loop: it must get
    // back to accepting). Otherwise admit it: counted for as long as its task lives, however
    // that task ends; one more in `server.served` for the last line; and a task of its own
    // that serves it, one that the shutdown can wait for and that sees the shutdown coming.
    // Can the count grow between your check and the admission? Who else ever adds to it?
    todo!(
        "TODO(1): admit the client from {}, or refuse it: at most {} at once ({} tasks \
         running, shutting down: {})",
        client
            .peer_addr()
            .map(|peer| peer.to_string())
            .unwrap_or_default(),
        server.max_clients,
        tasks.len(),
        shutdown.is_cancelled()
    )
}

/// Turns a client away without waiting for it: the accept loop goes straight back to work.
#[allow(dead_code)] // TODO(1) calls it; delete this line then.
fn refuse(client: TcpStream, words: &str) {
    // The socket is non-blocking, so these std calls return at once: nothing stalls.
    let Ok(mut client) = client.into_std() else {
        return;
    };
    let _ = client.write_all(words.as_bytes());
    // The end of the stream follows the words; what the client already sent is read and
    // dropped, as closing with unread bytes would send a reset instead.
    let _ = client.shutdown(Shutdown::Write);
    while let Ok(1..) = client.read(&mut [0u8; 4096]) {}
}

/// One admitted client. While it exists, the client is counted in `client_count`.
struct ConnectionGuard {
    server: Arc<Server>,
}

impl ConnectionGuard {
    #[allow(dead_code)] // TODO(1) calls it; delete this line then.
    fn new(server: &Arc<Server>) -> ConnectionGuard {
        server.client_count.fetch_add(1, Relaxed);
        ConnectionGuard {
            server: Arc::clone(server),
        }
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        // However the task ends, even dropped unfinished when the runtime stops.
        self.server.client_count.fetch_sub(1, Relaxed);
    }
}

/// The whole life of one client task: talk, then say the last words, if any.
#[allow(dead_code)] // the task of TODO(1) runs it; delete this line then.
async fn serve_client(mut client: TcpStream, guard: ConnectionGuard, shutdown: CancellationToken) {
    let last_words = answer_lines(&mut client, &guard.server, &shutdown).await;
    // An error means the connection is lost: there is nobody to say anything to.
    if let Ok(Some(words)) = last_words {
        let _ = send_and_close(&mut client, words).await;
    }
}

/// Reads lines until STOP or the end of the stream, answering each with the current count.
/// Returns the last words to send, if any: a timeout, a line too long, or the shutdown.
async fn answer_lines(
    client: &mut TcpStream,
    server: &Server,
    shutdown: &CancellationToken,
) -> io::Result<Option<&'static str>> {
    let (reader, mut writer) = client.split();
    // Lines here are a few bytes; a buffer lives as long as its connection, 100,000 times.
    let mut requests = BufReader::with_capacity(256, reader);
    let mut deadline = Instant::now() + server.idle_timeout;
    loop {
        let text = match next_line(&mut requests, deadline, shutdown).await? {
            Next::Line(Line::Text(text)) => text,
            Next::Line(Line::End) => return Ok(None),
            Next::Line(Line::TooLong) => return Ok(Some("ERROR line too long\n")),
            Next::TimedOut => return Ok(Some("ERROR idle timeout\n")),
            Next::ShuttingDown => return Ok(Some("BYE\n")),
        };
        deadline = Instant::now() + server.idle_timeout;
        server.log(format!("-> {}", netkit::printable(&text)));
        if netkit::is_stop(&text) {
            return Ok(None);
        }
        // A client that never reads is idle too: its reply gets the idle timeout.
        let reply = format!("{}\n", server.client_count.load(Relaxed));
        timeout(server.idle_timeout, writer.write_all(reply.as_bytes())).await??;
    }
}

/// What came first while waiting for a client's next line.
#[allow(dead_code)] // TODO(2) makes its values; delete this line then.
enum Next {
    Line(Line),
    TimedOut,
    ShuttingDown,
}

/// Waits for the next line, but not past its deadline, and not past the shutdown.
async fn next_line(
    requests: &mut BufReader<ReadHalf<'_>>,
    deadline: Instant,
    shutdown: &CancellationToken,
) -> io::Result<Next> {
    // TODO(2): wait for whichever comes first, and say which it was: the next whole line
    // (`read_line`), the end of this line's time, or the shutdown. The deadline belongs to
    // the line, however its bytes trickle in, and it is a moment, not a length of time: the
    // caller moves it after each complete line, nothing here does. Whatever loses the race
    // is dropped half-done: what does a dropped `read_line` lose, and why is that acceptable
    // here but not in a loop that races again?
    todo!(
        "TODO(2): the next line within {:?}, unless the shutdown comes first (shutting down: \
         {}; {} bytes already read)",
        deadline.saturating_duration_since(Instant::now()),
        shutdown.is_cancelled(),
        requests.buffer().len()
    )
}

/// netkit::read_line, on tokio: one line of at most 64 KiB, however much the peer sends.
#[allow(dead_code)] // TODO(2) calls it; delete this line then.
async fn read_line(requests: &mut (impl AsyncBufReadExt + Unpin)) -> io::Result<Line> {
    let mut bytes = Vec::new();
    requests
        .take(netkit::LINE_READ_LIMIT)
        .read_until(b'\n', &mut bytes)
        .await?;
    Ok(netkit::finish_line(bytes))
}

/// netkit::send_and_close, on tokio: the words, then the end of our stream, then what the
/// client still sends is read and dropped for a moment, so that closing is not a reset.
async fn send_and_close(client: &mut TcpStream, words: &str) -> io::Result<()> {
    // TODO(3): lesson 6's polite close, on tokio. The words must arrive even when the client
    // sent bytes the server never read: closing over unread bytes is a reset, which can
    // destroy them. A client that neither reads nor closes must not hold this task for
    // more than two seconds after the words. And nothing here may block the runtime's only
    // thread: every wait is one that lets the other tasks run.
    todo!(
        "TODO(3): say {words:?} to the client at {}, then close cleanly",
        client
            .peer_addr()
            .map(|peer| peer.to_string())
            .unwrap_or_default()
    )
}

/// Tells every task to say `BYE`, waits for them at most [`GRACE`], then logs the last line.
async fn shut_down(server: &Server, tasks: &TaskTracker, shutdown: &CancellationToken) {
    // TODO(4): the accept loop has stopped. Tell every client task that the server is
    // shutting down (each answers with BYE), then give them time to finish, but never more
    // than GRACE: a client that never reads must not keep the server alive. Only then log
    // the line SPEC.md asks for last, with every client admitted since the start. Read what
    // the tracker's `wait` promises, and when it returns, before you rely on it.
    todo!(
        "TODO(4): tell the {} tasks running (shutting down: {}), wait for them at most \
         {GRACE:?}, then log the last line ({} clients served)",
        tasks.len(),
        shutdown.is_cancelled(),
        server.served.load(Relaxed)
    )
}

/// Resolves at Ctrl-C, or SIGTERM where the system has it. The handlers are registered
/// right away, before the `Listening` line, so that no early signal is lost.
fn shutdown_signal() -> io::Result<impl std::future::Future<Output = ()>> {
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
