//! What the demo prints before the server's output: the commands for the other terminals,
//! and in room mode the warning and the students' commands. Every line fits in 60 columns,
//! the width of a terminal pane on a projector (a test checks).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use xtask::text::wrap;

use super::plan::{ClientCommand, Plan};

/// The width of a projected pane.
pub(super) const WIDTH: usize = 60;

/// What the banner needs to know about this run.
pub(super) struct Setting<'a> {
    pub plan: &'a Plan<'a>,
    /// The demo's port, where clients connect.
    pub port: u16,
    /// Where the server itself listens, behind the relay.
    pub server: SocketAddr,
    pub wire: bool,
    /// Room mode: this machine's addresses on the network (maybe none).
    pub room: Option<Vec<IpAddr>>,
}

/// The banner, as lines.
pub(super) fn banner(setting: &Setting) -> Vec<String> {
    let plan = setting.plan;
    let port = setting.port;
    let local = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut lines = vec![
        String::new(),
        format!(
            "demo: {} is running, behind port {port}",
            plan.server.solution.name
        ),
        format!("  (it listens on {})", setting.server),
    ];
    if !plan.server.demo_args.is_empty() {
        lines.push(format!(
            "  (started with {})",
            plan.server.demo_args.join(" ")
        ));
    }
    if let Some(addresses) = &setting.room {
        lines.extend(room(plan, port, addresses));
    }
    let commands = plan.local_commands(local);
    lines.push(match plan.lesson.role {
        course::Role::Client => "In another terminal, start the client:".into(),
        course::Role::Server => "In other terminals, one client each:".into(),
    });
    lines.extend(listed(&commands));
    if plan.udp() {
        lines.extend(wrapped(
            "Each line is one datagram; replies have no newline.",
        ));
    }
    if let Some(note) = &plan.lesson.demo_note {
        lines.extend(wrapped(note));
    }
    lines.extend(wrapped(
        "Type STOP to end a session. Ctrl-C here ends the demo.",
    ));
    if setting.wire {
        lines.extend(wrapped(
            "--wire: the exact bytes, escaped; -> from a client, <- to it.",
        ));
    }
    lines.extend(wrapped(
        "Below: the server's output, and the demo's [client] lines.",
    ));
    lines.push("-".repeat(WIDTH));
    lines
}

/// Room mode's part: the warning, the addresses, the students' commands.
fn room(plan: &Plan, port: u16, addresses: &[IpAddr]) -> Vec<String> {
    let mut lines = vec![String::new()];
    lines.extend(wrapped(&format!(
        "WARNING: room mode. The demo listens on 0.0.0.0:{port}, so anyone on this \
         network can connect. Ctrl-C ends it."
    )));
    let Some(ip) = super::room::student_address(addresses) else {
        lines.extend(wrapped(
            "No network address found: is this machine on the room's Wi-Fi? Students \
             cannot reach it now.",
        ));
        lines.push(String::new());
        return lines;
    };
    let shown: Vec<String> = addresses.iter().map(IpAddr::to_string).collect();
    lines.extend(wrapped(&format!(
        "This machine's address: {}",
        shown.join(", ")
    )));
    lines.push("Students type, on their own laptops:".into());
    lines.extend(listed(&plan.student_commands(SocketAddr::new(ip, port))));
    lines.extend(wrapped(if plan.client.is_some() {
        "(On Windows, without nc, their own client is enough.)"
    } else {
        "(Windows has no nc: winget install Insecure.Nmap gives ncat.)"
    }));
    lines.push(String::new());
    lines
}

/// Commands indented, then one line naming them in order.
fn listed(commands: &[ClientCommand]) -> Vec<String> {
    let mut lines: Vec<String> = commands
        .iter()
        .map(|command| format!("  {}", command.line))
        .collect();
    let names: Vec<&str> = commands.iter().map(|c| c.what.as_str()).collect();
    lines.extend(wrapped(&format!("  ({})", names.join("; "))));
    lines
}

fn wrapped(text: &str) -> Vec<String> {
    let indent = text.len() - text.trim_start().len();
    wrap(text.trim_start(), indent, WIDTH)
        .lines()
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_banner_fits_a_projector_and_names_quiet_commands() {
        let course = xtask::load_course().expect("course.toml loads");
        let server = SocketAddr::from((Ipv4Addr::LOCALHOST, 43210));
        let rooms = [
            None,
            Some(vec![]),
            Some(vec![
                "192.168.100.200".parse().expect("an address"),
                "fd00:1234:5678:9abc::12".parse().expect("an address"),
            ]),
        ];
        for lesson in &course.lessons {
            let plan = Plan::new(&course, lesson).expect("a plan");
            for room in &rooms {
                let setting = Setting {
                    plan: &plan,
                    port: 1234,
                    server,
                    wire: true,
                    room: room.clone(),
                };
                let lines = banner(&setting);
                let text = lines.join("\n");
                for line in &lines {
                    assert!(
                        line.chars().count() <= WIDTH,
                        "{} columns: {line}",
                        line.len()
                    );
                }
                assert!(text.contains("nc "), "{text}");
                if plan.client.is_some() {
                    assert!(text.contains("cargo run -q -p"), "{text}");
                }
                if room.as_ref().is_some_and(|addresses| !addresses.is_empty()) {
                    // A client lesson's command takes HOST:PORT; netcat (all a lesson
                    // without a client, such as the chat, shows) takes HOST PORT.
                    assert!(
                        text.contains("192.168.100.200:1234")
                            || text.contains("nc -v 192.168.100.200 1234"),
                        "{text}"
                    );
                    assert!(text.contains("anyone on this network"), "{text}");
                }
            }
        }
    }
}
