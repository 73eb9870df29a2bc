//! Packet captures: what crosses the loopback interface while a session plays, as `tcpdump`
//! prints it, for the chapter "Watching the wire" (`book/src/wire.md`).
//!
//! A capture is started once the server has printed its listening line (port 0, so the port
//! is only known then), with a filter for that port alone: other programs on this machine
//! use the loopback interface too. Whether it has really started, and whether it has caught
//! everything, is told by a *marker*: a datagram that a socket of ours sends to itself, which
//! the filter lets through too. The first marker seen means the capture is live; once the
//! second is seen, every packet sent before it has been printed. Markers are not shown.
//!
//! tcpdump is run as `tcpdump -i lo -n -t -l --immediate-mode FILTER`, behind a lifeline
//! (`process::lifeline`), so that it never outlives us, and is ended by dropping it. The
//! screen shows the command a reader types, `sudo tcpdump -i lo -n -t 'tcp port 1234'`:
//! `-l` and `--immediate-mode` (print each packet at once) and the marker are plumbing.
//!
//! Then what changes from run to run is made fixed ([`normalise_capture`]): ports, the
//! initial sequence numbers, and the TCP timestamps.
//!
//! Capturing needs tcpdump and the right to capture (root, or the capture capabilities).
//! Where either is missing (a learner's laptop) the capture sessions are skipped with a
//! note ([`unavailable`]); on CI (`CI` set), which installs tcpdump and runs as root, that
//! is an error instead, so that the captures are always checked there.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::UdpSocket;
use std::path::PathBuf;

use process::Capture as Outputs;
use process::lifeline::Lifeline;
use process::{Stream, Waited};

use super::{SHOWN_PORT, STEP};

/// Each port the system picked for a client is shown as the next of these, in the order
/// the capture meets them (the chat transcripts of lesson 8 show the same ones).
const SHOWN_CLIENT_PORTS: [u16; 3] = [50312, 50318, 50324];

/// The initial sequence number of each SYN, in the order they come.
const SHOWN_ISNS: [u64; 4] = [3054198561, 1417592003, 2758430912, 907215644];

/// The TCP timestamp clock of each end, in the order they first send.
const SHOWN_CLOCKS: [u64; 4] = [2715408012, 1093281734, 3382019645, 551720388];

/// What a capture lets through besides the markers.
pub enum Filter {
    /// `tcp port P`: both directions of every connection to the server.
    Tcp,
    /// `udp port P or icmp`: the datagrams, and the ICMP errors about that port (the
    /// filter that runs picks out port-unreachable messages about P alone).
    Udp,
}

/// A running capture of one server port.
pub struct Tcpdump {
    tcpdump: Lifeline,
    marker: UdpSocket,
    marker_line: String,
    port: u16,
    screen: String,
    /// What [`Tcpdump::wait_for`] has read so far.
    packets: String,
}

impl Tcpdump {
    /// Starts capturing packets to and from `port`, and returns once the capture is live.
    pub fn start(port: u16, filter: Filter) -> Result<Tcpdump, String> {
        let marker = UdpSocket::bind("127.0.0.1:0")
            .map_err(|err| format!("capture: could not bind the marker socket: {err}"))?;
        let marker_port = marker
            .local_addr()
            .map_err(|err| format!("capture: {err}"))?
            .port();
        let (real, shown) = match filter {
            Filter::Tcp => (format!("tcp port {port}"), "tcp port 1234"),
            Filter::Udp => (
                // ICMP type 3 (unreachable); the datagram it is about starts 8 bytes in,
                // after 20 of IP header and 2 of UDP source port comes its destination.
                format!("udp port {port} or (icmp and icmp[0] = 3 and icmp[30:2] = {port})"),
                "udp port 1234 or icmp",
            ),
        };
        let filter =
            format!("({real}) or (udp and src port {marker_port} and dst port {marker_port})");
        let program = tcpdump_path().ok_or("tcpdump is not installed")?;
        let args: Vec<OsString> = ["-i", "lo", "-n", "-t", "-l", "--immediate-mode", &filter]
            .iter()
            .map(OsString::from)
            .collect();
        let tcpdump = Lifeline::start(&program.into_os_string(), &args, Outputs::ALL)
            .map_err(|err| format!("could not start tcpdump: {err}"))?;
        let mut capture = Tcpdump {
            tcpdump,
            marker,
            marker_line: format!("IP 127.0.0.1.{marker_port} > 127.0.0.1.{marker_port}: UDP"),
            port,
            screen: format!("$ sudo tcpdump -i lo -n -t '{shown}'\n"),
            packets: String::new(),
        };
        // tcpdump says on stderr what it captures once it has started (and why not if not).
        let header = capture.read(Stream::Err, "listening on ")?;
        let header = header + &capture.read(Stream::Err, "\n")?;
        capture.screen.push_str(&header);
        capture.mark()?;
        Ok(capture)
    }

