//! Room mode: the demo's port on every address, so that students reach it from their own
//! laptops, and the addresses to give them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};

/// A documentation address (RFC 5737, TEST-NET-1): never in use on any network.
const PROBE: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 9);

/// The address other machines reach this one at, found without sending anything.
///
/// `connect` on a UDP socket sends nothing: it only asks the system which route, and so
/// which of its own addresses, it would use to reach that peer. Asked about a documentation
/// address, which is reached through the default route like any address out there, it
/// answers with the address of the network interface the room's Wi-Fi reaches us on. No
/// address (no network, or no default route) gives an empty list. IPv4 only: room mode
/// listens on `0.0.0.0`, which IPv6 clients do not reach.
pub(super) fn lan_addresses() -> Vec<IpAddr> {
    let found = || {
        let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
        socket.connect(PROBE).ok()?;
        let ip = socket.local_addr().ok()?.ip();
        (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
    };
    found().into_iter().collect()
}

/// The address students connect to: the IPv4 one if there is one (the easiest to type).
pub(super) fn student_address(addresses: &[IpAddr]) -> Option<IpAddr> {
    addresses
        .iter()
        .find(|ip| ip.is_ipv4())
        .or_else(|| addresses.first())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_found_without_sending_and_never_loopback() {
        // Whatever network this machine has (maybe none): never loopback, never 0.0.0.0.
        for ip in lan_addresses() {
            assert!(!ip.is_loopback() && !ip.is_unspecified(), "{ip}");
        }
    }

    #[test]
    fn students_get_the_ipv4_address_first() {
        let v6: IpAddr = "fd00::12".parse().expect("an address");
        let v4: IpAddr = "192.168.1.20".parse().expect("an address");
        assert_eq!(student_address(&[v6, v4]), Some(v4));
        assert_eq!(student_address(&[v6]), Some(v6));
        assert_eq!(student_address(&[]), None);
    }
}
