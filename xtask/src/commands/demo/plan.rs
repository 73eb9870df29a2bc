//! Which programs a lesson's demo runs, and the client commands it prints, types into tmux
//! panes, and gives the students in room mode. All of it comes from `course.toml`: a client
//! lesson names the server it talks to (`peer`), a server lesson the client shown beside it.

use std::net::{IpAddr, SocketAddr};

use course::{Course, Lesson, Role, Transport};

/// What to run for one lesson.
pub(super) struct Plan<'a> {
    /// The lesson shown.
    pub lesson: &'a Lesson,
    /// The lesson whose reference solution is the server.
    pub server: &'a Lesson,
    /// The lesson whose reference solution is the client, if there is one.
    pub client: Option<&'a Lesson>,
}

/// One command to type in a client's terminal, and a few words on what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ClientCommand {
    pub line: String,
    pub what: String,
}

impl<'a> Plan<'a> {
    pub fn new(course: &'a Course, lesson: &'a Lesson) -> Result<Plan<'a>, String> {
        let peer = lesson.peer.and_then(|peer| course.lesson(peer));
        let (server, client) = match lesson.role {
            Role::Server => (lesson, peer),
            Role::Client => (
                peer.ok_or_else(|| {
                    format!(
                        "lesson {} is a client, and course.toml names no server for it \
                         (peer = N)",
                        lesson.number
                    )
                })?,
                Some(lesson),
            ),
        };
        Ok(Plan {
            lesson,
            server,
            client,
        })
    }

    pub fn udp(&self) -> bool {
        self.server.transport == Transport::Udp
    }

    /// Netcat as a client of the server at `ip`:`port`: `-v` says when it is connected (TCP)
    /// and which address it uses.
    pub fn netcat(&self, ip: IpAddr, port: u16) -> ClientCommand {
        let udp = if self.udp() { "-u " } else { "" };
        ClientCommand {
            line: format!("nc {udp}-v {ip} {port}"),
            what: "netcat".into(),
        }
    }

    /// The reference client, run quietly (`-q`: cargo's own lines would clutter the pane).
    pub fn reference_client(&self, address: SocketAddr) -> Option<ClientCommand> {
        self.client.map(|client| ClientCommand {
            line: format!("cargo run -q -p {} -- {address}", client.solution.name),
            what: format!("the lesson {} reference client", client.number),
        })
    }

    /// The learner's own client: the skeleton package, which holds their work.
    pub fn own_client(&self, address: SocketAddr) -> Option<ClientCommand> {
        self.client.map(|client| ClientCommand {
            line: format!("cargo run -q -p {} -- {address}", client.skeleton.name),
            what: format!("a learner's own lesson {} client", client.number),
        })
    }

    /// The commands for the instructor's own terminals, in the order they are shown and
    /// typed into tmux panes: the lesson's own program first.
    pub fn local_commands(&self, address: SocketAddr) -> Vec<ClientCommand> {
        let netcat = self.netcat(address.ip(), address.port());
        let reference = self.reference_client(address);
        let own = self.own_client(address);
        let mut commands = match self.lesson.role {
            Role::Client => vec![reference, own, Some(netcat)],
            Role::Server => vec![Some(netcat), reference, own],
        };
        commands.retain(Option::is_some);
        commands.into_iter().flatten().collect()
    }

    /// What students type on their own laptops to reach this machine at `address`: their
    /// own client (which they wrote), and netcat.
    pub fn student_commands(&self, address: SocketAddr) -> Vec<ClientCommand> {
        let mut commands: Vec<ClientCommand> = self.own_client(address).into_iter().collect();
        if let Some(own) = commands.first_mut() {
            own.what = format!("their own lesson {} client", self.client_number());
        }
        commands.push(self.netcat(address.ip(), address.port()));
        commands
    }

    fn client_number(&self) -> u32 {
        self.client
            .map_or(self.lesson.number, |client| client.number)
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    #[test]
    fn every_lesson_has_a_plan_with_a_server() {
        let course = xtask::load_course().expect("course.toml loads");
        for lesson in &course.lessons {
            let plan = Plan::new(&course, lesson).expect("a plan");
            assert_eq!(plan.server.role, Role::Server);
            assert!(plan.client.is_none_or(|client| client.role == Role::Client));
        }
    }

    #[test]
    fn commands_are_quiet_and_name_the_learners_own_client() {
        let course = xtask::load_course().expect("course.toml loads");
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, 1234));
        for lesson in &course.lessons {
            let plan = Plan::new(&course, lesson).expect("a plan");
            let commands = plan.local_commands(address);
            assert!(commands.iter().any(|c| c.line.starts_with("nc ")));
            assert!(commands.iter().all(|c| c.line.contains("1234")));
            if let Some(client) = plan.client {
                let own = format!("cargo run -q -p {} -- 127.0.0.1:1234", client.skeleton.name);
                assert!(commands.iter().any(|c| c.line == own), "{commands:?}");
                assert!(plan.student_commands(address).iter().any(|c| c.line == own));
            }
            // The longest command, indented, fits a projector's 60 columns.
            assert!(
                commands.iter().all(|c| c.line.len() + 2 <= 60),
                "{commands:?}"
            );
        }
    }
}
