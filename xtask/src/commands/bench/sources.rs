//! Source addresses: spreading many connections over 127.0.0.1, 127.0.0.2, ...
//!
//! Every connection from one address to the server's one address needs a local port of its
//! own on the bench's side, taken from the range the system hands out
//! (`net.ipv4.ip_local_port_range`, 32768 to 60999 by default on Linux: 28,232 ports). So
//! from 127.0.0.1 alone, `--hold 100000` stops near 28,000. On Linux the whole of
//! 127.0.0.0/8 is loopback, and each source address has a port range of its own: the bench
//! binds each client socket to `(127.0.0.k, port 0)` before connecting it, as many addresses
//! as the connections need (100 ports of each range kept spare), taken in turn. The standard library cannot bind a client socket
//! before connecting it, hence the socket2 crate here.
//!
//! macOS sets up only 127.0.0.1 unless more are added (`ifconfig lo0 alias 127.0.0.2`), so
//! the bench spreads on Linux only; elsewhere it connects from 127.0.0.1 and says so in a
//! note when the connections outnumber the ports.
//!
//! A port bound this way stays taken on its address while its connection sits in TIME_WAIT
//! (a minute after the bench closes it). So runs one after the other in one bench
//! (`--compare`) each take fresh addresses, and a second bench started within a minute of
//! a first one finds fewer ports free on the same addresses.

use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

/// The most source addresses: 127.0.0.1 to 127.0.0.254.
const MOST: usize = 254;
/// Local ports when the range cannot be read (not Linux, or no /proc).
const FALLBACK_PORTS: u64 = 28_000;
/// Ports left free on each address for the bench's other connections (the one that asks
/// once all are closed).
const SPARE_PORTS: u64 = 100;

/// The first address (127.0.0.(1 + this)) of the next spread run in this process.
static NEXT_FIRST: AtomicUsize = AtomicUsize::new(0);

// Deciding

/// Where the connections of one run come from.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Sources {
    /// Empty: the system picks (127.0.0.1 toward a server on 127.0.0.1).
    addresses: Vec<Ipv4Addr>,
}

impl Sources {
    /// The source of connection `index`: the addresses in turn.
    pub(crate) fn of(&self, index: usize) -> Option<IpAddr> {
        (!self.addresses.is_empty())
            .then(|| IpAddr::V4(self.addresses[index % self.addresses.len()]))
    }

    /// The line saying where the connections come from, when from more than one address.
    pub(crate) fn line(&self, connections: usize) -> Option<String> {
        let (first, last) = (self.addresses.first()?, self.addresses.last()?);
        Some(format!(
            "  from {} source addresses, {first} to {last} ({} connections each at most)",
            self.addresses.len(),
            connections.div_ceil(self.addresses.len())
        ))
    }
}

/// What one run does: its sources, and a note to print first if any.
#[derive(Debug, PartialEq)]
pub(crate) struct Plan {
    pub(crate) sources: Sources,
    pub(crate) note: Option<String>,
}

/// The sources of `connections` to `server`; `forced`: `--sources N`. Takes fresh addresses
/// for each spread run of this process (see the top of this file).
pub(crate) fn plan(
    server: SocketAddr,
    connections: usize,
    forced: Option<usize>,
) -> Result<Plan, String> {
    let first = NEXT_FIRST.load(Ordering::Relaxed);
    let linux = cfg!(target_os = "linux");
    let plan = decide(
        server.ip(),
        connections,
        forced,
        local_ports(),
        linux,
        first,
    )?;
    let used = plan.sources.addresses.len();
    if used > 1 {
        NEXT_FIRST.store((first + used) % MOST, Ordering::Relaxed);
    }
    Ok(plan)
}

/// How many source addresses `connections` need with `ports` local ports on each, some kept
/// spare: at least one, at most [`MOST`].
fn needed(connections: usize, ports: u64) -> usize {
    let usable = ports.saturating_sub(SPARE_PORTS).max(1);
    (connections as u64).div_ceil(usable).clamp(1, MOST as u64) as usize
}

/// [`plan`] with the system's facts given: the local ports per address (`None`: unknown),
/// whether this is Linux, and the first address's offset (0 for 127.0.0.1).
fn decide(
    server: IpAddr,
    connections: usize,
    forced: Option<usize>,
    ports: Option<u64>,
    linux: bool,
    first: usize,
) -> Result<Plan, String> {
    let count = forced.unwrap_or_else(|| needed(connections, ports.unwrap_or(FALLBACK_PORTS)));
    let wanted = count.min(connections).clamp(1, MOST);
    let one = |note| Plan {
        sources: Sources::default(),
        note,
    };
    let IpAddr::V4(server) = server else {
        if forced.is_some_and(|n| n > 1) {
            return Err(format!(
                "--sources spreads over 127.0.0.x: the server must be on IPv4 loopback, \
                 not {server}"
            ));
        }
        return Ok(one(port_note(connections, ports)));
    };
    if !server.is_loopback() || wanted == 1 {
        return Ok(one(port_note(connections, ports)));
    }
    if !linux {
        let note = format!(
            "bench: note: {connections} connections from 127.0.0.1 alone may run out of ports \
             (127.0.0.x: Linux only)"
        );
        return Ok(one(Some(note)));
    }
    // Wrap around before 127.0.0.255, keeping this run's addresses together.
    let first = if first + wanted > MOST { 0 } else { first };
    let addresses = (first..first + wanted)
        .map(|k| Ipv4Addr::new(127, 0, 0, (k + 1) as u8))
        .collect();
    Ok(Plan {
        sources: Sources { addresses },
        note: None,
    })
}

