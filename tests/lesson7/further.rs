//! Going further (book/src/lesson7.md, "Going further"): extensions to write after the
//! lesson. Off by default; run them with `cargo test -p lesson7 -- --ignored`.

use std::process::{Command, Stdio};
use std::time::Duration;

use harness::protected;
use harness::protected::further::{
    GOING_FURTHER, client, expect_reply, fill_a_cap_of_two, start_extended,
};
use harness::{Problem, STEP};

use super::{LESSON, SECTIONS};

/// Going further 2: `--threads N` (1 to 64) picks the runtime; the server behaves the same
/// with any N, and an N out of range is a usage error (exit 2).
#[test]
#[ignore = "going further: a --threads option; run with -- --ignored"]
fn going_further_threads_option() {
    for threads in ["1", "2"] {
        let options = ["--threads", threads, "--max-clients", "2"];
        let (mut server, address) = start_extended(LESSON, &options, "--threads");
        let how = format!("started the server with --threads {threads} --max-clients 2");
        fill_a_cap_of_two(&mut server, address, &how);
    }
    for out_of_range in ["0", "65", "two"] {
        protected::expect_usage_error(
            &LESSON,
            &["--threads", out_of_range, "0"],
            "--threads takes a whole number from 1 to 64",
            "declare it as the other options are, a netkit::Setting with the range 1..=64",
            GOING_FURTHER,
        );
    }
}

/// Going further 3: on Ctrl-C, just before `Shut down: ...`, a line says how many clients
/// were still connected when the shutdown began, and how many of their tasks were still
/// running when the grace period ran out: `1 still connected, 1 past the grace period`.
#[test]
#[ignore = "going further: a shutdown you can watch; run with -- --ignored"]
fn going_further_a_shutdown_you_can_watch() {
    if !cfg!(unix) {
        eprintln!("skipped: a test can send Ctrl-C to one program only on Unix");
        return;
    }
    let options = ["--idle-timeout", "60"];
    let (mut server, address) = start_extended(LESSON, &options, "the shutdown's numbers");
    let mut leaving = client(&mut server, address);
    expect_reply(
        &mut server,
        &mut leaving,
        "hi\n",
        "1\n",
        "connected a client",
    );
    let mut staying = client(&mut server, address);
    expect_reply(
        &mut server,
        &mut staying,
        "hi\n",
        "2\n",
        "connected a second",
    );
    // The first leaves with STOP; once the second is told 1, its task is over.
    let _ = leaving.send(b"STOP\n");
    let _ = leaving.receive_to_end();
    let did = "two clients connected, the first left with STOP, the second asked";
    protected::wait_for_count(&mut server, &mut staying, 1, did, &SECTIONS);
    let _ = Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    // The second reads its BYE and never closes: its task drains for two seconds, longer
    // than the grace period of one second.
    let _ = staying.receive_line();
    let expected = "1 still connected, 1 past the grace period";
    if server
        .read_until(expected, STEP + Duration::from_secs(2))
        .is_err()
    {
        server.fail(Problem {
            check: "the shutdown says who was still there".into(),
            did: "two clients served; one left with STOP, the other stayed, read its BYE and \
                  never closed; then Ctrl-C"
                .into(),
            expected: format!("the line {expected:?}"),
            got: "no such line (see the output below)".into(),
            hint: "count the tasks of the tracker (TaskTracker::len) when the shutdown begins, \
                   and again when the wait ends or GRACE runs out"
                .into(),
            section: GOING_FURTHER.into(),
        });
    }
    drop(staying);
}
