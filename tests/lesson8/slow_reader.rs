//! The slow reader: a client that never reads, while the others send megabytes. It is cut
//! off, the others miss nothing, and the server's memory stays bounded.

use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use harness::chat::{ChatClient, memory_of};
use harness::{Problem, STEP, shown};

use crate::chat::Chat;
use crate::{QUEUE, SLOW_READER};

/// Bytes of each line the flood sends, `\n` included.
const FLOOD_LINE: usize = 1024;
/// Lines each of the two senders sends: 2 × 5,120 lines of 1 KiB make 10 MiB in all.
const FLOOD_LINES: usize = 5 * 1024;
/// How many lines a sender may be ahead of the slowest client that reads. The server's queue
/// for a reading client then never holds more than 2 × 200 lines of 1 KiB, well under the
/// bounds (1,000 lines, 1 MiB), so a correct server never cuts off a client that reads.
const WINDOW: usize = 200;
/// A client that reads must hear a line at least this often while the flood lasts.
const FLOOD_STEP: Duration = Duration::from_secs(10);
/// The most the server may take, at its peak, while the flood lasts: its queues and buffers
/// for 1 MiB per client plus what its runtime needs, and room to spare. A server that kept
/// the 10 MiB it could not deliver would still fit: that one is caught by the cut-off check.
const MEMORY_BOUND_MIB: u64 = 32;

/// How far each receiver got in each sender's lines, shared by the test's threads.
struct Progress {
    heard: Mutex<HashMap<(String, String), usize>>,
    changed: Condvar,
}

impl Progress {
    /// Records that `receiver` has heard line `number` of `sender`.
    fn record(&self, receiver: &str, sender: &str, number: usize) {
        let mut heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
        heard.insert((receiver.into(), sender.into()), number + 1);
        self.changed.notify_all();
    }