    /// Sends a marker and waits until tcpdump has printed it; returns what it printed before.
    fn mark(&mut self) -> Result<String, String> {
        self.marker
            .send_to(
                b"mark",
                self.marker.local_addr().map_err(|e| e.to_string())?,
            )
            .map_err(|err| format!("capture: could not send a marker: {err}"))?;
        let line = self.marker_line.clone();
        let printed = self.read(Stream::Out, &line)?;
        self.read(Stream::Out, "\n")?;
        Ok(printed[..printed.len() - line.len()].to_string())
    }

    fn read(&mut self, stream: Stream, text: &str) -> Result<String, String> {
        match self
            .tcpdump
            .spawned()
            .read_until(stream, text.as_bytes(), STEP)
        {
            Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
            Err(waited) => {
                let why = match waited {
                    Waited::Ended => "it ended",
                    Waited::TimedOut => "nothing came in time",
                };
                let err = self.tcpdump.spawned().take_unread(Stream::Err);
                Err(format!(
                    "tcpdump did not print {text:?} on its {stream} ({why}): {}",
                    String::from_utf8_lossy(&err).trim()
                ))
            }
        }
    }

    /// Waits until tcpdump has printed `text`, such as a packet that another system sends
    /// in its own time (a reset), which the session cannot wait for otherwise.
    pub fn wait_for(&mut self, text: &str) -> Result<(), String> {
        let printed = self.read(Stream::Out, text)?;
        self.packets.push_str(&printed);
        Ok(())
    }

    /// Waits until every packet sent so far is printed, stops tcpdump, and returns its screen,
    /// normalised.
    pub fn finish(mut self) -> Result<String, String> {
        let packets = std::mem::take(&mut self.packets) + &self.mark()?;
        Ok(format!(
            "{}{}",
            self.screen,
            normalise_capture(&packets, self.port)
        ))
        // Dropping the lifeline kills tcpdump.
    }
}

/// Whether the capture sessions can play here. If not, says why in a note and returns
/// false; on CI (`CI` set), which installs tcpdump and runs as root, that is an error.
pub fn can_capture() -> Result<bool, String> {
    let Some(why) = unavailable() else {
        return Ok(true);
    };
    if std::env::var_os("CI").is_some() {
        return Err(format!(
            "cannot capture packets on CI, where .ci/run installs tcpdump: {why}"
        ));
    }
    println!(
        "transcripts: skipped the packet captures (book/src/wire.md): {why}; they need \
         tcpdump and the right to capture (root); the committed files are kept as they are"
    );
    Ok(false)
}

/// Why captures cannot be made on this machine, if they cannot: tcpdump is missing, or
/// may not capture (not root). Tried by starting a real capture of a port nothing uses.
fn unavailable() -> Option<String> {
    if tcpdump_path().is_none() {
        return Some("tcpdump is not installed".to_string());
    }
    match process::ports::unused_udp() {
        Ok(port) => Tcpdump::start(port, Filter::Udp).err(),
        Err(err) => Some(format!("no free UDP port to try a capture on: {err}")),
    }
}

/// `tcpdump` on the `PATH`, or in the `sbin` folders that a user's `PATH` often lacks; or
/// the program `TCPDUMP` names (`TCPDUMP=none` plays the sessions as a machine without it).
fn tcpdump_path() -> Option<PathBuf> {
    if let Some(program) = std::env::var_os("TCPDUMP") {
        return Some(PathBuf::from(program)).filter(|program| program.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|dir| dir.join("tcpdump"))
        .find(|candidate| candidate.is_file())
}

// ---------------------------------------------------------------------------------------
// Making a capture repeatable

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
