//! `cargo xtask transcripts [--check]`: the terminal sessions shown in the book, from real runs.
//!
//! A transcript typed by hand goes stale the day a program's output changes, and nobody
//! notices. So every session the book shows is played here with the reference solutions:
//! a server is started on port 0, its `Listening on` line is read, a client is started
//! against it and fed the lines a learner would type, and everything each program prints
//! is recorded as the learner's terminal would show it. The typed text is put back after
//! each `>> ` prompt, as the terminal echoes it.
//!
//! What changes from run to run is then made fixed, so the files only change when the
//! programs do: RFC 3339 times become [`SHOWN_TIME`], each port the system picked becomes
//! the port the book talks about (1234), and the lesson 4 server's random numbers become
//! fixed ones, in the order they come.
//!
//! Without `--check` the files are written to `book/src/transcripts/`, where chapters include
//! them. With `--check` nothing is written: the sessions are played again and compared with
//! the committed files, and any difference fails the command (CI runs it).
//!
//! Only our own programs are used, never `nc`, so the sessions play the same on every
//! system. Where the book shows a netcat terminal, a plain socket does what netcat does
//! (send each typed line, show the bytes that come back), so its transcript is exactly what
//! netcat shows. The sessions themselves are in `transcripts/sessions.rs`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

mod sessions;
mod terminal;

/// Where the transcripts live; chapters include them as `transcripts/NAME.txt`.
const DIR: &str = "book/src/transcripts";

/// Every RFC 3339 time a program prints is shown as this one.
const SHOWN_TIME: &str = "2026-11-28T10:15:00+01:00";

/// The port the book uses in its examples; every server port picked by the system shows as it.
const SHOWN_PORT: u16 = 1234;

/// How long any one step of a session may take before the session is declared stuck.
const STEP: Duration = Duration::from_secs(10);

/// Runs `cargo xtask transcripts [--check]` from the workspace root.
pub fn run(args: &[String]) -> Result<(), String> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => return Err("usage: cargo xtask transcripts [--check]".to_string()),
    };
    let played = play_all()?;
    if check {
        compare_with_committed(&played)
    } else {
        write_all(&played)
    }
}

/// What the sessions produced, and the files of the sessions that could not be played.
struct Played {
    transcripts: Vec<Transcript>,
    /// Files of sessions whose programs are not in this workspace (a lesson not written
    /// yet): neither written, nor compared, nor reported as stale.
    skipped: Vec<&'static str>,
}

/// One terminal of one session, ready to become a file under `book/src/transcripts/`.
struct Transcript {
    /// File name, e.g. `tcp-client.txt`.
    name: &'static str,
    /// What the terminal showed, normalised.
    text: String,
}

impl Transcript {
    fn new(name: &'static str, text: String) -> Transcript {
        Transcript { name, text }
    }
}

/// Builds the programs, then plays every session whose programs exist.
fn play_all() -> Result<Played, String> {
    let sessions = sessions::SESSIONS;
    // Two sessions writing the same file would hide one of them.
    let mut names = BTreeSet::new();
    if let Some(twice) = sessions
        .iter()
        .flat_map(|session| session.files)
        .find(|name| !names.insert(**name))
    {
        return Err(format!("two sessions write {twice}"));
    }

    let playable: Vec<&sessions::Session> = sessions
        .iter()
        .filter(|session| session.programs.iter().all(|p| package_exists(p)))
        .collect();
    let mut needed: Vec<&str> = playable
        .iter()
        .flat_map(|session| session.programs.iter().copied())
        .collect();
    needed.sort_unstable();
    needed.dedup();
    build_programs(&needed)?;
    let programs = Programs::find(&needed)?;

    let mut played = Played {
        transcripts: Vec::new(),
        skipped: Vec::new(),
    };
    for session in &sessions {
        if !playable.iter().any(|p| std::ptr::eq(*p, session)) {
            println!(
                "transcripts: skipped {} (needs {}, not in this workspace yet)",
                session.files.join(", "),
                session.programs.join(", ")
            );
            played.skipped.extend(session.files);
            continue;
        }
        let transcripts = (session.play)(&programs)?;
        let written: Vec<&str> = transcripts.iter().map(|t| t.name).collect();
        if written != session.files {
            return Err(format!(
                "a session declares {:?} but wrote {written:?}",
                session.files
            ));
        }
        played.transcripts.extend(transcripts);
    }
    Ok(played)
}

