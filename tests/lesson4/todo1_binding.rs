//! TODO(1): the bound socket and its `Listening on` line; a port in use.

use crate::*;

/// The first line is `Listening on <ip>:<port>` with the real port, on 127.0.0.1 for a bare
/// port number.
#[test]
fn prints_the_real_address_it_listens_on() {
    common::check_real_address_printed(
        &LESSON,
        "netkit::server_argument() turns \"0\" into \"127.0.0.1:0\"; print \
         socket.local_addr(), not the argument.",
        BINDING,
    );
}

/// `[::1]:0` listens on IPv6 loopback and prints that address.
#[test]
fn listens_on_ipv6_when_asked() {
    if !harness::has_ipv6_loopback() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let (mut server, address) = Running::start_server(LESSON, "[::1]:0", BINDING);
    if !address.is_ipv6() {
        server.fail(Problem {
            check: "HOST:PORT arguments bind that host".into(),
            did: "started your server with \"[::1]:0\"".into(),
            expected: "\"Listening on [::1]:<port>\"".into(),
            got: format!("the address {address}"),
            hint: "pass the address from netkit::server_argument() to UdpSocket::bind.".into(),
            section: BINDING.into(),
        });
    }
    let peer = peer(&mut server, address);
    ask(&mut server, &peer, b"hello over IPv6\n");
}

/// A port already taken by another program: one error line naming it, exit status 1.
#[test]
fn a_port_in_use_is_one_line_and_status_1() {
    common::check_port_in_use(&LESSON, Transport::Udp, BINDING);
}