/// A note when `connections` from one address outnumber its `ports` (when known).
pub(crate) fn port_note(connections: usize, ports: Option<u64>) -> Option<String> {
    let ports = ports?;
    (connections as u64 > ports).then(|| {
        format!(
            "bench: note: {connections} connections from one address, {ports} local ports \
             (net.ipv4.ip_local_port_range)"
        )
    })
}

// Facts and connecting

/// Local ports per source address: the size of the range the system hands out, from
/// `/proc` (Linux only).
pub(crate) fn local_ports() -> Option<u64> {
    fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| range_size(&text))
}

/// `32768\t60999` → 28232.
fn range_size(text: &str) -> Option<u64> {
    let mut numbers = text.split_whitespace().map(|word| word.parse::<u64>().ok());
    let (low, high) = (numbers.next()??, numbers.next()??);
    Some((high + 1).saturating_sub(low))
}

/// Connects to `server` from `source` (port 0: the system picks one free on that address).
pub(crate) fn connect_from(
    source: IpAddr,
    server: SocketAddr,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let socket = Socket::new(
        Domain::for_address(server),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.bind(&SocketAddr::new(source, 0).into())?;
    socket.connect_timeout(&server.into(), timeout)?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const DEFAULT: u64 = 28_232;
    const KNOWN: Option<u64> = Some(DEFAULT);

    fn addresses(plan: &Plan) -> Vec<String> {
        plan.sources
            .addresses
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn connections_beyond_one_port_range_take_more_addresses() {
        assert_eq!(range_size("32768\t60999\n"), Some(DEFAULT));
        assert_eq!(range_size("1024 65535"), Some(64_512));
        assert_eq!(range_size("nonsense"), None);
        assert_eq!(needed(1, DEFAULT), 1);
        assert_eq!(needed(28_000, DEFAULT), 1);
        assert_eq!(needed(28_232, DEFAULT), 2, "some ports stay spare");
        assert_eq!(needed(100_000, DEFAULT), 4);
        assert_eq!(needed(100_000, FALLBACK_PORTS), 4);
        assert_eq!(needed(100_000_000, DEFAULT), MOST);

        let small = decide(LOOPBACK, 3000, None, KNOWN, true, 0).expect("plans");
        assert_eq!(
            small,
            Plan {
                sources: Sources::default(),
                note: None
            }
        );
        assert_eq!(small.sources.of(7), None);
        assert_eq!(small.sources.line(3000), None);

        let large = decide(LOOPBACK, 100_000, None, KNOWN, true, 0).expect("plans");
        assert_eq!(
            addresses(&large),
            ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]
        );
        assert_eq!(large.note, None);
        // In turn: connection 5 from the second address.
        assert_eq!(
            large.sources.of(5),
            Some("127.0.0.2".parse().expect("an address"))
        );
        assert_eq!(
            large.sources.line(100_000).as_deref(),
            Some(
                "  from 4 source addresses, 127.0.0.1 to 127.0.0.4 (25000 connections each at most)"
            )
        );
    }

    #[test]
    fn sources_can_be_forced_and_follow_the_system() {
        let forced = decide(LOOPBACK, 3000, Some(3), KNOWN, true, 0).expect("plans");
        assert_eq!(addresses(&forced), ["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
        // Never more addresses than connections; a later run takes fresh ones, wrapping
        // around before 127.0.0.255.
        let two = decide(LOOPBACK, 2, Some(3), KNOWN, true, 3).expect("plans");
        assert_eq!(addresses(&two), ["127.0.0.4", "127.0.0.5"]);
        let wrapped = decide(LOOPBACK, 3000, Some(3), KNOWN, true, 253).expect("plans");
        assert_eq!(addresses(&wrapped), ["127.0.0.1", "127.0.0.2", "127.0.0.3"]);
        // Elsewhere than Linux: 127.0.0.1, and a note.
        let mac = decide(LOOPBACK, 1_000_000, None, None, false, 0).expect("plans");
        assert_eq!(mac.sources, Sources::default());
        assert!(
            mac.note
                .as_deref()
                .is_some_and(|n| n.contains("Linux only"))
        );
        let few = decide(LOOPBACK, 3000, None, None, false, 0).expect("plans");
        assert_eq!(few.note, None);
        // IPv6 loopback has one address: a note, or an error when asked to spread.
        let v6 = IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);
        let one = decide(v6, 1_000_000, None, KNOWN, true, 0).expect("plans");
        assert_eq!(one.sources, Sources::default());
        assert_eq!(
            one.note.as_deref(),
            Some(
                "bench: note: 1000000 connections from one address, 28232 local ports \
                  (net.ipv4.ip_local_port_range)"
            )
        );
        assert!(decide(v6, 10, Some(2), KNOWN, true, 0).is_err());
        for note in [one.note, mac.note] {
            assert!(note.is_some_and(|note| note.chars().count() <= super::super::WIDTH));
        }
    }
}
