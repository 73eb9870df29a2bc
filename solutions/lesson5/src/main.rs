//! # Lesson 5: a concurrent TCP server
//!
//! Serves many clients at the same time, each in a thread of its own, and answers every line
//! with the number of clients connected right now. `STOP` closes only the connection that
//! sent it; the server runs until it is killed.
//!
//! ```text
//! $ cargo run -p lesson5-solution -- 1234
//! Listening on 127.0.0.1:1234
//! -> hello from the first client
//! -> hello from the second client
//! -> STOP
//! ```
//!
// ANCHOR: header
//! What you will see in this file: a thread per client, started with a `move` closure, a
//! counter shared by all threads in an `Arc<AtomicUsize>`, and a guard whose `Drop` uncounts
//! a client however its connection ends.
// ANCHOR_END: header

// ANCHOR: imports
use std::io::{self, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
// ANCHOR_END: imports
use std::time::Duration;

use netkit::Line;

/// How long the accept loop rests after `accept` failed.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

// ANCHOR: main
fn main() -> ExitCode {
    let address = match netkit::server_argument() {
        Ok(address) => address,
        Err(usage_error) => return usage_error,
    };
    netkit::exit_with(serve_forever(&address))
}
// ANCHOR_END: main

// ANCHOR: serve_forever
/// Binds, announces the address, then accepts clients until the program is killed.
fn serve_forever(address: &str) -> Result<(), String> {
    let listener = listen(address)?;
    // One counter for the whole server, shared through `Arc`s by every client's guard.
    let client_count = Arc::new(AtomicUsize::new(0));
    loop {
        match listener.accept() {
            Ok((client, peer)) => start_client_thread(client, peer, &client_count),
            Err(error) => rest_after_accept_error(&error),
        }
    }
}
// ANCHOR_END: serve_forever

// ANCHOR: listen
/// Binds the listening socket and prints `Listening on <ip>:<port>`.
fn listen(address: &str) -> Result<TcpListener, String> {
    let listener = TcpListener::bind(address)
        .map_err(|error| netkit::error_line(&format!("could not listen on {address}"), &error))?;
    let bound = listener
        .local_addr()
        .map_err(|error| netkit::error_line("could not read the bound address", &error))?;
    // `netkit::log_line` prints like `println!`, but never panics: the server goes on
    // serving when nobody reads its output any more (`lesson5 0 | head -1`).
    netkit::log_line(&format!("Listening on {bound}"));
    Ok(listener)
}
// ANCHOR_END: listen

// ANCHOR: start_client_thread
/// Counts a new client and serves it in a thread of its own, so that a slow client only ever
/// blocks itself, and the accept loop is back in `accept` at once.
fn start_client_thread(client: TcpStream, peer: SocketAddr, client_count: &Arc<AtomicUsize>) {
    // ANCHOR: todo1
    // Counted here, before its thread even exists: the next client to connect is told about
    // this one, however the threads happen to run.
    let guard = ConnectionGuard::new(client_count);
    // `move`: the closure owns all three, so the thread can outlive this function. Without
    // it, `client` and `guard` would still be moved (`serve_client` consumes them), but `peer`
    // is `Copy` and would only be borrowed, which the compiler refuses (E0373).
    let started = thread::Builder::new().spawn(move || serve_client(client, peer, guard));
    // `thread::spawn` would panic if the system has no threads left; `Builder` returns the
    // error. The unrun closure was dropped, closing the connection and uncounting it.
    if let Err(error) = started {
        eprintln!(
            "{}",
            netkit::error_line(&format!("could not start a thread for {peer}"), &error)
        );
    }
    // ANCHOR_END: todo1
}
// ANCHOR_END: start_client_thread

// ANCHOR: connection_guard
// ANCHOR: todo2
/// One connected client. While it exists, the client is counted in `client_count`.
#[derive(Debug)]
struct ConnectionGuard {
    // Its own handle on the server's one counter: the guard lives in the client's thread,
    // which may outlive the function that made it, so it cannot borrow the counter.
    client_count: Arc<AtomicUsize>,
}

impl ConnectionGuard {
    /// Counts one more client, and keeps a handle on the counter to uncount it later.
    fn new(client_count: &Arc<AtomicUsize>) -> ConnectionGuard {
        // `fetch_add` reads, adds and writes back as one indivisible step: two threads can
        // never both read 4 and both write 5. `Relaxed` is enough because the counter guards
        // no other data: the ordering arguments are about memory *around* the operation.
        client_count.fetch_add(1, Ordering::Relaxed);
        ConnectionGuard {
            client_count: Arc::clone(client_count),
        }
    }

    /// The number of clients connected right now, this one included.
    fn count(&self) -> usize {
        self.client_count.load(Ordering::Relaxed)
    }
}

/// The end of a connection, however it ends: STOP, end of stream, error, or even a panic
/// (panics unwind by default, dropping what each function owned on the way).
impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        // Rust calls this when the guard goes out of scope in the client's thread, or where
        // the closure that never ran is dropped.
        self.client_count.fetch_sub(1, Ordering::Relaxed);
    }
}
// ANCHOR_END: todo2
// ANCHOR_END: connection_guard

