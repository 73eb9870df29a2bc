//! What a fake server's thread has recorded, shared with the test that waits for it.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// A list the server's thread appends to, and a signal that it did.
pub(crate) type Record<T> = (Mutex<Vec<T>>, Condvar);

/// Appends one item and wakes whoever waits.
pub(crate) fn push<T>(record: &Record<T>, items: impl IntoIterator<Item = T>) {
    let (lock, changed) = record;
    lock.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .extend(items);
    changed.notify_all();
}

/// A copy of what a fake server's thread has recorded so far.
pub(crate) fn recorded<T: Clone>(record: &Record<T>) -> Vec<T> {
    let (lock, _) = record;
    lock.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// Waits (at most `within`) until what a fake server's thread has recorded satisfies `done`,
/// and returns a copy of it. The thread notifies the condition variable after each record.
pub(crate) fn wait_recorded<T: Clone>(
    record: &Record<T>,
    within: Duration,
    done: impl Fn(&[T]) -> bool,
) -> Vec<T> {
    let deadline = Instant::now() + within;
    let (lock, changed) = record;
    let mut items = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    while !done(&items) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        items = match changed.wait_timeout(items, left) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        };
    }
    items.clone()
}
