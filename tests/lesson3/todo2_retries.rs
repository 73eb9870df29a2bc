//! TODO(2): `ask` and its retries: 3 tries, 2 s apart, then the client gives up on that
//! message and goes on.

use crate::*;

/// A message that never gets an answer is sent 3 times, 2 s apart; then the client says
/// `no reply from <ip>:<port> after 3 tries` on stderr, prompts again and goes on working.
#[test]
fn gives_up_after_three_tries_and_carries_on() {
    let server = FakeUdpServer::start(|datagram| match datagram.bytes.as_slice() {
        b"lost\n" => Answer::Silence,
        _ => Answer::Reply(b"still here".to_vec()),
    });
    let address = server.address();
    let meter = LoadMeter::start();
    let mut client = Running::start(LESSON, &[&address.to_string()]);
    let _ = client.read_until(">> ", STEP);
    client.type_text(b"lost\n");
    let message = format!("no reply from {address} after {TRIES} tries");
    // A correct client gives up after 3 × 2 s. The deadline leaves room for a slow machine:
    // only a wrong program ever waits this long. The spacing is judged below.
    let budget = REPLY_TIMEOUT * TRIES + STEP * 2;
    let gave_up = client.wait_for_stderr(&message, budget);
    let gave_up_at = Instant::now();
    let received = server.wait_received(STEP, |datagrams| {
        datagrams.iter().filter(|d| d.bytes == b"lost\n").count() >= TRIES as usize
    });
    let tries: Vec<Instant> = received
        .iter()
        .filter(|d| d.bytes == b"lost\n")
        .map(|d| d.at)
        .collect();
    // The client's own spacing: from each try to the next, and from the last to giving up.
    let mut waits: Vec<Duration> = tries.windows(2).map(|w| w[1] - w[0]).collect();
    if let (Ok(_), Some(last)) = (&gave_up, tries.last()) {
        waits.push(gave_up_at.saturating_duration_since(*last));
    }
    let spacing = Window::around(REPLY_TIMEOUT, &meter);
    let spaced = waits.iter().all(|&wait| spacing.contains(wait));
    if gave_up.is_err() || tries.len() != TRIES as usize || !spaced {
        // What the evidence shows: how many tries, or how far apart. One try can also be the
        // wait's fault (TODO(4)), which the tests of `ask` run before that of the wait.
        let running = client.is_running();
        // `talk_to` says so when `ask` gives up, whatever the number of tries.
        let gave_up_at_all = client.stderr().contains("no reply from");
        let (hint, section) = if let Some(hint) = line_not_as_typed(&received, b"lost\n") {
            (hint, DATAGRAM)
        } else {
            match tries.len() {
                0 | 1 if !running => (
                    "your client sent \"lost\" once and ended when its wait ran out. A wait that \
                     runs into the read timeout fails with an error of kind WouldBlock (Linux, \
                     macOS) or TimedOut (Windows): receive_reply must turn both into Ok(None), \
                     \"no reply yet\", on every system (TODO(4))."
                        .to_string(),
                    WAITING,
                ),
                0 | 1 if !gave_up_at_all => (
                    "your client sent \"lost\" once, then neither sent it again nor gave up. \
                     Most likely its wait has no limit: recv() waits for ever unless the socket \
                     has a read timeout of REPLY_TIMEOUT (TODO(4)). Or ask waits again after a \
                     wait that ran out, instead of sending the message again (TODO(2))."
                        .to_string(),
                    WAITING,
                ),
                0 | 1 => (
                    "your client sent \"lost\" once. Each time a wait runs out, ask must send the \
                     same message again, TRIES (3) tries in all, then return Ok(None) (TODO(2))."
                        .to_string(),
                    RETRIES,
                ),
                count if count > TRIES as usize => (
                    format!(
                        "your client sent \"lost\" {count} times: TRIES is the number of tries in \
                         all, the first one included, not the number of tries again (TODO(2))."
                    ),
                    RETRIES,
                ),
                count if count < TRIES as usize => (
                    format!(
                        "your client sent \"lost\" {count} times, then stopped: TRIES (3) tries in \
                         all, each after a wait that ran out (TODO(2))."
                    ),
                    RETRIES,
                ),
                _ if !spaced => (
                    format!(
                        "3 tries, but not {} s apart: each try waits REPLY_TIMEOUT for its reply, \
                         the socket's read timeout (TODO(4)), and the next try follows at once.",
                        REPLY_TIMEOUT.as_secs()
                    ),
                    WAITING,
                ),
                _ => (
                    "after the last try ask returns Ok(None), and talk_to prints the message on \
                     stderr (TODO(2))."
                        .to_string(),
                    RETRIES,
                ),
            }
        };
        client.fail(Problem {
            check: "after 3 unanswered tries the client gives up on that message".into(),
            did: "typed \"lost\"; the server never answers it".into(),
            expected: format!(
                "\"lost\\n\" sent 3 times, a {} s wait after each ({}), then \"{message}\" on \
                 stderr",
                REPLY_TIMEOUT.as_secs(),
                spacing.describe()
            ),
            got: format!(
                "{} \"lost\\n\" datagram(s), then waits of {}; {}{}",
                tries.len(),
                seconds(&waits),
                match gave_up {
                    Ok(_) => "then the message".to_string(),
                    Err(_) => format!("no such message within {:.1} s", budget.as_secs_f64()),
                },
                meter.busy_note()
            ),
            hint,
            section: section.into(),
        });
    }
    // Giving up on one message must not end the conversation.
    let carried_on = client.read_until(">> ", STEP).is_ok()
        && {
            client.type_text(b"hello\n");
            client.read_until("Reply: still here\n", STEP).is_ok()
        }
        && {
            client.type_text(b"STOP\n");
            client.wait_for_exit(STEP).and_then(|status| status.code()) == Some(0)
        };
    if !carried_on {
        client.fail(Problem {
            check: "after giving up on one message the client goes on".into(),
            did: "after the unanswered \"lost\", typed \"hello\" (answered \"still here\") \
                  and then \"STOP\""
                .into(),
            expected: "a new prompt, \"Reply: still here\", then exit status 0".into(),
            got: "something else (see the output below)".into(),
            hint: "giving up on a message is not an error: when no try was answered, ask \
                   returns Ok(None), and talk_to says so on stderr and prompts again \
                   (TODO(2)). An Err from ask ends the client."
                .into(),
            section: RETRIES.into(),
        });
    }
}