// ANCHOR: serve_client
/// The whole life of one client thread: talk, then let go of the connection and the guard.
fn serve_client(client: TcpStream, peer: SocketAddr, guard: ConnectionGuard) {
    if let Err(error) = answer_lines(&client, &guard) {
        // A reset or another error ends this client only.
        eprintln!(
            "{}",
            netkit::error_line(&format!("lost the connection to {peer}"), &error)
        );
    }
    // `client` and `guard` are dropped here: the socket is closed and the client uncounted.
}
// ANCHOR_END: serve_client

// ANCHOR: answer_lines
/// Reads lines until STOP or the end of the stream, answering each with the current count.
// ANCHOR: todo3_signature
fn answer_lines(mut client: &TcpStream, guard: &ConnectionGuard) -> io::Result<()> {
    // ANCHOR_END: todo3_signature
    // ANCHOR: line_loop
    // A small read-ahead buffer, as each of possibly thousands of threads has one: with the
    // default 8 KiB, 10,000 clients would pin some 30 MB more memory. Lines are short, and a
    // longer one is still read whole, 1 KiB at a time.
    let mut requests = BufReader::with_capacity(1024, client);
    loop {
        let text = match netkit::read_line(&mut requests)? {
            Line::Text(text) => text,
            Line::End => return Ok(()),
            Line::TooLong => {
                netkit::log_line("a client sent a line longer than 64 KiB, closing its connection");
                return netkit::send_and_close(client, "ERROR line too long\n");
            }
        };
        // The client's text, its control characters escaped: no client may clear the screen
        // or retitle the terminal of whoever watches the server.
        netkit::log_line(&format!("-> {}", netkit::printable(&text)));
        if netkit::is_stop(&text) {
            // No reply: returning ends this thread, which closes only this connection.
            return Ok(());
        }
        // ANCHOR_END: line_loop
        // ANCHOR: todo3
        // Read the count now, for each reply: other clients come and go meanwhile.
        // `write_all` needs its writer mutably; the writer is the reference `client` itself
        // (`&TcpStream` implements `Write`), hence `mut client` above.
        client.write_all(format!("{}\n", guard.count()).as_bytes())?;
        // ANCHOR_END: todo3
    }
}
// ANCHOR_END: answer_lines

// ANCHOR: rest_after_accept_error
/// An `accept` that failed is reported, and the server goes on after a short rest.
fn rest_after_accept_error(error: &io::Error) {
    eprintln!("{}", netkit::error_line("could not accept a client", error));
    // Usually "too many open files": the client stays queued, so trying again at once would
    // fail at once, a loop burning a core. Resting lets other clients leave and free handles.
    thread::sleep(ACCEPT_PAUSE);
}
// ANCHOR_END: rest_after_accept_error
