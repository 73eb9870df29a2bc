//! The numbers in the book are checked, against the code or against the system.
//!
//! A sentence such as "waits at most 2 seconds" or "65,507 bytes" is easy to write and easy to
//! leave behind when the code or the facts move on. Each check below pairs a number the book
//! states with where it comes from: a constant in the code (the test fails when one changes
//! without the other), the standard library, this machine's network stack, or plain
//! arithmetic. Facts that no test can reach (the defaults of other systems, timings of the
//! network) are checked by hand against their documentation instead.

use std::fs;
use std::io::BufReader;
use std::net::UdpSocket;
use std::time::Duration;

/// Reads a file of the workspace, for comparing what it says.
fn read(path: &str) -> String {
    let full = xtask::workspace_root().join(path);
    fs::read_to_string(&full).unwrap_or_else(|error| panic!("{}: {error}", full.display()))
}

/// The text with every run of white space made one space, and the `>` of quoted blocks left
/// out, so that a phrase broken over two lines of Markdown still matches.
fn flat(text: &str) -> String {
    let words = text.split_whitespace().filter(|word| *word != ">");
    words.collect::<Vec<_>>().join(" ")
}

/// A number in the book and the line of code that makes it true.
struct Pair {
    code_file: &'static str,
    code: &'static str,
    book_file: &'static str,
    book: &'static str,
}

