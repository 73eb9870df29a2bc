//! # netkit: what every lesson shares
//!
//! The lessons are about sockets. The chores around them (reading the command line, turning
//! an error into one readable line, reading a line without letting a peer fill our memory)
//! are the same in all five programs, so they live here, once. The book explains this file
//! in the chapter "The shared toolbox".
//!
//! Almost nothing in here touches the network: most functions work on strings, exit codes or
//! any [`BufRead`], which is also why they are easy to test. The one exception,
//! [`send_and_close`], is a piece of TCP etiquette that servers need when they hang up.
//!
//! Longer than 400 lines, and still one file: each piece is short, and the book's chapter
//! takes them one by one.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::ops::RangeInclusive;
use std::process::ExitCode;
use std::time::{Duration, Instant};

// ANCHOR: limits
/// The longest line (or datagram) a server agrees to hold: 64 KiB.
///
/// A peer on the network can send as many bytes as it likes without ever sending `\n`.
/// Reading "until the newline" without a limit would let it fill our memory.
pub const MAX_LINE: usize = 64 * 1024;
// ANCHOR_END: limits

/// Exit status for a bad command line, as most Unix tools do.
pub const USAGE_ERROR: u8 = 2;

/// Exit status for a runtime error: cannot resolve, connect, bind, or the connection was lost.
pub const RUNTIME_ERROR: u8 = 1;

// ANCHOR: arguments
/// Reads the one argument of a client, `HOST:PORT`, from the command line.
///
/// On a bad command line it prints a one-line usage message to stderr and returns the exit
/// code to leave with, so `main` can write `Err(code) => return code`.
pub fn client_argument() -> Result<String, ExitCode> {
    let (program, argument) = single_argument("HOST:PORT")?;
    match check_client_address(&argument) {
        Ok(()) => Ok(argument),
        Err(problem) => Err(usage(&program, "HOST:PORT", &problem)),
    }
}

/// Reads the one argument of a server, `PORT` or `HOST:PORT`.
///
/// A bare port means `127.0.0.1:PORT`: only programs on this machine can reach the server,
/// which is the safe default on a laptop. `0.0.0.0:PORT` or `[::]:PORT` opens it to others.
pub fn server_argument() -> Result<String, ExitCode> {
    let (program, argument) = single_argument("PORT")?;
    match server_address(&argument) {
        Ok(address) => Ok(address),
        Err(problem) => Err(usage(&program, "PORT", &problem)),
    }
}
// ANCHOR_END: arguments

/// A number a server takes as an option before its address: `--idle-timeout SECS`.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The option as typed: `--idle-timeout`.
    pub flag: &'static str,
    /// What the value stands for in the usage line: `SECS`.
    pub placeholder: &'static str,
    /// The values accepted, both ends included.
    pub range: RangeInclusive<u64>,
    /// The value when the option is not given.
    pub default: u64,
}

impl Setting {
    /// `Setting::new("--idle-timeout", "SECS", 1..=86_400, 60)`: one line per option.
    pub const fn new(
        flag: &'static str,
        placeholder: &'static str,
        range: RangeInclusive<u64>,
        default: u64,
    ) -> Setting {
        Setting {
            flag,
            placeholder,
            range,
            default,
        }
    }
}

/// Reads a server's command line with options: `[--flag VALUE]... PORT` (lessons 6 to 8).
///
/// Each option may come at most once, in any order, before the address. Returns the address
/// (a bare port means `127.0.0.1`, as in [`server_argument`]) and one value per setting, in
/// the order of `settings`, so that `main` can destructure them by name:
/// `let (address, [max_clients, idle_seconds]) = netkit::server_arguments_with(&[...])?`.
pub fn server_arguments_with<const N: usize>(
    settings: &[Setting; N],
) -> Result<(String, [u64; N]), ExitCode> {
    let mut args = std::env::args();
    let program = program_name(args.next());
    let args: Vec<String> = args.collect();
    parse_server_command_line(&args, settings).map_err(|problem| {
        let shape: Vec<String> = settings
            .iter()
            .map(|setting| format!("[{} {}]", setting.flag, setting.placeholder))
            .chain(["PORT".to_string()])
            .collect();
        usage(&program, &shape.join(" "), &problem)
    })
}

