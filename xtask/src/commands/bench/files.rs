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
//! A hard limit on open files below what is needed is beyond the bench's reach: it names it
//! in a note before it starts. (The local ports, the other limit a large run meets, are
//! dealt with in [`super::sources`].)

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

// A limit beyond the bench's reach

/// A line when `files` open at once are more than this process may have: printed before
/// the connections are opened, so that a run that stops short says why before it starts.
pub(super) fn limit_note(files: u64) -> Option<String> {
    note(files, open_files_limit())
}

/// [`limit_note`] with the `(soft, hard)` limit given.
fn note(files: u64, open_files: Option<(u64, u64)>) -> Option<String> {
    let (soft, hard) = open_files?;
    (soft < files).then(|| {
        format!(
            "bench: note: {files} open files needed, {soft} allowed (RLIMIT_NOFILE, hard {hard})"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_names_the_limit_when_too_low_and_fits_a_projected_line() {
        assert_eq!(note(2065, Some((524_288, 524_288))), None);
        assert_eq!(note(2065, None), None);
        assert_eq!(
            note(2065, Some((1024, 1024))).as_deref(),
            Some("bench: note: 2065 open files needed, 1024 allowed (RLIMIT_NOFILE, hard 1024)")
        );
        // A million connections: seven digits still fit.
        let widest = note(1_000_064, Some((1_000_000, 1_000_000))).expect("a note");
        assert!(widest.chars().count() <= 100, "{widest}");
    }
}
