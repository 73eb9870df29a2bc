//! # Lesson 6: a server that protects itself
//!
//! Lesson 5's server, safe to leave running: a deadline for each line, at most `--max-clients`
//! at once, `BYE` to everyone on Ctrl-C or SIGTERM, and a log that no client waits for.
//!
// ANCHOR: header
//! What you will see in this file: a `Read` adapter that turns short timeouts into a deadline
//! for each line, a flag that every thread looks at, and one thread that does all the printing.
// ANCHOR_END: header

// ANCHOR: imports
use std::io::{self, BufReader, ErrorKind, Read, Write};
// ANCHOR_END: imports
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

// ANCHOR: main
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
// ANCHOR_END: main

// ANCHOR: serve_until_shutdown
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
                thread::sleep(TICK);
            }
        }
    }
}
// ANCHOR_END: accept_clients

/// Admits a client (counted, in a thread of its own) or refuses it before it costs a thread.
fn welcome(client: TcpStream, peer: SocketAddr, server: &Arc<Server>) {
    if server.shutting_down.load(Relaxed) {
        return refuse(&client, "BYE\n");
    }
    // ANCHOR: todo1
    // Only this thread adds to the count: it cannot grow between this check and the guard.
    if server.client_count.load(Relaxed) >= server.max_clients {
        return refuse(&client, "ERROR server full\n");
    }
    let guard = ConnectionGuard::new(server);
    server.served.fetch_add(1, Relaxed);
    let started = thread::Builder::new().spawn(move || serve_client(&client, &guard));
    if let Err(error) = started {
        let line = netkit::error_line(&format!("could not start a thread for {peer}"), &error);
        eprintln!("{line}"); // the unrun closure was dropped: closed and uncounted
    }
    // ANCHOR_END: todo1
}

// ANCHOR: refuse
/// Turns a client away without waiting for it: the accept loop goes straight back to work.
fn refuse(mut client: &TcpStream, words: &str) {
    let _ = client.write_all(words.as_bytes());
    // Then the end of the stream; unread bytes are drained, or the close would be a reset.
    let _ = client.shutdown(Shutdown::Write);
    if client.set_nonblocking(true).is_ok() {
        while let Ok(1..) = client.read(&mut [0u8; 4096]) {}
    }
}
// ANCHOR_END: refuse

// ANCHOR: connection_guard
/// One admitted client. While it exists, the client is counted in `client_count`.
struct ConnectionGuard {
    server: Arc<Server>,
}

impl ConnectionGuard {
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

/// The whole life of one client thread: talk, then say the last words, if any.
fn serve_client(client: &TcpStream, guard: &ConnectionGuard) {
    let server = &guard.server;
    // ANCHOR: todo2
    // A write may wait the idle timeout at most: a client that never reads is idle too.
    let _ = client.set_write_timeout(Some(server.idle_timeout));
    let last_words = match answer_lines(client, server) {
        Ok(last_words) => last_words,
        Err(_) if server.shutting_down.load(Relaxed) => Some("BYE\n"),
        Err(error) if error.kind() == ErrorKind::TimedOut => Some("ERROR idle timeout\n"),
        Err(_) => None, // the connection is lost: nobody to say anything to
    };
    if let Some(words) = last_words {
        // Not a plain drop: that could reset the connection and destroy the words.
        let _ = netkit::send_and_close(client, words);
    }
    // ANCHOR_END: todo2
}

// ANCHOR: answer_lines
/// Answers lines until STOP or the end of the stream; returns the last words to send, if any.
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
// ANCHOR_END: answer_lines

// ANCHOR: line_deadline
/// A client's stream that gives up at the line's deadline, or when the server shuts down.
struct LineDeadline<'a> {
    client: &'a TcpStream,
    server: &'a Server,
    deadline: Instant,
}
// ANCHOR_END: line_deadline

impl Read for LineDeadline<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        // ANCHOR: todo3
        // Each turn waits a TICK at most; a byte that arrives never moves the deadline.
        loop {
            if self.server.shutting_down.load(Relaxed) {
                return Err(io::Error::other("the server is shutting down"));
            }
            if Instant::now() >= self.deadline {
                return Err(ErrorKind::TimedOut.into());
            }
            match self.client.read(buffer) {
                // A TICK without bytes: WouldBlock on Unix, TimedOut on Windows.
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                result => return result,
            }
        }
        // ANCHOR_END: todo3
    }
}

/// Gives the clients [`GRACE`] at most to receive `BYE`, then prints the last line.
fn shut_down(server: &Server, received: &Receiver<String>) {
    // ANCHOR: todo4
    let give_up = Instant::now() + GRACE;
    // Each client thread notices within a TICK, says BYE and lets go of its guard.
    while server.client_count.load(Relaxed) > 0 && Instant::now() < give_up {
        print_log(server, received, TICK);
    }
    print_log(server, received, Duration::ZERO); // what is queued goes before the last line
    let served = server.served.load(Relaxed);
    netkit::log_line(&format!("Shut down: {served} clients served"));
    // ANCHOR_END: todo4
}

// ANCHOR: print_log
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
// ANCHOR_END: print_log
