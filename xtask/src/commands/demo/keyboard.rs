//! The keyboard of the demo's own pane.
//!
//! The server never reads it (its stdin is closed), so a line typed here by mistake, while
//! the server runs, goes nowhere: it is answered with a note, so that the room does not take
//! the echoed line for something the server printed. And only a line typed *after* the
//! "Press Enter" question answers it: lines typed before are drained, so a stray Enter
//! during the session never restarts the server unasked.
//!
//! (The terminal still echoes what is typed: turning echo off needs the terminal's settings,
//! which std cannot change.)

use std::io::{self, BufRead};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Instant;

/// Lines typed into the demo's pane, read by a thread of their own.
pub(super) struct Keyboard {
    lines: Receiver<Instant>,
    /// While set, a typed line gets the "goes nowhere" note.
    server_running: Arc<AtomicBool>,
}

impl Keyboard {
    pub fn start() -> Keyboard {
        let (send, lines) = mpsc::channel();
        let server_running = Arc::new(AtomicBool::new(false));
        let running = Arc::clone(&server_running);
        thread::spawn(move || {
            for line in io::stdin().lock().lines() {
                if line.is_err() {
                    break;
                }
                if running.load(Ordering::SeqCst) {
                    super::narrate::show("demo: typing here does nothing; use a client's pane\n");
                }
                if send.send(Instant::now()).is_err() {
                    break;
                }
            }
            // The end of input (no terminal, or Ctrl-D) drops `send`: no answer will come.
        });
        Keyboard {
            lines,
            server_running,
        }
    }

    pub fn server_running(&self, running: bool) {
        self.server_running.store(running, Ordering::SeqCst);
    }

    /// Waits for a line typed after `asked`; `false` at the end of input.
    pub fn enter_after(&self, asked: Instant) -> bool {
        loop {
            match self.lines.recv() {
                Ok(typed) if typed > asked => return true,
                Ok(_) => {} // typed before the question: drained
                Err(_) => return false,
            }
        }
    }
}