/// Is `program` (`lessonN-solution`) a package of this workspace, with its source?
fn package_exists(program: &str) -> bool {
    let folder = program
        .strip_suffix("-solution")
        .map(|lesson| Path::new("solutions").join(lesson))
        .unwrap_or_else(|| PathBuf::from(program));
    folder.join("Cargo.toml").is_file() && folder.join("src/main.rs").is_file()
}

// ---------------------------------------------------------------------------------------
// Building and finding the programs

/// Builds the solutions the sessions run, so that a session never times out on a compile.
fn build_programs(programs: &[&str]) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["build", "--quiet"]);
    for program in programs {
        command.args(["--package", program]);
    }
    let status = command
        .status()
        .map_err(|err| format!("could not start cargo build: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("could not build the solutions (cargo's output is above)".to_string())
    }
}

/// Where cargo put the binaries.
struct Programs {
    dir: PathBuf,
}

impl Programs {
    fn find(programs: &[&str]) -> Result<Programs, String> {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("target"));
        let dir = target.join("debug");
        for program in programs {
            let path = dir.join(format!("{program}{}", std::env::consts::EXE_SUFFIX));
            if !path.is_file() {
                return Err(format!(
                    "{} is missing after the build: does CARGO_TARGET_DIR point elsewhere?",
                    path.display()
                ));
            }
        }
        Ok(Programs { dir })
    }

    fn path(&self, program: &str) -> PathBuf {
        self.dir
            .join(format!("{program}{}", std::env::consts::EXE_SUFFIX))
    }
}

// ---------------------------------------------------------------------------------------
// Making a run repeatable

/// Replaces what differs between runs: every RFC 3339 time becomes [`SHOWN_TIME`], and each
/// `:PORT` in `ports` becomes `:SHOWN` (only whole port numbers after a colon).
fn normalise(text: &str, ports: &[(u16, u16)]) -> String {
    let mut out = replace_times(text);
    for (real, shown) in ports {
        out = replace_port(&out, *real, *shown);
    }
    out
}

/// `2026-11-28T01:18:02+01:00` and `2026-11-28T00:18:02Z`, as the time server prints them.
fn replace_times(text: &str) -> String {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    let bytes = text.as_bytes();
    let matches_shape = |at: usize, shape: &[u8]| {
        bytes.len() >= at + shape.len()
            && shape.iter().enumerate().all(|(i, want)| match want {
                b'd' => bytes[at + i].is_ascii_digit(),
                other => bytes[at + i] == *other,
            })
    };
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut copied_to = 0;
    while at < bytes.len() {
        if matches_shape(at, SHAPE) {
            let zone = at + SHAPE.len();
            let zone_length = if bytes.get(zone) == Some(&b'Z') {
                Some(1)
            } else if matches!(bytes.get(zone), Some(b'+' | b'-'))
                && matches_shape(zone + 1, b"dd:dd")
            {
                Some(6)
            } else {
                None
            };
            if let Some(length) = zone_length {
                out.push_str(&text[copied_to..at]);
                out.push_str(SHOWN_TIME);
                at = zone + length;
                copied_to = at;
                continue;
            }
        }
        at += 1;
    }
    out.push_str(&text[copied_to..]);
    out
}

/// Random numbers: in each line that starts with `prefix` and goes on with digits only, the
/// digits become the next of `shown` (the last one is repeated if there are more lines).
fn replace_numbers(text: &str, prefix: &str, shown: &[&str]) -> String {
    let mut next = 0;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        match body.strip_prefix(prefix) {
            Some(number)
                if !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit()) =>
            {
                let value = shown[next.min(shown.len() - 1)];
                next += 1;
                out.push_str(prefix);
                out.push_str(value);
                out.push_str(&line[body.len()..]);
            }
            _ => out.push_str(line),
        }
    }
    out
}