const PAIRS: &[Pair] = &[
    Pair {
        code_file: "netkit/src/lib.rs",
        code: "pub const MAX_LINE: usize = 64 * 1024;",
        book_file: "book/src/netkit.md",
        book: "64 KiB plus the line ending",
    },
    Pair {
        code_file: "solutions/lesson3/src/main.rs",
        code: "const REPLY_TIMEOUT: Duration = Duration::from_secs(2);",
        book_file: "book/src/lesson3.md",
        book: "Ours waits at most 2 seconds",
    },
    Pair {
        code_file: "solutions/lesson3/src/main.rs",
        code: "const TRIES: u32 = 3;",
        book_file: "book/src/lesson3.md",
        book: "after 3 tries in all",
    },
    Pair {
        code_file: "netkit/src/lib.rs",
        code: "let give_up = Instant::now() + Duration::from_secs(2);",
        book_file: "book/src/lesson2.md",
        book: "or two seconds have passed",
    },
    Pair {
        code_file: "netkit/src/lib.rs",
        code: "stream.set_read_timeout(Some(Duration::from_millis(250)))?;",
        book_file: "book/src/lesson2.md",
        book: "goes quiet for a quarter of a second",
    },
    Pair {
        code_file: "solutions/lesson5/src/main.rs",
        code: "const ACCEPT_PAUSE: Duration = Duration::from_millis(100);",
        book_file: "book/src/lesson5.md",
        book: "A rest of 100 ms",
    },
    Pair {
        code_file: "solutions/lesson5/src/main.rs",
        code: "BufReader::with_capacity(1024, client)",
        book_file: "book/src/lesson5.md",
        book: "with the 1 KiB buffer of `answer_lines`",
    },
    Pair {
        code_file: "tests/lesson5/whole_server.rs",
        code: "const CLIENTS: usize = 200;",
        book_file: "book/src/lesson5.md",
        book: "200 clients leaving at once",
    },
    Pair {
        code_file: "netkit/src/lib.rs",
        code: "stream.set_read_timeout(Some(Duration::from_millis(250)))?;",
        book_file: "book/src/instructor-guide.md",
        book: "waits up to a quarter of a second for a quiet client",
    },
    Pair {
        code_file: "netkit/src/lib.rs",
        code: "let give_up = Instant::now() + Duration::from_secs(2);",
        book_file: "book/src/instructor-guide.md",
        book: "(two seconds for one that keeps sending)",
    },
    Pair {
        code_file: "Cargo.toml",
        code: "rust-version = \"1.85\"",
        book_file: "book/src/introduction.md",
        book: "a Rust toolchain (1.85 or newer",
    },
    Pair {
        code_file: "tests/lesson4/todo3_reply.rs",
        code: "const REQUESTS: usize = 25_000;",
        book_file: "book/src/lesson4.md",
        book: "asks your server 25,000 times",
    },
    Pair {
        code_file: "solutions/lesson8/src/main.rs",
        code: "const QUEUE_LINES: usize = 1_000;",
        book_file: "book/src/lesson8.md",
        book: "holds at most 1,000 lines",
    },
    Pair {
        code_file: "solutions/lesson8/src/main.rs",
        code: "const QUEUE_BYTES: usize = 1024 * 1024;",
        book_file: "book/src/lesson8.md",
        book: "and at most 1 MiB",
    },
    Pair {
        code_file: "solutions/lesson8/src/main.rs",
        code: "const LINGER: Duration = Duration::from_secs(2);",
        book_file: "book/src/lesson8.md",
        book: "after two seconds (`LINGER`)",
    },
    Pair {
        code_file: "solutions/lesson8/src/main.rs",
        code: "const GRACE: Duration = Duration::from_millis(1500);",
        book_file: "book/src/lesson8.md",
        book: "at most 1.5 s (`GRACE`)",
    },
    Pair {
        code_file: "solutions/lesson8/src/main.rs",
        code: "Setting::new(\"--idle-timeout\", \"SECS\", 1..=86_400, 300)",
        book_file: "book/src/lesson8.md",
        book: "(default 300 s,",
    },
    Pair {
        code_file: "solutions/lesson8/src/main.rs",
        code: "Setting::new(\"--idle-timeout\", \"SECS\", 1..=86_400, 300)",
        book_file: "book/src/lesson8.md",
        book: "from 1 to 86,400 seconds",
    },
    Pair {
        code_file: "solutions/lesson8/src/main.rs",
        code: "(1..=32).contains(&name.len())",
        book_file: "book/src/lesson8.md",
        book: "1 to 32 ASCII letters",
    },
    Pair {
        code_file: "tests/lesson8/slow_reader.rs",
        code: "const MEMORY_BOUND_MIB: u64 = 32;",
        book_file: "book/src/lesson8.md",
        book: "the test's bound of 32 MiB",
    },
    Pair {
        code_file: "tests/lesson8/slow_reader.rs",
        code: "const WINDOW: usize = 200;",
        book_file: "book/src/lesson8.md",
        book: "never gets more than 200 lines ahead",
    },
    Pair {
        code_file: "tests/lesson8/slow_reader.rs",
        code: "const FLOOD_LINES: usize = 5 * 1024;",
        book_file: "book/src/lesson8.md",
        book: "floods the room with 10 MiB",
    },
    Pair {
        code_file: "tests/lesson8/slow_reader_bytes.rs",
        code: "const LONG_LINES: usize = 250;",
        book_file: "book/src/lesson8.md",
        book: "250 of them are far fewer than 1,000 lines",
    },
    Pair {
        code_file: "tests/lesson8/slow_reader_bytes.rs",
        code: "const LONG_LINE: usize = 60_000;",
        book_file: "book/src/lesson8.md",
        book: "sends lines of 60,000 bytes",
    },
    Pair {
        code_file: "tests/lesson8/fan_out.rs",
        code: "const LINES: usize = 200;",
        book_file: "book/src/lesson8.md",
        book: "Three senders send 200 lines each",
    },
    Pair {
        code_file: "solutions/lesson6/src/main.rs",
        code: "Setting::new(\"--max-clients\", \"N\", 1..=100_000, 1_000);",
        book_file: "book/src/lesson6.md",
        book: "`--max-clients N` (1 to 100,000, default 1,000)",
    },
    Pair {
        code_file: "solutions/lesson6/src/main.rs",
        code: "Setting::new(\"--idle-timeout\", \"SECS\", 1..=86_400, 60);",
        book_file: "book/src/lesson6.md",
        book: "`--idle-timeout SECS` (1 to 86,400, default 60)",
    },
    Pair {
        code_file: "solutions/lesson6/src/main.rs",
        code: "const TICK: Duration = Duration::from_millis(100);",
        book_file: "book/src/lesson6.md",
        book: "a timeout of one `TICK` (100 ms)",
    },
    Pair {
        code_file: "solutions/lesson6/src/main.rs",
        code: "const GRACE: Duration = Duration::from_secs(1);",
        book_file: "book/src/lesson6.md",
        book: "waits a `GRACE` of one second at most",
    },
    Pair {
        code_file: "solutions/lesson6/src/main.rs",
        code: "const LOG_BACKLOG: usize = 4096;",
        book_file: "book/src/lesson6.md",
        book: "the queue holds `LOG_BACKLOG` (4,096) lines",
    },
    Pair {
        code_file: "solutions/lesson6/src/main.rs",
        code: "const LOG_GATHER: Duration = Duration::from_millis(10);",
        book_file: "book/src/lesson6.md",
        book: "sleeps `LOG_GATHER` (10 ms)",
    },
    Pair {
        code_file: "tests/harness/src/protected/mod.rs",
        code: "const SLACK: Duration = Duration::from_millis(1500);",
        book_file: "book/src/lesson6.md",
        book: "between 1 and 2.5 seconds after connecting",
    },
    Pair {
        code_file: "solutions/lesson7/src/main.rs",
        code: "Setting::new(\"--max-clients\", \"N\", 1..=100_000, 100_000);",
        book_file: "book/src/lesson7.md",
        book: "the default for `--max-clients` is 100,000",
    },
    Pair {
        code_file: "solutions/lesson7/src/main.rs",
        code: "const GRACE: Duration = Duration::from_secs(1);",
        book_file: "book/src/lesson7.md",
        book: "`GRACE`, one second, bounds the whole wait",
    },
    Pair {
        code_file: "solutions/lesson7/src/main.rs",
        code: "const LOG_BACKLOG: usize = 4096;",
        book_file: "book/src/lesson7.md",
        book: "a bounded std channel of `LOG_BACKLOG` (4,096) lines",
    },
    Pair {
        code_file: "solutions/lesson7/src/main.rs",
        code: "const LOG_GATHER: Duration = Duration::from_millis(10);",
        book_file: "book/src/lesson7.md",
        book: "sleeps `LOG_GATHER` (10 ms)",
    },
    Pair {
        code_file: "solutions/lesson7/src/main.rs",
        code: "BufReader::with_capacity(256, reader)",
        book_file: "book/src/lesson7.md",
        book: "client also has a 256-byte read buffer",
    },
    Pair {
        code_file: "solutions/lesson7/src/main.rs",
        code: "let mut discarded = vec![0u8; 4096];",
        book_file: "book/src/lesson7.md",
        book: "`vec![0u8; 4096]`, only when a connection ends",
    },
    Pair {
        code_file: "solutions/lesson7/src/main.rs",
        code: "let _ = timeout(Duration::from_secs(2), drain).await;",
        book_file: "book/src/lesson7.md",
        book: "for two seconds at most",
    },
    Pair {
        code_file: "tests/harness/src/protected/mod.rs",
        code: "const SLACK: Duration = Duration::from_millis(1500);",
        book_file: "book/src/lesson7.md",
        book: "between 1 and 2.5 seconds after connecting",
    },
    Pair {
        code_file: "tests/harness/src/protected/shutdown.rs",
        code: "b\"x\\n\".repeat(128 * 1024)",
        book_file: "book/src/lesson6.md",
        book: "a client has sent 128 Ki lines",
    },
];

