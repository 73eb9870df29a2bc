//! `demo`: the relay's narration and `--wire`, the port kept across restarts, the keyboard
//! of the demo's pane, room mode, tmux panes, `demo race`. Every client here connects over
//! loopback; nothing is sent to any other address.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use super::{
    BUILD, QUICK, Scratch, Session, cargo_turn, real_root, run, scratch, shared_target, succeeded,
    text, xtask,
};

/// A port for the demo: one nothing listens on, and no `bind(0)` will be given.
fn demo_port() -> u16 {
    process::ports::unused_tcp().expect("a free port")
}

/// A client of the demo, line by line, with a deadline on every read.
struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(ip: Ipv4Addr, port: u16) -> Client {
        let stream = TcpStream::connect((ip, port)).expect("connect to the demo");
        stream
            .set_read_timeout(Some(QUICK))
            .expect("a read deadline");
        let reader = BufReader::new(stream.try_clone().expect("clone the stream"));
        Client { stream, reader }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send to the demo");
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("a reply line");
        line
    }
}

/// The banner, up to its closing rule; every line of it fits a projected pane.
fn banner(demo: &mut Session) -> String {
    demo.wait_for("------", BUILD);
    let banner: String = demo
        .seen
        .lines()
        .skip_while(|line| !line.starts_with("demo: lesson"))
        .filter(|line| !line.starts_with("    ")) // cargo's own `Finished` line
        .map(|line| format!("{line}\n"))
        .collect();
    for line in banner.lines() {
        assert!(
            line.chars().count() <= 60,
            "wider than 60 columns: {line:?}"
        );
    }
    banner
}

/// The client's address in the narration: `[127.0.0.1:50000]`.
fn tag(client: &Client) -> String {
    format!("[{}]", client.stream.local_addr().expect("our address"))
}

/// Through the relay on its default-style fixed port, the server pane narrates a client's
/// connect, its line and its leaving, beside the server's own output.
#[test]
#[ignore = "builds the lessons in a scratch workspace (slow on a fresh clone); CI runs it with --ignored"]
fn demo_5_narrates_who_connected_said_and_left() {
    let _turn = cargo_turn();
    let root = scratch("demo-narrate");
    let port = demo_port();
    let mut demo = Session::start(xtask(&root, &["demo", "5", "--port", &port.to_string()]));
    let banner = banner(&mut demo);
    for command in [
        format!("nc -v 127.0.0.1 {port}"),
        format!("cargo run -q -p lesson1-solution -- 127.0.0.1:{port}"),
        format!("cargo run -q -p lesson1 -- 127.0.0.1:{port}"),
    ] {
        assert!(banner.contains(&command), "no `{command}` in:\n{banner}");
    }

    let mut ada = Client::connect(Ipv4Addr::LOCALHOST, port);
    let ada_tag = tag(&ada);
    demo.wait_for(&format!("{ada_tag} connected (1 now)"), QUICK);
    let mut bob = Client::connect(Ipv4Addr::LOCALHOST, port);
    demo.wait_for(&format!("{} connected (2 now)", tag(&bob)), QUICK);
    // Bob's answer shows the server has accepted him (and Ada before him): from then on,
    // the count is 2.
    bob.send(b"hi\n");
    bob.line();
    ada.send(b"hello\n");
    assert_eq!(ada.line(), "2\n", "lesson 5 answers with the count");
    demo.wait_for(&format!("{ada_tag} -> hello"), QUICK);
    drop(ada);
    demo.wait_for(&format!("{ada_tag} left (1 now)"), QUICK);
    bob.send(b"STOP\n");
    demo.wait_for("the server closed the connection", QUICK);
}