/// The rules of [`server_arguments_with`], on a list of arguments (without the program name).
pub fn parse_server_command_line<const N: usize>(
    args: &[String],
    settings: &[Setting; N],
) -> Result<(String, [u64; N]), String> {
    let mut values: [Option<u64>; N] = [None; N];
    let mut rest = args;
    while let [flag, after_flag @ ..] = rest {
        if !flag.starts_with("--") {
            break;
        }
        let Some(index) = settings.iter().position(|setting| setting.flag == flag) else {
            return Err(format!("unknown option `{flag}`"));
        };
        let setting = &settings[index];
        let [value, after_value @ ..] = after_flag else {
            return Err(format!("`{flag}` needs a value ({})", setting.placeholder));
        };
        if values[index].is_some() {
            return Err(format!("`{flag}` is given twice"));
        }
        values[index] = Some(parse_setting(setting, value)?);
        rest = after_value;
    }
    let address = match rest {
        [] => return Err("missing argument".to_string()),
        [address] => server_address(address)?,
        [_, extra, ..] if extra.starts_with("--") => {
            return Err(format!("options come before the address: `{extra}`"));
        }
        [_, _, ..] => return Err("too many arguments".to_string()),
    };
    let mut chosen = [0; N];
    for (index, setting) in settings.iter().enumerate() {
        chosen[index] = values[index].unwrap_or(setting.default);
    }
    Ok((address, chosen))
}

/// A setting's value: digits only (as for ports), inside its range.
fn parse_setting(setting: &Setting, text: &str) -> Result<u64, String> {
    let (low, high) = (setting.range.start(), setting.range.end());
    let wrong = || {
        format!(
            "`{} {text}`: {} must be a whole number from {low} to {high}",
            setting.flag, setting.placeholder
        )
    };
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(wrong());
    }
    match text.parse::<u64>() {
        Ok(value) if setting.range.contains(&value) => Ok(value),
        _ => Err(wrong()),
    }
}

/// Returns the program's name and its only argument, or prints the usage line.
fn single_argument(shape: &str) -> Result<(String, String), ExitCode> {
    let mut args = std::env::args();
    let program = program_name(args.next());
    match (args.next(), args.next()) {
        (Some(argument), None) => Ok((program, argument)),
        (None, _) => Err(usage(&program, shape, "missing argument")),
        (Some(_), Some(_)) => Err(usage(&program, shape, "too many arguments")),
    }
}

/// `target/debug/lesson1` becomes `lesson1`, so the usage line names the command you ran.
fn program_name(arg0: Option<String>) -> String {
    let path = arg0.unwrap_or_default();
    let name = std::path::Path::new(&path)
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned());
    name.unwrap_or_else(|| "program".to_string())
}

fn usage(program: &str, shape: &str, problem: &str) -> ExitCode {
    let example = if shape.ends_with("PORT") && !shape.ends_with(":PORT") {
        "1234"
    } else {
        "127.0.0.1:1234"
    };
    eprintln!("usage: {program} {shape} ({problem}; for example: {program} {example})");
    ExitCode::from(USAGE_ERROR)
}

/// Checks the shape of `HOST:PORT` without resolving the host (that is a runtime step).
pub fn check_client_address(address: &str) -> Result<(), String> {
    let Some((host, port)) = address.rsplit_once(':') else {
        return Err(format!("`{address}` has no port"));
    };
    if host.is_empty() {
        return Err(format!("`{address}` has no host"));
    }
    parse_port(port).map(|_| ())
}

/// Turns `PORT` into `127.0.0.1:PORT` and checks the shape of `HOST:PORT`.
pub fn server_address(argument: &str) -> Result<String, String> {
    if argument.contains(':') {
        check_client_address(argument)?;
        Ok(argument.to_string())
    } else {
        let port = parse_port(argument)?;
        Ok(format!("127.0.0.1:{port}"))
    }
}

/// A port is a whole number from 0 to 65535, written in digits only.
///
/// `u16` is exactly that range, but `str::parse` also accepts a leading `+` (`+5`), which
/// no one means as a port: so the digits are checked first.
pub fn parse_port(text: &str) -> Result<u16, String> {
    let not_a_port = || format!("`{text}` is not a port (a whole number from 0 to 65535)");
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(not_a_port());
    }
    text.parse::<u16>().map_err(|_| not_a_port())
}