fn replace_port(text: &str, real: u16, shown: u16) -> String {
    let needle = format!(":{real}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        let after = &rest[at + needle.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(&needle);
        } else {
            out.push_str(&format!(":{shown}"));
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------
// Writing and checking

fn write_all(played: &Played) -> Result<(), String> {
    let transcripts = &played.transcripts;
    fs::create_dir_all(DIR).map_err(|err| format!("could not create {DIR}: {err}"))?;
    for transcript in transcripts {
        let path = Path::new(DIR).join(transcript.name);
        fs::write(&path, &transcript.text)
            .map_err(|err| format!("could not write {}: {err}", path.display()))?;
    }
    for stale in unplayed_files(played)? {
        fs::remove_file(&stale)
            .map_err(|err| format!("could not remove {}: {err}", stale.display()))?;
        println!(
            "transcripts: removed {}, which no session plays",
            stale.display()
        );
    }
    println!(
        "transcripts: wrote {} files to {DIR}/ (review them with `git diff {DIR}`)",
        transcripts.len()
    );
    Ok(())
}

fn compare_with_committed(played: &Played) -> Result<(), String> {
    let transcripts = &played.transcripts;
    let mut problems = Vec::new();
    for transcript in transcripts {
        let path = Path::new(DIR).join(transcript.name);
        match fs::read_to_string(&path) {
            Ok(committed) if committed == transcript.text => {}
            Ok(committed) => problems.push(format!(
                "{}: no longer matches what the programs print (- committed, + now):\n{}",
                path.display(),
                line_diff(&committed, &transcript.text)
            )),
            Err(_) => problems.push(format!("{}: missing", path.display())),
        }
    }
    for stale in unplayed_files(played)? {
        problems.push(format!(
            "{}: no session plays it any more; delete it, or the chapters show a stale session",
            stale.display()
        ));
    }
    problems.extend(not_included(transcripts)?);
    if problems.is_empty() {
        println!(
            "transcripts: all {} files in {DIR}/ match the programs",
            transcripts.len()
        );
        return Ok(());
    }
    for problem in &problems {
        println!("transcripts: {problem}");
    }
    Err(format!(
        "{} transcript problem(s), listed above; run `cargo xtask transcripts` to write them \
         again, then review `git diff {DIR}` and the chapters that include them",
        problems.len()
    ))
}

/// Files in the transcripts folder that no session writes.
fn unplayed_files(played: &Played) -> Result<Vec<PathBuf>, String> {
    let Ok(entries) = fs::read_dir(DIR) else {
        return Ok(Vec::new());
    };
    let mut stale = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|err| format!("could not list {DIR}: {err}"))?
            .path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let known =
            played.transcripts.iter().any(|t| t.name == name) || played.skipped.contains(&name);
        if name.ends_with(".txt") && !known {
            stale.push(path);
        }
    }
    stale.sort();
    Ok(stale)
}

/// A transcript that no chapter includes is work nobody sees: report it.
fn not_included(transcripts: &[Transcript]) -> Result<Vec<String>, String> {
    let mut chapters = String::new();
    for page in xtask::book_check::files_with_extension(Path::new("book/src"), "md")? {
        chapters.push_str(
            &fs::read_to_string(&page)
                .map_err(|err| format!("could not read {}: {err}", page.display()))?,
        );
    }
    Ok(transcripts
        .iter()
        .filter(|t| !chapters.contains(&format!("transcripts/{}", t.name)))
        .map(|t| format!("{DIR}/{}: no chapter includes it", t.name))
        .collect())
}

/// A small line diff (longest common subsequence): good enough for files of a few lines.
fn line_diff(old: &str, new: &str) -> String {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    // common[i][j]: length of the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            out.push_str(&format!("    {}\n", old[i]));
            i += 1;
            j += 1;
        } else if i < old.len() && (j == new.len() || common[i + 1][j] >= common[i][j + 1]) {
            out.push_str(&format!("  - {}\n", old[i]));
            i += 1;
        } else {
            out.push_str(&format!("  + {}\n", new[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_both_zone_forms_become_the_shown_time() {
        let text = "->: 2026-03-01T23:59:07+05:30\n->: 2026-03-01T18:29:07Z\n-> 2026-03-01\n";
        assert_eq!(
            replace_times(text),
            format!("->: {SHOWN_TIME}\n->: {SHOWN_TIME}\n-> 2026-03-01\n")
        );
    }

    #[test]
    fn only_whole_ports_after_a_colon_are_replaced() {
        let text = "Listening on 127.0.0.1:4123\nport 4123 and :41230 stay\n";
        assert_eq!(
            replace_port(text, 4123, 1234),
            "Listening on 127.0.0.1:1234\nport 4123 and :41230 stay\n"
        );
    }

    #[test]
    fn random_numbers_become_the_shown_ones_in_order() {
        let text = "-> hello\ndata: 17\n-> again\ndata: 999\ndata: x1\nReply: 5\n";
        assert_eq!(
            replace_numbers(text, "data: ", &["464", "942"]),
            "-> hello\ndata: 464\n-> again\ndata: 942\ndata: x1\nReply: 5\n"
        );
    }

    #[test]
    fn the_diff_shows_what_changed() {
        let diff = line_diff("a\nb\nc\n", "a\nB\nc\n");
        assert_eq!(diff, "    a\n  - b\n  + B\n    c\n");
    }
}
