//! The Go server's client count, written the same way in Rust: a counter that a spawned
//! thread reads while `main` writes it. The compiler refuses it (E0373, then E0506), which
//! is the point: `cargo xtask demo race` compiles this file in front of the room, and the
//! book's "Pitfalls of the Go originals" shows it (`mdbook test` checks it still fails).
//! It is not part of any package, so `cargo build` never sees it.

// ANCHOR: race
use std::thread;

fn main() {
    let mut client_count = 0;
    let worker = thread::spawn(|| {
        println!("{client_count} clients connected");
    });
    client_count += 1; // the compiler rejects this program
    worker.join().unwrap();
}
// ANCHOR_END: race
