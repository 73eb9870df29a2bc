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
//! Then what changes from run to run is made fixed (`capture/normalise.rs`): ports, the
//! initial sequence numbers, and the TCP timestamps.
//!
//! Capturing needs tcpdump and the right to capture (root, or the capture capabilities).
//! Where either is missing (a learner's laptop) the capture sessions are skipped with a
//! note ([`unavailable`]); on CI (`CI` set), which installs tcpdump and runs as root, that
//! is an error instead, so that the captures are always checked there.

use std::ffi::OsString;
use std::net::UdpSocket;
use std::path::PathBuf;

use process::Capture as Outputs;
use process::lifeline::Lifeline;
use process::{Stream, Waited};

use super::STEP;

mod normalise;

use normalise::normalise_capture;

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
