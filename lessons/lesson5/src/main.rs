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
//! Your task: fill in the three TODOs, in order. After each one, run `cargo test -p lesson5`:
//! the first failing test tells you what is missing and where the book explains it (chapter
//! "A concurrent TCP server"). The comments say what must hold, not how: the design is yours.

use std::io::{self, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize; // TODO(2) needs one more name from here
use std::thread;
// TODO(3) needs a trait of `std::io` in scope; the compiler will name it.
use std::time::Duration;

use netkit::Line;

/// How long the accept loop rests after `accept` failed.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

fn main() -> ExitCode {
    let address = match netkit::server_argument() {
        Ok(address) => address,
        Err(usage_error) => return usage_error,
    };
    netkit::exit_with(serve_forever(&address))
}

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

/// Counts a new client and serves it in a thread of its own, so that a slow client only ever
/// blocks itself, and the accept loop is back in `accept` at once.
fn start_client_thread(client: TcpStream, peer: SocketAddr, client_count: &Arc<AtomicUsize>) {
    // TODO(1): count this client from the moment it was accepted (`ConnectionGuard::new`),
    // then serve it (`serve_client`) in a thread of its own, so that this function returns
    // at once and the accept loop goes back to `accept`: no client may make it wait. If the
    // system cannot start one more thread, the server must not end: print one error line
    // (`netkit::error_line`) and go on, and that client must not stay counted.
    todo!("TODO(1): count {peer} and give it a thread (count now {client_count:?}, {client:?})")
}

// TODO(2): design the guard, the whole type. A `ConnectionGuard` stands for one connected
// client: making one counts the client, and the client stays counted for exactly as long as
// its guard exists. When the guard goes away, on whichever thread and however its connection
// ended (STOP, the end of the stream, an error, a line too long, a panic, or a thread that
// never started), the client is uncounted. Many threads change the count at the same time,
// and it must stay exact. Give the struct the fields it needs, write `new` and `count`, and
// add what runs when a guard goes away.
#[derive(Debug)]
struct ConnectionGuard {}

impl ConnectionGuard {
    /// Counts one more client, and returns the guard that keeps it counted.
    #[allow(dead_code)] // TODO(1) calls it; delete this line then.
    fn new(client_count: &Arc<AtomicUsize>) -> ConnectionGuard {
        todo!("TODO(2): count one more client (now {client_count:?}) and return its guard")
    }

    /// The number of clients connected right now, this one included.
    #[allow(dead_code)] // TODO(3) calls it; delete this line then.
    fn count(&self) -> usize {
        todo!("TODO(2): how many clients are connected now? ({self:?})")
    }
}

/// The whole life of one client thread: talk, then let go of the connection and the guard.
#[allow(dead_code)] // the thread of TODO(1) calls it; delete this line then.
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

/// Reads lines until STOP or the end of the stream, answering each with the current count.
fn answer_lines(client: &TcpStream, guard: &ConnectionGuard) -> io::Result<()> {
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
        // TODO(3): reply to this line with the number of clients connected right now, as a
        // line of its own.
        todo!("TODO(3): answer {text:?} with the count ({guard:?})")
    }
}

/// An `accept` that failed is reported, and the server goes on after a short rest.
fn rest_after_accept_error(error: &io::Error) {
    eprintln!("{}", netkit::error_line("could not accept a client", error));
    // Usually "too many open files": the client stays queued, so trying again at once would
    // fail at once, a loop burning a core. Resting lets other clients leave and free handles.
    thread::sleep(ACCEPT_PAUSE);
}
