//! # Lesson 6: a server that protects itself
//!
//! Lesson 5's server, safe to leave running: a deadline for each line, at most `--max-clients`
//! at once, `BYE` to everyone on Ctrl-C or SIGTERM, and a log that no client waits for.
//!
//! Your task: fill in the four TODOs, in order. After each one, run `cargo test -p lesson6`:
//! the first failing test tells you what is missing and where the book explains it (chapter
//! 6, "A server that protects itself").

use std::io::{self, BufReader, Read, Write};
// use std::io::ErrorKind; // TODO(2) and TODO(3) need it
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;
use std::time::{Duration, Instant};

use netkit::{Line, Setting};

/// How long a read waits before its thread looks at the clock and the shutdown flag again.
const TICK: Duration = Duration::from_millis(100);
/// After Ctrl-C, how long clients get to receive `BYE` before the server exits anyway.
const GRACE: Duration = Duration::from_secs(1);
// The log: lines that may wait for the terminal (more are only counted), and how long the
// logger lets a burst gather before it prints it in one write.
const LOG_BACKLOG: usize = 4096;
const LOG_GATHER: Duration = Duration::from_millis(10);

const MAX_CLIENTS: Setting = Setting::new("--max-clients", "N", 1..=100_000, 1_000);
const IDLE_TIMEOUT: Setting = Setting::new("--idle-timeout", "SECS", 1..=86_400, 60);

fn main() -> ExitCode {
    let (address, [max_clients, idle_seconds]) =
        match netkit::server_arguments_with(&[MAX_CLIENTS, IDLE_TIMEOUT]) {
            Ok(arguments) => arguments,
            Err(usage_error) => return usage_error,
        };
    let (log, received) = mpsc::sync_channel(LOG_BACKLOG);
    let server = Server {
        max_clients: usize::try_from(max_clients).unwrap_or(usize::MAX),
        idle_timeout: Duration::from_secs(idle_seconds),
        client_count: AtomicUsize::new(0),
        served: AtomicUsize::new(0),
        shutting_down: AtomicBool::new(false),
        log,
        unlogged: AtomicUsize::new(0),
    };
    netkit::exit_with(serve_until_shutdown(&address, Arc::new(server), &received))
}

/// Everything the threads of the server share, behind one `Arc`.
struct Server {
    max_clients: usize,
    idle_timeout: Duration,
    /// Clients connected now (lesson 5's count), and clients admitted since the start.
    client_count: AtomicUsize,
    served: AtomicUsize,
    shutting_down: AtomicBool,
    /// Lines for the main thread to print, and how many found its queue full.
    log: SyncSender<String>,
    unlogged: AtomicUsize,
}

/// Listens, accepts in a thread of its own, and prints the log here until Ctrl-C.
fn serve_until_shutdown(
    address: &str,
    server: Arc<Server>,
    received: &Receiver<String>,
) -> Result<(), String> {
    let listener = TcpListener::bind(address)
        .map_err(|error| netkit::error_line(&format!("could not listen on {address}"), &error))?;
    let bound = listener
        .local_addr()
        .map_err(|error| netkit::error_line("could not read the bound address", &error))?;
    // The handler only raises the flag that every thread looks at (on SIGTERM too).
    let signalled = Arc::clone(&server);
    ctrlc::set_handler(move || signalled.shutting_down.store(true, Relaxed))
        .map_err(|error| format!("could not listen for Ctrl-C: {error}"))?;
    println!("Listening on {bound}");
    let accepting = Arc::clone(&server);
    thread::Builder::new()
        .spawn(move || accept_clients(&listener, &accepting))
        .map_err(|error| netkit::error_line("could not start the accept thread", &error))?;
    // The main thread is the logger: it alone waits for the terminal, never a client thread.
    while !server.shutting_down.load(Relaxed) {
        print_log(&server, received, TICK);
    }
    shut_down(&server, received);
    Ok(())
}

/// Accepts clients until the program exits.
fn accept_clients(listener: &TcpListener, server: &Arc<Server>) {
    loop {
        match listener.accept() {
            Ok((client, peer)) => welcome(client, peer, server),
            Err(error) => {
                let line = netkit::error_line("could not accept a client", &error);
                eprintln!("{line}");
                // Usually "too many open files": a rest lets clients leave and free some.
                thread::sleep(TICK);
            }
        }
    }
}

/// Admits a client (counted, in a thread of its own) or refuses it before it costs a thread.
fn welcome(client: TcpStream, peer: SocketAddr, server: &Arc<Server>) {
    if server.shutting_down.load(Relaxed) {
        return refuse(&client, "BYE\n");
    }
    // TODO(1): the cap. While `server.max_clients` clients are connected, turn this client
    // away with the words SPEC.md gives for it: never counted, never given a thread, and
    // without waiting for it (this thread must get back to accepting). Otherwise admit it as
    // lesson 5 did: counted by a guard, one more in `server.served` for the last line, and a
    // thread of its own that serves it. Can the count grow between your check and the
    // guard? Who else ever adds to it?
    todo!(
        "TODO(1): admit the client from {peer}, or refuse it: at most {} at once",
        server.max_clients
    )
}

