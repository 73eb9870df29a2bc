//! Making a capture repeatable: tcpdump prints what changes on every run (the ports the
//! system picked, each connection's initial sequence numbers, each end's TCP timestamp
//! clock), and each becomes a fixed value, given out in the order the values come, so that
//! `wire.md`'s transcripts change only when the packets do.

use std::collections::BTreeMap;

use super::super::SHOWN_PORT;

/// Each port the system picked for a client is shown as the next of these, in the order
/// the capture meets them (the chat transcripts of lesson 8 show the same ones).
const SHOWN_CLIENT_PORTS: [u16; 3] = [50312, 50318, 50324];

/// The initial sequence number of each SYN, in the order they come.
const SHOWN_ISNS: [u64; 4] = [3054198561, 1417592003, 2758430912, 907215644];

/// The TCP timestamp clock of each end, in the order they first send.
const SHOWN_CLOCKS: [u64; 4] = [2715408012, 1093281734, 3382019645, 551720388];

/// Makes fixed what differs between two captures of the same session: each client port
/// (the server's `port` becomes [`SHOWN_PORT`], the others [`SHOWN_CLIENT_PORTS`] in order),
/// each initial sequence number (in a SYN, and as `ack ISN+1`) and the timestamps of each
/// end (`TS val`, and the peer's echo of it in `ecr`).
pub fn normalise_capture(text: &str, port: u16) -> String {
    let mut ports = Shown::new(SHOWN_CLIENT_PORTS.iter().map(|&p| u64::from(p)).collect());
    ports.known.insert(u64::from(port), u64::from(SHOWN_PORT));
    let mut isns = Shown::new(SHOWN_ISNS.to_vec());
    let mut clocks = Shown::new(SHOWN_CLOCKS.to_vec());
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let (from, to) = ends(line);
        let from_shown = from.map(|p| clocks.show(p));
        let to_shown = to.map(|p| clocks.show(p));
        let is_syn = line.contains("Flags [S");
        let mut shown = String::with_capacity(line.len());
        let mut rest = line;
        while let Some((before, word, number, after)) = next_number(rest) {
            shown.push_str(before);
            shown.push_str(word);
            let value = match word {
                "127.0.0.1." | "udp port " => ports.show(number),
                "seq " if is_syn => isns.show(number),
                "seq " | "ack " => isns.shown_successor(number).unwrap_or(number),
                "TS val " => from_shown.unwrap_or(number),
                "ecr " if number != 0 => to_shown.unwrap_or(number),
                _ => number,
            };
            shown.push_str(&value.to_string());
            rest = after;
        }
        shown.push_str(rest);
        out.push_str(&shown);
        out.push('\n');
    }
    out
}

/// The ports of a packet's two ends, `127.0.0.1.A > 127.0.0.1.B:`.
fn ends(line: &str) -> (Option<u64>, Option<u64>) {
    // `127.0.0.1.38794`: an address and a port. An ICMP line has addresses alone.
    let port = |part: &str| {
        let part = part.trim_end_matches(':');
        if part.matches('.').count() != 4 {
            return None;
        }
        part.rsplit('.').next().and_then(|p| p.parse().ok())
    };
    let mut words = line.split(' ');
    let from = words.nth(1).and_then(port);
    let to = words.nth(1).and_then(port);
    (from, to)
}

/// The next number in `text` that follows one of the words whose numbers vary:
/// `(text before the word, the word, the number, the text after it)`.
fn next_number(text: &str) -> Option<(&str, &'static str, u64, &str)> {
    const WORDS: [&str; 5] = ["127.0.0.1.", "udp port ", "seq ", "ack ", "TS val "];
    const ECR: &str = "ecr ";
    let mut best: Option<(usize, &'static str)> = None;
    for word in WORDS.into_iter().chain([ECR]) {
        let mut from = 0;
        while let Some(at) = text[from..].find(word).map(|at| at + from) {
            let digits = text[at + word.len()..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            if digits > 0 {
                if best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, word));
                }
                break;
            }
            from = at + word.len();
        }
    }
    let (at, word) = best?;
    let start = at + word.len();
    let digits = text[start..].bytes().take_while(u8::is_ascii_digit).count();
    let number = text[start..start + digits].parse().ok()?;
    Some((&text[..at], word, number, &text[start + digits..]))
}

/// Real values and the values shown for them, given out in the order the values come.
struct Shown {
    known: BTreeMap<u64, u64>,
    next: Vec<u64>,
}

impl Shown {
    fn new(mut shown: Vec<u64>) -> Shown {
        shown.reverse();
        Shown {
            known: BTreeMap::new(),
            next: shown,
        }
    }

    fn show(&mut self, real: u64) -> u64 {
        if let Some(&shown) = self.known.get(&real) {
            return shown;
        }
        // More values than shown ones: the real ones are shown, and the check will say so.
        let shown = self.next.pop().unwrap_or(real);
        self.known.insert(real, shown);
        shown
    }

    /// A sequence number counted from a known initial one (`ack ISN+1`, or the `seq` of a
    /// reset, which tcpdump prints whole): the same distance from the shown one. tcpdump
    /// prints the others relative to the start (`seq 1:8`, `ack 22`): small numbers, which
    /// stay as they are.
    fn shown_successor(&self, real: u64) -> Option<u64> {
        const FAR: u64 = 1 << 20;
        if real < FAR {
            return None;
        }
        self.known.iter().find_map(|(&isn, &shown)| {
            let distance = real.wrapping_sub(isn) & u64::from(u32::MAX);
            (distance < FAR).then_some((shown + distance) & u64::from(u32::MAX))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_sequence_numbers_and_clocks_become_the_shown_ones() {
        let captured = "\
IP 127.0.0.1.38794 > 127.0.0.1.38337: Flags [S], seq 1053765673, win 65495, options [mss 65495,sackOK,TS val 3470709437 ecr 0,nop,wscale 10], length 0
IP 127.0.0.1.38337 > 127.0.0.1.38794: Flags [S.], seq 3650626550, ack 1053765674, win 65483, options [mss 65495,sackOK,TS val 3437992278 ecr 3470709437,nop,wscale 10], length 0
IP 127.0.0.1.38794 > 127.0.0.1.38337: Flags [P.], seq 1:8, ack 1, win 64, options [nop,nop,TS val 3470709438 ecr 3437992278], length 7
IP 127.0.0.1.38337 > 127.0.0.1.38794: Flags [R], seq 3650626572, win 0, length 0
IP 127.0.0.1 > 127.0.0.1: ICMP 127.0.0.1 udp port 38337 unreachable, length 42
";
        let shown = normalise_capture(captured, 38337);
        assert_eq!(
            shown,
            "\
IP 127.0.0.1.50312 > 127.0.0.1.1234: Flags [S], seq 3054198561, win 65495, options [mss 65495,sackOK,TS val 2715408012 ecr 0,nop,wscale 10], length 0
IP 127.0.0.1.1234 > 127.0.0.1.50312: Flags [S.], seq 1417592003, ack 3054198562, win 65483, options [mss 65495,sackOK,TS val 1093281734 ecr 2715408012,nop,wscale 10], length 0
IP 127.0.0.1.50312 > 127.0.0.1.1234: Flags [P.], seq 1:8, ack 1, win 64, options [nop,nop,TS val 2715408012 ecr 1093281734], length 7
IP 127.0.0.1.1234 > 127.0.0.1.50312: Flags [R], seq 1417592025, win 0, length 0
IP 127.0.0.1 > 127.0.0.1: ICMP 127.0.0.1 udp port 1234 unreachable, length 42
"
        );
    }
}