    /// Waits until every one of `receivers` has heard at least `count` lines of `sender`.
    fn wait_for(&self, receivers: &[&str], sender: &str, count: usize) -> bool {
        let deadline = Instant::now() + FLOOD_STEP;
        let mut heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let slowest = receivers
                .iter()
                .map(|r| {
                    *heard
                        .get(&((*r).to_string(), sender.to_string()))
                        .unwrap_or(&0)
                })
                .min()
                .unwrap_or(count);
            if slowest >= count {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            heard = match self.changed.wait_timeout(heard, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

/// One flood line: `"<sender> <number> ...padding"`, `FLOOD_LINE` bytes with the `\n`.
fn flood_line(sender: &str, number: usize) -> String {
    let mut line = format!("{sender} {number:05} ");
    line.extend(std::iter::repeat_n('.', FLOOD_LINE - 1 - line.len()));
    line.push('\n');
    line
}

/// Checks one relayed flood line: `"<sender>: <sender> <number> ..."`, the next one of that
/// sender. Returns the sender's name.
fn check_flood_line<'a>(
    line: &str,
    senders: &[&'a str],
    next: &mut HashMap<&'a str, usize>,
) -> Result<&'a str, String> {
    let wrong = || format!("the line {}", shown(line.as_bytes()));
    let (sender, text) = line.split_once(": ").ok_or_else(wrong)?;
    let sender = *senders.iter().find(|s| **s == sender).ok_or_else(wrong)?;
    let expected = next.get_mut(sender).ok_or_else(wrong)?;
    if text != flood_line(sender, *expected).trim_end_matches('\n') {
        return Err(format!(
            "{} where line {} of {sender} was due",
            wrong(),
            *expected
        ));
    }
    *expected += 1;
    Ok(sender)
}

/// The two clients that send the flood, and the three that read it.
const SENDERS: [&str; 2] = ["alice", "bob"];
const READERS: [&str; 3] = ["alice", "bob", "carol"];

/// A reading client of the flood: hears every line of the senders (but its own) in order,
/// records its progress, and notes `* snail left`; returns when it has heard all of that, or
/// what went wrong instead, and whether that is only the missing `* snail left`.
fn listen_to_flood(
    name: &str,
    client: &mut ChatClient,
    progress: &Progress,
) -> Option<(String, bool)> {
    let from: Vec<&str> = SENDERS.into_iter().filter(|s| *s != name).collect();
    let mut next: HashMap<&str, usize> = from.iter().map(|s| (*s, 0)).collect();
    let mut snail_left = false;
    while !(snail_left && next.values().all(|count| *count == FLOOD_LINES)) {
        let heard = client.hear_within(FLOOD_STEP);
        let problem = match heard.line() {
            Some("* snail left") if !snail_left => {
                snail_left = true;
                continue;
            }
            Some(line) => match check_flood_line(line, &from, &mut next) {
                Ok(sender) => {
                    progress.record(name, sender, next[sender] - 1);
                    continue;
                }
                Err(problem) => problem,
            },
            None => heard.describe(FLOOD_STEP),
        };
        let so_far: Vec<String> = next
            .iter()
            .map(|(s, n)| format!("{n} lines of {s}"))
            .collect();
        let notice = if snail_left { "and" } else { "but not yet" };
        let only_snail_stayed = !snail_left && next.values().all(|count| *count == FLOOD_LINES);
        let problem = format!(
            "{name}, after {} {notice} \"* snail left\", heard {problem}",
            so_far.join(" and ")
        );
        return Some((problem, only_snail_stayed));
    }
    None
}

/// A client that never reads, while two others send 10 MiB in all: it is cut off (with
/// `ERROR too slow` if that can still reach it), the others hear every line and that it
/// left, and the server's memory stays under a bound.
#[test]
fn a_client_that_never_reads_is_cut_off_and_the_others_miss_nothing() {
    let mut chat = Chat::start(&[]);
    for name in READERS.into_iter().chain(["snail"]) {
        chat.join(name);
    }
    let before = memory_of(chat.server.id());
    let mut readers = std::mem::take(&mut chat.members);
    let Some(snail) = readers.pop() else { return };
    let progress = Arc::new(Progress {
        heard: Mutex::new(HashMap::new()),
        changed: Condvar::new(),
    });
    let started = Instant::now();
    let (mut threads, mut listeners) = (Vec::new(), Vec::new());
    for (name, member) in READERS.into_iter().zip(readers) {
        if SENDERS.contains(&name) {
            let stream = member.client.stream().try_clone();
            let progress = Arc::clone(&progress);
            threads.push(thread::spawn(move || match stream {
                Ok(stream) => send_flood(name, stream, &progress),
                Err(error) => Some(format!("the test could not send from {name}: {error}")),
            }));
        }
        let progress = Arc::clone(&progress);
        // The listener hands its client back: every connection stays open until all threads
        // are done, so that no one's leaving blurs what the others report.
        listeners.push(thread::spawn(move || {
            let mut client = member.client;
            (listen_to_flood(name, &mut client, &progress), client)
        }));
    }
    let mut problems: Vec<(String, bool)> = threads
        .into_iter()
        .filter_map(|thread| {
            let problem = thread
                .join()
                .unwrap_or(Some("a test thread panicked".into()));
            problem.map(|problem| (problem, false))
        })
        .collect();
    let mut still_open = Vec::new();
    for listener in listeners {
        match listener.join() {
            Ok((problem, client)) => {
                problems.extend(problem);
                still_open.push(client);
            }
            Err(_) => problems.push(("a test thread panicked".into(), false)),
        }
    }
    let took = started.elapsed();
    let after = memory_of(chat.server.id());
    if let Some((problem, _)) = problems.first() {
        // Every line arrived, and only snail stayed: its lines were dropped, not it.
        let snail_kept = problems
            .iter()
            .all(|(_, only_snail_stayed)| *only_snail_stayed);
        let others = match problems.len() {
            1 => String::new(),
            more => format!(" (and {} more problems)", more - 1),
        };
        chat.fail(Problem {
            check: "a client that never reads slows no one down, and no one misses a line".into(),
            did: "alice, bob, carol and snail joined; snail never read again, while alice \
                  and bob each sent 5 MiB (5,120 lines of 1 KiB), never more than 200 lines \
                  ahead of the slowest reader"
                .into(),
            expected: "alice, bob and carol hear every line of the others, in order, and \
                       \"* snail left\""
                .into(),
            got: format!("{problem}{others}"),
            hint: if snail_kept {
                "every line arrived, but snail was never cut off: a client past its queue's \
                 bound (1,000 lines or 1 MiB) is cut off (ERROR too slow, then close). Do not \
                 drop its lines and keep it, nor queue them without a bound."
            } else {
                "never wait for room in a client's queue, and never hold the room's lock \
                 across an .await: a full queue means that client is too slow, so cut it \
                 off. (A queue without a bound would grow instead.)"
            }
            .into(),
            section: if snail_kept { QUEUE } else { SLOW_READER }.into(),
        });
    }
    check_snail_was_cut_off(&mut chat, snail.client);
    check_memory(&mut chat, before, after, took);
    drop(still_open);
    chat.finish();
}

/// One sender of the flood: `FLOOD_LINES` lines, each sent once the other readers have heard
/// the line `WINDOW` before it. Returns what went wrong, if anything.
fn send_flood(name: &str, mut stream: TcpStream, progress: &Progress) -> Option<String> {
    let readers: Vec<&str> = READERS.into_iter().filter(|r| *r != name).collect();
    for number in 0..FLOOD_LINES {
        if number >= WINDOW && !progress.wait_for(&readers, name, number + 1 - WINDOW) {
            return Some(format!(
                "{name} had sent {number} lines; for {} s, one of {} did not hear line {}",
                FLOOD_STEP.as_secs(),
                readers.join(", "),
                number - WINDOW
            ));
        }
        let line = flood_line(name, number);
        if let Err(error) = std::io::Write::write_all(&mut stream, line.as_bytes()) {
            return Some(format!("{name} could not send line {number}: {error}"));
        }
    }
    None
}

/// The client that never read: once it reads, it finds its connection closed after lines
/// with no gap (the last one perhaps cut short), and perhaps `ERROR too slow`.
fn check_snail_was_cut_off(chat: &mut Chat, mut snail: ChatClient) {
    let (lines, end) = snail.hear_to_end(STEP * 2);
    let mut next: HashMap<&str, usize> = SENDERS.iter().map(|s| (*s, 0)).collect();
    let said_why = lines
        .last()
        .is_some_and(|line| line.ends_with("ERROR too slow"));
    let mut problem = None;
    for (index, line) in lines.iter().enumerate() {
        let last = index + 1 == lines.len();
        // Best effort: the last words may come after a line cut short, or even glued to it.
        let (line, before_last_words) = match line.strip_suffix("ERROR too slow") {
            Some(rest) if last => (rest, true),
            _ => (line.as_str(), said_why && index + 2 == lines.len()),
        };
        let cut_short = |line: &str| {
            SENDERS.iter().any(|sender| {
                let due = format!("{sender}: {}", flood_line(sender, next[sender]));
                due.starts_with(line)
            })
        };
        if (last && line.is_empty()) || (before_last_words && cut_short(line)) {
            continue;
        }
        if let Err(wrong) = check_flood_line(line, &SENDERS, &mut next) {
            problem = Some(format!("after {index} lines, {wrong}"));
            break;
        }
    }
    let cut_off = end.is_end();
    eprintln!(
        "note: the client that never read then heard {} lines, {}, then {}",
        lines.len(),
        if said_why {
            "the last \"ERROR too slow\""
        } else {
            "no \"ERROR too slow\""
        },
        end.describe(STEP * 2)
    );
    if problem.is_some() || !cut_off {
        let heard: Vec<String> = next
            .iter()
            .map(|(s, n)| format!("{n} lines of {s}"))
            .collect();
        chat.fail(Problem {
            check: "a client past its bound is cut off, and never silently skips lines".into(),
            did: "snail never read while 10 MiB went by; then the test read what it had been \
                  sent"
                .into(),
            expected: "lines of alice and bob in order with none missing, then (perhaps) \
                       \"ERROR too slow\", then the connection closed"
                .into(),
            got: match problem {
                Some(problem) => problem,
                None => format!(
                    "{} and then {}: still connected",
                    heard.join(" and "),
                    end.describe(STEP * 2)
                ),
            },
            hint: "when a line does not fit in a client's queue, do not drop it and go on: \
                   cut that client off (ERROR too slow, then close), so that it knows."
                .into(),
            section: QUEUE.into(),
        });
    }
}

/// The server's peak memory stays under [`MEMORY_BOUND_MIB`]. Read from `/proc` on Linux;
/// elsewhere this part is skipped, with a note.
fn check_memory(
    chat: &mut Chat,
    before: Option<harness::chat::Memory>,
    after: Option<harness::chat::Memory>,
    took: Duration,
) {
    let (Some(before), Some(after)) = (before, after) else {
        eprintln!("note: the server's memory is not checked here (no /proc on this system)");
        return;
    };
    eprintln!(
        "note: flood of 10 MiB in {:.2} s; server memory: {} KiB before, {} KiB after, \
         {} KiB at its peak",
        took.as_secs_f64(),
        before.resident_kib,
        after.resident_kib,
        after.peak_kib
    );
    if after.peak_kib > MEMORY_BOUND_MIB * 1024 {
        chat.fail(Problem {
            check: "the server's memory stays bounded however clients read".into(),
            did: "a client never read while 10 MiB were sent to the room".into(),
            expected: format!("a peak under {MEMORY_BOUND_MIB} MiB"),
            got: format!(
                "{} MiB at the peak ({} MiB before the flood)",
                after.peak_kib / 1024,
                before.resident_kib / 1024
            ),
            hint: "bound every client's queue (1,000 lines or 1 MiB) and share one copy of \
                   each line between the queues (Arc<str>)."
                .into(),
            section: SLOW_READER.into(),
        });
    }
}
