//! The doctor's checks of the network on this machine itself: a TCP connection and a
//! datagram each way on 127.0.0.1, the same on [::1], and what `localhost` resolves to.
//! Every socket is on loopback and every exchange has a deadline ([`LOOPBACK`]).

use std::io::{Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket,
};
use std::time::Duration;

use super::Finding;
use super::checks::Machine;
use super::system::System;

/// The longest a loopback exchange may take.
const LOOPBACK: Duration = Duration::from_secs(2);

/// A TCP connection on loopback, one byte each way, within [`LOOPBACK`].
fn tcp_round_trip(ip: IpAddr) -> std::io::Result<()> {
    let listener = TcpListener::bind((ip, 0))?;
    let address = listener.local_addr()?;
    let mut client = TcpStream::connect_timeout(&address, LOOPBACK)?;
    let (mut server, _) = listener.accept()?;
    server.set_read_timeout(Some(LOOPBACK))?;
    client.set_read_timeout(Some(LOOPBACK))?;
    client.write_all(b"?")?;
    let mut byte = [0];
    server.read_exact(&mut byte)?;
    server.write_all(b"!")?;
    client.read_exact(&mut byte)?;
    Ok(())
}

/// A datagram each way on loopback.
fn udp_round_trip(ip: IpAddr) -> std::io::Result<()> {
    let server = UdpSocket::bind((ip, 0))?;
    let client = UdpSocket::bind((ip, 0))?;
    server.set_read_timeout(Some(LOOPBACK))?;
    client.set_read_timeout(Some(LOOPBACK))?;
    client.send_to(b"?", server.local_addr()?)?;
    let mut byte = [0];
    let (_, from) = server.recv_from(&mut byte)?;
    server.send_to(b"!", from)?;
    client.recv_from(&mut byte)?;
    Ok(())
}

pub(super) fn loopback(machine: &Machine) -> Finding {
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let failed = match (tcp_round_trip(ip), udp_round_trip(ip)) {
        (Ok(()), Ok(())) => return Finding::ok("loopback: a port binds and answers (TCP, UDP)"),
        (Err(error), _) => format!("TCP: {error}"),
        (_, Err(error)) => format!("UDP: {error}"),
    };
    let fix = match machine.system {
        System::Linux { .. } => {
            "sudo ip link set lo up; then check the firewall (nft list ruleset)"
        }
        _ => "a firewall or security tool blocks local connections: allow them",
    };
    Finding::problem(format!("loopback does not work ({failed})"), fix)
}

pub(super) fn ipv6(machine: &Machine) -> Finding {
    match tcp_round_trip(IpAddr::V6(Ipv6Addr::LOCALHOST)) {
        Ok(()) => Finding::ok("IPv6 loopback [::1] works"),
        Err(_) => Finding::note(
            "IPv6 loopback [::1]: none here; the [::1] tests skip",
            match machine.system {
                System::Linux { .. } => "sudo sysctl -w net.ipv6.conf.lo.disable_ipv6=0",
                _ => "turn IPv6 on in the network settings",
            },
        ),
    }
}

pub(super) fn localhost() -> Finding {
    let addresses: Vec<SocketAddr> = match ("localhost", 0).to_socket_addrs() {
        Ok(addresses) => addresses.collect(),
        Err(error) => {
            return Finding::problem(
                format!("`localhost` does not resolve ({error})"),
                "add `127.0.0.1 localhost` to the hosts file",
            );
        }
    };
    let shown: Vec<String> = addresses.iter().map(|a| a.ip().to_string()).collect();
    match addresses.first() {
        Some(first) if first.is_ipv6() => Finding::note(
            format!("`localhost` is {} first", shown.join(", then ")),
            "a server given localhost:1234 listens on IPv6 only: \
             give 127.0.0.1:1234 (Troubleshooting, localhost)",
        ),
        Some(_) => Finding::ok(format!("`localhost` is {}", shown.join(", then "))),
        None => Finding::problem(
            "`localhost` resolves to nothing",
            "add `127.0.0.1 localhost` to the hosts file",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_answers_here() {
        tcp_round_trip(IpAddr::V4(Ipv4Addr::LOCALHOST)).expect("TCP over loopback");
        udp_round_trip(IpAddr::V4(Ipv4Addr::LOCALHOST)).expect("UDP over loopback");
    }
}
