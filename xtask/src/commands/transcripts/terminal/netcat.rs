//! netcat, as far as the book shows it: `nc HOST PORT` over TCP, and `nc -u` as a UDP
//! client and as a UDP "server". Each stand-in does what `nc` does in those sessions (send
//! each typed line, show the bytes that come back) with a plain socket, so its screen is
//! exactly netcat's, on every system, with no netcat installed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};

use super::super::{SHOWN_PORT, STEP};
use super::udp_port;

/// `nc 127.0.0.1 PORT`: each typed line goes to the TCP server, each line back is shown.
pub struct TcpNetcat {
    stream: TcpStream,
    replies: BufReader<TcpStream>,
    screen: String,
}

impl TcpNetcat {
    pub fn connect(port: u16) -> Result<TcpNetcat, String> {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .map_err(|err| format!("netcat stand-in could not connect: {err}"))?;
        stream
            .set_read_timeout(Some(STEP))
            .map_err(|err| format!("netcat stand-in: {err}"))?;
        let replies = BufReader::new(
            stream
                .try_clone()
                .map_err(|err| format!("netcat stand-in: {err}"))?,
        );
        Ok(TcpNetcat {
            stream,
            replies,
            screen: format!("$ nc 127.0.0.1 {SHOWN_PORT}\n"),
        })
    }

    pub fn type_line(&mut self, line: &str) -> Result<(), String> {
        let typed = format!("{line}\n");
        self.screen.push_str(&typed);
        self.stream
            .write_all(typed.as_bytes())
            .map_err(|err| format!("netcat stand-in could not send: {err}"))
    }

    /// The port of our end of the connection, which the server sees as the client's.
    pub fn local_port(&self) -> Result<u16, String> {
        self.stream
            .local_addr()
            .map(|address| address.port())
            .map_err(|err| format!("netcat stand-in: {err}"))
    }

    /// Waits for one line from the server and shows it.
    pub fn show_reply(&mut self) -> Result<(), String> {
        let mut reply = String::new();
        match self.replies.read_line(&mut reply) {
            Ok(0) => Err("netcat stand-in: the server closed the connection".to_string()),
            Ok(_) => {
                self.screen.push_str(&reply);
                Ok(())
            }
            Err(err) => Err(format!("netcat stand-in got no reply: {err}")),
        }
    }

    /// Ctrl-C, or the server hanging up: the connection closes. Returns once the server has
    /// closed its side too, so that whatever the server does when a client leaves (a
    /// count going down) has happened before the session goes on.
    pub fn close(mut self) -> Result<String, String> {
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        let mut rest = Vec::new();
        self.replies
            .read_to_end(&mut rest)
            .map_err(|err| format!("netcat stand-in: the server did not close: {err}"))?;
        self.screen.push_str(&String::from_utf8_lossy(&rest));
        Ok(self.screen)
    }

    /// The screen so far, for a netcat that is left running.
    pub fn screen(&self) -> String {
        self.screen.clone()
    }
}

/// `nc -u -l PORT`: a UDP "server" that shows every datagram and answers only when a
/// person types something.
pub struct UdpNetcatServer {
    socket: UdpSocket,
    port: u16,
    last_sender: Option<SocketAddr>,
    screen: String,
}

impl UdpNetcatServer {
    pub fn bind() -> Result<UdpNetcatServer, String> {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .map_err(|err| format!("UDP netcat stand-in could not bind: {err}"))?;
        socket
            .set_read_timeout(Some(STEP))
            .map_err(|err| format!("UDP netcat stand-in: {err}"))?;
        let port = udp_port(&socket)?;
        Ok(UdpNetcatServer {
            socket,
            port,
            last_sender: None,
            screen: format!("$ nc -u -l {SHOWN_PORT}\n"),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits for one datagram and shows it as netcat does: its bytes, as they are.
    pub fn show_datagram(&mut self) -> Result<(), String> {
        let mut buffer = [0u8; 65_536];
        let (size, sender) = self
            .socket
            .recv_from(&mut buffer)
            .map_err(|err| format!("UDP netcat stand-in received nothing: {err}"))?;
        self.screen
            .push_str(&String::from_utf8_lossy(&buffer[..size]));
        self.last_sender = Some(sender);
        Ok(())
    }

    /// Typing a line in netcat's terminal sends it back to whoever sent the last datagram.
    pub fn type_line(&mut self, line: &str) -> Result<(), String> {
        let typed = format!("{line}\n");
        self.screen.push_str(&typed);
        let sender = self
            .last_sender
            .ok_or("UDP netcat stand-in: nobody to answer yet")?;
        self.socket
            .send_to(typed.as_bytes(), sender)
            .map(|_| ())
            .map_err(|err| format!("UDP netcat stand-in could not send: {err}"))
    }

    pub fn screen(&self) -> String {
        self.screen.clone()
    }
}

/// `nc -u 127.0.0.1 PORT`: each typed line goes out as one datagram; whatever comes back is
/// shown as it is, without adding a newline.
pub struct UdpNetcatClient {
    socket: UdpSocket,
    screen: String,
}

impl UdpNetcatClient {
    pub fn connect(port: u16) -> Result<UdpNetcatClient, String> {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .and_then(|socket| socket.connect(("127.0.0.1", port)).map(|()| socket))
            .map_err(|err| format!("UDP netcat stand-in could not connect: {err}"))?;
        socket
            .set_read_timeout(Some(STEP))
            .map_err(|err| format!("UDP netcat stand-in: {err}"))?;
        Ok(UdpNetcatClient {
            socket,
            screen: format!("$ nc -u 127.0.0.1 {SHOWN_PORT}\n"),
        })
    }

    pub fn type_line(&mut self, line: &str) -> Result<(), String> {
        let typed = format!("{line}\n");
        self.screen.push_str(&typed);
        self.socket
            .send(typed.as_bytes())
            .map(|_| ())
            .map_err(|err| format!("UDP netcat stand-in could not send: {err}"))
    }

    /// Waits for one datagram and shows it. A reply that is a number (the lesson 4 server's
    /// are random) is shown as `shown_number` instead, so that the transcript stays the same.
    pub fn show_reply(&mut self, shown_number: &str) -> Result<(), String> {
        let mut buffer = [0u8; 65_536];
        let size = self
            .socket
            .recv(&mut buffer)
            .map_err(|err| format!("UDP netcat stand-in got no reply: {err}"))?;
        let reply = String::from_utf8_lossy(&buffer[..size]).into_owned();
        if !reply.is_empty() && reply.bytes().all(|byte| byte.is_ascii_digit()) {
            self.screen.push_str(shown_number);
        } else {
            self.screen.push_str(&reply);
        }
        Ok(())
    }

    pub fn screen(&self) -> String {
        self.screen.clone()
    }
}