/// Each number the book takes from the code is still the code's.
#[test]
fn numbers_from_the_code_match_the_code() {
    let mut stale = Vec::new();
    for pair in PAIRS {
        let code = read(pair.code_file).contains(pair.code);
        let book = flat(&read(pair.book_file)).contains(pair.book);
        if !(code && book) {
            stale.push(format!(
                "{} says \"{}\" because {} has `{}`: {}",
                pair.book_file,
                pair.book,
                pair.code_file,
                pair.code,
                match (code, book) {
                    (false, false) => "neither is there any more",
                    (false, true) => "the code changed; update the book (and this pair)",
                    _ => "the book's sentence changed; update this pair",
                }
            ));
        }
    }
    assert!(stale.is_empty(), "\n{}", stale.join("\n"));
}

/// "The largest UDP payload over IPv4" is 65,507 bytes, "over IPv6 ... 65,527": this machine's
/// loopback carries exactly that much, and refuses one byte more. Systems that cap UDP sends
/// lower (macOS: `net.inet.udp.maxdgram`, 9,216 bytes by default) skip with a note.
#[test]
fn the_largest_datagrams_are_the_ones_the_book_names() {
    assert_eq!(65_535 - 20 - 8, 65_507, "the book's sum for IPv4");
    assert_eq!(65_535 - 8, 65_527, "the book's sum for IPv6");
    for (family, local, largest) in [("IPv4", "127.0.0.1:0", 65_507), ("IPv6", "[::1]:0", 65_527)] {
        let (Ok(sender), Ok(receiver)) = (UdpSocket::bind(local), UdpSocket::bind(local)) else {
            println!("note: no {family} loopback here; {family} limit not checked");
            continue;
        };
        let to = receiver
            .local_addr()
            .expect("a bound socket has an address");
        if let Err(error) = sender.send_to(&vec![b'x'; largest], to) {
            println!("note: this system caps UDP sends below {largest} bytes ({error}); skipped");
            continue;
        }
        receiver
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("set a read timeout");
        let mut buffer = vec![0u8; 70_000];
        let received = receiver.recv(&mut buffer).expect("the datagram arrives");
        assert_eq!(
            received, largest,
            "{family}: the largest datagram arrives whole"
        );
        let one_more = sender.send_to(&vec![b'x'; largest + 1], to);
        assert!(
            one_more.is_err(),
            "{family}: a datagram of {} bytes was accepted",
            largest + 1
        );
    }
}

