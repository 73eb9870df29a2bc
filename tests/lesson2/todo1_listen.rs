//! TODO(1): listening. The server binds the address it was given, and its first line names
//! the address it really got, before it waits for a client.

use harness::common::{self, Transport};
use harness::{Problem, Running};

use crate::{LESSON, LISTENING, ask, connect};

/// A port already taken by another program: one error line naming it, exit status 1.
#[test]
fn a_port_in_use_is_one_line_and_status_1() {
    common::check_port_in_use(&LESSON, Transport::Tcp, LISTENING);
}

/// `[::1]:0` listens on IPv6 loopback and prints that address.
#[test]
fn the_ipv6_loopback_is_served_when_asked() {
    if !harness::has_ipv6_loopback() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let (mut server, address) = Running::start_server(LESSON, "[::1]:0", LISTENING);
    let mut peer = connect(&mut server, address);
    let reply = ask(&mut server, &mut peer, b"hello\n");
    if !address.is_ipv6() || reply.len() < 20 {
        server.fail(Problem {
            check: "HOST:PORT arguments bind that host".into(),
            did: "started your server with \"[::1]:0\"".into(),
            expected: "\"Listening on [::1]:<port>\" and a reply over IPv6".into(),
            got: format!("the address {address}"),
            hint: "pass the address from netkit::server_argument() to TcpListener::bind.".into(),
            section: LISTENING.into(),
        });
    }
}

/// The first line is `Listening on <ip>:<port>` with the real port, on 127.0.0.1 for a bare
/// port number.
#[test]
fn prints_the_real_address_it_listens_on() {
    common::check_real_address_printed(
        &LESSON,
        "netkit::server_argument() turns \"0\" into \"127.0.0.1:0\"; print \
         listener.local_addr(), not the argument.",
        LISTENING,
    );
}
