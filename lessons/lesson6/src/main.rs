//! # Lesson 6: a server that protects itself
//!
//! Lesson 5's server, safe to leave running: a client that does not finish a line in time is
//! cut, at most `--max-clients` are served at once, Ctrl-C (or SIGTERM) says `BYE` to everyone
//! before the server exits, and no client ever waits for the terminal.
//!
//! ```text
//! $ cargo run -p lesson6-solution -- --max-clients 3 --idle-timeout 10 1234
//! Listening on 127.0.0.1:1234
//! -> hello
//! ^CShut down: 1 clients served
//! ```
//!
//! Your task: fill in the four TODOs, in order. After each one, run `cargo test -p lesson6`:
//! the first failing test tells you what is missing and where the book explains it (chapter
//! "Lesson 6: a server that protects itself").

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

/// A thread blocked in `read` cannot be woken from outside, so it never waits longer than
/// this before it looks whether the server is shutting down.
const TICK: Duration = Duration::from_millis(100);
/// After Ctrl-C, how long the clients get to receive `BYE` before the server exits anyway.
const GRACE: Duration = Duration::from_secs(1);
/// Log lines that may wait for the terminal; past that, lines are dropped, not waited for.
const LOG_BACKLOG: usize = 4096;
/// How long the logger lets a burst of lines gather before it prints them with one write.
const LOG_GATHER: Duration = Duration::from_millis(10);

// ANCHOR: main
const MAX_CLIENTS: Setting = Setting::new("--max-clients", "N", 1..=100_000, 1_000);
const IDLE_TIMEOUT: Setting = Setting::new("--idle-timeout", "SECS", 1..=86_400, 60);

fn main() -> ExitCode {
    let (address, [max_clients, idle_seconds]) =
        match netkit::server_arguments_with(&[MAX_CLIENTS, IDLE_TIMEOUT]) {
            Ok(arguments) => arguments,
            Err(usage_error) => return usage_error,
        };
    let (events, received) = mpsc::sync_channel(LOG_BACKLOG);
    let server = Server {
        max_clients: usize::try_from(max_clients).unwrap_or(usize::MAX),
        idle_timeout: Duration::from_secs(idle_seconds),
        client_count: AtomicUsize::new(0),
        served: AtomicUsize::new(0),
        shutting_down: AtomicBool::new(false),
        events,
    };
    netkit::exit_with(serve_until_shutdown(&address, Arc::new(server), &received))
}

/// What the main thread waits for: a line to log, or the signal to shut down.
enum Event {
    Log(String),
    Shutdown,
}

/// Everything the threads of the server share, behind one `Arc`.
struct Server {
    max_clients: usize,
    idle_timeout: Duration,
    /// Clients connected now (lesson 5's count) and clients admitted since the start.
    client_count: AtomicUsize,
    served: AtomicUsize,
    shutting_down: AtomicBool,
    events: SyncSender<Event>,
}

impl Server {
    /// Hands a line to the main thread, which prints it. Never waits: if the terminal fell
    /// [`LOG_BACKLOG`] lines behind, the line is dropped instead.
    fn log(&self, line: String) {
        let _ = self.events.try_send(Event::Log(line));
    }
}
// ANCHOR_END: main

// ANCHOR: serve_until_shutdown
/// Listens, accepts in a thread of its own, and prints the log here until Ctrl-C.
fn serve_until_shutdown(
    address: &str,
    server: Arc<Server>,
    received: &Receiver<Event>,
) -> Result<(), String> {
    let listener = TcpListener::bind(address)
        .map_err(|error| netkit::error_line(&format!("could not listen on {address}"), &error))?;
    let bound = listener
        .local_addr()
        .map_err(|error| netkit::error_line("could not read the bound address", &error))?;
    // With its `termination` feature, `ctrlc` catches SIGTERM too, where the system has it.
    let on_signal = server.events.clone();
    ctrlc::set_handler(move || drop(on_signal.send(Event::Shutdown)))
        .map_err(|error| format!("could not listen for Ctrl-C: {error}"))?;
    println!("Listening on {bound}");
    let accepting = Arc::clone(&server);
    thread::Builder::new()
        .spawn(move || accept_clients(&listener, &accepting))
        .map_err(|error| netkit::error_line("could not start the accept thread", &error))?;
    // The main thread is the logger: it alone waits for the terminal, never a client thread.
    while print_log(received, Duration::MAX) {}
    shut_down(&server, received);
    Ok(())
}
// ANCHOR_END: serve_until_shutdown