// ANCHOR: errors
/// The end of `main`: `Ok` exits with 0, `Err` prints its one line to stderr and exits with 1.
pub fn exit_with(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(RUNTIME_ERROR)
        }
    }
}

/// One readable line for an I/O error: `could not connect to 127.0.0.1:1234: connection refused`.
///
/// The operating system's own text differs between Linux, macOS and Windows and ends in
/// `(os error 111)`. For the common cases the standard library's [`io::ErrorKind`] has the
/// same short wording everywhere, so that is what we print.
pub fn error_line(what: &str, error: &io::Error) -> String {
    format!("{what}: {}", cause(error))
}

fn cause(error: &io::Error) -> String {
    let kind = error.kind().to_string();
    let vague = matches!(kind.as_str(), "other error" | "uncategorized error");
    if error.raw_os_error().is_some() && !vague {
        return kind;
    }
    let text = error.to_string();
    match text.find(" (os error") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}
// ANCHOR_END: errors

// ANCHOR: read_line
/// What [`read_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line, without its `\n` or `\r\n`. Bytes that are not UTF-8 become `�`.
    Text(String),
    /// More than [`MAX_LINE`] bytes without a newline.
    TooLong,
    /// The other side closed the stream: there is nothing more to read.
    End,
}

/// Reads one line of at most [`MAX_LINE`] bytes (not counting `\n` or `\r\n`).
///
/// Keep one `BufReader` for the whole conversation and pass it in each time: it may already
/// hold the start of the next line, and a new reader would lose those bytes.
pub fn read_line(reader: &mut impl BufRead) -> io::Result<Line> {
    let mut bytes = Vec::new();
    // `take` stops reading after the limit, whether or not a newline came.
    reader.take(LINE_READ_LIMIT).read_until(b'\n', &mut bytes)?;
    Ok(finish_line(bytes))
}

/// How many bytes to read at most for one line: [`MAX_LINE`] and its `\r\n`.
pub const LINE_READ_LIMIT: u64 = (MAX_LINE + "\r\n".len()) as u64;

/// What a line read with a limit of [`LINE_READ_LIMIT`] bytes turns out to be.
///
/// [`read_line`] reads with `std::io`; an async program reads the same way with its own
/// `take(LINE_READ_LIMIT).read_until(b'\n', ...)` and hands the bytes to this function.
pub fn finish_line(mut bytes: Vec<u8>) -> Line {
    if bytes.is_empty() {
        return Line::End;
    }
    let read = bytes.len();
    let ended = bytes.ends_with(b"\n");
    if ended {
        bytes.pop();
        if bytes.ends_with(b"\r") {
            bytes.pop();
        }
    }
    if bytes.len() > MAX_LINE || (!ended && read as u64 == LINE_READ_LIMIT) {
        return Line::TooLong;
    }
    // A last line without `\n` before the end of the stream still counts as a line.
    Line::Text(String::from_utf8_lossy(&bytes).into_owned())
}
// ANCHOR_END: read_line

// ANCHOR: send_and_close
/// Sends a last reply, then closes the connection in a way that lets the peer read it.
///
/// Simply dropping a `TcpStream` while the peer's bytes still sit unread in our receive
/// buffer makes the OS answer with a reset (RST) instead of a normal close, and a reset can
/// destroy our reply before the peer reads it. So we send, shut down our sending side (the
/// peer reads the end of the stream), and read and discard what the peer still sends, for
/// at most two seconds, before the stream is dropped.
pub fn send_and_close(mut stream: &TcpStream, reply: &str) -> io::Result<()> {
    stream.write_all(reply.as_bytes())?;
    stream.shutdown(Shutdown::Write)?;
    stream.set_read_timeout(Some(Duration::from_millis(250)))?;
    let give_up = Instant::now() + Duration::from_secs(2);
    let mut discarded = [0u8; 16 * 1024];
    while Instant::now() < give_up {
        match stream.read(&mut discarded) {
            Ok(0) | Err(_) => break, // the peer closed too, or went quiet
            Ok(_) => continue,
        }
    }
    Ok(())
}
// ANCHOR_END: send_and_close

