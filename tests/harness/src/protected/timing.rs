//! Time, measured honestly: a client that drips. The meter of the test's own lateness is
//! [`crate::timing::LoadMeter`], shared with lesson 3.

use super::*;

/// Sends one byte `x` every `pace` from a thread, until stopped or the connection fails.
pub(super) struct Drip {
    stop: Sender<()>,
    sender: JoinHandle<usize>,
}

impl Drip {
    pub(super) fn start(stream: &TcpStream, pace: Duration) -> Drip {
        let writer = stream.try_clone();
        let (stop, stopped) = mpsc::channel::<()>();
        let sender = thread::spawn(move || {
            let Ok(mut writer) = writer else { return 0 };
            let mut sent = 0;
            // Waiting on the stop channel paces the drip and ends it at once when asked.
            while writer.write_all(b"x").is_ok() {
                sent += 1;
                if stopped.recv_timeout(pace) != Err(RecvTimeoutError::Timeout) {
                    break;
                }
            }
            sent
        });
        Drip { stop, sender }
    }

    /// Stops dripping; returns how many bytes were sent.
    pub(super) fn stop(self) -> usize {
        let _ = self.stop.send(());
        self.sender.join().unwrap_or(0)
    }
}
