//! "Going further": the chapter's extension exercises. These tests are off by default, as
//! the lesson's program does not do this yet; run them with
//! `cargo test -p lesson4 -- --ignored` once you have tried an exercise.

use crate::*;

/// Sends one datagram and returns the datagram that comes back, or fails the test.
fn exchange(server: &mut Running, peer: &UdpPeer, datagram: &[u8], did: &str) -> Vec<u8> {
    let reply = peer.send(datagram).and_then(|()| peer.receive());
    match reply {
        Ok(reply) => reply,
        Err(_) => server.fail(Problem {
            check: "every datagram but STOP gets one datagram back".into(),
            did: format!("{did}; sent {}", shown(datagram)),
            expected: "one datagram back".into(),
            got: describe_datagram(&reply, STEP),
            hint: "answer every datagram, the command's too, at the address it came from.".into(),
            section: FURTHER.into(),
        }),
    }
}

/// Exercise 1: a dice request, `d<N>` (`d6`), is answered with a number from 1 to N, both
/// included; other datagrams still get a number from 1 to 1000.
#[test]
#[ignore = "Going further: run with `cargo test -p lesson4 -- --ignored`"]
fn further_dice_request_rolls_from_1_to_n() {
    let (mut server, address) = start_server();
    let peer = peer(&mut server, address);
    let did = "sent \"d6\" 300 times";
    let mut seen = [false; 7];
    for _ in 0..300 {
        let reply = exchange(&mut server, &peer, b"d6", did);
        let number = std::str::from_utf8(&reply)
            .ok()
            .and_then(|text| text.parse::<usize>().ok())
            .filter(|number| (1..=6).contains(number));
        match number {
            Some(number) => seen[number] = true,
            None => server.fail(Problem {
                check: "d6 is answered with a number from 1 to 6".into(),
                did: did.into(),
                expected: "a number from 1 to 6 in decimal digits, each time".into(),
                got: format!("the reply {}", shown(&reply)),
                hint: "text.strip_prefix('d') and parse::<u32>() give N; pick with \
                       random_range(1..=n). Check for the request before the usual reply."
                    .into(),
                section: FURTHER.into(),
            }),
        }
    }
    if !seen[1] || !seen[6] {
        server.fail(Problem {
            check: "a dice request includes both 1 and N".into(),
            did: did.into(),
            expected: "1 and 6 among the 300 replies".into(),
            got: format!("1 seen: {}, 6 seen: {}", seen[1], seen[6]),
            hint: "both ends are included: 1..=n, not 1..n.".into(),
            section: FURTHER.into(),
        });
    }
    // Any other datagram is answered as before.
    ask(&mut server, &peer, b"hello\n");
}

/// Exercise 2: `COUNT` is answered with how many numbers this sender has been sent so far
/// (COUNT itself not counted); another sender has its own count.
#[test]
#[ignore = "Going further: run with `cargo test -p lesson4 -- --ignored`"]
fn further_count_tells_each_sender_its_own_count() {
    let (mut server, address) = start_server();
    let asker = peer(&mut server, address);
    let newcomer = peer(&mut server, address);
    for number in 1..=3 {
        ask(&mut server, &asker, format!("number {number}\n").as_bytes());
    }
    let did = "asked for 3 numbers from one socket, then sent COUNT from it, then COUNT from \
               a second socket, then COUNT from the first again";
    let replies = [
        exchange(&mut server, &asker, b"COUNT", did),
        exchange(&mut server, &newcomer, b"COUNT", did),
        exchange(&mut server, &asker, b"COUNT\n", did),
    ];
    if replies != [&b"3"[..], b"0", b"3"] {
        let got: Vec<String> = replies.iter().map(|reply| shown(reply)).collect();
        server.fail(Problem {
            check: "COUNT tells each sender how many numbers it was sent".into(),
            did: did.into(),
            expected: "the replies \"3\", \"0\", \"3\"".into(),
            got: format!("the replies {}", got.join(", ")),
            hint: "remember a count for each sender's address, a HashMap from SocketAddr to \
                   a number, made before the loop; add one for each number sent, and answer \
                   COUNT (trimmed) with the sender's entry, 0 when it has none."
                .into(),
            section: FURTHER.into(),
        });
    }
    // Any other datagram is answered as before.
    ask(&mut server, &asker, b"hello\n");
}
