//! The whole client: the prompt, STOP, the end of the input and a lost stdout.

use crate::*;

/// The prompt `>> ` is printed, and flushed, before the client waits for input.
#[test]
fn prints_the_prompt_before_waiting_for_input() {
    let server = FakeUdpServer::start(numbered_replies());
    common::check_prompt_before_input(&LESSON, server.address(), PROMPT);
}

/// `STOP` is sent as one datagram `STOP\n`, then the client says `Exiting UDP client!` and
/// exits 0 at once, without waiting for a reply (the server never answers STOP).
#[test]
fn stop_is_sent_and_ends_the_client_at_once() {
    // Less than the 2 s reply timeout, counted from the moment STOP reached the server: a
    // client that waits for a reply cannot exit in time, one that does not wait exits a few
    // milliseconds after sending it, even on a busy machine.
    let no_wait = REPLY_TIMEOUT - Duration::from_millis(250);
    let meter = LoadMeter::start();
    for typed in ["STOP\n", "  STOP \t\n"] {
        let server = FakeUdpServer::start(numbered_replies());
        let mut client = Running::start(LESSON, &[&server.address().to_string()]);
        let _ = client.read_until(">> ", STEP);
        client.type_text(typed.as_bytes());
        // Time enough for a client that waits for replies to STOP (3 tries) to show it.
        let status = client.wait_for_exit(REPLY_TIMEOUT * TRIES + STEP);
        let exited_at = Instant::now();
        // Once the program has exited, its stdout closes: this returns as soon as all is read.
        let printed = client.rest_of_stdout(STEP);
        let received = server.wait_received(STEP, |datagrams| !datagrams.is_empty());
        let took = received
            .first()
            .map(|stop| exited_at.saturating_duration_since(stop.at));
        let stopped = status.and_then(|status| status.code()) == Some(0)
            && printed.contains("Exiting UDP client!\n")
            && payloads(&received) == [typed.as_bytes()]
            && took.is_some_and(|took| took < no_wait);
        if !stopped {
            let stops = received.len();
            let hint = if stops > 1 {
                format!(
                    "the server received STOP {stops} times: your client waited for a reply to \
                     it and sent it again. STOP never gets a reply: send it once, with \
                     send_line, not through ask and its retries, and leave."
                )
            } else {
                "send the line first, then check netkit::is_stop(&message) (it trims white \
                 space) before you wait for a reply: STOP never gets one."
                    .to_string()
            };
            client.fail(Problem {
                check: "STOP is sent, then the client ends at once".into(),
                did: format!(
                    "typed {} (the server does not answer STOP)",
                    shown(typed.as_bytes())
                ),
                expected: format!(
                    "the datagram {} sent, then \"Exiting UDP client!\" printed and exit status \
                     0 within {:.2} s, without waiting for a reply",
                    shown(typed.as_bytes()),
                    no_wait.as_secs_f64()
                ),
                got: format!(
                    "the datagrams {}; your client {}",
                    shown_datagrams(&received),
                    match (status, took) {
                        (Some(status), Some(took)) => format!(
                            "exited with {status}, {:.2} s after STOP arrived{}",
                            took.as_secs_f64(),
                            meter.busy_note()
                        ),
                        (Some(status), None) => format!("exited with {status}"),
                        (None, _) => "was still running".to_string(),
                    }
                ),
                hint,
                section: STOP_AND_END.into(),
            });
        }
    }
}

/// At the end of the input (Ctrl-D, or the end of a piped file) the client exits 0 and
/// sends nothing more.
#[test]
fn end_of_input_ends_the_client_cleanly() {
    let server = FakeUdpServer::start(numbered_replies());
    let run = run_client(&server, "hello\n", STEP);
    let problem = Problem {
        check: "the end of the input ends the client with status 0".into(),
        did: "typed \"hello\" and then closed the input (like Ctrl-D)".into(),
        expected: "\"Reply: reply 1\", then exit status 0, and only \"hello\\n\" sent".into(),
        hint: "netkit::read_line returns Line::End when the input is over: leave the loop \
               then. Looping on instead would send empty lines forever (the Go original's bug)."
            .into(),
        section: STOP_AND_END.into(),
        ..Problem::default()
    };
    common::expect_exit(&LESSON, Role::Client, &run, 0, STEP, problem);
    let received = server.received();
    if payloads(&received) != [b"hello\n"] || !run.stdout().contains("Reply: reply 1\n") {
        LESSON.fail(
            Problem {
                check: "the end of the input ends the client with status 0".into(),
                did: "typed \"hello\" and then closed the input (like Ctrl-D)".into(),
                expected: "\"Reply: reply 1\" printed; the server receives only \"hello\\n\""
                    .into(),
                got: format!(
                    "the server received {}; your client printed {}",
                    shown_datagrams(&received),
                    shown(&run.seen.stdout)
                ),
                hint: "at Line::End, stop: do not send an empty line.".into(),
                section: STOP_AND_END.into(),
            },
            &run.seen,
        );
    }
}

/// When nobody reads the client's output any more (`lesson3 HOST:PORT | head -1`), the client
/// ends with one error line and status 1, without a panic.
#[test]
fn a_lost_stdout_ends_the_client_with_status_1() {
    let server = FakeUdpServer::start(numbered_replies());
    common::check_client_survives_stdout_gone(
        &LESSON,
        server.address(),
        ("", "The UDP server is"),
        "hello\n",
        PROMPT,
    );
}
