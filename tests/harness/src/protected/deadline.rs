//! The idle deadline: a client that sends nothing, or a line too slowly, is cut.

use super::*;

/// A client that sends nothing is cut with `ERROR idle timeout` at `--idle-timeout 1`, not
/// before and not long after; a client that keeps talking meanwhile is not cut, and is told
/// the right count before and after.
pub fn check_silent_client_cut(lesson: &Lesson, sections: &Sections) {
    let (mut server, address) = start(lesson, &["--idle-timeout", "1"], sections);
    let meter = LoadMeter::start();
    let connected = Instant::now();
    let mut silent = connect(&mut server, address, sections);
    let mut talker = connect(&mut server, address, sections);
    expect_count(
        &mut server,
        &mut talker,
        2,
        "connected a silent client, then this one",
        sections,
    );
    // The talker asks again every 200 ms (waiting on the silent client's socket, no sleep),
    // which keeps it well inside its own deadline.
    let cut = wait_keeping_alive(
        &mut server,
        &mut silent,
        &mut talker,
        IDLE + SLACK,
        sections,
    );
    let elapsed = connected.elapsed();
    judge_cut(
        &mut server,
        &meter,
        &cut,
        elapsed,
        "connected a client that sends nothing",
        sections,
    );
    expect_clean_end(
        &mut server,
        &mut silent,
        "ERROR idle timeout\n",
        sections.last_words,
    );
    drop(silent);
    wait_for_count(
        &mut server,
        &mut talker,
        1,
        "a silent client was cut by the idle timeout; the client that kept talking asked",
        sections,
    );
    // By now the talker has been connected for longer than one idle timeout: a deadline per
    // line keeps it alive for as long as it talks, a deadline per connection would cut it.
    keep_talking(&mut server, &mut talker, &meter, IDLE + IDLE / 2, sections);
}

/// Asks from `talker` every 200 ms for `how_long`, expecting the count 1 each time.
/// Between questions it waits on the talker's own socket, where nothing should arrive.
fn keep_talking(
    server: &mut Running,
    talker: &mut Peer,
    meter: &LoadMeter,
    how_long: Duration,
    sections: &Sections,
) {
    let did = "a client kept asking every 200 ms for longer than the idle timeout";
    let until = Instant::now() + how_long;
    while Instant::now() < until {
        expect_count(server, talker, 1, did, sections);
        let answered = Instant::now();
        let unasked = read_line_within(talker, Duration::from_millis(200));
        if matches!(&unasked, Err(error) if crate::is_timeout(error)) {
            continue;
        }
        if starved(answered.elapsed(), meter) {
            eprintln!(
                "note: the talking client was cut {} ms after its last reply, while the \
                 machine was too busy to send its next line in time (the test's own timer ran \
                 {} ms late); not counted against the program",
                answered.elapsed().as_millis(),
                meter.worst_lateness().as_millis()
            );
            return;
        }
        server.fail(Problem {
            check: "a client that keeps talking is not cut".into(),
            did: "kept asking every 200 ms, for longer than the idle timeout".into(),
            expected: "nothing between the replies".into(),
            got: describe_read(&unasked),
            hint: "the deadline of a client starts again with each of its lines: a \
                   client that keeps sending lines is never idle."
                .into(),
            section: sections.deadline.into(),
        });
    }
}

/// Whether a cut that came `since_reply` after the talker's last reply can be the machine's
/// doing. A deadline counted from the connection, or from anything but the last line, cuts
/// the talker as soon as it speaks again, 200 ms after a reply. A correct server cuts only
/// when it could not read a line for a whole idle timeout: a starved CPU, which the test's
/// own timer then feels too. Only that second case is forgiven.
fn starved(since_reply: Duration, meter: &LoadMeter) -> bool {
    since_reply >= IDLE / 2 && meter.worst_lateness() >= crate::timing::BUSY_LATENESS
}

