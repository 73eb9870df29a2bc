//! A client whose thread cannot start: TODO(1)'s other half. The server must refuse that
//! client cleanly, keep its count exact, and go on. Linux only (the test limits the server's
//! memory with `ulimit -v`, through `sh`).

use std::time::Instant;

use harness::{Peer, Problem, STEP, describe_read, shown};

use crate::{
    GUARD, LESSON, LISTENING, QUESTION, THREADS, connect, parse_count, start_server, wait_for_count,
};
use harness::Running;

/// How much more address space than it needs at rest the server gets in the test below:
/// room for a few threads (Rust gives each one 2 MiB of stack).
const ROOM_FOR_THREADS_KIB: u64 = 16 * 1024;
/// The test below gives up provoking a refusal after this many clients.
const MOST_CLIENTS: usize = 300;

/// The address space a running program uses, in KiB, from Linux's `/proc/<pid>/status`.
fn address_space_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmSize:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Messages of Rust's standard library when it aborts a program that ran out of memory: the
/// signal stack of a new thread, or any allocation. No program can catch these.
const RUNTIME_ABORTS: [&str; 2] = [
    "failed to allocate an alternative stack",
    "memory allocation of",
];

/// A client whose thread cannot start (no room left for another thread) is refused: its
/// connection is closed at once, not left hanging, it is not counted, and the server goes on.
/// Linux only: the server runs under an address-space limit (`ulimit -v`) a little above what
/// it needs at rest, so that only a few threads fit.
#[test]
fn a_client_whose_thread_cannot_start_is_refused() {
    if !cfg!(target_os = "linux") {
        eprintln!("skipped: only Linux lets the test limit a program's memory this way");
        return;
    }
    let resting = {
        let (server, _) = start_server();
        address_space_kib(server.id())
    };
    let Some(resting) = resting else {
        eprintln!("skipped: could not read the server's size from /proc");
        return;
    };
    let limit = resting + ROOM_FOR_THREADS_KIB;
    // glibc gives each new thread a memory arena with 64 MiB of address space; one arena for
    // all keeps the number of threads that fit under the limit predictable.
    let script = format!("ulimit -v {limit} || exit 97; export MALLOC_ARENA_MAX=1; exec \"$0\" 0");
    let mut server = Running::start_other(LESSON, "sh", &["-c", &script, LESSON.program]);
    let address = server.listening_address(LISTENING);
    let did = format!(
        "ran your server with `ulimit -v {limit}` (its size at rest, {resting} KiB, plus room \
         for a few threads), then connected clients one by one, each asking once and staying"
    );
    let mut held: Vec<Peer> = Vec::new();
    let mut refusal = None;
    while held.len() < MOST_CLIENTS && refusal.is_none() {
        let mut peer = connect(&mut server, address);
        let reply = peer.send(QUESTION).and_then(|()| peer.receive_line());
        match reply {
            Ok(line) if line.ends_with(b"\n") => {
                let expected = held.len() + 1;
                if parse_count(&line) != Some(expected) {
                    server.fail(Problem {
                        check: "the count stays exact when the server runs out of room".into(),
                        did: did.clone(),
                        expected: format!("client {expected} is told \"{expected}\\n\""),
                        got: shown(&line),
                        hint: "count in ConnectionGuard::new and uncount in its Drop.".into(),
                        section: GUARD.into(),
                    });
                }
                held.push(peer);
            }
            other => refusal = Some(other),
        }
    }
    let Some(refusal) = refusal else {
        eprintln!(
            "skipped: {MOST_CLIENTS} clients fit under the limit (your threads need little \
             room), so no thread failed to start"
        );
        return;
    };
    let stderr = server.stderr();
    if !server.is_running() && RUNTIME_ABORTS.iter().any(|text| stderr.contains(text)) {
        eprintln!(
            "skipped: at the limit, Rust's standard library aborted the server itself \
             (it does when memory runs out while a thread starts); no program can prevent that"
        );
        return;
    }
    let refused_cleanly = match &refusal {
        Ok(rest) => rest.is_empty(),
        Err(error) => !harness::is_timeout(error),
    };
    let refused = held.len() + 1;
    let went_on = |server: &mut Running, got: String| -> ! {
        server.fail(Problem {
            check: "a client whose thread cannot start is refused, and the server goes on".into(),
            did: format!("{did}; client {refused} could not get a thread"),
            expected: "that client's connection closed at once (no reply), while the server \
                       goes on serving the others"
                .into(),
            got,
            hint: "thread::spawn panics when it cannot start a thread; \
                   thread::Builder::new().spawn(...) returns the error instead. Print it and \
                   go on: the closure, dropped unrun, closes the connection and uncounts it."
                .into(),
            section: THREADS.into(),
        })
    };
    if !refused_cleanly || !server.is_running() {
        let got = format!("for client {refused}: {}", describe_read(&refusal));
        went_on(&mut server, got);
    }
    // The refused client is not counted: the clients that stayed are told how many they are.
    // Its connection may close a moment before its guard uncounts it (they are dropped one
    // after the other), so while the count is too high, the first client asks again, until the
    // deadline.
    let staying = held.len();
    if let Some(first) = held.first_mut() {
        let settle_by = Instant::now() + STEP;
        let mut reply = first.send(QUESTION).and_then(|()| first.receive_line());
        while matches!(reply.as_deref().ok().map(parse_count), Some(Some(count)) if count > staying)
            && Instant::now() < settle_by
        {
            reply = first.send(QUESTION).and_then(|()| first.receive_line());
        }
        match reply.as_deref().ok().map(parse_count) {
            Some(Some(count)) if count == staying => {}
            Some(Some(count)) => server.fail(Problem {
                check: "a refused client is not counted".into(),
                did: format!("{did}; after client {refused} was refused, the first client asked"),
                expected: format!("the reply \"{staying}\\n\" within {} s", STEP.as_secs()),
                got: format!("the reply \"{count}\\n\", again and again"),
                hint: "count the client in ConnectionGuard::new and uncount it in Drop: when \
                       Builder::spawn fails, it drops the closure, and with it the guard."
                    .into(),
                section: GUARD.into(),
            }),
            _ => {
                let got = format!("the first client, asking again: {}", describe_read(&reply));
                went_on(&mut server, got);
            }
        }
    }
    // And when they leave, a newcomer is told 1: nobody was left counted. Their threads end a
    // moment after their connections close, so the first newcomers may be refused too.
    held.truncate(0);
    let deadline = Instant::now() + STEP;
    while Instant::now() < deadline {
        let mut newcomer = match Peer::connect(address) {
            Ok(newcomer) => newcomer,
            Err(error) => went_on(
                &mut server,
                format!("a new client could not connect: {error}"),
            ),
        };
        let reply = newcomer
            .send(QUESTION)
            .and_then(|()| newcomer.receive_line());
        match reply.as_deref().ok().and_then(parse_count) {
            Some(1) => return,
            Some(_) => {
                let did =
                    format!("{did}; after the refusal all clients left, then a new client asked");
                wait_for_count(&mut server, &mut newcomer, 1, &did);
                return;
            }
            None => continue,
        }
    }
    server.fail(Problem {
        check: "a server that refused a client serves again once there is room".into(),
        did: format!("{did}; after client {refused} was refused, all clients left"),
        expected: format!(
            "a new client is served within {} s, and told \"1\\n\"",
            STEP.as_secs()
        ),
        got: "every new client refused".into(),
        hint: "a refused client must not leave anything behind: the closure that \
               Builder::spawn drops unrun closes its connection and uncounts it."
            .into(),
        section: THREADS.into(),
    });
}