/// Turns a client away without waiting for it: the accept loop goes straight back to work.
fn refuse(mut client: &TcpStream, words: &str) {
    let _ = client.write_all(words.as_bytes());
    // Then the end of the stream; unread bytes are drained, or the close would be a reset.
    let _ = client.shutdown(Shutdown::Write);
    if client.set_nonblocking(true).is_ok() {
        while let Ok(1..) = client.read(&mut [0u8; 4096]) {}
    }
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
        // However the connection ends: STOP, end of stream, timeout, shutdown, error.
        self.server.client_count.fetch_sub(1, Relaxed);
    }
}

/// The whole life of one client thread: talk, then say the last words, if any.
#[allow(dead_code)] // the thread of TODO(1) runs it; delete this line then.
fn serve_client(client: &TcpStream, guard: &ConnectionGuard) {
    let server = &guard.server;
    // TODO(2): talk with `answer_lines`, then send the last words that the way the talk
    // ended deserves (SPEC.md, lesson 6), so that they arrive:
    // - it returned words to send (a line too long), or none (STOP, the end of the stream);
    // - it failed while the server is shutting down: BYE;
    // - it failed because the line's deadline passed (an error of kind `TimedOut`):
    //   the idle timeout error;
    // - any other failure: the connection is gone, nobody is left to tell.
    // Dropping the stream right after writing can turn the close into a reset that destroys
    // the words (netkit has the polite way). And a client that never reads its replies must
    // not hold this thread in a write forever: limit how long a write may wait first.
    todo!(
        "TODO(2): serve {client:?}, then send its last words (idle timeout {:?})",
        server.idle_timeout
    )
}

/// Answers lines until STOP or the end of the stream; returns the last words to send, if any.
#[allow(dead_code)] // TODO(2) calls it; delete this line then.
fn answer_lines(mut client: &TcpStream, server: &Server) -> io::Result<Option<&'static str>> {
    // No read waits longer than a TICK; `LineDeadline` makes a deadline out of the ticks.
    client.set_read_timeout(Some(TICK))?;
    let reader = LineDeadline {
        client,
        server,
        deadline: Instant::now() + server.idle_timeout,
    };
    let mut requests = BufReader::with_capacity(1024, reader);
    loop {
        let text = match netkit::read_line(&mut requests)? {
            Line::Text(text) => text,
            Line::End => return Ok(None),
            Line::TooLong => return Ok(Some("ERROR line too long\n")),
        };
        // A complete line: the clock starts again for the next one (not for the next byte).
        requests.get_mut().deadline = Instant::now() + server.idle_timeout;
        // Never wait for the terminal: if the log is LOG_BACKLOG lines behind, only count.
        let logged = format!("-> {}", netkit::printable(&text));
        if server.log.try_send(logged).is_err() {
            server.unlogged.fetch_add(1, Relaxed);
        }
        if netkit::is_stop(&text) {
            return Ok(None);
        }
        client.write_all(format!("{}\n", server.client_count.load(Relaxed)).as_bytes())?;
    }
}

/// A client's stream that gives up at the line's deadline, or when the server shuts down.
struct LineDeadline<'a> {
    client: &'a TcpStream,
    server: &'a Server,
    deadline: Instant,
}

impl Read for LineDeadline<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        // TODO(3): fill `buffer` from the client, but give up at `self.deadline` (an error
        // of kind `TimedOut`: TODO(2) answers it) or as soon as the server shuts down (any
        // other error). `answer_lines` made every read of the socket wait one TICK at most,
        // and a read that comes back after a tick without bytes (kind `WouldBlock` on Unix,
        // `TimedOut` on Windows) is no failure here: it is the moment to look at the clock
        // and at the flag, and to wait again. Bytes that arrive never move the deadline.
        todo!(
            "TODO(3): read up to {} bytes from {:?} before {:?}, unless the server shuts \
             down ({:?})",
            buffer.len(),
            self.client,
            self.deadline,
            self.server.shutting_down
        )
    }
}

/// Gives the clients [`GRACE`] at most to receive `BYE`, then prints the last line.
fn shut_down(server: &Server, received: &Receiver<String>) {
    // TODO(4): the flag is up, and every client thread sees it within a TICK and says BYE.
    // Give the clients time to hear it and leave, but never more than GRACE: a client that
    // never reads must not keep the server alive. This thread is still the only logger
    // meanwhile, so keep the log flowing. Then print what is still queued and, last of all,
    // the line SPEC.md asks for, with every client admitted since the start.
    todo!(
        "TODO(4): shut down within {GRACE:?}: {} still connected, {} served, {received:?}",
        server.client_count.load(Relaxed),
        server.served.load(Relaxed)
    )
}

/// Waits up to `wait` for a log line, lets a burst gather, and prints it with one write.
fn print_log(server: &Server, received: &Receiver<String>, wait: Duration) {
    let Ok(first) = received.recv_timeout(wait) else {
        return; // nothing came in time
    };
    thread::sleep(LOG_GATHER);
    let mut lines: Vec<String> = std::iter::once(first).chain(received.try_iter()).collect();
    let unlogged = server.unlogged.swap(0, Relaxed);
    if unlogged > 0 {
        lines.push(format!("({unlogged} lines not logged: queue full)"));
    }
    netkit::log_line(&lines.join("\n"));
}
