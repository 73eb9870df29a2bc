//! TODO(2): connecting. The address is used as it was typed (a name, an IPv4 or an IPv6
//! address), and a connection that fails is one clear line and status 1.

use harness::common;
use harness::{FakeServer, Problem, STEP, shown};

use crate::{CONNECTING, LESSON, numbered_replies};

/// An address with a host name that does not resolve is a runtime error (status 1), not a
/// usage error.
#[test]
fn names_that_do_not_resolve_are_a_runtime_error() {
    common::check_unknown_host(
        &LESSON,
        "TcpStream::connect resolves the name itself; its error is a connect error like any \
         other.",
        CONNECTING,
    );
}

/// No server on the port: one line on stderr naming the address and the cause, status 1.
#[test]
fn connection_refused_is_one_line_and_status_1() {
    let address = harness::closed_port().to_string();
    common::check_refused(
        &LESSON,
        &address,
        Problem {
            check: "a failed connection is one clear line and exit status 1".into(),
            did: format!("ran your client with {address}, where nothing listens"),
            expected: format!(
                "one line on stderr such as \"could not connect to {address}: connection refused\", then exit status 1"
            ),
            hint: "do not unwrap() the connect result: turn the error into a line with \
                   netkit::error_line and return it; main exits with 1."
                .into(),
            section: CONNECTING.into(),
            ..Problem::default()
        },
    );
}

/// The address may be a host name or an IPv6 address in brackets.
#[test]
fn connects_by_host_name_and_by_ipv6_address() {
    let mut cases = vec![("127.0.0.1:0", "localhost")];
    if harness::has_ipv6_loopback() {
        cases.push(("[::1]:0", "[::1]"));
    }
    for (listen, host) in cases {
        let server = FakeServer::start_on(listen, numbered_replies());
        let address = format!("{host}:{}", server.address().port());
        let run = harness::run_to_end(&LESSON, &[&address], b"hello\nSTOP\n", STEP);
        if !run.stdout().contains("->: reply 1\n") || run.code() != Some(0) {
            LESSON.fail(
                Problem {
                    check: "host names and [IPv6] addresses work".into(),
                    did: format!("ran your client with {address}, typed \"hello\" and \"STOP\""),
                    expected: "\"->: reply 1\" and exit status 0".into(),
                    got: format!(
                        "the output {} and {}",
                        shown(&run.seen.stdout),
                        run.ending(STEP)
                    ),
                    hint: "pass the argument to TcpStream::connect as it is: it resolves names \
                           and tries every address in turn. A SocketAddr cannot hold a name."
                        .into(),
                    section: CONNECTING.into(),
                },
                &run.seen,
            );
        }
    }
}