// ANCHOR: printable
/// Text that came from the network, made safe to print on a terminal.
///
/// A terminal obeys control characters: `ESC [2J` clears the screen, `ESC ]0;...BEL` retitles
/// the window, `\r` moves back to overwrite what was printed. A peer could send any of them,
/// so every control character except tab is shown escaped instead (`\x1b`, `\r`, `\0`), and
/// the learner sees exactly what arrived. Text without any is returned as it is, uncopied.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_on_a_terminal) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !is_unsafe_on_a_terminal(c) => shown.push(c),
            '\0' => shown.push_str("\\0"),
            '\r' => shown.push_str("\\r"),
            '\n' => shown.push_str("\\n"),
            // Control characters are all below U+0100 (C0, DEL, and C1 such as U+009B, a
            // one-character `ESC [`): two hex digits show any of them.
            c => {
                let _ = write!(shown, "\\x{:02x}", u32::from(c));
            }
        }
    }
    Cow::Owned(shown)
}

/// Control characters (Unicode's category Cc: C0, DEL and C1), except tab, which terminals
/// only move past.
fn is_unsafe_on_a_terminal(c: char) -> bool {
    c.is_control() && c != '\t'
}
// ANCHOR_END: printable

// ANCHOR: log_line
/// Prints one line of a server's log on standard output, and never fails.
///
/// `println!` panics when stdout is gone (`lesson5 0 | head -1`: once `head` has its line and
/// leaves, every write to the pipe fails with "broken pipe"). A server must not die because
/// nobody reads its log, so a line that cannot be written is dropped and the server goes on.
pub fn log_line(line: &str) {
    let mut stdout = io::stdout().lock();
    // Ignored on purpose: the log is a courtesy, serving the clients is the job.
    let _ = writeln!(stdout, "{line}");
}
// ANCHOR_END: log_line

// ANCHOR: print_line
/// Prints one line of a client's output, or returns the error line for `?` to pass on: when
/// nobody reads stdout any more (`lesson1 ... | head -1`), a client stops with status 1 where
/// `println!` would panic.
pub fn print_line(line: &str) -> Result<(), String> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{line}").map_err(|error| error_line(STDOUT_GONE, &error))
}

/// What a program was doing when its standard output failed.
pub const STDOUT_GONE: &str = "could not write to standard output";
// ANCHOR_END: print_line

