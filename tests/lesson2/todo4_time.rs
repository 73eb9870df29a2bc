//! TODO(4): the reply. The current local time in RFC 3339, to the second, as one line.

use chrono::{DateTime, FixedOffset, Local};
use harness::{Problem, shown};

use crate::{TIME, ask, connect, line_text, start_server};

/// `YYYY-MM-DDTHH:MM:SS` then `Z` or `+HH:MM` / `-HH:MM`: RFC 3339 at seconds precision.
/// RFC 3339 lets `T` and `Z` be written in lower case too, and `-00:00` is its way to say
/// "UTC, local offset unknown": all valid.
fn is_rfc3339_in_seconds(text: &str) -> bool {
    let shape = |pattern: &str, text: &str| {
        pattern.len() == text.len()
            && pattern.bytes().zip(text.bytes()).all(|(p, t)| match p {
                b'9' => t.is_ascii_digit(),
                b'+' => t == b'+' || t == b'-',
                b'T' | b'Z' => t.eq_ignore_ascii_case(&p),
                _ => p == t,
            })
    };
    match text.get(19..) {
        Some("Z" | "z") => shape("9999-99-99T99:99:99Z", text),
        Some(_) => shape("9999-99-99T99:99:99+99:99", text),
        None => false,
    }
}

/// What the reply's text shows about the mistake: the format, the precision, the clock read
/// too early, or the offset.
fn time_hint(
    text: &str,
    parsed: Option<DateTime<FixedOffset>>,
    before: i64,
    local_offset: i32,
) -> String {
    let hint = match parsed {
        None if DateTime::parse_from_rfc3339(text).is_ok() => {
            "the time has fractions of a second: RFC 3339 to the whole second, \
             2026-11-28T10:15:00+01:00 (chrono chooses the digits with SecondsFormat)."
        }
        None => {
            "that is not RFC 3339: the date, T, the time to the second, then the offset, \
             2026-11-28T10:15:00+01:00 (or Z for UTC). chrono's to_rfc3339_opts writes it."
        }
        Some(time) if time.timestamp() < before => {
            "the time is older than the request: read the clock for each reply, in send_time, \
             not once at start-up."
        }
        Some(time) if time.offset().local_minus_utc() != local_offset => {
            "the offset is not this machine's: the local time (chrono::Local), not UTC."
        }
        Some(_) => "the current local time, read for each reply.",
    };
    hint.to_string()
}

/// A line gets the current local time in RFC 3339 at seconds precision, and a newline.
#[test]
fn replies_with_the_current_time_in_rfc3339() {
    let (mut server, address) = start_server();
    let mut peer = connect(&mut server, address);
    // The server reads its clock between these two moments: the reply must say so, in whole
    // seconds (cut, or rounded up). No other margin: a slow machine only widens the window.
    let before = Local::now();
    let reply = ask(&mut server, &mut peer, b"hello\n");
    let after = Local::now();
    let text = line_text(&reply);
    let parsed: Option<DateTime<FixedOffset>> = is_rfc3339_in_seconds(&text)
        .then(|| DateTime::parse_from_rfc3339(&text).ok())
        .flatten();
    let current = parsed.is_some_and(|time| {
        (before.timestamp()..=after.timestamp() + 1).contains(&time.timestamp())
            && time.offset().local_minus_utc() == after.offset().local_minus_utc()
    });
    if !current {
        server.fail(Problem {
            check: "the reply is the current local time in RFC 3339, in whole seconds".into(),
            did: "sent \"hello\\n\"".into(),
            expected: format!(
                "a line like \"{}\\n\": the time between sending and receiving (from {} to {}), \
                 with the local offset",
                after.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                before.format("%H:%M:%S"),
                after.format("%H:%M:%S")
            ),
            got: shown(&reply),
            hint: time_hint(
                &text,
                parsed,
                before.timestamp(),
                after.offset().local_minus_utc(),
            ),
            section: TIME.into(),
        });
    }
}