/// "IP splits a 65,507-byte datagram into 45 fragments" on a link with an MTU of 1,500 bytes:
/// each fragment carries 1,480 bytes after its 20-byte IPv4 header, and the 65,507 bytes of
/// data travel with their 8-byte UDP header.
#[test]
fn a_largest_datagram_makes_45_fragments() {
    let per_fragment = 1_500 - 20;
    let fragments = (65_507 + 8_usize).div_ceil(per_fragment);
    assert_eq!(fragments, 45);
    assert!(flat(&read("book/src/lesson4.md")).contains("65,507-byte datagram into 45 fragments"));
}

/// "A fair server fails it with a probability of about one in 70 million": the chance that
/// one of 1,000 equally likely numbers never comes up in 25,000 draws is at most
/// 1000 × (999/1000)^25000 (the union bound, close to exact here).
#[test]
fn the_coverage_test_cries_wolf_about_once_in_70_million() {
    let miss_one = (999.0_f64 / 1000.0).powi(25_000);
    let once_in = 1.0 / (1000.0 * miss_one);
    assert!(
        (65e6..80e6).contains(&once_in),
        "once in {once_in:.3e}, not about 70 million"
    );
    assert!(flat(&read("book/src/lesson4.md")).contains("about one in 70 million"));
}

/// "with `BufReader::new` (8 KiB each)": the standard library's default buffer.
#[test]
fn a_bufreader_holds_8_kib_by_default() {
    assert_eq!(BufReader::new(std::io::empty()).capacity(), 8 * 1024);
    assert!(flat(&read("book/src/lesson5.md")).contains("with `BufReader::new` (8 KiB each)"));
}

/// "`tests/fixtures/lesson8/` holds 13 wrong servers": the diffs there, alternatives aside.
#[test]
fn lesson_8_has_the_wrong_servers_the_book_counts() {
    let dir = xtask::workspace_root().join("tests/fixtures/lesson8");
    let diffs = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "diff"))
        .count();
    let phrase = format!("`tests/fixtures/lesson8/` holds {diffs} wrong servers");
    assert!(
        flat(&read("book/src/lesson8.md")).contains(&phrase),
        "book/src/lesson8.md should say {phrase:?}"
    );
}