/// `STOP` ends a conversation: the text, with white space around it trimmed, is exactly `STOP`.
pub fn is_stop(text: &str) -> bool {
    text.trim() == "STOP"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<Line> {
        let mut reader = io::BufReader::new(input);
        let mut found = Vec::new();
        loop {
            match read_line(&mut reader).expect("reading from memory cannot fail") {
                Line::End => return found,
                line => found.push(line),
            }
        }
    }

    fn text(s: &str) -> Line {
        Line::Text(s.to_string())
    }

    #[test]
    fn splits_pipelined_lines_and_accepts_crlf() {
        assert_eq!(
            lines(b"one\ntwo\r\nthree"),
            [text("one"), text("two"), text("three")]
        );
    }

    #[test]
    fn keeps_empty_lines() {
        assert_eq!(lines(b"\n\r\n"), [text(""), text("")]);
    }

    #[test]
    fn shows_bad_utf8_lossily() {
        assert_eq!(lines(b"caf\xe9\n"), [text("caf\u{fffd}")]);
    }

    #[test]
    fn accepts_a_line_of_exactly_the_limit() {
        let mut input = vec![b'a'; MAX_LINE];
        input.extend_from_slice(b"\r\n");
        assert_eq!(lines(&input), [text(&"a".repeat(MAX_LINE))]);
    }

    #[test]
    fn rejects_a_line_one_byte_over_the_limit() {
        let mut input = vec![b'a'; MAX_LINE + 1];
        input.push(b'\n');
        assert_eq!(read_line(&mut &input[..]).ok(), Some(Line::TooLong));
        let endless = vec![b'a'; 10 * MAX_LINE];
        assert_eq!(read_line(&mut &endless[..]).ok(), Some(Line::TooLong));
    }

    #[test]
    fn stop_ignores_surrounding_white_space_only() {
        assert!(is_stop("STOP"));
        assert!(is_stop("  STOP\t"));
        assert!(!is_stop("stop"));
        assert!(!is_stop("STOP now"));
    }

    #[test]
    fn checks_client_addresses() {
        assert!(check_client_address("127.0.0.1:1234").is_ok());
        assert!(check_client_address("[::1]:1234").is_ok());
        assert!(check_client_address("localhost:0").is_ok());
        for bad in [
            "no-port-here",
            "localhost:not-a-port",
            "localhost:70000",
            ":80",
            "a:",
        ] {
            assert!(
                check_client_address(bad).is_err(),
                "{bad} should be rejected"
            );
        }
    }

    const MAX_CLIENTS: Setting = Setting {
        flag: "--max-clients",
        placeholder: "N",
        range: 1..=100_000,
        default: 1_000,
    };
    const IDLE_TIMEOUT: Setting = Setting {
        flag: "--idle-timeout",
        placeholder: "SECS",
        range: 1..=86_400,
        default: 60,
    };

    fn server_command_line(line: &str) -> Result<(String, [u64; 2]), String> {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse_server_command_line(&args, &[MAX_CLIENTS, IDLE_TIMEOUT])
    }

    #[test]
    fn options_come_before_the_address_in_any_order() {
        assert_eq!(
            server_command_line("1234"),
            Ok(("127.0.0.1:1234".to_string(), [1_000, 60]))
        );
        assert_eq!(
            server_command_line("--idle-timeout 1 --max-clients 3 0.0.0.0:0"),
            Ok(("0.0.0.0:0".to_string(), [3, 1]))
        );
        assert_eq!(
            server_command_line("--max-clients 100000 --idle-timeout 86400 0"),
            Ok(("127.0.0.1:0".to_string(), [100_000, 86_400]))
        );
    }

    #[test]
    fn bad_options_are_usage_errors() {
        for bad in [
            "",
            "--max-clients 3",
            "--max-clients",
            "--max-clients 0 1234",
            "--max-clients 100001 1234",
            "--max-clients +5 1234",
            "--max-clients -1 1234",
            "--idle-timeout 0 1234",
            "--idle-timeout 86401 1234",
            "--idle-timeout 1.5 1234",
            "--idle-timeout 1 --idle-timeout 2 1234",
            "--verbose 1234",
            "1234 --max-clients 3",
            "1234 5678",
            "--max-clients 3 not-a-port",
        ] {
            assert!(
                server_command_line(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn a_port_is_digits_only() {
        assert_eq!(parse_port("0"), Ok(0));
        assert_eq!(parse_port("65535"), Ok(65535));
        for bad in ["+5", "-1", " 5", "5 ", "", "65536", "0x10", "１２"] {
            assert!(parse_port(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn printable_escapes_what_would_drive_a_terminal() {
        assert_eq!(printable("hello\tworld é"), "hello\tworld é");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
        assert_eq!(
            printable("\x1b]0;pwned\x07\x1b[2J"),
            "\\x1b]0;pwned\\x07\\x1b[2J"
        );
        assert_eq!(printable("a\rb\0c\nd\x7f"), "a\\rb\\0c\\nd\\x7f");
        assert_eq!(printable("\u{9b}2J"), "\\x9b2J");
    }

    #[test]
    fn a_bare_port_binds_loopback() {
        assert_eq!(server_address("0").as_deref(), Ok("127.0.0.1:0"));
        assert_eq!(server_address("[::]:80").as_deref(), Ok("[::]:80"));
        assert!(server_address("70000").is_err());
        assert!(server_address("not-a-port").is_err());
    }

    #[test]
    fn error_lines_use_the_portable_wording() {
        let refused = io::Error::from_raw_os_error(connection_refused_code());
        assert_eq!(
            error_line("could not connect to 127.0.0.1:1", &refused),
            "could not connect to 127.0.0.1:1: connection refused"
        );
        let custom = io::Error::other("server closed the connection");
        assert_eq!(error_line("x", &custom), "x: server closed the connection");
    }

    fn connection_refused_code() -> i32 {
        if cfg!(windows) {
            10061
        } else if cfg!(target_os = "macos") {
            61
        } else {
            111
        }
    }
}
