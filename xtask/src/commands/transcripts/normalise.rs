//! Making a run repeatable: what differs from one run of a session to the next (the time,
//! the ports the system picked, the lesson 4 server's random numbers) becomes fixed, so a
//! transcript changes only when the programs do.

use super::SHOWN_TIME;

/// Replaces what differs between runs: every RFC 3339 time becomes [`SHOWN_TIME`], and each
/// `:PORT` in `ports` becomes `:SHOWN` (only whole port numbers after a colon).
pub fn normalise(text: &str, ports: &[(u16, u16)]) -> String {
    let mut out = replace_times(text);
    for (real, shown) in ports {
        out = replace_port(&out, *real, *shown);
    }
    out
}

/// `2026-11-28T01:18:02+01:00` and `2026-11-28T00:18:02Z`, as the time server prints them.
fn replace_times(text: &str) -> String {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    let bytes = text.as_bytes();
    let matches_shape = |at: usize, shape: &[u8]| {
        bytes.len() >= at + shape.len()
            && shape.iter().enumerate().all(|(i, want)| match want {
                b'd' => bytes[at + i].is_ascii_digit(),
                other => bytes[at + i] == *other,
            })
    };
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut copied_to = 0;
    while at < bytes.len() {
        if matches_shape(at, SHAPE) {
            let zone = at + SHAPE.len();
            let zone_length = if bytes.get(zone) == Some(&b'Z') {
                Some(1)
            } else if matches!(bytes.get(zone), Some(b'+' | b'-'))
                && matches_shape(zone + 1, b"dd:dd")
            {
                Some(6)
            } else {
                None
            };
            if let Some(length) = zone_length {
                out.push_str(&text[copied_to..at]);
                out.push_str(SHOWN_TIME);
                at = zone + length;
                copied_to = at;
                continue;
            }
        }
        at += 1;
    }
    out.push_str(&text[copied_to..]);
    out
}

/// Random numbers: in each line that starts with `prefix` and goes on with digits only, the
/// digits become the next of `shown` (the last one is repeated if there are more lines).
pub fn replace_numbers(text: &str, prefix: &str, shown: &[&str]) -> String {
    let mut next = 0;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        match body.strip_prefix(prefix) {
            Some(number)
                if !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit()) =>
            {
                let value = shown[next.min(shown.len() - 1)];
                next += 1;
                out.push_str(prefix);
                out.push_str(value);
                out.push_str(&line[body.len()..]);
            }
            _ => out.push_str(line),
        }
    }
    out
}

fn replace_port(text: &str, real: u16, shown: u16) -> String {
    let needle = format!(":{real}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        let after = &rest[at + needle.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(&needle);
        } else {
            out.push_str(&format!(":{shown}"));
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_both_zone_forms_become_the_shown_time() {
        let text = "->: 2026-03-01T23:59:07+05:30\n->: 2026-03-01T18:29:07Z\n-> 2026-03-01\n";
        assert_eq!(
            replace_times(text),
            format!("->: {SHOWN_TIME}\n->: {SHOWN_TIME}\n-> 2026-03-01\n")
        );
    }

    #[test]
    fn only_whole_ports_after_a_colon_are_replaced() {
        let text = "Listening on 127.0.0.1:4123\nport 4123 and :41230 stay\n";
        assert_eq!(
            replace_port(text, 4123, 1234),
            "Listening on 127.0.0.1:1234\nport 4123 and :41230 stay\n"
        );
    }

    #[test]
    fn random_numbers_become_the_shown_ones_in_order() {
        let text = "-> hello\ndata: 17\n-> again\ndata: 999\ndata: x1\nReply: 5\n";
        assert_eq!(
            replace_numbers(text, "data: ", &["464", "942"]),
            "-> hello\ndata: 464\n-> again\ndata: 942\ndata: x1\nReply: 5\n"
        );
    }
}
