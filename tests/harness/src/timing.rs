//! # Timing checks that judge the program, not the machine
//!
//! A few checks are about time: lesson 3's client waits 2 s before it sends a message again,
//! and gives up after 3 tries. On a busy machine every program runs late, the test included,
//! so a fixed bound would blame the learner for a slow machine. A [`LoadMeter`] runs the
//! test's own timer beside the program: a short wait, again and again, noting how late it
//! wakes up. The bounds of a timing check widen by what the meter saw, and a check that
//! fails anyway says when the machine looked busy, so the learner runs it again rather than
//! hunting a bug that is not there.
//!
//! Lesson 3's retries and the protected server's deadlines and shutdown (lessons 6 and 7,
//! `protected/`) use the same meter, so "the machine looks busy" means one thing everywhere.
//!
//! The meter waits on a channel with a deadline, never sleeps: it stops as soon as it is
//! dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

/// How long each of the meter's waits asks for.
const TICK: Duration = Duration::from_millis(20);

/// From this lateness on (a 20 ms wait that took 120 ms or more), a failed timing check says
/// that the machine looks busy. Far above what an idle machine's timers miss by (up to
/// 15.6 ms on Windows, whose default timer ticks at 64 Hz), and below the slack the checks
/// allow, so the note appears when the machine, not the program, may be the cause.
pub const BUSY_LATENESS: Duration = Duration::from_millis(100);

/// The test's own timer, running beside the program under test until it is dropped.
pub struct LoadMeter {
    /// The longest any one wait overshot its deadline, in microseconds.
    worst_overshoot_us: Arc<AtomicU64>,
    /// Never used to send: dropping it, with the meter, wakes the meter's thread at once and
    /// ends it.
    _stop: Sender<()>,
}

impl LoadMeter {
    /// Starts measuring.
    pub fn start() -> LoadMeter {
        let worst = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = mpsc::channel::<()>();
        let record = Arc::clone(&worst);
        thread::spawn(move || {
            loop {
                let asked_at = Instant::now();
                match stopped.recv_timeout(TICK) {
                    Err(RecvTimeoutError::Timeout) => {}
                    // The meter was dropped: nothing more to measure.
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
                let overshoot = asked_at.elapsed().saturating_sub(TICK);
                let micros = u64::try_from(overshoot.as_micros()).unwrap_or(u64::MAX);
                record.fetch_max(micros, Ordering::Relaxed);
            }
        });
        LoadMeter {
            worst_overshoot_us: worst,
            _stop: stop,
        }
    }

    /// The longest the test's own timer woke up late so far: the slack a loaded machine needs.
    pub fn worst_lateness(&self) -> Duration {
        Duration::from_micros(self.worst_overshoot_us.load(Ordering::Relaxed))
    }

    /// For what a failed timing check saw: `"; your machine looks busy (the test's own 20 ms
    /// waits ran up to 140 ms late); run it again"` when the test itself ran late, and
    /// nothing otherwise.
    pub fn busy_note(&self) -> String {
        busy_note_for(self.worst_lateness())
    }
}

/// How long a program may take for a wait of `nominal` (a timeout, a pause), as the test
/// measures it from outside.
///
/// A timer never fires early, so the lower bound only allows for the test's own clock readings
/// running late: three quarters of `nominal`, less what the meter saw, and never under half.
/// On a loaded machine everything runs late, and not every program by the same amount, so the
/// upper bound is twice `nominal`, plus twice the worst lateness of the test's own timer.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub shortest: Duration,
    pub longest: Duration,
}

impl Window {
    /// The window for a wait of `nominal`, widened by what `meter` has seen so far: build it
    /// after the waits it judges.
    pub fn around(nominal: Duration, meter: &LoadMeter) -> Window {
        Window::allowing(nominal, meter.worst_lateness())
    }

    /// The window for a wait of `nominal` on a machine whose timers ran up to `late` late.
    pub fn allowing(nominal: Duration, late: Duration) -> Window {
        Window {
            shortest: (nominal * 3 / 4).saturating_sub(late).max(nominal / 2),
            longest: nominal * 2 + late * 2,
        }
    }

    /// Whether a measured wait fits.
    pub fn contains(&self, wait: Duration) -> bool {
        (self.shortest..=self.longest).contains(&wait)
    }

    /// `"1.5 s to 3.0 s"`, for a report.
    pub fn describe(&self) -> String {
        format!(
            "{:.1} s to {:.1} s",
            self.shortest.as_secs_f64(),
            self.longest.as_secs_f64()
        )
    }
}

/// Waits for a report: `"2.0 s, 2.0 s and 2.1 s"`, or `"none"`.
pub fn seconds(waits: &[Duration]) -> String {
    let shown: Vec<String> = waits
        .iter()
        .map(|wait| format!("{:.1} s", wait.as_secs_f64()))
        .collect();
    match shown.as_slice() {
        [] => "none".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The words of [`LoadMeter::busy_note`] for the test's own timer running `late`: a clause
/// for the end of a report's "got" line.
pub fn busy_note_for(late: Duration) -> String {
    if late < BUSY_LATENESS {
        return String::new();
    }
    format!(
        "; your machine looks busy (the test's own {} ms waits ran up to {} ms late); run it \
         again",
        TICK.as_millis(),
        late.as_millis()
    )
}

/// The same, as a paragraph for the end of a hint, for a check whose report has no room for
/// it elsewhere (the protected server's deadline and shutdown).
pub fn busy_hint_for(late: Duration) -> String {
    if late < BUSY_LATENESS {
        return String::new();
    }
    format!(
        "\nNote: the test's own {} ms waits ran up to {} ms late meanwhile: the machine looks \
         busy, so this may not be your program's fault. Run the test again on a quieter \
         machine before changing your code.",
        TICK.as_millis(),
        late.as_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calm_machine_gets_no_note_and_a_busy_one_does() {
        assert_eq!(busy_note_for(Duration::from_millis(2)), "");
        assert_eq!(busy_hint_for(Duration::from_millis(2)), "");
        let note = busy_note_for(Duration::from_millis(108));
        assert!(note.contains("looks busy"), "{note}");
        assert!(note.contains("up to 108 ms late"), "{note}");
        let hint = busy_hint_for(Duration::from_millis(250));
        assert!(hint.starts_with("\nNote: "), "{hint}");
        assert!(hint.contains("up to 250 ms late"), "{hint}");
    }

    #[test]
    fn a_window_allows_lateness_but_never_early_timers() {
        let two = Duration::from_secs(2);
        let calm = Window::allowing(two, Duration::from_millis(5));
        assert!(calm.contains(Duration::from_millis(2050)));
        assert!(calm.contains(Duration::from_millis(3900)), "{calm:?}");
        assert!(!calm.contains(Duration::from_millis(100)), "{calm:?}");
        assert!(!calm.contains(Duration::from_secs(6)), "{calm:?}");
        let busy = Window::allowing(two, Duration::from_millis(2500));
        assert!(busy.contains(Duration::from_secs(6)), "{busy:?}");
        assert!(!busy.contains(Duration::from_millis(900)), "{busy:?}");
        assert_eq!(
            seconds(&[two, Duration::from_millis(2050)]),
            "2.0 s and 2.0 s"
        );
        assert_eq!(seconds(&[]), "none");
    }

    #[test]
    fn the_meter_measures_and_stops_when_dropped() {
        let meter = LoadMeter::start();
        assert!(meter.worst_lateness() < Duration::from_secs(60));
        drop(meter);
    }
}