// ANCHOR: accept_clients
/// Accepts clients until the program exits.
fn accept_clients(listener: &TcpListener, server: &Arc<Server>) {
    loop {
        match listener.accept() {
            Ok((client, peer)) => welcome(client, peer, server),
            Err(error) => {
                let line = netkit::error_line("could not accept a client", &error);
                eprintln!("{line}");
                // Usually "too many open files": a rest lets clients leave and free some.
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Admits a client (counted, in a thread of its own) or refuses it before it costs a thread.
fn welcome(client: TcpStream, peer: SocketAddr, server: &Arc<Server>) {
    if server.shutting_down.load(Relaxed) {
        return refuse(&client, "BYE\n");
    }
    // TODO(1): the cap. While `server.max_clients` clients are connected, turn this one away
    // with `refuse` and the line "ERROR server full\n": it must never be counted, and must
    // not cost a thread. Otherwise admit it as lesson 5 did: a ConnectionGuard (which counts
    // it), one more in `server.served` (for the last line), and a thread of its own running
    // `serve_client(&client, &guard)`. Why can the count not grow between your check and
    // the guard?
    todo!(
        "TODO(1): admit {peer} ({client:?}) or refuse it: at most {} clients",
        server.max_clients
    )
}

/// Turns a client away without waiting for it: the accept loop goes straight back to work.
fn refuse(mut client: &TcpStream, words: &str) {
    let _ = client.write_all(words.as_bytes());
    // The end of the stream follows the words; what the client already sent is read and
    // dropped, as closing with unread bytes would send a reset instead.
    let _ = client.shutdown(Shutdown::Write);
    if client.set_nonblocking(true).is_ok() {
        while let Ok(1..) = client.read(&mut [0u8; 4096]) {}
    }
}
// ANCHOR_END: accept_clients

// ANCHOR: connection_guard
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
// ANCHOR_END: connection_guard

// ANCHOR: serve_client
#[allow(dead_code)] // the thread of TODO(1) calls it; delete this line then.
/// The whole life of one client thread: talk, then say the last words, if any.
fn serve_client(client: &TcpStream, guard: &ConnectionGuard) {
    let server = &guard.server;
    // TODO(2): talk with `answer_lines(client, server)`, then send the last words the ending
    // deserves (SPEC.md, Lesson 6), so that they arrive:
    // - `Ok(words)`: those words, if any (STOP and the end of the stream have none);
    // - an error while the server is shutting down: "BYE\n";
    // - an error of kind `ErrorKind::TimedOut` (the line's deadline passed): "ERROR idle
    //   timeout\n";
    // - any other error: the connection is gone, there is nobody to tell.
    // Dropping the stream right after writing can turn the close into a reset that destroys
    // the words: close as netkit::send_and_close does. And a client that never reads its
    // replies must not hold this thread forever in a write: give writes a time limit first.
    todo!(
        "TODO(2): serve {client:?}, then send its last words (idle timeout {:?})",
        server.idle_timeout
    )
}

#[allow(dead_code)] // TODO(2) calls it; delete this line then.
/// Reads lines until STOP or the end of the stream, answering each with the current count.
/// Returns the last words to send, if any; a deadline or the shutdown ends it with an error.
fn answer_lines(mut client: &TcpStream, server: &Server) -> io::Result<Option<&'static str>> {
    let deadline = Instant::now() + server.idle_timeout;
    let reader = LineDeadline {
        client,
        server,
        deadline,
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
        server.log(format!("-> {}", netkit::printable(&text)));
        if netkit::is_stop(&text) {
            return Ok(None);
        }
        client.write_all(format!("{}\n", server.client_count.load(Relaxed)).as_bytes())?;
    }
}
// ANCHOR_END: serve_client

// ANCHOR: line_deadline
/// A client's stream that gives up at the deadline of the line being read.
///
/// A read timeout alone is not enough: each byte that arrives starts it again, so a client
/// sending one byte a second would never be cut. Here each read waits only for the time left.
struct LineDeadline<'a> {
    client: &'a TcpStream,
    server: &'a Server,
    deadline: Instant,
}

impl Read for LineDeadline<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        // TODO(3): read into `buffer`, but never past `self.deadline`, and give up as soon as
        // the server shuts down. Nothing can wake a thread blocked in `read`, so let no read
        // wait longer than TICK: wait in short turns, and between turns look at the clock and
        // at `self.server.shutting_down`.
        // - deadline passed: an error of kind `ErrorKind::TimedOut` (TODO(2) answers it);
        // - shutting down: any other error, for example `io::Error::other(...)`;
        // - a turn that ended without bytes (`WouldBlock` on Unix, `TimedOut` on Windows):
        //   not an error, take another turn.
        todo!(
            "TODO(3): read up to {} bytes from {:?} by {:?}, in turns of {TICK:?}, unless the \
             server shuts down ({:?})",
            buffer.len(),
            self.client,
            self.deadline,
            self.server.shutting_down
        )
    }
}
// ANCHOR_END: line_deadline

// ANCHOR: shut_down
/// Stops admitting clients, gives the connected ones [`GRACE`] to receive `BYE`, then prints
/// the last line. Whatever the clients do, this returns within about [`GRACE`].
fn shut_down(server: &Server, received: &Receiver<Event>) {
    // TODO(4): shut down gracefully, within about GRACE, whatever the clients do:
    // - tell every thread with `server.shutting_down` (client threads see it within a TICK
    //   and say BYE; the accept loop refuses newcomers);
    // - wait until no client is connected, or GRACE has passed: a client that never reads
    //   must not hold the server open. Meanwhile this thread is still the logger: keep
    //   printing with `print_log`, never waiting on it longer than a TICK;
    // - print what is still queued, then "Shut down: <k> clients served" (`server.served`).
    todo!(
        "TODO(4): shut down within {GRACE:?}: {} of {} clients still connected, {received:?} \
         to log",
        server.client_count.load(Relaxed),
        server.served.load(Relaxed)
    )
}

/// Waits up to `wait` for a log line, lets a burst gather for [`LOG_GATHER`], and prints it
/// with one write: waking up for every line would cost more than printing it. Returns false
/// once the signal to shut down has come.
fn print_log(received: &Receiver<Event>, wait: Duration) -> bool {
    let first = match received.recv_timeout(wait) {
        Ok(Event::Log(line)) => line,
        Ok(Event::Shutdown) => return false,
        Err(_) => return true, // nothing came in time
    };
    thread::sleep(LOG_GATHER);
    let mut lines = vec![first];
    let mut go_on = true;
    for event in received.try_iter() {
        match event {
            Event::Log(line) => lines.push(line),
            Event::Shutdown => go_on = false,
        }
    }
    netkit::log_line(&lines.join("\n"));
    go_on
}
// ANCHOR_END: shut_down