/// `--wire` shows the exact bytes each way: the lone `\n` of a double newline gets its own
/// line, and so does the server's `ERROR` line before it closes a connection.
#[test]
#[ignore = "builds the lessons in a scratch workspace (slow on a fresh clone); CI runs it with --ignored"]
fn demo_wire_shows_the_bytes_each_way() {
    let _turn = cargo_turn();
    let root = scratch("demo-wire");
    let port = demo_port();
    let mut demo = Session::start(xtask(
        &root,
        &["demo", "5", "--port", &port.to_string(), "--wire"],
    ));
    banner(&mut demo);

    let mut client = Client::connect(Ipv4Addr::LOCALHOST, port);
    let me = tag(&client);
    // What the Go client sends: each line with a second newline.
    client.send(b"hello\n\n");
    assert_eq!(client.line(), "1\n");
    assert_eq!(client.line(), "1\n");
    demo.wait_for(&format!(r#"{me} -> "hello\n""#), QUICK);
    demo.wait_for(&format!(r#"{me} -> "\n""#), QUICK);
    demo.wait_for(&format!(r#"{me} <- "1\n""#), QUICK);

    // A line over 64 KiB: the server says why before it hangs up.
    let mut long = vec![b'a'; 70_000];
    long.push(b'\n');
    client.send(&long);
    assert_eq!(client.line(), "ERROR line too long\n");
    demo.wait_for(&format!(r#"{me} <- "ERROR line too long\n""#), QUICK);
    demo.wait_for(&format!("{me} <- (end of stream)"), QUICK);
}

/// The lesson 2 server serves one client; the port stays while it is down. A line typed in
/// the demo's pane while the server runs is answered with a note and never taken as the
/// "Enter" that starts it again; a line typed after the question is.
#[test]
#[ignore = "builds the lessons in a scratch workspace (slow on a fresh clone); CI runs it with --ignored"]
fn demo_keeps_its_port_and_ignores_typing_during_a_session() {
    let _turn = cargo_turn();
    let root = scratch("demo-restart");
    let port = demo_port();
    let mut demo = Session::start(xtask(&root, &["demo", "2", "--port", &port.to_string()]));
    banner(&mut demo);

    demo.type_line("oops, typed into the server's pane");
    demo.wait_for("typing here does nothing", QUICK);
    let mut client = Client::connect(Ipv4Addr::LOCALHOST, port);
    client.send(b"what time is it?\n");
    assert!(client.line().contains('T'), "an RFC 3339 time");
    client.send(b"STOP\n");
    demo.wait_for("the server ended", QUICK);
    demo.wait_for(&format!("Enter starts it again on port {port}"), QUICK);

    // Not restarted by the line typed earlier: the relay still holds the port, and says
    // that no server runs behind it.
    let mut early = Client::connect(Ipv4Addr::LOCALHOST, port);
    demo.wait_for("no server is running", QUICK);
    let mut rest = Vec::new();
    let _ = early.reader.read_to_end(&mut rest);

    demo.type_line("");
    demo.wait_for(&format!("running again behind port {port}"), QUICK);
    let mut again = Client::connect(Ipv4Addr::LOCALHOST, port);
    again.send(b"again\n");
    assert!(again.line().contains('T'), "the restarted server answers");
}

/// `--room` listens on every address and says so, with this machine's addresses (or that it
/// has none) and the students' commands; a client through loopback is answered.
#[test]
#[ignore = "builds the lessons in a scratch workspace (slow on a fresh clone); CI runs it with --ignored"]
fn demo_room_listens_on_every_address() {
    let _turn = cargo_turn();
    let root = scratch("demo-room");
    let port = demo_port();
    let mut demo = Session::start(xtask(
        &root,
        &["demo", "5", "--port", &port.to_string(), "--room"],
    ));
    let banner = banner(&mut demo);
    assert!(banner.contains("WARNING: room mode"), "{banner}");
    assert!(banner.contains(&format!("0.0.0.0:{port}")), "{banner}");
    assert!(
        banner.contains("Students type") || banner.contains("No network address found"),
        "{banner}"
    );
    if banner.contains("Students type") {
        assert!(banner.contains("cargo run -q -p lesson1 -- "), "{banner}");
        assert!(
            banner.contains(&format!(" {port}\n")),
            "netcat's port: {banner}"
        );
    }

    let mut client = Client::connect(Ipv4Addr::LOCALHOST, port);
    client.send(b"hello from the room\n");
    assert_eq!(client.line(), "1\n");
    // Linux routes all of 127.0.0.0/8 to loopback: only a socket on 0.0.0.0 answers there.
    if cfg!(target_os = "linux") {
        let mut other = Client::connect(Ipv4Addr::new(127, 0, 0, 2), port);
        other.send(b"hello\n");
        assert_eq!(other.line(), "2\n");
    }
}

/// The demo is killed on its own, as by `kill PID`: no destructor runs, and still its
/// server is gone.
#[test]
#[ignore = "builds the lessons in a scratch workspace (slow on a fresh clone); CI runs it with --ignored"]
fn demo_leaves_nothing_behind() {
    let _turn = cargo_turn();
    let root = scratch("demo");
    let port = demo_port();
    let mut demo = Session::start(xtask(&root, &["demo", "2", "--port", &port.to_string()]));
    banner(&mut demo);
    let mut client = Client::connect(Ipv4Addr::LOCALHOST, port);
    client.send(b"hello\n");
    assert!(client.line().contains('T'), "the time comes back");
    demo.wait_for("-> hello", QUICK);

    demo.child.kill();
    let mut rest = Vec::new();
    if let Err(error) = client.reader.read_to_end(&mut rest) {
        assert!(
            !matches!(
                error.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "the connection still stood after the demo was killed"
        );
    }
    #[cfg(target_os = "linux")]
    assert_no_process_mentions(&shared_target().join("debug/lesson2-solution"));
}

/// No running process has `needle` in its command line (within a few seconds).
#[cfg(target_os = "linux")]
fn assert_no_process_mentions(needle: &Path) {
    let needle = needle.to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let found: Vec<String> = fs::read_dir("/proc")
            .expect("list /proc")
            .flatten()
            .filter_map(|entry| fs::read(entry.path().join("cmdline")).ok())
            .map(|bytes| text(&bytes).replace('\0', " "))
            .filter(|cmdline| cmdline.contains(&needle))
            .collect();
        if found.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still running after the demo was killed: {found:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// A taken port is one short line and status 1, before anything is built.
#[test]
fn demo_says_when_its_port_is_taken() {
    let holder = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("hold a port");
    let port = holder.local_addr().expect("its address").port();
    let output = run(
        xtask(&real_root(), &["demo", "5", "--port", &port.to_string()]),
        QUICK,
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.and_then(|s| s.code()), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("port {port} is taken")),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.trim_end().chars().count() <= 60, "{stderr}");
    assert!(!text(&output.stdout).contains("building"), "built first");
}

/// `demo race` shows the file and the compiler refusing it.
#[test]
fn demo_race_shows_the_compiler_refusing_the_go_race() {
    let output = run(xtask(&real_root(), &["demo", "race"]), QUICK);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(succeeded(&output), "{stdout}{stderr}");
    assert!(stdout.contains("thread::spawn(||"), "{stdout}");
    assert!(stderr.contains("E0373"), "{stderr}");
    assert!(stdout.contains("refused, as it should be"), "{stdout}");
}

/// `--tmux` opens the demo's pane and three client panes with their commands typed in, not
/// run, in a tmux server of its own (`TMUX_TMPDIR`), ended when the test ends.
#[test]
#[ignore = "starts a tmux server of its own, and the demo in it; CI runs it with --ignored"]
fn demo_tmux_types_the_commands_into_panes() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let dir = Scratch::empty("demo-tmux");
    fs::create_dir_all(&*dir).expect("a folder for tmux");
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(args)
            .env("TMUX_TMPDIR", &*dir)
            .env_remove("TMUX")
            .output()
            .expect("tmux runs")
    };
    // Ends our own tmux server, and the demo in it, whatever happens below.
    struct Server<'a>(&'a dyn Fn(&[&str]) -> std::process::Output);
    impl Drop for Server<'_> {
        fn drop(&mut self) {
            (self.0)(&["kill-server"]);
        }
    }
    let _server = Server(&tmux);

    let port = demo_port().to_string();
    let mut command = xtask(&real_root(), &["demo", "5", "--tmux", "--port", &port]);
    command.env("TMUX_TMPDIR", &*dir).env_remove("TMUX");
    let output = run(command, QUICK);
    let stdout = text(&output.stdout);
    assert!(succeeded(&output), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("tmux attach -t demo-5"), "{stdout}");

    let panes = text(&tmux(&["list-panes", "-t", "=demo-5", "-F", "#{pane_id}"]).stdout);
    let panes: Vec<&str> = panes.lines().collect();
    assert_eq!(panes.len(), 4, "{panes:?}");
    let typed = [
        format!("cargo xtask demo 5 --port {port}"),
        format!("nc -v 127.0.0.1 {port}"),
        format!("cargo run -q -p lesson1-solution -- 127.0.0.1:{port}"),
        format!("cargo run -q -p lesson1 -- 127.0.0.1:{port}"),
    ];
    // The shells take a moment to show what was typed: tmux has no event for it.
    let deadline = Instant::now() + QUICK;
    for (index, (pane, wanted)) in panes.iter().zip(&typed).enumerate() {
        loop {
            let shown = text(&tmux(&["capture-pane", "-p", "-t", pane]).stdout);
            let last = shown.lines().rev().find(|line| !line.trim().is_empty());
            // The demo's pane runs its command; a client's waits on the prompt's line.
            let done = if index == 0 {
                shown.contains(wanted.as_str())
            } else {
                last.is_some_and(|line| line.trim_end().ends_with(wanted.as_str()))
            };
            if done {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{pane} shows no `{wanted}`:\n{shown}"
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}
