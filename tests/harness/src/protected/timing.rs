//! Time, measured honestly: a client that drips, and a meter of the test's own lateness.

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

/// Watches the test's own clock: a thread waits 20 ms again and again and records how late
/// it woke up. On a busy machine it wakes up late, and so may the program under test.
pub struct BusyMeter {
    stop: Sender<()>,
    worst: std::sync::Arc<std::sync::Mutex<Duration>>,
}

impl BusyMeter {
    pub fn start() -> BusyMeter {
        const TICK: Duration = Duration::from_millis(20);
        let (stop, stopped) = mpsc::channel::<()>();
        let worst = std::sync::Arc::new(std::sync::Mutex::new(Duration::ZERO));
        let record = std::sync::Arc::clone(&worst);
        thread::spawn(move || {
            loop {
                let asleep = Instant::now();
                if stopped.recv_timeout(TICK) != Err(RecvTimeoutError::Timeout) {
                    return;
                }
                let late = asleep.elapsed().saturating_sub(TICK);
                let mut worst = record
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                *worst = (*worst).max(late);
            }
        });
        BusyMeter { stop, worst }
    }

    /// The longest the test's own 20 ms waits overran so far.
    pub fn worst_lateness(&self) -> Duration {
        *self
            .worst
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for BusyMeter {
    fn drop(&mut self) {
        let _ = self.stop.send(());
    }
}

/// A sentence for the hint when the test's own clock ran late.
pub(super) fn busy_note(late: Duration) -> String {
    if late < Duration::from_millis(200) {
        return String::new();
    }
    format!(
        "\nNote: the test's own 20 ms waits ran up to {} ms late meanwhile: the machine looks \
         busy, so this may not be your program's fault. Run the test again on a quieter \
         machine before changing your code.",
        late.as_millis()
    )
}
