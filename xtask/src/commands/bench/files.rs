//! Open files: every connection is a file handle in the bench and one in the server.
//!
//! The usual limit (`ulimit -n`, often 1024 by default) is far below `--hold 10000`, and
//! Rust's standard library has no call to raise it (`setrlimit` needs `unsafe` or a crate).
//! So the limit is raised the way a user would do it, by the shell: the server is started
//! as `sh -c 'ulimit -S -n <hard limit>; exec SERVER...'`, and when the bench itself needs
//! more handles than its own limit, it re-runs itself the same way, once. (Go programs raise
//! their own limit at start-up since Go 1.19; Rust programs keep the one they were given.)
//! Only the soft limit can be raised this way, up to the hard limit set by the system.
//!
//! Two limits are beyond the bench's reach, and it names them in a note before it starts
//! when the run needs more than they allow: a hard limit on open files below what is
//! needed, and the local ports. Every connection from 127.0.0.1 to the server's one address
//! needs a port of its own on the bench's side, taken from the range the system hands out
//! (`net.ipv4.ip_local_port_range`, 28,232 ports by default on Linux). Connecting from
//! several source addresses (127.0.0.2, ...) would multiply that, but binding a socket
//! before connecting it takes a crate (socket2) that the tooling does without.

use std::fs;
use std::process::Command;

/// Set in the environment of the bench when it re-runs itself with a raised limit.
const RAISED_MARK: &str = "XTASK_BENCH_RAISED_NOFILE";

// Open files

/// The soft and hard limits on open files, from `/proc/self/limits` (Linux only).
fn open_files_limit() -> Option<(u64, u64)> {
    let limits = fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    let mut numbers = line["Max open files".len()..]
        .split_whitespace()
        .map(|word| word.parse::<u64>().unwrap_or(u64::MAX));
    Some((numbers.next()?, numbers.next()?))
}

/// If the bench needs more open files than its limit allows, runs itself again through
/// `sh -c 'ulimit ...'` and returns that run's result. `None`: carry on in this process.
pub(super) fn rerun_with_more_files(needed: u64) -> Result<Option<Result<(), String>>, String> {
    let Some((soft, hard)) = open_files_limit() else {
        return Ok(None);
    };
    if soft >= needed {
        return Ok(None);
    }
    if std::env::var_os(RAISED_MARK).is_some() || soft >= hard {
        // [`limit_notes`] says so.
        return Ok(None);
    }
    let program =
        std::env::current_exe().map_err(|error| format!("could not find the bench: {error}"))?;
    println!("bench: raising the open-files limit from {soft} to {hard} (running again)");
    let status = Command::new("sh")
        .arg("-c")
        .arg(RAISE_AND_EXEC)
        .arg(program)
        .args(std::env::args_os().skip(1))
        .env(RAISED_MARK, "1")
        .status()
        .map_err(|error| format!("could not run sh: {error}"))?;
    Ok(Some(if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the bench, run again with more open files, ended with {status}"
        ))
    }))
}

/// Raises the soft limit on open files to the hard limit, then becomes the given program.
/// `$0` is the program, `"$@"` its arguments.
pub(super) const RAISE_AND_EXEC: &str =
    "ulimit -S -n \"$(ulimit -H -n)\" 2>/dev/null; exec \"$0\" \"$@\"";

// Limits beyond the bench's reach

/// The range of local ports the system hands out, from `/proc` (Linux only).
fn local_port_range() -> Option<(u64, u64)> {
    let text = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut numbers = text.split_whitespace().map(|word| word.parse::<u64>().ok());
    Some((numbers.next()??, numbers.next()??))
}

/// A line for each limit that `connections` to one address, and `files` open at once, run
/// into in this process: printed before the connections are opened, so that a run that
/// stops short says why before it starts.
pub(super) fn limit_notes(connections: usize, files: u64) -> Vec<String> {
    notes(connections, files, open_files_limit(), local_port_range())
}

/// [`limit_notes`] with the limits given: `(soft, hard)` open files, `(low, high)` ports.
fn notes(
    connections: usize,
    files: u64,
    open_files: Option<(u64, u64)>,
    ports: Option<(u64, u64)>,
) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some((soft, hard)) = open_files
        && soft < files
    {
        notes.push(format!(
            "bench: note: {files} open files needed, {soft} allowed (RLIMIT_NOFILE, hard {hard})"
        ));
    }
    if let Some((low, high)) = ports {
        let count = (high + 1).saturating_sub(low);
        if connections as u64 > count {
            notes.push(format!(
                "bench: note: {connections} connections, {count} local ports \
                 (net.ipv4.ip_local_port_range {low} {high})"
            ));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_name_the_limit_that_is_too_low_and_fit_a_projected_line() {
        let enough = notes(2000, 2065, Some((524_288, 524_288)), Some((32768, 60999)));
        assert!(enough.is_empty());
        let files = notes(2000, 2065, Some((1024, 1024)), Some((32768, 60999)));
        assert_eq!(
            files,
            ["bench: note: 2065 open files needed, 1024 allowed (RLIMIT_NOFILE, hard 1024)"]
        );
        let ports = notes(
            30_000,
            30_065,
            Some((1 << 20, 1 << 20)),
            Some((32768, 60999)),
        );
        assert_eq!(
            ports,
            ["bench: note: 30000 connections, 28232 local ports \
              (net.ipv4.ip_local_port_range 32768 60999)"]
        );
        assert!(notes(28_232, 100, None, Some((32768, 60999))).is_empty());
        // A million connections, far beyond any port range: seven digits still fit.
        let widest = notes(
            1_000_000,
            1_000_064,
            Some((1_000_000, 1_000_000)),
            Some((1_000_000, 1_000_001)),
        );
        assert_eq!(widest.len(), 2);
        for note in widest {
            assert!(note.chars().count() <= 100, "{note}");
        }
    }
}