/// A client that sends one byte every 200 ms, never a newline, is cut at the deadline like a
/// silent one: bytes are not lines.
pub fn check_drip_client_cut(lesson: &Lesson, sections: &Sections) {
    let (mut server, address) = start(lesson, &["--idle-timeout", "1"], sections);
    let meter = LoadMeter::start();
    let connected = Instant::now();
    let mut dripper = connect(&mut server, address, sections);
    let drip = Drip::start(dripper.stream(), Duration::from_millis(200));
    let cut = read_line_within(&mut dripper, IDLE + SLACK + STEP);
    let elapsed = connected.elapsed();
    let bytes = drip.stop();
    judge_cut(
        &mut server,
        &meter,
        &cut,
        elapsed,
        &format!(
            "connected, then sent one byte \"x\" every 200 ms without a newline ({bytes} bytes)"
        ),
        sections,
    );
    expect_clean_end(
        &mut server,
        &mut dripper,
        "ERROR idle timeout\n",
        sections.last_words,
    );
}

/// A line that arrives in two pieces, 300 ms apart, is one line: no reply to the first
/// piece, one reply after the second, and the whole line in the log. (A `select!` that drops
/// a half-read line to look at something else loses the first piece.)
pub fn check_line_in_pieces(lesson: &Lesson, sections: &Sections) {
    let (mut server, address) = start(lesson, &[], sections);
    let mut peer = connect(&mut server, address, sections);
    let _ = peer.send(b"how ma");
    let early = read_line_within(&mut peer, Duration::from_millis(300));
    let premature = !matches!(&early, Err(error) if crate::is_timeout(error));
    let reply = peer.send(b"ny?\n").and_then(|()| peer.receive_line());
    let logged = server.read_until("-> how many?", STEP).is_ok();
    if premature || parse_count(&reply).is_none() || !logged {
        server.fail(Problem {
            check: "a line that arrives in pieces is still one line".into(),
            did: "sent \"how ma\", waited 300 ms, then sent \"ny?\\n\"".into(),
            expected: "no reply to the first piece; one reply (the count) after the second; \
                       \"-> how many?\" in the log"
                .into(),
            got: format!(
                "after the first piece: {}; after the second: {}; {}",
                if premature {
                    describe_read(&early)
                } else {
                    "nothing (right)".into()
                },
                describe_read(&reply),
                if logged {
                    "the whole line in the log"
                } else {
                    "no \"-> how many?\" in the log"
                }
            ),
            hint: "keep the bytes of a line that is not complete yet: one buffered reader for \
                   the whole connection, and never give up a half-read line to wait for \
                   something else and then start reading afresh (in async code: a `select!` \
                   arm whose future is dropped loses what it had read)."
                .into(),
            section: sections.deadline.into(),
        });
    }
}

/// Fails unless `cut` is `ERROR idle timeout` that came no earlier than the deadline and no
/// later than the slack allows (more when the test's own clock ran late).
pub(super) fn judge_cut(
    server: &mut Running,
    meter: &LoadMeter,
    cut: &std::io::Result<Vec<u8>>,
    elapsed: Duration,
    did: &str,
    sections: &Sections,
) {
    let late = meter.worst_lateness();
    let arrived = matches!(cut, Ok(line) if line == b"ERROR idle timeout\n");
    let too_early = elapsed + Duration::from_millis(50) < IDLE;
    let too_late = elapsed > IDLE + SLACK + late;
    if arrived && !too_early && !too_late {
        return;
    }
    let got = if arrived {
        format!("the line after {:.2} s", elapsed.as_secs_f64())
    } else {
        format!(
            "{} after {:.2} s",
            describe_read(cut),
            elapsed.as_secs_f64()
        )
    };
    let hint = if too_early {
        "the client was cut before its deadline: a read that waited a short while without \
         bytes (one turn of a short read timeout) is not the end of the line's time. Look at \
         the clock, and if the deadline has not passed, wait again."
            .to_string()
    } else {
        format!(
            "the deadline belongs to the line: set it when the line starts, and make every \
             read wait only for the time left until it. A read timeout alone starts again \
             with each byte, so a client that drips bytes is never cut.{}",
            busy_hint_for(late)
        )
    };
    server.fail(Problem {
        check: "a client that does not finish a line in time is cut at the deadline".into(),
        did: format!("started your server with --idle-timeout 1; {did}"),
        expected: format!(
            "\"ERROR idle timeout\\n\" between 1.0 and {:.1} s after connecting",
            (IDLE + SLACK + late).as_secs_f64()
        ),
        got,
        hint,
        section: sections.deadline.into(),
    });
}
